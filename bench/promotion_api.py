"""KPI API under load (issue 14): ``GET /api/kpi`` p99 at 200 concurrent requests on SQLite.

Builds a SQLite registry with the embedded regions, zones, parks and designations and a
seeded **synthetic** promotion ledger (``--projects`` projects over the embedded parks,
each walking the pipeline for 1–6 stage events, 3 % terminated, funds for signed ones, 40
events as cohorts), starts uvicorn (``--workers`` processes) on a free loopback port and
drives ``/api/kpi`` with ``wrk -c200`` for ``--seconds``; the requests rotate over the eight
groupings (park, designation, zone, chain, origin, event, year, in_park) and two signing years.

Ours: the endpoint as shipped — served from the response cache (:mod:`parklink.web.cache`,
keyed by data version, URL and date) and, on a miss, from the per-process KPI memo
(:func:`parklink.web.promotion_data.memo_bytes`). Baseline in the same run: the uncached
path — the same endpoint on a server started with ``PARKLINK_PROMOTION_MEMO=0``, each
request with a new dummy parameter so it misses the response cache too: every request reads
the ledger and computes the KPIs. Before the load test both paths are
timed in-process (direct ASGI calls, CPU ms per request), which a shared machine disturbs
much less than latency. Target: p99 < 100 ms at 200 concurrent requests, 0 errors.

Also measured (same script run): the in-process cold start — 20 concurrent requests over two
paths on an empty memo and response cache, with the memo's single flight and with every miss
computing (:data:`parklink.web.promotion_data.SINGLE_FLIGHT`); in the same server session as
ours, the practical limits at the same concurrency — ``/api/health`` (a trivial route through
FastAPI's routing and thread pool) and one cached KPI path as a static wrk request; and the KPI
mix on a server started with ``PARKLINK_WEB_GC_FREEZE=0`` (no :func:`gc.freeze` of the
start-up objects, :func:`parklink.web.app.freeze_startup_objects`).

    python bench/promotion_api.py [--projects 10000] [--seconds 15] [--baseline-seconds 10]

Everything is synthetic (confidence 'synthetic'); the load generator talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from web_load import _asgi_get, free_port, run_wrk, wait_up

from parklink import tables as t
from parklink.datasets import chengyu
from parklink.promotion.stages import ACTIVE_STAGES
from parklink.settings import get_settings
from parklink.store.db import get_engine, session_scope, upgrade
from parklink.store.io import write_frame

P99_MS = 100.0
#: Concurrent requests of the in-process cold-start comparison (single flight or not).
COLD_REQUESTS = 20
GROUPINGS = ("park", "designation", "zone", "chain", "origin", "event", "year", "in_park")
ORIGINS = ("GD", "ZJ", "JS", "BJ", "SH", "SC", "CQ", "HK", "DE", "JP")
LUA = """
math.randomseed(7)
local paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)] .. %s)
end
"""
#: The baseline's requests each carry a new parameter: every one misses the response cache.
BUST = '"&r=" .. math.random(1, 1000000000)'


def kpi_paths() -> list[str]:
    """The request mix: every grouping, all years and two signing years."""
    return [f"/api/kpi?by={b}" for b in GROUPINGS] + [f"/api/kpi?by=park&year={y}" for y in (2024, 2025)]


def ledger(parks: pd.DataFrame, n: int, seed: int = 11) -> dict[str, pd.DataFrame]:
    """A seeded synthetic ledger (canonical frames of the promotion kinds)."""
    rng = np.random.default_rng(seed)
    park_ids = parks["park_id"].astype(str).to_numpy()
    n_events = 40
    held = np.datetime64("2022-01-01") + rng.integers(0, 1400, n_events).astype("timedelta64[D]")
    events = pd.DataFrame({
        "event_id": [f"EVB{i:03d}" for i in range(n_events)], "name_zh": [f"合成招商活动{i}" for i in range(n_events)],
        "name_en": [f"Synthetic event {i}" for i in range(n_events)], "held_on": pd.to_datetime(held).date,
        "city": "成都", "country": "CN", "organisers_sc": None, "organisers_cq": None, "chains": None,
        "invited_firms": None, "attending_firms": None, "leads_generated": None, "signed_on_site": None,
        "signed_on_site_cny_m": None, "synthetic": True, "source_url": None, "confidence": "synthetic",
    })
    ids = np.array([f"PB{i:06d}" for i in range(n)])
    start = np.datetime64("2022-01-01") + rng.integers(0, 1400, n).astype("timedelta64[D]")
    projects = pd.DataFrame({
        "project_id": ids, "name_zh": [f"合成项目{i}" for i in range(n)], "name_en": None, "investor_id": None,
        "investor_name": "合成投资方 synthetic investor", "origin_province": rng.choice(ORIGINS, n),
        "origin_country": "CN", "park_id": rng.choice(park_ids, n), "chain": rng.choice(t.CHAINS, n),
        "segment_id": None, "mode": "new", "signed_investment_cny_m": rng.lognormal(5, 1, n).round(1),
        "jobs": rng.integers(10, 2000, n), "expected_output_cny_m": None, "expected_tax_cny_m": None,
        "planned_sign": None,
        "planned_start": pd.to_datetime(start + rng.integers(90, 500, n).astype("timedelta64[D]")).date,
        "planned_production": pd.to_datetime(start + rng.integers(400, 1100, n).astype("timedelta64[D]")).date,
        "planned_capacity": None,
        "event_id": np.where(rng.random(n) < 0.4, rng.choice(events["event_id"].to_numpy(), n), None),
        "plan_id": None, "rec_rank": None, "rec_score": None, "rec_reason": None, "rec_model_version": None,
        "rec_scope_id": None, "synthetic": True, "source_url": None, "confidence": "synthetic",
    })
    k = rng.integers(1, 7, n)  # stages reached: lead .. at_capacity
    rows = []
    funds = []
    for i in range(n):
        day = start[i]
        for s in range(int(k[i])):
            rows.append((ids[i], ACTIVE_STAGES[s], day))
            day = day + np.timedelta64(int(rng.integers(10, 200)), "D")
        if rng.random() < 0.03:
            rows.append((ids[i], "terminated", day))
        if k[i] >= 3:
            funds.append((ids[i], day, float(projects.at[i, "signed_investment_cny_m"]) * rng.uniform(0.05, 0.6)))
    ev = pd.DataFrame(rows, columns=["project_id", "stage", "on_date"])
    stage_events = pd.DataFrame({
        "stage_event_id": ev["project_id"] + ":" + ev["stage"], "project_id": ev["project_id"], "stage": ev["stage"],
        "on_date": pd.to_datetime(ev["on_date"]).dt.date, "recorded_by": "bench", "source": None,
        "reason": np.where(ev["stage"] == "terminated", "financing", None), "note": None,
    })
    f = pd.DataFrame(funds, columns=["project_id", "on_date", "amount_cny_m"])
    project_funds = pd.DataFrame({
        "fund_id": f["project_id"] + ":" + pd.to_datetime(f["on_date"]).dt.strftime("%Y-%m-%d"),
        "project_id": f["project_id"], "on_date": pd.to_datetime(f["on_date"]).dt.date,
        "amount_cny_m": f["amount_cny_m"].round(2), "use": "unknown", "source": None,
    })
    return {"promotion_events": events, "projects": projects, "stage_events": stage_events,
            "project_funds": project_funds}


def build(url: str, n_projects: int) -> dict[str, int]:
    """The registry (embedded) and the synthetic ledger; row counts written."""
    upgrade(url)
    parks = chengyu.load("parks")
    counts: dict[str, int] = {}
    with session_scope(url) as s:
        for kind in ("regions", "zones", "parks", "designations"):
            write_frame(s, kind, chengyu.load(kind))
        for kind, frame in ledger(parks, n_projects).items():
            write_frame(s, kind, frame)
            counts[kind] = len(frame)
    get_engine(url).dispose()
    return counts


def inprocess(url: str, requests: int) -> dict[str, float]:
    """CPU ms per KPI request in-process: uncached (memo cleared before each) and cached."""
    from parklink.web import create_app
    from parklink.web import promotion_data as pdata
    from parklink.web.cache import response_cache

    app = create_app(url)
    paths = kpi_paths()

    async def run() -> dict[str, float]:
        out: dict[str, float] = {}
        async with app.router.lifespan_context(app):
            for label, clear in (("uncached", True), ("cached", False)):
                for p in paths:  # warm (imports, the cached path's memo)
                    path, _, query = p.partition("?")
                    await _asgi_get(app, path, query)
                n = requests if clear else requests * 10
                c0 = time.process_time()
                for i in range(n):
                    if clear:
                        pdata.clear_memo()
                        cache = response_cache(app)
                        if cache is not None:
                            cache.clear()
                    path, _, query = paths[i % len(paths)].partition("?")
                    status, _body = await _asgi_get(app, path, query)
                    if status != 200:
                        raise RuntimeError(f"{paths[i % len(paths)]} failed")
                out[label] = 1000 * (time.process_time() - c0) / n
        return out

    async def cold(single_flight: bool) -> tuple[float, float]:
        """Wall and CPU seconds of COLD_REQUESTS concurrent requests over two paths on an
        empty memo and response cache (a cold worker, or the first requests after a write)."""
        pdata.SINGLE_FLIGHT = single_flight
        try:
            async with app.router.lifespan_context(app):
                pdata.clear_memo()
                cache = response_cache(app)
                if cache is not None:
                    cache.clear()
                w0, c0 = time.perf_counter(), time.process_time()
                codes = await asyncio.gather(*(_asgi_get(app, "/api/kpi", q) for q in ["by=park", "by=chain"]
                                               * (COLD_REQUESTS // 2)))
                if {status for status, _body in codes} != {200}:
                    raise RuntimeError(f"cold requests failed: {codes}")
                return time.perf_counter() - w0, time.process_time() - c0
        finally:
            pdata.SINGLE_FLIGHT = True

    try:
        out = asyncio.run(run())
        for flag, label in ((True, "cold_single"), (False, "cold_each")):
            wall, cpu = asyncio.run(cold(flag))
            out[f"{label}_wall"], out[f"{label}_cpu"] = wall, cpu
        return out
    finally:
        get_engine(url).dispose()


def serve(url: str, tmp: Path, workers: int, memo: bool, gc_freeze: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PARKLINK_WEB_DATABASE_URL": url, "PARKLINK_DATA_DIR": str(tmp / "data"),
           "PARKLINK_PROMOTION_MEMO": "1" if memo else "0", "PARKLINK_WEB_GC_FREEZE": "1" if gc_freeze else "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "parklink.web.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_up(base)
    return server, base


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(20)


def wrk(base: str, path: str, seconds: int, *, connections: int, lua: str, timeout_s: int) -> dict[str, float]:
    """:func:`web_load.run_wrk` with a request timeout of ``timeout_s`` (the uncached baseline
    needs more than its 5 s to complete anything at 200 concurrent requests)."""
    real = subprocess.run

    def patched(cmd: list[str], **kw: Any) -> Any:
        cmd = [f"{timeout_s}s" if c == "5s" else c for c in cmd]
        done = real(cmd, **kw)
        for line in str(done.stdout).splitlines():  # what the errors were (timeouts, non-2xx)
            if "errors" in line or "Non-2xx" in line:
                print(f"    wrk: {line.strip()}")
        return done

    subprocess.run = patched  # type: ignore[assignment]
    try:
        return run_wrk(base, path, seconds, connections=connections, lua=lua)
    finally:
        subprocess.run = real  # type: ignore[assignment]


def load_test(url: str, tmp: Path, *, workers: int, memo: bool, seconds: int, connections: int,
              limits: int = 0, gc_freeze: bool = True) -> dict[str, Any]:
    """wrk on the KPI mix; with ``limits`` seconds, in the same server session also the
    practical limits at the same concurrency: ``/api/health`` (a trivial route through
    FastAPI's routing and thread pool) and one cached KPI path as a static wrk request (no
    Lua request generator), each for ``limits`` seconds."""
    import urllib.request

    server, base = serve(url, tmp, workers, memo, gc_freeze)
    try:
        for p in kpi_paths() if memo else kpi_paths()[:1]:  # warm every worker's caches (uncached: imports)
            for _ in range(workers * 2):
                urllib.request.urlopen(base + p, timeout=120).read()
        lua = LUA % (", ".join(f'"{p}"' for p in kpi_paths()), '""' if memo else BUST)
        out: dict[str, Any] = {"kpi": wrk(base, "/api/kpi", seconds, connections=connections, lua=lua,
                                          timeout_s=5 if memo else 60)}
        if limits:
            out["health"] = wrk(base, "/api/health", limits, connections=connections, lua=None, timeout_s=5)
            out["static"] = wrk(base, "/api/kpi?by=park", limits, connections=connections, lua=None, timeout_s=5)
        return out
    finally:
        stop(server)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--baseline-seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--requests", type=int, default=10, help="in-process uncached requests (cached: 10x)")
    ap.add_argument("--limit-seconds", type=int, default=8,
                    help="wrk seconds of each practical-limit run (/api/health, a static KPI path); 0: none")
    ap.add_argument("--gc-seconds", type=int, default=10,
                    help="wrk seconds of the KPI mix on a server without gc.freeze() (PARKLINK_WEB_GC_FREEZE=0); 0: none")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="parklink-promobench-"))
    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    os.environ["PARKLINK_DATA_DIR"] = str(tmp / "data")
    get_settings.cache_clear()
    try:
        t0 = time.perf_counter()
        counts = build(url, args.projects)
        print(f"built in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
              + " (synthetic)")
        print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
        cpu = inprocess(url, args.requests)
        print(f"\nin-process CPU per /api/kpi request: uncached {cpu['uncached']:.1f} ms, cached {cpu['cached']:.2f} ms"
              f" -> vs uncached baseline: {cpu['uncached'] / cpu['cached']:.1f}x")
        print(f"in-process cold start, {COLD_REQUESTS} concurrent requests over 2 paths: single flight "
              f"{cpu['cold_single_wall']:.2f} s wall / {cpu['cold_single_cpu']:.2f} s CPU, each miss computing "
              f"{cpu['cold_each_wall']:.2f} s / {cpu['cold_each_cpu']:.2f} s -> vs each-miss baseline: "
              f"{cpu['cold_each_cpu'] / cpu['cold_single_cpu']:.1f}x (CPU)")
        runs = load_test(url, tmp, workers=args.workers, memo=True, seconds=args.seconds,
                         connections=args.connections, limits=args.limit_seconds)
        ours = runs["kpi"]
        base = load_test(url, tmp, workers=args.workers, memo=False, seconds=args.baseline_seconds,
                         connections=args.connections)["kpi"]
        if args.gc_seconds:  # the same server without gc.freeze() of the start-up objects
            runs["no_freeze"] = load_test(url, tmp, workers=args.workers, memo=True, seconds=args.gc_seconds,
                                          connections=args.connections, gc_freeze=False)["kpi"]
        print(f"\nwrk -t1 -c{args.connections}, uvicorn x{args.workers}, SQLite, load average now "
              f"{os.getloadavg()[0]:.1f}")
        for label, r in (("ours (memoised per data version)", ours), ("baseline (uncached path)", base)):
            print(f"  {label:34s} {r['rps']:8.0f} req/s  p50 {r['p50']:8.1f} ms  p99 {r['p99']:8.1f} ms  "
                  f"errors {r['errors']}")
        for label, key in (("limit: /api/health (same server)", "health"),
                           ("limit: one KPI path, static wrk", "static"),
                           ("ours without gc.freeze()", "no_freeze")):
            if key in runs:
                r = runs[key]
                print(f"  {label:34s} {r['rps']:8.0f} req/s  p50 {r['p50']:8.1f} ms  p99 {r['p99']:8.1f} ms  "
                      f"errors {r['errors']}")
        verdict = "met" if ours["p99"] < P99_MS and ours["errors"] == 0 and ours["rps"] > 0 else "NOT met"
        if base["rps"] > 0 and base["p99"] > 0 and ours["p99"] > 0:
            ratio = f"p99 {base['p99'] / ours['p99']:.1f}x, req/s {ours['rps'] / base['rps']:.1f}x"
        else:  # nothing completed: every baseline request took longer than the whole run
            ratio = (f"p99 >= {1000 * args.baseline_seconds / ours['p99']:.1f}x (no baseline request completed "
                     f"in {args.baseline_seconds} s)")
        print(f"\np99 {ours['p99']:.1f} ms (target < {P99_MS:.0f} ms, 0 errors: {verdict}); vs uncached baseline: {ratio}")
    finally:
        get_engine(url).dispose()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
