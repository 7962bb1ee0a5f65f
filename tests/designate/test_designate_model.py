"""Designation MILP: optimality vs brute force, constraint families, infeasibility, scenarios."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.designate import Scenario, compare, designate, pair_edges, validate_candidates
from parklink.errors import InfeasibleError, ValidationError

AREA_TYPES = ("critical_development", "transport_node", "adjacent")


def euclid_hours(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Travel time = Euclidean distance in degrees (a controllable test metric)."""
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


def _cands(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prov = np.array(["SC", "CQ"] * n)[:n]
    rng.shuffle(prov)
    return pd.DataFrame(
        {
            "park_id": [f"p{i}" for i in range(n)],
            "province": prov,
            "lon": rng.uniform(0, 3, n),
            "lat": rng.uniform(0, 3, n),
            "score": np.round(rng.uniform(0, 1, n), 3),
            "zones": [";".join(rng.choice(["z1", "z2"], int(rng.integers(0, 2)), replace=False)) for _ in range(n)],
            "area_types": [rng.choice(AREA_TYPES) for _ in range(n)],
            "focus_chains": [rng.choice(["auto", "electronics"]) for _ in range(n)],
        }
    )


def _brute(cand: pd.DataFrame, sc: Scenario, zones: list[str], edges: pd.DataFrame) -> float | None:
    """Enumerate first-designation years (or never) per park; synergy weight is 0."""
    years = sc.years
    n = len(cand)
    score = cand["score"].to_numpy()
    prov = cand["province"].to_numpy()
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(edges["a"], edges["b"], strict=True):
        nbrs[a].add(b)
        nbrs[b].add(a)
    zsets = [set(z) for z in cand["zones"]]  # validated: lists
    ats = [set(a) for a in cand["area_types"]]
    best = None
    for first in itertools.product(range(len(years) + 1), repeat=n):  # index len(years) = never
        ok = True
        obj = 0.0
        for k, t in enumerate(years):
            on = [i for i in range(n) if first[i] <= k]
            if len(on) != sc.targets[t]:
                ok = False
                break
            for p in ("SC", "CQ"):
                need = int(np.ceil(sc.min_province_share * sc.targets[t] - 1e-9))
                if sum(prov[i] == p for i in on) < need:
                    ok = False
            for at, share in sc.area_type_min_share.items():
                if sum(at in ats[i] for i in on) < int(np.ceil(share * sc.targets[t] - 1e-9)):
                    ok = False
            onset = set(on)
            if sc.require_pairing and any(not (nbrs[i] & onset) for i in on):
                ok = False
            if not ok:
                break
            obj += score[on].sum()
        if not ok:
            continue
        final = {i for i in range(n) if first[i] < len(years)}
        if any(not any(z in zsets[i] for i in final) for z in zones):
            continue
        if best is None or obj > best + 1e-12:
            best = obj
    return best


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(4, 7), pairing=st.booleans())
def test_milp_optimum_equals_brute_force(seed: int, n: int, pairing: bool) -> None:
    rng = np.random.default_rng(seed)
    t1 = int(rng.integers(1, 3))
    t2 = int(rng.integers(t1, min(n, 4) + 1))
    sc = Scenario(
        name="bf",
        targets={2020: t1, 2025: t2},
        min_province_share=float(rng.choice([0.0, 0.25])),
        area_type_min_share={"adjacent": float(rng.choice([0.0, 0.3]))},
        max_pair_hours=float(rng.uniform(0.8, 3.0)),
        pair_candidates=n,
        require_pairing=pairing,
        synergy_weight=0.0,
        time_limit=20,
    )
    cand = validate_candidates(_cands(seed, n))
    zones = ["z1"] if rng.uniform() < 0.5 else []
    edges = pair_edges(cand, max_hours=sc.max_pair_hours, per_park=sc.pair_candidates, travel_time=euclid_hours)
    expected = _brute(cand, sc, zones, edges)
    if expected is None:
        with pytest.raises(InfeasibleError) as err:
            designate(cand, sc, zones=zones, travel_time=euclid_hours, explain=False)
        assert err.value.conflicts
    else:
        res = designate(cand, sc, zones=zones, travel_time=euclid_hours, explain=False)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(expected, abs=1e-6)


