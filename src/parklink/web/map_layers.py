"""Co-construction layers of the programme map (issue 15): parks in the park, smart-manufacturing
recognitions and R&D / design platforms.

One function, :func:`layer_features`, reads the registry (public reads, as the registry API)
and returns a GeoJSON ``FeatureCollection`` of points per layer; ``/api/map/layers/{layer}``
serves it and :func:`add_layers` draws the same features as plotly traces on the map figure
(``/api/map/figure?layers=pip,smart,platforms``), so the map and the GeoJSON never differ.

* ``pip`` — one point per park in the park, at its host park (the host district's seat when
  the source names no park: ``approximate``), one trace per mode (``mode`` empty = not stated);
* ``smart`` — one point per park and recognition kind: ``count`` recognitions, broken down
  by level (national-ladder tier, else list level) in ``by_level``; recognitions without a
  park are counted in ``unplaced`` and not drawn;
* ``platforms`` — one point per host park and platform level: ``count`` platforms, broken
  down by kind in ``by_kind``.

Synthetic rows are labelled: a feature's ``synthetic`` is true when any row it stands for is
synthetic, and its hover text says so. Published aggregates (programme totals) are never put
on the map: they are not facts about one park.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import plotly.graph_objects as go
from sqlalchemy import select
from sqlalchemy.orm import Session

from parklink.store import models as m
from parklink.store import models_coconstruction as mc
from parklink.vocab import (
    COCON_MAP_LAYER_NAMES,
    COCON_MAP_LAYERS,
    LIST_LEVEL_NAMES,
    PIP_MODE_NAMES,
    PIP_MODE_UNSTATED,
    PLATFORM_KIND_NAMES,
    SMART_KIND_NAMES,
    SMART_TIER_NAMES,
    Label,
)

__all__ = ["LAYER_COLOURS", "add_layers", "group_label", "layer_features", "legend", "parse_layers"]

#: Marker colour per layer group (mode / kind / level); one palette, legend and page agree.
LAYER_COLOURS: dict[str, dict[str, str]] = {
    "pip": {"hq_base": "#0f766e", "rd_transformation": "#7c3aed", "terminal_support": "#ea580c",
            "unknown": "#6b7280"},
    "smart": {"digital_workshop": "#2563eb", "intelligent_factory": "#db2777", "intelligent_park": "#16a34a",
              "retrofit_project": "#a16207"},
    "platforms": {"national": "#b91c1c", "provincial": "#d97706", "municipal": "#0891b2"},
}
_SYMBOLS = {"pip": "square", "smart": "star", "platforms": "triangle-up"}


def parse_layers(text: str | None) -> tuple[str, ...]:
    """The known layers named in a comma-separated ``text`` (unknown names are ignored), in
    :data:`parklink.vocab.COCON_MAP_LAYERS` order."""
    asked = {s.strip() for s in (text or "").split(",")}
    return tuple(layer for layer in COCON_MAP_LAYERS if layer in asked)


def _bi(label: Label) -> str:
    return f"{label[0]} {label[1]}"


def _points(session: Session) -> tuple[dict[str, tuple[float, float, str, str]], dict[str, tuple[float, float]]]:
    parks = {str(r.park_id): (float(r.lon), float(r.lat), str(r.name_zh), str(r.name_en)) for r in session.execute(
        select(m.Park.park_id, m.Park.lon, m.Park.lat, m.Park.name_zh, m.Park.name_en))}
    seats = {str(r.adcode): (float(r.seat_lon), float(r.seat_lat)) for r in session.execute(
        select(m.Region.adcode, m.Region.seat_lon, m.Region.seat_lat)) if r.seat_lon is not None}
    return parks, seats


def _feature(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _pip(session: Session) -> tuple[list[dict[str, Any]], int]:
    parks, seats = _points(session)
    rows = session.execute(select(mc.CoconPip.pip_id, mc.CoconPip.name_zh, mc.CoconPip.name_en,
                                  mc.CoconPip.host_park_id, mc.CoconPip.host_region, mc.CoconPip.mode,
                                  mc.CoconPip.leaders, mc.CoconPip.status, mc.CoconPip.confidence)
                           .order_by(mc.CoconPip.pip_id)).all()
    out, unplaced = [], 0
    for r in rows:
        approximate = r.host_park_id is None or str(r.host_park_id) not in parks
        point = seats.get(str(r.host_region)) if approximate else parks[str(r.host_park_id)][:2]
        if point is None:
            unplaced += 1
            continue
        out.append(_feature(point[0], point[1], {
            "layer": "pip", "group": r.mode or "unknown", "pip_id": r.pip_id, "name_zh": r.name_zh,
            "name_en": r.name_en, "park_id": r.host_park_id, "host_region": r.host_region, "mode": r.mode,
            "leaders": r.leaders, "status": r.status, "approximate": approximate,
            "confidence": r.confidence, "synthetic": r.confidence == "synthetic"}))
    return out, unplaced


def _grouped(layer: str, keyed: list[tuple[str | None, str, str, str]],
             parks: dict[str, tuple[float, float, str, str]], breakdown: str) -> tuple[list[dict[str, Any]], int]:
    """(park, group, sub, confidence) rows → one feature per park × group with counts by sub."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    synthetic: dict[tuple[str, str], bool] = defaultdict(bool)
    unplaced = 0
    for park, group, sub, conf in keyed:
        if park is None or park not in parks:
            unplaced += 1
            continue
        counts[(park, group)][sub] += 1
        synthetic[(park, group)] |= conf == "synthetic"
    out = []
    for (park, group), c in sorted(counts.items()):
        lon, lat, zh, en = parks[park]
        out.append(_feature(lon, lat, {
            "layer": layer, "group": group, "park_id": park, "park_name_zh": zh, "park_name_en": en,
            "count": sum(c.values()), breakdown: dict(sorted(c.items())), "synthetic": synthetic[(park, group)]}))
    return out, unplaced


