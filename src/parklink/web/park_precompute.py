"""The park page's whole-programme analyses, computed off the request path.

The park page shows one park's evaluation (score, rank, explain rows) and accessibility,
but both come from analyses of *every* park (:func:`parklink.web.park_analyses.park_evaluation`,
:func:`~parklink.web.park_analyses.park_accessibility`: the default configuration, the one
input path, the numbers of ``parklink evaluate`` / ``parklink plan``). At 10,000 parks
they take minutes, so a page never computes them:

* :func:`lookup` answers from an in-process table keyed by (database, analysis version,
  firm-dataset version) — a dictionary look-up once ready. The analysis version
  (:func:`analysis_version`) is that of the data domains the analyses read
  (:data:`ANALYSIS_DOMAINS`: the registry and the monitoring indicators; see
  :func:`parklink.store.version.domain_versions`), so a write to promotion, SME or
  co-construction records keeps the table (and its inputs fingerprint: the inputs it was
  computed from), while any registry write computes it again;
* on a miss it submits one background job of kind :data:`KIND` to a job runner of its own
  (:class:`parklink.web.jobs.JobRunner`, one thread, so user analyses are not queued
  behind it; from :data:`SUBPROCESS_FROM` parks the work itself runs in a child process,
  so it never holds the web worker's GIL). The job's cache key is the data version and firm version, so every worker
  process shares one computation and its stored result (``analysis_job`` row, or a file
  under ``DATA_DIR/jobs`` when large); a worker that did not compute it loads the compact
  result (:func:`table_to_json` / :func:`table_from_json`) once per version;
* while the job runs, the page says "计算中… / computing…" with the job's progress and
  polls the public job status; a request waits for the result only until
  :data:`DEFAULT_WAIT_S` after the job was *submitted* (``PARKLINK_WEB_ANALYSIS_WAIT_S``),
  so a small registry shows its figures on the first view and no request ever waits for a
  long computation;
* :func:`precompute` starts the job without a request (application start-up when
  ``PARKLINK_WEB_PRECOMPUTE=1``, and after a page write).

The stored table is columnar (one array per figure, one entry per park), and
:meth:`ParkTable.evaluation_view` / :meth:`ParkTable.access_view` rebuild exactly the
dictionaries of :func:`~parklink.web.park_analyses.evaluation_view` and
:func:`~parklink.web.park_analyses.accessibility_view` (``tests/web/test_web_park_precompute.py``
checks equality park by park).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from parklink.configs import EvaluationConfig
from parklink.errors import ParklinkError
from parklink.firmdata import FirmDataset
from parklink.logistics.access import HUB_KINDS, POLAR_CORES
from parklink.store import models as m
from parklink.vocab import METHOD_NAMES
from parklink.web import jobs
from parklink.web.cache import Flights, current_versions

log = logging.getLogger("parklink.web.park_precompute")

KIND = "park_analyses"
OWNER = "system:park-analyses"
FORMAT = 1
DEFAULT_WAIT_S = 3.0
"""How long after a job's submission a page may still wait for it (seconds)."""
_MAX_TABLES = 4
SUBPROCESS_FROM = 1000
"""Registries with at least this many parks are computed in a child process."""
NICE = 10
"""The child process's niceness increment (it yields the CPU to the web workers)."""
ANALYSIS_DOMAINS = ("registry", "monitoring")
"""The data domains the park evaluation and accessibility read (parks, regions, zones,
designations, transport, enterprises; indicator values)."""
_EVAL_FIELDS = ("score", "rank", "rank_min", "rank_max", "rank_p05", "rank_p95", "p_top")
_MATRICES = ("value", "normalised", "weighted")


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _text(v: Any) -> Any:
    return None if isinstance(v, float) and v != v else v


def analysis_version(session: Session) -> int:
    """The version of the park analyses' inputs: the newest of the versions of
    :data:`ANALYSIS_DOMAINS` (each is the global data version of that domain's last write,
    so the newest changes exactly when one of them is written)."""
    return max(current_versions(session, ANALYSIS_DOMAINS))


# --------------------------------------------------------------------------- compact table

