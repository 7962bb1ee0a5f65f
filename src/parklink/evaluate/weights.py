"""Criteria weights: objective (entropy, CRITIC, standard deviation), AHP with CR, combined.

All functions return a frozen :class:`Weights` (``.to_frame()``, ``explain()``). Degenerate
columns never produce NaN: a constant column carries no information and gets weight 0
under the objective methods; if every column is constant the weights fall back to equal.

References
----------
- Shannon entropy weights: Hwang & Yoon (1981), *Multiple Attribute Decision Making*.
- CRITIC: Diakoulaki, Mavrotas & Papayannakis (1995), Computers & Operations Research
  22(7):763–770.
- Standard-deviation weights: σ of the min–max normalised column (unit-free).
- AHP: Saaty (1980), *The Analytic Hierarchy Process*; Saaty's random indices RI
  (n = 1..10: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import Problem, ValidationError
from parklink.evaluate.matrix import DecisionMatrix

FloatArray = npt.NDArray[np.float64]

SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
"""Saaty's random consistency indices for n = 1..15 (n ≤ 10 as in Saaty 1980; 11–15 as commonly
tabulated from Saaty's later work)."""


@dataclass(frozen=True, eq=False)
class Weights:
    """Criteria weights (sum 1) with the method that produced them and its intermediate tables."""

    method: str
    criteria: tuple[str, ...]
    values: FloatArray = field(repr=False)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float]:
        """Criterion key → weight."""
        return {k: float(v) for k, v in zip(self.criteria, self.values, strict=True)}

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: ``criterion``, ``weight``."""
        return pd.DataFrame({"criterion": list(self.criteria), "weight": self.values})

    def explain(self) -> dict[str, pd.DataFrame]:
        """The intermediate tables (entropy, correlations, CR, ...)."""
        return dict(self.tables)


def _values(dm: DecisionMatrix | npt.ArrayLike) -> tuple[FloatArray, tuple[str, ...], npt.NDArray[np.int64]]:
    if isinstance(dm, DecisionMatrix):
        return np.asarray(dm.values, dtype=np.float64), dm.keys, dm.types
    arr = np.atleast_2d(np.asarray(dm, dtype=np.float64))
    return arr, tuple(f"C{j + 1}" for j in range(arr.shape[1])), np.ones(arr.shape[1], dtype=np.int64)


def minmax(values: FloatArray, types: npt.NDArray[np.int64]) -> FloatArray:
    """Direction-aware min–max normalisation: best → 1, worst → 0; constant columns → 0."""
    lo = values.min(axis=0)
    hi = values.max(axis=0)
    rng = hi - lo
    safe = np.where(rng > 0, rng, 1.0)
    out = np.where(types > 0, (values - lo) / safe, (hi - values) / safe)
    out[:, rng <= 0] = 0.0
    return np.asarray(out, dtype=np.float64)


def _finish(raw: FloatArray, method: str, keys: tuple[str, ...], tables: dict[str, pd.DataFrame]) -> Weights:
    raw = np.where(np.isfinite(raw) & (raw > 0), raw, 0.0)
    notes: tuple[str, ...] = ()
    if raw.sum() <= 0:
        raw = np.ones_like(raw)
        notes = ("no criterion discriminates between alternatives; equal weights used",)
    return Weights(method, keys, raw / raw.sum(), tables, notes)


def entropy_weights(dm: DecisionMatrix | npt.ArrayLike) -> Weights:
    """Shannon-entropy weights (dimensionless, sum 1).

    ``p_ij = x_ij / Σ_i x_ij``, ``e_j = −Σ_i p_ij ln p_ij / ln m`` (with 0·ln 0 = 0),
    ``w_j ∝ 1 − e_j``. Columns with negative values are min–max normalised first; an
    all-zero or constant column has e_j = 1 and weight 0. Unlike pymcdm, a single zero
    cell does not set e_j to 0 (pymcdm 1.4 treats any zero as maximal divergence).
    """
    x, keys, _types = _values(dm)
    m = x.shape[0]
    x = x.copy()
    neg = (x < 0).any(axis=0)
    if neg.any():
        lo = x[:, neg].min(axis=0)
        hi = x[:, neg].max(axis=0)
        x[:, neg] = (x[:, neg] - lo) / np.where(hi > lo, hi - lo, 1.0)
    colsum = x.sum(axis=0)
    p = np.divide(x, colsum, out=np.full_like(x, 1.0 / max(m, 1)), where=colsum > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(m) if m > 1 else np.ones(x.shape[1])
    e = np.clip(e, 0.0, 1.0)
    d = 1.0 - e
    d[d < 1e-12] = 0.0
    tables = {"entropy": pd.DataFrame({"criterion": keys, "entropy": e, "divergence": d})}
    return _finish(d, "entropy", keys, tables)


def critic_weights(dm: DecisionMatrix | npt.ArrayLike) -> Weights:
    """CRITIC weights (Diakoulaki et al. 1995), dimensionless, sum 1.

    Values are min–max normalised in their direction; ``C_j = σ_j Σ_k (1 − r_jk)`` with the
    sample standard deviation σ (ddof=1) and Pearson correlation r; ``w_j ∝ C_j``.

    A constant column carries no information (σ = 0) and its correlation with the other
    columns is undefined, so it is **left out**: CRITIC is computed on the non-constant
    columns only (the conflict sums run over them), and constant columns get weight 0.
    Counting a constant column as uncorrelated (r = 0) would add ``σ_j`` to every other
    column's ``C_j`` and change their relative weights. With a single non-constant column
    that column gets weight 1; with none, equal weights (and a note).
    """
    x, keys, types = _values(dm)
    z = minmax(x, types)
    m, n = z.shape
    sd = z.std(axis=0, ddof=1) if m > 1 else np.zeros(n)
    zc = z - z.mean(axis=0)
    norm = np.sqrt((zc**2).sum(axis=0))
    live = norm > 0
    r = np.full((n, n), np.nan)
    u = zc[:, live] / norm[live]
    r[np.ix_(live, live)] = u.T @ u
    np.fill_diagonal(r, 1.0)
    conflict = np.zeros(n)
    conflict[live] = (1.0 - r[np.ix_(live, live)]).sum(axis=0)
    c = np.where(live, sd * conflict, 0.0)
    if live.sum() == 1:  # one informative column: no conflict to measure, it takes all weight
        c = np.where(live, sd, 0.0)
    tables = {
        "correlation": pd.DataFrame(r, index=list(keys), columns=list(keys)),
        "information": pd.DataFrame({"criterion": keys, "std": sd, "conflict": conflict, "C": c,
                                     "constant": ~live}),
    }
    return _finish(c, "critic", keys, tables)


def std_weights(dm: DecisionMatrix | npt.ArrayLike) -> Weights:
    """Standard-deviation weights: ``w_j ∝ σ_j`` of the min–max normalised column (ddof=1).

    pymcdm's ``standard_deviation_weights`` uses raw values, which makes the weights
    depend on units; normalising first removes that.
    """
    x, keys, types = _values(dm)
    z = minmax(x, types)
    sd = z.std(axis=0, ddof=1) if z.shape[0] > 1 else np.zeros(z.shape[1])
    return _finish(sd, "std", keys, {"std": pd.DataFrame({"criterion": keys, "std": sd})})


def equal_weights(dm: DecisionMatrix | npt.ArrayLike) -> Weights:
    """Equal weights ``1/n``."""
    _x, keys, _t = _values(dm)
    return Weights("equal", keys, np.full(len(keys), 1.0 / len(keys)))


@dataclass(frozen=True, eq=False)
class AHPResult:
    """AHP priority vector with its consistency diagnostics (Saaty 1980)."""

    weights: Weights
    lambda_max: float
    ci: float
    ri: float
    cr: float
    judgements: pd.DataFrame = field(repr=False)

    @property
    def consistent(self) -> bool:
        """``CR ≤ 0.1`` (Saaty's rule)."""
        return self.cr <= 0.1


def ahp_weights(
    pairwise: npt.ArrayLike | pd.DataFrame,
    *,
    criteria: Sequence[str] | None = None,
    max_cr: float | None = 0.1,
    source: str = "AHP pairwise matrix",
) -> AHPResult:
    """AHP weights from a reciprocal pairwise-comparison matrix (principal eigenvector).

    ``a_ij`` says how much more important criterion i is than j on Saaty's 1–9 scale;
    the matrix must be positive with ``a_ji = 1/a_ij`` (1 % tolerance) and unit diagonal.
    ``CR = CI / RI`` with ``CI = (λmax − n)/(n − 1)`` and Saaty's RI. If ``CR > max_cr``
    a :class:`ValidationError` names the most inconsistent judgements: those with the
    largest ``|ln(a_ij · w_j / w_i)|`` (the error ratio ``a_ij w_j / w_i`` Saaty uses to
    locate the judgements to revise). ``max_cr=None`` never raises.
    """
    if isinstance(pairwise, pd.DataFrame):
        a = pairwise.to_numpy(dtype=np.float64)
        names = tuple(str(c) for c in pairwise.columns) if criteria is None else tuple(criteria)
    else:
        a = np.asarray(pairwise, dtype=np.float64)
        names = tuple(criteria) if criteria is not None else tuple(f"C{j + 1}" for j in range(a.shape[0]))
    problems: list[Problem] = []
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValidationError.single(source, f"pairwise matrix must be square, got shape {a.shape}")
    n = a.shape[0]
    if len(names) != n:
        raise ValidationError.single(source, f"{len(names)} criterion names for a {n}×{n} matrix")
    if n > len(SAATY_RI):
        raise ValidationError.single(source, f"at most {len(SAATY_RI)} criteria per AHP matrix (got {n}); use a hierarchy")
    for i in range(n):
        for j in range(n):
            v = a[i, j]
            if not np.isfinite(v) or v <= 0:
                problems.append(Problem(source, i + 2, names[j], str(v), "judgement must be a positive number"))
            elif i == j and abs(v - 1) > 1e-9:
                problems.append(Problem(source, i + 2, names[j], str(v), "diagonal must be 1"))
            elif i < j and np.isfinite(a[j, i]) and a[j, i] > 0 and abs(v * a[j, i] - 1) > 0.01:
                problems.append(
                    Problem(source, j + 2, names[i], str(a[j, i]), f"not reciprocal: expected 1/{v:g} = {1 / v:.4g}")
                )
    if problems:
        raise ValidationError(problems)
    eig, vec = np.linalg.eig(a)
    k = int(np.argmax(eig.real))
    lam = float(eig.real[k])
    w = np.abs(vec[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    ii, jj = np.triu_indices(n, 1)
    implied = w[ii] / w[jj]
    dev = np.abs(np.log(a[ii, jj] / implied))
    judge = pd.DataFrame(
        {
            "criterion_i": [names[i] for i in ii],
            "criterion_j": [names[j] for j in jj],
            "judgement": a[ii, jj],
            "implied_by_weights": implied,
            "log_deviation": dev,
        }
    ).sort_values("log_deviation", ascending=False, kind="stable", ignore_index=True)
    weights = Weights(
        "ahp",
        names,
        w,
        {
            "pairwise": pd.DataFrame(a, index=list(names), columns=list(names)),
            "consistency": pd.DataFrame(
                {"lambda_max": [lam], "CI": [ci], "RI": [ri], "CR": [cr]}
            ),
            "judgements": judge,
        },
    )
    result = AHPResult(weights, lam, ci, ri, cr, judge)
    if max_cr is not None and cr > max_cr:
        worst = judge.head(min(3, len(judge)))
        raise ValidationError(
            [
                Problem(
                    source,
                    names.index(str(r.criterion_i)) + 2,
                    str(r.criterion_j),
                    f"{float(r.judgement):.4g}",  # type: ignore[arg-type]
                    f"inconsistent judgement (CR = {cr:.3f} > {max_cr}); the weights imply "
                    f"{float(r.implied_by_weights):.3g}",  # type: ignore[arg-type]
                )
                for r in worst.itertuples(index=False)
            ]
        )
    return result


def combine_weights(
    parts: Sequence[Weights],
    *,
    how: Literal["linear", "geometric"] = "linear",
    shares: Sequence[float] | None = None,
) -> Weights:
    """Combine weight vectors: ``linear`` Σ_k α_k w_k, or ``geometric`` Π_k w_k^α_k renormalised.

    ``shares`` (α, default equal) must be non-negative; they are normalised to sum 1. The
    linear mean of CRITIC and entropy weights is common in the literature (see
    programme-facts §5b); the geometric form is a multiplicative synthesis (weighted
    geometric mean, renormalised).
    """
    if not parts:
        raise ValueError("nothing to combine")
    keys = parts[0].criteria
    for p in parts[1:]:
        if p.criteria != keys:
            raise ValidationError.single("weights", f"criteria differ between {parts[0].method} and {p.method}")
    alpha = np.asarray(shares if shares is not None else [1.0] * len(parts), dtype=np.float64)
    if alpha.shape != (len(parts),) or (alpha < 0).any() or alpha.sum() <= 0:
        raise ValidationError.single("weights", "shares must be non-negative, one per weight vector, not all zero")
    alpha = alpha / alpha.sum()
    stack = np.vstack([p.values for p in parts])
    if how == "linear":
        raw = alpha @ stack
    elif how == "geometric":
        with np.errstate(divide="ignore"):
            raw = np.exp(alpha @ np.log(np.maximum(stack, 1e-300)))
    else:
        raise ValueError(f"how must be 'linear' or 'geometric', not {how!r}")
    name = f"{how}({'+'.join(p.method for p in parts)})"
    table = pd.DataFrame(stack.T, index=list(keys), columns=[p.method for p in parts])
    table["combined"] = raw / raw.sum() if raw.sum() > 0 else raw
    return _finish(raw, name, keys, {"components": table})


def hierarchical_weights(
    dm: DecisionMatrix,
    group_ahp: AHPResult,
    *,
    within: str = "entropy",
) -> Weights:
    """Two-level weights: AHP over the criteria *groups* (e.g. resource / location /
    industry), objective weights inside each group: ``w_j = W_g(j) · v_j / Σ_{k∈g(j)} v_k``.

    ``group_ahp`` must be computed over the group names of ``dm``'s criteria; ``within`` is
    entropy, critic, std or equal. This keeps the pairwise matrix small (3×3 for the default
    indicator system) as in the AHP + entropy studies of programme-facts §5b.
    """
    groups = [c.group for c in dm.criteria]
    names = tuple(group_ahp.weights.criteria)
    missing = sorted(set(groups) - set(names))
    if missing:
        raise ValidationError.single(
            "AHP pairwise matrix", f"criteria groups {missing} have no row in the group matrix {list(names)}"
        )
    inner = compute_weights(dm, within).values
    gw = group_ahp.weights.as_dict()
    out = np.zeros(len(groups))
    for g in set(groups):
        idx = np.array([i for i, gg in enumerate(groups) if gg == g])
        sub = inner[idx]
        share = sub / sub.sum() if sub.sum() > 0 else np.full(len(idx), 1.0 / len(idx))
        out[idx] = gw[g] * share
    table = pd.DataFrame({"criterion": dm.keys, "group": groups, "group_weight": [gw[g] for g in groups],
                          "within_weight": inner, "weight": out})
    return _finish(out, f"ahp_groups+{within}", dm.keys, {"hierarchy": table, **group_ahp.weights.tables})


WEIGHTINGS = {
    "entropy": entropy_weights,
    "critic": critic_weights,
    "std": std_weights,
    "equal": equal_weights,
}


def compute_weights(
    dm: DecisionMatrix, method: str, *, ahp: AHPResult | None = None, programme: Weights | None = None
) -> Weights:
    """Weights of ``dm`` by name: entropy, critic, std, equal, ahp (needs ``ahp``), given
    (the criteria's own weights), combined (linear mean of entropy and CRITIC, and AHP
    when given), or programme (needs ``programme``: the weights fitted to the programme's
    first batch by :func:`parklink.evaluate.calibration.programme_weights`)."""
    if method == "programme":
        if programme is None:
            raise ValidationError.single(
                "weights", "weighting 'programme' needs the designations to calibrate on (calibration.programme_weights)"
            )
        if tuple(programme.criteria) != dm.keys:
            raise ValidationError.single("weights", "programme weights were fitted on other criteria than this matrix's")
        return programme
    if method in WEIGHTINGS:
        return WEIGHTINGS[method](dm)
    if method == "ahp":
        if ahp is None:
            raise ValidationError.single("weights", "AHP weighting requested but no pairwise matrix given")
        _check_keys(dm, ahp.weights)
        return ahp.weights
    if method == "given":
        w = dm.weights
        if w is None:
            raise ValidationError.single(dm.source, "weighting 'given' needs a weight on every criterion")
        return Weights("given", dm.keys, w)
    if method == "combined":
        parts = [entropy_weights(dm), critic_weights(dm)]
        if ahp is not None:
            _check_keys(dm, ahp.weights)
            parts.append(ahp.weights)
        return combine_weights(parts, how="linear")
    raise ValidationError.single(
        "weights", f"unknown weighting {method!r}; expected one of {', '.join([*WEIGHTINGS, 'ahp', 'given', 'combined', 'programme'])}"
    )


def _check_keys(dm: DecisionMatrix, w: Weights) -> None:
    if tuple(w.criteria) != dm.keys:
        raise ValidationError.single(
            "AHP pairwise matrix",
            f"AHP criteria {list(w.criteria)} do not match the decision matrix criteria {list(dm.keys)}",
        )
