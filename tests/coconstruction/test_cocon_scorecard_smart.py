"""Scorecard, promised vs realised shares and park smart-manufacturing indicators on
hand-computed cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from parklink.coconstruction.scorecard import realised_shares, scorecard
from parklink.coconstruction.smart import smart_indicator_table, smart_indicators

PIP = pd.DataFrame({
    "pip_id": ["k1", "k2", "k3"], "name_zh": ["一", "二", "三"], "name_en": ["One", "Two", "Three"],
    "host_park_id": ["p1", "p2", None], "mode": ["hq_base", "terminal_support", None],
    "investment_cny_m": [100.0, 300.0, None], "n_member_firms": pd.array([10, None, None], dtype="Int64"),
    "member_firms": [None, "F1;F2;F3;F4", None], "output_cny_m": [50.0, 150.0, None],
    "jobs": pd.array([200, 600, None], dtype="Int64"), "start_year": pd.array([2020, 2024, None], dtype="Int64"),
})
SHARING = pd.DataFrame({
    "agreement_id": ["a1", "a2"], "pip_id": ["k1", "k2"], "park_id": ["p1", "p2"],
    "parties": ["甲;乙", "丙;丁"], "metric": ["tax", "vat"], "split_pct": ["60;40", "50;50"],
    "floor_cny_m": [5.0, None], "floor_beneficiary": ["乙", None],
})
REALISED = pd.DataFrame({"record_id": ["r1", "r2"], "agreement_id": ["a1", "a2"], "year": [2024, 2024],
                         "total_cny_m": [20.0, 10.0], "received_cny_m": ["16;4", "5;5"]})


def test_promised_vs_realised_by_hand() -> None:
    s = realised_shares(SHARING, REALISED).set_index(["record_id", "party"])
    # a1: promised 12 / 8, received 16 / 4 → gaps +4 / −4; realised 80 % / 20 %; floor 5 not met
    assert s.loc[("r1", "甲"), "promised_cny_m"] == pytest.approx(12.0)
    assert s.loc[("r1", "乙"), "gap_cny_m"] == pytest.approx(-4.0)
    assert s.loc[("r1", "甲"), "realised_pct"] == pytest.approx(80.0)
    assert s.loc[("r1", "乙"), "floor_met"] is False
    assert s.loc[("r2", "丙"), "gap_cny_m"] == pytest.approx(0.0)


def test_scorecard_by_hand() -> None:
    card = scorecard(PIP, SHARING, REALISED, ref_year=2026)
    t = card.to_frame().set_index("pip_id")
    # firms: k1 10 (recorded count), k2 4 (ids); years running 6 and 2
    assert t.loc["k1", "firms"] == 10 and t.loc["k2", "firms"] == 4
    assert t.loc["k1", "years_running"] == 6 and t.loc["k2", "years_running"] == 2
    # fidelity: k1 1 − ½(|80−60| + |20−40|)/100 = 0.8; k2 1.0
    assert t.loc["k1", "shares_realised"] == pytest.approx(0.8)
    assert t.loc["k2", "shares_realised"] == pytest.approx(1.0)
    # min–max over two parks: k1 wins firms and years, k2 investment, output, jobs, shares
    assert t.loc["k1", "score"] == pytest.approx(200 / 6)
    assert t.loc["k2", "score"] == pytest.approx(400 / 6)
    assert np.isnan(t.loc["k3", "score"]) and t.loc["k3", "coverage"] == 0
    assert card.to_frame()["pip_id"].tolist()[:2] == ["k2", "k1"]
    assert card.summary()["best"] == "k2"


REC = pd.DataFrame({
    "recognition_id": ["r1", "r2", "r3", "r4"], "park_id": ["p1", "p1", "p1", "p2"],
    "kind": ["digital_workshop", "digital_workshop", "intelligent_factory", "digital_workshop"],
    "tier": [None, None, "advanced", None], "year": [2022, 2024, 2024, 2023],
})
ASS = pd.DataFrame({
    "assessment_id": ["s1", "s2", "s3", "s4"], "enterprise_id": ["E1", "E1", "E2", "E3"],
    "park_id": ["p1", "p1", None, "p2"],
    "assessed_on": [dt.date(2022, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2023, 1, 1)],
    "overall_level": [1, 3, 2, 4], "domain_levels": ["design:1", "design:3;production:2", "design:1", None],
})
FIRMS = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3", "E4", "E5"], "park_id": ["p1", "p1", "p2", "p1", "p2"],
                      "output_cny_m": [100.0, 25.0, 10.0, 30.0, 5.0]})


def test_smart_indicators_by_hand() -> None:
    res = smart_indicators(REC, ASS, FIRMS, ref_year=2024)
    t = res.to_frame().set_index("park_id")
    assert t.loc["p1", "digital_workshops"] == 2 and t.loc["p1", "intelligent_factories"] == 1
    assert t.loc["p1", "tier_advanced"] == 1
    # latest levels: E1 3 (2024), E2 2 (park from firm data) → mean 2.5; p2: E3 4
    assert t.loc["p1", "mean_level"] == pytest.approx(2.5) and t.loc["p2", "mean_level"] == 4
    # above scale (≥ 20): p1 E1, E2, E4 → 2 of 3 assessed; p2 none above scale → unknown
    assert t.loc["p1", "above_scale"] == 3 and t.loc["p1", "share_assessed"] == pytest.approx(2 / 3)
    assert np.isnan(t.loc["p2", "share_assessed"])
    # p1 yearly 2022: 1, 2023: 0, 2024: 2 → least-squares slope 0.5
    assert t.loc["p1", "trend"] == pytest.approx(0.5)
    dom = res.explain()["domains"].set_index(["park_id", "domain"])
    assert dom.loc[("p1", "design"), "mean_level"] == pytest.approx(2.0)  # E1 3, E2 1
    assert res.summary()["digital_workshops"] == 3


def test_optional_indicator_only_with_data() -> None:
    parks = pd.DataFrame({"park_id": ["p1", "p2", "p3"]})
    empty = smart_indicators(REC.iloc[0:0], ASS.iloc[0:0], FIRMS, ref_year=2024)
    assert smart_indicator_table(empty, parks) is None
    table = smart_indicator_table(smart_indicators(REC, ASS, FIRMS, ref_year=2024), parks)
    assert table is not None
    v = table.to_frame().set_index("park_id")
    assert v.loc["p1", "smart_recognised"] == 3 and np.isnan(v.loc["p3", "smart_recognised"])