def _line() -> pd.DataFrame:
    """Four parks on a line: SC a(0), SC b(1), CQ c(2), CQ d(10)."""
    return pd.DataFrame(
        {
            "park_id": ["a", "b", "c", "d"],
            "province": ["SC", "SC", "CQ", "CQ"],
            "lon": [0.0, 1.0, 2.0, 10.0],
            "lat": [0.0, 0.0, 0.0, 0.0],
            "score": [0.9, 0.5, 0.4, 1.0],
            "zones": ["z1", "", "", "z2"],
            "area_types": ["adjacent", "", "", ""],
            "focus_chains": ["auto", "auto", "auto", "electronics"],
        }
    )


BASE = Scenario(
    name="line",
    targets={2020: 2},
    min_province_share=0.0,
    area_type_min_share={},
    max_pair_hours=3.0,
    synergy_weight=0.0,
)


def test_pairing_excludes_the_isolated_best_park() -> None:
    """d scores best but has no partner within 3 h: the plan is {a, c} (a pairs with c)."""
    res = designate(_line(), BASE, zones=[], travel_time=euclid_hours)
    assert sorted(res.designated) == ["a", "c"]
    assert res.objective == pytest.approx(1.3)
    assert res.pairs[["park_a", "park_b"]].values.tolist() == [["a", "c"]]
    no_pair = designate(_line(), BASE.with_(require_pairing=False), zones=[], travel_time=euclid_hours)
    assert sorted(no_pair.designated) == ["a", "d"]
    diff = compare(res, no_pair)
    assert dict(zip(diff["park_id"], diff["change"], strict=True)) == {"c": "only_a", "d": "only_b"}


def test_synergy_hand_computed() -> None:
    """a–c: 2 h apart, both 'auto' → σ = ½·1 + ½·(1 − 2/3) = 2/3; with λ = 0.3 the objective
    is 0.9 + 0.4 + 0.3·2/3 = 1.5."""
    res = designate(_line(), BASE.with_(synergy_weight=0.3), zones=[], travel_time=euclid_hours)
    assert res.objective == pytest.approx(1.5)
    assert res.pairs["synergy"].iloc[0] == pytest.approx(2 / 3)


def test_forced_explanations_are_objective_changes() -> None:
    """Forcing a out: best remaining pair is b–c (0.9) → Δ = −0.4. Forcing d in is infeasible."""
    res = designate(_line(), BASE, zones=[], travel_time=euclid_hours, runner_ups=5)
    ex = res.explanations.set_index(["park_id", "test"])
    assert ex.loc[("a", "forced_out"), "delta"] == pytest.approx(-0.4)
    assert ex.loc[("d", "forced_in"), "status"] == "infeasible"
    assert "pairing" in ex.loc[("d", "forced_in"), "conflict"]
    assert ex.loc[("b", "forced_in"), "delta"] == pytest.approx(-0.4)


def test_multi_year_monotone_and_counts() -> None:
    sc = BASE.with_(targets={2020: 2, 2025: 3}, require_pairing=False)
    res = designate(_line(), sc, zones=[], travel_time=euclid_hours)
    plan = res.plan.set_index("park_id")
    assert res.summary()["count_by_year"] == {"2020": 2, "2025": 3}
    # best two first (d, a), then b
    assert plan.at["d", "year"] == 2020 and plan.at["a", "year"] == 2020 and plan.at["b", "year"] == 2025
    assert res.objective == pytest.approx((1.0 + 0.9) + (1.0 + 0.9 + 0.5))  # 2020 + 2025


def test_infeasibility_names_conflicting_groups() -> None:
    with pytest.raises(InfeasibleError) as err:
        designate(_line(), BASE, zones=["z2"], travel_time=euclid_hours, explain=False)
    # z2 contains only d, which cannot be paired
    assert set(err.value.conflicts) == {"zone:z2", "pairing"}
    assert "区域覆盖" in str(err.value) and "cross-border pairing" in str(err.value)

    too_many = BASE.with_(targets={2020: 5}, require_pairing=False)
    with pytest.raises(InfeasibleError) as err:
        designate(_line(), too_many, zones=[], travel_time=euclid_hours, explain=False)
    assert err.value.conflicts == ("cumulative_count",)

    forced = BASE.with_(require_pairing=False, forced_in=("a", "b", "c"))
    with pytest.raises(InfeasibleError) as err:
        designate(_line(), forced, zones=[], travel_time=euclid_hours, explain=False)
    assert set(err.value.conflicts) == {"cumulative_count", "forced_in"}


