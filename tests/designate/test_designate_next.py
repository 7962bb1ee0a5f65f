"""Next-batch planning: hand-checked instances, brute force vs the MILP (both count units),
the elastic relaxation, the default dataset (history kept, balance and pairing) and the CLI."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.designate.next_api import history_before, plan_next_batch, plan_next_batch_from_frames
from parklink.designate.nextbatch import FOCAL_GROUPS, NextBatchInfeasibleError, NextBatchRules
from parklink.errors import ValidationError

AREA = ("critical_development", "transport_node", "adjacent")
OFF = {"area_type_min_share": {}, "zone_coverage": False, "focal_chains": (), "min_province_share": 0.0}


def euclid_hours(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Travel time = Euclidean distance in degrees (hand-checkable)."""
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


def _frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    cols = ["park_id", "province", "lon", "lat", "score", "designated", "area_types", "zones", "focus_chains", "kind"]
    return pd.DataFrame(rows, columns=cols)


def test_hand_instance_pairing_and_balance() -> None:
    """Fixed: F (SC at 0,0). Free: a CQ (0.5,0) 0.9; b CQ (5,0) 0.6; c SC (5,0.5) 0.3;
    d SC (9,9) 0.7 (no CQ within 1 h); e CQ (0.2,0.2) 0.1. Size 2, pairing within 1 h.
    a and e pair with the fixed F; b and c only with each other (0.5 h); d with nobody.
    Without balance: {a, e} = 1.0 beats {b, c} = 0.9 ({a, b}, {a, c}, {a, d} break pairing).
    Each province ≥ 40 % (≥ 1 of 2) needs an SC park: d has no partner, c needs b, so
    {b, c} = 0.9 is the only feasible batch."""
    cand = _frame([
        ("F", "SC", 0.0, 0.0, 0.5, True, "adjacent", "", "auto", "htz"),
        ("a", "CQ", 0.5, 0.0, 0.9, False, "adjacent", "", "auto", "htz"),
        ("b", "CQ", 5.0, 0.0, 0.6, False, "adjacent", "", "auto", "htz"),
        ("c", "SC", 5.0, 0.5, 0.3, False, "adjacent", "", "auto", "htz"),
        ("d", "SC", 9.0, 9.0, 0.7, False, "adjacent", "", "auto", "htz"),
        ("e", "CQ", 0.2, 0.2, 0.1, False, "adjacent", "", "auto", "htz"),
    ])
    base = {**OFF, "size": 2, "max_pair_hours": 1.0}
    r = plan_next_batch(cand, NextBatchRules(**{**base, "min_province_share": 0.4}), travel_time=euclid_hours, swaps=0)
    assert sorted(r.proposed) == ["b", "c"]
    assert r.objective == pytest.approx(0.9)
    r2 = plan_next_batch(cand, NextBatchRules(**base), travel_time=euclid_hours, swaps=0)
    assert sorted(r2.proposed) == ["a", "e"] and r2.objective == pytest.approx(1.0)
    # the fixed park is history: never proposed, counted before the batch
    counts = r2.counts.set_index("unit")
    assert counts.at["parks", "before"] == 1 and counts.at["parks", "after"] == 3
    # reasons name the partner; the swap table reports an objective change ≤ 0
    r3 = plan_next_batch(cand, NextBatchRules(**base), travel_time=euclid_hours, swaps=3)
    row = r3.proposal.set_index("park_id").loc["a"]
    assert row.partner == "F" and "partner F" in row.reason_en and "伙伴" in row.reason_zh
    assert (r3.proposal["swap_delta"].dropna() <= 1e-9).all()
    # designations unit: {b, c} paired together is one designation
    r4 = plan_next_batch(cand, NextBatchRules(**{**base, "size": 1, "min_province_share": 0.4}, count="designations"),
                         travel_time=euclid_hours, swaps=0)
    assert sorted(r4.proposed) == ["b", "c"]
    c4 = r4.counts.set_index("unit")
    assert c4.at["designations", "batch"] == 1 and c4.at["parks", "batch"] == 2