def evaluation_json(run: Any) -> dict[str, Any]:
    """The evaluation of every park in columnar form (one list entry per park).

    Per park: score, rank, rank range, robustness interval and P(top k); per criterion and
    park: raw, normalised and weighted value; per criterion: weight, ideal and anti-ideal;
    per distance column and park: the method's distances — the content of
    :func:`parklink.web.park_analyses.evaluation_view` for all parks at once.
    """
    ev = run.evaluation
    frame = ev.to_frame()
    frame = frame.assign(alternative=frame["alternative"].astype(str)).drop_duplicates("alternative")
    explain = ev.explain()
    method = ev.result.method
    crit = explain["criteria"].set_index("key")
    values = explain["values"]
    norm = explain.get(f"{method}_normalised")
    weighted = explain.get(f"{method}_weighted")
    ideal = explain.get(f"{method}_ideal")
    ideal_t = ideal.set_index("criterion") if ideal is not None and "criterion" in ideal else None
    weights = ev.weights.as_dict()
    parks = frame["alternative"].tolist()
    k_top = ev.robustness.monte_carlo.top_k
    criteria = []
    for k in crit.index:
        c = crit.loc[k]
        criteria.append({
            "key": k, "name_zh": c["name_zh"], "name_en": c["name_en"], "group": c["group"],
            "direction": c["direction"], "unit": c["unit"], "formula": _text(c.get("formula")),
            "weight": _finite(weights.get(k)),
            "ideal": _finite(ideal_t.at[k, "ideal"]) if ideal_t is not None and k in ideal_t.index else None,
            "anti_ideal": _finite(ideal_t.at[k, "anti_ideal"]) if ideal_t is not None and k in ideal_t.index
            else None,
        })

    def matrix(table: Any) -> list[list[float | None]]:
        cols: list[list[float | None]] = []
        for k in crit.index:
            if table is None or k not in table.columns:
                cols.append([None] * len(parks))
                continue
            col = table[k]
            col = col[~col.index.duplicated()]
            cols.append([_finite(v) for v in col.reindex(parks).tolist()])
        return cols

    dist = explain.get(f"{method}_distances")
    distances: dict[str, list[float | None]] = {}
    has_distance = [False] * len(parks)
    if dist is not None and "alternative" in dist:
        d = dist.assign(alternative=dist["alternative"].astype(str)).drop_duplicates("alternative")
        d = d.set_index("alternative")
        present = set(d.index)
        has_distance = [p in present for p in parks]
        d = d.reindex(parks)
        distances = {str(c): [_finite(v) for v in d[c].tolist()] for c in d.columns}
    zh, en = METHOD_NAMES.get(method, (method, method))
    per_park = {
        "score": [float(v) for v in frame["score"]], "rank": [int(v) for v in frame["rank"]],
        "rank_min": [int(v) for v in frame["rank_min"]], "rank_max": [int(v) for v in frame["rank_max"]],
        "rank_p05": [_finite(v) for v in frame["rank_p05"]], "rank_p95": [_finite(v) for v in frame["rank_p95"]],
        "p_top": [_finite(v) for v in frame[f"p_top_{k_top}"]],
    }
    return {
        "parks": parks, **per_park, "n": len(ev.to_frame()), "top_k": k_top,
        "draws": ev.robustness.monte_carlo.draws, "method": method, "method_zh": zh, "method_en": en,
        "weighting": ev.weights.method, "higher_is_better": bool(ev.result.higher_is_better),
        "criteria": criteria, **{name: matrix(t) for name, t in zip(_MATRICES, (values, norm, weighted),
                                                                   strict=True)},
        "distances": distances, "has_distance": has_distance, "notes": list(ev.notes),
        "synthetic": bool(ev.synthetic), "fingerprint": run.fingerprint.digest, "travel_time": run.config.travel_time,
    }


def access_json(acc: Any) -> dict[str, Any]:
    """The accessibility of every park in columnar form: hours to each polar core and to the
    nearest hub of each kind (``None`` = unreachable), the hub's id and names."""
    t = acc.result.table
    t = t.assign(park_id=t["park_id"].astype(str)).drop_duplicates("park_id")
    cores = {k: [_finite(v) for v in t[f"time_core_{k}_h"]] for k in POLAR_CORES if f"time_core_{k}_h" in t.columns}
    hubs: dict[str, dict[str, list[Any]]] = {}
    used: set[str] = set()
    for k in HUB_KINDS:
        if f"time_{k}_h" not in t.columns:
            continue
        nodes = [None if v is None or (isinstance(v, float) and v != v) else str(v)
                 for v in (t[f"nearest_{k}"].tolist() if f"nearest_{k}" in t.columns else [None] * len(t))]
        used.update(n for n in nodes if n)
        hubs[k] = {"time": [_finite(v) for v in t[f"time_{k}_h"]], "node": nodes}
    names = {n: list(acc.node_names[n]) for n in sorted(used) if n in acc.node_names}
    return {"parks": t["park_id"].tolist(), "cores": cores, "hubs": hubs, "node_names": names,
            "cargo": acc.result.cargo}


