"""Shortest paths agree with networkx (independent Dijkstra) on random graphs and on our network."""

from __future__ import annotations

from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from parklink.logistics.graph import compile_graph, contract_degree_two
from parklink.logistics.network import Network
from parklink.logistics.routing import many_to_many, od_matrix, route


@st.composite
def road_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float, float, bool]]]:
    n = draw(st.integers(3, 14))
    m = draw(st.integers(2, 30))
    edges = []
    for _ in range(m):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(0, n - 1).filter(lambda x, a=a: x != a))
        km = draw(st.floats(0.5, 300.0))
        hours = draw(st.floats(0.01, 10.0))
        edges.append((a, b, km, hours, draw(st.booleans())))
    return n, edges


def _network(mk: SimpleNamespace, n: int, edges: list[tuple[int, int, float, float, bool]]) -> Network:
    nodes = [mk.node(f"n{i}", 104.0 + 0.1 * i, 30.0, kind="park" if i % 2 else "seat") for i in range(n)]
    links = [mk.link(f"l{k}", f"n{a}", f"n{b}", "road", km, h, 0.45 * km, bidirectional=bi)
             for k, (a, b, km, h, bi) in enumerate(edges)]
    return Network.from_frames(*mk.frames(nodes, links))


@settings(max_examples=25, deadline=None)
@given(road_graphs(), st.sampled_from(["bulk", "container", "electronics", "vehicles"]))
def test_od_equals_networkx_on_random_road_graphs(
    mk: SimpleNamespace, graph: tuple[int, list[tuple[int, int, float, float, bool]]], cargo: str
) -> None:
    n, edges = graph
    net = _network(mk, n, edges)
    vot = net.params.value_of_time(cargo)
    factor = net.params.cost_factor("road", cargo)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b, km, h, bi in edges:
        w = 0.45 * km * factor + vot * h
        for u, v in ([(a, b), (b, a)] if bi else [(a, b)]):
            if not g.has_edge(u, v) or g[u][v]["w"] > w:
                g.add_edge(u, v, w=w)
    ids = [f"n{i}" for i in range(n)]
    values, _ = many_to_many(net, ids, ids, cargo=cargo, weight="gc")
    for i in range(n):
        ref = nx.single_source_dijkstra_path_length(g, i, weight="w")
        for j in range(n):
            expected = ref.get(j, np.inf)
            assert values[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-6)


@st.composite
def chain_graphs(draw: st.DrawFn) -> tuple[sp.csr_matrix, np.ndarray]:
    """Random sparse graphs with long degree-2 chains (symmetric) and some directed arcs."""
    n = draw(st.integers(4, 40))
    rows, cols, data = [], [], []
    for i in range(n - 1):  # a path 0-1-2-...: many degree-2 vertices
        w = draw(st.floats(0.1, 10.0))
        rows += [i, i + 1]
        cols += [i + 1, i]
        data += [w, w]
    for _ in range(draw(st.integers(0, 8))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            rows.append(a)
            cols.append(b)
            data.append(draw(st.floats(0.1, 10.0)))
    keep = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    m = sp.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()
    m.sum_duplicates()
    return m.tocsr(), keep


@settings(max_examples=40, deadline=None)
@given(chain_graphs())
def test_contraction_preserves_distances(case: tuple[sp.csr_matrix, np.ndarray]) -> None:
    m, keep = case
    g = nx.DiGraph()
    coo = m.tocoo()
    g.add_nodes_from(range(m.shape[0]))
    for a, b, w in zip(coo.row, coo.col, coo.data, strict=True):
        g.add_edge(int(a), int(b), w=float(w))
    reduced, kept = contract_degree_two(m, keep)
    assert set(np.flatnonzero(keep)) <= set(kept.tolist())
    dist = dijkstra(reduced, directed=True)
    for i, u in enumerate(kept):
        ref = nx.single_source_dijkstra_path_length(g, int(u), weight="w")
        for j, v in enumerate(kept):
            assert dist[i, j] == pytest.approx(ref.get(int(v), np.inf), rel=1e-9)


@pytest.mark.parametrize("cargo", ["bulk", "electronics"])
def test_od_equals_networkx_on_chengyu_network(chengyu_network: Network, cargo: str) -> None:
    g = compile_graph(chengyu_network, cargo)
    ref = nx.DiGraph()
    for a, b, w in zip(g.arc_from, g.arc_to, g.arc_gc, strict=True):
        if not ref.has_edge(int(a), int(b)) or ref[int(a)][int(b)]["w"] > w:
            ref.add_edge(int(a), int(b), w=float(w))
    parks = chengyu_network.nodes.loc[chengyu_network.nodes["kind"] == "park", "node_id"].tolist()[:12]
    od = od_matrix(chengyu_network, parks, parks, cargo=cargo, cache=False)
    index = chengyu_network.node_index()
    for i, o in enumerate(parks):
        lengths = nx.single_source_dijkstra_path_length(ref, int(g.road_vertex[index[o]]), weight="w")
        for j, d in enumerate(parks):
            assert od.values[i, j] == pytest.approx(lengths[int(g.road_vertex[index[d]])], rel=1e-9)


def test_route_cost_equals_od_and_sums_its_legs(chengyu_network: Network) -> None:
    r = route(chengyu_network, "cq-rongchang-htz", "port.yibin", cargo="bulk")
    od = od_matrix(chengyu_network, [r.origin], [r.destination], cargo="bulk", cache=False)
    assert r.gc_cny_per_t == pytest.approx(float(od.values[0, 0]), rel=1e-9)
    assert r.gc_cny_per_t == pytest.approx(r.money_cny_per_t + chengyu_network.params.value_of_time("bulk") * r.time_h)
    assert r.legs["from_node"].iloc[0] == r.origin and r.legs["to_node"].iloc[-1] == r.destination
    assert (r.legs["from_node"].iloc[1:].to_numpy() == r.legs["to_node"].iloc[:-1].to_numpy()).all()
    gj = r.to_geojson()
    assert gj["type"] == "FeatureCollection" and all(f["geometry"]["type"] == "LineString" for f in gj["features"])


@pytest.mark.slow
def test_densified_network_matches_networkx(chengyu_network: Network) -> None:
    """The benchmark network (≥ 50k links): contracted OD equals networkx on sampled sources."""
    from parklink.logistics.network import densify_with_local_roads

    dense = densify_with_local_roads(chengyu_network, seed=1)
    assert len(dense.links) >= 50_000
    nodes = dense.nodes
    pts = nodes.loc[nodes["node_id"].str.startswith("junction."), "node_id"].tolist()[::50]
    pts += nodes.loc[nodes["kind"] == "park", "node_id"].tolist()
    values, info = many_to_many(dense, pts, pts, cargo="vehicles", weight="gc")
    assert info["vertices_contracted"] < info["vertices"] / 5
    g = compile_graph(dense, "vehicles")
    ref = nx.DiGraph()
    best = g.best_arcs("gc")
    ref.add_weighted_edges_from(zip(g.arc_from[best].tolist(), g.arc_to[best].tolist(), g.arc_gc[best].tolist(), strict=True))
    index = dense.node_index()
    verts = [int(g.road_vertex[index[p]]) for p in pts]
    for i in range(0, len(pts), 25):
        lengths = nx.single_source_dijkstra_path_length(ref, verts[i], weight="weight")
        np.testing.assert_allclose(values[i], [lengths.get(v, np.inf) for v in verts], rtol=1e-9)
