"""Benchmark: the full accessibility table for all parks (embedded dataset, synthetic firms).

Ours: ``accessibility(network, firms=...)`` — per park: time to the two polar cores, to the
nearest hub of each kind, firms/output within 1/2/4 h and gravity accessibility, timed cold
(fresh Network object, so the graph is compiled inside the timing). Baseline: the same table
with networkx ``single_source_dijkstra_path_length`` from each park on the same arcs and a
per-firm Python loop, as a straightforward implementation would do. Values are checked equal.

    python bench/logistics_access.py [--firms 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import time

import networkx as nx
import numpy as np

from parklink.datasets import chengyu, synthetic
from parklink.logistics.access import accessibility, attach_points
from parklink.logistics.graph import compile_graph
from parklink.logistics.network import Network, build_network


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    regions, parks = chengyu.load("regions"), chengyu.load("parks")
    base = build_network(regions=regions, parks=parks, transport_nodes=chengyu.load("transport_nodes"),
                         boundaries=chengyu.boundaries())
    firms = synthetic.generate_firms(regions, chengyu.load("chain_segments"), n_firms=args.firms,
                                     seed=args.seed, parks=parks)
    firms = firms[firms["province"] != "OUT"]
    net = Network(base.nodes, base.links, base.params)
    t0, c0 = time.perf_counter(), time.process_time()
    acc = accessibility(net, firms=firms).table
    ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"ours: {len(acc)} parks × {len(firms):,} firms: {ours:.3f} s wall, {ours_cpu:.3f} s CPU (target < 1 s)")

    t0 = time.perf_counter()
    g = compile_graph(Network(base.nodes, base.links, base.params), "container")
    best = g.best_arcs("time")
    ref = nx.DiGraph()
    ref.add_weighted_edges_from(zip(g.arc_from[best].tolist(), g.arc_to[best].tolist(),
                                    np.maximum(g.arc_time[best], 1e-9).tolist(), strict=True))
    node_of, access = attach_points(net, firms["lon"].to_numpy(float), firms["lat"].to_numpy(float))
    out = firms["output_cny_m"].fillna(0.0).to_numpy(float)
    index = net.node_index()
    rv = g.road_vertex.tolist()
    gravity = []
    within4 = []
    for pid in acc["node_id"]:
        lengths = nx.single_source_dijkstra_path_length(ref, rv[index[pid]], weight="weight")
        gsum = 0.0
        w4 = 0.0
        for n, a, o in zip(node_of.tolist(), access.tolist(), out.tolist(), strict=True):
            t = lengths.get(rv[n], math.inf) + a
            gsum += o * math.exp(-math.log(2) * t)
            if t <= 4.0:
                w4 += o
        gravity.append(gsum)
        within4.append(w4)
    baseline = time.perf_counter() - t0
    assert np.allclose(gravity, acc["gravity_access"], rtol=1e-9)
    assert np.allclose(within4, acc["output_within_4h_cny_m"], rtol=1e-9)
    print(f"networkx + Python loop (gravity and 4 h output only): {baseline:.3f} s")
    print(f"vs networkx: {baseline / ours:.1f}x")


if __name__ == "__main__":
    main()
