"""Platform coverage of chain gaps in the web layer: one computation path for the API and the
dashboard.

:func:`platform_gap_run` is :func:`parklink.coconstruction.runs.run_platform_gaps` on the
inputs bundle of the one input path (:func:`parklink.web.park_analyses.web_inputs`), cached by
its inputs fingerprint in the web analysis cache (:func:`parklink.web.park_analyses.cached`):
``/api/coconstruction/analyses/platform-gaps`` and the dashboard both call it, so they show the
numbers of ``parklink platforms gaps`` and ``parklink plan`` for the same data.

The chain engine behind it takes seconds to minutes on a large firm dataset, so the dashboard
never computes on the request: :func:`dashboard_coverage` finds or submits one public
background job (:mod:`parklink.web.jobs`, kind :data:`KIND`, keyed by the data version, the
firm-dataset version and the configuration), waits for it only until
:func:`parklink.web.park_precompute.wait_seconds` after its submission, and otherwise answers
``computing`` (the public dashboard page is cached per data version *and* this state, so it
shows the figures once the job is done).

Figures (:func:`coverage_figures`, default service standard ``S`` = 2 h)::

    coverage_share   = covered gaps / gaps              (gap = park × focal chain × gap segment)
    best_site_cover  = uncovered gaps the best new site (MCLP, p = 1) would serve within S
    share_with_best  = (covered gaps + best_site_cover) / gaps
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from typing import Any

import pandas as pd
from fastapi import Request
from sqlalchemy.orm import Session

from parklink.coconstruction.runs import CocoRun, PlatformGapConfig, run_platform_gaps
from parklink.configs import fingerprint
from parklink.errors import ParklinkError
from parklink.web import jobs

__all__ = ["GAP_COLUMNS", "KIND", "coverage_figures", "dashboard_coverage", "park_gap_rows", "platform_gap_run"]

KIND = "platform_gaps"
OWNER = "system:cocon-dashboard"


def platform_gap_run(session: Session, config: PlatformGapConfig | None = None) -> CocoRun:
    """The platform-gap run of the session's data (module docstring), cached by fingerprint.
    Raises a ParklinkError (NotFoundError) when the firm dataset is missing."""
    from parklink.web.park_analyses import cached, web_inputs

    cfg = config or PlatformGapConfig()
    inputs = web_inputs(session)
    key = ("platform_gaps", str(session.get_bind().engine.url), fingerprint(inputs, cfg).digest)
    return cached(key, lambda: run_platform_gaps(inputs, cfg))


def coverage_figures(run: CocoRun) -> dict[str, Any]:
    """The dashboard's figures of a platform-gap run (formulas in the module docstring)."""
    s = run.summary()
    sites = run.explain()["sites"]
    best = sites[(sites["chain"] == "*") & (sites["rank"] == 1)]
    gaps, covered = int(s["gaps"]), int(s["covered"])
    best_park = str(best["park_id"].iloc[0]) if len(best) else None
    best_cover = int(best["gaps_covered"].iloc[0]) if len(best) else 0
    return {
        "gaps": gaps, "covered": covered, "uncovered": gaps - covered, "max_hours": float(s["max_hours"]),
        "coverage_share": covered / gaps if gaps else None,
        "best_site": best_park, "best_site_cover": best_cover,
        "share_with_best": (covered + best_cover) / gaps if gaps else None,
        "fingerprint": s["fingerprint"]["digest"],
    }


def _has_firms() -> bool:
    from parklink.web.park_analyses import firm_dataset

    return firm_dataset().firms_path.is_file()


#: Columns of the gap rows the job keeps (the platforms page shows them per park).
GAP_COLUMNS = ("park_id", "chain", "segment_id", "name_zh", "name_en", "gap_type", "covered", "platform_id",
               "hours", "action")


def _gap_records(run: CocoRun) -> list[dict[str, Any]]:
    g = run.to_frame()
    g = g[[c for c in GAP_COLUMNS if c in g.columns]]
    return [{str(k): (None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else
                      (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
            for r in g.astype(object).to_dict("records")]


def dashboard_coverage(request: Request, session: Session) -> dict[str, Any]:
    """The dashboard's platform coverage: ``{"state": "ready", **figures}``, ``computing``
    (with ``job_id``), ``failed`` (with ``error``) or ``no_firms`` (no firm dataset: no chain
    gaps to cover). Never runs the analysis on the request thread."""
    out = _coverage_job(request, session)
    out.pop("gap_rows", None)
    return out


def park_gap_rows(request: Request, session: Session, park_id: str | None) -> dict[str, Any]:
    """The chain gaps of one park (all designated parks when ``park_id`` is None) with their
    platform coverage and action, from the same job as the dashboard: ``{"state": ...,
    "rows": [...]}`` (rows only when ready)."""
    out = _coverage_job(request, session)
    rows = out.pop("gap_rows", None) or []
    return {"state": out["state"], "error": out.get("error"),
            "rows": [r for r in rows if park_id is None or r.get("park_id") == park_id]}


_results: OrderedDict[str, dict[str, Any]] = OrderedDict()
_results_lock = threading.Lock()


def _result(sessions: Any, job_id: str) -> dict[str, Any]:
    """A finished job's result, parsed once per process (a done job never changes)."""
    with _results_lock:
        hit = _results.get(job_id)
    if hit is None:
        hit = jobs.result(sessions, job_id)
        with _results_lock:
            _results[job_id] = hit
            while len(_results) > 4:
                _results.popitem(last=False)
    return dict(hit)


def _coverage_job(request: Request, session: Session) -> dict[str, Any]:
    from parklink.web.deps import web_state
    from parklink.web.park_analyses import firm_dataset
    from parklink.web.park_precompute import wait_seconds

    if not _has_firms():
        return {"state": "no_firms"}
    sessions = web_state(request).sessions
    cfg = PlatformGapConfig()

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        ctx.progress(0.05, "计算平台对产业链缺口的覆盖", "platform coverage of the chain gaps")
        run = platform_gap_run(ctx.session, cfg)
        return {**coverage_figures(run), "gap_rows": _gap_records(run)}

    try:
        info = jobs.submit(sessions, KIND, {"config": cfg.hash(), "format": 2}, compute, owner=OWNER, public=True,
                           firm_version=firm_dataset().version(), per_owner=2)
        # wait only until wait_seconds() after the job's submission: no request waits long
        created = info.created_at if info.created_at.tzinfo else info.created_at.replace(tzinfo=dt.UTC)
        deadline = time.monotonic() + wait_seconds() - (dt.datetime.now(dt.UTC) - created).total_seconds()
        while info.status in jobs.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.1)
            info = jobs.get(sessions, info.job_id) or info
        if info.status == "done":
            return {"state": "ready", **_result(sessions, info.job_id)}
        if info.status == "failed":
            return {"state": "failed", "error": info.error}
        return {"state": "computing", "job_id": info.job_id}
    except jobs.QueueFullError as exc:
        return {"state": "computing", "error": str(exc)}
    except ParklinkError as exc:
        return {"state": "failed", "error": str(exc)}
