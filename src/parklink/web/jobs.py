"""Background analysis jobs of the web app, shared by every worker process through the database.

A long analysis (evaluation, designation, chain diagnosis, route) runs in a thread pool of
the process that received the request; its state lives in the ``analysis_job`` table, so
any worker process (``uvicorn --workers N``) can answer the status and result polls:

* :func:`submit` stores a job (``queued``) and hands its compute function to the pool, or
  answers an existing one: a finished job with the same *cache key* — kind, canonical
  parameter hash, :func:`parklink.store.version.data_version` and, for firm-data analyses,
  :meth:`parklink.firmdata.FirmDataset.version` — is reused instead of recomputed, and an
  identical job still queued or running is shared;
* :func:`get` reads a job's status, progress (0–1) and bilingual message; a job left
  ``queued``/``running`` by a process that died (heartbeat older than
  :data:`STALE_AFTER_S`, or the worker's process id is gone) is marked ``failed`` there;
* :func:`result` reads a finished job's result (JSON text in the row, or a file under
  ``DATA_DIR/jobs/`` when larger than :data:`INLINE_RESULT_MAX` bytes).

The queue is bounded: at most ``max_pending`` jobs queued or running per process
(:class:`QueueFullError`, HTTP 503) and ``per_owner`` per owner across processes
(:class:`TooManyJobsError`, HTTP 429). Progress is written to the database at most every
:data:`PROGRESS_EVERY_S` seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from parklink.errors import NotFoundError, ParklinkError, ValidationError
from parklink.store import models as m
from parklink.store.version import data_version

log = logging.getLogger("parklink.web.jobs")

STALE_AFTER_S = 180.0
"""A queued/running job whose heartbeat is older than this is taken as orphaned (seconds)."""
HEARTBEAT_S = 10.0
"""How often a process refreshes the heartbeat of its jobs in flight (seconds)."""
PROGRESS_EVERY_S = 0.5
"""Minimum interval between two progress writes of one job (seconds)."""
INLINE_RESULT_MAX = 256 * 1024
"""Results larger than this (bytes of JSON) go to a file under ``DATA_DIR/jobs/``."""
KEEP_FINISHED_S = 7 * 86400.0
"""Finished jobs (and their result files) older than this are deleted (seconds)."""
ACTIVE = ("queued", "running")


def worker_id() -> str:
    """``host:pid`` of this process (computed per call: forked workers differ)."""
    return f"{socket.gethostname()}:{os.getpid()}"


_INFLIGHT: set[str] = set()  # job ids queued or running in this process (every runner)
_INFLIGHT_LOCK = threading.Lock()


class QueueFullError(ParklinkError):
    """The process's job queue is full (HTTP 503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyJobsError(QueueFullError):
    """The caller already has the maximum number of jobs queued or running (HTTP 429)."""


class JobNotReadyError(ParklinkError):
    """The job has no result yet (queued, running) or failed (HTTP 409)."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class JobInfo:
    """The state of one job as stored (plus ``cached``: answered from the result cache)."""

    job_id: str
    kind: str
    status: str
    progress: float
    message: str | None
    owner: str
    public: bool
    params: dict[str, Any]
    data_version: int
    firm_version: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    cached: bool = False
    worker: str | None = None  # host:pid of the process running it (not shown in the API)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (timestamps in ISO 8601, UTC)."""
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else _utc(t).isoformat(timespec="seconds")

        return {
            "job_id": self.job_id, "kind": self.kind, "status": self.status,
            "progress": round(float(self.progress), 4), "message": self.message, "public": self.public,
            "params": self.params, "data_version": self.data_version, "firm_version": self.firm_version,
            "created_at": iso(self.created_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at), "error": self.error, "cached": self.cached,
        }


