"""Ranking metrics: hand-computed cases and a cross-check against ranx on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parklink.errors import ValidationError
from parklink.rankeval.metrics import (
    average_precision,
    coverage_at_k,
    list_metrics,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)


def test_hand_computed() -> None:
    rel = [1, 0, 1, 0, 0]
    assert precision_at_k(rel, 2) == 0.5
    assert precision_at_k(rel, 10) == 0.2  # a shorter list still divides by k
    assert recall_at_k(rel, 3, n_positives=4) == 0.5
    # AP = (1/1 + 2/3) / 3 positives (one missing from the list)
    assert average_precision(rel, n_positives=3) == pytest.approx((1 + 2 / 3) / 3)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(rel, 3) == pytest.approx(dcg / idcg)
    assert math.isnan(recall_at_k([0, 0], 1))
    assert coverage_at_k([["a", "b"], ["b", "c"]], ["a", "b", "c", "d"]) == 0.75
    with pytest.raises(ValidationError):
        precision_at_k([2, 0], 1)
    with pytest.raises(ValidationError):
        ndcg_at_k([1], 0)


def test_list_metrics_agree_with_the_functions() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        lab = (rng.random(n) < 0.3).astype(float)
        npos = int(lab.sum()) + int(rng.integers(0, 3))
        if npos == 0:
            continue
        m = list_metrics(lab, npos, (1, 5, 10))
        for k in (1, 5, 10):
            assert m[f"precision@{k}"] == pytest.approx(precision_at_k(lab, k))
            assert m[f"recall@{k}"] == pytest.approx(recall_at_k(lab, k, npos))
            assert m[f"ndcg@{k}"] == pytest.approx(ndcg_at_k(lab, k, npos))
        assert m["ap"] == pytest.approx(average_precision(lab, npos))


def test_against_ranx_on_random_runs() -> None:
    ranx = pytest.importorskip("ranx")
    rng = np.random.default_rng(20200611)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    ours: dict[str, dict[str, float]] = {}
    for q in range(40):
        n = int(rng.integers(12, 40))  # longer than every k (ranx shortens k to the list)
        docs = [f"d{i}" for i in range(n)]
        scores = rng.permutation(n).astype(float)
        lab = rng.random(n) < 0.25
        extra = int(rng.integers(0, 3))  # relevant items the run does not retrieve
        rel = {d: 1 for d, y in zip(docs, lab, strict=True) if y}
        rel.update({f"missing{j}": 1 for j in range(extra)})
        if not rel:
            continue
        qrels[f"q{q}"] = rel
        run[f"q{q}"] = dict(zip(docs, scores.tolist(), strict=True))
        order = np.argsort(-scores)
        ours[f"q{q}"] = list_metrics(lab[order].astype(float), len(rel), (1, 5, 10))
    names = ["precision@5", "precision@10", "recall@5", "recall@10", "ndcg@1", "ndcg@5", "ndcg@10", "map"]
    res = ranx.evaluate(ranx.Qrels(qrels), ranx.Run(run), names, return_mean=False)
    for name in names:
        theirs = np.asarray(res[name], dtype=float)
        key = "ap" if name == "map" else name
        mine = np.array([ours[q][key] for q in sorted(qrels)])  # ranx orders queries by id
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12, err_msg=name)
