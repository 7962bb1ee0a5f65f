"""The point-to-point adapter agrees with node travel times plus the access legs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parklink.logistics.network import Network
from parklink.logistics.routing import travel_times
from parklink.logistics.skim import network_travel_time
from parklink.testing import tiny_registry


def tiny_network() -> Network:
    frames = tiny_registry()
    nodes = frames["transport_nodes"].copy()
    links = frames["transport_links"].copy()
    return Network.from_frames(nodes, links)


def test_points_on_nodes_equal_node_times() -> None:
    net = tiny_network()
    f = network_travel_time(net)
    pts = net.nodes[["lon", "lat"]].to_numpy(float)
    got = f(pts, pts)
    want = travel_times(net, list(net.nodes["node_id"]), list(net.nodes["node_id"])).values
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert got.shape == (2, 2) and np.all(np.diag(got) == 0)


def test_access_leg_added_and_symmetric() -> None:
    net = tiny_network()
    f = network_travel_time(net)
    nodes = net.nodes.set_index("node_id")
    a = nodes.loc[["rail-cd"], ["lon", "lat"]].to_numpy(float) + np.array([[0.05, 0.0]])
    b = nodes.loc[["air-ckg"], ["lon", "lat"]].to_numpy(float)
    t_ab = f(a, b)[0, 0]
    base = travel_times(net, ["rail-cd"], ["air-ckg"]).values[0, 0]
    # 0.05 degrees of longitude at ~30.8 N is ~4.78 km; detour 1.3 at the connector speed
    km = 6371.0088 * np.radians(0.05) * np.cos(np.radians(30.79))
    expected = base + km * net.params.detour["road"] / net.params.connector_speed_kmh
    assert abs(t_ab - expected) < 0.01
    assert isinstance(pd.DataFrame(f(a, b)), pd.DataFrame)
