"""Revealed-preference calibration: criterion weights fitted to the programme's own choices.

The programme designated its first batch (2020, announced 2021-01-05) among the parks of the
registry, and its second batch (2022, announced 2023-03-24) among the rest. This module asks
the question an office should ask of any ranking: *would it have picked the parks the
programme actually picked?*

Method (formulas in ``docs/evaluation.md`` § Calibration):

1. **Features.** The decision matrix is standardised and direction-aligned,
   ``z_ij = s_j (x_ij − mean_j) / sd_j`` with ``s_j = +1`` for a benefit and ``−1`` for a cost
   criterion, so that a positive coefficient always means "the programme preferred the better
   value". Constant columns are left out (weight 0).
2. **Fit on batch 1.** An L2-regularised logistic regression (scikit-learn
   ``LogisticRegression``) of "named member of batch 1" on ``z`` over every registry park.
   With one choice set this is the binary form of the conditional logit of choosing *k* of *n*
   (McFadden 1974); the L2 penalty keeps 12 coefficients estimable from 18 positives. The
   penalty ``C`` is chosen by stratified 5-fold cross-validation on log loss
   (``LogisticRegressionCV``, seeded).
3. **Weights.** ``w_j = max(β_j, 0) / Σ_k max(β_k, 0)``: a criterion the programme did not
   reward (β ≤ 0) gets weight 0. This is the ``programme`` weighting of ``parklink evaluate``.
   Bootstrap refits (stratified resampling of the parks, fixed ``C``) give percentile intervals.
4. **Hold-out on batch 2.** Among the parks not named in batch 1, the named members of batch 2
   are the positives. Recall@k, ROC AUC and average precision are reported for the calibrated
   score ``β·z``, TOPSIS with the programme weights, TOPSIS with the default combined weighting,
   TOPSIS with equal weights, "national level first, then the largest planned area", and a
   random ranking (exact expected values). Intervals: 2.5–97.5 % percentiles over stratified
   bootstrap resamples of the hold-out candidates (the scores are fixed, trained on batch 1).
5. **Leave-one-out** over the batch-1 members: refit without the member, and place it among
   the batch-1 non-members (its share of non-members scored below it, i.e. its AUC term).

Caveats, printed with every result: 18 + 5 named members is a small sample; 2 batch-1 and 10
batch-2 members are unnamed in the sources, so some "negatives" are in truth members (the
metrics are pessimistic for every row alike); every registry park is taken as a candidate of
both batches (founding years are not in the registry).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import ValidationError
from parklink.evaluate.matrix import DecisionMatrix
from parklink.evaluate.methods import topsis
from parklink.evaluate.weights import Weights, compute_weights
from parklink.tables import split_list

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "HOLDOUT_ROWS",
    "ProgrammeCalibration",
    "average_precision",
    "batch_members",
    "calibrate_to_programme",
    "expected_random_average_precision",
    "holdout_metrics",
    "programme_weights",
    "roc_auc",
]

#: The rows of the hold-out table: key → (中文, English).
HOLDOUT_ROWS: dict[str, tuple[str, str]] = {
    "calibrated": ("校准模型（β·z）", "calibrated model (β·z)"),
    "programme_topsis": ("TOPSIS＋校准权重", "TOPSIS with programme weights"),
    "combined": ("TOPSIS＋组合赋权（默认）", "TOPSIS with combined weights (default)"),
    "equal": ("TOPSIS＋等权", "TOPSIS with equal weights"),
    "largest": ("国家级优先、面积最大优先", "national level first, then largest area"),
    "random": ("随机（期望值）", "random (expected value)"),
}

CAVEAT = (
    "样本小：第一批18个、第二批5个具名成员；第一批2个、第二批10个成员未具名，部分“负例”实为成员。"
    " Small sample: 18 named batch-1 and 5 named batch-2 members; 2 batch-1 and 10 batch-2 members "
    "are unnamed, so some 'negatives' are members in truth (pessimistic for every row alike)."
)


def batch_members(designations: pd.DataFrame, batch: int) -> set[str]:
    """Park ids named as members of any designation of ``batch`` (``designations`` as the
    canonical ``designations`` table: ``members`` is a ';'-joined list)."""
    if "batch" not in designations.columns or "members" not in designations.columns:
        raise ValidationError.single("designations", "needs the columns 'batch' and 'members'")
    out: set[str] = set()
    rows = designations[pd.to_numeric(designations["batch"], errors="coerce") == batch]
    for text in rows["members"]:
        out.update(split_list(text))
    return out


def _aligned_z(dm: DecisionMatrix) -> tuple[FloatArray, tuple[str, ...]]:
    """Standardised, direction-aligned features of the non-constant criteria."""
    x = np.asarray(dm.values, dtype=np.float64)
    sd = x.std(axis=0)
    keep = sd > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))
    sign = np.array([1.0 if c.direction == "benefit" else -1.0 for c in dm.criteria])
    z = sign[keep] * (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    keys = tuple(k for k, kept in zip(dm.keys, keep, strict=True) if kept)
    return z, keys


def _recall_at_k(scores: FloatArray, labels: npt.NDArray[np.bool_], k: int) -> float:
    """Recall@k with ties at the cut shared in expectation (random tie-breaking)."""
    n_pos = int(labels.sum())
    if n_pos == 0:
        return float("nan")
    k = min(k, len(scores))
    order = np.sort(scores)[::-1]
    cut = order[k - 1]
    above = scores > cut
    tied = scores == cut
    slots = k - int(above.sum())
    hits = float(labels[above].sum()) + slots * float(labels[tied].sum()) / float(tied.sum())
    return hits / n_pos


def roc_auc(scores: FloatArray, labels: npt.NDArray[np.bool_]) -> float:
    """ROC AUC as the Mann–Whitney statistic: P(score of a positive > score of a negative),
    ties counted one half (equals ``sklearn.metrics.roc_auc_score``)."""
    pos = np.sort(scores[labels])
    neg = np.sort(scores[~labels])
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    below = np.searchsorted(neg, pos, side="left")
    not_above = np.searchsorted(neg, pos, side="right")
    return float((below.sum() + 0.5 * (not_above - below).sum()) / (len(pos) * len(neg)))


def average_precision(scores: FloatArray, labels: npt.NDArray[np.bool_]) -> float:
    """Average precision ``Σ_n (R_n − R_{n−1}) P_n`` over the distinct score thresholds in
    decreasing order (tied items enter together; equals
    ``sklearn.metrics.average_precision_score``)."""
    n_pos = int(labels.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    y = labels[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # end of each tie group
    tp = np.cumsum(y)[last]
    seen = last + 1.0
    precision = tp / seen
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def holdout_metrics(scores: npt.ArrayLike, labels: npt.ArrayLike, *, k: int = 15) -> dict[str, float]:
    """Recall@k (ties at the cut shared in expectation), ROC AUC (ties count one half) and
    average precision (step-wise, as scikit-learn) of ``scores`` (higher = more likely chosen)
    against ``labels``."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    if y.all() or not y.any():
        return {"recall_at_k": float("nan"), "auc": float("nan"), "ap": float("nan")}
    return {"recall_at_k": _recall_at_k(s, y, k), "auc": roc_auc(s, y), "ap": average_precision(s, y)}


