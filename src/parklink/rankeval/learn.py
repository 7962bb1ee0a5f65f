"""Learned rankers: an L2-regularised logistic regression on documented features (学习排序).

The model is fitted on the candidates of an earlier period (features from years < T−1,
labels = links new in T−1) and scores the candidates of the test period. It is a pointwise
learning-to-rank model: ``P(link) = σ(β₀ + Σ_j β_j · z_j)`` with ``z_j`` the feature
standardised on the training candidates, fitted by ``sklearn.linear_model.LogisticRegression``
(L2 penalty, ``c`` = inverse regularisation strength ``C``, lbfgs). Rankings only need the order of
``β·z``. ``explain()`` shows the fitted weights per feature (standardised and per raw unit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parklink.errors import ValidationError

MODEL_VERSION = "logit-l2-v1"


def _pair_differences(z: np.ndarray, y: np.ndarray, groups: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """``z_pos − z_neg`` for (positive, negative) pairs within each group (≤ cap per group, seeded)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], g.size]
    out: list[np.ndarray] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        idx = order[a:b]
        pos, neg = idx[y[idx] > 0], idx[y[idx] <= 0]
        if pos.size == 0 or neg.size == 0:
            continue
        n = min(cap, pos.size * neg.size)
        flat = rng.choice(pos.size * neg.size, size=n, replace=False)
        out.append(z[pos[flat // neg.size]] - z[neg[flat % neg.size]])
    return np.vstack(out) if out else np.zeros((0, z.shape[1]))


@dataclass(frozen=True)
class LogisticRanker:
    """A fitted ranker: feature names, scaler means/scales, coefficients, intercept."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    C: float
    n_train: int
    n_positive: int
    version: str = MODEL_VERSION

    objective: str = "pointwise"

    @classmethod
    def fit(cls, frame: pd.DataFrame, features: Sequence[str], *, label: str = "label",
            c: float = 1.0, class_weight: str | None = "balanced", seed: int = 0,
            objective: str = "pointwise", group: str = "query_id",
            max_pairs_per_query: int = 400) -> LogisticRanker:
        """Fit on ``frame[features]`` → ``frame[label]`` (0/1). Raises when a class is missing.

        ``objective="pointwise"``: logistic regression of the label on the standardised
        features. ``objective="pairwise"``: logistic regression without intercept on the
        differences ``z_pos − z_neg`` of (positive, negative) pairs of the same query (label 1)
        and their mirror images (label 0) — RankNet/RankSVM-style pairwise learning to rank
        (Herbrich et al. 2000; Burges et al. 2005); at most ``max_pairs_per_query`` seeded
        pairs per query."""
        from sklearn.linear_model import LogisticRegression

        missing = [f for f in (*features, label) if f not in frame.columns]
        if missing:
            raise ValidationError.single("training frame", f"missing column {missing[0]}", column=missing[0])
        x = frame[list(features)].to_numpy(dtype=np.float64)
        y = frame[label].to_numpy(dtype=np.float64)
        if not np.isfinite(x).all():
            raise ValidationError.single("training frame", "features must be finite")
        if y.min(initial=1.0) == y.max(initial=0.0):
            raise ValidationError.single("training frame", "training needs positives and negatives "
                                         "(训练集需同时有正例和负例)")
        mu = x.mean(axis=0)
        sd = x.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        z = (x - mu) / sd
        if objective == "pairwise":
            zd = _pair_differences(z, y, frame[group].astype(str).to_numpy(), max_pairs_per_query, seed)
            if zd.shape[0] == 0:
                raise ValidationError.single("training frame", "no query has both a positive and a negative")
            xx = np.vstack([zd, -zd])
            yy = np.concatenate([np.ones(len(zd)), np.zeros(len(zd))])
            lr = LogisticRegression(C=c, fit_intercept=False, max_iter=2000, random_state=seed)
            lr.fit(xx, yy)
            intercept = 0.0
        elif objective == "pointwise":
            lr = LogisticRegression(C=c, class_weight=class_weight, max_iter=2000, random_state=seed)
            lr.fit(z, y)
            intercept = float(lr.intercept_[0])
        else:
            raise ValidationError.single("objective", "expected pointwise or pairwise", value=objective)
        return cls(features=tuple(features), mean=tuple(map(float, mu)), scale=tuple(map(float, sd)),
                   coef=tuple(map(float, lr.coef_[0])), intercept=intercept,
                   C=float(c), n_train=int(y.size), n_positive=int(y.sum()), objective=objective)

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Linear score ``β·z`` of each row (higher = more likely to link)."""
        x = frame[list(self.features)].to_numpy(dtype=np.float64)
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(z @ np.asarray(self.coef) + self.intercept, dtype=np.float64)

    def explain(self, labels: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
        """Fitted weights: per feature the standardised coefficient, the per-raw-unit one,
        the training mean and standard deviation (and bilingual names when given)."""
        rows = []
        for f, c, m, s in zip(self.features, self.coef, self.mean, self.scale, strict=True):
            zh, en = (labels or {}).get(f, (f, f))
            rows.append({"feature": f, "name_zh": zh, "name_en": en, "weight_std": c,
                         "weight_raw": c / s, "train_mean": m, "train_sd": s,
                         "objective": self.objective})
        return pd.DataFrame(rows).sort_values("weight_std", key=np.abs, ascending=False,
                                              ignore_index=True)
