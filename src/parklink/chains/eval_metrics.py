"""Ranking metrics of the investment-target evaluation (precision@k, recall@k, MAP@k, NDCG@k,
AUC-PR, AUC-ROC) and the bilingual names of methods, metrics and negative samplings.

Part of :mod:`parklink.chains.evaluation` (protocol there; formulas in ``docs/chains.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from parklink.errors import ValidationError

FloatArray = npt.NDArray[np.float64]

#: Methods in report order: the engine's ranking, then the baselines.
METHODS: dict[str, tuple[str, str]] = {
    "model": ("招商目标评分", "target score (engine)"),
    "random": ("随机", "random (seeded)"),
    "popularity_size": ("规模（产值）", "popularity: size (output)"),
    "popularity_degree": ("客户数", "popularity: degree (buyers up to T)"),
    "distance": ("距离", "distance only"),
    "relatedness": ("关联密度", "relatedness density only"),
    "autocorrelation": ("上期延续", "same as last period"),
}
METRICS: dict[str, tuple[str, str]] = {
    "precision": ("精确率@k", "precision@k"),
    "recall": ("召回率@k", "recall@k"),
    "map": ("平均精确率@k", "MAP@k"),
    "ndcg": ("归一化折损累计增益@k", "NDCG@k"),
    "auc_pr": ("PR曲线下面积", "AUC-PR (average precision)"),
    "auc_roc": ("ROC曲线下面积", "AUC-ROC (not headlined)"),
}
NEGATIVES: dict[str, tuple[str, str]] = {
    "all": ("全部候选", "all candidates"),
    "random": ("随机负例", "random negatives"),
    "hard": ("困难负例", "hard negatives (same segment, similar distance)"),
}


# --------------------------------------------------------------------------- metrics


def _rel(relevance: Sequence[float] | npt.ArrayLike) -> FloatArray:
    r = np.asarray(relevance, dtype=float).ravel()
    if r.size and (((r != 0) & (r != 1)).any() or not np.isfinite(r).all()):
        raise ValidationError.single("relevance", "relevance must be 0/1 in ranked order")
    return r


def _check_k(k: int) -> None:
    if int(k) < 1:
        raise ValidationError.single("k", "k must be a positive integer", value=k)


def precision_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int) -> float:
    """Precision@k of one ranked list: hits among the first ``k`` items divided by ``k``.

    ``relevance`` holds 0/1 labels in ranked order (best first). A list shorter than ``k``
    still divides by ``k`` (missing places count as misses), so ``precision@k · k`` never
    exceeds the number of positives (Manning, Raghavan & Schütze 2008, *Introduction to
    Information Retrieval*, §8.4).
    """
    _check_k(k)
    r = _rel(relevance)
    return float(r[:k].sum() / k)


def recall_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
                n_positives: int | None = None) -> float:
    """Recall@k: hits among the first ``k`` items divided by the number of positives.

    ``n_positives`` (default: the positives in the list) lets positives that the list does
    not contain count as misses. NaN when there are no positives (Manning et al. 2008 §8.4).
    """
    _check_k(k)
    r = _rel(relevance)
    n = float(r.sum()) if n_positives is None else float(n_positives)
    if n <= 0:
        return float("nan")
    return float(r[:k].sum() / n)


def average_precision_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
                           n_positives: int | None = None) -> float:
    """AP@k: ``Σ_{i≤k} P@i · rel_i / min(k, n_positives)`` (the mean of AP@k over gaps is MAP@k).

    The normaliser ``min(k, n_pos)`` is the one of the widely used ``apk`` of Hamner's
    ml_metrics and of Manning et al. 2008 §8.4 truncated at ``k``; a perfect top-k ranking
    scores 1. NaN when there are no positives.
    """
    _check_k(k)
    r = _rel(relevance)[:k]
    n = float(_rel(relevance).sum()) if n_positives is None else float(n_positives)
    if n <= 0:
        return float("nan")
    if not r.size:
        return 0.0
    prec = np.cumsum(r) / np.arange(1, r.size + 1)
    return float((prec * r).sum() / min(k, n))


def ndcg_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
              n_positives: int | None = None) -> float:
    """NDCG@k with binary gains: ``DCG@k / IDCG@k``, ``DCG@k = Σ_{i≤k} rel_i / log2(i + 1)``.

    ``IDCG@k`` is the DCG of the ideal list, ``Σ_{i≤min(k, n_pos)} 1 / log2(i + 1)``
    (Järvelin & Kekäläinen 2002, ACM TOIS 20(4)). NaN when there are no positives.
    """
    _check_k(k)
    full = _rel(relevance)
    n = int(full.sum()) if n_positives is None else int(n_positives)
    if n <= 0:
        return float("nan")
    r = full[:k]
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((r * disc[: r.size]).sum())
    idcg = float(disc[: min(k, n)].sum())
    return dcg / idcg


def auc_pr(relevance: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the precision–recall curve of a complete, strictly ordered ranked list, as
    average precision ``AP = Σ_n (R_n − R_{n−1}) P_n = Σ_i P@i · rel_i / n_pos`` (the
    step-wise estimator of scikit-learn ``average_precision_score``; Manning et al. 2008
    §8.4). NaN without positives."""
    r = _rel(relevance)
    n = float(r.sum())
    if n == 0:
        return float("nan")
    prec = np.cumsum(r) / np.arange(1, r.size + 1)
    return float((prec * r).sum() / n)


def auc_roc(relevance: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the ROC curve of a complete, strictly ordered ranked list: the share of
    (positive, negative) pairs with the positive ranked first (Mann–Whitney U / (P·N);
    Hanley & McNeil 1982, Radiology 143). NaN when the list lacks positives or negatives."""
    r = _rel(relevance)
    n_pos = float(r.sum())
    n_neg = float(r.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    neg_below = n_neg - np.cumsum(1.0 - r)  # negatives ranked after each position
    return float((neg_below * r).sum() / (n_pos * n_neg))
