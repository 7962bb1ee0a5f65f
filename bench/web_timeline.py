"""Web latency timeline (issue 12): when, after a server starts, the slow requests happen.

Starts the server (``parklink serve --workers 2``, ready when both workers have warmed
themselves: ``web_load.start_server``) on a database loaded by ``bench/web_load.py``, then
sends GETs from 16 threads (keep-alive ``http.client`` connections), each paced to one request every ``16 / rate`` s (default: about 1,000 req/s in all), for
``--seconds``. Prints p50/p99/max and, per half second since the start, the number of
requests and of those slower than ``--slow`` ms. ``{n}`` in the path becomes a random park
number (00000-09999), ``{p}`` a random page (1-200).

    python bench/web_timeline.py "/api/parks?page={p}&page_size=50" --database sqlite:////tmp/load-wl10k.sqlite --data-dir /tmp/load-data

The baseline is the same run's steady state: the bins after the first second. Everything is
synthetic; the client talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from web_load import start_server

CONNECTIONS = 16


def client(port: int, path: str, interval: float, until: float, start: float, rows: list[tuple[float, float]],
           seed: int) -> None:
    """One keep-alive connection sending paced GETs until ``until`` (perf_counter seconds)."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    due = time.perf_counter()
    while time.perf_counter() < until:
        target = path.replace("{n}", f"{rng.randint(0, 9999):05d}").replace("{p}", str(rng.randint(1, 200)))
        t0 = time.perf_counter()
        conn.request("GET", target)
        conn.getresponse().read()
        rows.append((t0 - start, 1000 * (time.perf_counter() - t0)))
        due += interval
        time.sleep(max(0.0, due - time.perf_counter()))
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--database", required=True, help="a database loaded by bench/web_load.py")
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=1000.0, help="requests per second in all (about)")
    ap.add_argument("--server", choices=("parklink", "uvicorn"), default="parklink",
                    help="parklink serve --workers 2 (default) or uvicorn --workers 2 (bench/web_load.py --server)")
    ap.add_argument("--slow", type=float, default=20.0, help="ms above which a request counts as slow")
    args = ap.parse_args()
    server, base = start_server(args.database, args.data_dir, workers=2, server=args.server,
                                env={"PARKLINK_WEB_ANALYSIS_WAIT_S": "0"})
    port = int(base.rsplit(":", 1)[1])
    rows: list[tuple[float, float]] = []
    try:
        start = time.perf_counter()
        threads = [threading.Thread(target=client, args=(port, args.path, CONNECTIONS / args.rate,
                                                          start + args.seconds, start, rows, k))
                   for k in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    at = np.array([r[0] for r in rows])
    lat = np.array([r[1] for r in rows])
    print(f"{args.path}: {len(rows)} requests in {args.seconds:.0f} s; p50 {np.percentile(lat, 50):.1f} ms, "
          f"p99 {np.percentile(lat, 99):.1f} ms, max {lat.max():.0f} ms")
    steady = lat[at >= 1.0]
    if steady.size:
        print(f"baseline (after the first second): p99 {np.percentile(steady, 99):.1f} ms; "
              f"whole run vs steady state p99: {np.percentile(lat, 99) / np.percentile(steady, 99):.1f}x")
    for b in np.arange(0.0, args.seconds, 0.5):
        sel = (at >= b) & (at < b + 0.5)
        if sel.any():
            print(f"  {b:4.1f}-{b + 0.5:4.1f} s  requests {int(sel.sum()):5d}  slower than {args.slow:.0f} ms "
                  f"{int((lat[sel] > args.slow).sum()):4d}  max {lat[sel].max():7.1f} ms")


if __name__ == "__main__":
    main()
