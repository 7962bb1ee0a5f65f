"""MCDA ranking methods (TOPSIS, VIKOR, PROMETHEE II) on pymcdm, validated around it.

pymcdm computes; this module guards (see ``stack-notes.md``):

- TOPSIS uses **vector normalisation** (Hwang & Yoon 1981) by default, not pymcdm's
  min–max default. Cost criteria are oriented inside the normalisation
  (``r = 1 − x/‖x‖``), which yields exactly Hwang & Yoon's distances with the ideal at the
  column minimum.
- Criteria that do not discriminate (constant, including all-zero, columns) are taken
  out before pymcdm is called. This changes no score: such a column adds nothing to
  either TOPSIS distance, its VIKOR regret term is 0 and its PROMETHEE preference is 0
  (PROMETHEE flows are rescaled by the remaining weight so they stay comparable). No
  NaN can come out; a matrix with no discriminating criterion ranks everyone first.
- VIKOR uses min–max normalisation (Opricovic & Tzeng 2004: ``(f* − f)/(f* − f⁻)``) and
  guards ``S⁺ = S⁻`` / ``R⁺ = R⁻``.
- Ties are ranked deterministically: scores are rounded to 12 significant decimals,
  tied alternatives share the best (minimum) rank and are listed by alternative id.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pymcdm import normalizations
from pymcdm.methods import PROMETHEE_II, TOPSIS, VIKOR

from parklink.errors import ValidationError
from parklink.evaluate.matrix import DecisionMatrix
from parklink.evaluate.weights import Weights

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MethodName = Literal["topsis", "vikor", "promethee_ii"]
METHODS: tuple[MethodName, ...] = ("topsis", "vikor", "promethee_ii")


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence pymcdm's advisory warnings (dominated alternatives) and numpy divisions we guard."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pymcdm\..*")
        yield


def rank_scores(scores: npt.ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Competition ranks (1 = best); ties (to 12 significant digits) share the best rank."""
    s = np.asarray(scores, dtype=np.float64)
    key = np.round(s, 12)
    key = -key if higher_is_better else key
    order = np.argsort(key, kind="stable")
    ranks = np.empty(len(s), dtype=np.int64)
    sorted_key = key[order]
    r = 1
    for pos, i in enumerate(order):
        if pos > 0 and sorted_key[pos] != sorted_key[pos - 1]:
            r = pos + 1
        ranks[i] = r
    return ranks