def layer_features(session: Session, layer: str) -> dict[str, Any]:
    """The GeoJSON ``FeatureCollection`` of one co-construction ``layer`` (module docstring);
    foreign members ``layer``, ``name_zh``/``name_en`` and ``unplaced`` (rows without a place)."""
    if layer == "pip":
        features, unplaced = _pip(session)
    elif layer == "smart":
        parks, _ = _points(session)
        recs = session.execute(select(mc.CoconSmartRecognition.park_id, mc.CoconSmartRecognition.kind,
                                      mc.CoconSmartRecognition.tier, mc.CoconSmartRecognition.list_level,
                                      mc.CoconSmartRecognition.confidence)).all()
        features, unplaced = _grouped("smart", [(r.park_id, r.kind, r.tier or r.list_level, r.confidence)
                                                for r in recs], parks, "by_level")
    elif layer == "platforms":
        parks, _ = _points(session)
        plats = session.execute(select(mc.CoconPlatform.host_park_id, mc.CoconPlatform.level,
                                       mc.CoconPlatform.kind, mc.CoconPlatform.confidence)).all()
        features, unplaced = _grouped("platforms", [(r.host_park_id, r.level, r.kind, r.confidence)
                                                    for r in plats], parks, "by_kind")
    else:
        raise ValueError(f"unknown map layer {layer!r}")
    zh, en = COCON_MAP_LAYER_NAMES[layer]
    return {"type": "FeatureCollection", "layer": layer, "name_zh": zh, "name_en": en,
            "unplaced": unplaced, "features": features}


def group_label(layer: str, group: str) -> Label:
    """The bilingual name of a layer's group (mode / recognition kind / platform level)."""
    if layer == "pip":
        return PIP_MODE_NAMES.get(group, PIP_MODE_UNSTATED)
    if layer == "smart":
        return SMART_KIND_NAMES.get(group, (group, group))
    return LIST_LEVEL_NAMES.get(group, (group, group))


def _sub_label(layer: str, code: str) -> str:
    if layer == "smart":
        return _bi(SMART_TIER_NAMES.get(code) or LIST_LEVEL_NAMES.get(code, (code, code)))
    return _bi(PLATFORM_KIND_NAMES.get(code, (code, code)))


def _hover(p: dict[str, Any]) -> str:
    syn = "<br>合成（演示） synthetic (demo)" if p["synthetic"] else ""
    if p["layer"] == "pip":
        approx = "<br>位置为所在区县驻地（近似） at the host district's seat (approximate)" if p["approximate"] else ""
        lead = f"<br>{p['leaders']}" if p["leaders"] else ""
        return f"{p['name_zh']} {p['name_en']}<br>{_bi(group_label('pip', p['group']))}{lead}{approx}{syn}"
    parts = p["by_level"] if p["layer"] == "smart" else p["by_kind"]
    lines = "<br>".join(f"{_sub_label(p['layer'], k)}: {n}" for k, n in parts.items())
    head = f"{p['park_name_zh']} {p['park_name_en']}<br>{_bi(group_label(p['layer'], p['group']))}: {p['count']}"
    return f"{head}<br>{lines}{syn}"


def add_layers(fig: go.Figure, session: Session, layers: tuple[str, ...]) -> go.Figure:
    """Add the co-construction ``layers`` to the map figure: one trace per layer group
    (``meta`` = ``LAYER:GROUP``), coloured by :data:`LAYER_COLOURS`, sized by count, with a
    bilingual legend name and hover text."""
    for layer in layers:
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in layer_features(session, layer)["features"]:
            by_group[f["properties"]["group"]].append(f)
        order = list(LAYER_COLOURS[layer])
        for group in sorted(by_group, key=lambda g: (order.index(g) if g in order else len(order), g)):
            feats = by_group[group]
            props = [f["properties"] for f in feats]
            sizes = [11 if layer == "pip" else min(26, 8 + 3 * int(p["count"])) for p in props]
            fig.add_trace(go.Scattergeo(
                lon=[f["geometry"]["coordinates"][0] for f in feats],
                lat=[f["geometry"]["coordinates"][1] for f in feats],
                text=[_hover(p) for p in props],
                customdata=[p.get("park_id") for p in props],
                mode="markers",
                marker={"symbol": _SYMBOLS[layer], "size": sizes,
                        "color": LAYER_COLOURS[layer].get(group, "#6b7280"),
                        "line": {"width": [2.0 if p["synthetic"] else 0.6 for p in props],
                                 "color": ["#facc15" if p["synthetic"] else "white" for p in props]}},
                name=f"{_bi(COCON_MAP_LAYER_NAMES[layer])}: {_bi(group_label(layer, group))}",
                hovertemplate="%{text}<extra></extra>", meta=f"{layer}:{group}",
            ))
    return fig


def legend() -> list[dict[str, Any]]:
    """The map page's legend of the co-construction layers: per layer its bilingual name,
    marker symbol and groups (code, bilingual name, colour)."""
    return [{"layer": layer, "name": COCON_MAP_LAYER_NAMES[layer], "symbol": _SYMBOLS[layer],
             "groups": [(g, group_label(layer, g), colour) for g, colour in LAYER_COLOURS[layer].items()]}
            for layer in COCON_MAP_LAYERS]
