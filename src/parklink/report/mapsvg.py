"""The programme map as one deterministic inline SVG (no script, no network, no tiles).

What is drawn, bottom to top:

* district/county polygons of the embedded boundaries (GeoJSON ``level == "district"``,
  :func:`parklink.inputs.Inputs.boundaries`), filled by province, and the two province
  outlines (``level == "province"``);
* optional route legs (polylines coloured by transport mode, e.g. a
  :meth:`parklink.logistics.routing.Route.to_geojson`);
* designations as straight lines between consecutive located member parks (a pair gives
  one line; a designation of n located members gives n − 1);
* logistics hubs (``transport_nodes`` of kind airport, rail port, river port, bonded zone)
  as squares, triangles, diamonds;
* parks as circles (demonstration parks larger and red; with ``park_values`` the parks are
  coloured by a five-class quantile ramp instead, e.g. an accessibility figure);
* a bilingual legend (labels from :data:`parklink.vocab.MAP_LAYER_NAMES`) and a scale bar.

Projection: a documented equirectangular (plate carrée with the standard parallel at the
centre of the extent): ``x = (lon − lon_min)·cos φ0·k``, ``y = (lat_max − lat)·k`` with
``φ0`` the middle latitude of the extent and ``k`` the pixels per degree of latitude that
fit the width. Between 26° N and 34° N this keeps east–west scale within ±7 % of the
centre — enough for a briefing map, and it needs no projection library. The scale bar uses
111.32 km per degree of latitude.

The polygons are clipped to the extent and simplified in pixel space with
:func:`shapely.coverage_simplify` (1 px of area tolerance, well under a stroke width), so neighbouring districts keep a shared border.
Coordinates are written with one decimal; elements are sorted by id, so the same inputs give
the same bytes. Options (:class:`MapOptions`) give an inset around one park
(``focus_park``) or one designation (``focus_designation``): the extent becomes the focused
parks' bounding box plus ``margin_deg`` and the focused parks are labelled.

Every element a test or a page may count has a class: ``district``, ``province``, ``park``
(``park designated``), ``designation``, ``hub``, ``leg``; parks carry ``data-id``,
districts ``data-adcode``, designations ``data-id``. Each has a ``<title>`` (tooltip) with the
bilingual name.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from parklink.report.mapsvg_parts import (
    FONT,
    HUB_COLOUR,
    HUB_KINDS,
    MODE_COLOUR,
    PROVINCE_FILL,
    RAMP,
    SIMPLIFY_PX,
    Lang,
    MapLeg,
    MapOptions,
    Projection,
    bi,
    esc,
    fmt,
    hub_shape,
    legend,
    tenths,
)
from parklink.vocab import NODE_KIND_NAMES, TRANSPORT_MODE_NAMES

__all__ = ["HUB_KINDS", "MapLeg", "MapOptions", "MapSvg", "Projection", "legs_from_geojson", "programme_map",
           "programme_map_svg"]

@dataclass(frozen=True)
class MapSvg:
    """The rendered map: ``svg`` text and the number of drawn elements per layer (``counts``)."""

    svg: str
    counts: Mapping[str, int]
    extent: tuple[float, float, float, float]
    width: int
    height: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.svg


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _points(frame: pd.DataFrame, id_col: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if frame is None or frame.empty:
        return out
    for rec in frame.to_dict("records"):
        lon, lat = _num(rec.get("lon")), _num(rec.get("lat"))
        if lon is None or lat is None:
            continue
        out[str(rec[id_col])] = {**{str(k): v for k, v in rec.items()}, "lon": lon, "lat": lat}
    return dict(sorted(out.items()))


def _members(value: Any) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).split(";") if p.strip()]


def _designation_lines(designations: pd.DataFrame | None, parks: Mapping[str, Mapping[str, Any]]
                       ) -> list[tuple[str, list[str]]]:
    if designations is None or designations.empty:
        return []
    out = []
    for rec in sorted(designations.to_dict("records"), key=lambda r: str(r["designation_id"])):
        if "revoked_year" in rec and _num(rec.get("revoked_year")) is not None:
            continue
        located = [p for p in _members(rec.get("members")) if p in parks]
        if len(located) >= 2:
            out.append((str(rec["designation_id"]), located))
    return out


def _extent(boundaries: Mapping[str, Any] | None, pts: Iterable[tuple[float, float]]
            ) -> tuple[float, float, float, float]:
    geoms = [shapely.geometry.shape(f["geometry"]) for f in _features(boundaries, "province")]
    if geoms:
        b = shapely.total_bounds(np.array(geoms, dtype=object))
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])
    arr = np.array(list(pts), dtype=float)
    if arr.size == 0:
        return 97.0, 26.0, 111.0, 35.0
    return (float(arr[:, 0].min()) - 0.3, float(arr[:, 1].min()) - 0.3,
            float(arr[:, 0].max()) + 0.3, float(arr[:, 1].max()) + 0.3)


def _focus_extent(points: Sequence[tuple[float, float]], margin: float) -> tuple[float, float, float, float]:
    arr = np.array(points, dtype=float)
    lat0 = float(arr[:, 1].mean())
    mlon = margin / max(math.cos(math.radians(lat0)), 0.2)
    lon_min, lon_max = float(arr[:, 0].min()) - mlon, float(arr[:, 0].max()) + mlon
    lat_min, lat_max = float(arr[:, 1].min()) - margin, float(arr[:, 1].max()) + margin
    # keep the inset no flatter than 4:3 so a single park gets a readable neighbourhood
    cos0 = math.cos(math.radians((lat_min + lat_max) / 2))
    w, h = (lon_max - lon_min) * cos0, lat_max - lat_min
    if h < 0.75 * w:
        extra = (0.75 * w - h) / 2
        lat_min, lat_max = lat_min - extra, lat_max + extra
    return lon_min, lat_min, lon_max, lat_max


def _features(boundaries: Mapping[str, Any] | None, level: str) -> list[Mapping[str, Any]]:
    if not boundaries:
        return []
    feats = [f for f in boundaries.get("features", []) if (f.get("properties") or {}).get("level") == level
             and f.get("geometry")]
    return sorted(feats, key=lambda f: str(f["properties"].get("adcode", "")))


def _steps(coords: Any, close: bool) -> str:
    grid = np.rint(np.asarray(coords) * 10).astype(np.int64)
    if close:
        grid = grid[:-1]
    if len(grid) < (3 if close else 2):
        return ""
    steps = np.diff(grid, axis=0)
    steps = steps[(steps != 0).any(axis=1)]
    x0, y0 = grid[0]
    return (f"M{tenths(x0)} {tenths(y0)}l" + " ".join(f"{tenths(dx)} {tenths(dy)}" for dx, dy in steps)
            + ("z" if close else ""))


def _line_path(geom: Any) -> str:
    """SVG path data of a (multi)line string in pixel coordinates."""
    lines = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return "".join(_steps(g.coords, False) for g in lines if g.geom_type == "LineString" and not g.is_empty)


def _path(geom: Any, proj: Projection) -> str:
    """SVG path data of a (multi)polygon already in pixel coordinates: an absolute move, then
    relative steps in whole tenths of a px (rounded once, so no drift; zero steps dropped)."""
    parts: list[str] = []
    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            parts.append(_steps(ring.coords, True))
    return "".join(parts)


def _to_px(geom: Any, proj: Projection) -> Any:
    return shapely.transform(geom, lambda c: np.column_stack([
        proj.pad + (c[:, 0] - proj.lon_min) * proj.cos0 * proj.k,
        proj.pad + (proj.lat_max - c[:, 1]) * proj.k,
    ]))


def _polygons(features: list[Mapping[str, Any]], proj: Projection) -> list[tuple[Mapping[str, Any], Any]]:
    """Clip to the extent, project to px and simplify the features as one coverage."""
    keep: list[tuple[Mapping[str, Any], Any]] = []
    for f in features:
        g = shapely.clip_by_rect(shapely.geometry.shape(f["geometry"]), proj.lon_min, proj.lat_min,
                                 proj.lon_max, proj.lat_max)
        if g.is_empty or g.area <= 0:
            continue
        g = shapely.make_valid(_to_px(g, proj))
        polys = [p for p in (g.geoms if hasattr(g, "geoms") else [g]) if p.geom_type == "Polygon" and p.area > 0]
        if polys:
            keep.append((f, polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)))
    if not keep:
        return []
    simplified = shapely.coverage_simplify(np.array([g for _, g in keep], dtype=object), SIMPLIFY_PX)
    return [(f, g) for (f, _), g in zip(keep, simplified, strict=True) if not g.is_empty]


def _classes(values: Mapping[str, float]) -> tuple[dict[str, int], list[float]]:
    """Five quantile classes of the finite values (class index per id) and the class breaks."""
    finite = {k: float(v) for k, v in values.items() if _num(v) is not None}
    if not finite:
        return {}, []
    arr = np.array(sorted(finite.values()))
    breaks = [float(np.quantile(arr, q)) for q in (0.2, 0.4, 0.6, 0.8)]
    return {k: int(np.searchsorted(breaks, v, side="right")) for k, v in finite.items()}, breaks


def legs_from_geojson(collection: Mapping[str, Any], *, lang: Lang = "zh") -> list[MapLeg]:
    """Route legs from a GeoJSON FeatureCollection of LineStrings with a ``mode`` property
    (:meth:`parklink.logistics.routing.Route.to_geojson`)."""
    legs = []
    for f in collection.get("features", []):
        geom = f.get("geometry") or {}
        if geom.get("type") != "LineString":
            continue
        props = f.get("properties") or {}
        mode = str(props.get("mode", "road"))
        zh, en = TRANSPORT_MODE_NAMES.get(mode, (mode, mode))
        label = bi(zh, en, lang)
        if props.get("distance_km") is not None:
            label += f" {float(props['distance_km']):,.1f} km"
        legs.append(MapLeg(tuple((float(x), float(y)) for x, y, *_ in geom["coordinates"]), mode, label))
    return legs


def programme_map(
    *,
    parks: pd.DataFrame,
    designations: pd.DataFrame | None = None,
    transport_nodes: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    legs: Sequence[MapLeg] = (),
    options: MapOptions | None = None,
) -> MapSvg:
    """Draw the programme map (see the module docstring) from registry frames in the columns
    of :mod:`parklink.tables` and a GeoJSON FeatureCollection of region polygons.

    Raises ``KeyError`` when ``focus_park`` / ``focus_designation`` names a park or
    designation without located parks (callers turn it into a NotFoundError)."""
    opt = options or MapOptions()
    lang = opt.lang
    park_pts = _points(parks, "park_id")
    hub_frame = transport_nodes if transport_nodes is not None else pd.DataFrame(columns=["node_id", "kind"])
    hubs = {k: v for k, v in _points(hub_frame, "node_id").items() if str(v.get("kind")) in HUB_KINDS}
    lines = _designation_lines(designations, park_pts)
    designated = {p for _d, members in lines for p in members}
    if designations is not None and not designations.empty:
        for rec in designations.to_dict("records"):
            if "revoked_year" in rec and _num(rec.get("revoked_year")) is not None:
                continue
            designated.update(p for p in _members(rec.get("members")) if p in park_pts)

    focus: list[str] = []
    if opt.focus_park is not None:
        if opt.focus_park not in park_pts:
            raise KeyError(opt.focus_park)
        focus = [opt.focus_park]
    elif opt.focus_designation is not None:
        rows = designations[designations["designation_id"] == opt.focus_designation] \
            if designations is not None and not designations.empty else pd.DataFrame()
        if rows.empty:
            raise KeyError(opt.focus_designation)
        focus = [p for p in _members(rows.iloc[0]["members"]) if p in park_pts]
        if not focus:
            raise KeyError(opt.focus_designation)
    if focus:
        extent = _focus_extent([(park_pts[p]["lon"], park_pts[p]["lat"]) for p in focus], opt.margin_deg)
    else:
        extent = _extent(boundaries, [(v["lon"], v["lat"]) for v in park_pts.values()])
    proj = Projection(*extent, width=opt.width)

    def inside(lon: float, lat: float) -> bool:
        return extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]

    counts: dict[str, int] = {"district": 0, "province": 0, "park": 0, "designated_park": 0, "designation": 0,
                              "hub": 0, "leg": 0}
    pid = esc(opt.id_prefix)
    body: list[str] = []
    # districts and provinces
    districts = _polygons(_features(boundaries, "district"), proj)
    body.append(f'<g id="{pid}-districts" stroke="#ffffff" stroke-width="0.6" stroke-linejoin="round">')
    for f, g in districts:
        p = f["properties"]
        code = str(p.get("adcode", ""))
        fill = PROVINCE_FILL.get(code[:2], "#f1f5f9")
        body.append(f'<path class="district" data-adcode="{esc(code)}" fill="{fill}" d="{_path(g, proj)}">'
                    f'<title>{esc(bi(str(p.get("name_zh", "")), str(p.get("name_en", "")), lang))}</title></path>')
        counts["district"] += 1
    body.append("</g>")
    provinces = _polygons(_features(boundaries, "province"), proj)
    body.append(f'<g id="{pid}-provinces" fill="none" stroke="#64748b" stroke-width="1.2" stroke-linejoin="round">')
    x_max, y_max = proj.xy(extent[2], extent[1])
    frame_edge = shapely.box(proj.pad, proj.pad, x_max, y_max).boundary.buffer(0.6)
    for f, g in provinces:
        outline = shapely.boundary(g)
        if focus:  # an inset: the clip rectangle is not a province border
            outline = shapely.difference(outline, frame_edge)
        body.append(f'<path class="province" data-adcode="{esc(f["properties"].get("adcode", ""))}" '
                    f'd="{_line_path(outline)}"/>')
        counts["province"] += 1
    body.append("</g>")
    if opt.district_labels or focus:
        body.append(f'<g id="{pid}-district-labels" font-size="10" fill="#64748b" text-anchor="middle">')
        for f, g in districts:
            pt = g.representative_point()
            name = str(f["properties"].get("name_zh" if lang == "zh" else "name_en", ""))
            body.append(f'<text x="{fmt(pt.x)}" y="{fmt(pt.y)}">{esc(name)}</text>')
        body.append("</g>")
    # route legs
    if legs:
        body.append(f'<g id="{pid}-legs" fill="none" stroke-width="3" stroke-linecap="round" stroke-linejoin="round">')
        for i, leg in enumerate(legs, start=1):
            pts = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in (proj.xy(lon, lat) for lon, lat in leg.points))
            colour = MODE_COLOUR.get(leg.mode, "#111827")
            body.append(f'<polyline class="leg" data-mode="{esc(leg.mode)}" data-index="{i}" stroke="{colour}" '
                        f'points="{pts}"><title>{i}. {esc(leg.label or leg.mode)}</title></polyline>')
            counts["leg"] += 1
        body.append("</g>")
    # designations
    body.append(f'<g id="{pid}-designations" stroke="#c2410c" stroke-width="1.6" stroke-opacity="0.85">')
    for did, members in lines:
        for a, b in itertools.pairwise(members):
            pa, pb = park_pts[a], park_pts[b]
            if not (inside(pa["lon"], pa["lat"]) or inside(pb["lon"], pb["lat"])):
                continue
            (x1, y1), (x2, y2) = proj.xy(pa["lon"], pa["lat"]), proj.xy(pb["lon"], pb["lat"])
            body.append(f'<line class="designation" data-id="{esc(did)}" x1="{fmt(x1)}" y1="{fmt(y1)}" '
                        f'x2="{fmt(x2)}" y2="{fmt(y2)}"><title>{esc(did)}</title></line>')
            counts["designation"] += 1
    body.append("</g>")
    # hubs
    body.append(f'<g id="{pid}-hubs" fill="{HUB_COLOUR}" stroke="#ffffff" stroke-width="0.6">')
    for nid, h in hubs.items():
        if not inside(h["lon"], h["lat"]):
            continue
        x, y = proj.xy(h["lon"], h["lat"])
        kind = str(h["kind"])
        kzh, ken = NODE_KIND_NAMES.get(kind, (kind, kind))
        name = bi(str(h.get("name_zh") or ""), str(h.get("name_en") or ""), lang)
        body.append(f'<path class="hub" data-id="{esc(nid)}" data-kind="{esc(kind)}" d="{hub_shape(kind, x, y)}">'
                    f'<title>{esc(name)} · {esc(bi(kzh, ken, lang))}</title></path>')
        counts["hub"] += 1
    body.append("</g>")
    # parks
    classes, breaks = _classes(opt.park_values) if opt.park_values is not None else ({}, [])
    body.append(f'<g id="{pid}-parks" stroke="#ffffff" stroke-width="0.7">')
    for park_id, p in park_pts.items():
        if not inside(p["lon"], p["lat"]):
            continue
        x, y = proj.xy(p["lon"], p["lat"])
        is_des = park_id in designated
        cls = "park designated" if is_des else "park"
        if opt.park_values is not None:
            fill = RAMP[classes[park_id]] if park_id in classes else "#9ca3af"
            r = 4.5 if is_des else 3.5
        else:
            fill, r = ("#dc2626", 4.2) if is_des else ("#111827", 2.6)
        if park_id in focus:
            cls += " focus"
            r += 2
        name = bi(str(p.get("name_zh") or ""), str(p.get("name_en") or ""), lang)
        val = ""
        if opt.park_values is not None and _num(opt.park_values.get(park_id)) is not None:
            val = f" · {float(opt.park_values[park_id]):,.3g}"
        stroke = ' stroke="#111827" stroke-width="1.5"' if park_id in focus else ""
        body.append(f'<circle class="{cls}" data-id="{esc(park_id)}" cx="{fmt(x)}" cy="{fmt(y)}" r="{fmt(r)}" '
                    f'fill="{fill}"{stroke}><title>{esc(name)}{esc(val)}</title></circle>')
        counts["park"] += 1
        counts["designated_park"] += int(is_des)
    body.append("</g>")
    if focus:
        body.append(f'<g id="{pid}-focus-labels" font-size="12" font-weight="600" fill="#111827">')
        for park_id in focus:
            p = park_pts[park_id]
            x, y = proj.xy(p["lon"], p["lat"])
            name = str(p.get("name_zh" if lang == "zh" else "name_en") or park_id)
            anchor = "end" if x > opt.width * 0.6 else "start"
            dx = -9 if anchor == "end" else 9
            body.append(f'<text x="{fmt(x + dx)}" y="{fmt(y - 6)}" text-anchor="{anchor}" paint-order="stroke" '
                        f'stroke="#ffffff" stroke-width="3">{esc(name)}</text>')
        body.append("</g>")

    map_h = proj.height
    legend_svg, legend_h = legend(opt, counts, breaks, legs, proj, map_h)
    height = map_h + legend_h
    title = bi(*opt.title, lang)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="programme-map" role="img" id="{pid}" '
        f'viewBox="0 0 {opt.width} {height}" width="{opt.width}" height="{height}" '
        f'font-family="{FONT}" style="max-width:100%;height:auto" aria-labelledby="{pid}-title">'
        f'<title id="{pid}-title">{esc(title)}</title>'
        f'<defs><clipPath id="{pid}-clip"><rect x="0" y="0" width="{opt.width}" height="{map_h}"/></clipPath></defs>'
        f'<rect width="{opt.width}" height="{height}" fill="#ffffff"/>'
        f'<g clip-path="url(#{pid}-clip)">' + "".join(body) + "</g>" + legend_svg + "</svg>"
    )
    notes: tuple[str, ...] = ()
    if not districts:
        notes = ("no region boundaries: parks, hubs and designations only / 无行政区边界",)
    return MapSvg(svg=svg, counts=counts, extent=extent, width=opt.width, height=height, notes=notes)


def programme_map_svg(inputs: Any, *, legs: Sequence[MapLeg] = (), **options: Any) -> str:
    """The programme map of an :class:`parklink.inputs.Inputs` bundle as SVG text;
    ``options`` are the fields of :class:`MapOptions`."""
    return programme_map(
        parks=inputs.frame("parks"), designations=inputs.frame("designations"),
        transport_nodes=inputs.frame("transport_nodes"), boundaries=inputs.boundaries(), legs=legs,
        options=MapOptions(**options),
    ).svg
