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

**Domain versions.** Besides the global counter, every data table belongs to one *domain*
(:func:`table_domain`: the store module that defines its model — ``models.py`` is
``registry``, ``models_promotion.py`` is ``promotion``, ``models_sme.py`` ``sme``,
``models_coconstruction.py`` ``coconstruction``, ``models_monitoring.py`` ``monitoring``;
the non-bookkeeping tables of ``models_app.py`` (history, scenarios) are ``app``). The commit
that bumps the global counter to *n* also sets the ``meta`` row ``data_version.<domain>`` of
every domain it wrote to *n* (:func:`domain_versions` reads them; a domain never written
reads 0). A domain's version is therefore the global version of its last write: it changes
exactly when one of its tables changes, never repeats a value (the global counter never does,
restores included), and a cache keyed by the versions of the domains it reads survives
writes to the others — a promotion write leaves the park analyses' cache valid, a park write
does not.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Text, delete, event, insert, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from parklink.store import models as m

DATA_VERSION_KEY = "data_version"
#: Tables whose writes do not change the data a cache serves: bookkeeping (users, roles,
#: web sessions, audit trail, analysis jobs, this counter itself).
BOOKKEEPING_TABLES = frozenset({"meta", "role", "app_user", "user_park", "audit_entry", "analysis_job", "job",
                                "web_session"})
_FLAG = "parklink_wrote"
_DOMAINS = "parklink_domains"
_BUMPING = "parklink_bumping"
#: Prefix of the ``meta`` keys holding the domain versions (``data_version.<domain>``).
DOMAIN_KEY_PREFIX = DATA_VERSION_KEY + "."
_TABLE_DOMAINS: dict[str, str] = {}


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


def table_domain(table_name: str) -> str:
    """The domain of a data table: the suffix of the store module that defines its model
    (``models_promotion`` -> ``promotion``); ``registry`` for ``models.py``, ``app`` for the
    non-bookkeeping tables of ``models_app.py``, ``registry`` for a table without a model."""
    if not _TABLE_DOMAINS:
        for mapper in m.Base.registry.mappers:
            module = mapper.class_.__module__.rsplit(".", 1)[-1]
            domain = "registry" if module == "models" else "app" if module == "models_app" \
                else module.removeprefix("models_")
            for table in mapper.tables:
                _TABLE_DOMAINS.setdefault(str(table.name), domain)
    return _TABLE_DOMAINS.get(table_name, "registry")


def domains() -> tuple[str, ...]:
    """Every data domain, sorted (the domains of the non-bookkeeping tables)."""
    table_domain("")
    return tuple(sorted({d for t, d in _TABLE_DOMAINS.items() if t not in BOOKKEEPING_TABLES}))


def versions_statement(names: Iterable[str]) -> Any:
    """SELECT of the ``meta`` rows of the global counter and of the domains ``names``
    (``key, value`` pairs; missing rows are version 0). Built once per set of names."""
    return _versions_statement(tuple(names))


@functools.lru_cache(maxsize=64)
def _versions_statement(names: tuple[str, ...]) -> Any:
    keys = [DATA_VERSION_KEY, *(DOMAIN_KEY_PREFIX + n for n in names)]
    table = m.Meta.__table__
    return select(table.c.key, table.c.value).where(or_(*(table.c.key == k for k in keys)))


def parse_versions(rows: Iterable[Any], names: Iterable[str]) -> tuple[int, ...]:
    """The versions of ``names`` from the rows of :func:`versions_statement` (0 when absent)."""
    found: dict[str, int] = {}
    for key, value in rows:
        try:
            found[str(key)] = int(value)
        except (TypeError, ValueError):
            found[str(key)] = 0
    return tuple(found.get(DOMAIN_KEY_PREFIX + n, 0) for n in names)


def domain_versions(session: Session, names: Iterable[str]) -> tuple[int, ...]:
    """The versions of the domains ``names`` (in that order): the global data version of each
    domain's last committed write, 0 when it was never written (see the module docstring)."""
    names = tuple(names)
    return parse_versions(session.execute(versions_statement(names)).all(), names)


def _set_domains(session: Session, names: Iterable[str]) -> None:
    """Set the version row of each domain in ``names`` to the (just bumped) global version."""
    value = session.execute(select(m.Meta.value).where(m.Meta.key == DATA_VERSION_KEY)).scalar_one()
    for name in sorted(set(names)):
        key = DOMAIN_KEY_PREFIX + name
        done = session.execute(update(m.Meta).where(m.Meta.key == key).values(value=value)
                               .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) == 0:
            session.execute(insert(m.Meta).values(key=key, value=value))


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
    # every domain moves to the new version: the restored rows of the domain versions name
    # the backup's past, not this database's
    session.info[_FLAG] = True
    session.info.setdefault(_DOMAINS, set()).update(domains())


def _table_name(obj: Any) -> str:
    table = getattr(type(obj), "__table__", None)
    return str(getattr(table, "name", ""))


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    written = {name for name in map(_table_name, changed) if name not in BOOKKEEPING_TABLES}
    if written:
        session.info[_FLAG] = True
        session.info.setdefault(_DOMAINS, set()).update(table_domain(name) for name in written)


@event.listens_for(Session, "do_orm_execute")
def _note_execute(state: ORMExecuteState) -> None:
    if state.session.info.get(_BUMPING):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = str(getattr(table, "name", ""))
        if name not in BOOKKEEPING_TABLES:
            state.session.info[_FLAG] = True
            # a statement whose table is unknown counts for every domain
            state.session.info.setdefault(_DOMAINS, set()).update(
                (table_domain(name),) if name else domains())


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer commit bumps once
        return
    session.flush()  # commit flushes after this hook; flush first so pending changes are seen
    if session.info.get(_FLAG):
        session.info.pop(_FLAG, None)
        written = session.info.pop(_DOMAINS, None) or set(domains())
        bump_data_version(session)
        session.info[_BUMPING] = True
        try:
            _set_domains(session, written)
        finally:
            session.info.pop(_BUMPING, None)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)
    session.info.pop(_DOMAINS, None)


def has_pending_write(session: Session) -> bool:
    """True when ``session``'s transaction has written a data table that is not committed yet
    (its data version is still the old one: caches keyed by it must not be used)."""
    return bool(session.info.get(_FLAG))