def test_parent_child_never_both() -> None:
    """p2's parent p1 is free: not both; p4's parent p3 is designated: p4 excluded."""
    cand = _frame([
        ("p1", "SC", 0.0, 0.0, 0.9, False, "", "", "", "new_area"),
        ("p2", "SC", 0.1, 0.0, 0.8, False, "", "", "", "htz"),
        ("p3", "CQ", 0.0, 1.0, 0.5, True, "", "", "", "new_area"),
        ("p4", "CQ", 0.1, 1.0, 0.95, False, "", "", "", "htz"),
        ("p5", "CQ", 0.2, 1.0, 0.1, False, "", "", "", "htz"),
    ])
    cand["parent_park_id"] = ["", "p1", "", "p3", ""]
    r = plan_next_batch(cand, NextBatchRules(**OFF, size=2, require_pairing=False), travel_time=euclid_hours, swaps=0)
    assert sorted(r.proposed) == ["p1", "p5"]


def test_elastic_relaxation_is_minimal_and_explained() -> None:
    """Two SC candidates only, but at least 3 SC new parks required: the smallest relaxation
    is 1 on the SC minimum (and nothing else)."""
    cand = _frame([
        ("s1", "SC", 0.0, 0.0, 0.5, False, "", "", "", "htz"),
        ("s2", "SC", 0.0, 0.5, 0.4, False, "", "", "", "htz"),
        ("q1", "CQ", 0.5, 0.0, 0.3, False, "", "", "", "htz"),
        ("q2", "CQ", 0.5, 0.5, 0.2, False, "", "", "", "htz"),
    ])
    rules = NextBatchRules(**OFF, size=3, min_per_province={"SC": 3}, max_pair_hours=1.0)
    with pytest.raises(NextBatchInfeasibleError) as exc:
        plan_next_batch(cand, rules, travel_time=euclid_hours)
    rel = exc.value.relaxation
    assert list(rel["group"]) == ["province_min:SC"]
    assert rel["slack"].sum() == pytest.approx(1.0)
    assert "short by 1" in rel["text_en"].iloc[0] and "差 1" in rel["text_zh"].iloc[0]
    assert exc.value.conflicts == ("province_min:SC",)
    assert "Smallest relaxation: 1" in str(exc.value)


def test_rules_are_validated() -> None:
    with pytest.raises(ValidationError):
        NextBatchRules(count="pairs")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        NextBatchRules(focal_chains=("steel",))
    cand = _frame([("s1", "SC", 0.0, 0.0, 0.5, True, "", "", "", "htz")])
    with pytest.raises(ValidationError, match="already designated"):
        plan_next_batch(cand, NextBatchRules(**OFF, size=1, forced_out=("s1",)))


# ------------------------------------------------------------------ brute force


def _random(seed: int) -> tuple[pd.DataFrame, NextBatchRules]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 16))  # ≤ 15 candidates
    n_fixed = int(rng.integers(0, 4))
    prov = rng.choice(["SC", "CQ"], n)
    cand = pd.DataFrame({
        "park_id": [f"p{i}" for i in range(n)],
        "province": prov,
        "lon": rng.uniform(0, 3, n), "lat": rng.uniform(0, 3, n),
        "score": np.round(rng.uniform(0, 1, n), 3),
        "designated": [i < n_fixed for i in range(n)],
        "area_types": [rng.choice(AREA) for _ in range(n)],
        "zones": [rng.choice(["", "z1", "z2"]) for _ in range(n)],
        "focus_chains": [rng.choice(["auto", "electronics", "biomed", "moto"]) for _ in range(n)],
        "kind": [rng.choice(["htz", "htz", "htz", "cooperation_area"]) for _ in range(n)],
    })
    rules = NextBatchRules(
        size=int(rng.integers(1, 5)), count=str(rng.choice(["parks", "designations"])),  # type: ignore[arg-type]
        min_province_share=float(rng.choice([0.0, 0.3])), max_pair_hours=float(rng.uniform(0.8, 2.0)),
        pair_candidates=50, require_pairing=bool(rng.integers(0, 2)),
        area_type_min_share={"adjacent": float(rng.choice([0.0, 0.25]))},
        zone_coverage=bool(rng.integers(0, 2)),
        focal_chains=tuple(g for g in FOCAL_GROUPS if rng.uniform() < 0.3),
    )
    return cand, rules


