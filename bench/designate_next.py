"""Next-batch MILP on 2,000 synthetic candidate parks with 35 fixed designations, every rule
family on: HiGHS via parklink.optim vs CBC (bundled with PuLP) on the identical model
written as MPS.

Synthetic candidates (labelled synthetic): uniform over a Sichuan box (lon 103.5–106.2,
lat 28.5–32.0) and a Chongqing box (105.3–108.8, 28.5–31.5); 8 zones and 60 districts by
location cells; random area types, focus chains and scores; every 50th park has a parent
park; 35 parks are already designated (fixed history: the best-scored 18 SC and 17 CQ
parks of every 10th park). The batch: ``--size`` new parks (``--count parks``) or
designations, each province ≥ 40 %, cross-border pairing within 3 h (or with a designated
park), area types ≥ 20 % each, every zone represented, at most 3 parks per district, the 3
focal chain groups served, 1 forced in, 3 forced out. Target: optimal (gap 0) within 10 s.

Run: python bench/designate_next.py [--seed 7] [--n 2000] [--size 20] [--count parks]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from cbc_mps import solve_mps

from parklink.designate.next_api import plan_next_batch
from parklink.designate.nextbatch import (
    NextBatchRules,
    build_next_model,
    prepare_candidates,
    to_highs,
)

AREA_TYPES = ("critical_development", "transport_node", "adjacent")
CHAINS = ("auto", "moto", "electronics", "biomed")


def candidates(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prov = rng.choice(["SC", "CQ"], n, p=[0.55, 0.45])
    lon = np.where(prov == "SC", rng.uniform(103.5, 106.2, n), rng.uniform(105.3, 108.8, n))
    lat = np.where(prov == "SC", rng.uniform(28.5, 32.0, n), rng.uniform(28.5, 31.5, n))
    cell = (np.floor((lon - 103.5) / 1.4).astype(int) * 3 + np.floor((lat - 28.5) / 1.2).astype(int)) % 8
    district = (np.floor((lon - 103.5) / 0.6).astype(int) * 7 + np.floor((lat - 28.5) / 0.6).astype(int)) % 60
    score = rng.beta(2, 5, n)
    ids = [f"syn-{i:05d}" for i in range(n)]
    parent = [ids[i - 1] if i % 50 == 1 else "" for i in range(n)]
    cand = pd.DataFrame({
        "park_id": ids, "province": prov, "lon": lon, "lat": lat, "score": score,
        "zones": [f"z{c}" if rng.uniform() < 0.7 else "" for c in cell],
        "area_types": [";".join(rng.choice(AREA_TYPES, int(rng.integers(1, 3)), replace=False)) for _ in range(n)],
        "focus_chains": [";".join(rng.choice(CHAINS, int(rng.integers(0, 3)), replace=False)) for _ in range(n)],
        "kind": "other",
        "adcode": [f"5{'1' if p == 'SC' else '0'}{d:02d}00" for p, d in zip(prov, district, strict=True)],
        "parent_park_id": parent,
    })
    # fixed history: 18 SC + 17 CQ designated parks among every 10th park, best scores first
    pool = cand.iloc[::10]
    fixed = [*pool[pool["province"] == "SC"].nlargest(18, "score")["park_id"],
             *pool[pool["province"] == "CQ"].nlargest(17, "score")["park_id"]]
    cand["designated"] = cand["park_id"].isin(fixed)
    return cand


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--count", choices=("parks", "designations"), default="parks")
    ap.add_argument("--cbc-limit", type=float, default=150.0)
    args = ap.parse_args()
    cand = candidates(args.n, args.seed)
    free = cand[~cand["designated"]].sort_values("score", ascending=False)["park_id"].tolist()
    rules = NextBatchRules(
        year=2025, size=args.size, count=args.count, min_province_share=0.4, max_pair_hours=3.0,
        max_per_district=3, forced_in=(free[3],), forced_out=tuple(free[:3]), time_limit=60.0, mip_gap=0.0,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    res = plan_next_batch(cand, rules, swaps=0, explain=False)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    groups = sorted({g.split(":")[0] for g in res.rows["group"]})
    print(f"next batch: {args.n} candidates ({int(cand['designated'].sum())} fixed designations), "
          f"{args.size} new {args.count}; groups: {', '.join(groups)}; {len(res.rows)} rows")
    print(f"parklink (HiGHS): status {res.status}, objective {res.objective:.6f}, gap {res.mip_gap:.1e}, "
          f"solve {res.seconds:.2f} s, total incl. build and tables {total:.2f} s wall ({cpu:.2f} s CPU)")

    # the identical model, as MPS, for CBC
    nm = build_next_model(prepare_candidates(cand), rules, size=args.size)
    model, _lo, _hi = to_highs(nm)
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "next_batch.mps"
        check = model.solve(time_limit=60.0, write_to=mps)
        run = solve_mps(mps, args.cbc_limit)
    status, obj_cbc, t_cbc, c_cbc = run.status, run.objective, run.wall_s, run.cpu_s
    print(f"HiGHS re-solve of the written model: {check.status}, objective {check.objective:.6f}, {check.seconds:.2f} s")
    print(f"CBC (PuLP-bundled) on the same MPS: {status}, objective {obj_cbc:.6f}, {t_cbc:.2f} s wall ({c_cbc:.2f} s CPU)")
    print(f"equal objective: {abs(obj_cbc - check.objective) < 1e-6 * max(1.0, abs(check.objective))}")
    print(f"within 10 s and gap 0: {res.status == 'optimal' and res.mip_gap <= 1e-9 and total <= 10.0}")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(f"vs CBC: {t_cbc / res.seconds:.1f}x")


if __name__ == "__main__":
    main()
