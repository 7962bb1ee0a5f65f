"""Least generalised-cost routes, OD matrices (cached per scenario), travel times, reachability.

All searches run ``scipy.sparse.csgraph.dijkstra`` (Dijkstra 1959 with a Fibonacci heap,
C-backed) on the layered graph of :mod:`parklink.logistics.graph`. OD matrices batch all
sources in a few calls after an exact contraction of interstitial vertices, and are
cached as Parquet under ``<data_dir>/cache/logistics/`` keyed by a hash of the network,
the parameters, the cargo profile, the weight and the OD node lists (a scenario key).

Units: generalised cost and money in CNY per tonne, time in hours, distance in km.
Unreachable pairs are ``inf`` and counted in ``explain["unreachable"]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from parklink.errors import NotFoundError
from parklink.logistics.graph import (
    MODES,
    TRANSFER,
    CompiledGraph,
    compile_graph,
    contract_degree_two,
)
from parklink.logistics.network import Network
from parklink.logistics.params import REFERENCE_CARGO, check_cargo
from parklink.settings import get_settings
from parklink.vocab import CARGO_NAMES
from parklink.vocab import TRANSPORT_MODE_NAMES as MODE_NAMES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UNITS = {"gc": "CNY/t", "money": "CNY/t", "time": "h", "km": "km"}


@dataclass(frozen=True, eq=False)
class Route:
    """A least generalised-cost route for one tonne of a cargo profile.

    ``legs`` has one row per arc (transfers included); ``modes`` is the sequence of
    travel modes (e.g. ``("road", "rail", "road")``); ``geometry`` the polyline (lon, lat).
    """

    origin: str
    destination: str
    cargo: str
    gc_cny_per_t: float
    money_cny_per_t: float
    time_h: float
    distance_km: float
    modes: tuple[str, ...]
    transfers: int
    legs: pd.DataFrame
    geometry: tuple[tuple[float, float], ...]

    def to_frame(self) -> pd.DataFrame:
        """The legs table (one row per arc)."""
        return self.legs.copy()

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable summary of the route."""
        zh, en = CARGO_NAMES[self.cargo]
        return {
            "origin": self.origin, "destination": self.destination, "cargo": self.cargo,
            "cargo_zh": zh, "cargo_en": en, "gc_cny_per_t": round(self.gc_cny_per_t, 2),
            "money_cny_per_t": round(self.money_cny_per_t, 2), "time_h": round(self.time_h, 3),
            "distance_km": round(self.distance_km, 1), "modes": list(self.modes),
            "modes_zh": [MODE_NAMES[m][0] for m in self.modes], "transfers": self.transfers,
        }

    def to_geojson(self) -> dict[str, Any]:
        """GeoJSON FeatureCollection: one LineString per run of one mode, with bilingual properties."""
        feats: list[dict[str, Any]] = []
        legs = self.legs[self.legs["mode"] != "transfer"]
        if len(legs):
            run = (legs["mode"] != legs["mode"].shift()).cumsum()
            for _, part in legs.groupby(run, sort=True):
                coords: list[list[float]] = []
                for geom in part["geometry"]:
                    for xy in geom:
                        if not coords or coords[-1] != [xy[0], xy[1]]:
                            coords.append([float(xy[0]), float(xy[1])])
                mode = str(part["mode"].iloc[0])
                feats.append({
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {
                        "mode": mode, "mode_zh": MODE_NAMES[mode][0], "mode_en": MODE_NAMES[mode][1],
                        "from_node": str(part["from_node"].iloc[0]), "to_node": str(part["to_node"].iloc[-1]),
                        "distance_km": round(float(part["km"].sum()), 2),
                        "time_h": round(float(part["time_h"].sum()), 3),
                        "money_cny_per_t": round(float(part["money_cny_per_t"].sum()), 2),
                    },
                })
        return {"type": "FeatureCollection", "features": feats, "properties": self.summary()}