def test_existing_designations_are_fixed_when_planning_forward() -> None:
    cand = _line()
    cand["existing_year"] = [pd.NA, 2020, pd.NA, pd.NA]
    sc = BASE.with_(targets={2020: 1, 2025: 2}, require_pairing=False, fix_existing=True)
    res = designate(cand, sc, zones=[], travel_time=euclid_hours)
    plan = res.plan.set_index("park_id")
    assert plan.at["b", "year"] == 2020
    assert plan.at["d", "year"] == 2025


def test_cooperation_area_pairs_itself() -> None:
    cand = _line()
    cand["kind"] = ["other", "other", "other", "cooperation_area"]
    res = designate(cand, BASE.with_(targets={2020: 1}), zones=[], travel_time=euclid_hours)
    assert res.designated == ["d"]


def test_scenario_round_trip_and_validation() -> None:
    sc = Scenario(name="x", targets={2020: 3, 2025: 6}, forced_in=("a",), min_per_province={"SC": 2})
    back = Scenario.from_dict(json.loads(json.dumps(sc.to_dict())))
    assert back == sc
    assert Scenario.from_json(sc.to_json()) == sc
    with pytest.raises(ValidationError, match="unknown scenario parameter"):
        Scenario.from_dict({"name": "y", "colour": "red"})
    with pytest.raises(ValidationError, match="must not decrease"):
        Scenario(targets={2020: 5, 2022: 3})
    with pytest.raises(ValidationError, match="both forced in and forced out"):
        Scenario(forced_in=("a",), forced_out=("a",))
    with pytest.raises(ValidationError, match="not a candidate"):
        designate(_line(), BASE.with_(forced_out=("zz",)), zones=[], travel_time=euclid_hours)


def test_candidate_validation_names_rows() -> None:
    bad = _line()
    bad.loc[2, "province"] = "XX"
    bad.loc[3, "score"] = np.nan
    with pytest.raises(ValidationError) as err:
        validate_candidates(bad)
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(4, "province"), (5, "score")}


def _brute_with_synergy(cand: pd.DataFrame, n_target: int, lam: float, b: int, edges: pd.DataFrame) -> float | None:
    """One target year: enumerate designated sets and, for each, all edge subsets that are
    b-matchings among designated parks (the exact synergy optimum, no LP argument used)."""
    n = len(cand)
    score = cand["score"].to_numpy()
    ea, eb, syn = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["synergy"].to_numpy()
    best = None
    for chosen in itertools.combinations(range(n), n_target):
        on = set(chosen)
        nb = {i: {int(eb[k]) for k in range(len(ea)) if ea[k] == i} | {int(ea[k]) for k in range(len(ea)) if eb[k] == i}
              for i in on}
        if any(not (nb[i] & on) for i in on):
            continue
        usable = [k for k in range(len(ea)) if ea[k] in on and eb[k] in on]
        best_syn = 0.0
        for r in range(len(usable) + 1):
            for sub in itertools.combinations(usable, r):
                deg: dict[int, int] = {}
                for k in sub:
                    deg[int(ea[k])] = deg.get(int(ea[k]), 0) + 1
                    deg[int(eb[k])] = deg.get(int(eb[k]), 0) + 1
                if all(d <= b for d in deg.values()):
                    best_syn = max(best_syn, float(syn[list(sub)].sum()) if sub else 0.0)
        total = float(score[list(chosen)].sum()) + lam * best_syn
        if best is None or total > best:
            best = total
    return best


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(4, 6), b=st.integers(1, 2))
def test_synergy_optimum_equals_brute_force(seed: int, n: int, b: int) -> None:
    """The continuous pair variables give the exact b-matching synergy (total unimodularity)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, n + 1))
    lam = float(rng.uniform(0.1, 2.0))
    sc = Scenario(
        name="syn", targets={2020: k}, min_province_share=0.0, area_type_min_share={},
        max_pair_hours=float(rng.uniform(1.0, 3.0)), pair_candidates=n, max_partners=b, synergy_weight=lam,
    )
    cand = validate_candidates(_cands(seed, n))
    edges = pair_edges(cand, max_hours=sc.max_pair_hours, per_park=n, travel_time=euclid_hours)
    expected = _brute_with_synergy(cand, k, lam, b, edges)
    if expected is None:
        with pytest.raises(InfeasibleError):
            designate(cand, sc, zones=[], travel_time=euclid_hours, explain=False)
    else:
        res = designate(cand, sc, zones=[], travel_time=euclid_hours, explain=False)
        assert res.objective == pytest.approx(expected, abs=1e-6)
