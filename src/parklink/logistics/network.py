"""The multimodal freight network: nodes, links by mode, and the approximate default builder.

A :class:`Network` is two tables shaped like :data:`parklink.tables.TRANSPORT_NODES` and
:data:`parklink.tables.TRANSPORT_LINKS` (plus an optional ``geometry`` column of
``[(lon, lat), ...]`` for links imported from GeoJSON) and the :class:`Parameters` in force.

:func:`build_network` approximates the Sichuan–Chongqing network from the embedded
dataset when no real network is imported (every approximate link says so in
``approximate`` and ``confidence``):

* **road** — between district seats whose polygons share a boundary segment (a
  Delaunay triangulation of the seats when no polygons are given); parks and hubs are
  connected to their host seat (or the nearest one). Distance = great-circle × detour.
* **rail** — the main lines in :data:`RAIL_LINES` as seat-to-seat links (stops snapped
  to the nearest district seat); rail ports join the line at the nearest stop.
* **water** — ports on the Yangtze ordered along :data:`YANGTZE`, directed links with
  downstream / upstream barge speeds; tributary ports join the nearest main-river port.
* **air** — the international airports (CTU, TFU, CKG) pairwise, regional airports to
  each of them.
* **transfer** — generated at compile time at every node serving two or more modes
  (see :mod:`parklink.logistics.graph`); an explicit ``transfer`` link overrides it.

Users replace the approximation with a real network through :func:`read_links` /
:func:`read_nodes` (CSV or GeoJSON, validated row by row) and :meth:`Network.from_frames`.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import Delaunay, cKDTree

from parklink.errors import NotFoundError, Problem, ValidationError
from parklink.logistics.params import DEFAULT_PARAMETERS, LINK_MODES, Parameters
from parklink.tables import TRANSPORT_LINKS, TRANSPORT_NODES, TableSchema

FloatArray = npt.NDArray[np.float64]

NODE_COLUMNS: tuple[str, ...] = TRANSPORT_NODES.names
LINK_COLUMNS: tuple[str, ...] = TRANSPORT_LINKS.names
EARTH_RADIUS_KM = 6371.0088
FACTS = "/work/shared/reference/programme-facts.md"
RAIL_FACT_URL = "http://www.njwyda.net/njxw/15742.html"
INTERNATIONAL_AIRPORTS = ("CTU", "TFU", "CKG")

RailStop = tuple[str, str, float, float]
RAIL_LINES: dict[str, tuple[str, str, bool, tuple[RailStop, ...]]] = {
    # key: (name_zh, name_en, named_in_facts, stops as (zh, en, lon, lat) city seats of facts §7)
    "baocheng": ("宝成铁路", "Baoji–Chengdu railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("德阳", "Deyang", 104.398651, 31.127991),
        ("绵阳", "Mianyang", 104.741722, 31.464020),
        ("广元", "Guangyuan", 105.829757, 32.433668),
    )),
    "chengyu": ("成渝铁路", "Chengdu–Chongqing railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("资阳", "Ziyang", 104.641917, 30.122211),
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("荣昌", "Rongchang", 105.594061, 29.403627),
        ("永川", "Yongchuan", 105.894714, 29.348748),
        ("江津", "Jiangjin", 106.253156, 29.283387),
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
    )),
    "chengkun": ("成昆铁路", "Chengdu–Kunming railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("眉山", "Meishan", 103.831788, 30.048318),
        ("乐山", "Leshan", 103.761263, 29.582024),
    )),
    "dacheng": ("达成铁路", "Dazhou–Chengdu railway", True, (
        ("成都", "Chengdu", 104.065735, 30.659462),
        ("遂宁", "Suining", 105.571331, 30.513311),
        ("南充", "Nanchong", 106.082974, 30.795281),
        ("达州", "Dazhou", 107.502262, 31.209484),
    )),
    "suiyu": ("遂渝铁路", "Suining–Chongqing railway", False, (
        ("遂宁", "Suining", 105.571331, 30.513311),
        ("潼南", "Tongnan", 105.841818, 30.189554),
        ("合川", "Hechuan", 106.265554, 29.990993),
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
    )),
    "xiangyu": ("襄渝铁路", "Xiangyang–Chongqing railway", False, (
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
        ("合川", "Hechuan", 106.265554, 29.990993),
        ("广安", "Guang'an", 106.633369, 30.456398),
        ("达州", "Dazhou", 107.502262, 31.209484),
    )),
    "neikun": ("内昆铁路", "Neijiang–Kunming railway", False, (
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("自贡", "Zigong", 104.773447, 29.352765),
        ("宜宾", "Yibin", 104.630825, 28.760189),
    )),
    "longhuang": ("隆黄铁路", "Longchang–Huangtong railway (Luzhou branch)", False, (
        ("内江", "Neijiang", 105.066138, 29.587080),
        ("泸州", "Luzhou", 105.443348, 28.889138),
    )),
    "chuanqian": ("川黔铁路", "Sichuan–Guizhou railway", False, (
        ("江津", "Jiangjin", 106.253156, 29.283387),
        ("綦江", "Qijiang", 106.651417, 29.028091),
    )),
    "yuhuai": ("渝怀铁路", "Chongqing–Huaihua railway", False, (
        ("沙坪坝", "Shapingba", 106.4542, 29.541224),
        ("长寿", "Changshou", 107.074854, 29.833671),
        ("涪陵", "Fuling", 107.394905, 29.703652),
        ("武隆", "Wulong", 107.75655, 29.32376),
        ("黔江", "Qianjiang", 108.782577, 29.527548),
    )),
    "dawan": ("达万铁路", "Dazhou–Wanzhou railway", False, (
        ("达州", "Dazhou", 107.502262, 31.209484),
        ("梁平", "Liangping", 107.800034, 30.672168),
        ("万州", "Wanzhou", 108.380246, 30.807807),
    )),
}
"""Main rail lines as sequences of city seats (coordinates: programme facts §7).

