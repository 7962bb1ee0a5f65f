"""Accessibility of parks and transport-node-area classification.

Per park (all times are least travel times in hours over the modes the cargo profile
may use, transfers included, trips starting and ending on roads):

* time to each polar core (central Chengdu, central Chongqing: seat points of the
  programme facts §7, snapped to the nearest network node);
* time to the nearest hub of each kind (airport, rail port, river port, bonded zone —
  parks of kind ``cbz`` count as bonded zones);
* cumulative opportunities — firms and their output reachable within 1, 2 and 4 h
  (Wachs & Kumagai 1973, *Socio-Economic Planning Sciences* 7(5):437–456);
* gravity accessibility ``A_i = Σ_j O_j exp(-β t_ij)`` with ``β = ln 2 / half-life``
  (Hansen 1959, *JAIP* 25(2):73–76), ``O_j`` firm output (million CNY).

Firms are attached to the nearest network node by straight line; the access leg adds
``km × road detour / connector speed``.

A park is in a **transport-node area** when a multimodal hub (a node serving rail,
water or air) is within ``Parameters.transport_node_threshold_h`` of road time; the
evidence (nearest hub, its modes, road time, straight-line km, hubs within the
threshold, the declared ``area_types``) is returned with the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from parklink.errors import ValidationError
from parklink.logistics.graph import compile_graph
from parklink.logistics.network import Network, haversine_km, split_modes, to_km_plane
from parklink.logistics.params import REFERENCE_CARGO, check_cargo
from parklink.vocab import NODE_KIND_NAMES

FloatArray = npt.NDArray[np.float64]

POLAR_CORES: dict[str, tuple[str, str, float, float]] = {
    "chengdu": ("成都中心城区", "central Chengdu", 104.065735, 30.659462),
    "chongqing": ("重庆中心城区", "central Chongqing", 106.56288, 29.556742),
}
"""The two polar cores as seat points (programme facts §7: Chengdu city seat, Yuzhong)."""
HUB_KINDS: dict[str, tuple[str, str]] = {
    k: NODE_KIND_NAMES[k] for k in ("airport", "rail_port", "river_port", "bonded_zone")
}


def park_nodes(network: Network) -> pd.DataFrame:
    """The park nodes of the network (``kind == "park"``)."""
    return network.nodes[network.nodes["kind"] == "park"].reset_index(drop=True)


def attach_points(network: Network, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Nearest network node (row index) of each point and the access time in hours."""
    nodes = network.nodes
    xy = nodes[["lon", "lat"]].to_numpy(float)
    tree = cKDTree(to_km_plane(xy[:, 0], xy[:, 1]))
    d, i = tree.query(to_km_plane(lon, lat))
    p = network.params
    return np.asarray(i, np.int64), np.asarray(d, float) * p.detour["road"] / p.connector_speed_kmh


def _times_from(network: Network, sources: Sequence[int], cargo: str, *, road_only: bool = False) -> FloatArray:
    """Least-time matrix (sources × all nodes), hours."""
    g = compile_graph(network, cargo)
    if road_only:
        mask = g.arc_mode == 0
        w = np.maximum(g.arc_time[mask], 1e-9)
        m = sp.csr_matrix((w, (g.arc_from[mask], g.arc_to[mask])), shape=(g.n_vertices, g.n_vertices))
    else:
        m = g.matrix("time")
    if not len(sources):
        return np.zeros((0, len(network.nodes)))
    dist = dijkstra(m, directed=True, indices=g.road_vertex[np.asarray(sources, np.int64)])
    return np.asarray(dist, float)[:, g.road_vertex]


