"""Canonical table schemas of the investment-promotion ledger (招商台账): plans, their yearly
goals and target lists, joint promotion events, projects (leads included), the append-only
stage-event log and the dated funds-in-place series.

Registered in :data:`parklink.tables.SCHEMAS` by :mod:`parklink.tables`, so the generic
import/export (CSV UTF-8/GBK, XLSX, Parquet), upsert/dry-run, row-level errors and
``parklink history`` apply to them. Amounts are million CNY (百万元), dates ISO 8601.
Every row carries ``synthetic`` (seeded synthetic rows of the embedded default) and its
provenance (``source_url``, ``confidence``). See ``docs/promotion.md``.
"""

from __future__ import annotations

from parklink.tables import CHAINS, CONFIDENCE, PIP_MODES, SCHEMAS, Column, TableSchema

__all__ = [
    "ACTIVE_STAGES",
    "FUND_USES",
    "PLAN_SCOPE_KINDS",
    "PLAN_STATUSES",
    "PROJECT_MODES",
    "PROMOTION_SCHEMAS",
    "STAGES",
    "TARGET_STATUSES",
    "TERMINATION_REASONS",
]

#: The pipeline in order; ``terminated`` ends a project from any stage (with a reason).
ACTIVE_STAGES: tuple[str, ...] = (
    "lead", "negotiating", "signed", "construction_started", "in_production", "at_capacity",
)
STAGES: tuple[str, ...] = (*ACTIVE_STAGES, "terminated")
#: Controlled list of reasons a project ends.
TERMINATION_REASONS: tuple[str, ...] = (
    "investor_withdrew", "financing", "land", "approval", "relocated", "market", "other",
)
#: Who owns a promotion plan: a designation, a pair of parks, one park or a zone.
PLAN_SCOPE_KINDS: tuple[str, ...] = ("designation", "park_pair", "park", "zone")
PLAN_STATUSES: tuple[str, ...] = ("draft", "active", "closed")
#: A plan target is on the list as the engine ranked it, added by hand, or dropped (reason).
TARGET_STATUSES: tuple[str, ...] = ("ranked", "added", "dropped")
#: How a project comes to the park: a new investment, an expansion, a relocation, or one of
#: the three "park in the park" (园中园) modes of the programme.
#: The park-in-the-park codes are ``pip_`` + the co-construction registry's modes
#: (:data:`parklink.tables.PIP_MODES`), so a project and a park in the park share one vocabulary.
PROJECT_MODES: tuple[str, ...] = ("new", "expansion", "relocation", *(f"pip_{m}" for m in PIP_MODES))
FUND_USES: tuple[str, ...] = ("fixed_assets", "working_capital", "unknown")

_ID = r"^[A-Za-z0-9_.-]+$"
_SOURCE = (
    Column("synthetic", "bool", doc="true for seeded synthetic rows (合成数据), never mixed unlabelled"),
    Column("source_url", "str", required=False, max_length=2000,
           doc="where the facts of this row come from (the generator note for synthetic rows)"),
    Column("confidence", "str", choices=CONFIDENCE, doc="confirmed / likely / unconfirmed / synthetic"),
)

