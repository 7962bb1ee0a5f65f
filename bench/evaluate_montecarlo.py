"""Monte Carlo weight robustness: 10,000 Dirichlet draws on 500 parks × 12 criteria.

Ours: parklink.evaluate.monte_carlo (one vectorised TOPSIS pass per chunk of draws, P(top k)
and rank intervals). Baseline: the same draws through pymcdm's TOPSIS one draw at a time
(vector normalisation, validation off), ranks by argsort, same statistics. Target: ours < 2 s.
Synthetic data (lognormal values, seeded).

Run: python bench/evaluate_montecarlo.py [--draws 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pymcdm import normalizations
from pymcdm.methods import TOPSIS

from parklink.evaluate import DecisionMatrix, monte_carlo
from parklink.evaluate.robustness import dirichlet_weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--top-k", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    x = rng.lognormal(size=(500, 12))
    dirs = ["benefit"] * 8 + ["cost"] * 4
    dm = DecisionMatrix.from_array(x, directions=dirs)
    w = rng.dirichlet(np.ones(12) * 5)

    t0, c0 = time.perf_counter(), time.process_time()
    mc = monte_carlo(dm, w, draws=args.draws, concentration=100.0, top_k=args.top_k, seed=3)
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0

    t1, c1 = time.perf_counter(), time.process_time()
    ws = dirichlet_weights(w, draws=args.draws, concentration=100.0, seed=3)
    topsis = TOPSIS(normalizations.vector_normalization)
    types = dm.types
    in_top = np.zeros(500)
    for k in range(args.draws):
        pref = topsis(x, ws[k], types, validation=False)
        order = np.argsort(-np.round(pref, 12), kind="stable")
        in_top[order[: args.top_k]] += 1
    t_base, c_base = time.perf_counter() - t1, time.process_time() - c1
    same = np.allclose(in_top / args.draws, mc.p_top_k)
    print(f"Monte Carlo robustness: {args.draws} draws, 500 parks x 12 criteria, P(top {args.top_k})")
    print(f"parklink.evaluate.monte_carlo: {t_ours:.2f} s wall, {c_ours:.2f} s CPU (under 2 s: {t_ours < 2.0})")
    print(f"pymcdm TOPSIS loop: {t_base:.2f} s wall, {c_base:.2f} s CPU; identical P(top k): {same}")
    print(f"vs pymcdm loop: {t_base / t_ours:.1f}x")


if __name__ == "__main__":
    main()
