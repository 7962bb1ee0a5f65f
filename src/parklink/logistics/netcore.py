"""The network data model: :class:`Network` (nodes, links, parameters) and table validation.

Geometry helpers (:func:`haversine_km`, :func:`to_km_plane`) and :func:`validate_frame`, which
checks a node or link table against its :class:`~parklink.tables.TableSchema` and reports every
problem at once. The builder of the approximate network is :mod:`parklink.logistics.network`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import NotFoundError, Problem, ValidationError
from parklink.logistics.params import DEFAULT_PARAMETERS, Parameters
from parklink.tables import TRANSPORT_LINKS, TRANSPORT_NODES, TableSchema

FloatArray = npt.NDArray[np.float64]

NODE_COLUMNS: tuple[str, ...] = TRANSPORT_NODES.names
LINK_COLUMNS: tuple[str, ...] = TRANSPORT_LINKS.names
EARTH_RADIUS_KM = 6371.0088


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