@dataclass(frozen=True, eq=False)
class MCDAResult:
    """Scores and ranks of one method under one weighting, with its intermediate tables."""

    method: str
    weighting: str
    alternatives: tuple[str, ...]
    labels: tuple[str, ...]
    criteria: tuple[str, ...]
    weights: FloatArray = field(repr=False)
    scores: FloatArray = field(repr=False)
    ranks: IntArray = field(repr=False)
    higher_is_better: bool = True
    dropped_criteria: tuple[str, ...] = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    parameters: Mapping[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """``rank``, ``alternative``, ``label``, ``score`` sorted by rank, then id."""
        df = pd.DataFrame(
            {"rank": self.ranks, "alternative": self.alternatives, "label": self.labels, "score": self.scores}
        )
        return df.sort_values(["rank", "alternative"], kind="stable", ignore_index=True)

    def explain(self) -> dict[str, pd.DataFrame]:
        """Intermediate tables: normalised and weighted matrices, ideal/anti-ideal, distances or flows."""
        return dict(self.tables)

    def top(self, k: int) -> list[str]:
        """The ids of the ``k`` best alternatives (ties broken by id)."""
        return self.to_frame()["alternative"].head(k).tolist()


def _prepare(dm: DecisionMatrix, weights: Weights | npt.ArrayLike | None) -> tuple[FloatArray, str]:
    if weights is None:
        w = dm.weights
        if w is None:
            w = np.full(dm.shape[1], 1.0 / dm.shape[1])
            name = "equal"
        else:
            name = "given"
    elif isinstance(weights, Weights):
        if tuple(weights.criteria) != dm.keys:
            raise ValidationError.single(dm.source, f"weights are for {list(weights.criteria)}, matrix has {list(dm.keys)}")
        w, name = np.asarray(weights.values, dtype=np.float64), weights.method
    else:
        w = np.asarray(weights, dtype=np.float64)
        name = "given"
    if w.shape != (dm.shape[1],) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValidationError.single(dm.source, "weights must be finite, non-negative, one per criterion, not all zero")
    return w / w.sum(), name


def _active(dm: DecisionMatrix, w: FloatArray) -> npt.NDArray[np.bool_]:
    x = dm.values
    spread = x.max(axis=0) - x.min(axis=0)
    scale = np.maximum(np.abs(x).max(axis=0), 1e-300)
    return np.asarray((spread > 1e-12 * scale) & (w > 0), dtype=np.bool_)


def _frame(mat: FloatArray, dm: DecisionMatrix, cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(mat, index=pd.Index(dm.alternatives, name="alternative"), columns=cols)


def _result(
    method: str,
    wname: str,
    dm: DecisionMatrix,
    w: FloatArray,
    scores: FloatArray,
    higher: bool,
    active: npt.NDArray[np.bool_],
    tables: dict[str, pd.DataFrame],
    params: dict[str, object],
) -> MCDAResult:
    scores = np.asarray(scores, dtype=np.float64)
    return MCDAResult(
        method=method,
        weighting=wname,
        alternatives=dm.alternatives,
        labels=dm.labels,
        criteria=dm.keys,
        weights=w,
        scores=scores,
        ranks=rank_scores(scores, higher_is_better=higher),
        higher_is_better=higher,
        dropped_criteria=tuple(k for k, a in zip(dm.keys, active, strict=True) if not a),
        tables=tables,
        parameters=params,
    )


STEPS_DIRECT_FROM = 1500
"""Above this many alternatives, a pymcdm method's intermediate arrays are taken from its
``_method`` directly instead of its verbose result tables (whose pandas construction costs
more than the method itself); the arrays are the same."""


def _steps(method: Any, x: npt.NDArray[np.float64], w: npt.NDArray[np.float64],
           types: npt.ArrayLike) -> dict[str, npt.NDArray[Any]]:
    """The labelled intermediate arrays of a pymcdm method (``nmatrix``, ``pref`` …)."""
    if x.shape[0] > STEPS_DIRECT_FROM:
        matrix = np.asarray(x, dtype="float")
        types_a = np.asarray(types)
        from pymcdm.validators import validate_decision_problem

        validate_decision_problem(matrix, np.asarray(w, dtype="float"), types_a)
        method._additional_validation(matrix, np.asarray(w, dtype="float"), types_a)
        arrays = method._method(matrix, np.asarray(w, dtype="float"), types_a)
        return {d.label: np.asarray(r) for d, r in zip(method._tables, arrays, strict=True)}
    res = method(x, w, types, verbose=True)
    return {d.desc.label: np.asarray(d.data) for d in res.results}


def topsis(
    dm: DecisionMatrix,
    *,
    weights: Weights | npt.ArrayLike | None = None,
    normalization: Literal["vector", "minmax"] = "vector",
) -> MCDAResult:
    """TOPSIS closeness coefficient ``D⁻/(D⁺ + D⁻)`` in [0, 1], higher is better.

    Hwang & Yoon (1981), *Multiple Attribute Decision Making*, Springer: vector
    normalisation ``r_ij = x_ij/‖x_j‖``, weighted ``v = w r``, Euclidean distances to the
    positive and negative ideal. Computed by ``pymcdm.methods.TOPSIS``.
    """
    w, wname = _prepare(dm, weights)
    active = _active(dm, w)
    m = dm.shape[0]
    if not active.any():
        scores = np.full(m, 0.5)
        return _result("topsis", wname, dm, w, scores, True, active, {}, {"normalization": normalization})
    x = dm.values[:, active]
    wa = w[active] / w[active].sum()
    fn = normalizations.vector_normalization if normalization == "vector" else normalizations.minmax_normalization
    with _quiet():
        t = _steps(TOPSIS(fn), x, wa, dm.types[active])
    keys = [k for k, a in zip(dm.keys, active, strict=True) if a]
    tables = {
        "normalised": _frame(t["nmatrix"], dm, keys),
        "weighted": _frame(t["wnmatrix"], dm, keys),
        "ideal": pd.DataFrame({"criterion": keys, "ideal": t["pis"], "anti_ideal": t["nis"], "weight": wa}),
        "distances": pd.DataFrame(
            {"alternative": dm.alternatives, "d_ideal": t["dpis"], "d_anti_ideal": t["dnis"], "closeness": t["pref"]}
        ),
    }
    return _result("topsis", wname, dm, w, t["pref"], True, active, tables, {"normalization": normalization})


def vikor(
    dm: DecisionMatrix,
    *,
    weights: Weights | npt.ArrayLike | None = None,
    v: float = 0.5,
) -> MCDAResult:
    """VIKOR index Q in [0, 1], **lower is better** (Opricovic & Tzeng 2004, EJOR 156:445–455).

    ``S_i = Σ_j w_j (f*_j − f_ij)/(f*_j − f⁻_j)``, ``R_i = max_j (...)``,
    ``Q_i = v (S_i − S*)/(S⁻ − S*) + (1 − v)(R_i − R*)/(R⁻ − R*)``; a zero range makes its
    term 0. S and R come from ``pymcdm.methods.VIKOR`` with min–max normalisation. The
    explain tables include the two compromise conditions (acceptable advantage C1,
    acceptable stability C2).
    """
    if not 0.0 <= v <= 1.0:
        raise ValidationError.single("vikor", f"v must be in [0, 1], got {v}")
    w, wname = _prepare(dm, weights)
    active = _active(dm, w)
    m = dm.shape[0]
    if not active.any():
        return _result("vikor", wname, dm, w, np.zeros(m), False, active, {}, {"v": v})
    x = dm.values[:, active]
    wa = w[active] / w[active].sum()
    with _quiet():
        t = _steps(VIKOR(normalizations.minmax_normalization, v=v), x, wa, dm.types[active])
    s, r = t["s"], t["r"]
    s_rng = s.max() - s.min()
    r_rng = r.max() - r.min()
    qs = (s - s.min()) / s_rng if s_rng > 1e-15 else np.zeros(m)
    qr = (r - r.min()) / r_rng if r_rng > 1e-15 else np.zeros(m)
    q = v * qs + (1 - v) * qr
    keys = [k for k, a in zip(dm.keys, active, strict=True) if a]
    order = np.argsort(np.round(q, 12), kind="stable")
    dq = 1.0 / (m - 1) if m > 1 else 0.0
    c1 = bool(m > 1 and q[order[1]] - q[order[0]] >= dq)
    best = order[0]
    c2 = bool(rank_scores(s, higher_is_better=False)[best] == 1 or rank_scores(r, higher_is_better=False)[best] == 1)
    tables = {
        "normalised": _frame(t["nmatrix"], dm, keys),
        "ideal": pd.DataFrame({"criterion": keys, "best": t["fstar"], "worst": t["fminus"], "weight": wa}),
        "indices": pd.DataFrame({"alternative": dm.alternatives, "S": s, "R": r, "Q": q}),
        "compromise": pd.DataFrame(
            {"condition": ["C1 acceptable advantage", "C2 acceptable stability"], "met": [c1, c2], "DQ": [dq, dq]}
        ),
    }
    return _result("vikor", wname, dm, w, q, False, active, tables, {"v": v})


PROMETHEE_BLOCK_FROM = 1500
"""Above this many alternatives, PROMETHEE II flows come from :func:`promethee_flows`
(blocks of rows) instead of pymcdm's full pairwise tables (m² floats per criterion)."""


def promethee_flows(x: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], types: npt.ArrayLike,
                    function: str, *, p: npt.ArrayLike | None = None, q: npt.ArrayLike | None = None,
                    block: int = 256) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Positive and negative outranking flows (φ⁺, φ⁻) of PROMETHEE (Brans & Vincke 1985),
    computed a block of rows at a time: memory O(block × m) instead of O(m²) per criterion.

    The same arithmetic as ``pymcdm.methods.PROMETHEE_II`` in the same order (difference
    d(a, b) = x_a − x_b for benefit, x_b − x_a for cost criteria; preference function of
    pymcdm; π = Σ_j w_j P_j summed criterion by criterion; φ⁺ row sums and φ⁻ column sums
    accumulated row by row, divided by m − 1), so the flows agree with pymcdm's
    (``tests/evaluate``).
    """
    from pymcdm.methods.partial.promethee_i import _PreferenceFunctions

    pf = getattr(_PreferenceFunctions, function)
    n, k = x.shape
    tp = np.asarray(types)
    pv = [None] * k if p is None else list(np.asarray(p, dtype=np.float64))
    qv = [None] * k if q is None else list(np.asarray(q, dtype=np.float64))
    plus = np.empty(n)
    minus = np.zeros(n)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        pi: Any = 0
        for j in range(k):
            col = x[:, j]
            d = col[lo:hi, None] - col[None, :] if tp[j] == 1 else col[None, :] - col[lo:hi, None]
            pi = pi + weights[j] * pf(d, qv[j], pv[j])
        pi = np.asarray(pi, dtype=np.float64)
        plus[lo:hi] = np.sum(pi, axis=1)
        for row in pi:  # column sums in row order, like numpy's axis-0 reduction
            minus += row
    return plus / (n - 1), minus / (n - 1)


def promethee_ii(
    dm: DecisionMatrix,
    *,
    weights: Weights | npt.ArrayLike | None = None,
    preference: Literal["usual", "vshape", "linear"] = "vshape",
    p: npt.ArrayLike | None = None,
    q: npt.ArrayLike | None = None,
) -> MCDAResult:
    """PROMETHEE II net outranking flow φ in [−1, 1], higher is better (Brans & Vincke 1985).

    Preference functions: ``usual`` (type I), ``vshape`` (type III, linear up to ``p``;
    default ``p`` = the criterion's range, so differences count in proportion to the
    range) or ``linear`` (type V, indifference ``q``, preference ``p``; defaults q = 0,
    p = range). Computed by ``pymcdm.methods.PROMETHEE_II``. Flows are rescaled to the
    full weight when non-discriminating criteria are removed.
    """
    w, wname = _prepare(dm, weights)
    active = _active(dm, w)
    m = dm.shape[0]
    params: dict[str, object] = {"preference": preference}
    if not active.any() or m < 2:
        return _result("promethee_ii", wname, dm, w, np.zeros(m), True, active, {}, params)
    x = dm.values[:, active]
    share = w[active].sum()
    wa = w[active] / share
    rng = x.max(axis=0) - x.min(axis=0)
    pp = rng if p is None else np.asarray(p, dtype=np.float64)[active]
    if preference == "usual":
        method = PROMETHEE_II("usual")
    elif preference == "vshape":
        method = PROMETHEE_II("vshape", p=pp)
    elif preference == "linear":
        qq = np.zeros_like(pp) if q is None else np.asarray(q, dtype=np.float64)[active]
        method = PROMETHEE_II("vshape_2", p=pp, q=qq)
    else:
        raise ValidationError.single("promethee_ii", f"unknown preference function {preference!r}")
    if m > PROMETHEE_BLOCK_FROM:
        fn = {"usual": "usual", "vshape": "vshape", "linear": "vshape_2"}[preference]
        qq = None if preference != "linear" else (np.zeros_like(pp) if q is None
                                                    else np.asarray(q, dtype=np.float64)[active])
        pos, neg = promethee_flows(x, wa, dm.types[active], fn, p=pp, q=qq)
        plus, minus, net = pos * share, neg * share, (pos - neg) * share
    else:
        with _quiet():
            res = method(x, wa, dm.types[active], verbose=True)
        t = {d.desc.label: np.asarray(d.data) for d in res.results}
        plus, minus, net = t["pos_flow"] * share, t["neg_flow"] * share, t["net_flow"] * share
    tables = {
        "flows": pd.DataFrame({"alternative": dm.alternatives, "phi_plus": plus, "phi_minus": minus, "phi": net}),
        "preference_parameters": pd.DataFrame(
            {"criterion": [k for k, a in zip(dm.keys, active, strict=True) if a], "p": pp, "weight": wa}
        ),
    }
    return _result("promethee_ii", wname, dm, w, net, True, active, tables, params)


def run_method(dm: DecisionMatrix, method: str, *, weights: Weights | npt.ArrayLike | None = None) -> MCDAResult:
    """Run ``method`` (topsis, vikor, promethee_ii) with its default options."""
    if method == "topsis":
        return topsis(dm, weights=weights)
    if method == "vikor":
        return vikor(dm, weights=weights)
    if method == "promethee_ii":
        return promethee_ii(dm, weights=weights)
    raise ValidationError.single("evaluate", f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
