"""SQLAlchemy models of the co-construction registries (issue 15, migration 0008).

Parks in the park (园中园) with their benefit-sharing agreements and realised shares,
smart-manufacturing recognitions, maturity assessments and published aggregates, and R&D /
industrial-design platforms. Each model holds the columns of its canonical table
(:mod:`parklink.tables`); list columns that name other records (leading firms, member
firms, segments served) live in association tables with a ``position``; other list columns
(parties, shares, per-domain levels, chains) are stored as ``;``-joined text.

These tables are the one record of parks in the park: the older ``park_in_park`` table of
migration 0001 (enterprise × host park × mode) was merged into ``cocon_park_in_park`` and
dropped by migration 0011.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parklink import tables as t
from parklink.store.models import Base, SourcedMixin, VersionedMixin, _in

__all__ = [
    "CoconMaturity", "CoconPip", "CoconPipLeader", "CoconPipMember", "CoconPlatform",
    "CoconPlatformSegment", "CoconSharing", "CoconSharingRealised", "CoconSmartAggregate",
    "CoconSmartRecognition",
]

def _opt_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IS NULL OR " + _in(column, values)


class CoconPip(SourcedMixin, VersionedMixin, Base):
    """A park in the park (园中园) or enterprise-led co-built park."""

    __tablename__ = "cocon_park_in_park"
    __table_args__ = (
        CheckConstraint(_opt_in("mode", t.PIP_MODES), name="mode"),
        CheckConstraint(_in("status", t.PIP_STATUSES), name="status"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    pip_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    host_region: Mapped[str] = mapped_column(ForeignKey("region.adcode"), index=True)
    host_park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    mode: Mapped[str | None] = mapped_column(String(20))
    leaders: Mapped[str | None] = mapped_column(String(1000))
    partner_region: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"))
    partner_park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"))
    partner_name: Mapped[str | None] = mapped_column(String(300))
    area_km2: Mapped[float | None] = mapped_column(Float)
    investment_cny_m: Mapped[float | None] = mapped_column(Float)
    start_year: Mapped[int | None] = mapped_column(Integer)
    n_member_firms: Mapped[int | None] = mapped_column(Integer)
    output_cny_m: Mapped[float | None] = mapped_column(Float)
    jobs: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconPipLeader(Base):
    """A leading enterprise (registry id) of a park in the park."""

    __tablename__ = "cocon_pip_leader"

    pip_id: Mapped[str] = mapped_column(
        ForeignKey("cocon_park_in_park.pip_id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.enterprise_id"),
                                               primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class CoconPipMember(Base):
    """A member firm (registry id) of a park in the park."""

    __tablename__ = "cocon_pip_member"

    pip_id: Mapped[str] = mapped_column(
        ForeignKey("cocon_park_in_park.pip_id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.enterprise_id"),
                                               primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class CoconSharing(SourcedMixin, VersionedMixin, Base):
    """A benefit-sharing rule: metric × base × split × duration × floor × attribution."""

    __tablename__ = "cocon_sharing"
    __table_args__ = (
        CheckConstraint(_in("metric", t.SHARING_METRICS), name="metric"),
        CheckConstraint(_in("base", t.SHARING_BASES), name="base"),
        CheckConstraint(_in("attribution", t.ATTRIBUTION_METHODS), name="attribution"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("floor_cny_m IS NULL OR floor_cny_m >= 0", name="floor"),
    )

    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pip_id: Mapped[str | None] = mapped_column(ForeignKey("cocon_park_in_park.pip_id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    area_name: Mapped[str] = mapped_column(String(300))
    parties: Mapped[str] = mapped_column(String(1000))
    metric: Mapped[str] = mapped_column(String(20))
    base: Mapped[str] = mapped_column(String(10))
    split_pct: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(500))
    start_year: Mapped[int | None] = mapped_column(Integer)
    duration_years: Mapped[int | None] = mapped_column(Integer)
    floor_cny_m: Mapped[float | None] = mapped_column(Float)
    floor_beneficiary: Mapped[str | None] = mapped_column(String(300))
    attribution: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconSharingRealised(SourcedMixin, VersionedMixin, Base):
    """Revenue under an agreement in one year and what each party received."""

    __tablename__ = "cocon_sharing_realised"
    __table_args__ = (CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),)

    record_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("cocon_sharing.agreement_id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    total_cny_m: Mapped[float] = mapped_column(Float)
    received_cny_m: Mapped[str] = mapped_column(String(500))
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconSmartRecognition(SourcedMixin, VersionedMixin, Base):
    """A digital workshop / intelligent factory / intelligent park on a recognition list."""

    __tablename__ = "cocon_smart_recognition"
    __table_args__ = (
        CheckConstraint(_in("kind", t.SMART_KINDS), name="kind"),
        CheckConstraint(_opt_in("tier", t.SMART_TIERS), name="tier"),
        CheckConstraint(_in("list_level", t.LIST_LEVELS), name="list_level"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    recognition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprise.enterprise_id"),
                                                      index=True)
    enterprise_name: Mapped[str] = mapped_column(String(300))
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(10))
    list_level: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[str | None] = mapped_column(String(100))
    issuing_body: Mapped[str] = mapped_column(String(300))
    project: Mapped[str | None] = mapped_column(String(500))
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconMaturity(SourcedMixin, VersionedMixin, Base):
    """A GB/T 39116/39117-2020 maturity assessment of one enterprise on one date."""

    __tablename__ = "cocon_maturity"
    __table_args__ = (
        CheckConstraint(_in("assessor", t.ASSESSORS), name="assessor"),
        CheckConstraint("overall_level >= 1 AND overall_level <= 5", name="level"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 5)", name="score"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    assessment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.enterprise_id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    assessor: Mapped[str] = mapped_column(String(12))
    model_version: Mapped[str] = mapped_column(String(32))
    overall_level: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    domain_levels: Mapped[str | None] = mapped_column(String(2000))
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconSmartAggregate(SourcedMixin, VersionedMixin, Base):
    """A published total (e.g. a city's intelligent factories by a year): a programme fact."""

    __tablename__ = "cocon_smart_aggregate"
    __table_args__ = (
        CheckConstraint(_in("kind", (*t.SMART_KINDS, "retrofit_project")), name="kind"),
        CheckConstraint(_opt_in("tier", t.SMART_TIERS), name="tier"),
        CheckConstraint(_in("measure", ("cumulative", "annual")), name="measure"),
        CheckConstraint(_in("qualifier", t.COUNT_QUALIFIERS), name="qualifier"),
        CheckConstraint("count >= 0", name="count"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    aggregate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(10))
    measure: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    qualifier: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconPlatform(SourcedMixin, VersionedMixin, Base):
    """An R&D or industrial-design platform hosted by a park."""

    __tablename__ = "cocon_platform"
    __table_args__ = (
        CheckConstraint(_in("kind", t.PLATFORM_KINDS), name="kind"),
        CheckConstraint(_in("level", t.LIST_LEVELS), name="level"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(12))
    host_park_id: Mapped[str] = mapped_column(ForeignKey("park.park_id"), index=True)
    owner: Mapped[str | None] = mapped_column(String(300))
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprise.enterprise_id"))
    chains: Mapped[str | None] = mapped_column(String(200))
    services: Mapped[str | None] = mapped_column(String(2000))
    year_recognised: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[dt.date | None] = mapped_column(Date)


class CoconPlatformSegment(Base):
    """A chain segment a platform serves."""

    __tablename__ = "cocon_platform_segment"

    platform_id: Mapped[str] = mapped_column(
        ForeignKey("cocon_platform.platform_id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[str] = mapped_column(ForeignKey("segment.segment_id"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
