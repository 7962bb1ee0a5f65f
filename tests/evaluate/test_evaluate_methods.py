"""MCDA methods against published worked examples, hand computations and pymcdm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymcdm import normalizations
from pymcdm.methods import PROMETHEE_II, TOPSIS, VIKOR

from parklink.errors import ValidationError
from parklink.evaluate import DecisionMatrix, promethee_ii, rank_scores, topsis, vikor

# Hwang & Yoon (1981), Multiple Attribute Decision Making, Springer, the fighter-aircraft
# example (also Yoon & Hwang 1995, Sage, ch. 5): 4 aircraft × 6 attributes — max speed
# (Mach), ferry range (NM), max payload (lb), acquisition cost ($10^6, cost), reliability
# and manoeuvrability (linguistic, interval-scaled: 3 low, 5 average, 7 high, 9 very high).
# Weights (0.2, 0.1, 0.1, 0.1, 0.2, 0.3). Published relative closeness:
# C1 = 0.643, C2 = 0.268, C3 = 0.613, C4 = 0.312 → A1 > A3 > A4 > A2.
AIRCRAFT = [
    [2.0, 1500, 20000, 5.5, 5, 9],
    [2.5, 2700, 18000, 6.5, 3, 5],
    [1.8, 2000, 21000, 4.5, 7, 7],
    [2.2, 1800, 20000, 5.0, 5, 5],
]
AIRCRAFT_DIRS = ["benefit", "benefit", "benefit", "cost", "benefit", "benefit"]
AIRCRAFT_W = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]


def test_topsis_hwang_yoon_aircraft() -> None:
    dm = DecisionMatrix.from_array(AIRCRAFT, directions=AIRCRAFT_DIRS)
    res = topsis(dm, weights=AIRCRAFT_W)
    assert res.scores == pytest.approx([0.643, 0.268, 0.613, 0.312], abs=1.5e-3)
    assert res.to_frame()["alternative"].tolist() == ["A1", "A3", "A4", "A2"]
    ex = res.explain()
    # vector normalisation: every normalised column has unit Euclidean norm
    norms = np.sqrt((ex["normalised"].to_numpy() ** 2).sum(axis=0))
    benefit = np.array([d == "benefit" for d in AIRCRAFT_DIRS])
    assert norms[benefit] == pytest.approx(1.0)
    assert set(ex) == {"normalised", "weighted", "ideal", "distances"}


def test_topsis_hand_computed_two_by_two() -> None:
    """x = [[3, 4], [4, 3]] benefit, w = (0.5, 0.5): r = x/5, v = r/2 → symmetric → 0.5 each;
    with w = (0.75, 0.25): r1 = (0.6, 0.8), r2 = (0.8, 0.6), v1 = (0.45, 0.20),
    v2 = (0.60, 0.15); ideal (0.60, 0.20), anti-ideal (0.45, 0.15);
    D1+ = 0.15, D1- = 0.05 → C1 = 0.25; C2 = 0.75 by symmetry."""
    dm = DecisionMatrix.from_array([[3, 4], [4, 3]])
    assert topsis(dm, weights=[0.5, 0.5]).scores == pytest.approx([0.5, 0.5])
    assert topsis(dm, weights=[0.75, 0.25]).scores == pytest.approx([0.25, 0.75])


def test_vikor_hand_computed() -> None:
    """X = [[1, 4], [2, 2], [4, 1]] (benefit), w = (0.6, 0.4), v = 0.5:
    S = (0.6, 0.6667, 0.4), R = (0.6, 0.4, 0.4) → Q = (0.875, 0.5, 0.0)."""
    dm = DecisionMatrix.from_array([[1, 4], [2, 2], [4, 1]])
    res = vikor(dm, weights=[0.6, 0.4])
    idx = res.explain()["indices"]
    assert idx["S"].to_numpy() == pytest.approx([0.6, 2 / 3, 0.4])
    assert idx["R"].to_numpy() == pytest.approx([0.6, 0.4, 0.4])
    assert res.scores == pytest.approx([0.875, 0.5, 0.0])
    assert res.ranks.tolist() == [3, 2, 1]
    assert not res.higher_is_better


def test_promethee_usual_hand_computed() -> None:
    """Usual criterion, X = [[4,3,2],[3,2,4],[5,1,3]], w = (.5,.3,.2): pairwise preference
    π12 = .8, π21 = .2, π13 = .3, π31 = .7, π23 = .5, π32 = .5 → φ = (0.1, −0.3, 0.2)."""
    dm = DecisionMatrix.from_array([[4, 3, 2], [3, 2, 4], [5, 1, 3]])
    res = promethee_ii(dm, weights=[0.5, 0.3, 0.2], preference="usual")
    assert res.scores == pytest.approx([0.1, -0.3, 0.2])
    assert res.ranks.tolist() == [2, 3, 1]


matrices = st.integers(0, 10_000).map(
    lambda s: np.random.default_rng(s).uniform(1.0, 100.0, size=(int(3 + s % 6), int(2 + s % 4)))
)


@pytest.mark.filterwarnings("ignore::UserWarning:pymcdm")
@settings(max_examples=20, deadline=None)
@given(x=matrices, seed=st.integers(0, 1000))
def test_matches_pymcdm_on_non_degenerate_input(x: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = x.shape[1]
    types = rng.choice([1, -1], n)
    w = rng.dirichlet(np.ones(n))
    dm = DecisionMatrix.from_array(x, directions=["benefit" if t > 0 else "cost" for t in types])
    ref_t = TOPSIS(normalizations.vector_normalization)(x, w, types)
    assert topsis(dm, weights=w).scores == pytest.approx(ref_t)
    ref_p = PROMETHEE_II("usual")(x, w, types)
    assert promethee_ii(dm, weights=w, preference="usual").scores == pytest.approx(ref_p)
    with np.errstate(all="ignore"):
        ref_v = VIKOR(normalizations.minmax_normalization)(x, w, types)
    if np.all(np.isfinite(ref_v)):
        assert vikor(dm, weights=w).scores == pytest.approx(ref_v)


def test_constant_and_zero_columns_change_nothing_and_give_no_nan() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 10, (6, 3))
    w = np.array([0.3, 0.2, 0.1])
    with_const = np.column_stack([x, np.full(6, 7.0), np.zeros(6)])
    w5 = np.array([0.3, 0.2, 0.1, 0.25, 0.15])
    base = DecisionMatrix.from_array(x)
    deg = DecisionMatrix.from_array(with_const)
    for fn in (topsis, vikor):
        a = fn(base, weights=w).scores
        b = fn(deg, weights=w5).scores
        assert np.all(np.isfinite(b))
        assert b == pytest.approx(a)
    # PROMETHEE flows keep the full weight scale: the constant columns contribute 0
    # (weights are normalised to sum 1, so the base flows are scaled by 1 / 0.6 here)
    pa = promethee_ii(base, weights=w).scores
    pb = promethee_ii(deg, weights=w5).scores
    assert np.all(np.isfinite(pb)) and pb == pytest.approx(pa * w.sum() / w5.sum())
    assert topsis(deg, weights=w5).dropped_criteria == ("C4", "C5")


def test_single_alternative_and_all_equal() -> None:
    one = DecisionMatrix.from_array([[1.0, 2.0, 3.0]])
    for fn in (topsis, vikor, promethee_ii):
        r = fn(one)
        assert r.ranks.tolist() == [1] and np.all(np.isfinite(r.scores))
    same = DecisionMatrix.from_array(np.ones((4, 3)))
    for fn in (topsis, vikor, promethee_ii):
        r = fn(same)
        assert r.ranks.tolist() == [1, 1, 1, 1]
        assert np.all(np.isfinite(r.scores))


def test_vikor_equal_s_range_has_no_nan() -> None:
    """Two alternatives mirror each other: S1 = S2 and R1 = R2 → Q = 0 for both (tie)."""
    dm = DecisionMatrix.from_array([[1, 2], [2, 1]])
    r = vikor(dm, weights=[0.5, 0.5])
    assert r.scores == pytest.approx([0.0, 0.0])
    assert r.ranks.tolist() == [1, 1]


def test_ties_are_deterministic_and_listed_by_id() -> None:
    dm = DecisionMatrix.from_array([[1, 1], [3, 3], [1, 1], [2, 2]], alternatives=["d", "c", "b", "a"])
    r = topsis(dm)
    assert r.ranks.tolist() == [3, 1, 3, 2]
    assert r.to_frame()["alternative"].tolist() == ["c", "a", "b", "d"]
    assert rank_scores([0.3, 0.1 + 0.2, 0.5]).tolist() == [2, 2, 1]  # 0.1+0.2 != 0.3 in floats


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ranks_follow_row_permutations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 10, (7, 3))
    perm = rng.permutation(7)
    ids = [f"p{i}" for i in range(7)]
    a = DecisionMatrix.from_array(x, alternatives=ids, directions=["benefit", "cost", "benefit"])
    b = DecisionMatrix.from_array(x[perm], alternatives=[ids[i] for i in perm], directions=["benefit", "cost", "benefit"])
    for fn in (topsis, vikor, promethee_ii):
        ra = dict(zip(a.alternatives, fn(a).ranks, strict=True))
        rb = dict(zip(b.alternatives, fn(b).ranks, strict=True))
        assert ra == rb


def test_cost_criterion_reverses_preference() -> None:
    x = [[1.0], [2.0], [3.0]]
    assert topsis(DecisionMatrix.from_array(x, directions=["benefit"])).ranks.tolist() == [3, 2, 1]
    assert topsis(DecisionMatrix.from_array(x, directions=["cost"])).ranks.tolist() == [1, 2, 3]
    assert vikor(DecisionMatrix.from_array(x, directions=["cost"])).ranks.tolist() == [1, 2, 3]


def test_bad_inputs_raise_validation_errors() -> None:
    with pytest.raises(ValidationError, match="missing or non-finite"):
        DecisionMatrix.from_array([[1.0, np.nan]])
    dm = DecisionMatrix.from_array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValidationError, match="weights"):
        topsis(dm, weights=[1.0, -1.0])
    with pytest.raises(ValidationError, match="v must be"):
        vikor(dm, v=2.0)
