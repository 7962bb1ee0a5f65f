"""MCLP, 3,000 demand points × 400 candidate sites: parklink.optim (HiGHS) vs spopt (PuLP + CBC).

Same data, same service radius and p, both timed from the cost matrix to the solution
(model building included). The objectives (covered demand weight) must be equal.

Run: python bench/mclp_3000x400.py [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pulp
import scipy.sparse as sp
from spopt.locate import MCLP

from parklink.optim import Model


def instance(seed: int, n_demand: int = 3000, n_sites: int = 400) -> tuple[np.ndarray, np.ndarray, float]:
    """Random demand (weights 1–100) and sites in a 100 × 100 km square; cost = Euclidean km.
    (Synthetic test data.)"""
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 100, (n_demand, 2))
    s = rng.uniform(0, 100, (n_sites, 2))
    cost = np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))
    weights = rng.integers(1, 101, n_demand).astype(float)
    return cost, weights, 8.0


def _cpu() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def ours(cost: np.ndarray, weights: np.ndarray, radius: float, p: int) -> tuple[float, float, list[int]]:
    """max Σ w_g z_g  s.t.  z_g ≤ Σ_j a_gj y_j,  Σ y_j = p,  y binary, z ∈ [0, 1].

    Demand points with the same set of covering sites are merged into one group g with
    the summed weight, and points no site covers are dropped (an exact reduction of the
    MCLP of Church & ReVelle 1974). z may be continuous: with y integral the optimum
    z is integral.
    """
    t0 = time.perf_counter()
    a = sp.csr_matrix(cost <= radius, dtype=np.float64)
    groups: dict[bytes, int] = {}
    first: list[int] = []
    gw: list[float] = []
    for i in range(a.shape[0]):
        key = a.indices[a.indptr[i] : a.indptr[i + 1]].tobytes()
        if not key:
            continue
        g = groups.setdefault(key, len(first))
        if g == len(first):
            first.append(i)
            gw.append(0.0)
        gw[g] += float(weights[i])
    ag = a[first]
    n, m_sites = ag.shape
    m = Model("mclp", sense="max")
    y = m.add_binaries(m_sites, name="open")
    m.add_vars(n, name="covered", lb=0.0, ub=1.0, obj=np.array(gw))
    rows = sp.hstack([-ag, sp.identity(n, format="csr")], format="csr")  # z_g − Σ a_gj y_j ≤ 0
    m.add_rows("coverage", rows=rows, ub=0.0)
    m.add_row("facilities", y, 1.0, lb=p, ub=p)
    sol = m.solve(time_limit=300, mip_gap=0.0)
    secs = time.perf_counter() - t0
    assert sol.optimal, sol.status
    return sol.objective, secs, sorted(np.flatnonzero(sol.value(y) > 0.5).tolist())


def baseline(cost: np.ndarray, weights: np.ndarray, radius: float, p: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=p)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    secs = time.perf_counter() - t0
    return float(pulp.value(model.problem.objective)), secs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    # two declared instances: sparse coverage (6 km, p = 40) and dense coverage (8 km, p = 30)
    for radius, p in ((6.0, 40), (8.0, 30)):
        cost, w, _r = instance(args.seed)
        c0 = _cpu()
        obj_o, t_o, _sites = ours(cost, w, radius, p)
        c1 = _cpu()
        obj_b, t_b = baseline(cost, w, radius, p)
        c2 = _cpu()
        print(f"MCLP 3000 demand x 400 sites, radius={radius} km, p={p}, seed={args.seed}")
        print(f"  parklink.optim (HiGHS): objective {obj_o:.1f}  {t_o:.2f} s wall ({c1 - c0:.2f} s CPU)")
        print(f"  spopt MCLP (PuLP+CBC):  objective {obj_b:.1f}  {t_b:.2f} s wall ({c2 - c1:.2f} s CPU)")
        print(f"  equal objective: {abs(obj_o - obj_b) < 1e-6 * max(1.0, abs(obj_b))}")
        print(f"  vs spopt: {t_b / t_o:.1f}x")


if __name__ == "__main__":
    main()
