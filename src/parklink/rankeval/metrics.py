"""Ranking metrics of one ranked list (binary relevance) and catalogue coverage.

``labels`` are 0/1 in ranked order (best first); ``n_positives`` counts every positive of the
query, including positives the candidate list lacks (they count as misses). Definitions
(Manning, Raghavan & Schütze 2008, *Introduction to Information Retrieval* §8.4; Järvelin &
Kekäläinen 2002 for NDCG), checked against ``ranx`` in the tests:

* precision@k = hits in the top k / k;
* recall@k = hits in the top k / P;
* NDCG@k = Σ_{i≤k} rel_i / log2(i+1) ÷ Σ_{i≤min(k,P)} 1 / log2(i+1);
* AP = Σ_i precision@i · rel_i / P (whole list); MAP = mean AP over queries;
* coverage@k = distinct items in any top-k list / distinct candidate items (catalogue coverage).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from parklink.errors import ValidationError

FloatArray = npt.NDArray[np.float64]


def _labels(labels: Sequence[float] | npt.ArrayLike) -> FloatArray:
    r = np.asarray(labels, dtype=np.float64).ravel()
    if r.size and ((r != 0) & (r != 1)).any():
        raise ValidationError.single("labels", "labels must be 0/1 in ranked order")
    return r


def _k(k: int) -> int:
    if int(k) < 1:
        raise ValidationError.single("k", "k must be a positive integer", value=k)
    return int(k)


def _npos(r: FloatArray, n_positives: int | None) -> float:
    n = float(r.sum()) if n_positives is None else float(n_positives)
    if n < r.sum():
        raise ValidationError.single("n_positives", "fewer positives than hits in the list",
                                     value=n_positives)
    return n


def precision_at_k(labels: Sequence[float] | npt.ArrayLike, k: int) -> float:
    """Hits among the first ``k`` items ÷ ``k`` (a shorter list still divides by ``k``)."""
    kk = _k(k)
    return float(_labels(labels)[:kk].sum() / kk)


def recall_at_k(labels: Sequence[float] | npt.ArrayLike, k: int, n_positives: int | None = None) -> float:
    """Hits among the first ``k`` items ÷ positives (NaN without positives)."""
    kk = _k(k)
    r = _labels(labels)
    n = _npos(r, n_positives)
    return float(r[:kk].sum() / n) if n > 0 else float("nan")


def ndcg_at_k(labels: Sequence[float] | npt.ArrayLike, k: int, n_positives: int | None = None) -> float:
    """Normalised discounted cumulative gain at ``k`` (log2 discount; NaN without positives)."""
    kk = _k(k)
    r = _labels(labels)[:kk]
    n = _npos(_labels(labels), n_positives)
    if n <= 0:
        return float("nan")
    disc = 1.0 / np.log2(np.arange(2, kk + 2))
    ideal = float(disc[: int(min(kk, n))].sum())
    return float((r * disc[: r.size]).sum() / ideal)


def average_precision(labels: Sequence[float] | npt.ArrayLike, n_positives: int | None = None) -> float:
    """Average precision of the whole list: Σ precision@i · rel_i ÷ positives (NaN without)."""
    r = _labels(labels)
    n = _npos(r, n_positives)
    if n <= 0:
        return float("nan")
    prec = np.cumsum(r) / np.arange(1, r.size + 1)
    return float((prec * r).sum() / n)


def coverage_at_k(top_lists: Iterable[Sequence[str]], catalogue: Iterable[str]) -> float:
    """Distinct items appearing in the given top-k lists ÷ distinct catalogue items."""
    cat = set(catalogue)
    if not cat:
        return float("nan")
    seen: set[str] = set()
    for lst in top_lists:
        seen.update(lst)
    return len(seen & cat) / len(cat)


def list_metrics(labels: FloatArray, n_positives: int, ks: Sequence[int]) -> dict[str, float]:
    """Every metric of one list at once (vectorised; same formulas as the functions above):
    keys ``precision@k``, ``recall@k``, ``ndcg@k`` for each k, and ``ap``."""
    n = labels.size
    longest = max(max(ks), n, n_positives, 1)
    disc = 1.0 / np.log2(np.arange(2, longest + 2))
    hits = np.concatenate([[0.0], np.cumsum(labels)])
    dcg = np.concatenate([[0.0], np.cumsum(labels * disc[:n])])
    idcg = np.concatenate([[0.0], np.cumsum(disc)])
    out: dict[str, float] = {}
    for k in ks:
        h = hits[min(k, n)]
        out[f"precision@{k}"] = float(h / k)
        out[f"recall@{k}"] = float(h / n_positives) if n_positives else float("nan")
        out[f"ndcg@{k}"] = (float(dcg[min(k, n)] / idcg[min(k, n_positives)])
                            if n_positives else float("nan"))
    prec = hits[1:] / np.arange(1, n + 1) if n else np.zeros(0)
    out["ap"] = float((prec * labels).sum() / n_positives) if n_positives else float("nan")
    return out