PROMOTION_PLANS = TableSchema(
    "promotion_plans",
    (
        Column("plan_id", "str", pattern=_ID, max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("scope_kind", "str", choices=PLAN_SCOPE_KINDS,
               doc="owner: designation, park_pair (two park ids), park or zone"),
        Column("scope_id", "str", max_length=140,
               doc="designation_id, park_id, zone_id, or 'PARK_A+PARK_B' for a park pair"),
        Column("period_start", "int", minimum=2000, maximum=2100, doc="first year of the plan"),
        Column("period_end", "int", minimum=2000, maximum=2100, doc="last year of the plan"),
        Column("focal_chains", "list", required=False, choices=CHAINS, max_length=200),
        Column("focal_segments", "list", required=False, ref="chain_segments.segment_id", max_length=4000),
        Column("status", "str", choices=PLAN_STATUSES),
        Column("note", "str", required=False, max_length=4000, multiline=True),
        *_SOURCE,
    ),
    key=("plan_id",),
    doc="Investment-promotion plans (招商计划) of a designation, park pair, park or zone.",
)

PLAN_GOALS = TableSchema(
    "plan_goals",
    (
        Column("goal_id", "str", pattern=r"^[A-Za-z0-9_.-]+:[0-9]{4}$", max_length=80,
               doc="'PLAN_ID:YEAR'"),
        Column("plan_id", "str", ref="promotion_plans.plan_id", max_length=64),
        Column("year", "int", minimum=2000, maximum=2100),
        Column("projects", "int", required=False, minimum=0, doc="signed projects aimed for"),
        Column("signed_investment_cny_m", "float", required=False, minimum=0.0,
               doc="signed investment aimed for, million CNY"),
        Column("funds_in_place_cny_m", "float", required=False, minimum=0.0,
               doc="funds in place aimed for, million CNY"),
    ),
    key=("goal_id",),
    doc="Yearly goals of a promotion plan (projects, signed investment, funds in place).",
)

PLAN_TARGETS = TableSchema(
    "plan_targets",
    (
        Column("target_id", "str", max_length=240, pattern=r"^[A-Za-z0-9_.:+-]+$",
               doc="'PLAN_ID:SEGMENT_ID:ENTERPRISE_ID'"),
        Column("plan_id", "str", ref="promotion_plans.plan_id", max_length=64),
        Column("segment_id", "str", ref="chain_segments.segment_id", max_length=80),
        Column("enterprise_id", "str", max_length=64, pattern=_ID,
               doc="the target firm (registry or firm-dataset id)"),
        Column("enterprise_name", "str", required=False, max_length=300),
        Column("rank", "int", required=False, minimum=1, doc="rank in the engine's list for the gap"),
        Column("score", "float", required=False, doc="the engine's target score"),
        Column("reason", "str", required=False, max_length=2000, doc="the engine's reason text"),
        Column("model_version", "str", required=False, max_length=80,
               doc="ranking model version that produced the recommendation"),
        Column("status", "str", choices=TARGET_STATUSES),
        Column("drop_reason", "str", required=False, max_length=1000,
               doc="why the target was dropped (required when status = dropped)"),
    ),
    key=("target_id",),
    doc="The target list of a plan: the chain engine's ranked investment targets, edited.",
)

PROMOTION_EVENTS = TableSchema(
    "promotion_events",
    (
        Column("event_id", "str", pattern=_ID, max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("held_on", "date"),
        Column("city", "str", max_length=100),
        Column("country", "str", max_length=60, doc="'CN' or the country name"),
        Column("organisers_sc", "str", required=False, max_length=1000, doc="Sichuan-side organisers"),
        Column("organisers_cq", "str", required=False, max_length=1000, doc="Chongqing-side organisers"),
        Column("chains", "list", required=False, choices=CHAINS, max_length=200),
        Column("invited_firms", "int", required=False, minimum=0),
        Column("attending_firms", "int", required=False, minimum=0),
        Column("leads_generated", "int", required=False, minimum=0),
        Column("signed_on_site", "int", required=False, minimum=0, doc="projects signed on site"),
        Column("signed_on_site_cny_m", "float", required=False, minimum=0.0,
               doc="investment signed on site, million CNY"),
        *_SOURCE,
    ),
    key=("event_id",),
    doc="Joint investment-promotion events (联合招商活动); each is a KPI cohort.",
)

PROJECTS = TableSchema(
    "projects",
    (
        Column("project_id", "str", pattern=_ID, max_length=64),
        Column("name_zh", "str", max_length=300),
        Column("name_en", "str", required=False, max_length=400),
        Column("investor_id", "str", required=False, pattern=_ID, max_length=64,
               doc="registry or firm-dataset enterprise id of the investor (empty: free name)"),
        Column("investor_name", "str", max_length=300),
        Column("origin_province", "str", required=False, max_length=40,
               doc="investor's home province (e.g. 广东 / GD); empty if foreign"),
        Column("origin_country", "str", max_length=60, doc="'CN' or the country name"),
        Column("park_id", "str", ref="parks.park_id", max_length=64),
        Column("chain", "str", required=False, choices=CHAINS),
        Column("segment_id", "str", required=False, ref="chain_segments.segment_id", max_length=80),
        Column("mode", "str", choices=PROJECT_MODES,
               doc="new / expansion / relocation, or a park-in-the-park (园中园) mode"),
        Column("signed_investment_cny_m", "float", required=False, minimum=0.0,
               doc="agreed investment (协议投资额), million CNY"),
        Column("jobs", "int", required=False, minimum=0),
        Column("expected_output_cny_m", "float", required=False, minimum=0.0,
               doc="expected annual output at capacity, million CNY"),
        Column("expected_tax_cny_m", "float", required=False, minimum=0.0,
               doc="expected annual tax at capacity, million CNY"),
        Column("planned_sign", "date", required=False),
        Column("planned_start", "date", required=False),
        Column("planned_production", "date", required=False),
        Column("planned_capacity", "date", required=False),
        Column("event_id", "str", required=False, ref="promotion_events.event_id", max_length=64),
        Column("plan_id", "str", required=False, ref="promotion_plans.plan_id", max_length=64),
        Column("rec_rank", "int", required=False, minimum=1, doc="recommendation: rank in the target list"),
        Column("rec_score", "float", required=False, doc="recommendation: target score"),
        Column("rec_reason", "str", required=False, max_length=2000, doc="recommendation: reason"),
        Column("rec_model_version", "str", required=False, max_length=80,
               doc="recommendation: ranking model version"),
        Column("rec_scope_id", "str", required=False, max_length=140,
               doc="recommendation: scope of the chain diagnosis (e.g. park:X)"),
        *_SOURCE,
    ),
    key=("project_id",),
    doc="Leads and projects (招商线索/重大项目); the current stage is derived from stage_events.",
)

STAGE_EVENTS = TableSchema(
    "stage_events",
    (
        Column("stage_event_id", "str", pattern=r"^[A-Za-z0-9_.-]+:[a-z_]+$", max_length=90,
               doc="'PROJECT_ID:STAGE' (a project enters each stage at most once)"),
        Column("project_id", "str", ref="projects.project_id", max_length=64),
        Column("stage", "str", choices=STAGES),
        Column("on_date", "date", doc="the date the project entered the stage"),
        Column("recorded_by", "str", max_length=80),
        Column("source", "str", required=False, max_length=1000, doc="evidence: document, ledger, page"),
        Column("reason", "str", required=False, choices=TERMINATION_REASONS,
               doc="why the project was terminated (only with stage = terminated)"),
        Column("note", "str", required=False, max_length=2000, multiline=True),
    ),
    key=("stage_event_id",),
    doc="The append-only stage-event log of projects: rows are added, never changed or removed.",
)

PROJECT_FUNDS = TableSchema(
    "project_funds",
    (
        Column("fund_id", "str", pattern=r"^[A-Za-z0-9_.:-]+$", max_length=100,
               doc="'PROJECT_ID:YYYY-MM-DD' (one entry per project and date)"),
        Column("project_id", "str", ref="projects.project_id", max_length=64),
        Column("on_date", "date"),
        Column("amount_cny_m", "float", minimum=0.0, doc="funds arrived on that date, million CNY"),
        Column("use", "str", choices=FUND_USES),
        Column("source", "str", required=False, max_length=1000),
    ),
    key=("fund_id",),
    doc="Funds in place (到位资金) of projects as a dated series of arrivals.",
)

#: The promotion kinds in foreign-key order.
PROMOTION_SCHEMAS: tuple[TableSchema, ...] = (
    PROMOTION_PLANS, PLAN_GOALS, PLAN_TARGETS, PROMOTION_EVENTS, PROJECTS, STAGE_EVENTS, PROJECT_FUNDS,
)

SCHEMAS.update({s.kind: s for s in PROMOTION_SCHEMAS})