def _brute(cand: pd.DataFrame, r: NextBatchRules) -> float | None:
    n = len(cand)
    xy = cand[["lon", "lat"]].to_numpy()
    h = euclid_hours(xy, xy)
    prov = cand["province"].to_numpy()
    fixed = set(np.flatnonzero(cand["designated"].to_numpy()))
    free = [i for i in range(n) if i not in fixed]
    coop = (cand["kind"] == "cooperation_area").to_numpy()
    score = cand["score"].to_numpy()
    reach = [[j for j in range(n) if prov[j] != prov[i] and h[i, j] <= r.max_pair_hours] for i in range(n)]
    zones = {z for z in cand["zones"] if z}
    best: float | None = None
    for k in range(len(free) + 1):
        if k < r.size or k > 2 * r.size:  # a batch of S designations has S to 2S parks
            continue
        for s in itertools.combinations(free, k):
            on = set(s)
            if r.count == "parks":
                if k != r.size:
                    continue
            else:
                g = nx.Graph()
                g.add_nodes_from(on)
                g.add_edges_from((a, b) for a in on for b in reach[a] if b in on and not coop[a] and not coop[b])
                nu = len(nx.max_weight_matching(g, maxcardinality=True))
                if not 0 <= k - r.size <= nu:
                    continue
            if any(sum(prov[i] == p for i in on) < r.min_province_share * k - 1e-9 for p in ("SC", "CQ")):
                continue
            if r.require_pairing and any(
                not coop[i] and not any(j in on or (r.pair_with_existing and j in fixed) for j in reach[i]) for i in on
            ):
                continue
            share = r.area_type_min_share.get("adjacent", 0.0)
            if sum(cand["area_types"].iloc[i] == "adjacent" for i in on) < share * k - 1e-9:
                continue
            if r.zone_coverage and any(not any(cand["zones"].iloc[i] == z for i in on | fixed) for z in zones):
                continue
            if any(not any(cand["focus_chains"].iloc[i] in FOCAL_GROUPS[gk][0] for i in on) for gk in r.focal_chains):
                continue
            v = float(score[list(on)].sum())
            best = v if best is None or v > best else best
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_milp_matches_brute_force(seed: int) -> None:
    cand, rules = _random(seed)
    expected = _brute(cand, rules)
    try:
        res = plan_next_batch(cand, rules, travel_time=euclid_hours, swaps=0)
    except NextBatchInfeasibleError as exc:
        assert expected is None, f"MILP infeasible, brute force found {expected}"
        assert len(exc.relaxation) and exc.relaxation["slack"].sum() > 0
        return
    assert expected is not None
    assert res.objective == pytest.approx(expected, abs=1e-6)
    assert not set(res.proposed) & set(cand.loc[cand["designated"], "park_id"])


# ------------------------------------------------------------------ default dataset


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    from parklink.datasets import chengyu

    kinds = ("parks", "regions", "zones", "transport_nodes", "enterprises", "designations", "targets")
    return {k: chengyu.load(k) for k in kinds}


def test_history_counts_both_units(frames: dict[str, pd.DataFrame]) -> None:
    """Batch 1: 18 named + 2 unnamed parks, 12 named designations + 2; batch 2: 5 named +
    10 unnamed parks, 4 named designations + 10 → 35 parks, 28 designations."""
    h = history_before(frames["designations"], 2025)
    assert (h.parks, h.designations) == (35, 28)
    assert (h.last_batch_parks, h.last_batch_designations) == (15, 14)
    assert len(h.members) == 23
    h1 = history_before(frames["designations"], 2021)
    assert (h1.parks, h1.designations) == (20, 14)