@dataclass(frozen=True)
class ParkTable:
    """The park page's analyses of one data version, for every park."""

    evaluation: dict[str, Any] | None
    evaluation_error: str | None
    access: dict[str, Any] | None
    access_error: str | None
    fingerprint: str | None

    def __post_init__(self) -> None:
        index = {p: i for i, p in enumerate(self.evaluation["parks"])} if self.evaluation else {}
        a_index = {p: i for i, p in enumerate(self.access["parks"])} if self.access else {}
        object.__setattr__(self, "_eval_index", index)
        object.__setattr__(self, "_access_index", a_index)

    def evaluation_view(self, park_id: str) -> dict[str, Any] | None:
        """What :func:`parklink.web.park_analyses.evaluation_view` gives for ``park_id``."""
        e = self.evaluation
        i = self._eval_index.get(park_id)  # type: ignore[attr-defined]
        if e is None or i is None:
            return None
        rows = []
        for j, c in enumerate(e["criteria"]):
            rows.append({
                "key": c["key"], "name_zh": c["name_zh"], "name_en": c["name_en"], "group": c["group"],
                "direction": c["direction"], "unit": c["unit"], "formula": c["formula"],
                "value": e["value"][j][i], "normalised": e["normalised"][j][i], "weight": c["weight"],
                "weighted": e["weighted"][j][i], "ideal": c["ideal"], "anti_ideal": c["anti_ideal"],
            })
        distances = {c: v[i] for c, v in e["distances"].items()} if e["has_distance"][i] else {}
        return {
            **{f: e[f][i] for f in _EVAL_FIELDS[:2]}, "n": e["n"],
            **{f: e[f][i] for f in _EVAL_FIELDS[2:]}, "top_k": e["top_k"], "draws": e["draws"],
            "method": e["method"], "method_zh": e["method_zh"], "method_en": e["method_en"],
            "weighting": e["weighting"], "higher_is_better": e["higher_is_better"], "criteria": rows,
            "distances": distances, "notes": list(e["notes"]), "synthetic": e["synthetic"],
            "fingerprint": e["fingerprint"], "travel_time": e["travel_time"],
        }

    def access_view(self, park_id: str) -> dict[str, Any] | None:
        """What :func:`parklink.web.park_analyses.accessibility_view` gives for ``park_id``."""
        a = self.access
        i = self._access_index.get(park_id)  # type: ignore[attr-defined]
        if a is None or i is None:
            return None
        cores = [{"key": k, "name_zh": zh, "name_en": en, "time_h": a["cores"][k][i]}
                 for k, (zh, en, _lon, _lat) in POLAR_CORES.items() if k in a["cores"]]
        hubs = []
        for k, (zh, en) in HUB_KINDS.items():
            if k not in a["hubs"]:
                continue
            node = a["hubs"][k]["node"][i]
            hub_zh, hub_en = a["node_names"].get(node or "", (None, None))
            hubs.append({"kind": k, "name_zh": zh, "name_en": en, "hub_id": node, "hub_zh": hub_zh,
                         "hub_en": hub_en, "time_h": a["hubs"][k]["time"][i]})
        return {"cores": cores, "hubs": hubs, "cargo": a["cargo"]}


def compute_table(session: Session) -> dict[str, Any]:
    """Evaluate and compute the accessibility of every park (the park page's analyses) on
    the session's inputs bundle; the JSON document of a :class:`ParkTable`."""
    from parklink.web import park_analyses as pa

    doc: dict[str, Any] = {"format": FORMAT, "evaluation": None, "evaluation_error": None, "access": None,
                           "access_error": None, "fingerprint": None}
    try:
        ev = pa.park_evaluation(session)
        if ev is not None:
            doc["evaluation"] = evaluation_json(ev)
            doc["fingerprint"] = ev.fingerprint.digest
    except (ParklinkError, ValueError) as exc:
        doc["evaluation_error"] = str(exc)
    try:
        acc = pa.park_accessibility(session)
        doc["access"] = None if acc is None else access_json(acc)
    except (ParklinkError, ValueError) as exc:
        doc["access_error"] = str(exc)
    return doc


def _compute_in_child(url: str) -> tuple[int, dict[str, Any]]:
    """:func:`compute_table` in a child process: (data version read, document)."""
    from parklink.store.db import get_engine, session_scope

    with contextlib.suppress(OSError):  # background work: the web workers' requests go first
        os.nice(NICE)
    try:
        with session_scope(url) as session:
            return analysis_version(session), compute_table(session)
    finally:
        get_engine(url).dispose()