@dataclass(frozen=True, eq=False)
class ODMatrix:
    """An origin–destination matrix of one weight for one cargo profile."""

    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    values: FloatArray
    cargo: str
    weight: str
    cache_path: str | None = None
    explain: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def unit(self) -> str:
        """Unit of the values (CNY/t, h or km)."""
        return UNITS[self.weight]

    def wide(self) -> pd.DataFrame:
        """The matrix as a frame: index origins, columns destinations."""
        return pd.DataFrame(self.values, index=pd.Index(self.origins, name="origin"), columns=list(self.destinations))

    def to_frame(self) -> pd.DataFrame:
        """Long format: origin, destination, value (unit in ``self.unit``)."""
        no, nd = len(self.origins), len(self.destinations)
        return pd.DataFrame({
            "origin": np.repeat(np.asarray(self.origins, dtype=object), nd),
            "destination": np.tile(np.asarray(self.destinations, dtype=object), no),
            "value": self.values.ravel(),
        })


def _path_vertices(pred: IntArray, src: int, dst: int) -> list[int]:
    path = [dst]
    while path[-1] != src:
        prev = int(pred[path[-1]])
        if prev < 0:
            raise NotFoundError("no path")
        path.append(prev)
    return path[::-1]


def route(network: Network, origin: str, destination: str, *, cargo: str = REFERENCE_CARGO) -> Route:
    """Least generalised-cost route (money + VoT × time, CNY/t) from ``origin`` to ``destination``.

    Origins/destinations are node ids, park ids, adcodes, IATA codes or names; trips start
    and end on the road layer, so using rail, water or air pays handling at terminals.
    Raises :class:`NotFoundError` for unknown nodes or when no path exists.
    """
    check_cargo(cargo)
    o, d = network.resolve(origin), network.resolve(destination)
    g = compile_graph(network, cargo)
    idx = network.node_index()
    src, dst = int(g.road_vertex[idx[o]]), int(g.road_vertex[idx[d]])
    best = g.best_arcs("gc")
    matrix = g.matrix("gc")
    dist, pred = dijkstra(matrix, directed=True, indices=src, return_predecessors=True)
    if not np.isfinite(dist[dst]):
        raise NotFoundError(f"无可达路径 no route from {o} to {d} for cargo {cargo!r}")
    verts = _path_vertices(np.asarray(pred, np.int64), src, dst) if src != dst else [src]
    keys = g.arc_from[best] * g.n_vertices + g.arc_to[best]
    order = np.argsort(keys)
    vu = np.asarray(verts[:-1], np.int64)
    vv = np.asarray(verts[1:], np.int64)
    arcs = best[order[np.searchsorted(keys[order], vu * g.n_vertices + vv)]]
    return _route_from_arcs(network, g, o, d, cargo, arcs)


def _route_from_arcs(network: Network, g: CompiledGraph, o: str, d: str, cargo: str, arcs: IntArray) -> Route:
    nodes, links = network.nodes, network.links
    node_ids = nodes["node_id"].astype(str).to_numpy()
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    fn = g.vertex_node[g.arc_from[arcs]]
    tn = g.vertex_node[g.arc_to[arcs]]
    has_geom = "geometry" in links.columns
    geoms: list[list[tuple[float, float]]] = []
    link_ids: list[str] = []
    for a, u, v in zip(arcs, fn, tn, strict=True):
        li = int(g.arc_link[a])
        link_ids.append(str(links.at[li, "link_id"]) if li >= 0 else f"transfer@{node_ids[u]}")
        line: list[tuple[float, float]] = [(float(lon[u]), float(lat[u])), (float(lon[v]), float(lat[v]))]
        if has_geom and li >= 0 and g.arc_mode[a] != TRANSFER:
            stored: Any = links.at[li, "geometry"]
            if isinstance(stored, list | tuple) and len(stored) >= 2:
                pts = [(float(x), float(y)) for x, y in stored]
                if str(links.at[li, "from_node"]) != node_ids[u]:
                    pts = pts[::-1]
                line = pts
        geoms.append(line)
    legs = pd.DataFrame({
        "seq": np.arange(1, len(arcs) + 1),
        "from_node": node_ids[fn], "to_node": node_ids[tn],
        "from_name_zh": nodes["name_zh"].to_numpy()[fn], "to_name_zh": nodes["name_zh"].to_numpy()[tn],
        "from_name_en": nodes["name_en"].to_numpy()[fn], "to_name_en": nodes["name_en"].to_numpy()[tn],
        "mode": np.asarray(MODES, dtype=object)[g.arc_mode[arcs]],
        "link_id": link_ids,
        "km": g.arc_km[arcs], "time_h": g.arc_time[arcs], "money_cny_per_t": g.arc_money[arcs],
        "gc_cny_per_t": g.arc_gc[arcs],
        "geometry": geoms,
    })
    travel = [m for m in legs["mode"] if m != "transfer"]
    modes = tuple(m for k, m in enumerate(travel) if k == 0 or m != travel[k - 1]) or ("road",)
    coords: list[tuple[float, float]] = []
    for geom, mode in zip(geoms, legs["mode"], strict=True):
        if mode == "transfer":
            continue
        for xy in geom:
            if not coords or coords[-1] != xy:
                coords.append(xy)
    return Route(
        origin=o, destination=d, cargo=cargo,
        gc_cny_per_t=float(legs["gc_cny_per_t"].sum()), money_cny_per_t=float(legs["money_cny_per_t"].sum()),
        time_h=float(legs["time_h"].sum()), distance_km=float(legs["km"].sum()),
        modes=modes, transfers=int((legs["mode"] == "transfer").sum()), legs=legs,
        geometry=tuple(coords) or ((float(lon[network.node_index()[o]]), float(lat[network.node_index()[o]])),),
    )


