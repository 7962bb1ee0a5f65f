"""Every diagnosis metric against values computed by hand on the tiny network (conftest.py).

Hand computations (2023, kCNY):
  park p1 auto buyers F1 (leader), F2.
    F1 buys 200: F2 100 (in p1), F3 50 (SC), F5 30 (CQ), F7 20 (OUT)
    F2 buys 50: F6 40 (CQ), F3 10 (SC)
    value LSR: scope 100/250 = 0.40, own province 160/250 = 0.64, circle 230/250 = 0.92
    count LSR: scope 1/6, own province 3/6, circle 5/6; ΔLSR(value) = 0.28
    coverage: F1 buys {parts} (present in p1), F2 buys {steel, parts} (parts present) -> 2/3
  park p2 auto buyers F4 (leader), F5; F4 also buys 10 from an unknown firm F99
    value LSR over resolved 360: scope 200/360, province 260/360, circle 310/360;
    data coverage 360/370
  LQ(p1, parts, output) = (200/1800) / (550/3450) = 0.696969...
  completeness(p1, auto) = (2 + 3) / 7; depth = (2·min(1, 1/1.5) + 3·1) / 7
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import ChainDiagnosis, diagnose
from parklink.chains.rules import GapRules
from parklink.chains.scope import ScopeFrames, resolve_scope


@pytest.fixture(scope="module")
def diag(tiny_data: ChainData, frames: ScopeFrames) -> ChainDiagnosis:
    scopes = [resolve_scope(s, frames) for s in ("park:p1", "park:p2", "designation:d1")]
    return diagnose(tiny_data, scopes)


def _lsr(d: ChainDiagnosis, scope: str, chain: str, level: str, version: str,
         region: str) -> pd.Series:
    t = d.lsr
    row = t[(t.scope_id == scope) & (t.chain == chain) & (t.level == level)
            & (t.version == version) & (t.region == region)]
    assert len(row) == 1
    return row.iloc[0]


def test_year_defaults_to_latest(diag: ChainDiagnosis) -> None:
    assert diag.year == 2023


def test_value_lsr_park_p1(diag: ChainDiagnosis) -> None:
    assert _lsr(diag, "park:p1", "auto", "scope", "value", "scope").lsr == pytest.approx(0.40)
    assert _lsr(diag, "park:p1", "auto", "scope", "value", "own_province").lsr == pytest.approx(0.64)
    assert _lsr(diag, "park:p1", "auto", "scope", "value", "circle").lsr == pytest.approx(0.92)
    # firm median of F1 0.5 and F2 0.0
    assert _lsr(diag, "park:p1", "auto", "scope", "value", "scope").firm_median == pytest.approx(0.25)


def test_count_and_coverage_lsr(diag: ChainDiagnosis) -> None:
    assert _lsr(diag, "park:p1", "auto", "scope", "count", "scope").lsr == pytest.approx(1 / 6)
    assert _lsr(diag, "park:p1", "auto", "scope", "count", "own_province").lsr == pytest.approx(0.5)
    assert _lsr(diag, "park:p1", "auto", "scope", "count", "circle").lsr == pytest.approx(5 / 6)
    assert _lsr(diag, "park:p1", "auto", "scope", "coverage", "scope").lsr == pytest.approx(2 / 3)
    assert _lsr(diag, "park:p1", "auto", "scope", "coverage", "circle").lsr == pytest.approx(1.0)


def test_leader_level_and_delta(diag: ChainDiagnosis) -> None:
    row = _lsr(diag, "park:p1", "auto", "leaders", "value", "own_province")
    assert row.lsr == pytest.approx(150 / 200)
    d = diag.delta_lsr
    sel = d[(d.scope_id == "park:p1") & (d.chain == "auto") & (d.version == "value")]
    got = dict(zip(sel.level, sel.delta, strict=True))
    assert got["scope"] == pytest.approx(0.28)
    assert got["leaders"] == pytest.approx(180 / 200 - 150 / 200)


def test_data_coverage_unknown_supplier(diag: ChainDiagnosis) -> None:
    row = _lsr(diag, "park:p2", "auto", "scope", "value", "scope")
    assert row.lsr == pytest.approx(200 / 360)
    assert row.coverage_value == pytest.approx(360 / 370)
    assert row.coverage_buyers == pytest.approx(1.0)
    assert _lsr(diag, "park:p2", "auto", "scope", "value", "circle").lsr == pytest.approx(310 / 360)


def test_designation_own_province_is_per_buyer(diag: ChainDiagnosis) -> None:
    # d1 = p1 ∪ p2: buyers F1, F2, F4, F5 (auto); resolved purchases 250 + 360 = 610
    # in scope: F2→F1 100, F5→F1 30, F5→F4 200, F2→F4 50 = 380; own province 160 + 260
    assert _lsr(diag, "designation:d1", "auto", "scope", "value", "scope").lsr == pytest.approx(380 / 610)
    assert _lsr(diag, "designation:d1", "auto", "scope", "value",
                "own_province").lsr == pytest.approx(420 / 610)
    parks = diag.lsr[(diag.lsr.scope_id == "designation:d1") & diag.lsr.level.str.startswith("park:")]
    assert set(parks.level) == {"park:p1", "park:p2"}


def test_firm_level(diag: ChainDiagnosis) -> None:
    f = diag.firm_lsr.set_index(["scope_id", "buyer_id"])
    assert f.loc[("park:p1", "F1"), "lsr_value_scope"] == pytest.approx(0.5)
    assert f.loc[("park:p1", "F2"), "lsr_value_own_province"] == pytest.approx(0.2)
    assert f.loc[("park:p2", "F4"), "coverage_value"] == pytest.approx(300 / 310)


def test_presence_output_lq(diag: ChainDiagnosis) -> None:
    s = diag.segments.set_index(["scope_id", "segment_id"])
    assert s.loc[("park:p1", "auto.parts"), "n_firms"] == 1
    assert s.loc[("park:p1", "auto.parts"), "output"] == pytest.approx(200)
    assert s.loc[("park:p1", "auto.parts"), "lq_circle"] == pytest.approx((200 / 1800) / (550 / 3450))
    assert s.loc[("park:p1", "auto.parts"), "lq_reference"] == pytest.approx((200 / 1800) / (1050 / 4200))
    assert not s.loc[("park:p1", "auto.steel"), "present"]
    assert s.loc[("park:p1", "auto.vehicle"), "n_leaders"] == 1
    # F3 (parts;steel, 100) counts once in each and adds 50 to each output
    assert s.loc[("designation:d1", "auto.parts"), "output"] == pytest.approx(500)


def test_completeness(diag: ChainDiagnosis) -> None:
    c = diag.completeness.set_index(["scope_id", "chain"])
    assert c.loc[("park:p1", "auto"), "completeness"] == pytest.approx(5 / 7)
    assert c.loc[("park:p1", "auto"), "completeness_depth"] == pytest.approx((2 / 1.5 + 3) / 7)
    assert c.loc[("park:p1", "electronics"), "completeness"] == pytest.approx(0.5)
    assert c.loc[("park:p2", "electronics"), "completeness"] == 0.0


def test_local_demand_and_concentration(diag: ChainDiagnosis) -> None:
    s = diag.segments.set_index(["scope_id", "segment_id"])
    parts = s.loc[("park:p1", "auto.parts")]
    assert parts.local_demand_kcny == pytest.approx(210)
    assert parts.local_supply_share == pytest.approx(100 / 210)
    assert parts.hhi_local == pytest.approx(1.0)
    p2 = s.loc[("park:p2", "auto.parts")]
    assert p2.top_local_share == pytest.approx(200 / 300)


def test_gap_typology_and_actions(diag: ChainDiagnosis) -> None:
    g = diag.gaps.set_index(["scope_id", "segment_id"])
    assert g.loc[("park:p1", "auto.steel"), "gap_type"] == "missing"
    assert g.loc[("park:p1", "auto.steel"), "action"] == "supplement"  # local demand 40
    assert g.loc[("park:p1", "auto.sales"), "action"] == "extend"  # vehicles present
    assert g.loc[("park:p1", "auto.parts"), "gap_type"] == "single_point"
    assert bool(g.loc[("park:p1", "auto.parts"), "gap_weak"])  # LQ 0.70 < 1 with demand
    assert g.loc[("park:p1", "auto.parts"), "action"] == "strengthen"
    assert bool(g.loc[("park:p1", "electronics.pcb"), "gap_break_risk"])  # F8 only from F9
    assert g.loc[("park:p2", "electronics.pcb"), "action"] == "build"  # chain absent
    ev = diag.evidence
    br = ev[(ev.gap_type == "break_risk") & (ev.scope_id == "park:p1")]
    assert list(br.firm_id) == ["F8"] and "F9" in br.evidence.iloc[0]


def test_rules_are_configurable(tiny_data: ChainData, frames: ScopeFrames) -> None:
    p1 = resolve_scope("park:p1", frames)
    d = diagnose(tiny_data, p1, chains=["auto"], rules=GapRules(build_completeness_below=0.9))
    g = d.gaps.set_index("segment_id")
    assert g.loc["auto.steel", "action"] == "build"
    assert g.loc["auto.steel", "action_rule"] == 1


def test_flows_and_growth(diag: ChainDiagnosis) -> None:
    f = diag.flows.set_index(["direction", "segment_id", "year"])
    assert f.loc[("SC→CQ", "auto.parts", 2023), "value_kcny"] == pytest.approx(50)
    assert f.loc[("SC→CQ", "auto.parts", 2023), "growth"] == pytest.approx(1.0)
    assert f.loc[("CQ→SC", "auto.parts", 2023), "growth"] == pytest.approx(0.0)
    assert f.loc[("SC→SC", "auto.parts", 2023), "value_kcny"] == pytest.approx(160)
    assert f.loc[("CQ→SC", "auto.steel", 2023), "cross_border"]
    assert "OUT" not in "".join(diag.flows.direction)


def _hav(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_leader_supplier_map(diag: ChainDiagnosis) -> None:
    p = diag.leader_profile.set_index(["scope_id", "buyer_id"])
    f1 = p.loc[("park:p1", "F1")]
    assert f1.n_suppliers == 4
    assert f1.local_share_scope == pytest.approx(0.5)
    assert f1.local_share_circle == pytest.approx(0.9)
    assert f1.share_within_50km == pytest.approx(150 / 200)
    assert f1.distance_median_km == pytest.approx(_hav(104.27, 30.56, 104.28, 30.57), rel=1e-6)
    mean = (100 * _hav(104.27, 30.56, 104.28, 30.57) + 50 * _hav(104.27, 30.56, 104.0, 30.5)
            + 30 * _hav(104.27, 30.56, 106.64, 29.73) + 20 * _hav(104.27, 30.56, 121.47, 31.23)) / 200
    assert f1.distance_mean_km == pytest.approx(mean, rel=1e-6)
    # F4's unknown supplier has no distance: mean over the 300 kCNY with known location
    assert p.loc[("park:p2", "F4"), "distance_mean_km"] < 1500
    dep = diag.dependencies[diag.dependencies.scope_id == "park:p1"]
    assert list(zip(dep.buyer_id, dep.segment_id, dep.supplier_id, strict=True)) == [
        ("F8", "electronics.pcb", "F9")]
    rep = diag.replacements[diag.replacements.scope_id == "park:p1"]
    assert list(rep.enterprise_id) == ["F10"]  # the only PCB maker inside the circle


def test_investment_targets(diag: ChainDiagnosis) -> None:
    t = diag.targets[(diag.targets.scope_id == "park:p1")
                     & (diag.targets.segment_id == "auto.steel")]
    assert list(t.enterprise_id) == ["F3", "F6"]  # outside p1, assigned to steel
    f3 = t.iloc[0]
    assert f3.into == pytest.approx(60)  # F3→F1 50 + F3→F2 10
    assert f3.tie == 1  # supplies leader F1
    assert t.iloc[1].f_value == pytest.approx(40 / 60)
    assert f3.distance_km == pytest.approx(_hav(104.0, 30.5, 104.27, 30.56), rel=1e-6)
    w = diag.weights
    expected = (w.value * 1 + w.fit * 0.5 + w.distance * math.exp(-f3.distance_km / 300)
                + w.size * math.log(101) / math.log(401) + w.tie * 1)
    assert f3.score == pytest.approx(expected)
    assert "千元" in f3.reason and "k CNY" in f3.reason
    # no target lies inside the scope
    assert not set(diag.targets[diag.targets.scope_id == "park:p1"].enterprise_id) & {"F1", "F2", "F8"}


def test_to_frame_and_explain(diag: ChainDiagnosis) -> None:
    assert len(diag.to_frame()) == 3 * 6
    assert {"segment_counts", "segment_demand", "depth_benchmark"} <= set(diag.explain)
    s = diag.summary("park:p1")
    assert s["chains"]["auto"]["delta_lsr"] == pytest.approx(0.28)
    assert diag.synthetic


def test_year_filter(tiny_data: ChainData, frames: ScopeFrames) -> None:
    d = diagnose(tiny_data, resolve_scope("park:p1", frames), chains=["auto"], year=2022)
    row = d.lsr[(d.lsr.level == "scope") & (d.lsr.version == "value") & (d.lsr.region == "circle")]
    assert row.lsr.iloc[0] == pytest.approx(1.0)  # F5→F1 30 only
