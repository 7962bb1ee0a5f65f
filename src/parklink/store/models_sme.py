"""SQLAlchemy 2 models of SMEs, service providers and offers and supply–demand items (issue 16).

One row per canonical row of :data:`parklink.tables.SME_PROFILES`, ``SERVICE_PROVIDERS``,
``SERVICE_OFFERS`` and ``SUPPLY_DEMAND`` (migration 0009). List columns are stored as
``;``-joined text (the import validator checks their elements and references). The
enterprise of an SME profile or a supply–demand item is a registry enterprise or a firm of
the firm-level Parquet dataset, so it carries no foreign key.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parklink import tables as t
from parklink.store.models import Base, SourcedMixin, VersionedMixin, _in


class SmeProfile(SourcedMixin, VersionedMixin, Base):
    """SME attributes of one enterprise: size class, 专精特新 tier, capabilities."""

    __tablename__ = "sme_profile"
    __table_args__ = (
        CheckConstraint(_in("industry", t.SME_INDUSTRIES), name="industry"),
        CheckConstraint("size_class IS NULL OR " + _in("size_class", t.SME_SIZE_CLASSES), name="size"),
        CheckConstraint(_in("tier", t.SME_TIERS), name="tier"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
        CheckConstraint("revenue_cny_m IS NULL OR revenue_cny_m >= 0", name="revenue"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"))
    industry: Mapped[str] = mapped_column(String(16))
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_cny_m: Mapped[float | None] = mapped_column(Float)
    size_class: Mapped[str | None] = mapped_column(String(8))
    tier: Mapped[str] = mapped_column(String(16), index=True)
    tier_year: Mapped[int | None] = mapped_column(Integer)
    tier_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    segments: Mapped[str | None] = mapped_column(Text)
    processes: Mapped[str | None] = mapped_column(Text)
    products: Mapped[str | None] = mapped_column(Text)
    certifications: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str | None] = mapped_column(String(8))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceProvider(SourcedMixin, VersionedMixin, Base):
    """A provider of technical, financial or outsourcing services."""

    __tablename__ = "service_provider"
    __table_args__ = (
        CheckConstraint(_in("kind", t.PROVIDER_KINDS), name="kind"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    platform: Mapped[str | None] = mapped_column(String(200))
    adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceOffer(SourcedMixin, VersionedMixin, Base):
    """One service offer of a provider, with its eligibility."""

    __tablename__ = "service_offer"
    __table_args__ = (
        CheckConstraint(_in("service", t.SERVICES), name="service"),
        CheckConstraint("max_amount_cny_m IS NULL OR max_amount_cny_m >= 0", name="amount"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    offer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("service_provider.provider_id"), index=True)
    service: Mapped[str] = mapped_column(String(24))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"))
    eligible_tiers: Mapped[str | None] = mapped_column(Text)
    eligible_sizes: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[str | None] = mapped_column(Text)
    max_amount_cny_m: Mapped[float | None] = mapped_column(Float)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class SupplyDemandItem(SourcedMixin, VersionedMixin, Base):
    """A 供需清单 item: a need or an offer posted by an enterprise or a park."""

    __tablename__ = "supply_demand_item"
    __table_args__ = (
        CheckConstraint(_in("direction", t.SD_DIRECTIONS), name="direction"),
        CheckConstraint(_in("poster", t.SD_POSTERS), name="poster"),
        CheckConstraint(_in("status", t.SD_STATUSES), name="status"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
    )

    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    poster: Mapped[str] = mapped_column(String(12))
    enterprise_id: Mapped[str | None] = mapped_column(String(64), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("park.park_id"), index=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300))
    part: Mapped[str | None] = mapped_column(String(400))
    processes: Mapped[str | None] = mapped_column(Text)
    segment_id: Mapped[str | None] = mapped_column(ForeignKey("segment.segment_id"))
    quantity: Mapped[float | None] = mapped_column(Float)
    quantity_unit: Mapped[str | None] = mapped_column(String(8))
    certifications: Mapped[str | None] = mapped_column(Text)
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    posted: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