def expected_random_average_precision(n: int, positives: int) -> float:
    """Exact expected average precision of a uniformly random ranking of ``n`` items with
    ``positives`` relevant ones: ``(1/n) [H_n + (P−1)/(n−1) (n − H_n)]`` (H_n the harmonic
    number), from ``E[AP] = (1/P) Σ_r P(rel_r) E[prec@r | rel_r]``."""
    if positives <= 0 or n <= 0:
        return float("nan")
    h = sum(1.0 / r for r in range(1, n + 1))
    if n == 1:
        return 1.0
    return (h + (positives - 1) / (n - 1) * (n - h)) / n


def _stratified_indices(labels: npt.NDArray[np.bool_], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    pos = np.flatnonzero(labels)
    neg = np.flatnonzero(~labels)
    return np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]).astype(np.int64)


def _interval(values: list[float]) -> tuple[float, float]:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    if arr.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(arr, [2.5, 97.5])
    return (float(lo), float(hi))


@dataclass(frozen=True, eq=False)
class ProgrammeCalibration:
    """Weights fitted to the first batch and their check on the second batch.

    ``holdout`` has one row per ranking rule (:data:`HOLDOUT_ROWS`) with recall@k, AUC and AP
    and their bootstrap intervals; ``coefficients`` has β, the weight and its interval per
    criterion; ``loo`` the leave-one-out placement of every batch-1 member.
    """

    weights: Weights
    coefficients: pd.DataFrame = field(repr=False)
    holdout: pd.DataFrame = field(repr=False)
    loo: pd.DataFrame = field(repr=False)
    penalty_c: float
    k: int
    n_train: int
    n_train_positive: int
    n_holdout: int
    n_holdout_positive: int
    seed: int
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The batch-2 hold-out table (one row per ranking rule)."""
        return self.holdout.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only view of every intermediate table: hold-out, coefficients, leave-one-out."""
        from types import MappingProxyType

        return MappingProxyType(
            {"holdout": self.holdout.copy(), "coefficients": self.coefficients.copy(), "loo": self.loo.copy()}
        )

    def summary(self) -> dict[str, Any]:
        """Headline figures: which rule wins on AUC and AP, the LOO AUC, sample sizes."""
        h = self.holdout.set_index("rule")
        ranked = h.drop(index="random")
        best_auc = str(ranked["auc"].idxmax())
        best_ap = str(ranked["ap"].idxmax())
        calibrated_beats = bool(
            h.loc["calibrated", "auc"] > ranked.drop(index="calibrated")["auc"].max()
            and h.loc["calibrated", "ap"] > ranked.drop(index="calibrated")["ap"].max()
        )
        p_cal = float(self.holdout.loc[self.holdout["rule"] == "calibrated", "auc_p_vs_random"].iloc[0])
        return {
            "calibrated_auc_p_vs_random": p_cal,
            "calibrated_significant_vs_random": bool(p_cal < 0.05),
            "best_auc": best_auc,
            "best_ap": best_ap,
            "calibrated_beats_all_baselines": calibrated_beats,
            "loo_auc": float(self.loo["auc_term"].mean()) if len(self.loo) else float("nan"),
            "penalty_c": self.penalty_c,
            "k": self.k,
            "n_train": self.n_train,
            "n_train_positive": self.n_train_positive,
            "n_holdout": self.n_holdout,
            "n_holdout_positive": self.n_holdout_positive,
            "weights": self.weights.as_dict(),
            "caveat": CAVEAT,
        }


