"""The robustness report that accompanies every evaluation.

1. Rankings under every method × weighting and their rank correlations: Spearman's
   r_s, weighted Spearman r_w (Dancelli, Manisera & Vezzoli 2013) and the WS rank
   similarity coefficient (Sałabun & Urbaniak 2020, ICCS 2020), all from
   ``pymcdm.correlations``.
2. Monte Carlo weight perturbation: weights drawn from a Dirichlet distribution centred
   on the base weights (``α = κ·w``, so ``E[w̃] = w`` and ``Var w̃_j = w_j(1 − w_j)/(κ + 1)``),
   TOPSIS recomputed for every draw in one vectorised pass (vector normalisation does not
   depend on the weights, and with non-negative weights the ideal of the weighted matrix is
   the weight times the ideal of the normalised one). Output: P(rank ≤ k) per alternative
   and rank intervals (5th/50th/95th percentiles).
3. Rank reversal (Wang & Luo 2009, Math. Comput. Modelling 49:1221–1229): remove one
   alternative at a time, and add a copy of the worst profile; count pairs of the
   remaining alternatives whose order flips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from pymcdm import correlations

from parklink.evaluate.matrix import DecisionMatrix
from parklink.evaluate.methods import METHODS, MCDAResult, rank_scores, run_method
from parklink.evaluate.weights import AHPResult, Weights, compute_weights

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CORRELATIONS: dict[str, Callable[[FloatArray, FloatArray], float]] = {
    "spearman": correlations.spearman,
    "weighted_spearman": correlations.weighted_spearman,
    "ws": correlations.rank_similarity_coef,
}


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Stability of ranks under Dirichlet weight perturbation (TOPSIS, vector normalisation)."""

    alternatives: tuple[str, ...]
    draws: int
    concentration: float
    top_k: int
    seed: int
    p_top_k: FloatArray = field(repr=False)
    p_first: FloatArray = field(repr=False)
    rank_p05: FloatArray = field(repr=False)
    rank_median: FloatArray = field(repr=False)
    rank_p95: FloatArray = field(repr=False)
    mean_rank: FloatArray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per alternative: P(top k), P(first), rank percentiles and mean, by P(top k)."""
        df = pd.DataFrame(
            {
                "alternative": self.alternatives,
                f"p_top_{self.top_k}": self.p_top_k,
                "p_first": self.p_first,
                "rank_p05": self.rank_p05,
                "rank_median": self.rank_median,
                "rank_p95": self.rank_p95,
                "mean_rank": self.mean_rank,
            }
        )
        return df.sort_values(["mean_rank", "alternative"], kind="stable", ignore_index=True)


def dirichlet_weights(base: npt.ArrayLike, *, draws: int, concentration: float = 100.0, seed: int = 0) -> FloatArray:
    """``draws`` weight vectors from Dirichlet(κ·w) (zero weights floored at 1e-6 before drawing)."""
    w = np.asarray(base, dtype=np.float64)
    w = w / w.sum()
    alpha = np.maximum(w * concentration, 1e-6)
    rng = np.random.default_rng(seed)
    return np.asarray(rng.dirichlet(alpha, size=draws), dtype=np.float64)


def topsis_batch(normalised: FloatArray, types: npt.ArrayLike, weights: FloatArray) -> FloatArray:
    """TOPSIS closeness for many weight vectors at once: returns (draws × alternatives).

    ``normalised`` is the vector-normalised matrix (m × n) oriented so that larger is
    better for benefit criteria and smaller for cost; ``weights`` is (draws × n), ≥ 0.
    """
    t = np.asarray(types)
    best = np.where(t > 0, normalised.max(axis=0), normalised.min(axis=0))
    worst = np.where(t > 0, normalised.min(axis=0), normalised.max(axis=0))
    dp2 = (normalised - best) ** 2  # m × n
    dm2 = (normalised - worst) ** 2
    w2 = weights**2  # K × n
    d_plus = np.sqrt(w2 @ dp2.T)  # K × m
    d_minus = np.sqrt(w2 @ dm2.T)
    tot = d_plus + d_minus
    return np.asarray(np.divide(d_minus, tot, out=np.full_like(tot, 0.5), where=tot > 0), dtype=np.float64)


def _batch_ranks(scores: FloatArray) -> IntArray:
    """Ordinal ranks (1 = best) per row (deterministic; exact ties, which have probability ~0
    under continuous weight draws, are ordered by the sort's fixed rule, not by id)."""
    order = np.argsort(-scores, axis=1)
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)[None, :]
    return ranks


