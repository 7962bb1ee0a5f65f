"""ORM models of the investment-promotion ledger (招商台账; migration 0007).

One table per kind of :mod:`parklink.tables_promotion`. Enumerations are short codes with
CHECK constraints; list columns (focal chains, segments, event chains) are ``;``-joined text.
Every editable row has ``row_version`` (optimistic locking); the stage-event log is
append-only (the service and the importer add rows, never change or remove them), and a
project's current stage is derived from it, never stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from parklink import tables as t
from parklink import tables_promotion as tp
from parklink.store.models import Base, VersionedMixin, _in

__all__ = [
    "PlanGoal",
    "PlanTarget",
    "Project",
    "ProjectFund",
    "PromotionEvent",
    "PromotionPlan",
    "StageEvent",
]


class _Provenance:
    """Synthetic flag and provenance of a promotion row."""

    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(12))


class PromotionPlan(_Provenance, VersionedMixin, Base):
    """An investment-promotion plan of a designation, park pair, park or zone."""

    __tablename__ = "promotion_plan"
    __table_args__ = (
        CheckConstraint(_in("scope_kind", tp.PLAN_SCOPE_KINDS), name="scope_kind"),
        CheckConstraint(_in("status", tp.PLAN_STATUSES), name="status"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("period_start <= period_end", name="period"),
    )

    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    scope_kind: Mapped[str] = mapped_column(String(12))
    scope_id: Mapped[str] = mapped_column(String(140), index=True)
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    focal_chains: Mapped[str | None] = mapped_column(String(200))
    focal_segments: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)


class PlanGoal(VersionedMixin, Base):
    """The goals of a plan for one year."""

    __tablename__ = "plan_goal"
    __table_args__ = (
        UniqueConstraint("plan_id", "year", name="uq_plan_goal_plan_year"),
        CheckConstraint("projects IS NULL OR projects >= 0", name="projects"),
        CheckConstraint("signed_investment_cny_m IS NULL OR signed_investment_cny_m >= 0", name="signed"),
        CheckConstraint("funds_in_place_cny_m IS NULL OR funds_in_place_cny_m >= 0", name="funds"),
    )

    goal_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("promotion_plan.plan_id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    projects: Mapped[int | None] = mapped_column(Integer)
    signed_investment_cny_m: Mapped[float | None] = mapped_column(Float)
    funds_in_place_cny_m: Mapped[float | None] = mapped_column(Float)


class PlanTarget(VersionedMixin, Base):
    """A target firm on a plan's list (ranked by the chain engine, added, or dropped)."""

    __tablename__ = "plan_target"
    __table_args__ = (
        CheckConstraint(_in("status", tp.TARGET_STATUSES), name="status"),
        CheckConstraint("status <> 'dropped' OR drop_reason IS NOT NULL", name="drop_reason"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank"),
    )

    target_id: Mapped[str] = mapped_column(String(240), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("promotion_plan.plan_id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[str] = mapped_column(ForeignKey("segment.segment_id"))
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str | None] = mapped_column(String(300))
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(8))
    drop_reason: Mapped[str | None] = mapped_column(Text)


class PromotionEvent(_Provenance, VersionedMixin, Base):
    """A joint investment-promotion event (a KPI cohort)."""

    __tablename__ = "promotion_event"
    __table_args__ = (
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("invited_firms IS NULL OR invited_firms >= 0", name="invited"),
        CheckConstraint("attending_firms IS NULL OR attending_firms >= 0", name="attending"),
        CheckConstraint("leads_generated IS NULL OR leads_generated >= 0", name="leads"),
        CheckConstraint("signed_on_site IS NULL OR signed_on_site >= 0", name="signed"),
        CheckConstraint("signed_on_site_cny_m IS NULL OR signed_on_site_cny_m >= 0", name="signed_amount"),
    )

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(60))
    organisers_sc: Mapped[str | None] = mapped_column(Text)
    organisers_cq: Mapped[str | None] = mapped_column(Text)
    chains: Mapped[str | None] = mapped_column(String(200))
    invited_firms: Mapped[int | None] = mapped_column(Integer)
    attending_firms: Mapped[int | None] = mapped_column(Integer)
    leads_generated: Mapped[int | None] = mapped_column(Integer)
    signed_on_site: Mapped[int | None] = mapped_column(Integer)
    signed_on_site_cny_m: Mapped[float | None] = mapped_column(Float)


