"""evaluate_rankings on hand-made candidates; the learned rankers recover a known signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from parklink.errors import ValidationError
from parklink.rankeval.learn import LogisticRanker
from parklink.rankeval.table import Method, evaluate_rankings

METHODS = (
    Method("model", "m", "model", "模型", "model"),
    Method("size", "s", "baseline", "规模", "size"),
    Method("bad", "b", "baseline", "差", "bad"),
    Method("oracle", "o", "oracle", "真值", "oracle"),
)


def _cands() -> pd.DataFrame:
    # q1: items x (pos), y, z; q2: items x, y (pos); q3 has no positive (not evaluated)
    return pd.DataFrame({
        "query_id": ["q1", "q1", "q1", "q2", "q2", "q3"],
        "item_id": ["x", "y", "z", "x", "y", "z"],
        "label": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        "m": [3.0, 2.0, 1.0, 1.0, 2.0, 0.0],  # perfect
        "s": [1.0, 3.0, 2.0, 2.0, 1.0, 0.0],  # worst
        "b": [2.0, 3.0, 1.0, 2.0, 1.0, 0.0],  # positive second in q1, last in q2
        "o": [9.0, 0.0, 0.0, 0.0, 9.0, 0.0],
    })


def test_hand_computed_table() -> None:
    ev = evaluate_rankings(_cands(), METHODS, ks=(1, 2), test_metric="ndcg@2", seed=1, label="t")
    t = ev.to_frame().set_index("method")
    assert t.loc["model", "n_queries"] == 2  # q3 has no positive
    assert t.loc["model", "precision@1"] == 1.0 and t.loc["model", "map"] == 1.0
    assert t.loc["size", "precision@1"] == 0.0
    # bad: q1 AP = 1/2, q2 AP = 1/2 -> MAP 0.5; ndcg@2 q1 = (1/log2 3)/1, q2 = 1/log2(3)
    assert t.loc["bad", "map"] == pytest.approx(0.5)
    assert t.loc["bad", "ndcg@2"] == pytest.approx(1 / np.log2(3))
    assert ev.best_baseline == "bad"
    # model beats "bad" on both queries: exact sign-flip p = 1/4
    assert ev.test is not None and ev.test.p_value == pytest.approx(0.25)
    assert t.loc["model", "p_vs_best_baseline"] == pytest.approx(0.25)
    # coverage@1: model shows x (q1) and y (q2) out of catalogue {x, y, z} of evaluated queries
    assert t.loc["model", "coverage@1"] == pytest.approx(2 / 3)
    assert "does not beat" in ev.summary()
    assert set(ev.explain()) >= {"per_query", "test"}
    with pytest.raises(ValidationError):
        evaluate_rankings(_cands().drop(columns="label"), METHODS)


def test_ties_are_broken_by_the_seed_only() -> None:
    c = _cands().assign(m=0.0)
    a = evaluate_rankings(c, METHODS, ks=(1,), test_metric="ndcg@1", seed=3).per_query
    b = evaluate_rankings(c, METHODS, ks=(1,), test_metric="ndcg@1", seed=3).per_query
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("objective", ["pointwise", "pairwise"])
def test_learned_ranker_recovers_the_signal(objective: str) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    f = pd.DataFrame({"query_id": rng.integers(0, 100, n).astype(str),
                      "good": rng.normal(size=n), "noise": rng.normal(size=n)})
    p = 1 / (1 + np.exp(-(2.0 * f["good"] - 2.0)))
    f["label"] = (rng.random(n) < p).astype(float)
    m = LogisticRanker.fit(f, ["good", "noise"], objective=objective, seed=0)
    w = m.explain().set_index("feature")
    assert w.loc["good", "weight_std"] > 1.0
    assert abs(w.loc["noise", "weight_std"]) < 0.3
    assert np.corrcoef(m.score(f), f["good"])[0, 1] > 0.95
    with pytest.raises(ValidationError):
        LogisticRanker.fit(f.assign(label=0.0), ["good"])
