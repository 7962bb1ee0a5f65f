"""Designation MILP on 2,000 synthetic candidate parks, 20 designated over 3 target years,
every constraint family on: HiGHS via parklink.optim vs CBC (bundled with PuLP) on the
identical model written as MPS.

Synthetic candidates (labelled synthetic): uniform over a Sichuan box (lon 103.5–106.2,
lat 28.5–32.0) and a Chongqing box (105.3–108.8, 28.5–31.5), 8 zones by location cells,
random area types / focus chains / scores; 2 existing designations (2020), 1 forced in,
3 forced out. Target: optimal (gap 0) within 10 s on 2 cores.

Run: python bench/designate_2000.py [--seed 7] [--n 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from cbc_mps import solve_mps

from parklink.designate import Scenario, pair_edges, validate_candidates
from parklink.designate.model import build_model, designate

AREA_TYPES = ("critical_development", "transport_node", "adjacent")
CHAINS = ("auto", "moto", "electronics", "biomed")


def candidates(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prov = rng.choice(["SC", "CQ"], n, p=[0.55, 0.45])
    lon = np.where(prov == "SC", rng.uniform(103.5, 106.2, n), rng.uniform(105.3, 108.8, n))
    lat = np.where(prov == "SC", rng.uniform(28.5, 32.0, n), rng.uniform(28.5, 31.5, n))
    cell = (np.floor((lon - 103.5) / 1.4).astype(int) * 3 + np.floor((lat - 28.5) / 1.2).astype(int)) % 8
    zones = [f"z{c}" if rng.uniform() < 0.7 else "" for c in cell]
    ats = [";".join(rng.choice(AREA_TYPES, int(rng.integers(1, 3)), replace=False)) for _ in range(n)]
    ch = [";".join(rng.choice(CHAINS, int(rng.integers(0, 3)), replace=False)) for _ in range(n)]
    score = rng.beta(2, 5, n)
    existing = pd.array([pd.NA] * n, dtype="Int64")
    return pd.DataFrame(
        {
            "park_id": [f"syn-{i:05d}" for i in range(n)],
            "province": prov,
            "lon": lon,
            "lat": lat,
            "score": score,
            "zones": zones,
            "area_types": ats,
            "focus_chains": ch,
            "kind": "other",
            "existing_year": existing,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--cbc-limit", type=float, default=300.0)
    args = ap.parse_args()
    cand = candidates(args.n, args.seed)
    base = Scenario(name="bench", max_pair_hours=3.0)
    pe = pair_edges(validate_candidates(cand), max_hours=base.max_pair_hours, per_park=base.pair_candidates)
    pairable = set(pe["park_a"]) | set(pe["park_b"])
    top = [p for p in cand.sort_values("score", ascending=False)["park_id"] if p in pairable]
    # an existing 2020 pair: the best pairable SC park and its nearest CQ partner
    best = pe[pe["park_a"] == next(p for p in top if p in set(pe["park_a"]))].sort_values("hours").iloc[0]
    existing = [best["park_a"], best["park_b"]]
    cand.loc[cand["park_id"].isin(existing), "existing_year"] = 2020
    top = [p for p in top if p not in existing]
    sc = Scenario(
        name="bench",
        targets={2020: 10, 2022: 15, 2025: 20},
        min_province_share=0.4,
        area_type_min_share={"critical_development": 0.2, "transport_node": 0.2, "adjacent": 0.2},
        max_pair_hours=3.0,
        forced_in=(top[3],),
        forced_out=tuple(top[:3]),
        fix_existing=True,
        time_limit=60.0,
        mip_gap=0.0,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    res = designate(cand, sc, explain=False)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"designation: {args.n} candidates, 3 target years, groups: {', '.join(sorted({g.split(':')[0] for g in res.groups}))}")
    print(f"parklink (HiGHS): status {res.status}, objective {res.objective:.6f}, gap {res.mip_gap:.1e}, "
          f"solve {res.seconds:.2f} s, total incl. build {total:.2f} s wall ({cpu:.2f} s CPU)")

    # the identical model, as MPS, for CBC
    vc = validate_candidates(cand)
    edges = pair_edges(vc, max_hours=sc.max_pair_hours, per_park=sc.pair_candidates)
    zones = sorted({z for zs in vc["zones"] for z in zs})
    built = build_model(vc, sc, edges=edges, zones=zones)
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "designation.mps"
        check = built.model.solve(time_limit=60.0, write_to=mps)
        run = solve_mps(mps, args.cbc_limit)
    status, obj_cbc, t_cbc, c_cbc = run.status, run.objective, run.wall_s, run.cpu_s
    print(f"CBC (PuLP-bundled) on the same MPS: {status}, objective {obj_cbc:.6f}, {t_cbc:.2f} s wall ({c_cbc:.2f} s CPU)")
    print(f"equal objective: {abs(obj_cbc - check.objective) < 1e-6 * max(1.0, abs(check.objective))}")
    print(f"within 10 s and gap 0: {res.status == 'optimal' and res.mip_gap <= 1e-9 and total <= 10.0}")
    print(f"vs CBC: {t_cbc / res.seconds:.1f}x")


if __name__ == "__main__":
    main()
