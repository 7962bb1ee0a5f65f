"""Pydantic models of the promotion API, derived from the promotion table schemas
(:mod:`parklink.tables_promotion`) like the registry's (:mod:`parklink.web.schemas`), plus the
request bodies of the actions (advance a project, create a lead from a target, drop or add a
target) and the response shapes of details, KPIs and alerts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, create_model

from parklink import tables_promotion as tp
from parklink.web.schemas import _models

_projects = _models("projects")
_events = _models("promotion_events")
_plans = _models("promotion_plans")

#: ``by`` of the KPI API → the KPI engine's group column.
KPI_BY: dict[str, str] = {
    "park": "park_id", "designation": "designation_id", "zone": "zone_id", "chain": "chain",
    "origin": "origin", "event": "event_id", "year": "signed_year", "in_park": "in_park",
}
KpiBy = Literal["park", "designation", "zone", "chain", "origin", "event", "year", "in_park"]
StageCode = Literal["lead", "negotiating", "signed", "construction_started", "in_production", "at_capacity",
                    "terminated"]
ReasonCode = Literal["investor_withdrew", "financing", "land", "approval", "relocated", "market", "other"]
assert set(StageCode.__args__) == set(tp.STAGES)  # type: ignore[attr-defined]
assert set(ReasonCode.__args__) == set(tp.TERMINATION_REASONS)  # type: ignore[attr-defined]
#: Fields a create request may leave out (the service fills in defaults).
DEFAULTED = ("synthetic", "confidence", "origin_country", "mode", "status", "country")


def _variant(model: type[BaseModel], name: str, doc: str, *, optional: tuple[str, ...] = (),
             extra: dict[str, Any] | None = None) -> type[BaseModel]:
    """A strict copy of the generated ``model`` with the fields ``optional`` made optional
    (default None) and ``extra`` fields added."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        if fname in optional:
            copy = info._copy()  # keeps pattern / length / range constraints
            copy.default = None
            annotation: Any = info.annotation
            fields[fname] = (annotation | None, copy)
        else:
            fields[fname] = (info.annotation, info)
    out: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc,
                                        **fields, **(extra or {}))
    return out


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ProjectCreate = _variant(
    _projects[2], "ProjectCreate",
    "A new lead or project (``project_id`` generated when absent); ``stage`` (default lead) is its "
    "first stage event dated ``on_date`` (default today). Not synthetic, confidence unconfirmed, origin "
    "CN and mode new unless given.",
    optional=("project_id", *DEFAULTED),
    extra={"stage": (StageCode, Field(default="lead", description="the first stage event")),
           "on_date": (dt.date | None, Field(default=None, description="date of the first stage event"))})
EventCreate = _variant(_events[2], "EventCreate", "A new joint promotion event (``event_id`` generated when absent).",
                       optional=("event_id", *DEFAULTED))


class StageEventIn(_Strict):
    """A stage event to append to a project's log (the project advances)."""

    stage: StageCode = Field(description="the new stage (later on the pipeline than the current one), or terminated")
    on_date: dt.date = Field(description="date the project entered the stage (not before its last event)")
    source: str | None = Field(default=None, min_length=1, max_length=1000, description="evidence")
    reason: ReasonCode | None = Field(default=None, description="only with terminated: the reason code")
    note: str | None = Field(default=None, min_length=1, max_length=2000)


FundUse = Literal["fixed_assets", "working_capital", "unknown"]
assert set(FundUse.__args__) == set(tp.FUND_USES)  # type: ignore[attr-defined]


class FundsIn(_Strict):
    """Funds that arrived for a project on a date (an increment of its funds in place)."""

    on_date: dt.date = Field(description="date the funds arrived (one entry per project and date)")
    amount_cny_m: float = Field(gt=0, le=1e7, description="amount arrived, million CNY (百万元)")
    use: FundUse = Field(default="unknown", description="fixed assets, working capital or unknown")
    source: str | None = Field(default=None, min_length=1, max_length=1000, description="evidence (bank slip, report)")


class LeadFromTarget(_Strict):
    """Create a lead from a plan target: the park it goes to (default: the plan's only park)."""

    park_id: str | None = Field(default=None, min_length=1, max_length=64)
    origin_province: str | None = Field(default=None, min_length=1, max_length=40)
    on_date: dt.date | None = None


class TargetDrop(_Strict):
    """Drop a target from the plan's list, with the reason (kept, status dropped)."""

    drop_reason: str = Field(min_length=1, max_length=1000)


class TargetAdd(_Strict):
    """Add a target firm to the plan's list by hand (status added)."""

    segment_id: str = Field(min_length=1, max_length=80)
    enterprise_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    enterprise_name: str | None = Field(default=None, min_length=1, max_length=300)
    reason: str | None = Field(default=None, min_length=1, max_length=2000)


