"""Invariants of OD matrices on the embedded-dataset network; the scenario cache."""

from __future__ import annotations

import numpy as np
import pytest

from parklink.logistics.network import Network
from parklink.logistics.routing import od_matrix, reachability, route, travel_times


@pytest.mark.parametrize(("cargo", "weight"), [("bulk", "gc"), ("electronics", "gc"), ("container", "time")])
def test_triangle_inequality(chengyu_network: Network, cargo: str, weight: str) -> None:
    d = od_matrix(chengyu_network, cargo=cargo, weight=weight, cache=False).values
    assert np.isfinite(d).all()
    assert np.allclose(np.diag(d), 0.0)
    for j in range(d.shape[0]):
        assert (d <= d[:, [j]] + d[[j], :] + 1e-9).all()


def test_symmetric_where_links_are_bidirectional(chengyu_network: Network) -> None:
    no_water = Network.from_frames(chengyu_network.nodes, chengyu_network.links[chengyu_network.links["mode"] != "water"])
    assert no_water.links["bidirectional"].all()
    d = od_matrix(no_water, cargo="container", cache=False).values
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    # the waterway is directed (barges are slower upstream): the bulk generalised cost is not symmetric
    w = od_matrix(chengyu_network, ["port.yibin"], ["port.wanzhou-xintian"], cargo="bulk", weight="gc", cache=False)
    back = od_matrix(chengyu_network, ["port.wanzhou-xintian"], ["port.yibin"], cargo="bulk", weight="gc", cache=False)
    assert route(chengyu_network, "port.yibin", "port.wanzhou-xintian", cargo="bulk").modes == ("water",)
    assert w.values[0, 0] < back.values[0, 0]


def test_od_cache_per_scenario(chengyu_network: Network) -> None:
    first = od_matrix(chengyu_network, cargo="container")
    again = od_matrix(chengyu_network, cargo="container")
    assert first.explain["cache"] == "miss" and again.explain["cache"] == "hit"
    np.testing.assert_array_equal(first.values, again.values)
    slower = Network.from_frames(chengyu_network.nodes, chengyu_network.links,
                                 params=chengyu_network.params.replace(carrying_rate_per_year=0.4))
    other = od_matrix(slower, cargo="container")
    assert other.cache_path != first.cache_path and other.explain["cache"] == "miss"
    assert (other.values >= first.values - 1e-9).all()


def test_travel_times_and_reachability_agree(chengyu_network: Network) -> None:
    parks = chengyu_network.nodes.loc[chengyu_network.nodes["kind"] == "park", "node_id"].tolist()
    tt = travel_times(chengyu_network, parks[:1], parks).values[0]
    reach = reachability(chengyu_network, parks[0], hours=(1.0, 2.0, 4.0))
    got = reach.nodes.set_index("node_id")["time_h"]
    for p, t in zip(parks, tt, strict=True):
        if t <= 4.0:
            assert got[p] == pytest.approx(t)
        else:
            assert p not in got.index
    gj = reach.to_geojson()
    assert [f["properties"]["hours"] for f in gj["features"]] == [1.0, 2.0, 4.0]
    counts = [f["properties"]["n_nodes"] for f in gj["features"]]
    assert counts == sorted(counts)
