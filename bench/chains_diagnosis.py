"""Benchmark: full chain diagnosis (all parks × chains × segments) on DuckDB, its floor, a
pandas baseline and Spark local[2].

    python bench/chains_diagnosis.py                       # 1M and 10M transactions
    python bench/chains_diagnosis.py --sizes 1M,10M,100M --pandas-at 10M --spark-at 10M

For every size it generates a synthetic dataset with ``parklink.datasets.synthetic`` (50
transactions per firm, 3 years) unless one exists under ``--work``. It then runs each stage
in its own process and reports wall time and peak RSS:

* ``ours``   — ``parklink.chains.diagnose`` for every park of the embedded dataset, all four
  chains, all template segments (Ibis on DuckDB; the transaction scans join on integer
  firm keys when the dataset carries them, as generated ones do: ``"keyed"`` in the output);
* ``floor``  — raw DuckDB ``SELECT buyer_id, sum(value_kcny) … GROUP BY buyer_id`` over the
  same Parquet (a single scan + group-by);
* ``sqlmin`` — a lower bound for ours: hand-written DuckDB SQL of just the two passes over
  the transactions that no diagnosis can skip (the flow matrix over all years; the
  firm-level purchase sums by supplier location for the year), on the integer keys,
  without the other aggregates, the ranking or any result assembly;
* ``pandas`` — a straightforward pandas implementation of the same aggregates (memberships,
  segment counts, purchase joins, firm-level LSR sums, coverage, segment demand and
  concentration, leader sourcing, flows, sales into scope; it leaves out the
  target/replacement ranking, which makes the baseline cheaper than ours);
* ``spark``  — the same ``diagnose`` on Spark local[2] (JVM memory not included in RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _cpu_s() -> float:
    """CPU time of this process (all threads: DuckDB workers included; not Spark's JVM)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _scopes() -> tuple[list[Any], Any]:
    from parklink.chains.scope import park_scope
    from parklink.inputs import read_inputs

    bundle = read_inputs()
    frames, tpl = bundle.scope_frames(), bundle.chain_template()
    return [park_scope(p, frames) for p in frames.parks["park_id"]], tpl


def stage_ours(root: Path, engine: str) -> dict[str, Any]:
    from parklink.chains.data import ChainData
    from parklink.chains.diagnosis import diagnose
    from parklink.firmdata import FirmDataset, connect
    from parklink.settings import Settings

    scopes, tpl = _scopes()
    t0, c0 = time.perf_counter(), _cpu_s()
    con = connect(Settings(engine=engine))  # type: ignore[arg-type]
    data = ChainData.from_dataset(FirmDataset(root), template=tpl, con=con)
    r = diagnose(data, scopes)
    secs = time.perf_counter() - t0
    return {"seconds": secs, "cpu_s": _cpu_s() - c0, "peak_gib": _peak_gib(),
            "scopes": len(scopes), "keyed": data.keyed,
            "segments": len(r.segments), "gaps": len(r.gaps),
            "targets": len(r.targets), "buyers": len(r.firm_lsr),
            "steps_wall_cpu": {k: (round(float(v), 2), round(float(c), 2)) for k, v, c in
                               zip(r.explain["timings"]["step"], r.explain["timings"]["seconds"],
                                   r.explain["timings"]["cpu_seconds"], strict=True)}}


def stage_floor(root: Path) -> dict[str, Any]:
    import duckdb

    t0, c0 = time.perf_counter(), _cpu_s()
    con = duckdb.connect()
    glob = str(root / "transactions" / "*.parquet")
    res = con.sql(f"SELECT buyer_id, sum(value_kcny) AS v FROM read_parquet('{glob}') "  # noqa: S608
                  "GROUP BY buyer_id").fetchnumpy()
    return {"seconds": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0, "peak_gib": _peak_gib(),
            "rows": len(res["buyer_id"])}


def stage_sqlmin(root: Path) -> dict[str, Any]:
    import duckdb

    scopes, _ = _scopes()
    rows = [(s.scope_id, p) for s in scopes for p in sorted(s.park_ids)]
    t0, c0 = time.perf_counter(), _cpu_s()
    con = duckdb.connect()
    con.read_parquet(str(root / "firms.parquet")).create_view("firms")
    con.read_parquet(str(root / "transactions" / "*.parquet")).create_view("tx")
    con.execute("CREATE TEMP TABLE scope_parks (scope_id VARCHAR, park_id VARCHAR)")
    con.executemany("INSERT INTO scope_parks VALUES (?, ?)", rows)
    con.execute("CREATE TEMP TABLE f AS SELECT firm_key AS k, province AS p, "
                "split_part(segments, ';', 1) AS seg, park_id, "
                "CASE WHEN province = 'SC' THEN 0 ELSE 1 END::TINYINT AS b_code FROM firms")
    con.execute("CREATE TEMP TABLE codes AS SELECT k, b_code, "
                "dense_rank() OVER (ORDER BY p, seg)::INT AS s_code FROM f "
                "WHERE p IN ('SC', 'CQ')")
    con.execute("CREATE TEMP TABLE m AS SELECT f.k, sp.scope_id FROM f "
                "JOIN scope_parks sp USING (park_id)")
    flows = con.sql("SELECT year, s.s_code, b.b_code, sum(value_kcny), count(*) FROM tx t "
                    "JOIN codes b ON t.buyer_key = b.k JOIN codes s ON t.supplier_key = s.k "
                    "GROUP BY ALL").fetchall()
    year = int(con.sql("SELECT max(year) FROM tx").fetchall()[0][0])
    sums = con.execute(
        "SELECT m.scope_id, t.buyer_key, sum(value_kcny) AS v, "
        "sum(value_kcny) FILTER (s.p IS NOT NULL), sum(value_kcny) FILTER (ms.k IS NOT NULL), "
        "sum(value_kcny) FILTER (s.p = b.p), sum(value_kcny) FILTER (s.p IN ('SC', 'CQ')), "
        "count(*), count(*) FILTER (s.p IS NOT NULL), count(*) FILTER (ms.k IS NOT NULL), "
        "count(*) FILTER (s.p = b.p), count(*) FILTER (s.p IN ('SC', 'CQ')) "
        "FROM tx t JOIN m ON t.buyer_key = m.k JOIN f b ON b.k = t.buyer_key "
        "LEFT JOIN f s ON s.k = t.supplier_key "
        "LEFT JOIN m ms ON ms.k = t.supplier_key AND ms.scope_id = m.scope_id "
        "WHERE t.year = ? GROUP BY ALL", [year]).fetchall()
    return {"seconds": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0, "peak_gib": _peak_gib(),
            "flow_rows": len(flows), "buyers": len(sums)}


def stage_pandas(root: Path) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    scopes, _ = _scopes()
    t0, c0 = time.perf_counter(), _cpu_s()
    firms = pd.read_parquet(root / "firms.parquet")
    tx = pd.read_parquet(root / "transactions")
    firms["output"] = firms["output_cny_m"].fillna(0.0)
    firms["leading"] = firms["leading"].fillna(False).astype(bool)
    seg = firms["segments"].fillna("")
    firms["seg1"] = seg.str.split(";").str[0].replace("", np.nan)
    fs = firms.assign(segment_id=seg.str.split(";")).explode("segment_id")
    fs = fs[fs["segment_id"].fillna("") != ""]
    fs["share"] = 1.0 / fs.groupby("enterprise_id")["segment_id"].transform("size")
    member = pd.concat([
        firms.loc[firms["park_id"].isin(s.park_ids), ["enterprise_id"]].assign(scope_id=s.scope_id)
        for s in scopes], ignore_index=True).drop_duplicates()
    fsm = fs.merge(member, on="enterprise_id")
    fsm["w_out"] = fsm["output"] * fsm["share"]
    seg_counts = fsm.groupby(["scope_id", "segment_id"]).agg(
        n_firms=("enterprise_id", "nunique"), output=("w_out", "sum"))
    year = int(tx["year"].max())
    ty = tx[tx["year"] == year]
    buyers = firms[["enterprise_id", "province", "chain", "leading", "park_id"]].rename(
        columns={"enterprise_id": "buyer_id", "province": "b_prov", "chain": "b_chain",
                 "leading": "b_leading", "park_id": "b_park"})
    sups = firms[["enterprise_id", "province", "seg1"]].rename(
        columns={"enterprise_id": "supplier_id", "province": "s_prov", "seg1": "s_seg"})
    j = ty.merge(member.rename(columns={"enterprise_id": "buyer_id"}), on="buyer_id")
    j = j.merge(buyers, on="buyer_id").merge(sups, on="supplier_id", how="left")
    ms = member.rename(columns={"enterprise_id": "supplier_id"}).assign(in_scope=True)
    j = j.merge(ms, on=["supplier_id", "scope_id"], how="left")
    j["in_scope"] = j["in_scope"].astype("boolean").fillna(False).astype(bool)
    j["resolved"] = j["s_prov"].notna().astype(bool)
    j["same_prov"] = (j["s_prov"] == j["b_prov"]).astype("boolean").fillna(False).astype(bool)
    j["in_circle"] = j["s_prov"].isin(["SC", "CQ"]).astype(bool)
    for flag in ("resolved", "in_scope", "same_prov", "in_circle"):
        j[f"v_{flag}"] = j["value_kcny"].to_numpy(dtype=float) * j[flag].to_numpy(dtype=float)
        j[f"s_{flag}"] = j["supplier_id"].where(j[flag])
    firm = j.groupby(["scope_id", "buyer_id"]).agg(
        v_total=("value_kcny", "sum"), v_resolved=("v_resolved", "sum"),
        v_scope=("v_in_scope", "sum"), v_prov=("v_same_prov", "sum"),
        v_circle=("v_in_circle", "sum"), n_sup=("supplier_id", "nunique"),
        n_resolved=("s_resolved", "nunique"), n_scope=("s_in_scope", "nunique"),
        n_prov=("s_same_prov", "nunique"), n_circle=("s_in_circle", "nunique"))
    present = seg_counts.reset_index()[["scope_id", "segment_id"]].assign(p=1)
    k = j[j["resolved"] & j["s_seg"].notna()].groupby(
        ["scope_id", "buyer_id", "s_seg"], as_index=False).size()
    k = k.merge(present.rename(columns={"segment_id": "s_seg"}), on=["scope_id", "s_seg"],
                how="left")
    cov = k.groupby(["scope_id", "buyer_id"]).agg(n_k=("size", "size"), k_scope=("p", "sum"))
    demand = j.groupby(["scope_id", "s_seg"]).agg(
        demand=("value_kcny", "sum"), local=("v_in_scope", "sum"),
        n_sup=("supplier_id", "nunique"))
    loc = j[j["in_scope"]].groupby(["scope_id", "s_seg", "supplier_id"])["value_kcny"].sum()
    conc = loc.groupby(["scope_id", "s_seg"]).agg(["sum", lambda v: (v ** 2).sum(), "max"])
    lead = j[j["b_leading"]].groupby(["scope_id", "buyer_id", "s_seg"]).agg(
        n_sup=("supplier_id", "nunique"), value=("value_kcny", "sum"))
    sales = j[~j["in_scope"] & j["resolved"]].groupby(["scope_id", "supplier_id"]).agg(
        into=("value_kcny", "sum"), tie=("b_leading", "max"))
    fl = tx.merge(sups, on="supplier_id").merge(
        firms[["enterprise_id", "province"]].rename(columns={"enterprise_id": "buyer_id",
                                                             "province": "b_prov"}),
        on="buyer_id")
    fl = fl[fl["s_prov"].isin(["SC", "CQ"]) & fl["b_prov"].isin(["SC", "CQ"])]
    flows = fl.groupby(["year", "s_prov", "b_prov", "s_seg"])["value_kcny"].agg(["sum", "size"])
    secs = time.perf_counter() - t0
    return {"seconds": secs, "cpu_s": _cpu_s() - c0, "peak_gib": _peak_gib(),
            "buyers": len(firm) + len(cov) * 0,
            "rows": int(len(demand) + len(conc) + len(lead) + len(sales) + len(flows))}


def _run_stage(stage: str, root: Path, timeout: float = 3600) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--stage", stage, "--root", str(root)]
    env = dict(os.environ)
    if stage == "spark":
        env["PARKLINK_ENGINE"] = "spark"
        env["PARKLINK_SPARK_MASTER"] = "local[2]"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                         check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _generate(n_tx: int, root: Path) -> dict[str, Any]:
    if (root / "firms.parquet").exists():
        return {"cached": True}
    from parklink.datasets.synthetic import write_dataset

    r = write_dataset(root, n_firms=max(n_tx // 50, 2000), n_transactions=n_tx,
                      seed=20200611, progress=False, overwrite=True)
    return {"seconds": r.seconds, "peak_gib": r.peak_rss_bytes / 2**30,
            "n_firms": r.n_firms, "n_tx": r.n_transactions, "bytes": r.bytes_written}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1M,10M")
    ap.add_argument("--pandas-at", default="10M")
    ap.add_argument("--spark-at", default="10M")
    ap.add_argument("--work", default="/tmp/parklink-bench-chains")
    ap.add_argument("--stage")
    ap.add_argument("--root")
    args = ap.parse_args()
    if args.stage:
        root = Path(args.root)
        fn = {"ours": lambda: stage_ours(root, "duckdb"), "floor": lambda: stage_floor(root),
              "pandas": lambda: stage_pandas(root), "sqlmin": lambda: stage_sqlmin(root),
              "spark": lambda: stage_ours(root, "spark")}[args.stage]
        print(json.dumps(fn()))
        return
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()}")
    for size in args.sizes.split(","):
        n = SIZES[size]
        root = Path(args.work) / f"tx{size}"
        gen = _generate(n, root)
        print(f"\n== {size} transactions: generate {gen}")
        ours = _run_stage("ours", root)
        floor = _run_stage("floor", root)
        print(f"ours (DuckDB, all parks × chains × segments): {ours}")
        print(f"floor (raw DuckDB scan + group-by): {floor}")
        if "seconds" in ours and "seconds" in floor:
            print(f"ours / floor: {ours['seconds'] / floor['seconds']:.1f}x wall, "
                  f"{ours['cpu_s'] / floor['cpu_s']:.1f}x CPU (target ≤ 3x)")
            rows = n
            print(f"per row: {ours['seconds'] / rows * 1e9:.1f} ns, "
                  f"{ours['peak_gib'] * 2**30 / rows:.1f} B peak RSS")
        sqlmin = _run_stage("sqlmin", root) if ours.get("keyed") else {}
        if "seconds" in sqlmin and "seconds" in floor and "seconds" in ours:
            print(f"sqlmin (hand-written SQL, the two unavoidable transaction passes): {sqlmin}")
            print(f"sqlmin / floor: {sqlmin['seconds'] / floor['seconds']:.1f}x wall; "
                  f"ours / sqlmin: {ours['seconds'] / sqlmin['seconds']:.1f}x wall")
        if size in args.pandas_at.split(","):
            pdres = _run_stage("pandas", root)
            print(f"pandas baseline: {pdres}")
            if "seconds" in pdres and "seconds" in ours:
                print(f"vs pandas: {pdres['seconds'] / ours['seconds']:.1f}x wall, "
                      f"{pdres['cpu_s'] / ours['cpu_s']:.1f}x CPU (target ≥ 20x)")
        if size in args.spark_at.split(","):
            sp = _run_stage("spark", root)
            print(f"spark local[2]: {sp}")
    print(f"\nload average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
