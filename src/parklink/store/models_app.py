"""SQLAlchemy 2 ORM models of the application's own records: users, roles and sessions, the
audit trail and record history, stored scenarios, analysis jobs and database metadata.

Split from :mod:`parklink.store.models` (the registry) to keep modules small; that module
re-exports every name here, so ``from parklink.store import models as m; m.User`` works.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from parklink.store.models import Base, _in

ROLES = ("programme_office", "park_manager", "enterprise", "public")


class Role(Base):
    """A user role: programme office, park manager, enterprise or public."""

    __tablename__ = "role"
    __table_args__ = (CheckConstraint(_in("name", ROLES), name="name"),)

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))


class User(Base):
    """A person who logs in; the password is stored only as an argon2 hash."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(ForeignKey("role.name"))
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprise.enterprise_id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


#: The order of the park list page (``/parks``: province, English name, id): an index walk
#: instead of sorting every park per page (migration 0006).
class WebSession(Base):
    """One login: an API bearer token or a page session (``kind``).

    Every signed token carries its ``sid``; a token is accepted only while its row exists,
    so deleting the row revokes it at once (logout, deactivation, password change).
    Times are Unix seconds (UTC).
    """

    __tablename__ = "web_session"
    __table_args__ = (CheckConstraint("kind IN ('api', 'session')", name="kind"),)

    sid: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    created: Mapped[int] = mapped_column(Integer)
    expires: Mapped[int] = mapped_column(Integer, index=True)


class UserPark(Base):
    """A park a park manager may edit."""

    __tablename__ = "user_park"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    park_id: Mapped[str] = mapped_column(ForeignKey("park.park_id"), primary_key=True)


class AuditEntry(Base):
    """Who changed what, when: one row per write, with before/after as JSON text."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(120))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)


HISTORY_ACTIONS = ("insert", "update", "delete")


class HistoryEntry(Base):
    """One recorded change of a registry record (migration 0004; see ``store/history.py``).

    An update gives one entry per changed field (canonical text of the old and new value);
    an insert or delete gives one entry with ``field`` NULL and the whole canonical row as
    JSON in ``new_value`` / ``old_value``. ``source_url`` and ``confidence`` are those of the
    record after the change (before it, for a delete); ``change_set`` groups the entries of
    one import or one edit; ``row_version`` is the record's version after the change.
    """

    __tablename__ = "history"
    __table_args__ = (CheckConstraint(_in("action", HISTORY_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_set: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(8))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(12))
    row_version: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))
    via: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


Index("ix_history_record", HistoryEntry.kind, HistoryEntry.record_key, HistoryEntry.id)


class Scenario(Base):
    """A named parameter set of an analysis (e.g. a designation scenario), as JSON."""

    __tablename__ = "scenario"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    params_json: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


JOB_STATUSES = ("queued", "running", "done", "failed")


class AnalysisJob(Base):
    """A background analysis run of the web app: parameters, progress and result (JSON).

    Bookkeeping, not registry data (writes do not bump the data version). The result is
    JSON text, or a file under ``DATA_DIR/jobs/`` (``result_path``) when large.
    """

    __tablename__ = "analysis_job"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    params_hash: Mapped[str] = mapped_column(String(64), index=True)
    params_json: Mapped[str] = mapped_column(Text)
    data_version: Mapped[int] = mapped_column(Integer)
    firm_version: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(80))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text)
    result_path: Mapped[str | None] = mapped_column(String(200))


class Meta(Base):
    """Key/value facts about the database (dataset name and version, load time)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