def default_od_nodes(network: Network) -> list[str]:
    """Parks and hubs (every node that is neither a seat nor a junction)."""
    kinds = network.nodes["kind"]
    return network.nodes.loc[~kinds.isin(["seat", "junction"]), "node_id"].astype(str).tolist()


def _resolve_all(network: Network, names: Sequence[str]) -> list[str]:
    index = network.node_index()
    return [n if n in index else network.resolve(n) for n in names]


def many_to_many(
    network: Network,
    origins: Sequence[str],
    destinations: Sequence[str],
    *,
    cargo: str = REFERENCE_CARGO,
    weight: str = "gc",
    simplify: bool = True,
    chunk: int = 256,
) -> tuple[FloatArray, dict[str, Any]]:
    """Shortest-path values between road vertices of ``origins`` and ``destinations`` (no cache).

    Returns (len(origins) × len(destinations) array, explain dict). With ``simplify``
    the graph is first contracted with :func:`contract_degree_two` keeping the OD vertices.
    """
    g = compile_graph(network, cargo)
    idx = network.node_index()
    src = g.road_vertex[np.array([idx[o] for o in origins], dtype=np.int64)]
    dst = g.road_vertex[np.array([idx[d] for d in destinations], dtype=np.int64)]
    matrix = g.matrix(weight)
    info: dict[str, Any] = {"vertices": int(g.n_vertices), "arcs": int(matrix.nnz)}
    if simplify and len(src):
        keep = np.zeros(g.n_vertices, bool)
        keep[src] = True
        keep[dst] = True
        matrix, kept = contract_degree_two(matrix, keep)
        remap = np.full(g.n_vertices, -1, np.int64)
        remap[kept] = np.arange(len(kept))
        src, dst = remap[src], remap[dst]
        info.update(vertices_contracted=int(matrix.shape[0]), arcs_contracted=int(matrix.nnz))
    out = np.empty((len(src), len(dst)))
    uniq, inverse = np.unique(src, return_inverse=True)
    for start in range(0, len(uniq), max(chunk, 1)):
        part = uniq[start:start + chunk]
        dist = dijkstra(matrix, directed=True, indices=part)
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(part)))
        out[rows] = dist[inverse[rows] - start][:, dst]
    info["unreachable"] = int(np.isinf(out).sum())
    return out, info


def cache_dir() -> Path:
    """Directory of the OD cache: ``<data_dir>/cache/logistics``."""
    return get_settings().data_dir / "cache" / "logistics"


