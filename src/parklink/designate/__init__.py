"""Demonstration-park designation: the MILP on HiGHS, scenarios, explanations, comparison.

Main entry points::

    from parklink.designate import Scenario, designate, designate_from_frames, compare, historical_check
    from parklink.designate import NextBatchRules, plan_next_batch_from_frames   # the next batch
"""

from parklink.designate.api import (
    HistoricalCheck,
    candidates_from_frames,
    compare,
    compare_summary,
    designate_from_frames,
    existing_years,
    historical_check,
    targets_from_frame,
)
from parklink.designate.model import (
    DesignationResult,
    designate,
    group_label,
    pair_edges,
    validate_candidates,
)
from parklink.designate.next_api import (
    NextBatchResult,
    history_before,
    plan_next_batch,
    plan_next_batch_from_frames,
)
from parklink.designate.nextbatch import NextBatchInfeasibleError, NextBatchRules
from parklink.designate.plan import designation_section, plan_geojson, plan_section
from parklink.designate.scenario import BUILTIN_SCENARIOS, PROGRAMME_TARGETS, Scenario

__all__ = [
    "BUILTIN_SCENARIOS",
    "PROGRAMME_TARGETS",
    "DesignationResult",
    "HistoricalCheck",
    "NextBatchInfeasibleError",
    "NextBatchResult",
    "NextBatchRules",
    "Scenario",
    "candidates_from_frames",
    "compare",
    "compare_summary",
    "designate",
    "designate_from_frames",
    "designation_section",
    "existing_years",
    "group_label",
    "historical_check",
    "history_before",
    "pair_edges",
    "plan_geojson",
    "plan_next_batch",
    "plan_next_batch_from_frames",
    "plan_section",
    "targets_from_frame",
    "validate_candidates",
]