The four lines named in the facts (Baocheng, Chengyu, Chengkun, Dacheng: they meet at the
Chengdu railway port) and seven more from general knowledge. The stop sequences are
approximations from general knowledge (**unconfirmed**): every rail link is flagged
``approximate`` with confidence ``unconfirmed``.
"""

YANGTZE: tuple[tuple[float, float], ...] = (
    (104.630825, 28.760189),  # Yibin (confluence of the Min and Jinsha rivers)
    (105.443348, 28.889138),  # Luzhou
    (106.253156, 29.283387),  # Jiangjin
    (106.56288, 29.556742),  # Chongqing Yuzhong (Jialing confluence)
    (107.074854, 29.833671),  # Changshou
    (107.394905, 29.703652),  # Fuling
    (108.380246, 30.807807),  # Wanzhou
)
"""The Yangtze main stem as a polyline through riverside seats (facts §7), upstream first."""
MAINSTEM_TOLERANCE_KM = 25.0


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in WGS84 degrees (vectorised)."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), float)


def to_km_plane(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Equirectangular km coordinates about (105°E, 30°N): accurate to ~1% within the region."""
    x = (np.asarray(lon, float) - 105.0) * 111.32 * math.cos(math.radians(30.0))
    y = (np.asarray(lat, float) - 30.0) * 110.57
    return np.column_stack([x, y])


def _hash_frame(frame: pd.DataFrame) -> str:
    h = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    return hashlib.sha256(h.tobytes() + ",".join(frame.columns).encode()).hexdigest()[:16]