class Goal(_Strict):
    """One year's goals of a plan."""

    year: int = Field(ge=2000, le=2100)
    projects: int | None = Field(default=None, ge=0)
    signed_investment_cny_m: float | None = Field(default=None, ge=0)
    funds_in_place_cny_m: float | None = Field(default=None, ge=0)


PlanCreate = _variant(
    _plans[2], "PlanCreate",
    "A new promotion plan with its yearly goals; ``from_engine`` fills the target list with the chain "
    "engine's ranked targets for the scope (needs the firm dataset).",
    optional=DEFAULTED,
    extra={"goals": (list[Goal], Field(default_factory=list, max_length=50)),
           "from_engine": (bool, Field(default=False, description="rank targets with the chain engine"))})


class TimelineEntry(BaseModel):
    """One stage event of a project's log (who and evidence empty on a redacted view)."""

    stage_event_id: str
    stage: str
    on_date: dt.date
    recorded_by: str | None = None
    source: str | None = None
    reason: str | None = None
    note: str | None = None


class FundEntry(BaseModel):
    """Funds arrived on a date (million CNY)."""

    on_date: dt.date
    amount_cny_m: float
    use: str
    source: str | None = None


class FundsOut(BaseModel):
    """A project's funds-in-place series (empty and ``redacted`` when the caller sees the
    project only as a signed, unpublished project)."""

    project_id: str
    row_version: int
    redacted: bool
    funds: list[FundEntry]
    funds_in_place_cny_m: float
    signed_investment_cny_m: float | None


class ProjectView(BaseModel):
    """A project as the caller may see it: every column of the ledger (investor fields and
    names null when ``redacted``), ``stage`` derived from its log, the date of its last event."""

    model_config = ConfigDict(extra="allow")
    project_id: str
    park_id: str
    stage: str | None = None
    last_event: dt.date | None = None
    redacted: bool = False
    synthetic: bool | None = None
    row_version: int | None = None


class ProjectPage(BaseModel):
    """A page of projects visible to the caller; ``hidden`` counts matching projects not shown."""

    items: list[ProjectView]
    total: int
    hidden: int
    page: int
    page_size: int


class ProjectDetailOut(BaseModel):
    """A project with its derived stage, its timeline (log order) and funds in place."""

    project: ProjectView
    stage: str | None
    row_version: int
    timeline: list[TimelineEntry]
    funds: list[FundEntry]
    funds_in_place_cny_m: float


class KPIOut(BaseModel):
    """KPI table by group, the totals (rates recomputed from totals) and the column labels."""

    by: str
    year: int | None
    as_of: dt.date
    year_elapsed: float
    data: str = Field(description="all, real or synthetic projects")
    synthetic: bool = Field(description="true when a synthetic project is counted")
    summary: dict[str, Any]
    columns: dict[str, list[str]] = Field(description="KPI column → [中文, English, unit]")
    rows: list[dict[str, Any]]


class AlertOut(BaseModel):
    """Overdue milestones and stalled projects; items only for projects the caller may see."""

    as_of: dt.date
    stall_days: int
    counts: dict[str, int]
    total: int
    items: list[dict[str, Any]]


class PlanDetailOut(BaseModel):
    """A plan with goals vs achievement, conversions by model version and (for those who
    may write the plan) its target list."""

    plan: dict[str, Any]
    row_version: int
    goals: list[dict[str, Any]]
    conversion: list[dict[str, Any]]
    targets: list[dict[str, Any]] | None = Field(description="null when the caller may not see firm names")
    synthetic: bool


class EventDetailOut(BaseModel):
    """An event with the KPIs of its cohort (aggregates: public)."""

    event: dict[str, Any]
    row_version: int
    kpis: dict[str, Any]
    synthetic: bool


if TYPE_CHECKING:
    EventOut: TypeAlias = BaseModel
    EventUpdate: TypeAlias = BaseModel
    PlanOut: TypeAlias = BaseModel
    PlanUpdate: TypeAlias = BaseModel
    PlanUpdateIn: TypeAlias = BaseModel
    ProjectUpdate: TypeAlias = BaseModel
else:
    EventOut, _, _, EventUpdate = _events
    PlanOut, _, _, PlanUpdate = _plans
    PlanUpdateIn = _variant(PlanUpdate, "PlanUpdateIn",
                            "Changes to a plan (partial); ``goals`` creates or changes the goals of the years given "
                            "(other years are kept).",
                            extra={"goals": (list[Goal] | None, Field(default=None, max_length=50))})
    ProjectUpdate = _projects[3]
