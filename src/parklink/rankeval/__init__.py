"""Honest ranking evaluation (诚实的排序评估): time-split hold-out, ranking metrics, simple
baselines, the oracle row, a paired randomisation test and learned rankers.

Generic over "query → ranked candidates" problems (investment targets: (scope, segment) →
firms; matching: need → offers, enterprise → suppliers). The protocol and the formulas are in
``docs/rankeval.md``.

* :mod:`~parklink.rankeval.split` — :func:`time_split` (fit on years < T, test on links new in T);
* :mod:`~parklink.rankeval.metrics` — precision@k, recall@k, NDCG@k, AP/MAP, coverage;
* :mod:`~parklink.rankeval.stats` — :func:`paired_randomisation_test` (sign flips, seeded);
* :mod:`~parklink.rankeval.learn` — :class:`LogisticRanker` (regularised logistic regression);
* :mod:`~parklink.rankeval.table` — :func:`evaluate_rankings` → :class:`EvaluationTable`.
"""

from parklink.rankeval.learn import LogisticRanker
from parklink.rankeval.metrics import (
    average_precision,
    coverage_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from parklink.rankeval.split import TimeSplit, time_split
from parklink.rankeval.stats import PairedTest, paired_randomisation_test
from parklink.rankeval.table import EvaluationTable, Method, evaluate_rankings

__all__ = [
    "EvaluationTable",
    "LogisticRanker",
    "Method",
    "PairedTest",
    "TimeSplit",
    "average_precision",
    "coverage_at_k",
    "evaluate_rankings",
    "ndcg_at_k",
    "paired_randomisation_test",
    "precision_at_k",
    "recall_at_k",
    "time_split",
]
