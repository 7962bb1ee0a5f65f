"""Revealed-preference calibration: metrics against scikit-learn and brute force, the fit
against an independent optimiser, no leakage of the hold-out, and the batch-2 table."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from sklearn.metrics import average_precision_score, roc_auc_score

from parklink.errors import ValidationError
from parklink.evaluate.api import evaluate_parks
from parklink.evaluate.calibration import (
    HOLDOUT_ROWS,
    _aligned_z,
    _recall_at_k,
    average_precision,
    batch_members,
    calibrate_to_programme,
    expected_random_average_precision,
    programme_weights,
    roc_auc,
)
from parklink.evaluate.matrix import Criterion, DecisionMatrix
from parklink.evaluate.weights import compute_weights

labelled_scores = st.integers(4, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),  # few values: many ties
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
).filter(lambda t: 0 < sum(t[1]) < len(t[1]))


@settings(max_examples=150, deadline=None)
@given(labelled_scores)
def test_auc_and_ap_equal_sklearn_with_ties(data: tuple[list[int], list[bool]]) -> None:
    s = np.array(data[0], dtype=float)
    y = np.array(data[1], dtype=bool)
    assert roc_auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert average_precision(s, y) == pytest.approx(average_precision_score(y, s), abs=1e-12)


@pytest.mark.parametrize(("n", "p"), [(2, 1), (5, 1), (6, 2), (7, 3), (8, 8)])
def test_expected_random_ap_equals_enumeration(n: int, p: int) -> None:
    # every set of positive positions is equally likely under a random ranking
    total, count = 0.0, 0
    for pos in itertools.combinations(range(n), p):
        y = np.zeros(n, dtype=bool)
        y[list(pos)] = True
        total += average_precision(-np.arange(n, dtype=float), y)  # rank order 0, 1, ..., n-1
        count += 1
    assert expected_random_average_precision(n, p) == pytest.approx(total / count, abs=1e-12)


def test_recall_at_k_shares_ties_at_the_cut() -> None:
    # scores 3, 2, 2, 2, 1; positives at positions 1 and 3 (score 2) and 4 (score 1); k = 2
    s = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    y = np.array([False, True, False, True, True])
    # one slot left for the three tied items, two of which are positive: 2/3 expected hits
    assert _recall_at_k(s, y, 2) == pytest.approx((2 / 3) / 3)
    assert _recall_at_k(s, y, 4) == pytest.approx(2 / 3)


def _toy(n: int = 40, seed: int = 1) -> tuple[DecisionMatrix, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    good = rng.normal(size=n)
    noise = rng.normal(size=n)
    cost = -good + 0.1 * rng.normal(size=n)  # a cost criterion aligned with "good"
    ids = [f"p{i:02d}" for i in range(n)]
    dm = DecisionMatrix(
        tuple(ids),
        (Criterion("good", "好", "good", "", "benefit"), Criterion("noise", "噪", "noise", "", "benefit"),
         Criterion("dist", "距", "distance", "h", "cost")),
        np.column_stack([good, noise, cost]),
    )
    order = np.argsort(-(good + 0.8 * rng.normal(size=n)))  # the choice follows "good", with noise
    first = [ids[i] for i in order[:10]]
    second = [ids[i] for i in order[10:14]]
    designations = pd.DataFrame({
        "designation_id": ["a", "b"], "batch": [1, 2],
        "members": [";".join(first), ";".join(second)],
    })
    return dm, designations


def test_fit_equals_an_independent_penalised_likelihood() -> None:
    dm, des = _toy()
    cal = calibrate_to_programme(dm, des, weight_bootstrap=0, bootstrap=10)
    z, keys = _aligned_z(dm)
    y = np.isin(np.array(dm.alternatives), sorted(batch_members(des, 1))).astype(float)
    c = cal.penalty_c

    def objective(theta: np.ndarray) -> float:  # sklearn's: ||β||²/2 + C Σ log-loss (intercept free)
        eta = theta[0] + z @ theta[1:]
        return 0.5 * float(theta[1:] @ theta[1:]) + c * float(np.sum(np.logaddexp(0.0, eta) - y * eta))

    ref = minimize(objective, np.zeros(z.shape[1] + 1), method="BFGS", options={"gtol": 1e-10}).x[1:]
    got = cal.coefficients.set_index("criterion").loc[list(keys), "beta"].to_numpy()
    np.testing.assert_allclose(got, ref, atol=1e-4)
    # the criterion the choice follows carries more weight than the noise
    w = cal.weights.as_dict()
    assert w["good"] > w["noise"]
    assert sum(w.values()) == pytest.approx(1.0)


def test_holdout_labels_do_not_leak_into_the_fit() -> None:
    dm, des = _toy()
    other = des.copy()
    other.loc[other["batch"] == 2, "members"] = ";".join(dm.alternatives[-4:])
    a = calibrate_to_programme(dm, des, weight_bootstrap=5, bootstrap=10)
    b = calibrate_to_programme(dm, other, weight_bootstrap=5, bootstrap=10)
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)
    pd.testing.assert_frame_equal(a.loo, b.loo)
    assert not a.holdout.equals(b.holdout)


def test_programme_weighting_and_robustness_cover_it() -> None:
    dm, des = _toy()
    w = programme_weights(dm, des)
    assert w.method == "programme"
    assert w.values.sum() == pytest.approx(1.0)
    assert compute_weights(dm, "programme", programme=w) is w
    with pytest.raises(ValidationError, match="programme"):
        compute_weights(dm, "programme")


def test_too_few_members_is_a_clear_error() -> None:
    dm, des = _toy()
    des = des.assign(members=["p00", ""])
    with pytest.raises(ValidationError, match="too few"):
        calibrate_to_programme(dm, des)


@pytest.fixture(scope="module")
def default_frames() -> dict[str, pd.DataFrame]:
    from parklink.datasets import chengyu

    kinds = ("parks", "regions", "zones", "transport_nodes", "enterprises", "designations")
    return {k: chengyu.load(k) for k in kinds}


def test_batch2_holdout_table_on_the_default(default_frames: dict[str, pd.DataFrame]) -> None:
    from parklink.evaluate.indicators import compute_indicators

    f = default_frames
    table = compute_indicators(f["parks"], regions=f["regions"], zones=f["zones"],
                               transport_nodes=f["transport_nodes"], enterprises=f["enterprises"])
    dm = table.matrix(f["parks"], min_coverage=0.5, source="park indicators")
    cal = calibrate_to_programme(dm, f["designations"], parks=f["parks"], bootstrap=300, weight_bootstrap=50)
    again = calibrate_to_programme(dm, f["designations"], parks=f["parks"], bootstrap=300, weight_bootstrap=50)
    pd.testing.assert_frame_equal(cal.holdout, again.holdout)  # seeded: reproducible
    h = cal.to_frame().set_index("rule")
    assert list(h.index) == list(HOLDOUT_ROWS)
    assert cal.n_train_positive == len(batch_members(f["designations"], 1) & set(dm.alternatives))
    assert cal.n_holdout == len(dm.alternatives) - cal.n_train_positive
    assert cal.n_holdout_positive == len(batch_members(f["designations"], 2))
    # the random row is the exact expectation
    assert h.loc["random", "recall_at_k"] == pytest.approx(15 / cal.n_holdout)
    assert h.loc["random", "auc"] == 0.5
    assert h.loc["random", "ap"] == pytest.approx(
        expected_random_average_precision(cal.n_holdout, cal.n_holdout_positive))
    for rule in HOLDOUT_ROWS:
        for m in ("recall_at_k", "auc", "ap"):
            assert 0.0 <= h.loc[rule, f"{m}_lo"] <= h.loc[rule, f"{m}_hi"] <= 1.0
    # an independent recomputation of the default row: TOPSIS combined scores ranked by sklearn
    ev = evaluate_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                        enterprises=f["enterprises"], draws=50)
    b1 = batch_members(f["designations"], 1)
    scores = ev.scores().drop(index=[p for p in b1 if p in ev.scores().index])
    labels = scores.index.isin(sorted(batch_members(f["designations"], 2)))
    assert h.loc["combined", "auc"] == pytest.approx(roc_auc_score(labels, scores.to_numpy()))
    assert h.loc["combined", "ap"] == pytest.approx(average_precision_score(labels, scores.to_numpy()))
    s = cal.summary()
    assert s["loo_auc"] == pytest.approx(cal.loo["auc_term"].mean())
    assert len(cal.loo) == cal.n_train_positive
    assert set(cal.explain()) == {"holdout", "coefficients", "loo"}


def test_evaluate_parks_with_programme_weighting(default_frames: dict[str, pd.DataFrame]) -> None:
    f = default_frames
    kw = {"regions": f["regions"], "zones": f["zones"], "transport_nodes": f["transport_nodes"],
          "enterprises": f["enterprises"], "draws": 50}
    with pytest.raises(ValidationError, match="designations"):
        evaluate_parks(f["parks"], weighting="programme", **kw)
    ev = evaluate_parks(f["parks"], weighting="programme", designations=f["designations"], **kw)
    assert ev.weights.method == "programme"
    assert "topsis/programme" in ev.robustness.rankings.columns


def test_cli_calibrate_prints_the_holdout_table(tmp_path: object) -> None:
    from typer.testing import CliRunner

    from parklink.cli import app

    res = CliRunner().invoke(app, ["evaluate", "--calibrate", "--draws", "50", "--weighting", "programme"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    words = " ".join(res.output.split())  # the table wraps at the console width
    for key in ("Hold-out on batch 2", "Weights fitted to batch 1", "leave-one-out AUC", "permutation p ="):
        assert key in words, key
    for zh, _en in HOLDOUT_ROWS.values():
        assert zh[:4] in words


def test_auc_permutation_p_value_matches_its_definition() -> None:
    dm, des = _toy()
    cal = calibrate_to_programme(dm, des, weight_bootstrap=0, bootstrap=400, seed=5)
    h = cal.to_frame().set_index("rule")
    assert np.isnan(h.loc["random", "auc_p_vs_random"])
    for rule in ("calibrated", "combined", "largest"):
        p = h.loc[rule, "auc_p_vs_random"]
        assert 1 / 401 <= p <= 1.0
    # a stronger AUC never gets a larger p-value (same null distribution for every rule)
    ordered = h.drop(index="random").sort_values("auc")
    assert ordered["auc_p_vs_random"].is_monotonic_decreasing
    s = cal.summary()
    assert s["calibrated_significant_vs_random"] == (s["calibrated_auc_p_vs_random"] < 0.05)