class Project(_Provenance, VersionedMixin, Base):
    """A lead or project; its stage is derived from :class:`StageEvent` rows.

    ``row_version`` is also bumped by every stage event appended, so two officers advancing
    the same project from the same version cannot both succeed.
    """

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("chain IS NULL OR " + _in("chain", t.CHAINS), name="chain"),
        CheckConstraint(_in("mode", tp.PROJECT_MODES), name="mode"),
        CheckConstraint(_in("confidence", t.CONFIDENCE), name="confidence"),
        CheckConstraint("signed_investment_cny_m IS NULL OR signed_investment_cny_m >= 0", name="signed"),
        CheckConstraint("jobs IS NULL OR jobs >= 0", name="jobs"),
        CheckConstraint("expected_output_cny_m IS NULL OR expected_output_cny_m >= 0", name="output"),
        CheckConstraint("expected_tax_cny_m IS NULL OR expected_tax_cny_m >= 0", name="tax"),
        CheckConstraint("rec_rank IS NULL OR rec_rank >= 1", name="rec_rank"),
    )

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(400))
    investor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    investor_name: Mapped[str] = mapped_column(String(300))
    origin_province: Mapped[str | None] = mapped_column(String(40))
    origin_country: Mapped[str] = mapped_column(String(60))
    park_id: Mapped[str] = mapped_column(ForeignKey("park.park_id"), index=True)
    chain: Mapped[str | None] = mapped_column(String(16), index=True)
    segment_id: Mapped[str | None] = mapped_column(ForeignKey("segment.segment_id"))
    mode: Mapped[str] = mapped_column(String(28))
    signed_investment_cny_m: Mapped[float | None] = mapped_column(Float)
    jobs: Mapped[int | None] = mapped_column(Integer)
    expected_output_cny_m: Mapped[float | None] = mapped_column(Float)
    expected_tax_cny_m: Mapped[float | None] = mapped_column(Float)
    planned_sign: Mapped[dt.date | None] = mapped_column(Date)
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_production: Mapped[dt.date | None] = mapped_column(Date)
    planned_capacity: Mapped[dt.date | None] = mapped_column(Date)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("promotion_event.event_id"), index=True)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("promotion_plan.plan_id"), index=True)
    rec_rank: Mapped[int | None] = mapped_column(Integer)
    rec_score: Mapped[float | None] = mapped_column(Float)
    rec_reason: Mapped[str | None] = mapped_column(Text)
    rec_model_version: Mapped[str | None] = mapped_column(String(80), index=True)
    rec_scope_id: Mapped[str | None] = mapped_column(String(140))


class StageEvent(VersionedMixin, Base):
    """One dated entry of a project's append-only stage log."""

    __tablename__ = "stage_event"
    __table_args__ = (
        UniqueConstraint("project_id", "stage", name="uq_stage_event_project_stage"),
        CheckConstraint(_in("stage", tp.STAGES), name="stage"),
        CheckConstraint("reason IS NULL OR " + _in("reason", tp.TERMINATION_REASONS), name="reason"),
        CheckConstraint("(stage = 'terminated') = (reason IS NOT NULL)", name="reason_terminated"),
    )

    stage_event_id: Mapped[str] = mapped_column(String(90), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.project_id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(24))
    on_date: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)


class ProjectFund(VersionedMixin, Base):
    """Funds that arrived for a project on a date (到位资金)."""

    __tablename__ = "project_fund"
    __table_args__ = (
        CheckConstraint("amount_cny_m >= 0", name="amount"),
        CheckConstraint(_in("use", tp.FUND_USES), name="use"),
    )

    fund_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.project_id", ondelete="CASCADE"), index=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    amount_cny_m: Mapped[float] = mapped_column(Float)
    use: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)
