"""The database's data version: a counter bumped by every committed write.

Caches of the web layer (responses, analysis results) key on :func:`data_version`, which is
exact across processes: it is one primary-key lookup of the ``meta`` row ``data_version``,
and every transaction that changes a stored table increments that row in the same
transaction, so a reader either sees the old rows and the old version or the new rows and
the new version.

How writes are detected (SQLAlchemy session events, installed on every
:class:`sqlalchemy.orm.Session` when this module is imported, which ``parklink.store.db``
does):

* ``before_flush`` — the unit of work holds new, changed or deleted objects of a data table
  (bookkeeping tables such as users, audit entries and analysis jobs do not count);
* ``do_orm_execute`` — a Core ``insert``/``update``/``delete`` executed through a session
  (bulk loads of ``store.io.write_frame``, backup restore, registry deletes);
* ``before_commit`` — when either happened, the counter is incremented with one
  ``UPDATE meta`` (the row is inserted when missing) just before the commit.

Writes that bypass the ORM session entirely (raw DBAPI connections) are not seen; parklink
makes none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Text, delete, event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from parklink.store import models as m

DATA_VERSION_KEY = "data_version"
#: Tables whose writes do not change the data a cache serves: bookkeeping (users, roles,
#: web sessions, audit trail, analysis jobs, this counter itself).
BOOKKEEPING_TABLES = frozenset({"meta", "role", "app_user", "user_park", "audit_entry", "analysis_job", "job",
                                "web_session"})
_FLAG = "parklink_wrote"
_BUMPING = "parklink_bumping"


def data_version(session: Session) -> int:
    """The current data version (0 before the first recorded write)."""
    value = session.execute(select(m.Meta.value).where(m.Meta.key == DATA_VERSION_KEY)).scalar_one_or_none()
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def bump_data_version(session: Session) -> None:
    """Increment the data version inside the session's current transaction."""
    session.info[_BUMPING] = True
    try:
        done = session.execute(
            update(m.Meta)
            .where(m.Meta.key == DATA_VERSION_KEY)
            .values(value=(m.Meta.value.cast(BigInteger()) + 1).cast(Text()))
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) == 0:
            session.execute(insert(m.Meta).values(key=DATA_VERSION_KEY, value="1"))
    finally:
        session.info.pop(_BUMPING, None)


def keep_data_version(session: Session, value: int) -> None:
    """Set the counter back to ``value`` (the commit then bumps it past it).

    Used by backup restore, which replaces the ``meta`` table: the restored counter could
    repeat a version that already named other data, so the pre-restore value is kept.
    """
    session.info[_BUMPING] = True
    try:
        session.execute(delete(m.Meta).where(m.Meta.key == DATA_VERSION_KEY))
        session.execute(insert(m.Meta).values(key=DATA_VERSION_KEY, value=str(int(value))))
    finally:
        session.info.pop(_BUMPING, None)


def _table_name(obj: Any) -> str:
    table = getattr(type(obj), "__table__", None)
    return str(getattr(table, "name", ""))


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(_table_name(obj) not in BOOKKEEPING_TABLES for obj in changed):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_execute(state: ORMExecuteState) -> None:
    if state.session.info.get(_BUMPING):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if str(getattr(table, "name", "")) not in BOOKKEEPING_TABLES:
            state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer commit bumps once
        return
    session.flush()  # commit flushes after this hook; flush first so pending changes are seen
    if session.info.get(_FLAG):
        session.info.pop(_FLAG, None)
        bump_data_version(session)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


def has_pending_write(session: Session) -> bool:
    """True when ``session``'s transaction has written a data table that is not committed yet
    (its data version is still the old one: caches keyed by it must not be used)."""
    return bool(session.info.get(_FLAG))
