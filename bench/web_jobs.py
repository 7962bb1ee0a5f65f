"""Analysis jobs of the web app: a cached answer vs recomputing, on the embedded dataset.

For each analysis endpoint (evaluation, designation, designation compared with another
scenario, chain diagnosis of the circle, route) the script times, in-process
(``fastapi.testclient``, programme-office token):

* ours — the cached answer: ``POST /api/analyses/<kind>`` again with the same body (200,
  same job; median of ``--repeats``), plus reading ``/api/jobs/{id}/result``;
* baseline — the first submission: submit, poll ``/api/jobs/{id}`` until done (the
  analysis computed in the job thread).

Prints ``vs recomputing: N.Nx`` per analysis (baseline time / cached time). The database is
the embedded Chengdu–Chongqing dataset with its synthetic firm dataset (``parklink db init``
into a temporary data directory).

    python bench/web_jobs.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("evaluation (draws 1000)", "evaluation", {"draws": 1000}),
    ("designation (programme)", "designation", {}),
    ("designation + comparison", "designation", {"compare_to": "programme_no_pairing"}),
    ("chains (circle, all chains)", "chains", {"scope": "circle"}),
    ("route (Yibin → Rongchang)", "route", {"origin": "sc-yibin-sanjiang-new-area",
                                            "destination": "cq-rongchang-htz"}),
]


def main() -> None:
    """Run the benchmark and print one line per analysis."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="parklink-bench-jobs-"))
    os.environ["PARKLINK_DATA_DIR"] = str(root)
    parklink_cli = Path(sys.executable).with_name("parklink")
    subprocess.run([str(parklink_cli), "db", "init"], check=True, capture_output=True)

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from parklink.settings import get_settings
    from parklink.store import models as m
    from parklink.store.db import session_scope
    from parklink.web import create_app
    from parklink.web.accounts import create_user, open_session

    get_settings.cache_clear()
    url = get_settings().resolved_database_url
    with session_scope(url) as s:
        create_user(s, "bench", "bench password 123", "programme_office")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; database {url}")
    with TestClient(create_app(url)) as c:
        state = c.app.state.web  # type: ignore[attr-defined]
        with state.sessions() as s:
            user = s.scalar(select(m.User).where(m.User.username == "bench"))
            assert user is not None
            token = open_session(s, state.signer, user, "api", ttl_s=3600)
            s.commit()
        h = {"Authorization": f"Bearer {token}"}
        for label, kind, body in REQUESTS:
            t0 = time.perf_counter()
            ref = c.post(f"/api/analyses/{kind}", json=body, headers=h).json()
            while True:
                job = c.get(ref["status_url"], headers=h).json()
                if job["status"] in ("done", "failed"):
                    break
                time.sleep(0.02)
            computed = time.perf_counter() - t0
            if job["status"] != "done":
                print(f"{label}: failed: {job['error']}")
                continue
            cached = []
            for _ in range(args.repeats):
                t1 = time.perf_counter()
                again = c.post(f"/api/analyses/{kind}", json=body, headers=h)
                result = c.get(ref["result_url"], headers=h)
                cached.append(time.perf_counter() - t1)
                assert again.status_code == 200 and again.json()["job_id"] == ref["job_id"]
                assert result.status_code == 200
            ours = statistics.median(cached)
            print(f"{label}: computed {computed:.2f} s; cached answer + result {ours * 1000:.1f} ms; "
                  f"vs recomputing: {computed / ours:.1f}x")


if __name__ == "__main__":
    main()
