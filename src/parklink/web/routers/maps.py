"""Map data: the district boundaries and the map figure (plotly JSON), and the
co-construction layers as GeoJSON (:mod:`parklink.web.map_layers`; public reads)."""

from __future__ import annotations

from typing import Annotated, Literal

import plotly.io as pio
from fastapi import APIRouter, Path, Query, Request, Response

from parklink.vocab import COCON_MAP_LAYERS
from parklink.web.deps import SessionDep, web_state
from parklink.web.figures import map_figure
from parklink.web.map_layers import add_layers, layer_features, parse_layers
from parklink.web.routers.common import ERRORS
from parklink.web.status import current_fingerprint

router = APIRouter(prefix="/map", tags=["map 地图"], responses=ERRORS)
Indicator = Literal["parks", "designated", "national", "area_km2"]


@router.get("/figure", summary="Map figure 地图", response_class=Response,
            responses={200: {"content": {"application/json": {}}, "description": "a plotly figure (JSON)"}})
def get_map_figure(request: Request, session: SessionDep,
                   indicator: Annotated[Indicator, Query()] = "parks",
                   layers: Annotated[str | None, Query(
                       max_length=60, pattern=r"^[a-z,]*$",
                       description="co-construction layers, comma-separated: " + ", ".join(COCON_MAP_LAYERS))
                   ] = None) -> Response:
    """The map as a plotly figure: 221 districts coloured by ``indicator``, parks, hubs, pairs,
    and the co-construction ``layers`` asked for (parks in the park by mode, smart-manufacturing
    recognitions by kind, platforms by level; see ``/api/map/layers/{layer}``).

    Cached per indicator and layers until the registry changes (same fingerprint as the dashboard).
    """
    cache = web_state(request).cache
    chosen = parse_layers(layers)
    key = ("map", indicator, chosen, current_fingerprint(session))
    body = cache.get(key)
    if body is None:
        body = pio.to_json(add_layers(map_figure(session, indicator), session, chosen), validate=False)
        for old in [k for k in list(cache) if isinstance(k, tuple) and k[:3] == ("map", indicator, chosen)]:
            cache.pop(old, None)
        cache[key] = body
    return Response(body, media_type="application/json", headers={"Cache-Control": "private, max-age=60"})


LayerP = Annotated[str, Path(pattern="^(" + "|".join(COCON_MAP_LAYERS) + ")$")]


@router.get("/layers/{layer}", summary="Co-construction map layer 共建地图图层 (GeoJSON)", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}, "description": "a GeoJSON FeatureCollection"}})
def get_map_layer(layer: LayerP, session: SessionDep) -> Response:
    """One co-construction layer as a GeoJSON ``FeatureCollection`` of points: ``pip`` (one
    per park in the park at its host park, by mode), ``smart`` (recognitions per park and kind,
    ``by_level``), ``platforms`` (platforms per host park and level, ``by_kind``). Synthetic rows
    are flagged (``synthetic``); rows without a place are counted in ``unplaced``."""
    import json

    body = json.dumps(layer_features(session, layer), ensure_ascii=False, default=str)
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "private, max-age=60"})
