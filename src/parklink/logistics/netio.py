"""Reading node and link tables from CSV (UTF-8, BOM, GBK) or GeoJSON, validated row by row."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from parklink.errors import Problem, ValidationError
from parklink.logistics.netcore import validate_frame
from parklink.tables import TRANSPORT_LINKS, TRANSPORT_NODES, TableSchema


def _read_table(path: Path, schema: TableSchema) -> tuple[pd.DataFrame, int, list[Any] | None]:
    """Rows of a CSV or GeoJSON file as text cells; (frame, row offset, line geometries)."""
    file = path.name
    if not path.exists():
        raise ValidationError.single(file, "file not found")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError.single(file, f"not valid GeoJSON: {exc}") from exc
        feats = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(feats, list):
            raise ValidationError.single(file, "not a GeoJSON FeatureCollection (no 'features' list)")
        props = [dict(f.get("properties") or {}) for f in feats]
        geoms: list[Any] = []
        problems: list[Problem] = []
        for i, f in enumerate(feats):
            g = f.get("geometry") or {}
            if schema.geometry == "line":
                if g.get("type") != "LineString" or len(g.get("coordinates") or []) < 2:
                    problems.append(Problem(file, i + 1, "geometry", str(g.get("type")),
                                            "feature geometry must be a LineString of 2+ points"))
                    geoms.append(None)
                else:
                    geoms.append([tuple(map(float, c[:2])) for c in g["coordinates"]])
            elif schema.geometry == "point":
                if g.get("type") == "Point":
                    props[i].setdefault("lon", g["coordinates"][0])
                    props[i].setdefault("lat", g["coordinates"][1])
                geoms.append(None)
        if problems:
            raise ValidationError.from_problems(problems)
        return pd.DataFrame(props), 1, geoms if schema.geometry == "line" else None
    if suffix == ".csv":
        from parklink.ingest.encoding import decode_bytes

        text, _ = decode_bytes(path.read_bytes(), path, file=file)

        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ValidationError.single(file, f"not a readable CSV table: {exc}") from exc
        return frame, 2, None
    raise ValidationError.single(file, f"unsupported file type {suffix!r}; use .csv or .geojson")


def read_nodes(path: str | Path) -> pd.DataFrame:
    """Read and validate a node table (CSV, or GeoJSON points) per ``TRANSPORT_NODES``."""
    p = Path(path)
    frame, offset, _ = _read_table(p, TRANSPORT_NODES)
    return validate_frame(frame, TRANSPORT_NODES, file=p.name, row_offset=offset)


def read_links(path: str | Path, *, nodes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and validate a link table (CSV, or GeoJSON LineStrings) per ``TRANSPORT_LINKS``.

    ``from_node``/``to_node`` are checked against ``nodes`` when given. Errors are raised
    as one :class:`ValidationError` naming file, row (CSV: spreadsheet row; GeoJSON:
    1-based feature number), column and reason. GeoJSON geometries are kept in a
    ``geometry`` column used to draw routes.
    """
    p = Path(path)
    frame, offset, geoms = _read_table(p, TRANSPORT_LINKS)
    refs = {"transport_nodes.node_id": set(nodes["node_id"].astype(str))} if nodes is not None else None
    out = validate_frame(frame, TRANSPORT_LINKS, file=p.name, refs=refs, row_offset=offset)
    if geoms is not None:
        out["geometry"] = pd.Series(geoms, index=out.index, dtype=object)
    return out
