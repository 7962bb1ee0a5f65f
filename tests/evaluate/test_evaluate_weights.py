"""Weights: entropy, CRITIC, std, AHP (CR), combination — hand computations and pymcdm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymcdm.weights import critic_weights as pm_critic
from pymcdm.weights import entropy_weights as pm_entropy
from pymcdm.weights import standard_deviation_weights as pm_std
from pymcdm.weights.subjective import AHP

from parklink.errors import ValidationError
from parklink.evaluate import (
    DecisionMatrix,
    ahp_weights,
    combine_weights,
    critic_weights,
    entropy_weights,
    std_weights,
)
from parklink.evaluate.weights import SAATY_RI, minmax


def test_entropy_hand_computed() -> None:
    """Columns (1, 1, 2) and (1, 2, 3): p = (¼, ¼, ½) and (⅙, ⅓, ½);
    e1 = (2·¼ ln 4 + ½ ln 2)/ln 3, e2 = (⅙ ln 6 + ⅓ ln 3 + ½ ln 2)/ln 3; w ∝ 1 − e."""
    e1 = (0.5 * math.log(4) + 0.5 * math.log(2)) / math.log(3)
    e2 = (math.log(6) / 6 + math.log(3) / 3 + math.log(2) / 2) / math.log(3)
    d = np.array([1 - e1, 1 - e2])
    w = entropy_weights([[1, 1], [1, 2], [2, 3]])
    assert w.values == pytest.approx(d / d.sum())
    assert w.explain()["entropy"]["entropy"].to_numpy() == pytest.approx([e1, e2])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_objective_weights_match_pymcdm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 50, (int(rng.integers(3, 9)), int(rng.integers(2, 6))))
    assert entropy_weights(x).values == pytest.approx(pm_entropy(x))
    # pymcdm's CRITIC normalises every column as a benefit criterion: same as ours here
    assert critic_weights(x).values == pytest.approx(pm_critic(x))
    # ours is the std of the min-max normalised matrix: feed pymcdm that matrix
    z = minmax(x, np.ones(x.shape[1], dtype=np.int64))
    assert std_weights(x).values == pytest.approx(pm_std(z))


def test_entropy_zero_cell_is_not_maximal_divergence() -> None:
    """0·ln 0 = 0: a column (0, 1, 1) has entropy ln 2 / ln 3, not 0 as in pymcdm 1.4."""
    w = entropy_weights([[0, 1], [1, 1], [1, 2]])
    assert w.explain()["entropy"]["entropy"].iloc[0] == pytest.approx(math.log(2) / math.log(3))


def test_degenerate_columns_get_zero_weight_without_nan() -> None:
    x = np.array([[1.0, 5.0, 0.0], [2.0, 5.0, 0.0], [4.0, 5.0, 0.0]])
    for fn in (entropy_weights, critic_weights, std_weights):
        w = fn(x).values
        assert np.all(np.isfinite(w))
        assert w == pytest.approx([1.0, 0.0, 0.0])
    allconst = np.ones((3, 2))
    for fn in (entropy_weights, critic_weights, std_weights):
        r = fn(allconst)
        assert r.values == pytest.approx([0.5, 0.5]) and r.notes


def test_ahp_three_by_three_closed_form() -> None:
    """For a 3×3 reciprocal matrix with a12 = a, a13 = b, a23 = c the characteristic
    equation is μ³ − 3μ + (t³ + t⁻³) = 0 with μ = 1 − λ and t = (ac/b)^⅓, so
    λmax = 1 + t + 1/t; CR = (λmax − 3)/2 / 0.58 (Saaty's RI for n = 3)."""
    a, b, c = 3.0, 5.0, 3.0
    t = (a * c / b) ** (1 / 3)
    lam = 1 + t + 1 / t
    res = ahp_weights([[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]])
    assert res.lambda_max == pytest.approx(lam)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58)
    assert res.cr == pytest.approx(0.0332, abs=5e-4)
    assert res.weights.values == pytest.approx([0.637, 0.258, 0.105], abs=1e-3)


def test_ahp_consistent_matrix_recovers_weights() -> None:
    w = np.array([0.5, 0.25, 0.15, 0.1])
    a = w[:, None] / w[None, :]
    res = ahp_weights(a)
    assert res.weights.values == pytest.approx(w)
    assert res.cr == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ahp_matches_pymcdm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    w = rng.dirichlet(np.ones(n))
    scale = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=float)
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            r = w[i] / w[j] * rng.uniform(0.8, 1.25)
            v = scale[np.argmin(np.abs(scale - max(r, 1 / r)))]
            a[i, j] = v if r >= 1 else 1 / v
            a[j, i] = 1 / a[i, j]
    ours = ahp_weights(a, max_cr=None)
    ref = AHP(matrix=a)
    assert ours.weights.values == pytest.approx(ref(), abs=1e-9)
    # same CI; pymcdm divides by Tummala & Ling's RI, we by Saaty's
    ci_ref = ref.get_cr() * AHP.RI_M[n - 1]
    assert ours.ci == pytest.approx(ci_ref, abs=1e-9)
    assert ours.ri == SAATY_RI[n - 1]