@dataclass(frozen=True, eq=False)
class Accessibility:
    """Accessibility table of parks (one row per park) with intermediate tables in ``explain``."""

    table: pd.DataFrame
    cargo: str
    thresholds_h: tuple[float, ...]
    half_life_h: float
    explain: Mapping[str, pd.DataFrame] = field(default_factory=dict, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The accessibility table."""
        return self.table.copy()


def _firm_arrays(network: Network, firms: pd.DataFrame | None) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    if firms is None or len(firms) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    for col in ("lon", "lat"):
        if col not in firms.columns:
            raise ValidationError.single("firms", "required column is missing", column=col)
    lon = pd.to_numeric(firms["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(firms["lat"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = (pd.to_numeric(firms["output_cny_m"], errors="coerce").fillna(0.0).to_numpy(float)
           if "output_cny_m" in firms.columns else np.ones(len(firms)))
    node, access = attach_points(network, lon[ok], lat[ok])
    return node, access, out[ok]


def accessibility(
    network: Network,
    *,
    firms: pd.DataFrame | None = None,
    cargo: str = REFERENCE_CARGO,
    thresholds_h: Sequence[float] = (1.0, 2.0, 4.0),
    half_life_h: float = 1.0,
    cores: Mapping[str, tuple[str, str, float, float]] = POLAR_CORES,
) -> Accessibility:
    """Accessibility of every park (see the module docstring); times in hours, output in million CNY.

    ``firms`` needs ``lon``, ``lat`` and optionally ``output_cny_m`` (counted as 1 each
    when absent). Unreachable targets give ``inf`` times and contribute nothing.
    """
    check_cargo(cargo)
    if half_life_h <= 0:
        raise ValueError("half_life_h must be positive")
    parks = park_nodes(network)
    index = network.node_index()
    pidx = [index[str(n)] for n in parks["node_id"]]
    times = _times_from(network, pidx, cargo)
    table = parks[["node_id", "name_zh", "name_en", "adcode"]].copy()
    table.insert(1, "park_id", parks["node_id"].astype(str).str.removeprefix("park."))
    nodes = network.nodes
    candidates = nodes[~nodes["kind"].isin(["junction"])]
    cxy = candidates[["lon", "lat"]].to_numpy(float)
    core_rows = []
    for key, (zh, en, lon, lat) in cores.items():
        d = haversine_km(lon, lat, cxy[:, 0], cxy[:, 1])
        ci = int(candidates.index[int(np.argmin(d))])
        table[f"time_core_{key}_h"] = times[:, ci]
        core_rows.append({"core": key, "name_zh": zh, "name_en": en, "node_id": nodes.at[ci, "node_id"],
                          "snap_km": float(d.min())})
    kinds = nodes["kind"].to_numpy()
    is_cbz = (nodes["park_kind"].astype(object).eq("cbz").to_numpy(bool)
              if "park_kind" in nodes.columns else np.zeros(len(nodes), bool))
    hub_rows = []
    for kind in HUB_KINDS:
        cols = np.flatnonzero((kinds == kind) | (is_cbz if kind == "bonded_zone" else False))
        if len(cols) == 0:
            table[f"nearest_{kind}"] = None
            table[f"time_{kind}_h"] = np.inf
            continue
        sub = times[:, cols]
        j = np.argmin(sub, axis=1)
        table[f"nearest_{kind}"] = nodes["node_id"].to_numpy()[cols[j]]
        table[f"time_{kind}_h"] = sub[np.arange(len(sub)), j]
        hub_rows.append({"kind": kind, "name_zh": HUB_KINDS[kind][0], "name_en": HUB_KINDS[kind][1], "hubs": len(cols)})
    fnode, faccess, fout = _firm_arrays(network, firms)
    beta = math.log(2.0) / half_life_h
    if len(fnode):
        order = np.argsort(fnode, kind="stable")
        fnode, faccess, fout = fnode[order], faccess[order], fout[order]
    gravity = np.zeros(len(parks))
    counts = {h: np.zeros(len(parks), np.int64) for h in thresholds_h}
    output = {h: np.zeros(len(parks)) for h in thresholds_h}
    for i in range(len(parks)):
        if not len(fnode):
            break
        t = times[i, fnode] + faccess
        gravity[i] = float(np.sum(fout * np.exp(-beta * t)))
        for h in thresholds_h:
            within = t <= h
            counts[h][i] = int(within.sum())
            output[h][i] = float(fout[within].sum())
    for h in thresholds_h:
        table[f"firms_within_{h:g}h"] = counts[h]
        table[f"output_within_{h:g}h_cny_m"] = output[h]
    table["gravity_access"] = gravity
    explain = {
        "cores": pd.DataFrame(core_rows),
        "hub_kinds": pd.DataFrame(hub_rows),
        "firm_attachment": pd.DataFrame({"node": nodes["node_id"].to_numpy()[fnode] if len(fnode) else [],
                                         "access_h": faccess, "output_cny_m": fout}),
    }
    return Accessibility(table.reset_index(drop=True), cargo, tuple(float(h) for h in thresholds_h), half_life_h, explain)


@dataclass(frozen=True, eq=False)
class NodeAreas:
    """Transport-node-area classification of parks with the evidence for each verdict."""

    table: pd.DataFrame
    threshold_h: float
    explain: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per park: verdict, nearest multimodal hub, road time, km, hubs within, declared."""
        return self.table.copy()


def classify_transport_nodes(
    network: Network,
    *,
    parks: pd.DataFrame | None = None,
    threshold_h: float | None = None,
) -> NodeAreas:
    """Classify parks as transport-node areas: a rail/water/air hub within ``threshold_h`` by road.

    ``threshold_h`` defaults to ``Parameters.transport_node_threshold_h`` (0.5 h). When the
    parks table (``PARKS`` schema) is given, its declared ``area_types`` are compared with
    the verdict (column ``agrees_with_declared``).
    """
    th = network.params.transport_node_threshold_h if threshold_h is None else float(threshold_h)
    pk = park_nodes(network)
    nodes = network.nodes
    multimodal = np.array([bool(set(split_modes(m)) & {"rail", "water", "air"}) for m in nodes["modes"]], bool)
    hubs = np.flatnonzero(multimodal)
    index = network.node_index()
    pidx = [index[str(n)] for n in pk["node_id"]]
    times = _times_from(network, pidx, REFERENCE_CARGO, road_only=True)
    table = pk[["node_id", "name_zh", "name_en"]].copy()
    table.insert(1, "park_id", pk["node_id"].astype(str).str.removeprefix("park."))
    if len(hubs) and len(pk):
        sub = times[:, hubs]
        j = np.argmin(sub, axis=1)
        near = hubs[j]
        t = sub[np.arange(len(sub)), j]
        table["transport_node"] = t <= th
        table["hub_id"] = nodes["node_id"].to_numpy()[near]
        table["hub_name_zh"] = nodes["name_zh"].to_numpy()[near]
        table["hub_name_en"] = nodes["name_en"].to_numpy()[near]
        table["hub_kind"] = nodes["kind"].to_numpy()[near]
        table["hub_modes"] = nodes["modes"].to_numpy()[near]
        table["road_time_h"] = t
        table["straight_km"] = haversine_km(pk["lon"], pk["lat"], nodes["lon"].to_numpy(float)[near], nodes["lat"].to_numpy(float)[near])
        table["hubs_within"] = (sub <= th).sum(axis=1)
    else:
        table["transport_node"] = False
        for col in ("hub_id", "hub_name_zh", "hub_name_en", "hub_kind", "hub_modes"):
            table[col] = None
        table["road_time_h"] = np.inf
        table["straight_km"] = np.inf
        table["hubs_within"] = 0
    table["threshold_h"] = th
    if parks is not None and "area_types" in parks.columns:
        declared = dict(zip(parks["park_id"].astype(str),
                            parks["area_types"].map(lambda v: "transport_node" in split_modes(v)), strict=True))
        table["declared_transport_node"] = table["park_id"].map(declared).astype("boolean")
        table["agrees_with_declared"] = table["declared_transport_node"] == table["transport_node"]
    return NodeAreas(table.reset_index(drop=True), th, {"multimodal_hubs": nodes.iloc[hubs][["node_id", "name_zh", "name_en", "kind", "modes"]]})
