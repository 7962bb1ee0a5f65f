"""The project pipeline's stages (招商项目阶段) and the rules of its append-only event log.

A project's history is a log of dated stage events; its current stage is *derived* from the
log, never stored. Stages advance in order (a later event may skip stages: a project signed
at an event may be recorded as ``signed`` without a ``lead`` event); ``terminated`` ends a
project from any stage and takes a reason code. See ``docs/promotion.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parklink import tables_promotion as tp
from parklink.vocab import STAGE_NAMES, TERMINATION_REASON_NAMES

__all__ = [
    "ACTIVE_STAGES",
    "STAGES",
    "STAGE_LABELS",
    "STAGE_RANK",
    "TERMINATED",
    "TERMINATION_REASONS",
    "LoggedStage",
    "next_stage_problem",
]

#: The pipeline in order (终止 terminated is not on it); codes from :mod:`parklink.tables_promotion`.
ACTIVE_STAGES: tuple[str, ...] = tp.ACTIVE_STAGES
TERMINATED = "terminated"
STAGES: tuple[str, ...] = tp.STAGES

#: stage → rank on the pipeline (terminated: −1, it is off the pipeline).
STAGE_RANK: dict[str, int] = {s: i for i, s in enumerate(ACTIVE_STAGES)} | {TERMINATED: -1}

#: Bilingual stage labels (the vocabulary's).
STAGE_LABELS = STAGE_NAMES

#: Controlled list of reasons a project ends (Odoo's ``lost_reason`` idea): code → (中文, English).
TERMINATION_REASONS = TERMINATION_REASON_NAMES


@dataclass(frozen=True, slots=True)
class LoggedStage:
    """One event already in a project's log (what the next event is checked against)."""

    stage: str
    on: str  # ISO date


def next_stage_problem(log: Sequence[LoggedStage], stage: str, on: str, reason: str | None = None) -> str | None:
    """Why ``stage`` on date ``on`` (ISO) cannot be appended to ``log`` — or ``None`` if it can.

    Rules: the stage is known; a terminated project takes no further event; dates never go
    back; an active stage must be later on the pipeline than the current one; ``terminated``
    needs a reason from :data:`TERMINATION_REASONS`.
    """
    if stage not in STAGE_RANK:
        return f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}"
    if stage == TERMINATED and (reason is None or reason not in TERMINATION_REASONS):
        return f"terminating needs a reason code: one of {', '.join(TERMINATION_REASONS)}"
    if stage != TERMINATED and reason:
        return "a reason code goes only with 'terminated'"
    if not log:
        return None
    last = log[-1]
    if last.stage == TERMINATED:
        return "the project is terminated: no further stage event"
    if on < last.on:
        return f"date {on} is before the last event ({last.stage} on {last.on})"
    if stage != TERMINATED and STAGE_RANK[stage] <= STAGE_RANK[last.stage]:
        return f"stage {stage!r} does not advance from the current stage {last.stage!r}"
    return None
