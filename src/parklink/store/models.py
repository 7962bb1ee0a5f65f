# ruff: noqa: E402
"""SQLAlchemy 2 ORM models of the operational registry (DESIGN.md "Data model").

Enumerations are stored as short codes with CHECK constraints (portable across SQLite
and PostgreSQL); list-valued attributes of the canonical tables (``tables.py``) live in
association tables with a ``position`` column so their order survives a round trip.
Firm-level transactions are not here: they live as Parquet (``parklink.firmdata``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parklink import tables as t

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def _between(column: str, low: float, high: float) -> str:
    return f"{column} IS NULL OR ({column} >= {low} AND {column} <= {high})"


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING)


class SourcedMixin:
    """Provenance columns carried by every fact row."""

    source_url: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(12))


class VersionedMixin:
    """Optimistic-concurrency counter of an editable registry row (migration 0004).

    Starts at 1 and is incremented by every write of the row (API/web edits, import upserts);
    writers compare it in the ``UPDATE``'s ``WHERE`` clause, and the API serves it as the
    row's ``ETag`` (``If-Match`` on writes). Named ``row_version`` because ``segment.version``
    already is the chain-template version.
    """

    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Region(SourcedMixin, VersionedMixin, Base):
    """A province, prefecture-level city or district/county (GB/T 2260 adcode)."""

    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint(_in("level", t.REGION_LEVELS), name="level"),
        CheckConstraint(_in("province", t.PROVINCES), name="province"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint(_between("seat_lon", 97, 111), name="seat_lon"),
        CheckConstraint(_between("seat_lat", 26, 35), name="seat_lat"),
        CheckConstraint("area_km2 IS NULL OR area_km2 >= 0", name="area"),
        CheckConstraint("length(adcode) = 6", name="adcode_len"),
    )

    adcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    parent_adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"), index=True)
    province: Mapped[str] = mapped_column(String(2))
    seat_lon: Mapped[float | None] = mapped_column(Float)
    seat_lat: Mapped[float | None] = mapped_column(Float)
    seat_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    area_km2: Mapped[float | None] = mapped_column(Float)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)


class Zone(SourcedMixin, VersionedMixin, Base):
    """A named cooperation zone, adjacent-area platform or polar core."""

    __tablename__ = "zone"
    __table_args__ = (
        CheckConstraint(_in("kind", t.ZONE_KINDS), name="kind"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    zone_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    member_notes: Mapped[str | None] = mapped_column(Text)


class ZoneMember(Base):
    """Membership of a region wholly inside a zone (a city or province code stands for all
    its districts)."""

    __tablename__ = "zone_member"

    zone_id: Mapped[str] = mapped_column(
        ForeignKey("zone.zone_id", ondelete="CASCADE"), primary_key=True
    )
    adcode: Mapped[str] = mapped_column(ForeignKey("region.adcode"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ZonePartialMember(Base):
    """A region only partly inside a zone: a park there is in the zone only when
    :class:`ParkStatedZone` says so (``zone.member_notes`` says which part lies inside)."""

    __tablename__ = "zone_partial_member"

    zone_id: Mapped[str] = mapped_column(
        ForeignKey("zone.zone_id", ondelete="CASCADE"), primary_key=True
    )
    adcode: Mapped[str] = mapped_column(ForeignKey("region.adcode"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Park(SourcedMixin, VersionedMixin, Base):
    """An industrial park or development zone (candidate or designated)."""

    __tablename__ = "park"
    __table_args__ = (
        CheckConstraint(_in("province", t.PROVINCES), name="province"),
        CheckConstraint(_in("level", t.PARK_LEVELS), name="level"),
        CheckConstraint(_in("kind", t.PARK_KINDS), name="kind"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("lon >= 97 AND lon <= 111", name="lon"),
        CheckConstraint("lat >= 26 AND lat <= 35", name="lat"),
        CheckConstraint("area_km2 IS NULL OR area_km2 >= 0", name="area"),
        CheckConstraint("parent_park_id IS NULL OR parent_park_id <> park_id", name="parent"),
    )

    park_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(2), index=True)
    adcode: Mapped[str] = mapped_column(ForeignKey("region.adcode"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    location_approximate: Mapped[bool] = mapped_column(Boolean)
    area_km2: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    industries: Mapped[str | None] = mapped_column(Text)
    parent_park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    shared_point: Mapped[bool | None] = mapped_column(Boolean)


class ParkStatedZone(Base):
    """A zone a source places the park in beyond the zones its host district lies wholly in."""

    __tablename__ = "park_stated_zone"

    park_id: Mapped[str] = mapped_column(
        ForeignKey("park.park_id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[str] = mapped_column(ForeignKey("zone.zone_id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class ParkAreaType(Base):
    """Area type of a park: critical development / transport node / adjacent."""

    __tablename__ = "park_area_type"
    __table_args__ = (CheckConstraint(_in("area_type", t.AREA_TYPES), name="area_type"),)

    park_id: Mapped[str] = mapped_column(
        ForeignKey("park.park_id", ondelete="CASCADE"), primary_key=True
    )
    area_type: Mapped[str] = mapped_column(String(24), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class ParkFocusChain(Base):
    """A focus industry chain of a park."""

    __tablename__ = "park_focus_chain"
    __table_args__ = (CheckConstraint(_in("chain", t.CHAINS), name="chain"),)

    park_id: Mapped[str] = mapped_column(
        ForeignKey("park.park_id", ondelete="CASCADE"), primary_key=True
    )
    chain: Mapped[str] = mapped_column(ForeignKey("chain.chain_id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Designation(SourcedMixin, VersionedMixin, Base):
    """A demonstration-park designation (one or more parks), with its history.

    ``revoked_year`` is set when a designation ends; rows are never deleted to
    express that, so the programme's history stays queryable.
    """

    __tablename__ = "designation"
    __table_args__ = (
        CheckConstraint("batch >= 1 AND batch <= 99", name="batch"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year"),
        CheckConstraint("unknown_members >= 0 AND unknown_members <= 20", name="unknown"),
        CheckConstraint(_in("mode", t.COOPERATION_MODES), name="mode"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("revoked_year IS NULL OR revoked_year >= year", name="revoked"),
    )

    designation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer, index=True)
    announced: Mapped[dt.date | None] = mapped_column(Date)
    unknown_members: Mapped[int] = mapped_column(Integer, default=0)
    theme: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(24))
    revoked_year: Mapped[int | None] = mapped_column(Integer)


class DesignationMember(Base):
    """A park that is part of a designation."""

    __tablename__ = "designation_member"

    designation_id: Mapped[str] = mapped_column(
        ForeignKey("designation.designation_id", ondelete="CASCADE"), primary_key=True
    )
    park_id: Mapped[str] = mapped_column(ForeignKey("park.park_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class DesignationChain(Base):
    """A theme chain of a designation."""

    __tablename__ = "designation_chain"

    designation_id: Mapped[str] = mapped_column(
        ForeignKey("designation.designation_id", ondelete="CASCADE"), primary_key=True
    )
    chain: Mapped[str] = mapped_column(ForeignKey("chain.chain_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Target(SourcedMixin, VersionedMixin, Base):
    """Cumulative number of demonstration parks the programme aims for by a year."""

    __tablename__ = "target"
    __table_args__ = (
        CheckConstraint("cumulative_parks >= 0", name="count"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cumulative_parks: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class Chain(Base):
    """A focal industry chain (auto, moto, electronics, biomed)."""

    __tablename__ = "chain"
    __table_args__ = (CheckConstraint(_in("chain_id", t.CHAINS), name="chain_id"),)

    chain_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))


class Segment(VersionedMixin, Base):
    """A segment of a chain template (upstream -> downstream), versioned."""

    __tablename__ = "segment"
    __table_args__ = (
        CheckConstraint(_in("level", t.SEGMENT_LEVELS), name="level"),
        CheckConstraint("weight >= 0", name="weight"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    segment_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    chain: Mapped[str] = mapped_column(ForeignKey("chain.chain_id"), index=True)
    version: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float)
    keywords_include: Mapped[str | None] = mapped_column(Text)
    keywords_exclude: Mapped[str | None] = mapped_column(Text)
    source_refs: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(12))


class SegmentCode(Base):
    """A GB/T 4754-2017 industry code of a segment with its mapping quality (E/P/A)."""

    __tablename__ = "segment_code"
    __table_args__ = (
        CheckConstraint(_in("quality", t.CODE_QUALITY), name="quality"),
        CheckConstraint("length(code) = 4", name="code_len"),
    )

    segment_id: Mapped[str] = mapped_column(
        ForeignKey("segment.segment_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    quality: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)


class SegmentLink(Base):
    """An input link of a chain template: ``from_segment`` is an input to ``to_segment``."""

    __tablename__ = "segment_link"
    __table_args__ = (CheckConstraint("from_segment <> to_segment", name="no_self"),)

    to_segment: Mapped[str] = mapped_column(
        ForeignKey("segment.segment_id", ondelete="CASCADE"), primary_key=True
    )
    from_segment: Mapped[str] = mapped_column(ForeignKey("segment.segment_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Enterprise(SourcedMixin, VersionedMixin, Base):
    """An enterprise of the registry (real named ones with sources, or imported)."""

    __tablename__ = "enterprise"
    __table_args__ = (
        CheckConstraint(_in("province", (*t.PROVINCES, "OUT")), name="province"),
        CheckConstraint(_in("size_class", t.SIZE_CLASSES), name="size"),
        CheckConstraint("chain IS NULL OR " + _in("chain", t.CHAINS), name="chain"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
        CheckConstraint("output_cny_m IS NULL OR output_cny_m >= 0", name="output"),
        CheckConstraint("lon >= 70 AND lon <= 140", name="lon"),
        CheckConstraint("lat >= 15 AND lat <= 55", name="lat"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(3))
    adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    chain: Mapped[str | None] = mapped_column(String(16))
    size_class: Mapped[str] = mapped_column(String(8))
    employees: Mapped[int | None] = mapped_column(Integer)
    output_cny_m: Mapped[float | None] = mapped_column(Float)
    leading: Mapped[bool] = mapped_column(Boolean, default=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class EnterpriseSegment(Base):
    """A chain segment an enterprise is assigned to."""

    __tablename__ = "enterprise_segment"

    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprise.enterprise_id", ondelete="CASCADE"), primary_key=True
    )
    segment_id: Mapped[str] = mapped_column(ForeignKey("segment.segment_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class TransportNode(SourcedMixin, VersionedMixin, Base):
    """A node of the freight network: airport, rail port, river port, bonded zone, ..."""

    __tablename__ = "transport_node"
    __table_args__ = (
        CheckConstraint(_in("kind", t.NODE_KINDS), name="kind"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("lon >= 97 AND lon <= 111", name="lon"),
        CheckConstraint("lat >= 26 AND lat <= 35", name="lat"),
    )

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    location_approximate: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str | None] = mapped_column(String(16))


class TransportNodeMode(Base):
    """A transport mode served at a node."""

    __tablename__ = "transport_node_mode"
    __table_args__ = (CheckConstraint(_in("mode", t.TRANSPORT_MODES), name="mode"),)

    node_id: Mapped[str] = mapped_column(
        ForeignKey("transport_node.node_id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class TransportLink(SourcedMixin, VersionedMixin, Base):
    """A link of the multimodal network with distance (km), time (h) and cost (CNY/t)."""

    __tablename__ = "transport_link"
    __table_args__ = (
        CheckConstraint(_in("mode", t.TRANSPORT_MODES), name="mode"),
        CheckConstraint("distance_km >= 0 AND time_h >= 0 AND cost_cny_per_t >= 0", name="nonneg"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    link_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    from_node: Mapped[str] = mapped_column(ForeignKey("transport_node.node_id"), index=True)
    to_node: Mapped[str] = mapped_column(ForeignKey("transport_node.node_id"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    distance_km: Mapped[float] = mapped_column(Float)
    time_h: Mapped[float] = mapped_column(Float)
    cost_cny_per_t: Mapped[float] = mapped_column(Float)
    bidirectional: Mapped[bool] = mapped_column(Boolean)
    approximate: Mapped[bool] = mapped_column(Boolean)


Index("ix_park_list_order", Park.province, Park.name_en, Park.park_id)

# the application's own records (users, sessions, audit, history, scenarios, jobs, meta), after
# Base: models_app builds on it; re-exported so that ``models.User`` etc. keep working
# co-construction registries (issue 15): their own module, imported so the metadata sees them
from parklink.store import models_coconstruction as models_coconstruction
from parklink.store.models_app import HISTORY_ACTIONS as HISTORY_ACTIONS
from parklink.store.models_app import JOB_STATUSES as JOB_STATUSES
from parklink.store.models_app import ROLES as ROLES
from parklink.store.models_app import AnalysisJob as AnalysisJob
from parklink.store.models_app import AuditEntry as AuditEntry
from parklink.store.models_app import HistoryEntry as HistoryEntry
from parklink.store.models_app import Meta as Meta
from parklink.store.models_app import Role as Role
from parklink.store.models_app import Scenario as Scenario
from parklink.store.models_app import User as User
from parklink.store.models_app import UserPark as UserPark
from parklink.store.models_app import WebSession as WebSession
from parklink.store.models_monitoring import IndicatorValue as IndicatorValue
from parklink.store.models_monitoring import MonitoringIndicator as MonitoringIndicator

# the investment-promotion ledger (issue 14; migration 0007)
from parklink.store.models_promotion import PlanGoal as PlanGoal
from parklink.store.models_promotion import PlanTarget as PlanTarget
from parklink.store.models_promotion import Project as Project
from parklink.store.models_promotion import ProjectFund as ProjectFund
from parklink.store.models_promotion import PromotionEvent as PromotionEvent
from parklink.store.models_promotion import PromotionPlan as PromotionPlan
from parklink.store.models_promotion import StageEvent as StageEvent
from parklink.store.models_sme import ServiceOffer as ServiceOffer
from parklink.store.models_sme import ServiceProvider as ServiceProvider
from parklink.store.models_sme import SmeProfile as SmeProfile
from parklink.store.models_sme import SupplyDemandItem as SupplyDemandItem
