"""Robustness report: Monte Carlo, batch TOPSIS, correlations, rank reversal."""

from __future__ import annotations

import numpy as np
import pytest
from pymcdm import correlations, normalizations
from pymcdm.methods import TOPSIS

from parklink.evaluate import DecisionMatrix, monte_carlo, rank_reversal, robustness, topsis
from parklink.evaluate.robustness import dirichlet_weights, topsis_batch


def _dm(seed: int = 0, m: int = 8, n: int = 4) -> DecisionMatrix:
    rng = np.random.default_rng(seed)
    dirs = ["benefit", "cost"] * (n // 2) + ["benefit"] * (n % 2)
    return DecisionMatrix.from_array(rng.uniform(1, 10, (m, n)), directions=dirs)


def test_topsis_batch_equals_pymcdm_per_draw() -> None:
    dm = _dm(1)
    x = dm.values
    norm = x / np.sqrt((x**2).sum(axis=0))
    ws = dirichlet_weights(np.full(4, 0.25), draws=20, seed=5)
    batch = topsis_batch(norm, dm.types, ws)
    for k in range(20):
        ref = TOPSIS(normalizations.vector_normalization)(x, ws[k], dm.types, validation=False)
        assert batch[k] == pytest.approx(ref)


def test_dirichlet_is_centred_and_seeded() -> None:
    w = np.array([0.5, 0.3, 0.2])
    a = dirichlet_weights(w, draws=20000, concentration=50, seed=1)
    b = dirichlet_weights(w, draws=20000, concentration=50, seed=1)
    assert np.array_equal(a, b)
    assert a.mean(axis=0) == pytest.approx(w, abs=5e-3)
    # Var = w(1 − w)/(κ + 1)
    assert a.var(axis=0) == pytest.approx(w * (1 - w) / 51, rel=0.1)


def test_monte_carlo_without_perturbation_reproduces_base_ranking() -> None:
    dm = _dm(2)
    w = np.array([0.4, 0.3, 0.2, 0.1])
    base = topsis(dm, weights=w)
    mc = monte_carlo(dm, w, draws=200, concentration=1e9, top_k=3)
    top3 = set(base.top(3))
    for alt, p in zip(mc.alternatives, mc.p_top_k, strict=True):
        assert p == (1.0 if alt in top3 else 0.0)
    assert mc.rank_median.tolist() == base.ranks.astype(float).tolist()
    assert np.all(mc.rank_p05 <= mc.rank_median) and np.all(mc.rank_median <= mc.rank_p95)


def test_monte_carlo_probabilities_are_consistent() -> None:
    dm = _dm(3, m=12)
    mc = monte_carlo(dm, np.full(4, 0.25), draws=3000, concentration=5, top_k=4)
    assert mc.p_top_k.sum() == pytest.approx(4.0)
    assert mc.p_first.sum() == pytest.approx(1.0)
    assert mc.mean_rank.mean() == pytest.approx(6.5)


def _independent_reversals(x: np.ndarray, w: np.ndarray, types: np.ndarray, drop: int) -> int:
    """Count order flips with pymcdm directly (no parklink code)."""
    full = TOPSIS(normalizations.vector_normalization)(x, w, types, validation=False)
    keep = [i for i in range(len(x)) if i != drop]
    sub = TOPSIS(normalizations.vector_normalization)(x[keep], w, types, validation=False)
    flips = 0
    for a in range(len(keep)):
        for b in range(a + 1, len(keep)):
            s_full = np.sign(full[keep[a]] - full[keep[b]])
            s_sub = np.sign(sub[a] - sub[b])
            flips += int(s_full != 0 and s_sub != 0 and s_full != s_sub)
    return flips


def test_rank_reversal_counts_match_an_independent_count() -> None:
    found = False
    for seed in range(200):
        dm = _dm(seed, m=6, n=3)
        w = np.array([0.5, 0.3, 0.2])
        rr = rank_reversal(dm, method="topsis", weights=w)
        removed = rr[rr["perturbation"] == "remove"]
        for row in removed.itertuples(index=False):
            i = dm.alternatives.index(row.alternative)
            assert row.reversed_pairs == _independent_reversals(dm.values, w, dm.types, i)
            found = found or row.reversed_pairs > 0
        if found:
            break
    assert found, "TOPSIS is known to show rank reversal; a random search should find one"


def test_single_criterion_never_reverses() -> None:
    dm = DecisionMatrix.from_array(np.arange(1, 8, dtype=float).reshape(-1, 1))
    for method in ("topsis", "vikor", "promethee_ii"):
        rr = rank_reversal(dm, method=method)
        assert rr["reversed_pairs"].sum() == 0


def test_report_correlations_and_shape() -> None:
    dm = _dm(4, m=10, n=4)
    rep = robustness(dm, draws=500, top_k=3)
    r = rep.rankings
    assert r.shape == (10, 12)
    for name in ("spearman", "weighted_spearman", "ws"):
        c = rep.correlations[name]
        assert np.allclose(np.diag(c.to_numpy()), 1.0)
    a, b = r.columns[0], r.columns[5]
    assert rep.correlations["spearman"].loc[a, b] == pytest.approx(
        correlations.spearman(r[a].to_numpy(float), r[b].to_numpy(float))
    )
    assert rep.correlations["ws"].loc[a, b] == pytest.approx(
        correlations.rank_similarity_coef(r[a].to_numpy(float), r[b].to_numpy(float))
    )
    df = rep.to_frame()
    assert len(df) == 10 and {"rank_min", "rank_max", "p_top_3"} <= set(df.columns)
    assert -1.0 <= rep.summary()["min_spearman"] <= 1.0