def monte_carlo(
    dm: DecisionMatrix,
    weights: Weights | npt.ArrayLike,
    *,
    draws: int = 10_000,
    concentration: float = 100.0,
    top_k: int = 10,
    seed: int = 20200611,
    chunk: int = 2_000,
) -> MonteCarloResult:
    """Rank stability of TOPSIS under Dirichlet perturbation of ``weights`` (see module doc)."""
    base = np.asarray(weights.values if isinstance(weights, Weights) else weights, dtype=np.float64)
    x = dm.values
    norm = np.sqrt((x**2).sum(axis=0))
    n_mat = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
    m = x.shape[0]
    k = min(top_k, m)
    w_all = dirichlet_weights(base, draws=draws, concentration=concentration, seed=seed)
    in_top = np.zeros(m)
    first = np.zeros(m)
    rank_hist = np.zeros((m, m), dtype=np.int64)  # alternative × rank-1 counts
    for start in range(0, draws, chunk):
        w = w_all[start : start + chunk]
        ranks = _batch_ranks(topsis_batch(n_mat, dm.types, w))  # K × m
        in_top += (ranks <= k).sum(axis=0)
        first += (ranks == 1).sum(axis=0)
        flat = (np.arange(m)[None, :] * m + (ranks - 1)).ravel()
        rank_hist += np.bincount(flat, minlength=m * m).reshape(m, m)
    cdf = np.cumsum(rank_hist, axis=1) / max(draws, 1)
    pos = np.arange(1, m + 1)

    def pct(q: float) -> FloatArray:
        return np.asarray(pos[np.argmax(cdf >= q - 1e-12, axis=1)], dtype=np.float64)

    mean_rank = (rank_hist * pos[None, :]).sum(axis=1) / max(draws, 1)
    return MonteCarloResult(
        alternatives=dm.alternatives,
        draws=draws,
        concentration=concentration,
        top_k=k,
        seed=seed,
        p_top_k=in_top / max(draws, 1),
        p_first=first / max(draws, 1),
        rank_p05=pct(0.05),
        rank_median=pct(0.5),
        rank_p95=pct(0.95),
        mean_rank=mean_rank,
    )


def _discordant(order_a: Sequence[str], order_b: Sequence[str]) -> int:
    """Number of pairs ordered differently in two rankings of the same items (strict order)."""
    pos_b = {a: i for i, a in enumerate(order_b)}
    seq = np.array([pos_b[a] for a in order_a if a in pos_b])
    n = len(seq)
    if n < 2:
        return 0
    # inversions of ``seq`` (pairs i < j with seq[i] > seq[j]), O(n log n) with a Fenwick tree
    # over the positions seen so far (the O(n²) pair matrix does not fit at 10,000 parks)
    ranks = np.argsort(np.argsort(seq, kind="stable"), kind="stable") + 1
    tree = [0] * (n + 1)
    inversions = 0
    for seen, r in enumerate(ranks.tolist()):
        k = r
        below = 0
        while k > 0:
            below += tree[k]
            k -= k & -k
        inversions += seen - below
        k = r
        while k <= n:
            tree[k] += 1
            k += k & -k
    return inversions


def rank_reversal(
    dm: DecisionMatrix,
    *,
    method: str = "topsis",
    weights: Weights | npt.ArrayLike | None = None,
    max_removals: int = 60,
    seed: int = 20200611,
) -> pd.DataFrame:
    """Rank-reversal check: remove each alternative (or a seeded sample of ``max_removals``),
    then add a copy of the worst observed profile; weights are held fixed.

    Returns one row per perturbation: ``perturbation``, ``alternative``, ``pairs``
    (pairs compared), ``reversed_pairs``, ``share_reversed``, ``top1_changed``.
    """
    base = run_method(dm, method, weights=weights)
    w = base.weights
    base_order = base.to_frame()["alternative"].tolist()
    alts = list(dm.alternatives)
    rows: list[tuple[str, str, int, int, float, bool]] = []
    if len(alts) > 2:
        if len(alts) > max_removals:
            rng = np.random.default_rng(seed)
            chosen = sorted(rng.choice(len(alts), size=max_removals, replace=False).tolist())
            removals = [alts[i] for i in chosen]
        else:
            removals = alts
        for a in removals:
            sub = run_method(dm.drop([a]), method, weights=w).to_frame()["alternative"].tolist()
            ref = [x for x in base_order if x != a]
            rows.append(_rr_row("remove", a, ref, sub))
    worst = np.where(dm.types > 0, dm.values.min(axis=0), dm.values.max(axis=0))
    added = dm.append("__worst_copy__", worst, label="最差方案副本 worst-profile copy")
    sub = [x for x in run_method(added, method, weights=w).to_frame()["alternative"] if x != "__worst_copy__"]
    rows.append(_rr_row("add_worst_copy", "__worst_copy__", base_order, sub))
    return pd.DataFrame(
        rows, columns=["perturbation", "alternative", "pairs", "reversed_pairs", "share_reversed", "top1_changed"]
    )


def _rr_row(kind: str, alt: str, ref: list[str], new: list[str]) -> tuple[str, str, int, int, float, bool]:
    n = len(ref)
    pairs = n * (n - 1) // 2
    rev = _discordant(ref, new)
    return (kind, alt, pairs, rev, rev / pairs if pairs else 0.0, bool(ref[:1] != new[:1]))


