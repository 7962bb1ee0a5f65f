"""Compile a :class:`~parklink.logistics.network.Network` into a layered sparse graph per cargo.

Each physical node gets one vertex per mode it touches (road always; rail, water, air
where a link of that mode ends or the node serves the mode), so a change of mode is an
explicit *transfer arc* with handling time and cost — the standard multimodal
super-network construction (Sheffi 1985, *Urban Transportation Networks*, §1.3; the
freight variants in Southworth & Peterson 2000, *Transportation Research C* 8:147–166).
Transfers exist only at nodes serving two or more modes (terminals); a seat on a rail
line is a pass-through rail vertex.

Arc weights: ``money`` (CNY/t), ``time`` (h), ``km`` and the generalised cost
``gc = money + VoT(cargo) × time`` (CNY/t). Shortest paths are computed by
``scipy.sparse.csgraph.dijkstra`` (C-backed) on CSR matrices; parallel arcs keep the
cheapest. :func:`contract_degree_two` removes interstitial vertices exactly before
many-to-many searches (the "simplification" of OSMnx, Boeing 2017, *CEUS* 65:126–139).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from parklink.logistics.netcore import iter_rows
from parklink.logistics.network import Network, split_modes
from parklink.logistics.params import REFERENCE_CARGO, check_cargo

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Weight = Literal["gc", "time", "money", "km"]
WEIGHTS: tuple[str, ...] = ("gc", "time", "money", "km")
MODES: tuple[str, ...] = ("road", "rail", "water", "air", "transfer")
TRANSFER = 4
EPS = 1e-9


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """The layered graph of one network for one cargo profile (arrays indexed by arc / vertex)."""

    cargo: str
    n_vertices: int
    vertex_node: IntArray
    vertex_mode: IntArray
    road_vertex: IntArray
    arc_from: IntArray
    arc_to: IntArray
    arc_mode: IntArray
    arc_link: IntArray
    arc_km: FloatArray
    arc_time: FloatArray
    arc_money: FloatArray
    arc_gc: FloatArray

    def weights(self, weight: str) -> FloatArray:
        """The arc weight array called ``weight`` (gc, time, money or km)."""
        if weight not in WEIGHTS:
            raise ValueError(f"unknown weight {weight!r}; expected one of {', '.join(WEIGHTS)}")
        w: FloatArray = {"gc": self.arc_gc, "time": self.arc_time, "money": self.arc_money, "km": self.arc_km}[weight]
        return w

    def best_arcs(self, weight: str) -> IntArray:
        """For every distinct (from, to) pair the index of its cheapest arc by ``weight``."""
        w = np.maximum(self.weights(weight), EPS)
        order = np.lexsort((w, self.arc_to, self.arc_from))
        f, t = self.arc_from[order], self.arc_to[order]
        first = np.ones(len(order), bool)
        first[1:] = (f[1:] != f[:-1]) | (t[1:] != t[:-1])
        return np.asarray(order[first], np.int64)

    def matrix(self, weight: str) -> sp.csr_matrix:
        """CSR adjacency matrix of ``weight`` (parallel arcs: the cheapest; weights ≥ 1e-9)."""
        best = self.best_arcs(weight)
        w = np.maximum(self.weights(weight)[best], EPS)
        return sp.csr_matrix((w, (self.arc_from[best], self.arc_to[best])), shape=(self.n_vertices, self.n_vertices))

    def arcs_frame(self) -> pd.DataFrame:
        """All arcs with their attributes (the ``explain`` view of the compiled graph)."""
        return pd.DataFrame({
            "from_vertex": self.arc_from, "to_vertex": self.arc_to,
            "mode": np.asarray(MODES, dtype=object)[self.arc_mode], "link": self.arc_link,
            "km": self.arc_km, "time_h": self.arc_time, "money_cny_per_t": self.arc_money,
            "gc_cny_per_t": self.arc_gc,
        })


def compile_graph(network: Network, cargo: str = REFERENCE_CARGO) -> CompiledGraph:
    """The layered graph of ``network`` for ``cargo`` (cached on the network object)."""
    check_cargo(cargo)
    key = f"graph:{cargo}"
    cached = network._cache.get(key)
    if isinstance(cached, CompiledGraph):
        return cached
    g = _compile(network, cargo)
    network._cache[key] = g
    return g


def _compile(network: Network, cargo: str) -> CompiledGraph:
    p = network.params
    nodes, links = network.nodes, network.links
    n = len(nodes)
    index = network.node_index()
    node_ids = pd.Index(nodes["node_id"].astype(str))
    vot = p.value_of_time(cargo)
    mode_code = {m: i for i, m in enumerate(MODES)}
    by_text: dict[str, frozenset[int]] = {}
    mode_text = nodes["modes"].astype(object).where(nodes["modes"].notna(), "").astype(str)
    for text in mode_text.unique().tolist():
        by_text[text] = frozenset({0} | {mode_code[m] for m in split_modes(text)
                                         if m in mode_code and m != "transfer" and p.carries(m, cargo)})
    served: list[frozenset[int]] = [by_text[t] for t in mode_text.tolist()]
    serve_mask = np.zeros((n, 4), bool)
    for text, codes in by_text.items():
        rows = (mode_text == text).to_numpy(bool)
        for c in codes:
            serve_mask[rows, c] = True

    allowed = [m for m in MODES if p.carries(m, cargo)]
    lk = links[links["mode"].isin(allowed).to_numpy(bool)]
    travel = lk[lk["mode"] != "transfer"]
    f = node_ids.get_indexer(pd.Index(travel["from_node"].astype(str))).astype(np.int64)
    t = node_ids.get_indexer(pd.Index(travel["to_node"].astype(str))).astype(np.int64)
    m = travel["mode"].map(mode_code).to_numpy(np.int64)
    node_keys = [np.flatnonzero(serve_mask[:, c]).astype(np.int64) * 8 + c for c in range(4)]
    uniq = np.unique(np.concatenate([f * 8 + m, t * 8 + m, *node_keys]))

    def vid(key: int) -> int:
        return int(np.searchsorted(uniq, key))

    vertex_node = (uniq // 8).astype(np.int64)
    vertex_mode = (uniq % 8).astype(np.int64)
    road_vertex = np.searchsorted(uniq, np.arange(n, dtype=np.int64) * 8)
    fv = np.searchsorted(uniq, f * 8 + m)
    tv = np.searchsorted(uniq, t * 8 + m)
    factors = {mode: p.cost_factor(mode, cargo) for mode in allowed}
    factor = travel["mode"].map(factors).to_numpy(float)
    money = travel["cost_cny_per_t"].to_numpy(float) * factor
    km = travel["distance_km"].to_numpy(float)
    hours = travel["time_h"].to_numpy(float)
    link_pos = np.asarray(travel.index.to_numpy(), np.int64)
    bi = travel["bidirectional"].to_numpy(bool)
    parts_from = [fv, tv[bi]]
    parts_to = [tv, fv[bi]]
    parts_mode = [m, m[bi]]
    parts_link = [link_pos, link_pos[bi]]
    parts_km = [km, km[bi]]
    parts_time = [hours, hours[bi]]
    parts_money = [money, money[bi]]

    # transfers: overrides from explicit same-node transfer links, connectors between nodes
    tr = lk[lk["mode"] == "transfer"]
    hf = p.handling_factor.get(cargo, 1.0) / p.handling_factor.get(REFERENCE_CARGO, 1.0)
    override: dict[int, tuple[float, float, int]] = {}
    tf: list[int] = []
    tt: list[int] = []
    tl: list[int] = []
    th: list[float] = []
    tc: list[float] = []
    for row in iter_rows(tr):
        a, b = index[str(row.from_node)], index[str(row.to_node)]
        if a == b:
            override[a] = (float(row.time_h), float(row.cost_cny_per_t) * hf, int(row.Index))
            continue
        for x in served[a]:
            for y in served[b]:
                pairs = [(a, x, b, y)] + ([(b, y, a, x)] if bool(row.bidirectional) else [])
                for u, mu, v, mv in pairs:
                    tf.append(vid(u * 8 + mu))
                    tt.append(vid(v * 8 + mv))
                    tl.append(int(row.Index))
                    th.append(float(row.time_h))
                    tc.append(float(row.cost_cny_per_t) * hf)
    multi = np.flatnonzero(serve_mask.sum(axis=1) >= 2)
    present = set(uniq[np.isin(uniq // 8, multi)].tolist())
    for i in multi.tolist():
        layers = [x for x in sorted(served[i]) if i * 8 + x in present]
        if len(layers) < 2:
            continue
        for x in layers:
            for y in layers:
                if x == y:
                    continue
                if i in override:
                    hours_xy, cost_xy, link_xy = override[i]
                else:
                    hours_xy, cost_xy = p.handling(MODES[x], MODES[y], cargo)
                    link_xy = -1
                tf.append(vid(i * 8 + x))
                tt.append(vid(i * 8 + y))
                tl.append(link_xy)
                th.append(hours_xy)
                tc.append(cost_xy)
    parts_from.append(np.asarray(tf, np.int64))
    parts_to.append(np.asarray(tt, np.int64))
    parts_mode.append(np.full(len(tf), TRANSFER, np.int64))
    parts_link.append(np.asarray(tl, np.int64))
    parts_km.append(np.zeros(len(tf)))
    parts_time.append(np.asarray(th, float))
    parts_money.append(np.asarray(tc, float))

    arc_time = np.concatenate(parts_time)
    arc_money = np.concatenate(parts_money)
    return CompiledGraph(
        cargo=cargo,
        n_vertices=len(uniq),
        vertex_node=vertex_node,
        vertex_mode=vertex_mode,
        road_vertex=np.asarray(road_vertex, np.int64),
        arc_from=np.concatenate(parts_from).astype(np.int64),
        arc_to=np.concatenate(parts_to).astype(np.int64),
        arc_mode=np.concatenate(parts_mode).astype(np.int64),
        arc_link=np.concatenate(parts_link).astype(np.int64),
        arc_km=np.concatenate(parts_km).astype(float),
        arc_time=arc_time,
        arc_money=arc_money,
        arc_gc=arc_money + vot * arc_time,
    )


def contract_degree_two(matrix: sp.csr_matrix, keep: npt.NDArray[np.bool_]) -> tuple[sp.csr_matrix, IntArray]:
    """Remove interstitial vertices exactly: returns (reduced matrix, kept vertex ids).

    A vertex is removed when it is not in ``keep``, has exactly two neighbours and its
    arcs are symmetric (same weight both ways). Maximal chains of such vertices (the
    connected components they induce) are replaced by one arc each way between the two
    vertices bounding the chain, weighted by the chain's total; parallel arcs keep the
    minimum. Shortest-path distances between kept vertices are unchanged.
    """
    w = sp.csr_matrix(matrix)
    n = w.shape[0]
    wt = sp.csr_matrix(w.T)
    deg = np.diff(w.indptr)
    asym = (w != wt).tocsr()
    sym = np.diff(asym.indptr) == 0
    cand = (~np.asarray(keep, bool)) & (deg == 2) & (np.diff(wt.indptr) == 2) & sym
    if not cand.any():
        return w, np.arange(n, dtype=np.int64)
    cidx = np.flatnonzero(cand)
    inner = w[cidx][:, cidx]
    ncomp, labels = connected_components(inner, directed=False)
    upper = sp.triu(inner, k=1).tocoo()
    internal = np.bincount(labels[upper.row], weights=upper.data, minlength=ncomp)
    bnd = w[cidx][:, np.flatnonzero(~cand)].tocoo()
    outside = np.flatnonzero(~cand)
    comp_of = labels[bnd.row]
    order = np.argsort(comp_of, kind="stable")
    comp_sorted = comp_of[order]
    counts = np.bincount(comp_sorted, minlength=ncomp)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ok = counts == 2
    # components that are not simple chains keep their vertices
    drop = cand.copy()
    bad_comp = np.flatnonzero(~ok & (counts != 0))
    if len(bad_comp):
        drop[cidx[np.isin(labels, bad_comp)]] = False
    comps = np.flatnonzero(ok)
    first = order[starts[comps]]
    second = order[starts[comps] + 1]
    a = outside[bnd.col[first]]
    b = outside[bnd.col[second]]
    total = internal[comps] + bnd.data[first] + bnd.data[second]
    loop = a == b
    a, b, total = a[~loop], b[~loop], total[~loop]
    kept = np.flatnonzero(~drop)
    remap = np.full(n, -1, np.int64)
    remap[kept] = np.arange(len(kept))
    base = w[kept][:, kept].tocoo()
    rows = np.concatenate([base.row, remap[a], remap[b]])
    cols = np.concatenate([base.col, remap[b], remap[a]])
    data = np.concatenate([base.data, total, total])
    order2 = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order2], cols[order2], data[order2]
    firsts = np.ones(len(rows), bool)
    firsts[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    out = sp.csr_matrix((data[firsts], (rows[firsts], cols[firsts])), shape=(len(kept), len(kept)))
    return out, kept.astype(np.int64)