def table_from_json(doc: dict[str, Any]) -> ParkTable:
    """The :class:`ParkTable` of a document of :func:`compute_table`."""
    ev = doc.get("evaluation")
    acc = doc.get("access")
    if acc is not None:  # JSON has no tuples: names as (zh, en) pairs again
        acc = {**acc, "node_names": {k: tuple(v) for k, v in acc["node_names"].items()}}
    return ParkTable(ev, doc.get("evaluation_error"), acc, doc.get("access_error"), doc.get("fingerprint"))


# --------------------------------------------------------------------------- state

_tables: OrderedDict[tuple[str, int, str], ParkTable] = OrderedDict()
_done: dict[tuple[str, int, str], threading.Event] = {}
_lock = threading.Lock()
_runners: dict[int, jobs.JobRunner] = {}
_computing: dict[tuple[str, int, str], tuple[float, Lookup]] = {}
_flights = Flights()
RECHECK_S = 1.0
"""While computing, the job's state is re-read at most this often per process (seconds)."""


def clear() -> None:
    """Forget every in-process table (tests; a restart does the same)."""
    with _lock:
        _tables.clear()
        _done.clear()
        _computing.clear()


def _store(key: tuple[str, int, str], table: ParkTable) -> None:
    with _lock:
        _tables[key] = table
        _tables.move_to_end(key)
        while len(_tables) > _MAX_TABLES:
            _tables.popitem(last=False)
        event = _done.pop(key, None)
    if event is not None:
        event.set()


def _runner(sessions: sessionmaker[Session]) -> jobs.JobRunner:
    """The job runner of the precomputation (its own thread; created on first use)."""
    with _lock:
        runner = _runners.get(id(sessions))
        if runner is None:
            from parklink.settings import get_settings

            runner = jobs.JobRunner(sessions, get_settings().data_dir, threads=1, max_pending=4, per_owner=4,
                                    version_of=analysis_version)
            _runners[id(sessions)] = runner
        return runner


def wait_seconds() -> float:
    """``PARKLINK_WEB_ANALYSIS_WAIT_S`` (default :data:`DEFAULT_WAIT_S`; 0 = never wait)."""
    try:
        return max(0.0, float(os.environ.get("PARKLINK_WEB_ANALYSIS_WAIT_S", DEFAULT_WAIT_S)))
    except ValueError:
        return DEFAULT_WAIT_S


@dataclass(frozen=True)
class Lookup:
    """The answer of :func:`lookup`: a ready table, or the state of its computation."""

    state: str  # "ready" | "computing" | "failed"
    table: ParkTable | None = None
    job_id: str | None = None
    progress: float = 0.0
    error: str | None = None


def _key(sessions: sessionmaker[Session], session: Session) -> tuple[tuple[str, int, str], str]:
    firm_version = FirmDataset.default().version()
    db = str(session.get_bind().engine.url)
    return (db, analysis_version(session), firm_version), firm_version


def _params() -> dict[str, Any]:
    # the analysis code's configuration is part of the key: a new default never reuses old rows
    # the job's data_version column holds the analysis version (of ANALYSIS_DOMAINS)
    return {"format": FORMAT, "config": EvaluationConfig().hash(), "domains": "+".join(ANALYSIS_DOMAINS)}


def _submit(sessions: sessionmaker[Session], key: tuple[str, int, str], firm_version: str) -> jobs.JobInfo:
    with _lock:
        _done.setdefault(key, threading.Event())

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        ctx.progress(0.05, "计算园区评价与可达性", "evaluating every park and its accessibility")
        n_parks = int(ctx.session.scalar(select(func.count()).select_from(m.Park)) or 0)
        version = ctx.data_version
        if n_parks >= SUBPROCESS_FROM:
            # a large programme is computed in a child process: its pure-Python loops would
            # otherwise hold this web worker's GIL for minutes and slow every request it serves
            url = ctx.session.get_bind().engine.url.render_as_string(hide_password=False)
            ctx.session.rollback()
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                version, doc = pool.submit(_compute_in_child, url).result()
        else:
            doc = compute_table(ctx.session)
        _store((key[0], version, key[2]), table_from_json(doc))
        return doc

    runner = _runner(sessions)
    # one submission at a time across the worker processes of this host: two workers asked
    # at the same moment (e.g. both at start-up) would otherwise both find no job and both
    # start one; the second now finds the first's row
    runner.results_dir.mkdir(parents=True, exist_ok=True)
    with open(runner.results_dir / "park_analyses.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            return runner.submit(KIND, _params(), compute, owner=OWNER, public=True,
                                 firm_version=firm_version, per_owner=4)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def precompute(sessions: sessionmaker[Session]) -> Lookup:
    """Start (or find) the computation of the current version's table without waiting."""
    with sessions() as session:
        return lookup(sessions, session, wait_s=0.0)