def test_ahp_inconsistent_raises_naming_judgements() -> None:
    """A intransitive cycle (1 ≻ 2 ≻ 3 ≻ 1, all 'extreme') is maximally inconsistent."""
    a = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(ValidationError) as err:
        ahp_weights(a, criteria=["land", "labour", "location"])
    problems = err.value.problems
    assert problems and all("inconsistent judgement" in p.reason for p in problems)
    assert {p.column for p in problems} <= {"land", "labour", "location"}
    assert "CR =" in str(err.value)


def test_ahp_rejects_non_reciprocal_and_non_positive() -> None:
    with pytest.raises(ValidationError, match="not reciprocal"):
        ahp_weights([[1, 3], [3, 1]])
    with pytest.raises(ValidationError, match="positive"):
        ahp_weights([[1, -2], [-0.5, 1]])
    with pytest.raises(ValidationError, match="square"):
        ahp_weights([[1, 2, 3]])


def test_combine_linear_and_geometric() -> None:
    dm = DecisionMatrix.from_array([[1, 2, 9], [2, 8, 3], [3, 1, 4]])
    e, c = entropy_weights(dm), critic_weights(dm)
    lin = combine_weights([e, c], how="linear")
    assert lin.values == pytest.approx((e.values + c.values) / 2)
    geo = combine_weights([e, c], how="geometric", shares=[1, 1])
    g = np.sqrt(e.values * c.values)
    assert geo.values == pytest.approx(g / g.sum())
    assert lin.values.sum() == pytest.approx(1.0)


def test_hierarchical_weights_split_group_weight() -> None:
    """Groups r (C1, C2) and l (C3); AHP over groups gives (0.75, 0.25) for [[1, 3], [1/3, 1]];
    equal weights inside: C1 = C2 = 0.375, C3 = 0.25."""
    from parklink.evaluate import Criterion, hierarchical_weights

    crits = (Criterion("C1", "", "", "", group="r"), Criterion("C2", "", "", "", group="r"),
             Criterion("C3", "", "", "", group="l"))
    dm = DecisionMatrix(("a", "b"), crits, np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 1.0]]))
    g = ahp_weights([[1, 3], [1 / 3, 1]], criteria=["r", "l"])
    w = hierarchical_weights(dm, g, within="equal")
    assert w.values == pytest.approx([0.375, 0.375, 0.25])
    with pytest.raises(ValidationError, match="no row"):
        hierarchical_weights(dm, ahp_weights([[1.0]], criteria=["r"]))


def test_critic_constant_column_does_not_shift_other_weights() -> None:
    """Hand computation (Diakoulaki et al. 1995) on columns A = (1,1,0,0), B = (1,0,1,0),
    E = (1,1,1,0) plus a constant column K = (5,5,5,5).

    Normalised values equal the columns; σ_A = σ_B = 1/√3, σ_E = 1/2 (ddof = 1);
    r_AB = 0, r_AE = r_BE = 1/√3. Over the non-constant columns
    C_A = C_B = (2 − 1/√3)/√3 = 2/√3 − 1/3, C_E = ½·2(1 − 1/√3) = 1 − 1/√3, C_K = 0;
    ΣC = √3 + 1/3. (Counting K as uncorrelated would add σ_j to each C_j and give
    w_E ≈ 0.248 instead of ≈ 0.205.)"""
    x = np.array([[1, 1, 1, 5], [1, 0, 1, 5], [0, 1, 1, 5], [0, 0, 0, 5]], dtype=float)
    s3 = math.sqrt(3.0)
    total = s3 + 1 / 3
    expected = [(2 / s3 - 1 / 3) / total, (2 / s3 - 1 / 3) / total, (1 - 1 / s3) / total, 0.0]
    w = critic_weights(x)
    assert w.values == pytest.approx(expected)
    assert w.values[2] == pytest.approx(0.2046, abs=1e-4)
    info = w.explain()["information"]
    assert info["constant"].tolist() == [False, False, False, True]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_critic_with_constant_columns_matches_pymcdm_on_the_rest(seed: int) -> None:
    """Inserting constant columns anywhere leaves the other weights as pymcdm computes them
    on the non-constant columns alone; the constant columns get 0."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 50, (int(rng.integers(3, 9)), int(rng.integers(2, 6))))
    at = sorted(rng.choice(x.shape[1] + 1, size=2, replace=True).tolist())
    full = np.insert(x, at, [7.0, 0.0], axis=1)
    w = critic_weights(full).values
    const = np.zeros(full.shape[1], dtype=bool)
    const[[a + i for i, a in enumerate(at)]] = True
    assert w[const] == pytest.approx([0.0, 0.0])
    assert w[~const] == pytest.approx(pm_critic(x))
