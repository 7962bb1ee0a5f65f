"""Accessibility and transport-node areas on a hand-made network (times computed by hand)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from parklink.logistics.access import accessibility, classify_transport_nodes
from parklink.logistics.network import Network


def _net(mk: SimpleNamespace) -> Network:
    # core C — 1 h — park P1 — 0.2 h — airport H ; P1 — 2.5 h — park P2 (all road)
    nodes = [mk.node("c", 104.0, 30.0), mk.node("park.p1", 104.5, 30.0, kind="park"),
             mk.node("park.p2", 105.5, 30.0, kind="park"),
             mk.node("h", 104.6, 30.0, kind="airport", modes="road;air")]
    links = [mk.link("c1", "c", "park.p1", "road", 60.0, 1.0, 27.0),
             mk.link("1h", "park.p1", "h", "road", 12.0, 0.2, 5.4),
             mk.link("12", "park.p1", "park.p2", "road", 150.0, 2.5, 67.5)]
    return Network.from_frames(*mk.frames(nodes, links))


def test_times_opportunities_and_gravity(mk: SimpleNamespace) -> None:
    net = _net(mk)
    # firms exactly on nodes (no access leg): 10 at the core, 5 at P2
    firms = pd.DataFrame({"lon": [104.0, 105.5], "lat": [30.0, 30.0], "output_cny_m": [10.0, 5.0]})
    acc = accessibility(net, firms=firms, cores={"core": ("核心", "core", 104.0, 30.0)}).table.set_index("park_id")
    assert acc.loc["p1", "time_core_core_h"] == pytest.approx(1.0)
    assert acc.loc["p2", "time_core_core_h"] == pytest.approx(3.5)
    assert acc.loc["p1", "nearest_airport"] == "h" and acc.loc["p1", "time_airport_h"] == pytest.approx(0.2)
    assert acc.loc["p2", "time_airport_h"] == pytest.approx(2.7)
    assert np.isinf(acc.loc["p1", "time_rail_port_h"])
    # P1: core at 1 h, P2 at 2.5 h -> within 1 h: 10; within 2 h: 10; within 4 h: 15
    assert acc.loc["p1", ["output_within_1h_cny_m", "output_within_2h_cny_m", "output_within_4h_cny_m"]].tolist() == [10, 10, 15]
    assert acc.loc["p2", ["firms_within_1h", "firms_within_2h", "firms_within_4h"]].tolist() == [1, 1, 2]
    beta = math.log(2)
    assert acc.loc["p1", "gravity_access"] == pytest.approx(10 * math.exp(-beta * 1.0) + 5 * math.exp(-beta * 2.5))
    assert acc.loc["p2", "gravity_access"] == pytest.approx(10 * math.exp(-beta * 3.5) + 5.0)


def test_transport_node_classification_with_evidence(mk: SimpleNamespace) -> None:
    net = _net(mk)
    parks = pd.DataFrame({"park_id": ["p1", "p2"], "area_types": ["transport_node", "adjacent"]})
    t = classify_transport_nodes(net, parks=parks).table.set_index("park_id")
    assert bool(t.loc["p1", "transport_node"]) and not bool(t.loc["p2", "transport_node"])
    assert t.loc["p1", "hub_id"] == "h" and t.loc["p1", "road_time_h"] == pytest.approx(0.2)
    assert t.loc["p2", "road_time_h"] == pytest.approx(2.7)
    assert t["agrees_with_declared"].all()
    loose = classify_transport_nodes(net, threshold_h=3.0).table
    assert loose["transport_node"].all()


def test_full_table_on_chengyu(chengyu_network: Network) -> None:
    acc = accessibility(chengyu_network).table
    assert len(acc) == int((chengyu_network.nodes["kind"] == "park").sum())
    assert (acc["time_core_chongqing_h"] > 0).all() and np.isfinite(acc["time_core_chengdu_h"]).all()
