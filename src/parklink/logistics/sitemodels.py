r"""The standard family of discrete location models on HiGHS (via :mod:`parklink.optim`).

Notation: demand points ``i`` with weights ``w_i``, candidate sites ``j``, cost or time
``c_ij`` (``inf`` forbids), service standard ``S`` with ``a_ij = 1`` when ``c_ij ≤ S``,
``y_j ∈ {0,1}`` open, ``x_ij`` assignment. Every model accepts ``predefined`` (site indices or
a boolean mask): sites that must be open (existing parks kept; they count within ``p``), fixed
to ``y_j = 1``.

* **p-median** (Hakimi 1964; ReVelle & Swain 1970): ``min Σ w_i c_ij x_ij`` s.t.
  ``Σ_j x_ij = 1``, ``x_ij ≤ y_j``, ``Σ y_j = p`` (``x`` continuous: integral at an optimum).
* **capacitated p-median**: the p-median with single sourcing (``x_ij ∈ {0,1}``) and
  ``Σ_i w_i x_ij ≤ C_j y_j`` (the ``PMedian(facility_capacities=…)`` model of spopt).
* **MCLP** (Church & ReVelle 1974): ``max Σ w_i z_i`` s.t. ``z_i ≤ Σ_j a_ij y_j``, ``Σ y_j = p``.
* **LSCP** (Toregas et al. 1971, *Operations Research* 19(6):1363–1373): ``min Σ y_j`` s.t.
  ``Σ_j a_ij y_j ≥ 1`` for every ``i``.
* **LSCP with backup coverage** (Hogan & ReVelle 1986, *Management Science*
  32(11):1434–1444, BACOP1): with the LSCP optimum ``p*`` sites, ``max Σ u_i`` s.t.
  ``Σ_j a_ij y_j ≥ 1 + u_i``, ``Σ y_j = p*``, ``u_i ∈ {0,1}`` — the number of demand points
  covered twice. A point with fewer than two sites within ``S`` cannot be covered twice
  (``u_i = 0``); spopt 0.7 leaves its ``u_i`` free and counts it, so spopt's objective is ours
  plus the number of such points (the tests check exactly that).
* **p-center** (Hakimi 1964; Church & Murray 2018 ch. 6): ``min W`` s.t. ``Σ_j x_ij = 1``,
  ``x_ij ≤ y_j``, ``Σ y_j = p``, ``Σ_j c_ij x_ij ≤ W`` (unweighted, as in spopt); solved as
  a bisection over LSCP radii (:func:`p_center`).

All are checked against ``spopt.locate`` (PuLP + CBC) on the same matrices in the tests.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from parklink.errors import ConfigError, InfeasibleError
from parklink.optim import Model

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MODELS: dict[str, tuple[str, str]] = {
    "pmedian": ("p-中位", "p-median"),
    "mclp": ("最大覆盖", "maximal covering (MCLP)"),
    "lscp": ("集合覆盖", "location set covering (LSCP)"),
    "lscp-b": ("备份集合覆盖", "LSCP with backup coverage"),
    "pcenter": ("p-中心", "p-center"),
    "cpmedian": ("有容量 p-中位", "capacitated p-median"),
}


@dataclass(frozen=True, eq=False)
class LocationSolution:
    """Solution of one location model on a cost matrix (indices refer to its rows/columns).

    ``objective``: the model's own objective (weighted cost, covered weight, number of sites,
    backup-covered points or maximum cost); ``assignment``: the site serving each demand point
    (nearest open site for covering models; -1 when none can reach it).
    """

    model: str
    p: int
    selected: tuple[int, ...]
    assignment: tuple[int, ...]
    objective: float
    covered_weight_share: float
    status: str
    mip_gap: float
    seconds: float


def _arrays(cost: npt.ArrayLike, weights: npt.ArrayLike | None) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(cost, float)
    if c.ndim != 2:
        raise ValueError("cost must be a (n_demand × n_sites) matrix")
    w = np.ones(c.shape[0]) if weights is None else np.asarray(weights, float)
    if len(w) != c.shape[0]:
        raise ValueError("weights must have one entry per demand point (row of cost)")
    return c, w


def _check_p(p: int, m: int, predefined: IntArray) -> None:
    if not 1 <= p <= m:
        raise ConfigError(f"p must be between 1 and the number of candidate sites ({m}); got {p}")
    if len(predefined) > p:
        raise ConfigError(f"{len(predefined)} predefined sites exceed p = {p}")


def _predefined(predefined: Sequence[int] | npt.ArrayLike | None, m: int) -> IntArray:
    if predefined is None:
        return np.zeros(0, np.int64)
    arr = np.asarray(predefined)
    if arr.dtype == bool:
        arr = np.flatnonzero(arr)
    idx = np.unique(arr.astype(np.int64))
    if len(idx) and (idx.min() < 0 or idx.max() >= m):
        raise ConfigError(f"predefined site index out of range 0..{m - 1}")
    return idx


def _nearest_open(c: FloatArray, open_: IntArray) -> IntArray:
    if not len(open_):
        return np.full(c.shape[0], -1, np.int64)
    sub = c[:, open_]
    j = np.argmin(sub, axis=1)
    best = open_[j]
    return np.where(np.isfinite(sub[np.arange(len(sub)), j]), best, -1).astype(np.int64)


def _finish(name: str, p: int, sol: object, y: IntArray, c: FloatArray, w: FloatArray, service: float | None,
            objective: float, assignment: IntArray | None = None) -> LocationSolution:
    open_ = np.flatnonzero(sol.value(y) > 0.5).astype(np.int64)  # type: ignore[attr-defined]
    assign = _nearest_open(c, open_) if assignment is None else assignment
    if service is None:
        share = 1.0
    else:
        covered = (c[:, open_] <= service).any(axis=1) if len(open_) else np.zeros(len(c), bool)
        share = float(w[covered].sum() / w.sum()) if w.sum() > 0 else 0.0
    return LocationSolution(name, len(open_) if p == 0 else p, tuple(int(j) for j in open_),
                            tuple(int(a) for a in assign), float(objective), share,
                            str(sol.status), float(sol.mip_gap), float(sol.seconds))  # type: ignore[attr-defined]


def _assignment_model(name: str, c: FloatArray, obj: FloatArray | None, p: int, predefined: IntArray,
                      *, binary: bool) -> tuple[Model, IntArray, IntArray, IntArray, IntArray]:
    n, m = c.shape
    allowed = np.isfinite(c)
    if not allowed.any(axis=1).all():
        bad = int(np.flatnonzero(~allowed.any(axis=1))[0])
        raise InfeasibleError(f"demand point {bad} cannot reach any candidate site", ["assignment"])
    ii, jj = np.nonzero(allowed)
    model = Model(name, sense="min")
    y = model.add_binaries(m, name="open")
    coef = np.zeros(len(ii)) if obj is None else obj[ii, jj]
    x = model.add_vars(len(ii), name="assign", lb=0.0, ub=1.0, obj=coef, integer=binary)
    k = len(ii)
    nv = m + k
    model.add_rows("assignment", rows=sp.csr_matrix((np.ones(k), (ii, x)), shape=(n, nv)), lb=1.0, ub=1.0)
    link = sp.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                          (np.concatenate([np.arange(k), np.arange(k)]), np.concatenate([x, y[jj]]))), shape=(k, nv))
    model.add_rows("open_before_assign", rows=link, ub=0.0)
    model.add_row("p_sites", y, np.ones(m), lb=float(p), ub=float(p))
    if len(predefined):
        model.fix(y[predefined], 1.0)
    return model, y, x, ii, jj


def _assignment_of(sol: object, x: IntArray, ii: IntArray, jj: IntArray, n: int) -> IntArray:
    xv = sol.value(x)  # type: ignore[attr-defined]
    best = np.full(n, -1, np.int64)
    share = np.zeros(n)
    for a, i, j in zip(xv, ii, jj, strict=True):
        if a > share[i]:
            share[i], best[i] = a, j
    return best


def p_median(cost: npt.ArrayLike, weights: npt.ArrayLike, p: int, *, predefined: npt.ArrayLike | None = None,
             time_limit: float = 60.0, mip_gap: float = 0.0) -> LocationSolution:
    """p-median (module docstring): minimum total weighted cost with ``p`` open sites."""
    c, w = _arrays(cost, weights)
    pre = _predefined(predefined, c.shape[1])
    _check_p(p, c.shape[1], pre)
    model, y, x, ii, jj = _assignment_model("p_median", c, w[:, None] * np.where(np.isfinite(c), c, 0.0), p, pre,
                                            binary=False)
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"p-median has no solution (status {sol.status})", ["p_sites"])
    return _finish("p_median", p, sol, y, c, w, None, sol.objective, _assignment_of(sol, x, ii, jj, len(c)))


def p_median_with_coverage(cost: npt.ArrayLike, weights: npt.ArrayLike, p: int, cover_cost: npt.ArrayLike,
                           service: float, min_covered: float, *, predefined: npt.ArrayLike | None = None,
                           time_limit: float = 60.0, mip_gap: float = 0.0) -> LocationSolution:
    """p-median subject to a coverage floor: ``Σ w_i z_i ≥ min_covered``, ``z_i ≤ Σ_j [cover_cost_ij ≤ service] y_j``.

    The ε-constraint method (Haimes et al. 1971) on the two objectives of p-median and MCLP:
    sweeping ``min_covered`` from the p-median's coverage to the MCLP optimum traces their
    Pareto frontier. ``cover_cost`` (e.g. hours) may differ from ``cost`` (e.g. CNY/t).
    """
    c, w = _arrays(cost, weights)
    h = np.asarray(cover_cost, float)
    pre = _predefined(predefined, c.shape[1])
    _check_p(p, c.shape[1], pre)
    model, y, x, ii, jj = _assignment_model("p_median_coverage", c, w[:, None] * np.where(np.isfinite(c), c, 0.0), p,
                                            pre, binary=False)
    n = c.shape[0]
    z = model.add_vars(n, name="covered", lb=0.0, ub=1.0)
    nv = int(z[-1]) + 1
    ai, aj = np.nonzero(h <= service)
    rows = sp.csr_matrix((np.concatenate([-np.ones(len(ai)), np.ones(n)]),
                          (np.concatenate([ai, np.arange(n)]), np.concatenate([y[aj], z]))), shape=(n, nv))
    model.add_rows("coverage", rows=rows, ub=0.0)
    model.add_row("coverage_floor", z, w, lb=float(min_covered))
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"no {p} sites reach the coverage floor {min_covered:g} (status {sol.status})",
                              ["coverage_floor"])
    return _finish("p_median_coverage", p, sol, y, c, w, None, sol.objective, _assignment_of(sol, x, ii, jj, len(c)))


def capacitated_p_median(cost: npt.ArrayLike, weights: npt.ArrayLike, p: int, capacities: npt.ArrayLike, *,
                         predefined: npt.ArrayLike | None = None, time_limit: float = 60.0,
                         mip_gap: float = 0.0) -> LocationSolution:
    """Capacitated p-median with single sourcing: each site ``j`` serves at most ``capacities[j]`` weight."""
    c, w = _arrays(cost, weights)
    cap = np.asarray(capacities, float)
    if len(cap) != c.shape[1] or (cap < 0).any():
        raise ConfigError("capacities must give one non-negative value per candidate site")
    pre = _predefined(predefined, c.shape[1])
    _check_p(p, c.shape[1], pre)
    if np.sort(cap)[-p:].sum() < w.sum():
        raise InfeasibleError(f"the {p} largest capacities ({np.sort(cap)[-p:].sum():g}) are below the total "
                              f"demand ({w.sum():g})", ["capacity"])
    model, y, x, ii, jj = _assignment_model("capacitated_p_median", c, w[:, None] * np.where(np.isfinite(c), c, 0.0),
                                            p, pre, binary=True)
    m = c.shape[1]
    nv = m + len(ii)
    rows = sp.csr_matrix((np.concatenate([w[ii], -cap]), (np.concatenate([jj, np.arange(m)]), np.concatenate([x, y]))),
                         shape=(m, nv))
    model.add_rows("capacity", rows=rows, ub=0.0)
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"capacitated p-median has no solution (status {sol.status})", ["capacity", "p_sites"])
    return _finish("capacitated_p_median", p, sol, y, c, w, None, sol.objective, _assignment_of(sol, x, ii, jj, len(c)))


def p_center(cost: npt.ArrayLike, p: int, *, predefined: npt.ArrayLike | None = None, time_limit: float = 60.0,
             mip_gap: float = 0.0) -> LocationSolution:
    """p-center (module docstring): minimise the largest cost from a demand point to its site.

    Solved exactly as a sequence of set-covering problems (Minieka 1970, *Operations Research*
    18(2):261–268): the optimum is the smallest entry ``r`` of the cost matrix for which the
    LSCP with radius ``r`` (and the predefined sites) needs at most ``p`` sites; ``r`` is found by
    bisection over the sorted distinct entries from ``max_i min_j c_ij`` upwards. Extra sites
    (when the cover needs fewer than ``p``) are added by lowest total cost. Same optimum as the
    assignment formulation ``min W`` of spopt, with a far tighter model.
    """
    c, _ = _arrays(cost, None)
    pre = _predefined(predefined, c.shape[1])
    _check_p(p, c.shape[1], pre)
    if not np.isfinite(c).any(axis=1).all():
        raise InfeasibleError("a demand point cannot reach any candidate site", ["assignment"])
    start = time.perf_counter()
    values = np.unique(c[np.isfinite(c)])
    values = values[values >= np.min(c, axis=1).max()]

    def cover(r: float) -> LocationSolution | None:
        sol = lscp(c, r, predefined=pre, time_limit=time_limit, mip_gap=mip_gap)
        return sol if len(sol.selected) <= p else None

    lo, hi = 0, len(values) - 1
    best = cover(float(values[hi]))
    if best is None:
        raise InfeasibleError(f"{p} sites cannot serve every demand point", ["p_sites"])
    while lo < hi:
        mid = (lo + hi) // 2
        sol = cover(float(values[mid]))
        if sol is None:
            lo = mid + 1
        else:
            hi, best = mid, sol
    chosen = list(best.selected)
    if len(chosen) < p:
        rest = [j for j in np.argsort(np.where(np.isfinite(c), c, 0.0).sum(axis=0), kind="stable") if j not in chosen]
        chosen = sorted(chosen + [int(j) for j in rest[: p - len(chosen)]])
    open_ = np.asarray(chosen, np.int64)
    assign = _nearest_open(c, open_)
    objective = float(c[np.arange(len(c)), assign].max())
    return LocationSolution("p_center", p, tuple(chosen), tuple(int(a) for a in assign), objective, 1.0, "optimal",
                            0.0, time.perf_counter() - start)


def mclp(cost: npt.ArrayLike, weights: npt.ArrayLike, service: float, p: int, *,
         predefined: npt.ArrayLike | None = None, time_limit: float = 60.0, mip_gap: float = 0.0) -> LocationSolution:
    """Maximal covering (module docstring): a demand point is covered when ``cost <= service``."""
    c, w = _arrays(cost, weights)
    pre = _predefined(predefined, c.shape[1])
    _check_p(p, c.shape[1], pre)
    n, m = c.shape
    a = c <= service
    model = Model("mclp", sense="max")
    y = model.add_binaries(m, name="open")
    z = model.add_vars(n, name="covered", lb=0.0, ub=1.0, obj=w)
    ai, aj = np.nonzero(a)
    rows = sp.csr_matrix((np.concatenate([-np.ones(len(ai)), np.ones(n)]),
                          (np.concatenate([ai, np.arange(n)]), np.concatenate([y[aj], z]))), shape=(n, m + n))
    model.add_rows("coverage", rows=rows, ub=0.0)
    model.add_row("p_sites", y, np.ones(m), lb=float(p), ub=float(p))
    if len(pre):
        model.fix(y[pre], 1.0)
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"MCLP has no solution (status {sol.status})", ["p_sites"])
    return _finish("mclp", p, sol, y, c, w, service, sol.objective)


def _cover_model(name: str, a: npt.NDArray[np.bool_], pre: IntArray, sense: str) -> tuple[Model, IntArray]:
    m = a.shape[1]
    uncoverable = np.flatnonzero(~a.any(axis=1))
    if len(uncoverable):
        raise InfeasibleError(f"{len(uncoverable)} demand point(s) have no candidate site within the service "
                              f"standard (first: row {int(uncoverable[0])})", ["coverage"])
    model = Model(name, sense="min" if sense == "min" else "max")
    y = model.add_binaries(m, name="open", obj=1.0 if sense == "min" else 0.0)
    if len(pre):
        model.fix(y[pre], 1.0)
    return model, y


def lscp(cost: npt.ArrayLike, service: float, *, predefined: npt.ArrayLike | None = None,
         time_limit: float = 60.0, mip_gap: float = 0.0) -> LocationSolution:
    """Location set covering (module docstring): fewest sites within ``service`` of every demand point."""
    c, w = _arrays(cost, None)
    pre = _predefined(predefined, c.shape[1])
    a = c <= service
    model, y = _cover_model("lscp", a, pre, "min")
    ai, aj = np.nonzero(a)
    model.add_rows("coverage", rows=sp.csr_matrix((np.ones(len(ai)), (ai, y[aj])), shape=(len(c), c.shape[1])), lb=1.0)
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"LSCP has no solution (status {sol.status})", ["coverage"])
    return _finish("lscp", 0, sol, y, c, w, service, sol.objective)


def lscp_backup(cost: npt.ArrayLike, service: float, *, predefined: npt.ArrayLike | None = None,
                time_limit: float = 60.0, mip_gap: float = 0.0) -> LocationSolution:
    """LSCP with backup coverage (module docstring): ``p*`` sites, most demand points covered twice."""
    c, w = _arrays(cost, None)
    first = lscp(c, service, predefined=predefined, time_limit=time_limit, mip_gap=mip_gap)
    p_star = len(first.selected)
    pre = _predefined(predefined, c.shape[1])
    a = c <= service
    n, m = a.shape
    model, y = _cover_model("lscp_backup", a, pre, "max")
    twice = a.sum(axis=1) >= 2
    u = model.add_vars(n, name="backup", lb=0.0, ub=twice.astype(float), obj=1.0, integer=True)
    ai, aj = np.nonzero(a)
    rows = sp.csr_matrix((np.concatenate([np.ones(len(ai)), -np.ones(n)]),
                          (np.concatenate([ai, np.arange(n)]), np.concatenate([y[aj], u]))), shape=(n, m + n))
    model.add_rows("coverage", rows=rows, lb=1.0)
    model.add_row("p_sites", y, np.ones(m), lb=float(p_star), ub=float(p_star))
    sol = model.solve(time_limit=time_limit, mip_gap=mip_gap)
    if not sol.feasible:
        raise InfeasibleError(f"backup LSCP has no solution (status {sol.status})", ["coverage", "p_sites"])
    return _finish("lscp_backup", p_star, sol, y, c, w, service, sol.objective)


__all__ = ["MODELS", "LocationSolution", "capacitated_p_median", "lscp", "lscp_backup", "mclp", "p_center",
           "p_median", "p_median_with_coverage"]
