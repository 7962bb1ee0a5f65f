"""Promotion KPIs on a hand-computed ledger, the stage-log rules, and a random-ledger check
against a plain per-project Python computation."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from parklink.errors import ValidationError
from parklink.promotion import compute_kpis, next_stage_problem, overdue_alerts, project_progress
from parklink.promotion.kpi import year_elapsed
from parklink.promotion.stages import ACTIVE_STAGES, LoggedStage

AS_OF = dt.date(2025, 6, 30)


def ledger() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    projects = pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "park_id": ["A", "A", "B", "B", "B", "A"],
        "chain": ["auto", "auto", "electronics", "electronics", "auto", "auto"],
        "origin": ["GD", "ZJ", "GD", "ZJ", "GD", "GD"],
        "event_id": ["E1", "E1", "E2", None, None, "E1"],
        "signed_investment_cny_m": [100.0, 200.0, 50.0, 80.0, None, 30.0],
        "planned_start": ["2025-03-01", "2024-12-01", "2025-12-01", "2024-06-01", None, None],
        "planned_production": ["2026-01-01", None, None, None, None, None],
    })
    ev = [
        ("P1", "lead", "2024-01-10"), ("P1", "negotiating", "2024-02-01"), ("P1", "signed", "2024-03-01"),
        ("P1", "construction_started", "2024-06-01"), ("P1", "in_production", "2025-01-01"),
        ("P2", "signed", "2024-05-01"),
        ("P3", "lead", "2025-01-01"), ("P3", "signed", "2025-02-01"), ("P3", "construction_started", "2025-02-01"),
        ("P4", "signed", "2024-01-01"), ("P4", "terminated", "2024-08-01"),
        ("P5", "lead", "2023-01-01"),
        ("P6", "lead", "2025-05-01"), ("P6", "signed", "2025-07-15"),
    ]
    events = pd.DataFrame(ev, columns=["project_id", "stage", "on"])
    funds = pd.DataFrame(
        [("P1", "2024-04-01", 20.0), ("P1", "2024-09-01", 30.0), ("P1", "2025-08-01", 40.0), ("P2", "2024-06-01", 10.0)],
        columns=["project_id", "on", "amount_cny_m"],
    )
    return projects, events, funds


def test_hand_computed_totals() -> None:
    projects, events, funds = ledger()
    row = compute_kpis(projects, events, funds, as_of=AS_OF).to_frame().iloc[0]
    assert row["n_projects"] == 6
    assert row["n_signed"] == 4  # P6 signs after the report date
    assert row["signed_investment_cny_m"] == 430.0
    assert row["n_started"] == 2
    assert row["n_performing"] == 3  # P1, P3 started; P2 has funds in place; P4 neither
    assert row["performance_rate"] == pytest.approx(0.75)
    assert row["n_in_production"] == 1 and row["production_rate"] == pytest.approx(0.25)
    assert row["n_terminated"] == 1 and row["n_at_capacity"] == 0
    assert row["n_planned_start"] == 3 and row["n_started_as_planned"] == 1
    assert row["start_rate"] == pytest.approx(1 / 3)
    assert row["funds_in_place_cny_m"] == 60.0  # the 2025-08-01 funds are after the date
    assert row["funds_rate"] == pytest.approx(60 / 430)
    assert row["days_lead_to_signed"] == pytest.approx((51 + 31) / 2)
    assert row["days_signed_to_started"] == pytest.approx((92 + 0) / 2)
    assert row["days_started_to_production"] == pytest.approx(214)
    assert np.isnan(row["days_production_to_capacity"])


def test_grouped_by_park_and_year() -> None:
    projects, events, funds = ledger()
    by_park = compute_kpis(projects, events, funds, as_of=AS_OF, by=["park_id"]).to_frame().set_index("park_id")
    assert by_park.loc["A", "n_projects"] == 3 and by_park.loc["A", "n_signed"] == 2
    assert by_park.loc["A", "performance_rate"] == pytest.approx(1.0)  # P1 started, P2 funds
    assert by_park.loc["B", "n_signed"] == 2 and by_park.loc["B", "n_terminated"] == 1
    assert by_park.loc["B", "funds_rate"] == 0.0
    by_year = compute_kpis(projects, events, funds, as_of=AS_OF, by=["signed_year"]).to_frame()
    counts = {(None if pd.isna(y) else int(y)): int(n) for y, n in zip(by_year["signed_year"], by_year["n_signed"], strict=True)}
    assert counts == {2024: 3, 2025: 1, None: 0}
    res = compute_kpis(projects, events, funds, as_of=AS_OF, by=["event_id"])
    s = res.summary()
    assert s["n_signed"] == 4 and s["performance_rate"] == pytest.approx(0.75)
    assert set(res.explain()) == {"progress"}


def test_unknown_group_is_refused() -> None:
    projects, events, funds = ledger()
    with pytest.raises(ValidationError, match="cannot group by"):
        compute_kpis(projects, events, funds, as_of=AS_OF, by=["investor; DROP TABLE x"])


def test_current_stage_is_derived_from_the_log() -> None:
    _p, events, funds = ledger()
    prog = project_progress(events, funds, as_of=AS_OF).set_index("project_id")["stage"].to_dict()
    assert prog == {"P1": "in_production", "P2": "signed", "P3": "construction_started", "P4": "terminated",
                    "P5": "lead", "P6": "lead"}


def test_overdue_and_stalled_alerts() -> None:
    projects, events, _f = ledger()
    alerts = overdue_alerts(projects, events, as_of=AS_OF, stall_days=90)
    got = {(r.project_id, r.alert): r.days for r in alerts.itertuples()}
    assert got == {
        ("P2", "start_overdue"): 211,
        ("P2", "stalled"): 425,
        ("P3", "stalled"): 149,
        ("P5", "stalled"): 911,
    }


def test_stage_log_rules() -> None:
    log = [LoggedStage("lead", "2024-01-01"), LoggedStage("signed", "2024-02-01")]
    assert next_stage_problem(log, "construction_started", "2024-03-01") is None
    assert "does not advance" in (next_stage_problem(log, "negotiating", "2024-03-01") or "")
    assert "before the last event" in (next_stage_problem(log, "in_production", "2024-01-15") or "")
    assert "reason" in (next_stage_problem(log, "terminated", "2024-03-01") or "")
    assert next_stage_problem(log, "terminated", "2024-03-01", "financing") is None
    done = [*log, LoggedStage("terminated", "2024-03-01")]
    assert "terminated" in (next_stage_problem(done, "in_production", "2024-04-01") or "")
    assert "unknown stage" in (next_stage_problem([], "won", "2024-01-01") or "")


def test_year_elapsed() -> None:
    assert year_elapsed(dt.date(2025, 12, 31)) == 1.0
    assert year_elapsed(dt.date(2024, 7, 1)) == pytest.approx(183 / 366)


def _reference(projects: pd.DataFrame, events: pd.DataFrame, funds: pd.DataFrame, as_of: dt.date) -> dict[str, float]:
    """Plain Python, one project at a time."""
    rank = {s: i for i, s in enumerate(ACTIVE_STAGES)}
    tot = {"signed": 0, "started": 0, "prod": 0, "inv": 0.0, "funds": 0.0, "planned": 0, "asplanned": 0,
           "performing": 0}
    for p in projects.itertuples():
        evs = [(dt.date.fromisoformat(e.on), e.stage) for e in events.itertuples()
               if e.project_id == p.project_id and dt.date.fromisoformat(e.on) <= as_of]
        reached = {rank[s] for _d, s in evs if s in rank}
        top = max(reached) if reached else -1
        if top < 2:
            continue
        tot["signed"] += 1
        tot["inv"] += p.signed_investment_cny_m
        tot["started"] += top >= 3
        tot["prod"] += top >= 4
        mine = sum(f.amount_cny_m for f in funds.itertuples()
                   if f.project_id == p.project_id and dt.date.fromisoformat(f.on) <= as_of)
        tot["funds"] += mine
        tot["performing"] += top >= 3 or mine > 0
        if p.planned_start and dt.date.fromisoformat(p.planned_start) <= as_of:
            tot["planned"] += 1
            tot["asplanned"] += top >= 3
    return tot


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ledger_matches_a_plain_computation(seed: int) -> None:
    rnd = random.Random(seed)
    projects, events, funds = [], [], []
    for i in range(60):
        pid = f"Q{i:03d}"
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rnd.randrange(700))
        projects.append((pid, rnd.choice("AB"), float(rnd.randrange(10, 500)),
                         (start + dt.timedelta(days=rnd.randrange(400))).isoformat()))
        day = start
        for stage in ACTIVE_STAGES[rnd.randrange(3):rnd.randrange(3, 7)]:
            events.append((pid, stage, day.isoformat()))
            day += dt.timedelta(days=rnd.randrange(0, 200))
        for _ in range(rnd.randrange(3)):
            funds.append((pid, (start + dt.timedelta(days=rnd.randrange(900))).isoformat(), float(rnd.randrange(1, 50))))
    p = pd.DataFrame(projects, columns=["project_id", "park_id", "signed_investment_cny_m", "planned_start"])
    e = pd.DataFrame(events, columns=["project_id", "stage", "on"])
    f = pd.DataFrame(funds, columns=["project_id", "on", "amount_cny_m"])
    as_of = dt.date(2024, 9, 30)
    row = compute_kpis(p, e, f, as_of=as_of).to_frame().iloc[0]
    ref = _reference(p, e, f, as_of)
    assert row["n_signed"] == ref["signed"]
    assert row["n_started"] == ref["started"]
    assert row["n_performing"] == ref["performing"]
    assert row["n_in_production"] == ref["prod"]
    assert row["signed_investment_cny_m"] == pytest.approx(ref["inv"])
    assert row["funds_in_place_cny_m"] == pytest.approx(ref["funds"])
    assert row["n_planned_start"] == ref["planned"]
    assert row["n_started_as_planned"] == ref["asplanned"]
