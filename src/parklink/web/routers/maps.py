"""Map data: the district boundaries and the map figure (plotly JSON)."""

from __future__ import annotations

from typing import Annotated, Literal

import plotly.io as pio
from fastapi import APIRouter, Query, Request, Response

from parklink.web.deps import SessionDep, web_state
from parklink.web.figures import map_figure
from parklink.web.routers.common import ERRORS
from parklink.web.status import current_fingerprint

router = APIRouter(prefix="/map", tags=["map 地图"], responses=ERRORS)
Indicator = Literal["parks", "designated", "national", "area_km2"]


@router.get("/figure", summary="Map figure 地图", response_class=Response,
            responses={200: {"content": {"application/json": {}}, "description": "a plotly figure (JSON)"}})
def get_map_figure(request: Request, session: SessionDep,
                   indicator: Annotated[Indicator, Query()] = "parks") -> Response:
    """The map as a plotly figure: 221 districts coloured by ``indicator``, parks, hubs, pairs.

    Cached per indicator until the registry changes (same fingerprint as the dashboard).
    """
    cache = web_state(request).cache
    key = ("map", indicator, current_fingerprint(session))
    body = cache.get(key)
    if body is None:
        body = pio.to_json(map_figure(session, indicator), validate=False)
        for old in [k for k in list(cache) if isinstance(k, tuple) and k[:2] == ("map", indicator)]:
            cache.pop(old, None)
        cache[key] = body
    return Response(body, media_type="application/json", headers={"Cache-Control": "private, max-age=60"})