def od_matrix(
    network: Network,
    origins: Sequence[str] | None = None,
    destinations: Sequence[str] | None = None,
    *,
    cargo: str = REFERENCE_CARGO,
    weight: str = "gc",
    cache: bool = True,
) -> ODMatrix:
    """OD matrix of least ``weight`` (gc CNY/t, time h, money CNY/t or km) for ``cargo``.

    Defaults to all parks and hubs both ways. With ``cache`` the matrix is stored as
    Parquet under :func:`cache_dir` keyed by the scenario (network, parameters, cargo,
    weight, OD lists) and re-read on the next call with the same key.
    """
    check_cargo(cargo)
    o = _resolve_all(network, origins) if origins is not None else default_od_nodes(network)
    d = _resolve_all(network, destinations) if destinations is not None else list(o)
    key = hashlib.sha256("|".join([network.digest(), cargo, weight, ",".join(o), ";", ",".join(d)]).encode()).hexdigest()[:24]
    path = cache_dir() / f"od-{key}.parquet"
    if cache and path.exists():
        frame = pd.read_parquet(path)
        values = frame.drop(columns=["origin"]).to_numpy(float)
        return ODMatrix(tuple(o), tuple(d), values, cargo, weight, str(path), {"cache": "hit", "key": key})
    values, info = many_to_many(network, o, d, cargo=cargo, weight=weight)
    info.update(cache="miss" if cache else "off", key=key)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(values, columns=[str(x) for x in d])
        frame.insert(0, "origin", list(o))
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    return ODMatrix(tuple(o), tuple(d), values, cargo, weight, str(path) if cache else None, info)


def travel_times(
    network: Network,
    origins: Sequence[str],
    destinations: Sequence[str],
    *,
    cargo: str = REFERENCE_CARGO,
    cache: bool = False,
) -> ODMatrix:
    """Least travel time in hours between nodes, over the modes ``cargo`` may use.

    Transfers count their handling time; trips start and end on the road layer. This is
    the travel-time function for location indicators (``weight="time"`` of :func:`od_matrix`).
    """
    return od_matrix(network, origins, destinations, cargo=cargo, weight="time", cache=cache)


@dataclass(frozen=True, eq=False)
class Reachability:
    """Nodes reachable from one origin within each time budget (isochrone-like sets)."""

    origin: str
    cargo: str
    hours: tuple[float, ...]
    nodes: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """node_id, names, kind, lon, lat, time_h, and the smallest budget reaching it."""
        return self.nodes.copy()

    def to_geojson(self) -> dict[str, Any]:
        """GeoJSON: per budget one Feature whose geometry is the concave hull of reached nodes."""
        feats: list[dict[str, Any]] = []
        for h in self.hours:
            part = self.nodes[self.nodes["time_h"] <= h]
            pts = shapely.multipoints(part[["lon", "lat"]].to_numpy(float)) if len(part) else None
            hull = shapely.concave_hull(pts, ratio=0.5) if pts is not None else None
            geom = shapely.geometry.mapping(hull) if hull is not None and not hull.is_empty else None
            feats.append({
                "type": "Feature", "geometry": geom,
                "properties": {"origin": self.origin, "hours": h, "cargo": self.cargo,
                               "name_zh": f"{h:g} 小时可达范围", "name_en": f"reachable within {h:g} h",
                               "n_nodes": len(part),
                               "parks": part.loc[part["kind"] == "park", "node_id"].tolist()},
            })
        return {"type": "FeatureCollection", "features": feats}


def reachability(
    network: Network, origin: str, *, hours: Sequence[float] = (1.0, 2.0, 4.0), cargo: str = REFERENCE_CARGO
) -> Reachability:
    """Nodes reachable from ``origin`` within each budget of least travel time (hours)."""
    check_cargo(cargo)
    o = network.resolve(origin)
    g = compile_graph(network, cargo)
    src = int(g.road_vertex[network.node_index()[o]])
    limit = float(max(hours)) if len(hours) else 0.0
    dist = dijkstra(g.matrix("time"), directed=True, indices=src, limit=limit)
    t = dist[g.road_vertex]
    n = network.nodes
    mask = np.isfinite(t) & (n["kind"].to_numpy() != "junction")
    frame = n.loc[mask, ["node_id", "name_zh", "name_en", "kind", "lon", "lat"]].copy()
    frame["time_h"] = t[mask]
    budgets = np.sort(np.asarray(hours, float))
    frame["within_h"] = budgets[np.searchsorted(budgets, frame["time_h"].to_numpy() - 1e-12)]
    return Reachability(o, cargo, tuple(float(h) for h in hours), frame.sort_values("time_h").reset_index(drop=True))