def test_default_next_2025_keeps_history_balance_pairing(frames: dict[str, pd.DataFrame]) -> None:
    from parklink.evaluate.location import geodesic_travel_time

    res = plan_next_batch_from_frames(frames, NextBatchRules(year=2025), swaps=0)
    hist = set(history_before(frames["designations"], 2025).members["park_id"])
    assert res.status == "optimal" and len(res.proposed) == res.size == 15
    assert not hist & set(res.proposed)
    assert set(res.history["park_id"]) == hist
    parks = frames["parks"].set_index("park_id")
    prov = parks.loc[res.proposed, "province"]
    for p in ("SC", "CQ"):
        assert (prov == p).sum() >= math.ceil(0.4 * res.size)
    on = list(hist | set(res.proposed))
    for p in res.proposed:
        if parks.at[p, "kind"] == "cooperation_area":
            continue
        other = [q for q in on if parks.at[q, "province"] != parks.at[p, "province"]]
        h = geodesic_travel_time(parks.loc[[p], ["lon", "lat"]].to_numpy(float),
                                 parks.loc[other, ["lon", "lat"]].to_numpy(float))
        assert h.min() <= 3.0, p
    counts = res.counts.set_index("unit")
    assert counts.at["parks", "before"] == 35 and counts.at["designations", "before"] == 28
    assert counts.at["parks", "after"] == 50
    assert res.proposal["reason_en"].str.len().gt(20).all() and res.proposal["reason_zh"].str.len().gt(10).all()


def test_default_impossible_variant_reports_relaxation(frames: dict[str, pd.DataFrame]) -> None:
    rules = NextBatchRules(year=2025, size=20, min_per_province={"SC": 14}, max_pair_hours=1.5)
    with pytest.raises(NextBatchInfeasibleError) as exc:
        plan_next_batch_from_frames(frames, rules, swaps=0)
    rel = exc.value.relaxation
    assert "province_min:SC" in set(rel["group"])
    assert rel["slack"].gt(0).all()
    assert "Smallest relaxation" in str(exc.value) and "最小放宽" in str(exc.value)


def test_cli_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl
    import typer
    from typer.testing import CliRunner

    from parklink.designate.cli import register
    from parklink.settings import get_settings

    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = tmp_path / "next.xlsx"
    r = runner.invoke(app, ["designate", "next", "--year", "2025", "--swaps", "0", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Proposed parks" in r.output and "both units" in r.output
    assert {"proposal", "counts", "history"} <= set(openpyxl.load_workbook(out, read_only=True).sheetnames)
    r = runner.invoke(app, ["designate", "next", "--size", "20", "--province-min", "SC=14", "--pair-hours", "1.5",
                            "--swaps", "0"])
    assert r.exit_code == 1 and "Smallest relaxation" in r.output
    r = runner.invoke(app, ["designate", "next", "--count", "pairs"])
    assert r.exit_code == 1 and "parks or designations" in r.output
    get_settings.cache_clear()


def test_next_batch_scores_are_the_evaluation_scores() -> None:
    """``runs.next_batch`` (CLI and API) ranks parks by ``runs.park_scores`` — the scores
    ``evaluate`` gives — for the network and the straight-line travel times alike."""
    from parklink.configs import EvaluationConfig
    from parklink.inputs import embedded_inputs
    from parklink.runs import evaluate, next_batch

    inputs = embedded_inputs()
    for source in ("network", "geodesic"):
        cfg = EvaluationConfig(travel_time=source, draws=20)
        res = next_batch(inputs, NextBatchRules(year=2025), cfg, swaps=0, explain=False)
        ev = evaluate(inputs, cfg).evaluation.scores()
        chosen = res.proposal.set_index("park_id")["score"]
        assert len(chosen) > 0
        for park_id, score in chosen.items():
            assert score == pytest.approx(float(ev[park_id]), abs=1e-12), (source, park_id)