def load_stored(sessions: sessionmaker[Session], session: Session) -> bool:
    """Load the current version's table into this process when a finished job has stored
    it (a server process's start-up: :mod:`parklink.web.warmup`); True when it is ready
    here. Never starts a computation."""
    key, firm_version = _key(sessions, session)
    known = _known(key)
    if known is not None:
        return known.state == "ready"
    info = _runner(sessions).find(KIND, _params(), owner=OWNER, public=True, firm_version=firm_version)
    if info is None or info.status != "done":
        return False
    return lookup(sessions, session, wait_s=0.0).state == "ready"


def lookup(sessions: sessionmaker[Session], session: Session, *, wait_s: float | None = None) -> Lookup:
    """The park table of the data the session sees, or the state of its computation.

    Ready in this process: a dictionary look-up. Otherwise the shared job is found or
    submitted; a finished job's stored result is loaded (once per version and process:
    concurrent misses of one key wait for the first one's look-up instead of repeating it);
    an unfinished one is waited for only until ``wait_s`` (default :func:`wait_seconds`)
    after its submission.
    """
    key, firm_version = _key(sessions, session)
    known = _known(key)
    if known is not None:
        return known
    # single flight: one job look-up (and load of the stored result) per key and process at a
    # time. A cold worker takes many park-page requests at once; each loading the stored
    # table itself (about 40 ms of CPU each, all holding the GIL by turns) stalled every
    # request of the process for up to a second under load.
    with _flights.hold(key):
        known = _known(key)
        if known is not None:
            return known
        found = _lookup_job(sessions, session, key, firm_version, wait_s)
        with _lock:
            if found.state == "computing":
                _computing[key] = (time.monotonic(), found)
            else:
                _computing.pop(key, None)
        return found


def _known(key: tuple[str, int, str]) -> Lookup | None:
    """The answer this process already has for ``key``: its table, or a "computing" state
    read less than :data:`RECHECK_S` ago (no job-table round trips per view); else None."""
    with _lock:
        table = _tables.get(key)
        seen = _computing.get(key)
    if table is not None:
        return Lookup("ready", table)
    if seen is not None and time.monotonic() - seen[0] < RECHECK_S:
        return seen[1]
    return None


def _lookup_job(sessions: sessionmaker[Session], session: Session, key: tuple[str, int, str], firm_version: str,
                wait_s: float | None) -> Lookup:
    try:
        info = _submit(sessions, key, firm_version)
    except jobs.QueueFullError as exc:
        return Lookup("computing", error=str(exc))
    if info.status == "done":
        try:
            table = table_from_json(_runner(sessions).result(info.job_id))
        except ParklinkError as exc:  # e.g. its result file was removed: compute again
            log.warning("park analyses %s unreadable (%s): computing them again", info.job_id, exc)
            _runner(sessions)._update(info.job_id, status="failed", result_json=None, result_path=None,
                                      error=f"result unreadable: {exc}")
            if wait_s == -1.0:
                return Lookup("failed", job_id=info.job_id, error=str(exc))
            return _lookup_job(sessions, session, key, firm_version, -1.0)
        _store(key, table)
        return Lookup("ready", table)
    if info.status == "failed":
        return Lookup("failed", job_id=info.job_id, error=info.error)
    wait = wait_seconds() if wait_s is None else max(0.0, wait_s)
    created = info.created_at if info.created_at.tzinfo else info.created_at.replace(tzinfo=dt.UTC)
    remaining = wait - (dt.datetime.now(dt.UTC) - created).total_seconds()
    if remaining > 0:
        deadline = time.monotonic() + remaining
        with _lock:
            event = _done.get(key)
        if info.worker == jobs.worker_id() and event is not None:  # computed here: woken when stored
            event.wait(remaining)
            with _lock:
                stored = _tables.get(key)
            if stored is not None:
                return Lookup("ready", stored)
        while time.monotonic() < deadline:  # computed by another process: poll its row briefly
            fresh = _runner(sessions).get(info.job_id)
            if fresh is None or fresh.status not in jobs.ACTIVE:
                return _lookup_job(sessions, session, key, firm_version, 0.0)
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    fresh = _runner(sessions).get(info.job_id) or info
    if fresh.status == "done":
        return _lookup_job(sessions, session, key, firm_version, 0.0)
    if fresh.status == "failed":
        return Lookup("failed", job_id=fresh.job_id, error=fresh.error)
    return Lookup("computing", job_id=fresh.job_id, progress=float(fresh.progress))
