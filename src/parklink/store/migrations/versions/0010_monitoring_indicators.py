"""monitoring indicators: indicator registry and per-park time series (issue 17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONF = "confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')"


def upgrade() -> None:
    op.create_table(
        "monitoring_indicator",
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("formula", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=12), nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("frequency IN ('monthly', 'quarterly', 'annual')",
                           name=op.f("ck_monitoring_indicator_frequency")),
        sa.CheckConstraint("direction IN ('benefit', 'cost', 'neutral')",
                           name=op.f("ck_monitoring_indicator_direction")),
        sa.CheckConstraint(_CONF, name=op.f("ck_monitoring_indicator_confidence")),
        sa.PrimaryKeyConstraint("indicator_id", name=op.f("pk_monitoring_indicator")),
    )
    op.create_table(
        "indicator_value",
        sa.Column("value_id", sa.String(length=200), nullable=False),
        sa.Column("park_id", sa.String(length=64), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(_CONF, name=op.f("ck_indicator_value_confidence")),
        sa.ForeignKeyConstraint(["indicator_id"], ["monitoring_indicator.indicator_id"],
                                name=op.f("fk_indicator_value_indicator_id_monitoring_indicator")),
        sa.ForeignKeyConstraint(["park_id"], ["park.park_id"], name=op.f("fk_indicator_value_park_id_park")),
        sa.PrimaryKeyConstraint("value_id", name=op.f("pk_indicator_value")),
    )
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_value_series", ["park_id", "indicator_id", "period"], unique=True)
        batch_op.create_index("ix_indicator_value_indicator", ["indicator_id", "period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_value_indicator")
        batch_op.drop_index("ix_indicator_value_series")
    op.drop_table("indicator_value")
    op.drop_table("monitoring_indicator")