@dataclass(frozen=True, eq=False)
class RobustnessReport:
    """Rankings under every method × weighting, their correlations, Monte Carlo and rank reversal."""

    base: str
    rankings: pd.DataFrame = field(repr=False)
    correlations: Mapping[str, pd.DataFrame] = field(repr=False)
    monte_carlo: MonteCarloResult = field(repr=False)
    rank_reversal: pd.DataFrame = field(repr=False)
    results: Mapping[str, MCDAResult] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Per alternative: rank under every combination, rank range, Monte Carlo stability."""
        mc = self.monte_carlo.to_frame().set_index("alternative")
        ranks = self.rankings
        df = ranks.copy()
        df["rank_min"] = ranks.min(axis=1)
        df["rank_max"] = ranks.max(axis=1)
        df = df.join(mc, how="left")
        df = df.reset_index().rename(columns={"index": "alternative"})
        return df.sort_values([self.base, "alternative"], kind="stable", ignore_index=True)

    def explain(self) -> dict[str, pd.DataFrame]:
        """All tables: rankings, each correlation matrix, Monte Carlo, rank reversal."""
        out = {"rankings": self.rankings, "monte_carlo": self.monte_carlo.to_frame(), "rank_reversal": self.rank_reversal}
        out.update({f"corr_{k}": v for k, v in self.correlations.items()})
        return out

    def summary(self) -> dict[str, object]:
        """JSON-serialisable key figures."""
        rs = self.correlations["spearman"]
        off = rs.to_numpy()[~np.eye(len(rs), dtype=bool)]
        rr = self.rank_reversal
        return {
            "combinations": list(self.rankings.columns),
            "min_spearman": float(off.min()) if off.size else 1.0,
            "mean_spearman": float(off.mean()) if off.size else 1.0,
            "monte_carlo_draws": self.monte_carlo.draws,
            "top_k": self.monte_carlo.top_k,
            "rank_reversal_max_share": float(rr["share_reversed"].max()) if len(rr) else 0.0,
            "rank_reversal_top1_changes": int(rr["top1_changed"].sum()) if len(rr) else 0,
        }


def robustness(
    dm: DecisionMatrix,
    *,
    base_method: str = "topsis",
    base_weighting: str = "combined",
    methods: Sequence[str] = METHODS,
    weightings: Sequence[str] = ("entropy", "critic", "std", "combined"),
    ahp: AHPResult | None = None,
    programme: Weights | None = None,
    draws: int = 10_000,
    concentration: float = 100.0,
    top_k: int = 10,
    seed: int = 20200611,
    max_removals: int = 60,
) -> RobustnessReport:
    """The full robustness report of ``dm`` (see module doc). AHP is added to the
    weightings when ``ahp`` is given, the programme weighting when ``programme`` is given.
    Ranking columns are named ``method/weighting``."""
    extra = [*(["ahp"] if ahp is not None else []), *(["programme"] if programme is not None else [])]
    wnames = list(dict.fromkeys([*weightings, base_weighting, *extra]))
    mnames = list(dict.fromkeys([*methods, base_method]))
    wts = {wn: compute_weights(dm, wn, ahp=ahp, programme=programme) for wn in wnames}
    results: dict[str, MCDAResult] = {}
    for mn in mnames:
        for wn in wnames:
            results[f"{mn}/{wn}"] = run_method(dm, mn, weights=wts[wn])
    base = f"{base_method}/{base_weighting}"
    rankings = pd.DataFrame({k: r.ranks for k, r in results.items()}, index=pd.Index(dm.alternatives))
    keys = list(results)
    corr: dict[str, pd.DataFrame] = {}
    for cname, fn in CORRELATIONS.items():
        mat = np.ones((len(keys), len(keys)))
        for i, a in enumerate(keys):
            for j, b in enumerate(keys):
                if i != j:
                    mat[i, j] = _safe_corr(fn, rankings[a].to_numpy(float), rankings[b].to_numpy(float))
        corr[cname] = pd.DataFrame(mat, index=keys, columns=keys)
    mc = monte_carlo(dm, wts[base_weighting], draws=draws, concentration=concentration, top_k=top_k, seed=seed)
    rr = rank_reversal(dm, method=base_method, weights=wts[base_weighting], max_removals=max_removals, seed=seed)
    return RobustnessReport(base, rankings, corr, mc, rr, results)


def _safe_corr(fn: Callable[[FloatArray, FloatArray], float], x: FloatArray, y: FloatArray) -> float:
    """Correlation of two rankings; 1.0 when both are constant (all tied), 0.0 when one is."""
    cx, cy = np.ptp(x) == 0, np.ptp(y) == 0
    if cx and cy:
        return 1.0
    if cx or cy or len(x) < 2:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        v = float(fn(x, y))
    return v if np.isfinite(v) else 0.0


__all__ = [
    "MonteCarloResult",
    "RobustnessReport",
    "dirichlet_weights",
    "monte_carlo",
    "rank_reversal",
    "rank_scores",
    "robustness",
    "topsis_batch",
]
