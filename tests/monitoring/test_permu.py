"""Per-mu evaluation (亩均论英雄) against hand-computed cases.

Benchmarks 10 万元/亩 (tax), 20 万元/亩 (value added), 2 万元/tce, 100 万元/t, 50 万元/人,
R&D share 0.02:

    P1: land 100, tax 1000, VA 2000, energy 1000, emissions 20, staff 40, R&D 60, revenue 3000
        terms 10, 20, 2, 100, 50, 0.02 -> scores 30 + 20 + 20 + 10 + 10 + 10 = 100
    P2: land 50, tax 1000, VA 1000, energy 250, emissions —, staff 10, R&D 30, revenue 1000
        terms 20, 20, 4, —, 100, 0.03 -> 60 + 20 + 40 + (10 + 2)/2 + 20 + 15 = 161 (emissions imputed)
    P3: land 200, tax 500, VA 1000, energy 1000, emissions 50, staff 100, R&D 0, revenue 2000
        terms 2.5, 5, 1, 20, 10, 0 -> 7.5 + 5 + 10 + 2 + 2 + 0 = 26.5
    P4: no land area -> unbanded
Bands (n = 3 rated): A = floor(0.9) = 0, C = ceil(0.3) = 1 -> P3 in C, P1 and P2 in B.
"""

from __future__ import annotations

import pandas as pd
import pytest

from parklink.errors import ConfigError
from parklink.monitoring.permu import PerMuConfig, per_mu

BENCH = {"tax_per_mu": 10, "va_per_mu": 20, "va_per_energy": 2, "va_per_emission": 100,
         "labour_productivity": 50, "rd_share": 0.02}
FACTS = {
    "P1": {"land_area_mu": 100, "tax": 1000, "value_added": 2000, "energy_use": 1000, "emissions": 20,
           "employment": 40, "rd_spending": 60, "output": 3000},
    "P2": {"land_area_mu": 50, "tax": 1000, "value_added": 1000, "energy_use": 250, "employment": 10,
           "rd_spending": 30, "output": 1000},
    "P3": {"land_area_mu": 200, "tax": 500, "value_added": 1000, "energy_use": 1000, "emissions": 50,
           "employment": 100, "rd_spending": 0, "output": 2000},
    "P4": {"tax": 10, "value_added": 20},
}


def frame(facts: dict[str, dict[str, float]], period: str = "2024") -> pd.DataFrame:
    return pd.DataFrame([{"park_id": p, "indicator_id": k, "period": period, "value": float(v)}
                         for p, row in facts.items() for k, v in row.items()])


def test_zhejiang_composite_by_hand() -> None:
    res = per_mu(frame(FACTS), PerMuConfig(benchmarks=BENCH))
    t = res.to_frame().set_index("park_id")
    assert t.at["P1", "composite"] == pytest.approx(100.0)
    assert t.at["P2", "composite"] == pytest.approx(161.0)
    assert t.at["P3", "composite"] == pytest.approx(26.5)
    assert t.at["P2", "imputed"] == "va_per_emission" and t.at["P1", "imputed"] == ""
    assert t.at["P2", "score_va_per_emission"] == pytest.approx(6.0)
    assert t.at["P1", "score_tax_per_mu"] == pytest.approx(30.0)
    assert pd.isna(t.at["P4", "composite"]) and t.at["P4", "band"] == "unbanded"
    assert "land" in t.at["P4", "reason"]
    assert [t.at[p, "band"] for p in ("P2", "P1", "P3")] == ["B", "B", "C"]
    assert [int(t.at[p, "rank"]) for p in ("P2", "P1", "P3")] == [1, 2, 3]
    assert res.to_frame()["park_id"].tolist() == ["P2", "P1", "P3", "P4"]
    s = res.summary()
    assert s["bands"] == {"A": 0, "B": 2, "C": 1, "unbanded": 1} and s["rated"] == 3 and s["period"] == "2024"
    terms = res.explain()["terms"].set_index("term")
    assert terms.at["tax_per_mu", "weight"] == 30 and terms.at["rd_share", "benchmark"] == 0.02
    assert terms.at["va_per_mu", "name_zh"] == "亩均增加值"


def test_default_benchmark_is_the_mean_of_the_rated_parks() -> None:
    facts = {"X": {"land_area_mu": 10, "tax": 100, "value_added": 100},
             "Y": {"land_area_mu": 10, "tax": 300, "value_added": 100}}
    res = per_mu(frame(facts), PerMuConfig(weights={"tax_per_mu": 30.0}))
    t = res.to_frame().set_index("park_id")
    assert res.benchmarks["tax_per_mu"] == pytest.approx(20.0)  # mean of 10 and 30 万元/亩
    assert t.at["X", "composite"] == pytest.approx(15.0) and t.at["Y", "composite"] == pytest.approx(45.0)
    assert res.benchmarks["va_per_energy"] is None  # nobody has energy data: the term counts 0


def test_sichuan_bands_shares_and_ties() -> None:
    # ten parks with tax per mu 1..10 (only the tax term weighs): A = 3, C = 1
    facts = {f"P{i:02d}": {"land_area_mu": 1, "tax": i, "value_added": 1} for i in range(1, 11)}
    t = per_mu(frame(facts), PerMuConfig(weights={"tax_per_mu": 30.0}, benchmarks={"tax_per_mu": 1.0})
               ).to_frame().set_index("park_id")
    assert sorted(t.index[t["band"] == "A"]) == ["P08", "P09", "P10"]
    assert list(t.index[t["band"] == "C"]) == ["P01"]
    assert (t["band"] == "B").sum() == 6
    # a tie across the A boundary: both tied parks go to B (A stays <= 30 %)
    facts["P07"]["tax"] = 8
    t = per_mu(frame(facts), PerMuConfig(weights={"tax_per_mu": 30.0}, benchmarks={"tax_per_mu": 1.0})
               ).to_frame().set_index("park_id")
    assert sorted(t.index[t["band"] == "A"]) == ["P09", "P10"]
    assert t.at["P08", "band"] == "B" and t.at["P07", "band"] == "B"
    # a tie at the C boundary joins C (C stays >= 10 %)
    facts["P02"]["tax"] = 1
    t = per_mu(frame(facts), PerMuConfig(weights={"tax_per_mu": 30.0}, benchmarks={"tax_per_mu": 1.0})
               ).to_frame().set_index("park_id")
    assert sorted(t.index[t["band"] == "C"]) == ["P01", "P02"]


def test_period_choice_and_bad_configuration() -> None:
    f = pd.concat([frame(FACTS, "2023"), frame({"P1": FACTS["P1"]}, "2024")])
    assert per_mu(f).period == "2024"
    assert per_mu(f, PerMuConfig(period="2023", benchmarks=BENCH)).summary()["rated"] == 3
    with pytest.raises(ConfigError):
        per_mu(f, PerMuConfig(benchmarks={"tax_per_mu": 0.0}))
    with pytest.raises(ConfigError):
        per_mu(f, PerMuConfig(weights={"nonsense": 1.0}))
