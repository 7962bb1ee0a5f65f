"""Joint investment promotion and the major-project pipeline (招商引资与重大项目).

``stages``: the pipeline's stages and the rules of the append-only stage-event log;
``kpi``: the published KPIs (performance, start, production and funds-in-place rates, days per
stage) and overdue / stalled alerts over the ledger.
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
