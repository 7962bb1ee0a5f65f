"""one parks-in-the-park record: move the old park_in_park rows into the registry and drop it

The ``park_in_park`` table of migration 0001 (enterprise × host park × mode × since year)
sat beside the ``parks_in_park`` registry of migration 0008 (``cocon_park_in_park``). The
registry becomes the one record. Each old row becomes one registry row:

============================  ==============================================================
registry column               from the old row
============================  ==============================================================
``pip_id``                    ``pip-<host_park_id>-<enterprise_id>`` (lower case, characters
                              outside ``[a-z0-9_.-]`` → ``-``, at most 64); ``-<old id>`` is
                              appended when that id is taken
``name_zh`` / ``name_en``     the enterprise's names + ``园中园`` / `` park in the park``
``host_region``               the host park's ``adcode``
``host_park_id``              ``host_park_id``
``mode``                      ``headquarters_base`` → ``hq_base``, ``rnd_transformation`` →
                              ``rd_transformation``, ``terminal_collaboration`` →
                              ``terminal_support``; any other value → NULL (not stated; the
                              registry allows it)
``leaders`` / ``leader_ids``  the enterprise's Chinese name / its id (``cocon_pip_leader``)
``start_year``                ``since_year``
``status``                    ``unknown`` (the old table had none)
``note``                      ``moved from park_in_park (migration 0011), old id N``
``source_url``/``confidence`` copied
============================  ==============================================================

Every moved row gets a history entry (action ``insert``, actor ``migration``, via
``migration 0011 from park_in_park``) and the data version is bumped when rows moved, so
caches keyed by it are renewed. The downgrade recreates the old table and moves back the
rows this migration created (identified by their note), when they still fit it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Old mode code → registry mode code.
MODE_MAP = {"headquarters_base": "hq_base", "rnd_transformation": "rd_transformation",
            "terminal_collaboration": "terminal_support"}
NOTE_PREFIX = "moved from park_in_park (migration 0011), old id "
VIA = "migration 0011 from park_in_park"
#: Canonical columns of the parks_in_park kind (the history entry's row, as of this migration).
PIP_COLUMNS = ("pip_id", "name_zh", "name_en", "host_region", "host_park_id", "mode", "leaders", "leader_ids",
               "partner_region", "partner_park_id", "partner_name", "area_km2", "investment_cny_m",
               "start_year", "member_firms", "n_member_firms", "output_cny_m", "jobs", "status", "note",
               "source_url", "confidence", "as_of")

_meta = sa.MetaData()
old_t = sa.Table("park_in_park", _meta,
                 sa.Column("id", sa.Integer), sa.Column("enterprise_id", sa.String(64)),
                 sa.Column("host_park_id", sa.String(64)), sa.Column("mode", sa.String(24)),
                 sa.Column("since_year", sa.Integer), sa.Column("source_url", sa.Text),
                 sa.Column("confidence", sa.String(12)))
pip_t = sa.Table("cocon_park_in_park", _meta, *(sa.Column(c) for c in (
    "pip_id", "name_zh", "name_en", "host_region", "host_park_id", "mode", "leaders", "start_year", "status",
    "note", "source_url", "confidence", "row_version")))
leader_t = sa.Table("cocon_pip_leader", _meta, sa.Column("pip_id"), sa.Column("enterprise_id"),
                    sa.Column("position"))
member_t = sa.Table("cocon_pip_member", _meta, sa.Column("pip_id"))
sharing_t = sa.Table("cocon_sharing", _meta, sa.Column("pip_id"))
ent_t = sa.Table("enterprise", _meta, sa.Column("enterprise_id"), sa.Column("name_zh"), sa.Column("name_en"))
park_t = sa.Table("park", _meta, sa.Column("park_id"), sa.Column("adcode"))
hist_t = sa.Table("history", _meta, *(sa.Column(c) for c in (
    "change_set", "kind", "record_key", "action", "field", "old_value", "new_value", "source_url", "confidence",
    "row_version", "actor", "via", "at")))
meta_t = sa.Table("meta", _meta, sa.Column("key"), sa.Column("value"))


def new_pip_id(host_park_id: str, enterprise_id: str, old_id: int, taken: set[str]) -> str:
    """The registry id of an old row (module docstring)."""
    base = re.sub(r"[^a-z0-9_.-]", "-", f"pip-{host_park_id}-{enterprise_id}".lower())[:64]
    if base not in taken:
        return base
    suffix = f"-{old_id}"
    return base[:64 - len(suffix)] + suffix


def _bump_version(conn: sa.Connection) -> None:
    value = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "data_version")).scalar()
    if value is None:
        conn.execute(meta_t.insert().values(key="data_version", value="1"))
        return
    try:
        n = int(value)
    except ValueError:
        n = 0
    conn.execute(meta_t.update().where(meta_t.c.key == "data_version").values(value=str(n + 1)))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(old_t.c.id, old_t.c.enterprise_id, old_t.c.host_park_id, old_t.c.mode, old_t.c.since_year,
                  old_t.c.source_url, old_t.c.confidence, ent_t.c.name_zh, ent_t.c.name_en, park_t.c.adcode)
        .join(ent_t, ent_t.c.enterprise_id == old_t.c.enterprise_id)
        .join(park_t, park_t.c.park_id == old_t.c.host_park_id)
        .order_by(old_t.c.id)).all()
    taken = set(conn.execute(sa.select(pip_t.c.pip_id)).scalars())
    now = dt.datetime.now(dt.UTC)
    change_set = uuid.uuid4().hex
    for r in rows:
        pip_id = new_pip_id(str(r.host_park_id), str(r.enterprise_id), int(r.id), taken)
        taken.add(pip_id)
        row = {"pip_id": pip_id, "name_zh": f"{r.name_zh}园中园"[:200],
               "name_en": f"{r.name_en} park in the park"[:300], "host_region": r.adcode,
               "host_park_id": r.host_park_id, "mode": MODE_MAP.get(str(r.mode)), "leaders": r.name_zh,
               "start_year": r.since_year, "status": "unknown", "note": f"{NOTE_PREFIX}{r.id}",
               "source_url": r.source_url, "confidence": r.confidence, "row_version": 1}
        conn.execute(pip_t.insert().values(**row))
        conn.execute(leader_t.insert().values(pip_id=pip_id, enterprise_id=r.enterprise_id, position=0))
        canonical: dict[str, str | None] = dict.fromkeys(PIP_COLUMNS)
        canonical.update({k: (None if v is None else str(v)) for k, v in row.items() if k in PIP_COLUMNS})
        canonical["leader_ids"] = str(r.enterprise_id)
        conn.execute(hist_t.insert().values(
            change_set=change_set, kind="parks_in_park", record_key=pip_id, action="insert", field=None,
            old_value=None, new_value=json.dumps(canonical, ensure_ascii=False, sort_keys=True),
            source_url=r.source_url, confidence=r.confidence, row_version=1, actor="migration", via=VIA, at=now))
    if rows:
        _bump_version(conn)
    op.drop_table("park_in_park")


def downgrade() -> None:
    op.create_table(
        "park_in_park",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("host_park_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=False),
        sa.Column("since_year", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')",
                           name=op.f("ck_park_in_park_confidence")),
        sa.CheckConstraint("mode IN ('headquarters_base', 'rnd_transformation', 'terminal_collaboration')",
                           name=op.f("ck_park_in_park_mode")),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.enterprise_id"],
                                name=op.f("fk_park_in_park_enterprise_id_enterprise")),
        sa.ForeignKeyConstraint(["host_park_id"], ["park.park_id"], name=op.f("fk_park_in_park_host_park_id_park")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_park_in_park")),
        sa.UniqueConstraint("enterprise_id", "host_park_id", name="uq_park_in_park_pair"),
    )
    conn = op.get_bind()
    back = {v: k for k, v in MODE_MAP.items()}
    moved = conn.execute(
        sa.select(pip_t.c.pip_id, pip_t.c.host_park_id, pip_t.c.mode, pip_t.c.start_year, pip_t.c.note,
                  pip_t.c.source_url, pip_t.c.confidence, leader_t.c.enterprise_id)
        .join(leader_t, leader_t.c.pip_id == pip_t.c.pip_id)
        .where(pip_t.c.note.like(NOTE_PREFIX + "%"))).all()
    shared = set(conn.execute(sa.select(sharing_t.c.pip_id).where(sharing_t.c.pip_id.is_not(None))).scalars())
    done: set[str] = set()
    for r in moved:
        if r.pip_id in done or r.pip_id in shared or r.host_park_id is None or r.mode not in back:
            continue  # no longer fits the old table (or a rule refers to it): it stays in the registry
        done.add(r.pip_id)
        tail = str(r.note)[len(NOTE_PREFIX):]
        values = {"enterprise_id": r.enterprise_id, "host_park_id": r.host_park_id, "mode": back[r.mode],
                  "since_year": r.start_year, "source_url": r.source_url, "confidence": r.confidence}
        if tail.isdigit():
            values["id"] = int(tail)
        conn.execute(old_t.insert().values(**values))
        conn.execute(member_t.delete().where(member_t.c.pip_id == r.pip_id))
        conn.execute(leader_t.delete().where(leader_t.c.pip_id == r.pip_id))
        conn.execute(pip_t.delete().where(pip_t.c.pip_id == r.pip_id))
