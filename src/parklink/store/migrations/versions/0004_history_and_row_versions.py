"""record history and optimistic-concurrency row versions

Adds the ``history`` table (one entry per changed field of a registry record, see
``parklink.store.history``) and an integer ``row_version`` (default 1) to every editable
registry table: the API's ETag / If-Match and the version check of every UPDATE.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 04:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Editable registry tables that get a ``row_version`` column.
VERSIONED = ("region", "zone", "park", "designation", "target", "segment", "enterprise",
             "transport_node", "transport_link")


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_set", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=12), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("via", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name=op.f("ck_history_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_change_set"), ["change_set"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_at"), ["at"], unique=False)
        batch_op.create_index("ix_history_record", ["kind", "record_key", "id"], unique=False)
    for table in VERSIONED:
        op.add_column(table, sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in VERSIONED:
        # a plain ALTER TABLE ... DROP COLUMN on both databases (SQLite >= 3.35): a batch
        # rebuild would drop and re-create tables that others refer to by foreign key
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN row_version"))
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index("ix_history_record")
        batch_op.drop_index(batch_op.f("ix_history_at"))
        batch_op.drop_index(batch_op.f("ix_history_change_set"))
    op.drop_table("history")
