"""Hand-checked multimodal cases: a transfer is taken exactly when it pays."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from parklink.logistics.network import Network
from parklink.logistics.params import Parameters
from parklink.logistics.routing import route

P = Parameters()


def _corridor(mk: SimpleNamespace, road_km: float, rail_km: float) -> Network:
    """A —road— B, and A —1 km— T1 ==rail== T2 —1 km— B (T1, T2 rail terminals)."""
    nodes = [mk.node("a", 104.0, 30.0), mk.node("b", 105.0, 30.0),
             mk.node("t1", 104.01, 30.0, kind="rail_port", modes="road;rail"),
             mk.node("t2", 104.99, 30.0, kind="rail_port", modes="road;rail")]
    links = [mk.link("ab", "a", "b", "road", road_km, road_km / 60.0, 0.45 * road_km),
             mk.link("a1", "a", "t1", "road", 1.0, 1.0 / 60.0, 0.45),
             mk.link("b2", "t2", "b", "road", 1.0, 1.0 / 60.0, 0.45),
             mk.link("r", "t1", "t2", "rail", rail_km, rail_km / 35.0, 0.155 * rail_km)]
    return Network.from_frames(*mk.frames(nodes, links), params=P)


def _hand_costs(cargo: str, road_km: float, rail_km: float) -> tuple[float, float]:
    """Generalised cost (CNY/t) of the all-road and the road–rail–road path, by hand."""
    vot = {"bulk": 500.0, "container": 20_000.0, "electronics": 2_000_000.0, "vehicles": 100_000.0}[cargo] * 0.20 / 8760
    if cargo == "electronics":
        vot += 2_000_000.0 * 0.01 / 168
    road_rate = {"bulk": 0.35, "container": 0.45, "electronics": 0.80, "vehicles": 0.60}[cargo]
    rail_rate = {"bulk": 0.10, "container": 0.155, "electronics": 0.25, "vehicles": 0.25}[cargo]
    handling = 25.0 * {"bulk": 0.6, "container": 1.0, "electronics": 1.5, "vehicles": 1.2}[cargo]
    all_road = road_rate * road_km + vot * road_km / 60.0
    access = 2 * (road_rate * 1.0 + vot / 60.0)
    transfers = 2 * (handling + vot * 6.0)
    line = rail_rate * rail_km + vot * rail_km / 35.0
    return all_road, access + transfers + line


@settings(max_examples=40, deadline=None)
@given(st.floats(20.0, 1500.0), st.floats(0.6, 1.4), st.sampled_from(["bulk", "container", "electronics", "vehicles"]))
def test_transfer_taken_exactly_when_it_pays(mk: SimpleNamespace, road_km: float, ratio: float, cargo: str) -> None:
    rail_km = road_km * ratio
    road_gc, rail_gc = _hand_costs(cargo, road_km, rail_km)
    assume(abs(road_gc - rail_gc) > 1e-6 * max(road_gc, rail_gc))
    r = route(_corridor(mk, road_km, rail_km), "a", "b", cargo=cargo)
    assert r.gc_cny_per_t == pytest.approx(min(road_gc, rail_gc), rel=1e-9)
    if rail_gc < road_gc:
        assert r.modes == ("road", "rail", "road") and r.transfers == 2
    else:
        assert r.modes == ("road",) and r.transfers == 0


def test_known_break_even_for_bulk(mk: SimpleNamespace) -> None:
    # bulk, rail as long as the road: rail pays beyond break-even distance d* where
    # 0.35 d + v d/60 = 2(0.35 + v/60) + 2(15 + 6v) + 0.10 d + v d/35, v = 500·0.2/8760.
    v = 500.0 * 0.2 / 8760
    d_star = (2 * (0.35 + v / 60) + 2 * (15 + 6 * v)) / (0.35 + v / 60 - 0.10 - v / 35)
    assert route(_corridor(mk, d_star * 0.97, d_star * 0.97), "a", "b", cargo="bulk").modes == ("road",)
    assert route(_corridor(mk, d_star * 1.03, d_star * 1.03), "a", "b", cargo="bulk").modes == ("road", "rail", "road")


def test_no_transfer_at_a_pass_through_seat(mk: SimpleNamespace) -> None:
    # rail passes seat s (road only): freight cannot board there, so the route stays on road.
    nodes = [mk.node("a", 104.0, 30.0), mk.node("s", 104.5, 30.0), mk.node("b", 105.0, 30.0)]
    links = [mk.link("ab", "a", "b", "road", 1000.0, 1000 / 60, 450.0),
             mk.link("r1", "a", "s", "rail", 10.0, 0.3, 1.5), mk.link("r2", "s", "b", "rail", 10.0, 0.3, 1.5)]
    r = route(Network.from_frames(*mk.frames(nodes, links)), "a", "b", cargo="bulk")
    assert r.modes == ("road",)


def test_barge_is_slower_upstream(mk: SimpleNamespace) -> None:
    nodes = [mk.node("up", 104.6, 28.8, kind="river_port", modes="road;water"),
             mk.node("down", 106.7, 29.6, kind="river_port", modes="road;water")]
    links = [mk.link("d", "up", "down", "water", 280.0, 280 / 14, 14.0, bidirectional=False),
             mk.link("u", "down", "up", "water", 280.0, 280 / 9, 14.0, bidirectional=False),
             mk.link("road", "up", "down", "road", 300.0, 5.0, 500.0)]
    net = Network.from_frames(*mk.frames(nodes, links))
    down, up = route(net, "up", "down", cargo="bulk"), route(net, "down", "up", cargo="bulk")
    assert down.modes == up.modes == ("water",)
    assert up.time_h - down.time_h == pytest.approx(280 / 9 - 280 / 14)


def test_explicit_transfer_link_overrides_handling(mk: SimpleNamespace) -> None:
    net = _corridor(mk, 1000.0, 1000.0)
    base = route(net, "a", "b", cargo="container")
    cheap = mk.link("tr", "t1", "t1", "transfer", 0.0, 0.5, 1.0)
    net2 = Network.from_frames(net.nodes, __import__("pandas").concat([net.links, __import__("pandas").DataFrame([cheap])], ignore_index=True))
    r = route(net2, "a", "b", cargo="container")
    assert r.modes == ("road", "rail", "road")
    vot = P.value_of_time("container")
    saved = (25.0 + vot * 6.0) - (1.0 + vot * 0.5)
    assert base.gc_cny_per_t - r.gc_cny_per_t == pytest.approx(saved, rel=1e-9)
