"""Promotion KPIs over 100,000 projects and 1,000,000 stage events (+ 300,000 fund rows).

Ours: parklink.promotion.compute_kpis (one DuckDB pass for the per-project stage dates, one
for the grouped KPIs), grouped by park. Baseline: the same KPIs in pandas (groupby per
project, then per park), written straightforwardly. Both outputs are compared. Target: ours
≤ 1 s on 2 cores. Synthetic ledger (seeded): each project walks the pipeline from a random
stage for 1–10 events (ten per project on average), 3% terminate.

Run: python bench/promotion_kpi.py [--projects 100000] [--events-per-project 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from parklink.promotion import compute_kpis
from parklink.promotion.stages import ACTIVE_STAGES

RANK = {s: i for i, s in enumerate(ACTIVE_STAGES)} | {"terminated": -1}


def ledger(n: int, per: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:07d}" for i in range(n)])
    start = np.datetime64("2020-01-01") + rng.integers(0, 1800, n).astype("timedelta64[D]")
    projects = pd.DataFrame({
        "project_id": ids,
        "park_id": rng.choice([f"park-{k:02d}" for k in range(68)], n),
        "signed_investment_cny_m": rng.lognormal(4, 1, n).round(1),
        "planned_start": (start + rng.integers(60, 700, n).astype("timedelta64[D]")).astype("datetime64[ns]"),
    })
    # events: per project a run of stages with repeats allowed (same-stage notes), dates increasing
    k = rng.integers(1, 2 * per, n)
    total = int(k.sum())
    pid = np.repeat(np.arange(n), k)
    first = np.repeat(rng.integers(0, 3, n), k)
    pos = np.arange(total) - np.repeat(np.cumsum(k) - k, k)
    stage_rank = np.minimum(first + pos // max(1, per // 3), 5)
    days = np.repeat(start, k) + (pos * rng.integers(5, 40, total)).astype("timedelta64[D]")
    stages = np.array(ACTIVE_STAGES, dtype=object)[stage_rank]
    term = rng.random(total) < 0.003
    stages[term] = "terminated"
    events = pd.DataFrame({"project_id": ids[pid], "stage": stages, "on": days.astype("datetime64[ns]")})
    m = 3 * n
    funds = pd.DataFrame({
        "project_id": ids[rng.integers(0, n, m)],
        "on": (np.datetime64("2020-01-01") + rng.integers(0, 2200, m).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "amount_cny_m": rng.lognormal(2, 1, m).round(2),
    })
    return projects, events, funds


def pandas_kpis(projects: pd.DataFrame, events: pd.DataFrame, funds: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    cut = pd.Timestamp(as_of)
    ev = events[events["on"] <= cut].copy()
    ev["r"] = ev["stage"].map(RANK)
    g = ev.groupby("project_id")
    prog = pd.DataFrame({
        "lead_at": ev[ev["r"] == 0].groupby("project_id")["on"].min(),
        "signed_at": ev[ev["r"] >= 2].groupby("project_id")["on"].min(),
        "started_at": ev[ev["r"] >= 3].groupby("project_id")["on"].min(),
        "production_at": ev[ev["r"] >= 4].groupby("project_id")["on"].min(),
        "capacity_at": ev[ev["r"] >= 5].groupby("project_id")["on"].min(),
        "terminated_at": ev[ev["r"] == -1].groupby("project_id")["on"].min(),
    }).reindex(g.size().index)
    fu = funds[funds["on"] <= cut].groupby("project_id")["amount_cny_m"].sum()
    j = projects.set_index("project_id").join(prog, how="inner").join(fu.rename("funds"))
    j["funds"] = j["funds"].fillna(0.0)
    signed = j["signed_at"].notna()
    planned = signed & (j["planned_start"] <= cut)
    out = pd.DataFrame({
        "n_projects": j.groupby("park_id").size(),
        "n_signed": signed.groupby(j["park_id"]).sum(),
        "signed_investment_cny_m": j["signed_investment_cny_m"].where(signed, 0).groupby(j["park_id"]).sum(),
        "n_performing": (signed & (j["started_at"].notna() | (j["funds"] > 0))).groupby(j["park_id"]).sum(),
        "n_started": j["started_at"].notna().groupby(j["park_id"]).sum(),
        "n_in_production": j["production_at"].notna().groupby(j["park_id"]).sum(),
        "n_planned_start": planned.groupby(j["park_id"]).sum(),
        "n_started_as_planned": (planned & j["started_at"].notna()).groupby(j["park_id"]).sum(),
        "funds_in_place_cny_m": j["funds"].where(signed, 0).groupby(j["park_id"]).sum(),
        "days_signed_to_started": (j["started_at"] - j["signed_at"]).dt.days.groupby(j["park_id"]).mean(),
    })
    out["performance_rate"] = out["n_performing"] / out["n_signed"]
    out["start_rate"] = out["n_started_as_planned"] / out["n_planned_start"]
    out["production_rate"] = out["n_in_production"] / out["n_signed"]
    out["funds_rate"] = out["funds_in_place_cny_m"] / out["signed_investment_cny_m"]
    return out.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--events-per-project", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    projects, events, funds = ledger(args.projects, args.events_per_project)
    as_of = dt.date(2024, 6, 30)
    print(f"ledger: {len(projects):,} projects, {len(events):,} stage events, {len(funds):,} fund rows")
    ours, base = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = compute_kpis(projects, events, funds, as_of=as_of, by=["park_id"]).to_frame()
        ours.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        ref = pandas_kpis(projects, events, funds, as_of)
        base.append(time.perf_counter() - t1)
    a = res.set_index("park_id").sort_index()
    b = ref.set_index("park_id").sort_index()
    same = all(np.allclose(a[c].astype(float), b[c].astype(float), equal_nan=True) for c in b.columns)
    t_ours, t_base = min(ours), min(base)
    print(f"parklink.promotion.compute_kpis (by park): {t_ours:.3f} s (best of {args.repeat}; ≤ 1 s: {t_ours <= 1.0})")
    print(f"pandas groupby baseline: {t_base:.3f} s; identical KPIs: {same}")
    print(f"vs pandas: {t_base / t_ours:.1f}x")


if __name__ == "__main__":
    main()
