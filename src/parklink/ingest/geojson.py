"""Read a GeoJSON FeatureCollection as a text table, checking every geometry.

Each feature's properties become the row's cells (as :func:`parklink.ingest.readers.cell_text`);
the geometry is checked — parseable, of the kind's type (Point; Polygon/MultiPolygon for
regions; LineString/MultiLineString for links), not empty, finite coordinates, rings closed
(RFC 7946 §3.1.6), valid in the OGC simple-features sense (no self-intersection; shapely's
``is_valid``), and for polygons and lines inside the two provinces' lon/lat box — and points
fill the lon/lat columns (a property that disagrees is a problem). A ``crs`` member (GeoJSON
2008) must name WGS84 longitude/latitude (``urn:ogc:def:crs:OGC:1.3:CRS84`` or EPSG:4326);
any other CRS is refused, never silently ignored. The JSON itself is parsed with Python's
``json``; a document too deeply nested, a number too long and bytes that are not UTF-8 are
file-level problems.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import Problem, ValidationError
from parklink.ingest.geo import ProvinceArea
from parklink.ingest.readers import EMPTY_FILE, TextTable, cell_text, file_cell_text
from parklink.tables import TableSchema

__all__ = ["WGS84_NAMES", "read_geojson"]

#: ``crs`` names accepted as WGS84 longitude/latitude.
WGS84_NAMES = ("urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
               "urn:ogc:def:crs:epsg::4326", "epsg:4326")
_TYPES = {"point": ("Point",), "polygon": ("Polygon", "MultiPolygon"),
          "line": ("LineString", "MultiLineString")}


def _geodesic_area_km2(geom: Any) -> float:
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6


def _crs_problem(doc: dict[str, Any]) -> str | None:
    if "crs" not in doc or doc["crs"] is None:
        return None
    crs = doc["crs"]
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(
        crs.get("properties"), dict) else None
    if isinstance(name, str) and name.strip().lower() in WGS84_NAMES:
        return None
    return (f"the crs member names {name if isinstance(name, str) else crs!r}; coordinates "
            "must be WGS84 longitude/latitude (CRS84 / EPSG:4326) (坐标系须为WGS84经纬度)")


def _rings_open(doc: dict[str, Any]) -> bool:
    """True when a Polygon/MultiPolygon ring's first and last positions differ."""
    kind = doc.get("type")
    coords = doc.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for poly in polygons or []:
        for ring in poly if isinstance(poly, list) else []:
            if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]:
                return True
    return False


def _geometry(doc: object, schema: TableSchema, box: tuple[float, float, float, float]
              ) -> tuple[Any, str | None]:
    """(shapely geometry or None, reason it is refused or None)."""
    import shapely
    import shapely.geometry

    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        return None, "geometry is not a GeoJSON geometry object (几何格式错误)"
    try:
        geom = shapely.geometry.shape(doc)
    except Exception as exc:  # shapely raises many types on malformed coordinates
        return None, f"invalid geometry: {type(exc).__name__}: {str(exc)[:120]} (几何无效)"
    wanted = _TYPES[schema.geometry or "point"]
    if schema.geometry == "polygon":
        wanted = (*wanted, "Point")  # a region may be given by its seat point
    if geom.geom_type not in wanted:
        return geom, f"expected {' or '.join(wanted)}, got {geom.geom_type} (几何类型不符)"
    if geom.is_empty:
        return geom, "geometry is empty (几何为空)"
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        return geom, "geometry has a coordinate that is not a finite number (坐标不是有限数)"
    if _rings_open(doc):
        return geom, "a polygon ring is not closed: its last position must repeat the first " \
            "(多边形环未闭合)"
    if not geom.is_valid:
        return geom, f"geometry is not valid: {shapely.is_valid_reason(geom)} (几何无效，如自相交)"
    if geom.geom_type != "Point":
        x0, y0, x1, y1 = box
        bx0, by0, bx1, by1 = geom.bounds
        if bx0 < x0 or by0 < y0 or bx1 > x1 or by1 > y1:
            return geom, (f"geometry reaches outside {x0:g}–{x1:g} °E, {y0:g}–{y1:g} °N, the "
                          "area of Sichuan and Chongqing (几何超出川渝范围)")
    return geom, None


