"""Monitoring indicators (issue 17): the indicator registry and per-park time series.

Both are registry kinds (``tables.MONITORING_INDICATORS``, ``tables.INDICATOR_VALUES``):
imported, exported, upserted and recorded in the history like every other kind.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parklink import tables as t
from parklink.store.models import Base, SourcedMixin, VersionedMixin, _in


class MonitoringIndicator(SourcedMixin, VersionedMixin, Base):
    """One monitoring indicator: names, formula (口径), unit, frequency, direction."""

    __tablename__ = "monitoring_indicator"
    __table_args__ = (
        CheckConstraint(_in("frequency", t.MONITORING_FREQUENCIES), name="frequency"),
        CheckConstraint(_in("direction", t.MONITORING_DIRECTIONS), name="direction"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    indicator_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    formula: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(40))
    frequency: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(12))
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class IndicatorValue(SourcedMixin, VersionedMixin, Base):
    """The value of one indicator for one park and period."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        Index("ix_indicator_value_series", "park_id", "indicator_id", "period", unique=True),
        Index("ix_indicator_value_indicator", "indicator_id", "period"),
    )

    value_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    park_id: Mapped[str] = mapped_column(String(64), ForeignKey("park.park_id"))
    indicator_id: Mapped[str] = mapped_column(String(64), ForeignKey("monitoring_indicator.indicator_id"))
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[float] = mapped_column(Float)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
