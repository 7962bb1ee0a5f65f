"""calibration(): hand-computed network, a naive pandas re-implementation, and the targets."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.datasets import synthetic as syn
from parklink.errors import ValidationError


def _firms(rows: list[tuple[str, str, float, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["enterprise_id", "province", "lon", "lat", "leading"])


def _tx(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["supplier_id", "buyer_id", "year", "value_kcny"])


HAND_FIRMS = _firms([
    ("A", "SC", 104.0, 30.6, True),
    ("B", "SC", 104.1, 30.6, False),
    ("C", "CQ", 106.5, 29.5, False),
    ("D", "OUT", 121.5, 31.2, False),
    ("E", "CQ", 106.6, 29.5, False),
])
HAND_TX = _tx([
    ("B", "A", 2021, 100.0), ("C", "A", 2021, 300.0), ("D", "A", 2021, 600.0), ("B", "C", 2021, 50.0),
    ("B", "A", 2022, 200.0), ("D", "C", 2022, 100.0), ("E", "C", 2022, 10.0),
])


def test_hand_computed_network() -> None:
    cal = syn.calibration(HAND_FIRMS, HAND_TX).set_index("statistic")
    v = cal["value"]
    # buyers in SC/CQ: every row (7); same province: B->A twice, E->C
    assert v["within_province_share"] == pytest.approx(3 / 7)
    assert v["within_circle_share"] == pytest.approx(5 / 7)  # D is out of region
    assert v["leaders_purchase_share"] == pytest.approx(1200 / 1360)
    assert v["link_churn"] == pytest.approx(3 / 4)  # of 4 links in 2021 only B->A remains
    assert v["firm_entry_rate"] == pytest.approx(1 / 4)  # E enters in 2022
    assert v["firm_exit_rate"] == pytest.approx(0.0)
    assert v["share_within_50km"] == pytest.approx(3 / 7)  # B->A (×2) and E->C are ~10 km
    assert math.isnan(v["customer_degree_tail"])  # too few degrees for a tail estimate
    assert v["value_weighted_mean_distance_km"] > 500  # dominated by D->A (≈1,700 km)
    assert bool(cal.at["leaders_purchase_share", "within_tolerance"]) is False
    assert pd.isna(cal.at["within_circle_share", "within_tolerance"])  # informational


def test_unknown_ids_name_the_row() -> None:
    bad = pd.concat([HAND_TX, _tx([("B", "ZZZ", 2022, 1.0)])], ignore_index=True)
    with pytest.raises(ValidationError) as err:
        syn.calibration(HAND_FIRMS, bad)
    problem = err.value.problems[0]
    assert problem.row == len(bad) + 1 and problem.column == "buyer_id" and problem.value == "ZZZ"


@st.composite
def networks(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(3, 12))
    provs = draw(st.lists(st.sampled_from(["SC", "CQ", "OUT"]), min_size=n, max_size=n))
    lead = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    firms = _firms([(f"f{i}", provs[i], 104.0 + i * 0.1, 30.0, lead[i]) for i in range(n)])
    pairs = [(s, b, y) for s in range(n) for b in range(n) for y in (2021, 2022) if s != b]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=40, unique=True))
    values = draw(st.lists(st.floats(0.5, 1e4), min_size=len(chosen), max_size=len(chosen)))
    tx = _tx([(f"f{s}", f"f{b}", y, v) for (s, b, y), v in zip(chosen, values, strict=True)])
    return firms, tx


@settings(max_examples=60, deadline=None)
@given(networks())
def test_matches_a_naive_pandas_computation(net: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    firms, tx = net
    info = firms.set_index("enterprise_id")
    t = tx.assign(sp=info.loc[tx["supplier_id"], "province"].to_numpy(),
                  bp=info.loc[tx["buyer_id"], "province"].to_numpy(),
                  bl=info.loc[tx["buyer_id"], "leading"].to_numpy())
    inb = t[t["bp"].isin(["SC", "CQ"])]
    cal = syn.calibration(firms, tx).set_index("statistic")["value"]
    if len(inb):
        assert cal["within_province_share"] == pytest.approx((inb["sp"] == inb["bp"]).mean())
        assert cal["leaders_purchase_share"] == pytest.approx(inb.loc[inb["bl"], "value_kcny"].sum() / inb["value_kcny"].sum())
    else:
        assert math.isnan(cal["within_province_share"])
    years = sorted(tx["year"].unique())
    if len(years) == 2:
        a = set(map(tuple, tx.loc[tx["year"] == years[0], ["supplier_id", "buyer_id"]].to_numpy()))
        b = set(map(tuple, tx.loc[tx["year"] == years[1], ["supplier_id", "buyer_id"]].to_numpy()))
        assert cal["link_churn"] == pytest.approx(len(a - b) / len(a))


def test_generated_network_meets_the_targets() -> None:
    """Medium sample on the embedded dataset: every statistic with a tolerance is within it."""
    chengyu = pytest.importorskip("parklink.datasets.chengyu")
    seg = chengyu.load("chain_segments")
    firms = syn.generate_firms(chengyu.load("regions"), seg, n_firms=10_000, seed=2021,
                               parks=chengyu.load("parks"), leaders=chengyu.load("enterprises"))
    tx = pd.concat(syn.generate_transactions(firms, seg, n_transactions=200_000, years=(2021, 2022, 2023),
                                             seed=2021), ignore_index=True)
    assert len(tx) >= 0.95 * 200_000
    cal = syn.calibration(firms, tx)
    checked = cal[cal["low"].notna()]
    assert set(checked["statistic"]) == {"within_province_share", "customer_degree_tail",
                                         "leaders_purchase_share", "link_churn"}
    failing = checked[~checked["within_tolerance"].astype(bool)]
    assert failing.empty, failing[["statistic", "value", "low", "high"]].to_string()
    v = cal.set_index("statistic")["value"]
    assert abs(v["firm_entry_rate"] - syn.DEFAULT_PARAMS.entry_rate) < 0.05
    assert abs(v["firm_exit_rate"] - syn.DEFAULT_PARAMS.exit_rate) < 0.05


@pytest.mark.slow
def test_memory_stays_bounded_for_millions_of_rows(tmp_path: object) -> None:
    """5M transactions in 500k-row parts: peak RSS grows far less than the rows would need."""
    code = textwrap.dedent(
        """
        import resource, sys
        from pathlib import Path
        from parklink.datasets import synthetic as syn
        from parklink.datasets import chengyu
        seg = chengyu.load("chain_segments")
        regions = chengyu.load("regions")
        firms = syn.generate_firms(regions, seg, n_firms=50_000, seed=1)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows = 0
        for part in syn.generate_transactions(firms, seg, n_transactions=5_000_000, years=(2021, 2022, 2023),
                                              seed=1, chunk_rows=500_000):
            rows += len(part)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(rows, (peak - base) * 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    rows, growth = (int(x) for x in out.stdout.split())
    assert rows > 4_500_000
    # all rows as pandas objects would take > 5M × ~150 B ≈ 750 MB; the bound is well below
    assert growth < 400 * 2**20, growth


def test_water_fill_respects_caps_and_total() -> None:
    lam = np.array([10.0, 1.0, 1.0, 1.0])
    cap = np.array([3.0, 100.0, 100.0, 100.0])
    out = syn._water_fill(lam, cap, 12.0)
    assert out.sum() == pytest.approx(12.0) and out[0] == pytest.approx(3.0)
    assert out[1:] == pytest.approx([3.0, 3.0, 3.0])  # the excess is shared in proportion