def _fit(z: FloatArray, y: npt.NDArray[np.bool_], c: float) -> FloatArray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, l1_ratio=0.0, solver="newton-cholesky", max_iter=200, tol=1e-8)
    model.fit(z, y)
    return np.asarray(model.coef_[0], dtype=np.float64)


def _choose_c(z: FloatArray, y: npt.NDArray[np.bool_], seed: int) -> float:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    folds = min(5, int(y.sum()), int((~y).sum()))
    if folds < 2:
        return 1.0
    cv = LogisticRegressionCV(
        Cs=np.logspace(-2, 2, 17),
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        scoring="neg_log_loss",
        l1_ratios=(0.0,),
        solver="newton-cholesky",
        max_iter=200,
        use_legacy_attributes=False,
    )
    cv.fit(z, y)
    return float(np.asarray(cv.C_).ravel()[0])


def _weights_from_beta(beta: FloatArray, keys: tuple[str, ...], all_keys: tuple[str, ...]) -> tuple[FloatArray, bool]:
    pos = np.clip(beta, 0.0, None)
    total = float(pos.sum())
    by_key = dict(zip(keys, pos / total if total > 0 else np.zeros_like(pos), strict=True))
    return np.array([by_key.get(k, 0.0) for k in all_keys], dtype=np.float64), total > 0


def programme_weights(dm: DecisionMatrix, designations: pd.DataFrame, *, batch: int = 1, seed: int = 20200611) -> Weights:
    """The ``programme`` weighting: weights fitted to the named members of ``batch`` (see the
    module docstring). Falls back to equal weights, with a note, if no criterion has a positive
    coefficient."""
    z, keys = _aligned_z(dm)
    members = batch_members(designations, batch)
    y = np.array([a in members for a in dm.alternatives], dtype=bool)
    if y.sum() < 2 or (~y).sum() < 2:
        raise ValidationError.single(
            "designations", f"batch {batch} names {int(y.sum())} of the evaluated parks: too few to calibrate on"
        )
    beta = _fit(z, y, _choose_c(z, y, seed))
    w, ok = _weights_from_beta(beta, keys, dm.keys)
    if not ok:
        return Weights("programme", dm.keys, np.full(len(dm.keys), 1.0 / len(dm.keys)),
                       notes=("no criterion was rewarded by the programme's choice: equal weights",))
    return Weights("programme", dm.keys, w)


