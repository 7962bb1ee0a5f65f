"""Benchmark: synthetic firm/transaction generation (parklink.datasets.synthetic).

Runs ``write_dataset`` at a large size into a temporary directory (deleted afterwards) and
reports time, rows/s, bytes and peak RSS. The ratio is measured on a small size against a
baseline that implements the *same sampling model* naively with pandas: for each buyer and
year, build a frame of all candidate suppliers (firms of the buyer's input segments), compute
``P ∝ q(k'|k) · w_s · max(d, d0)^-ζ`` with pandas and draw the buyer's suppliers without
replacement with ``numpy.random.Generator.choice(replace=False, p=...)`` (no churn, no chunking).
Both get the same firms, template, weights and suppliers-per-buyer.

    python bench/generate.py                       # 2M firms / 10M transactions
    python bench/generate.py --firms 2000000 --transactions 100000000
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parklink.datasets import chengyu
from parklink.datasets import synthetic as syn


def naive_pandas(firms: pd.DataFrame, segments: pd.DataFrame, n_transactions: int, year_index: int,
                 seed: int) -> pd.DataFrame:
    """Baseline: per-buyer pandas sampling of the same model for one year."""
    plan = syn._build_plan(firms, segments, n_transactions=n_transactions, years=(2021, 2022, 2023), seed=seed,
                           params=syn.DEFAULT_PARAMS)
    t = year_index
    rng = np.random.default_rng(seed)
    info = pd.DataFrame({"firm": np.arange(plan.n), "seg": plan.seg, "group": plan.group,
                         "w": plan.weight[t]})
    decay = np.exp(plan.log_decay)
    kin_of = {int(k): i for i, k in enumerate(plan.kin_seg)}
    q = np.exp(plan.log_q[t])
    rows = []
    for b in np.flatnonzero(plan.m[t] > 0):
        kb = int(plan.seg[b])
        slots = [(kin_of[int(k)], int(k)) for k in plan.kin_seg if q[kb, kin_of[int(k)]] > 0]
        cand = info[info["seg"].isin([k for _, k in slots]) & (info["w"] > 0) & (info["firm"] != b)].copy()
        if cand.empty:
            continue
        qmap = {k: q[kb, i] for i, k in slots}
        cand["p"] = cand["seg"].map(qmap) * cand["w"] * decay[cand["group"].to_numpy(), plan.group[b]]
        cand["p"] /= cand.groupby("seg")["p"].transform("sum") / cand["seg"].map(qmap)
        p = cand["p"].to_numpy() / cand["p"].sum()
        k = min(int(plan.m[t, b]), int((p > 0).sum()))
        pick = rng.choice(cand["firm"].to_numpy(), size=k, replace=False, p=p)
        rows.append(pd.DataFrame({"supplier": pick, "buyer": b}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["supplier", "buyer"])


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=2_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--chunk-rows", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=20200611)
    ap.add_argument("--small-firms", type=int, default=3_000)
    ap.add_argument("--small-transactions", type=int, default=30_000)
    ap.add_argument("--dir", type=Path, default=None, help="parent of the temporary output directory")
    args = ap.parse_args()

    regions = chengyu.load("regions")
    segments = chengyu.load("chain_segments")
    parks = chengyu.load("parks")
    leaders = chengyu.load("enterprises")
    print(f"machine: {platform.machine()}, {platform.python_version()}; output under {args.dir or tempfile.gettempdir()}")

    # ---- large run (ours only)
    tmp = Path(tempfile.mkdtemp(prefix="parklink-bench-", dir=args.dir))
    cpu0 = _cpu()
    try:
        report = syn.write_dataset(tmp / "ds", n_firms=args.firms, n_transactions=args.transactions, seed=args.seed,
                                   chunk_rows=args.chunk_rows, regions=regions, segments=segments, parks=parks,
                                   leaders=leaders, progress=False)
        cpu_large = _cpu() - cpu0
        # pyarrow raw write of the same number of rows (context, not the ratio's baseline)
        first = pq.read_table(tmp / "ds" / "transactions" / "part-00000.parquet")
        t0 = time.perf_counter()
        pq.write_table(first, tmp / "rewrite.parquet")
        raw = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate = report.n_transactions / max(report.seconds_transactions, 1e-9)
    print(f"large: {report.n_firms:,} firms, {report.n_transactions:,} transactions, {report.n_parts} parts, "
          f"{report.bytes_written / 2**30:.2f} GiB")
    print(f"  firms {report.seconds_firms:.1f} s, transactions {report.seconds_transactions:.1f} s "
          f"({rate / 1e6:.2f} M rows/s incl. Parquet write), total {report.seconds:.1f} s wall, "
          f"{cpu_large:.1f} s CPU")
    print(f"  peak RSS {report.peak_rss_bytes / 2**20:.0f} MiB")
    print(f"  pyarrow raw write of one {first.num_rows:,}-row part: {first.num_rows / raw / 1e6:.2f} M rows/s "
          f"(so writing is ≈ {report.n_transactions / (first.num_rows / raw) / report.seconds_transactions:.0%} "
          f"of transaction time)")
    cal = report.calibration.set_index("statistic")["value"]
    print("  calibration: " + ", ".join(f"{k}={cal[k]:.3f}" for k in (
        "within_province_share", "customer_degree_tail", "leaders_purchase_share", "link_churn")))

    # ---- small run: ours vs the naive pandas baseline, one year of the same model
    firms = syn.generate_firms(regions, segments, n_firms=args.small_firms, seed=args.seed, parks=parks, leaders=leaders)
    n_small = args.small_transactions
    t0, c0 = time.perf_counter(), _cpu()
    ours = pd.concat(syn.generate_transactions(firms, segments, n_transactions=n_small, years=(2021, 2022, 2023),
                                               seed=args.seed), ignore_index=True)
    t_ours, c_ours = time.perf_counter() - t0, _cpu() - c0
    ours_rows = int((ours["year"] == 2021).sum())
    t0, c0 = time.perf_counter(), _cpu()
    base = naive_pandas(firms, segments, n_small, 0, args.seed)
    t_base, c_base = time.perf_counter() - t0, _cpu() - c0
    # ours generated three years (with churn) in t_ours; compare per generated row
    per_ours = c_ours / len(ours)
    per_base = c_base / max(len(base), 1)
    print(f"small: {args.small_firms:,} firms; ours {len(ours):,} rows (3 years) in {t_ours:.2f} s wall / "
          f"{c_ours:.2f} s CPU; baseline {len(base):,} rows (year 1; ours year 1: {ours_rows:,}) in "
          f"{t_base:.2f} s wall / {c_base:.2f} s CPU")
    print(f"vs naive pandas per-buyer sampling (CPU per row): {per_base / per_ours:.1f}x "
          f"(wall per row: {(t_base / max(len(base), 1)) / (t_ours / len(ours)):.1f}x)")
    _ = pa  # pyarrow imported for the raw-write context above
    print(f"peak RSS of the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()
