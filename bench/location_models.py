"""Location models on one instance: parklink.logistics.sitemodels (HiGHS) vs spopt (PuLP + CBC).

LSCP, LSCP with backup coverage, p-center and capacitated p-median (each also with two
predefined sites) on the same random instance (demand and sites in a 100 km square, Euclidean
km, weights 1–50; synthetic data), both timed from the cost matrix to the solution (model
building included). Objectives must agree (backup LSCP: spopt counts the demand points that
cannot be covered twice; ours does not — the difference must equal their number).

    python bench/location_models.py [--seed 42] [--n 250] [--m 20]

(At 400 × 40 spopt's p-center alone takes ~3.5 min under load; the default stays under 3 min.)
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from collections.abc import Callable

import numpy as np
import pulp
from spopt.locate import LSCP, LSCPB, PCenter, PMedian

from parklink.logistics.sitemodels import capacitated_p_median, lscp, lscp_backup, p_center

warnings.filterwarnings("ignore")


def instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Random demand and candidate sites (synthetic); cost = Euclidean km rounded to 10 m."""
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 100, (n, 2))
    s = rng.uniform(0, 100, (m, 2))
    return np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2)).round(2), rng.integers(1, 51, n).astype(float)


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def timed(fn: Callable[[], float]) -> tuple[float, float, float]:
    """(objective, wall s, CPU s) of one call."""
    c0, t0 = _cpu(), time.perf_counter()
    obj = fn()
    return obj, time.perf_counter() - t0, _cpu() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--n", type=int, default=250)
    ap.add_argument("--m", type=int, default=20)
    args = ap.parse_args()
    cost, w = instance(args.seed, args.n, args.m)
    radius = float(max(np.quantile(cost, 0.25), cost.min(axis=1).max()))
    p = 5
    cap = np.full(args.m, np.ceil(1.3 * w.sum() / p))
    pre = np.array([0, args.m - 1])
    single = int(((cost <= radius).sum(axis=1) < 2).sum())
    cbc = pulp.PULP_CBC_CMD(msg=False)
    print(f"instance: {args.n} demand × {args.m} sites, seed {args.seed}, radius {radius:.2f} km, p {p}, "
          f"load avg {os.getloadavg()[0]:.1f}")
    rows = []
    for label, predefined in (("", None), (" +2 predefined", pre)):
        cases: list[tuple[str, Callable[[], float], Callable[[], float], float]] = [
            ("LSCP" + label, lambda pd=predefined: lscp(cost, radius, predefined=pd).objective,
             lambda pd=predefined: LSCP.from_cost_matrix(cost, radius, predefined_facilities_arr=pd)
             .solve(cbc).problem.objective.value(), 0.0),
            ("LSCP-B" + label, lambda pd=predefined: lscp_backup(cost, radius, predefined=pd).objective,
             lambda pd=predefined: LSCPB.from_cost_matrix(cost, radius, cbc, predefined_facilities_arr=pd)
             .solve(cbc).problem.objective.value(), float(single)),
            ("p-center" + label, lambda pd=predefined: p_center(cost, p, predefined=pd).objective,
             lambda pd=predefined: PCenter.from_cost_matrix(cost, p, predefined_facilities_arr=pd)
             .solve(cbc).problem.objective.value(), 0.0),
            ("capacitated p-median" + label,
             lambda pd=predefined: capacitated_p_median(cost, w, p, cap, predefined=pd).objective,
             lambda pd=predefined: PMedian.from_cost_matrix(cost, w, p, predefined_facilities_arr=pd,
                                                            facility_capacities=cap)
             .solve(cbc).problem.objective.value(), 0.0),
        ]
        for name, ours, theirs, offset in cases:
            o, ow, oc = timed(ours)
            t, tw, tc = timed(theirs)
            assert abs(o + offset - t) <= 1e-6 * max(1.0, abs(t)), (name, o, t)
            rows.append((name, o, ow, oc, tw, tc))
            print(f"{name:34s} objective {o:12.2f}  ours {ow:7.2f} s ({oc:6.2f} CPU)  "
                  f"spopt+CBC {tw:7.2f} s ({tc:6.2f} CPU)  vs spopt+CBC: {tw / ow:.1f}x")


if __name__ == "__main__":
    main()
