"""Joint investment promotion and the major-project pipeline (招商引资与重大项目).

``stages``: the pipeline's stages and the rules of the append-only stage-event log;
``kpi``: the published KPIs (performance, start, production and funds-in-place rates, days per
stage) and overdue / stalled alerts over the ledger; ``pipeline``: KPI inputs with their
groups, conversion of recommended targets, plan progress; ``service`` and ``plans``: the
operations the API and the CLI call (projects, stage events with optimistic locking, funds,
events, KPIs, plans and target lists, gap → lead); ``ledger``: the office ledger (台账)
import/export; ``synthetic``: the embedded default's seeded pipeline; ``plan``: the plan
section. The ledger's kinds are in :mod:`parklink.tables_promotion`.
"""

from parklink.promotion.kpi import (
    GROUPS,
    KPI_COLUMNS,
    KPIResult,
    compute_kpis,
    overdue_alerts,
    project_progress,
)
from parklink.promotion.stages import STAGE_LABELS, STAGES, TERMINATION_REASONS, next_stage_problem

__all__ = [
    "GROUPS",
    "KPI_COLUMNS",
    "STAGES",
    "STAGE_LABELS",
    "TERMINATION_REASONS",
    "KPIResult",
    "compute_kpis",
    "next_stage_problem",
    "overdue_alerts",
    "project_progress",
]