@dataclass
class JobContext:
    """What a compute function gets: a read session, the data version it runs on, progress."""

    session: Session
    data_version: int
    firm_version: str | None
    report: Callable[[float, str], None] = field(repr=False)

    def progress(self, fraction: float, zh: str, en: str) -> None:
        """Report progress ``fraction`` (0–1) with a bilingual message (throttled writes)."""
        self.report(min(max(float(fraction), 0.0), 1.0), f"{zh} {en}")


Compute = Callable[[JobContext], dict[str, Any]]
"""A job's work: reads through ``ctx.session``, returns a JSON-serialisable dict."""


def params_hash(kind: str, params: Mapping[str, Any]) -> str:
    """SHA-256 of the kind and the canonical JSON of ``params`` (sorted keys, no spaces)."""
    text = json.dumps({"kind": kind, "params": params}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _info(row: m.AnalysisJob, *, cached: bool = False) -> JobInfo:
    try:
        params = json.loads(row.params_json)
    except ValueError:
        params = {}
    return JobInfo(
        job_id=row.job_id, kind=row.kind, status=row.status, progress=float(row.progress or 0.0),
        message=row.message, owner=row.owner, public=bool(row.public), params=params,
        data_version=int(row.data_version), firm_version=row.firm_version, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, error=row.error, cached=cached,
        worker=row.worker,
    )


def _pid_gone(worker: str | None) -> bool:
    """True when ``worker`` (host:pid) ran on this host and that process no longer exists."""
    if not worker:
        return False
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process: decided by the in-flight set
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _orphaned(row: m.AnalysisJob, now: dt.datetime) -> bool:
    if row.status not in ACTIVE:
        return False
    if row.worker == worker_id():
        with _INFLIGHT_LOCK:
            return row.job_id not in _INFLIGHT
    beat = _utc(row.heartbeat_at or row.started_at or row.created_at)
    return (now - beat).total_seconds() > STALE_AFTER_S or _pid_gone(row.worker)


class JobRunner:
    """Runs jobs of one database (session factory) in this process's thread pool."""

    def __init__(self, sessions: sessionmaker[Session], data_dir: Path, *, threads: int = 1,
                 max_pending: int = 8, per_owner: int = 3,
                 version_of: Callable[[Session], int] = data_version) -> None:
        # version_of: the data version a job's cache key carries (default: the global one;
        # a runner whose analyses read only some data domains passes their version)
        self.sessions = sessions
        self.version_of = version_of
        self.results_dir = data_dir / "jobs"
        self.max_pending = max_pending
        self.per_owner = per_owner
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="parklink-job")
        self._mine: set[str] = set()
        self._lock = threading.Lock()
        self._beat: threading.Thread | None = None
        self._last_prune = 0.0

    # ------------------------------------------------------------------ public
    def submit(self, kind: str, params: Mapping[str, Any], compute: Compute, *, owner: str,
               public: bool, firm_version: str | None = None, see_all: bool = False,
               per_owner: int | None = None) -> JobInfo:
        """Queue ``compute`` as a job of ``kind`` with ``params``, or answer a cached/in-flight one.

        A finished job with the same cache key that the caller may see (``public``, or
        owned by ``owner``, or any with ``see_all``) is returned with ``cached=True`` (also
        a job that failed on a user error such as an unknown place: it would fail again); an
        identical job queued or running is returned as is. Raises :class:`TooManyJobsError`
        when ``owner`` has ``per_owner`` jobs in flight and :class:`QueueFullError` when this
        process has ``max_pending``.
        """
        digest = params_hash(kind, params)
        with self.sessions() as session:
            version = self.version_of(session)
            now = _now()
            found = self._reusable(session, kind, digest, version, firm_version, owner=owner, public=public,
                                   see_all=see_all, now=now)
            if found is not None:
                return found
            limit = self.per_owner if per_owner is None else per_owner
            mine = session.scalar(select(func.count()).select_from(m.AnalysisJob).where(
                m.AnalysisJob.owner == owner, m.AnalysisJob.status.in_(ACTIVE),
                m.AnalysisJob.heartbeat_at >= now - dt.timedelta(seconds=STALE_AFTER_S)))
            if int(mine or 0) >= limit:
                raise TooManyJobsError(f"too many analyses in progress for {owner} (at most {limit}); "
                                  "wait for one to finish (分析任务过多，请稍后再试)", retry_after=10)
            with self._lock:
                if len(self._mine) >= self.max_pending:
                    raise QueueFullError(f"the analysis queue is full ({self.max_pending} jobs); try again "
                                    "in a minute (分析队列已满，请稍后再试)", retry_after=30)
                job_id = uuid.uuid4().hex
                self._mine.add(job_id)
            with _INFLIGHT_LOCK:
                _INFLIGHT.add(job_id)
            row = m.AnalysisJob(
                job_id=job_id, kind=kind, params_hash=digest,
                params_json=json.dumps(params, sort_keys=True, ensure_ascii=False, default=str),
                data_version=version, firm_version=firm_version, status="queued", progress=0.0,
                message="排队中 queued", owner=owner, public=public, worker=worker_id(), created_at=now,
                heartbeat_at=now,
            )
            session.add(row)
            try:
                session.commit()
            except BaseException:
                self._forget(job_id)
                raise
            info = _info(row)
        self._start_heartbeat()
        self._pool.submit(self._run, job_id, compute, firm_version)
        self._maybe_prune()
        return info

    def find(self, kind: str, params: Mapping[str, Any], *, owner: str, public: bool,
             firm_version: str | None = None, see_all: bool = False) -> JobInfo | None:
        """The job :meth:`submit` would answer with instead of queueing a new one (a finished
        one with ``cached=True``, or an identical one queued or running), or None; never
        queues anything."""
        with self.sessions() as session:
            return self._reusable(session, kind, params_hash(kind, params), self.version_of(session), firm_version,
                                  owner=owner, public=public, see_all=see_all, now=_now())

    @staticmethod
    def _reusable(session: Session, kind: str, digest: str, version: int, firm_version: str | None, *, owner: str,
                  public: bool, see_all: bool, now: dt.datetime) -> JobInfo | None:
        stmt = (select(m.AnalysisJob)
                .where(m.AnalysisJob.params_hash == digest, m.AnalysisJob.kind == kind,
                       m.AnalysisJob.data_version == version)
                .order_by(m.AnalysisJob.created_at.desc()))
        stmt = stmt.where(m.AnalysisJob.firm_version.is_(None) if firm_version is None
                          else m.AnalysisJob.firm_version == firm_version)
        for row in session.scalars(stmt.limit(20)):
            if not (see_all or row.public or row.owner == owner):
                continue
            if row.status == "done" or (row.status == "failed" and row.result_json is not None):
                return _info(row, cached=True)  # a result, or a user error that would recur
            if row.status in ACTIVE and not _orphaned(row, now):
                return _info(row)
        return None

    def get(self, job_id: str) -> JobInfo | None:
        """The job ``job_id`` (an orphaned one is marked failed first); None when unknown.

        The orphan verdict is written with a guarded ``UPDATE ... WHERE status IN
        ('queued', 'running')``: a job that finished between our read and our verdict keeps
        its real outcome (the worker commits its final state before leaving the in-flight set).
        """
        with self.sessions() as session:
            row = session.get(m.AnalysisJob, job_id)
            if row is None:
                return None
            if _orphaned(row, _now()):
                session.rollback()
                session.execute(
                    update(m.AnalysisJob)
                    .where(m.AnalysisJob.job_id == job_id, m.AnalysisJob.status.in_(ACTIVE))
                    .values(status="failed", finished_at=_now(), message="失败 failed",
                            error="the worker process stopped before finishing (执行该任务的进程已停止); "
                                  "submit again"))
                session.commit()
                session.expire_all()
                row = session.get(m.AnalysisJob, job_id)
                if row is None:
                    return None
            return _info(row)

    def result(self, job_id: str) -> dict[str, Any]:
        """The result of the finished job ``job_id``.

        Raises NotFoundError for an unknown job and :class:`JobNotReadyError` when it is not
        ``done``.
        """
        info = self.get(job_id)
        if info is None:
            raise NotFoundError(f"job {job_id!r} not found (任务不存在)")
        if info.status != "done":
            raise JobNotReadyError(f"job {job_id} is {info.status}" + (f": {info.error}" if info.error else ""),
                              info.status)
        with self.sessions() as session:
            row = session.get(m.AnalysisJob, job_id)
            if row is None:
                raise NotFoundError(f"job {job_id!r} not found (任务不存在)")
            text, path = row.result_json, row.result_path
        if text is None and path:
            try:
                text = (self.results_dir / path).read_text(encoding="utf-8")
            except OSError:
                raise NotFoundError(f"the result file of job {job_id} is gone (结果文件已删除); "
                                    "submit the analysis again") from None
        try:  # orjson: ~3.5x faster on the multi-MB park analyses table; same values
            value = orjson.loads(text or "{}")
        except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits: the standard parser
            value = json.loads(text or "{}")
        return value if isinstance(value, dict) else {"value": value}

    # ------------------------------------------------------------------ worker side
    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._mine.discard(job_id)
        with _INFLIGHT_LOCK:
            _INFLIGHT.discard(job_id)

    def _update(self, job_id: str, **values: Any) -> None:
        with self.sessions() as session:
            session.execute(update(m.AnalysisJob).where(m.AnalysisJob.job_id == job_id).values(**values))
            session.commit()

    def _run(self, job_id: str, compute: Compute, firm_version: str | None) -> None:
        last = [0.0]

        def report(fraction: float, message: str) -> None:
            now = time.monotonic()
            if fraction < 1.0 and now - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = now
            try:
                self._update(job_id, progress=fraction, message=message, heartbeat_at=_now())
            except Exception as exc:  # progress is advisory: never fail the job for it
                log.warning("job %s: progress not written: %s", job_id, exc)

        try:
            with self.sessions() as session:
                version = self.version_of(session)  # read first: the inputs are at least this new
                self._update(job_id, status="running", started_at=_now(), heartbeat_at=_now(),
                             data_version=version, message="运行中 running")
                out = compute(JobContext(session, version, firm_version, report))
                session.rollback()  # a job only reads
            text = json.dumps(out, ensure_ascii=False, allow_nan=False, default=str)
            values: dict[str, Any] = {"status": "done", "progress": 1.0, "finished_at": _now(),
                                      "message": "完成 done", "heartbeat_at": _now()}
            if len(text.encode("utf-8")) > INLINE_RESULT_MAX:
                self.results_dir.mkdir(parents=True, exist_ok=True)
                name = f"{job_id}.json"
                tmp = self.results_dir / f"{name}.partial"
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(self.results_dir / name)
                values["result_path"] = name
            else:
                values["result_json"] = text
            self._update(job_id, **values)
        except Exception as exc:
            if isinstance(exc, ParklinkError):
                error = _user_error(exc)
            else:
                log.exception("job %s failed", job_id)
                error = f"internal error (内部错误): {type(exc).__name__}"
            user = isinstance(exc, ParklinkError)  # the same inputs fail the same way: cache it
            try:
                self._update(job_id, status="failed", finished_at=_now(), error=error, message="失败 failed",
                             result_json=json.dumps({"error": error}, ensure_ascii=False) if user else None)
            except Exception:
                log.exception("job %s: failure not recorded", job_id)
        finally:
            self._forget(job_id)

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._beat is not None and self._beat.is_alive():
                return
            self._beat = threading.Thread(target=_heartbeat, args=(weakref.ref(self),), daemon=True,
                                          name="parklink-job-heartbeat")
            self._beat.start()

    def _beat_once(self) -> bool:
        with self._lock:
            ids = list(self._mine)
        if not ids:
            return False
        try:
            with self.sessions() as session:
                session.execute(update(m.AnalysisJob).where(m.AnalysisJob.job_id.in_(ids))
                                .values(heartbeat_at=_now()))
                session.commit()
        except Exception as exc:
            log.warning("job heartbeat not written: %s", exc)
        return True

    def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        cutoff = _now() - dt.timedelta(seconds=KEEP_FINISHED_S)
        try:
            with self.sessions() as session:
                old = select(m.AnalysisJob.job_id, m.AnalysisJob.result_path).where(
                    m.AnalysisJob.status.in_(("done", "failed")), m.AnalysisJob.finished_at < cutoff)
                rows = session.execute(old).all()
                for _job, path in rows:
                    if path:
                        (self.results_dir / path).unlink(missing_ok=True)
                if rows:
                    session.execute(delete(m.AnalysisJob).where(m.AnalysisJob.job_id.in_([r[0] for r in rows])))
                session.commit()
        except Exception as exc:
            log.warning("old jobs not pruned: %s", exc)