def iter_rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples()`` typed loosely (cells of dataset frames are mixed scalars)."""
    rows: Iterator[Any] = frame.itertuples()
    return rows


def split_modes(value: object) -> tuple[str, ...]:
    """The modes of a ``;``-joined ``modes`` cell (empty tuple for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ()
    return tuple(m.strip() for m in str(value).split(";") if m.strip())


@dataclass(frozen=True, eq=False)
class Network:
    """A multimodal freight network: ``nodes`` and ``links`` frames plus the parameters.

    Build with :func:`build_network` (approximate default) or :meth:`from_frames` (any
    validated node/link tables). ``explain`` holds intermediate tables of the builder.
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    params: Parameters = DEFAULT_PARAMETERS
    explain: Mapping[str, pd.DataFrame] = field(default_factory=dict, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_frames(
        cls,
        nodes: pd.DataFrame,
        links: pd.DataFrame,
        *,
        params: Parameters = DEFAULT_PARAMETERS,
        file: str = "links",
    ) -> Network:
        """A network from node and link frames, validated (links must reference known nodes)."""
        params.check()
        nodes = validate_frame(nodes, TRANSPORT_NODES, file="nodes")
        links = validate_frame(links, TRANSPORT_LINKS, file=file, refs={"transport_nodes.node_id": set(nodes["node_id"])})
        return cls(nodes.reset_index(drop=True), links.reset_index(drop=True), params)

    def digest(self) -> str:
        """A stable hash of nodes, links and parameters (the scenario key of caches)."""
        key = self._cache.get("digest")
        if key is None:
            links = self.links[[c for c in LINK_COLUMNS if c in self.links.columns]]
            nodes = self.nodes[[c for c in NODE_COLUMNS if c in self.nodes.columns]]
            key = hashlib.sha256(
                (_hash_frame(nodes) + _hash_frame(links) + self.params.digest()).encode()
            ).hexdigest()[:20]
            self._cache["digest"] = key
        return str(key)

    def to_frame(self) -> pd.DataFrame:
        """The link table (TRANSPORT_LINKS columns)."""
        return self.links[[c for c in LINK_COLUMNS if c in self.links.columns]].copy()

    def node_index(self) -> Mapping[str, int]:
        """node_id -> row position in ``nodes`` (cached; do not mutate)."""
        idx = self._cache.get("node_index")
        if idx is None:
            idx = {str(n): i for i, n in enumerate(self.nodes["node_id"])}
            self._cache["node_index"] = idx
        return idx  # type: ignore[no-any-return]

    def resolve(self, query: str) -> str:
        """The node id named by ``query``: a node id, a park id, an adcode, an IATA code or a name (zh/en).

        Raises :class:`NotFoundError` listing close candidates when nothing matches.
        """
        q = query.strip()
        index = self.node_index()
        for cand in (q, f"park.{q}", f"seat.{q}", q.lower()):
            if cand in index:
                return cand
        n = self.nodes
        for col in ("code", "name_zh", "name_en"):
            if col in n.columns:
                hit = n[n[col].astype(str).str.lower() == q.lower()]
                if len(hit):
                    order = hit["kind"].map({"park": 0, "seat": 2}).fillna(1)
                    return str(hit.loc[order.sort_values(kind="stable").index[0], "node_id"])
        close = n[
            n["name_zh"].astype(str).str.contains(q, regex=False)
            | n["name_en"].astype(str).str.lower().str.contains(q.lower(), regex=False)
        ]
        hint = ", ".join(f"{r.node_id} ({r.name_zh} {r.name_en})" for r in close.head(5).itertuples())
        raise NotFoundError(
            f"节点未找到 node not found: {query!r}" + (f"; did you mean: {hint}" if hint else "")
        )

    def with_links(self, links: pd.DataFrame, *, replace_modes: Iterable[str] | None = None) -> Network:
        """A network with ``links`` added; links of ``replace_modes`` are dropped first.

        Use it to replace the approximate rail or waterway layer by an imported one.
        """
        base = self.links
        if replace_modes is not None:
            base = base[~base["mode"].isin(list(replace_modes))]
        merged = pd.concat([base, links], ignore_index=True)
        return Network.from_frames(self.nodes, merged, params=self.params)


# --------------------------------------------------------------------------- validation


_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否"}


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def validate_frame(
    frame: pd.DataFrame,
    schema: TableSchema,
    *,
    file: str,
    refs: Mapping[str, set[str]] | None = None,
    row_offset: int = 2,
) -> pd.DataFrame:
    """Check ``frame`` against ``schema`` and return it with typed columns.

    Every problem (missing column, empty required cell, bad number, value outside the
    allowed set or range, pattern mismatch, duplicate key, unknown reference) is
    collected and raised at once as :class:`ValidationError`; ``row`` in each problem is
    the data row index + ``row_offset`` (2 for CSV: the header is row 1).
    """
    problems: list[Problem] = []
    missing = [c.name for c in schema.columns if c.required and c.name not in frame.columns]
    for name in missing:
        problems.append(Problem(file, None, name, None, "required column is missing"))
    if problems:
        raise ValidationError.from_problems(problems)
    out = frame.copy()
    refs = refs or {}
    for col in schema.columns:
        if col.name not in out.columns:
            out[col.name] = None
            continue
        values = out[col.name].tolist()
        typed: list[object] = []
        for i, v in enumerate(values):
            row = i + row_offset
            if _is_missing(v):
                if col.required:
                    problems.append(Problem(file, row, col.name, None, "required value is empty"))
                typed.append(None)
                continue
            text = str(v).strip()
            val: object = text
            if col.type == "float" or col.type == "int":
                try:
                    num = float(v) if not isinstance(v, str) else float(text)
                except ValueError:
                    problems.append(Problem(file, row, col.name, text, f"not a number ({col.type})"))
                    typed.append(None)
                    continue
                if not math.isfinite(num):
                    problems.append(Problem(file, row, col.name, text, "not a finite number"))
                    typed.append(None)
                    continue
                if col.minimum is not None and num < col.minimum:
                    problems.append(Problem(file, row, col.name, text, f"below the minimum {col.minimum:g}"))
                if col.maximum is not None and num > col.maximum:
                    problems.append(Problem(file, row, col.name, text, f"above the maximum {col.maximum:g}"))
                val = int(num) if col.type == "int" else num
            elif col.type == "bool":
                if isinstance(v, bool | np.bool_):
                    val = bool(v)
                elif text.lower() in _TRUE:
                    val = True
                elif text.lower() in _FALSE:
                    val = False
                else:
                    problems.append(Problem(file, row, col.name, text, "not a boolean (true/false)"))
                    val = None
            elif col.type == "list":
                items = [t.strip() for t in text.split(";") if t.strip()]
                if col.choices is not None:
                    bad = [t for t in items if t not in col.choices]
                    if bad:
                        problems.append(Problem(file, row, col.name, text,
                                                f"unknown value(s) {', '.join(bad)}; allowed: {', '.join(col.choices)}"))
                val = ";".join(items)
            else:
                if col.choices is not None and text not in col.choices:
                    problems.append(Problem(file, row, col.name, text, f"not one of {', '.join(col.choices)}"))
                if col.pattern is not None and not re.fullmatch(col.pattern, text):
                    problems.append(Problem(file, row, col.name, text, f"does not match {col.pattern}"))
            if col.ref is not None and col.ref in refs and col.type != "list" and text not in refs[col.ref]:
                problems.append(Problem(file, row, col.name, text, f"unknown reference to {col.ref}"))
            typed.append(val)
        out[col.name] = pd.Series(typed, index=out.index, dtype=object)
    key = list(schema.key)
    if all(k in out.columns for k in key):
        dup = out.duplicated(subset=key, keep="first")
        for pos_i in np.flatnonzero(dup.to_numpy()).tolist():
            problems.append(Problem(file, pos_i + row_offset, key[0], str(out[key[0]].iloc[pos_i]),
                                    "duplicate key (already used on an earlier row)"))
    if problems:
        raise ValidationError.from_problems(problems)
    for col in schema.columns:
        if col.type == "float":
            out[col.name] = pd.to_numeric(out[col.name], errors="coerce").astype(float)
        elif col.type == "bool" and col.required:
            out[col.name] = out[col.name].astype(bool)
    return out


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


# --------------------------------------------------------------------------- builder


def _node_row(
    node_id: str, zh: str, en: str, kind: str, modes: str, adcode: str | None,
    lon: float, lat: float, approx: bool, code: str | None, url: str | None, conf: str,
) -> dict[str, object]:
    return {
        "node_id": node_id, "name_zh": zh, "name_en": en, "kind": kind, "modes": modes,
        "adcode": adcode, "lon": float(lon), "lat": float(lat), "location_approximate": bool(approx),
        "code": code, "source_url": url, "confidence": conf,
    }


def _link_rows(
    prefix: str,
    a: Sequence[str],
    b: Sequence[str],
    km: FloatArray,
    speed: float | FloatArray,
    mode: str,
    params: Parameters,
    *,
    bidirectional: bool,
    approximate: bool,
    confidence: str,
    source: str | None,
) -> pd.DataFrame:
    km = np.maximum(np.asarray(km, float), 0.01)
    rate = params.rate.get(mode, {})
    ref = rate.get("container", max(rate.values(), default=0.0))
    return pd.DataFrame({
        "link_id": [f"{prefix}.{x}.{y}" for x, y in zip(a, b, strict=True)],
        "from_node": list(a), "to_node": list(b), "mode": mode,
        "distance_km": km, "time_h": km / speed, "cost_cny_per_t": km * ref,
        "bidirectional": bidirectional, "approximate": approximate,
        "source_url": source, "confidence": confidence,
    })


def neighbour_pairs(
    seats: pd.DataFrame, boundaries: Mapping[str, Any] | None
) -> tuple[list[tuple[str, str]], str]:
    """Pairs of adcodes whose district polygons share a boundary segment (length > 0).

    Uses a shapely STRtree over the polygons; falls back to a Delaunay triangulation of
    the seat points when no polygons are given. Returns (pairs, method).
    """
    codes = seats["adcode"].astype(str).tolist()
    wanted = set(codes)
    if boundaries is not None:
        geoms: dict[str, Any] = {}
        for feat in boundaries.get("features", []):
            code = str((feat.get("properties") or {}).get("adcode"))
            if code in wanted and feat.get("geometry"):
                geoms[code] = shapely.geometry.shape(feat["geometry"])
        if len(geoms) >= 2:
            keys = list(geoms)
            polys = [geoms[k] for k in keys]
            tree = shapely.STRtree(polys)
            left, right = tree.query(polys, predicate="intersects")
            mask = left < right
            left, right = left[mask], right[mask]
            a = shapely.boundary(np.asarray(polys, dtype=object)[left])
            b = shapely.boundary(np.asarray(polys, dtype=object)[right])
            shared = shapely.length(shapely.intersection(a, b))
            pairs = [(keys[i], keys[j]) for i, j, s in zip(left, right, shared, strict=True) if s > 1e-6]
            return pairs, "shared boundary (shapely STRtree)"
    pts = seats[["seat_lon", "seat_lat"]].to_numpy(float)
    if len(pts) < 3:
        return ([(codes[0], codes[1])] if len(pts) == 2 else []), "all pairs"
    tri = Delaunay(to_km_plane(pts[:, 0], pts[:, 1]))
    edges: set[tuple[int, int]] = set()
    for s in tri.simplices:
        for i in range(3):
            u, v = int(s[i]), int(s[(i + 1) % 3])
            edges.add((min(u, v), max(u, v)))
    return [(codes[u], codes[v]) for u, v in sorted(edges)], "Delaunay triangulation of seats"


def _nearest(points: FloatArray, targets: FloatArray) -> tuple[npt.NDArray[np.int64], FloatArray]:
    tree = cKDTree(to_km_plane(targets[:, 0], targets[:, 1]))
    d, i = tree.query(to_km_plane(points[:, 0], points[:, 1]))
    return np.asarray(i, np.int64), np.asarray(d, float)


def build_network(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame | None = None,
    transport_nodes: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    params: Parameters = DEFAULT_PARAMETERS,
    rail_lines: Mapping[str, tuple[str, str, bool, tuple[RailStop, ...]]] = RAIL_LINES,
) -> Network:
    """Build the approximate multimodal network from dataset frames (see the module docstring).

    ``regions`` per ``parklink.tables.REGIONS`` (district rows with seat points are used);
    ``parks`` per ``PARKS``; ``transport_nodes`` per ``TRANSPORT_NODES``; ``boundaries`` a
    GeoJSON FeatureCollection with property ``adcode``. Distances are great-circle km ×
    the mode's detour factor; times = km / speed; costs = km × container tariff.
    """
    params.check()
    p = params
    seats = regions[(regions["level"] == "district") & regions["seat_lon"].notna() & regions["seat_lat"].notna()].copy()
    if seats.empty:
        raise ValidationError.single("regions", "no district with a seat point: cannot build the network")
    seats["adcode"] = seats["adcode"].astype(str)
    node_rows = [
        _node_row(f"seat.{r.adcode}", str(r.name_zh), str(r.name_en), "seat", "road", r.adcode,
                  float(r.seat_lon), float(r.seat_lat), bool(r.seat_approximate),
                  None, getattr(r, "source_url", None), str(r.confidence))
        for r in iter_rows(seats)
    ]
    seat_xy = seats[["seat_lon", "seat_lat"]].to_numpy(float)
    seat_ids = [f"seat.{a}" for a in seats["adcode"]]
    seat_of_code = dict(zip(seats["adcode"], seat_ids, strict=True))
    links: list[pd.DataFrame] = []
    explain: dict[str, pd.DataFrame] = {}

    # road between neighbouring seats
    pairs, method = neighbour_pairs(seats, boundaries)
    pos = {a: i for i, a in enumerate(seats["adcode"])}
    ia = np.array([pos[a] for a, _ in pairs], dtype=np.int64)
    ib = np.array([pos[b] for _, b in pairs], dtype=np.int64)
    if len(pairs):
        km = haversine_km(seat_xy[ia, 0], seat_xy[ia, 1], seat_xy[ib, 0], seat_xy[ib, 1]) * p.detour["road"]
        links.append(_link_rows("road", [seat_ids[i] for i in ia], [seat_ids[i] for i in ib], km,
                                p.speed_kmh["road"], "road", p, bidirectional=True, approximate=True,
                                confidence="synthetic", source=None))
    explain["road_neighbours"] = pd.DataFrame({"adcode_a": [a for a, _ in pairs], "adcode_b": [b for _, b in pairs], "method": method})

    # attach parks and hubs to their seat
    attach: list[dict[str, object]] = []
    if parks is not None and len(parks):
        for r in iter_rows(parks):
            row = _node_row(f"park.{r.park_id}", str(r.name_zh), str(r.name_en), "park", "road",
                            str(r.adcode), float(r.lon), float(r.lat), bool(r.location_approximate),
                            None, getattr(r, "source_url", None), str(r.confidence))
            row["park_kind"] = str(getattr(r, "kind", "other"))
            node_rows.append(row)
            attach.append({"node_id": f"park.{r.park_id}", "adcode": str(r.adcode), "lon": float(r.lon), "lat": float(r.lat)})
    hubs = transport_nodes if transport_nodes is not None else pd.DataFrame(columns=list(NODE_COLUMNS))
    hub_rows: list[dict[str, object]] = []
    for r in iter_rows(hubs):
        modes = split_modes(r.modes)
        modes = ("road", *[m for m in modes if m != "road"])
        row = _node_row(str(r.node_id), str(r.name_zh), str(r.name_en), str(r.kind), ";".join(modes),
                        None if _is_missing(r.adcode) else str(r.adcode), float(r.lon), float(r.lat),
                        bool(r.location_approximate), None if _is_missing(r.code) else str(r.code),
                        getattr(r, "source_url", None), str(r.confidence))
        node_rows.append(row)
        hub_rows.append(row)
        attach.append({"node_id": str(r.node_id), "adcode": row["adcode"], "lon": float(r.lon), "lat": float(r.lat)})
    if attach:
        at = pd.DataFrame(attach)
        near_i, _ = _nearest(at[["lon", "lat"]].to_numpy(float), seat_xy)
        target = [seat_of_code.get(str(c), seat_ids[n]) for c, n in zip(at["adcode"], near_i, strict=True)]
        tpos = np.array([seat_ids.index(t) for t in target], dtype=np.int64)
        km = haversine_km(at["lon"], at["lat"], seat_xy[tpos, 0], seat_xy[tpos, 1]) * p.detour["road"]
        km = np.maximum(km, p.min_connector_km)
        links.append(_link_rows("road", at["node_id"].tolist(), target, km, p.connector_speed_kmh, "road", p,
                                bidirectional=True, approximate=True, confidence="synthetic", source=None))
        # local connectors: parks/hubs to each other and to any seat within local_radius_km
        ids_all = at["node_id"].tolist() + seat_ids
        xy_all = np.vstack([at[["lon", "lat"]].to_numpy(float), seat_xy])
        tree = cKDTree(to_km_plane(xy_all[:, 0], xy_all[:, 1]))
        near = tree.query_pairs(p.local_radius_km, output_type="ndarray")
        na = len(at)
        near = near[(near[:, 0] < na) & ~((near[:, 1] >= na) & (np.asarray(tpos)[np.minimum(near[:, 0], na - 1)] == near[:, 1] - na))]
        if len(near):
            a_ids = [ids_all[i] for i in near[:, 0]]
            b_ids = [ids_all[j] for j in near[:, 1]]
            km = haversine_km(xy_all[near[:, 0], 0], xy_all[near[:, 0], 1], xy_all[near[:, 1], 0], xy_all[near[:, 1], 1])
            km = np.maximum(km * p.detour["road"], p.min_connector_km)
            local = _link_rows("road.local", a_ids, b_ids, km, p.connector_speed_kmh, "road", p,
                               bidirectional=True, approximate=True, confidence="synthetic", source=None)
            links.append(local)

    hub_frame = pd.DataFrame(hub_rows, columns=list(NODE_COLUMNS))
    hub_modes = hub_frame["modes"].map(split_modes) if len(hub_frame) else pd.Series(dtype=object)

    # rail lines
    rail_used: list[dict[str, object]] = []
    rail_stop_ids: set[str] = set()
    for key, (zh, en, named, stops) in rail_lines.items():
        pts = np.array([[s[2], s[3]] for s in stops], float)
        near_i, dist = _nearest(pts, seat_xy)
        seq = [seat_ids[i] for i, d in zip(near_i, dist, strict=True) if d <= 25.0]
        seq = [s for k, s in enumerate(seq) if k == 0 or s != seq[k - 1]]
        if len(seq) < 2:
            continue
        rail_stop_ids.update(seq)
        sidx = np.array([seat_ids.index(s) for s in seq])
        km = haversine_km(seat_xy[sidx[:-1], 0], seat_xy[sidx[:-1], 1], seat_xy[sidx[1:], 0], seat_xy[sidx[1:], 1]) * p.detour["rail"]
        links.append(_link_rows(f"rail.{key}", seq[:-1], seq[1:], km, p.speed_kmh["rail"], "rail", p,
                                bidirectional=True, approximate=True, confidence="unconfirmed",
                                source=RAIL_FACT_URL if named else None))
        rail_used.append({"line": key, "name_zh": zh, "name_en": en, "named_in_facts": named, "stops": ";".join(seq)})
    explain["rail_lines"] = pd.DataFrame(rail_used)
    if len(hub_frame) and rail_stop_ids:
        rail_hubs = hub_frame[hub_modes.map(lambda m: "rail" in m).to_numpy(bool)]
        if len(rail_hubs):
            stop_list = sorted(rail_stop_ids)
            sxy = seat_xy[[seat_ids.index(s) for s in stop_list]]
            ni, _ = _nearest(rail_hubs[["lon", "lat"]].to_numpy(float), sxy)
            km = haversine_km(rail_hubs["lon"], rail_hubs["lat"], sxy[ni, 0], sxy[ni, 1]) * p.detour["rail"]
            links.append(_link_rows("rail.spur", rail_hubs["node_id"].tolist(), [stop_list[i] for i in ni],
                                    np.maximum(km, p.min_connector_km), p.speed_kmh["rail"], "rail", p,
                                    bidirectional=True, approximate=True, confidence="unconfirmed", source=None))

    # inland waterway
    if len(hub_frame):
        ports = hub_frame[hub_modes.map(lambda m: "water" in m).to_numpy(bool)]
        if len(ports) >= 2:
            links.append(_water_links(ports, p))
            explain["waterway"] = _water_explain(ports)
        airports = hub_frame[hub_modes.map(lambda m: "air" in m).to_numpy(bool)]
        if len(airports) >= 2:
            links.append(_air_links(airports, p))

    node_frame = pd.DataFrame(node_rows, columns=[*NODE_COLUMNS, "park_kind"])
    link_frame = pd.concat(links, ignore_index=True) if links else pd.DataFrame(columns=list(LINK_COLUMNS))
    link_frame = link_frame.drop_duplicates("link_id").reset_index(drop=True)
    net = Network.from_frames(node_frame, link_frame, params=p)
    return Network(net.nodes, net.links, p, explain)


def _river_positions(ports: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """(along-river km from Yibin, off-river km) of each port against :data:`YANGTZE`."""
    line_xy = to_km_plane([c[0] for c in YANGTZE], [c[1] for c in YANGTZE])
    line = shapely.LineString(line_xy)
    pxy = to_km_plane(ports["lon"], ports["lat"])
    pts = shapely.points(pxy)
    along = shapely.line_locate_point(line, pts)
    off = shapely.distance(line, pts)
    return np.asarray(along, float), np.asarray(off, float)


def _water_explain(ports: pd.DataFrame) -> pd.DataFrame:
    along, off = _river_positions(ports)
    return pd.DataFrame({"node_id": ports["node_id"].to_numpy(), "name_zh": ports["name_zh"].to_numpy(),
                         "river_km_from_yibin": along.round(1), "off_mainstem_km": off.round(1),
                         "mainstem": off <= MAINSTEM_TOLERANCE_KM})


def _water_links(ports: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """Directed barge links: consecutive main-stem ports, tributary ports to the nearest main-stem port."""
    along, off = _river_positions(ports)
    ids = ports["node_id"].astype(str).to_numpy()
    main = np.flatnonzero(off <= MAINSTEM_TOLERANCE_KM)
    order = main[np.argsort(along[main], kind="stable")]
    up: list[str] = []
    down: list[str] = []
    km_list: list[float] = []
    for a, b in itertools.pairwise(order.tolist()):
        up.append(ids[a])
        down.append(ids[b])
        km_list.append(max(along[b] - along[a], 1.0) * p.detour["water"])
    trib = np.flatnonzero(off > MAINSTEM_TOLERANCE_KM)
    if len(main):
        lon, lat = ports["lon"].to_numpy(float), ports["lat"].to_numpy(float)
        for t in trib:
            d = haversine_km(lon[t], lat[t], lon[main], lat[main])
            m = main[int(np.argmin(d))]
            up.append(ids[t])
            down.append(ids[m])
            km_list.append(float(d.min()) * p.detour["water"])
    km = np.asarray(km_list, float)
    downstream = _link_rows("water.down", up, down, km, p.water_speed_down_kmh, "water", p,
                            bidirectional=False, approximate=True, confidence="synthetic", source=None)
    upstream = _link_rows("water.up", down, up, km, p.water_speed_up_kmh, "water", p,
                          bidirectional=False, approximate=True, confidence="synthetic", source=None)
    return pd.concat([downstream, upstream], ignore_index=True)


def _air_links(airports: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """Air links: international hubs pairwise, every other airport to each hub (all if no hub)."""
    ids = airports["node_id"].astype(str).tolist()
    codes = airports["code"].fillna("").astype(str).str.upper().str[:3].tolist()
    hubs = [i for i, c in enumerate(codes) if c in INTERNATIONAL_AIRPORTS] or list(range(len(ids)))
    pairs = {(min(i, j), max(i, j)) for i in hubs for j in range(len(ids)) if i != j}
    a = np.array([i for i, _ in sorted(pairs)])
    b = np.array([j for _, j in sorted(pairs)])
    lon, lat = airports["lon"].to_numpy(float), airports["lat"].to_numpy(float)
    km = haversine_km(lon[a], lat[a], lon[b], lat[b]) * p.detour["air"]
    return _link_rows("air", [ids[i] for i in a], [ids[j] for j in b], km, p.speed_kmh["air"], "air", p,
                      bidirectional=True, approximate=True, confidence="synthetic", source=None)


def densify_with_local_roads(
    network: Network,
    *,
    junctions_per_seat: int = 22,
    neighbours: int = 3,
    mean_shape_points: float = 5.0,
    radius_km: float = 15.0,
    seed: int = 0,
) -> Network:
    """Add synthetic local roads (seeded) around every seat: for benchmarks and tests.

    Each seat gets ``junctions_per_seat`` junction nodes scattered within ``radius_km``;
    junctions are linked to their ``neighbours`` nearest junctions (and the nearest one to
    the seat) by local roads, each drawn as a polyline through Poisson(``mean_shape_points``)
    interstitial shape points, as in OpenStreetMap where most nodes lie inside a street.
    All added rows are ``confidence = synthetic``.
    """
    rng = np.random.default_rng(seed)
    p = network.params
    seats = network.nodes[network.nodes["kind"] == "seat"]
    nj = len(seats) * junctions_per_seat
    owner = np.repeat(np.arange(len(seats)), junctions_per_seat)
    ang = rng.uniform(0, 2 * np.pi, nj)
    rad = radius_km * np.sqrt(rng.uniform(0, 1, nj))
    slon = seats["lon"].to_numpy(float)[owner]
    slat = seats["lat"].to_numpy(float)[owner]
    jlat = slat + rad * np.sin(ang) / 110.57
    jlon = slon + rad * np.cos(ang) / (111.32 * np.cos(np.radians(slat)))
    jid = np.array([f"junction.{i}" for i in range(nj)])
    tree = cKDTree(to_km_plane(jlon, jlat))
    _, nb = tree.query(to_km_plane(jlon, jlat), k=neighbours + 1)
    a = np.repeat(np.arange(nj), neighbours)
    b = nb[:, 1:].ravel()
    key = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    ends_a = list(jid[key[:, 0]])
    ends_b = list(jid[key[:, 1]])
    lon_a, lat_a = list(jlon[key[:, 0]]), list(jlat[key[:, 0]])
    lon_b, lat_b = list(jlon[key[:, 1]]), list(jlat[key[:, 1]])
    # connect the first junction of each seat to the seat itself
    first = np.arange(0, nj, junctions_per_seat)
    ends_a += list(jid[first])
    ends_b += seats["node_id"].astype(str).tolist()
    lon_a += list(jlon[first])
    lat_a += list(jlat[first])
    lon_b += list(seats["lon"].to_numpy(float))
    lat_b += list(seats["lat"].to_numpy(float))
    new_nodes = [
        _node_row(str(jid[i]), f"合成路口{i}", f"synthetic junction {i}", "junction", "road", None,
                  float(jlon[i]), float(jlat[i]), True, None, None, "synthetic")
        for i in range(nj)
    ]
    la, lb, lx, ly = np.array(ends_a), np.array(ends_b), np.array(lon_a), np.array(lat_a)
    bx, by = np.array(lon_b), np.array(lat_b)
    k = rng.poisson(mean_shape_points, len(la))
    seg_from: list[str] = []
    seg_to: list[str] = []
    seg_km: list[float] = []
    shape_id = 0
    for i in range(len(la)):
        n = int(k[i])
        ts = np.linspace(0, 1, n + 2)
        xs = lx[i] + (bx[i] - lx[i]) * ts
        ys = ly[i] + (by[i] - ly[i]) * ts
        if n:
            xs[1:-1] += rng.normal(0, 0.002, n)
            ys[1:-1] += rng.normal(0, 0.002, n)
        names = [str(la[i])]
        for j in range(n):
            sid = f"shape.{shape_id}"
            shape_id += 1
            names.append(sid)
            new_nodes.append(_node_row(sid, f"合成形点{sid}", f"synthetic shape point {sid}", "junction", "road",
                                       None, float(xs[j + 1]), float(ys[j + 1]), True, None, None, "synthetic"))
        names.append(str(lb[i]))
        d = haversine_km(xs[:-1], ys[:-1], xs[1:], ys[1:])
        seg_from += names[:-1]
        seg_to += names[1:]
        seg_km += list(np.maximum(d, 0.01))
    km = np.asarray(seg_km) * 1.1
    local = _link_rows("local", seg_from, seg_to, km, p.connector_speed_kmh, "road", p,
                       bidirectional=True, approximate=True, confidence="synthetic", source=None)
    local["link_id"] = [f"local.{i}" for i in range(len(local))]
    nodes = pd.concat([network.nodes, pd.DataFrame(new_nodes, columns=list(NODE_COLUMNS))], ignore_index=True)
    links = pd.concat([network.links, local], ignore_index=True)
    return Network(nodes, links, p, dict(network.explain))


__all__ = [
    "FACTS",
    "LINK_MODES",
    "RAIL_LINES",
    "YANGTZE",
    "Network",
    "build_network",
    "densify_with_local_roads",
    "haversine_km",
    "neighbour_pairs",
    "read_links",
    "read_nodes",
    "split_modes",
    "to_km_plane",
    "validate_frame",
]
