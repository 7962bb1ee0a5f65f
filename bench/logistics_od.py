"""Benchmark: OD matrix 1,000 × 1,000 on the densified Chengdu–Chongqing network (≥ 50k links).

The approximate network built from the embedded dataset is densified with seeded synthetic
local roads (``densify_with_local_roads``). Ours: ``many_to_many`` (compile the layered
graph, exact degree-2 contraction, scipy.sparse.csgraph.dijkstra), timed cold. Baseline:
networkx ``single_source_dijkstra_path_length`` on the same arcs, timed on a sample of
sources and scaled linearly to 1,000 (per-source work is the same for every source);
``--baseline-sources 1000`` runs it in full. Values are checked equal on the sample.

    python bench/logistics_od.py [--baseline-sources 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np

from parklink.datasets import chengyu
from parklink.logistics.graph import compile_graph
from parklink.logistics.network import Network, build_network, densify_with_local_roads
from parklink.logistics.routing import many_to_many


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-sources", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    base = build_network(regions=chengyu.load("regions"), parks=chengyu.load("parks"),
                         transport_nodes=chengyu.load("transport_nodes"), boundaries=chengyu.boundaries())
    dense = densify_with_local_roads(base, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    nodes = dense.nodes
    fixed = nodes.loc[~nodes["kind"].isin(["junction"]), "node_id"].tolist()
    junctions = nodes.loc[nodes["node_id"].str.startswith("junction."), "node_id"].to_numpy()
    pts = fixed + rng.choice(junctions, args.n - len(fixed), replace=False).tolist()
    links = len(dense.links)
    print(f"network: {len(nodes):,} nodes, {links:,} links ({(dense.links['bidirectional'] + 1).sum():,} directed arcs)")

    # ours, cold: a fresh Network object so the compiled graph is not cached
    net = Network(dense.nodes, dense.links, dense.params)
    t0, c0 = time.perf_counter(), time.process_time()
    values, info = many_to_many(net, pts, pts, cargo="container", weight="gc")
    ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"ours (compile + contraction + scipy dijkstra): {ours:.3f} s wall, {ours_cpu:.3f} s CPU; "
          f"graph {info['vertices']:,} vertices / "
          f"{info['arcs']:,} arcs -> contracted {info['vertices_contracted']:,} / {info['arcs_contracted']:,}")
    net2 = Network(dense.nodes, dense.links, dense.params)
    t0 = time.perf_counter()
    values2, _ = many_to_many(net2, pts, pts, cargo="container", weight="gc", simplify=False)
    raw = time.perf_counter() - t0
    assert np.allclose(values, values2, rtol=1e-9)
    print(f"ours without contraction: {raw:.3f} s")

    g = compile_graph(net, "container")
    best = g.best_arcs("gc")
    t0 = time.perf_counter()
    ref = nx.DiGraph()
    ref.add_weighted_edges_from(zip(g.arc_from[best].tolist(), g.arc_to[best].tolist(),
                                    np.maximum(g.arc_gc[best], 1e-9).tolist(), strict=True))
    build = time.perf_counter() - t0
    index = net.node_index()
    verts = g.road_vertex[[index[p] for p in pts]].tolist()
    k = min(args.baseline_sources, len(pts))
    sample = rng.choice(len(pts), k, replace=False)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in sample:
        lengths = nx.single_source_dijkstra_path_length(ref, verts[i], weight="weight")
        row = np.array([lengths.get(v, np.inf) for v in verts])
        assert np.allclose(row, values[i], rtol=1e-9)
    per = (time.perf_counter() - t0) / k
    per_cpu = (time.process_time() - c0) / k
    baseline = build + per * len(pts)
    baseline_cpu = build + per_cpu * len(pts)
    print(f"networkx: build {build:.2f} s + {per * 1000:.1f} ms/source × {len(pts)} sources "
          f"(timed on {k}, scaled) = {baseline:.1f} s")
    print(f"OD {len(pts)} x {len(pts)} on {links:,} links: {ours:.3f} s wall, {ours_cpu:.3f} s CPU (target < 2 s)")
    print(f"vs networkx: {baseline / ours:.1f}x (wall); {baseline_cpu / ours_cpu:.1f}x (CPU)")
    print(f"vs ours without contraction: {raw / ours:.1f}x")


if __name__ == "__main__":
    main()