def read_geojson(path: Path, file: str, schema: TableSchema) -> TextTable:
    """Read the GeoJSON FeatureCollection at ``path`` as a text table of ``schema``'s kind
    (see the module docstring); raises :class:`ValidationError` for file-level problems."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ValidationError.single(file, EMPTY_FILE)
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, too many digits
        raise ValidationError.single(file, f"not valid GeoJSON (UTF-8 JSON): {str(exc)[:200]} "
                                     "(GeoJSON格式错误)") from exc
    except RecursionError as exc:
        raise ValidationError.single(file, "not valid GeoJSON: nested too deeply "
                                     "(GeoJSON嵌套层数过多)") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
        doc.get("features"), list
    ):
        raise ValidationError.single(file, "GeoJSON must be a FeatureCollection "
                                     "(GeoJSON须为FeatureCollection)")
    if schema.geometry is None:
        raise ValidationError.single(
            file, f"kind {schema.kind!r} has no geometry; use CSV, XLSX or Parquet "
            "(该类表没有几何，不能用GeoJSON)")
    if (crs := _crs_problem(doc)) is not None:
        raise ValidationError.single(file, crs, column="crs")
    box = ProvinceArea().box
    problems: list[Problem] = []
    records: list[dict[str, str | None]] = []
    shapes: list[dict[str, Any] | None] = []
    order: dict[str, None] = {}
    lon_col, lat_col = ("seat_lon", "seat_lat") if schema.kind == "regions" else ("lon", "lat")
    for i, feat in enumerate(doc["features"]):
        row = i + 2
        if not isinstance(feat, dict):
            problems.append(Problem(file, row, None, None,
                                    "feature is not a JSON object (要素格式错误)"))
            feat = {}
        props = feat.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(Problem(file, row, "properties", None,
                                    "properties is not a JSON object (属性格式错误)"))
        props = props if isinstance(props, dict) else {}
        rec: dict[str, str | None] = {str(k): file_cell_text(v) for k, v in props.items()}
        geom_doc = feat.get("geometry")
        geom = None
        if geom_doc is not None:
            geom, why = _geometry(geom_doc, schema, box)
            if why is not None:
                shown = geom.geom_type if geom is not None else None
                problems.append(Problem(file, row, "geometry", shown, why))
                geom = None
        if geom is not None and geom.geom_type == "Point" and schema.geometry == "point":
            for col, val in ((lon_col, geom.x), (lat_col, geom.y)):
                text = cell_text(float(val))
                if rec.get(col) is not None and rec[col] != text:
                    problems.append(Problem(file, row, col, rec[col],
                                            f"property disagrees with the geometry ({text}) "
                                            "(属性与几何坐标不一致)"))
                rec[col] = text
        elif geom is not None and schema.geometry == "polygon":
            if geom.geom_type == "Point":
                rec.setdefault(lon_col, cell_text(float(geom.x)))
                rec.setdefault(lat_col, cell_text(float(geom.y)))
            else:
                if rec.get(lon_col) is None and rec.get(lat_col) is None:
                    pt = geom.representative_point()
                    rec[lon_col], rec[lat_col] = cell_text(pt.x), cell_text(pt.y)
                    if rec.get("seat_approximate") is None:
                        rec["seat_approximate"] = "true"
                if rec.get("area_km2") is None:
                    area = _geodesic_area_km2(geom)
                    rec["area_km2"] = cell_text(round(area, 3)) if math.isfinite(area) else None
        for k in rec:
            order.setdefault(k, None)
        records.append(rec)
        shapes.append(geom_doc if geom is not None and isinstance(geom_doc, dict) else None)
    names = list(order)
    frame = pd.DataFrame({n: pd.Series([r.get(n) for r in records], dtype=object) for n in names})
    rows = np.arange(2, len(records) + 2, dtype=np.int64)
    return TextTable(file, frame, rows, problems, geometries=shapes)