def _heartbeat(ref: weakref.ReferenceType[JobRunner]) -> None:
    while True:
        time.sleep(HEARTBEAT_S)
        runner = ref()
        if runner is None or not runner._beat_once():
            return
        del runner


def _user_error(exc: ParklinkError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{p.column or p.file}: {p.reason}" + (f" ({p.value})" if p.value else "")
                         for p in exc.problems) or str(exc)
    return str(exc)


_RUNNERS: weakref.WeakKeyDictionary[sessionmaker[Session], JobRunner] = weakref.WeakKeyDictionary()
_RUNNERS_LOCK = threading.Lock()


def runner_for(sessions: sessionmaker[Session], data_dir: Path | None = None) -> JobRunner:
    """The job runner of ``sessions`` in this process (created on first use).

    Pool size and bounds come from ``PARKLINK_WEB_JOB_THREADS`` (default 1),
    ``PARKLINK_WEB_JOB_QUEUE`` (default 8 per process) and ``PARKLINK_WEB_JOB_PER_USER``
    (default 3 per owner).
    """
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(sessions)
        if runner is None:
            if data_dir is None:
                from parklink.settings import get_settings

                data_dir = get_settings().data_dir
            runner = JobRunner(
                sessions, data_dir,
                threads=_env_int("PARKLINK_WEB_JOB_THREADS", 1),
                max_pending=_env_int("PARKLINK_WEB_JOB_QUEUE", 8),
                per_owner=_env_int("PARKLINK_WEB_JOB_PER_USER", 3),
            )
            _RUNNERS[sessions] = runner
        return runner


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def submit(sessions: sessionmaker[Session], kind: str, params: Mapping[str, Any], compute: Compute, *,
           owner: str, public: bool, firm_version: str | None = None, see_all: bool = False,
           per_owner: int | None = None) -> JobInfo:
    """Queue an analysis job (see :meth:`JobRunner.submit`) on the runner of ``sessions``."""
    return runner_for(sessions).submit(kind, params, compute, owner=owner, public=public,
                                       firm_version=firm_version, see_all=see_all, per_owner=per_owner)


def get(sessions: sessionmaker[Session], job_id: str) -> JobInfo | None:
    """The job ``job_id`` (see :meth:`JobRunner.get`); None when unknown."""
    return runner_for(sessions).get(job_id)


def result(sessions: sessionmaker[Session], job_id: str) -> dict[str, Any]:
    """The result of a finished job (see :meth:`JobRunner.result`)."""
    return runner_for(sessions).result(job_id)


__all__ = [
    "Compute",
    "JobContext",
    "JobInfo",
    "JobNotReadyError",
    "JobRunner",
    "QueueFullError",
    "TooManyJobsError",
    "get",
    "params_hash",
    "result",
    "runner_for",
    "submit",
    "worker_id",
]
