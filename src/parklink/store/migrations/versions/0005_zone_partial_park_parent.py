"""partial zone members and notes, parent parks, shared points, stated park zones

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 04:30:00

New table ``zone_partial_member`` (regions only partly inside a zone) and ``zone.member_notes``
(``ADCODE: text`` notes); park gains ``parent_park_id`` (the park it lies inside; never
itself) and ``shared_point``; the new table ``park_stated_zone`` lists the zones a source
places a park in beyond those its host district lies wholly in. Existing rows keep their
meaning: every ``zone_member`` row stays a whole member, no park has a parent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("zone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_notes", sa.Text(), nullable=True))

    op.create_table(
        "zone_partial_member",
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("adcode", sa.String(length=6), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.zone_id"], name=op.f("fk_zone_partial_member_zone_id_zone"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["adcode"], ["region.adcode"], name=op.f("fk_zone_partial_member_adcode_region")),
        sa.PrimaryKeyConstraint("zone_id", "adcode", name=op.f("pk_zone_partial_member")),
    )
    with op.batch_alter_table("zone_partial_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_partial_member_adcode"), ["adcode"], unique=False)

    with op.batch_alter_table("park", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_park_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("shared_point", sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f("ix_park_parent_park_id"), ["parent_park_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_park_parent_park_id_park"), "park", ["parent_park_id"], ["park_id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_park_parent"), "parent_park_id IS NULL OR parent_park_id <> park_id"
        )

    op.create_table(
        "park_stated_zone",
        sa.Column("park_id", sa.String(length=64), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.park_id"], name=op.f("fk_park_stated_zone_park_id_park"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.zone_id"], name=op.f("fk_park_stated_zone_zone_id_zone")),
        sa.PrimaryKeyConstraint("park_id", "zone_id", name=op.f("pk_park_stated_zone")),
    )
    with op.batch_alter_table("park_stated_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_park_stated_zone_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("park_stated_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_park_stated_zone_zone_id"))
    op.drop_table("park_stated_zone")

    with op.batch_alter_table("park", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_park_parent"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_park_parent_park_id_park"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_park_parent_park_id"))
        batch_op.drop_column("shared_point")
        batch_op.drop_column("parent_park_id")

    with op.batch_alter_table("zone_partial_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zone_partial_member_adcode"))
    op.drop_table("zone_partial_member")

    with op.batch_alter_table("zone", schema=None) as batch_op:
        batch_op.drop_column("member_notes")