def _largest_first(dm: DecisionMatrix, parks: pd.DataFrame | None) -> FloatArray:
    """Score of the 'national level first, then largest planned area' rule."""
    level_rank = {"national": 3.0, "provincial": 2.0}
    lv = np.zeros(len(dm.alternatives))
    area = np.zeros(len(dm.alternatives))
    if parks is not None and "park_id" in parks.columns:
        info = parks.set_index(parks["park_id"].astype(str))
        for i, a in enumerate(dm.alternatives):
            if a in info.index:
                lv[i] = level_rank.get(str(info.at[a, "level"]), 1.0) if "level" in info.columns else 0.0
                raw = pd.to_numeric(pd.Series([info.at[a, "area_km2"]]), errors="coerce").iloc[0] if "area_km2" in info.columns else np.nan
                area[i] = 0.0 if pd.isna(raw) else float(raw)
    elif "park_level" in dm.keys:
        lv = np.asarray(dm.values[:, dm.keys.index("park_level")], dtype=np.float64)
    # lexicographic: level dominates; area (km², < 1e6) breaks ties inside a level
    return lv * 1e6 + area


def calibrate_to_programme(
    dm: DecisionMatrix,
    designations: pd.DataFrame,
    *,
    parks: pd.DataFrame | None = None,
    train_batch: int = 1,
    holdout_batch: int = 2,
    k: int = 15,
    bootstrap: int = 1000,
    weight_bootstrap: int = 200,
    seed: int = 20200611,
) -> ProgrammeCalibration:
    """Fit the programme weighting on ``train_batch`` and check it on ``holdout_batch``.

    ``dm`` is the evaluation's decision matrix over the registry parks (the candidates);
    ``parks`` (the registry frame) supplies level and planned area for the "largest first"
    baseline. Deterministic for a given ``seed``. See the module docstring for the method.
    """
    rng = np.random.default_rng(seed)
    alts = np.array(dm.alternatives)
    train_members = batch_members(designations, train_batch)
    hold_members = batch_members(designations, holdout_batch)
    y = np.isin(alts, sorted(train_members))
    if y.sum() < 2 or (~y).sum() < 2:
        raise ValidationError.single(
            "designations", f"batch {train_batch} names {int(y.sum())} of the evaluated parks: too few to calibrate on"
        )
    z, keys = _aligned_z(dm)
    c = _choose_c(z, y, seed)
    beta = _fit(z, y, c)
    w, ok = _weights_from_beta(beta, keys, dm.keys)
    notes: list[str] = [CAVEAT]
    if not ok:
        w = np.full(len(dm.keys), 1.0 / len(dm.keys))
        notes.append("no criterion was rewarded by the programme's choice: programme weights fall back to equal")
    weights = Weights("programme", dm.keys, w)

    # bootstrap intervals of β and the weights (fixed C)
    boot_beta: list[FloatArray] = []
    boot_w: list[FloatArray] = []
    for _ in range(weight_bootstrap):
        idx = _stratified_indices(y, rng)
        b = _fit(z[idx], y[idx], c)
        boot_beta.append(b)
        boot_w.append(_weights_from_beta(b, keys, dm.keys)[0])
    bb = np.array(boot_beta) if boot_beta else np.tile(beta, (1, 1))
    bw = np.array(boot_w) if boot_w else np.tile(w, (1, 1))
    beta_by_key = dict(zip(keys, beta, strict=True))
    col_of = {k2: i for i, k2 in enumerate(keys)}
    coef_rows = []
    for j, crit in enumerate(dm.criteria):
        i = col_of.get(crit.key)
        coef_rows.append({
            "criterion": crit.key,
            "name_zh": crit.name_zh,
            "name_en": crit.name_en,
            "direction": crit.direction,
            "beta": float(beta_by_key[crit.key]) if i is not None else float("nan"),
            "beta_lo": float(np.nanpercentile(bb[:, i], 2.5)) if i is not None else float("nan"),
            "beta_hi": float(np.nanpercentile(bb[:, i], 97.5)) if i is not None else float("nan"),
            "weight": float(w[j]),
            "weight_lo": float(np.nanpercentile(bw[:, j], 2.5)),
            "weight_hi": float(np.nanpercentile(bw[:, j], 97.5)),
            "constant": i is None,
        })
    coefficients = pd.DataFrame(coef_rows)

    # scores of every rule over all parks
    rules: dict[str, FloatArray] = {
        "calibrated": z @ beta,
        "programme_topsis": np.asarray(topsis(dm, weights=weights).scores, dtype=np.float64),
        "combined": np.asarray(topsis(dm, weights=compute_weights(dm, "combined")).scores, dtype=np.float64),
        "equal": np.asarray(topsis(dm, weights=compute_weights(dm, "equal")).scores, dtype=np.float64),
        "largest": _largest_first(dm, parks),
    }
    cand = ~y
    hy = np.isin(alts[cand], sorted(hold_members))
    n_h, p_h = int(cand.sum()), int(hy.sum())
    boot_sets = [_stratified_indices(hy, rng) for _ in range(bootstrap)] if p_h > 0 else []
    rows: list[dict[str, Any]] = []
    for rule, scores in rules.items():
        s = scores[cand]
        point = holdout_metrics(s, hy, k=k)
        samples: dict[str, list[float]] = {m: [] for m in point}
        for idx in boot_sets:
            for m, v in holdout_metrics(s[idx], hy[idx], k=k).items():
                samples[m].append(v)
        rows.append(_row(rule, point, samples))
    # random ranking: exact expectations; intervals over random permutations
    rnd_samples: dict[str, list[float]] = {"recall_at_k": [], "auc": [], "ap": []}
    if p_h > 0:
        for _ in range(bootstrap):
            for m, v in holdout_metrics(rng.random(n_h), hy, k=k).items():
                rnd_samples[m].append(v)
    expected = {
        "recall_at_k": min(k, n_h) / n_h if n_h else float("nan"),
        "auc": 0.5,
        "ap": expected_random_average_precision(n_h, p_h),
    }
    rows.append(_row("random", expected, rnd_samples))
    holdout = pd.DataFrame(rows)
    # one-sided permutation test of each rule's AUC against a random ranking of the same
    # candidates: p = (1 + #{random AUC ≥ observed}) / (1 + permutations)
    null = np.asarray(rnd_samples["auc"], dtype=np.float64)
    holdout["auc_p_vs_random"] = [
        float((1 + np.sum(null >= auc - 1e-12)) / (1 + len(null))) if len(null) and r != "random" else float("nan")
        for r, auc in zip(holdout["rule"], holdout["auc"], strict=True)
    ]

    # leave-one-out over batch-1 members
    loo_rows = []
    neg_idx = np.flatnonzero(~y)
    for member in np.flatnonzero(y):
        keep = np.ones(len(y), dtype=bool)
        keep[member] = False
        b = _fit(z[keep], y[keep], c)
        s_i = float(z[member] @ b)
        s_neg = z[neg_idx] @ b
        term = float(((s_neg < s_i).sum() + 0.5 * (s_neg == s_i).sum()) / len(s_neg))
        loo_rows.append({"park_id": str(alts[member]), "label": dm.labels[int(member)], "score": s_i,
                         "rank_among_non_members": int((s_neg > s_i).sum()) + 1, "auc_term": term})
    loo = pd.DataFrame(loo_rows)
    return ProgrammeCalibration(
        weights=weights, coefficients=coefficients, holdout=holdout, loo=loo, penalty_c=c, k=k,
        n_train=len(y), n_train_positive=int(y.sum()), n_holdout=n_h, n_holdout_positive=p_h,
        seed=seed, notes=tuple(notes),
    )


def _row(rule: str, point: Mapping[str, float], samples: Mapping[str, list[float]]) -> dict[str, Any]:
    zh, en = HOLDOUT_ROWS[rule]
    row: dict[str, Any] = {"rule": rule, "name_zh": zh, "name_en": en}
    for m in ("recall_at_k", "auc", "ap"):
        lo, hi = _interval(list(samples.get(m, [])))
        row[m] = float(point[m])
        row[f"{m}_lo"] = lo
        row[f"{m}_hi"] = hi
    return row
