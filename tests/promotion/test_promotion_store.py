"""The promotion ledger in the database (SQLite and PostgreSQL): KPIs of a small stored ledger
against hand-computed values, concurrent advances, the append-only log, history, gap → lead
provenance and conversion."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest

from parklink.errors import ConflictError, NotFoundError, ValidationError
from parklink.promotion import plans, service
from parklink.promotion.pipeline import conversion
from parklink.store import session_scope
from parklink.store.db import upgrade
from parklink.store.history import read_history
from parklink.store.io import LOAD_ORDER, write_frame
from parklink.testing import tiny_registry

AS_OF = dt.date(2025, 6, 30)
D = dt.date.fromisoformat
ME = {"actor": "test", "via": "test"}


@pytest.fixture
def url(db_url: str) -> str:
    upgrade(db_url)
    frames = tiny_registry()
    with session_scope(db_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return db_url


def _project(s: object, pid: str, park: str, inv: float | None, planned_start: str | None, event: str | None,
             first: tuple[str, str], chain: str = "auto", origin: str = "广东") -> None:
    row = {"project_id": pid, "name_zh": f"项目{pid}", "investor_name": f"投资方{pid}", "park_id": park, "chain": chain,
           "origin_province": origin, "signed_investment_cny_m": inv, "planned_start": planned_start, "event_id": event}
    service.create_project(s, {k: v for k, v in row.items() if v is not None}, stage=first[0], on=D(first[1]),  # type: ignore[arg-type]
                           **ME)


def load_ledger(url: str) -> None:
    """The hand-computed ledger of test_promotion_kpi.py, written through the service."""
    with session_scope(url) as s:
        service.create_event(s, {"event_id": "E1", "name_zh": "推介会一", "name_en": "fair 1", "held_on": "2024-03-01",
                                 "city": "深圳"}, **ME)
        service.create_event(s, {"event_id": "E2", "name_zh": "推介会二", "name_en": "fair 2", "held_on": "2025-02-01",
                                 "city": "上海"}, **ME)
        _project(s, "P1", "sc-a", 100.0, "2025-03-01", "E1", ("lead", "2024-01-10"))
        _project(s, "P2", "sc-a", 200.0, "2024-12-01", "E1", ("signed", "2024-05-01"), origin="浙江")
        _project(s, "P3", "cq-b", 50.0, "2025-12-01", "E2", ("lead", "2025-01-01"), chain="electronics")
        _project(s, "P4", "cq-b", 80.0, "2024-06-01", None, ("signed", "2024-01-01"), chain="electronics", origin="浙江")
        _project(s, "P5", "cq-c", None, None, None, ("lead", "2023-01-01"))
        _project(s, "P6", "sc-a", 30.0, None, "E1", ("lead", "2025-05-01"))
    steps = [("P1", "negotiating", "2024-02-01"), ("P1", "signed", "2024-03-01"),
             ("P1", "construction_started", "2024-06-01"), ("P1", "in_production", "2025-01-01"),
             ("P3", "signed", "2025-02-01"), ("P3", "construction_started", "2025-02-01"),
             ("P6", "signed", "2025-07-15")]
    with session_scope(url) as s:
        for pid, stage, on in steps:
            service.advance_project(s, pid, stage, D(on), expected_version=None, **ME)
        service.advance_project(s, "P4", "terminated", D("2024-08-01"), expected_version=None, reason="financing", **ME)
        for pid, on, amount in (("P1", "2024-04-01", 20.0), ("P1", "2024-09-01", 30.0), ("P1", "2025-08-01", 40.0),
                                ("P2", "2024-06-01", 10.0)):
            service.add_funds(s, pid, D(on), amount, expected_version=None, **ME)


def test_kpis_of_a_stored_ledger_match_hand_computed_values(url: str) -> None:
    load_ledger(url)
    with session_scope(url) as s:
        row = service.kpis(s, as_of=AS_OF).to_frame().iloc[0]
        by_des = service.kpis(s, as_of=AS_OF, by=["designation_id"]).to_frame()
        by_event = service.kpis(s, as_of=AS_OF, by=["event_id"]).to_frame()
        by_origin = service.kpis(s, as_of=AS_OF, by=["origin"]).to_frame().set_index("origin")
        cohort24 = service.kpis(s, as_of=AS_OF, year=2024).to_frame().iloc[0]
    assert row["n_projects"] == 6 and row["n_signed"] == 4  # P6 signs after the date
    assert row["signed_investment_cny_m"] == 430.0
    assert row["n_performing"] == 3 and row["performance_rate"] == pytest.approx(0.75)
    assert row["n_started"] == 2 and row["production_rate"] == pytest.approx(0.25)
    assert row["n_planned_start"] == 3 and row["start_rate"] == pytest.approx(1 / 3)
    assert row["funds_in_place_cny_m"] == 60.0 and row["funds_rate"] == pytest.approx(60 / 430)
    assert row["days_lead_to_signed"] == pytest.approx((51 + 31) / 2)
    # designation b1-a-b = sc-a + cq-b: P1, P2, P3, P4, P6; cq-c (P5) is in no designation
    des = by_des.set_index(by_des["designation_id"].fillna("—"))
    assert des.loc["b1-a-b", "n_projects"] == 5 and des.loc["b1-a-b", "n_signed"] == 4
    assert des.loc["—", "n_projects"] == 1 and des.loc["—", "n_signed"] == 0
    ev = by_event.set_index(by_event["event_id"].fillna("—"))
    assert ev.loc["E1", "n_signed"] == 2 and ev.loc["E1", "performance_rate"] == pytest.approx(1.0)
    assert ev.loc["E2", "n_started"] == 1
    assert by_origin.loc["浙江", "n_signed"] == 2 and by_origin.loc["浙江", "funds_rate"] == pytest.approx(10 / 280)
    # the 2024 cohort: P1, P2, P4 signed in 2024
    assert cohort24["n_signed"] == 3 and cohort24["n_performing"] == 2


def test_current_stage_is_derived_and_alerts_listed(url: str) -> None:
    load_ledger(url)
    with session_scope(url) as s:
        listed = service.list_projects(s).set_index("project_id")
        alerts = service.alerts(s, as_of=AS_OF, stall_days=90)
        detail = service.get_project(s, "P4")
    assert listed["stage"].to_dict() == {"P1": "in_production", "P2": "signed", "P3": "construction_started",
                                         "P4": "terminated", "P5": "lead", "P6": "signed"}
    assert detail.stage == "terminated" and detail.events["reason"].iloc[-1] == "financing"
    got = {(r.project_id, r.alert) for r in alerts.itertuples()}
    assert ("P2", "start_overdue") in got and ("P5", "stalled") in got
    assert not any(p == "P4" for p, _a in got)  # terminated projects raise no alert


def test_two_concurrent_advances_one_is_rejected(url: str) -> None:
    with session_scope(url) as s:
        _project(s, "C1", "sc-a", 10.0, None, None, ("lead", "2024-01-01"))
        version = service.get_project(s, "C1").row_version
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def officer(stage: str) -> None:
        barrier.wait()
        try:
            with session_scope(url) as s:
                outcomes[stage] = service.advance_project(s, "C1", stage, D("2024-03-01"), expected_version=version,
                                                          actor=f"officer-{stage}", via="test").row_version
        except ConflictError as exc:
            outcomes[stage] = exc

    threads = [threading.Thread(target=officer, args=(st,)) for st in ("negotiating", "signed")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [k for k, v in outcomes.items() if isinstance(v, int)]
    lost = [v for v in outcomes.values() if isinstance(v, ConflictError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert "someone else changed it" in str(lost[0]) and lost[0].expected == version
    with session_scope(url) as s:
        d = service.get_project(s, "C1")
    assert d.events["stage"].tolist() == ["lead", won[0]]  # the loser wrote nothing
    assert d.row_version == version + 1


def test_same_stage_twice_and_log_rules(url: str) -> None:
    with session_scope(url) as s:
        _project(s, "C2", "sc-a", 10.0, None, None, ("lead", "2024-01-01"))
        service.advance_project(s, "C2", "signed", D("2024-02-01"), expected_version=None, **ME)
    with session_scope(url) as s, pytest.raises(ValidationError, match="does not advance"):
        service.advance_project(s, "C2", "signed", D("2024-03-01"), expected_version=None, **ME)
    with session_scope(url) as s, pytest.raises(ValidationError, match="before the last event"):
        service.advance_project(s, "C2", "construction_started", D("2024-01-15"), expected_version=None, **ME)
    with session_scope(url) as s, pytest.raises(ValidationError, match="reason"):
        service.advance_project(s, "C2", "terminated", D("2024-03-01"), expected_version=None, **ME)
    with session_scope(url) as s, pytest.raises(ConflictError):
        service.advance_project(s, "C2", "construction_started", D("2024-03-01"), expected_version=1, **ME)
    with session_scope(url) as s, pytest.raises(NotFoundError):
        service.advance_project(s, "NOPE", "signed", D("2024-03-01"), expected_version=None, **ME)


def test_every_write_is_in_the_history(url: str) -> None:
    load_ledger(url)
    with session_scope(url) as s:
        service.update_project(s, "P2", {"jobs": 120}, expected_version=None, actor="alice", via="test edit")
        ev = read_history(s, "stage_events", "P1:signed")
        pr = read_history(s, "projects", "P2")
        fu = read_history(s, "project_funds", "P1:2024-04-01")
    assert [e["action"] for e in ev] == ["insert"]
    assert pr[0]["action"] == "update" and pr[0]["field"] == "jobs" and pr[0]["new"] == "120" and pr[0]["actor"] == "alice"
    assert pr[-1]["action"] == "insert"
    assert fu[0]["action"] == "insert"


def test_stage_log_is_append_only_through_the_generic_import(url: str, tmp_path: Path) -> None:
    from parklink.ingest.api import export_file, import_file

    load_ledger(url)
    path = tmp_path / "stage_events.csv"
    export_file("stage_events", path, session_url=url)
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    frame.loc[frame["stage_event_id"] == "P1:signed", "on_date"] = "2024-03-05"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(ValidationError, match="append-only") as err:
        import_file("stage_events", path, session_url=url, mode="upsert")
    assert [p.value for p in err.value.problems] == ["P1:signed"]
    # a new, consistent event imports; one contradicting the stored log does not
    new = pd.DataFrame([{"stage_event_id": "P2:construction_started", "project_id": "P2",
                         "stage": "construction_started", "on_date": "2025-01-10", "recorded_by": "x"},
                        {"stage_event_id": "P4:signed", "project_id": "P4", "stage": "signed",
                         "on_date": "2024-01-01", "recorded_by": "x"}])
    new.to_csv(path, index=False)
    with pytest.raises(ValidationError) as err2:
        import_file("stage_events", path, session_url=url, mode="append")
    assert len(err2.value.problems) == 1 and err2.value.problems[0].row == 3
    new.iloc[:1].to_csv(path, index=False)
    assert import_file("stage_events", path, session_url=url, mode="append").rows == 1


TARGETS = pd.DataFrame({
    "segment_id": ["auto.castings", "auto.castings", "auto.vehicles"],
    "enterprise_id": ["F1", "F2", "F3"], "enterprise_name": ["甲铸造", "乙铸造", "丙整车"], "province": ["OUT"] * 3,
    "rank": [1, 2, 1], "score": [0.91, 0.72, 0.66], "reason": ["sells into the scope", "close", "leader tie"],
    "model_version": ["chains.targets/aaaa1111", "chains.targets/aaaa1111", "chains.targets/bbbb2222"],
    "scope_id": ["park:sc-a"] * 3})


def test_gap_to_lead_keeps_the_recommendation_and_conversion_counts_it(url: str) -> None:
    with session_scope(url) as s:
        p = plans.create_plan(s, {"plan_id": "PL1", "name_zh": "甲园区招商计划", "name_en": "plan A", "scope_kind": "park",
                                  "scope_id": "sc-a", "period_start": 2025, "period_end": 2026},
                              targets=TARGETS, goals=[{"year": 2025, "projects": 4, "signed_investment_cny_m": 500.0}],
                              **ME)
        assert len(p["targets"]) == 3 and set(p["targets"]["status"]) == {"ranked"}
        d = plans.lead_from_target(s, "PL1:auto.castings:F1", on=D("2025-02-01"), **ME)
        plans.drop_target(s, "PL1:auto.castings:F2", "already in the park", expected_version=None, **ME)
        with pytest.raises(ValidationError, match="dropped"):
            plans.lead_from_target(s, "PL1:auto.castings:F2", **ME)
        with pytest.raises(ValidationError, match="already project"):
            plans.lead_from_target(s, "PL1:auto.castings:F1", **ME)
        service.advance_project(s, d.project["project_id"], "signed", D("2025-04-01"), expected_version=None, **ME)
        pf = service.ledger(s)
        plan = plans.get_plan(s, "PL1", as_of=D("2025-06-30"))
    proj = d.project
    assert (proj["investor_id"], proj["segment_id"], proj["park_id"], proj["plan_id"]) == ("F1", "auto.castings",
                                                                                          "sc-a", "PL1")
    assert (proj["rec_rank"], proj["rec_score"], proj["rec_reason"], proj["rec_model_version"]) == (
        1, 0.91, "sells into the scope", "chains.targets/aaaa1111")
    assert d.stage == "lead" and proj["chain"] == "auto"
    conv = conversion(pf, as_of=D("2025-06-30")).set_index("model_version")
    # version aaaa1111: 2 recommended (F1, F2 — dropped still counts), 1 lead, 1 signed, 0 started
    assert conv.loc["chains.targets/aaaa1111", ["recommended", "leads", "signed", "started"]].tolist() == [2, 1, 1, 0]
    assert conv.loc["chains.targets/aaaa1111", "lead_rate"] == pytest.approx(0.5)
    assert conv.loc["chains.targets/bbbb2222", ["recommended", "leads"]].tolist() == [1, 0]
    targets = plan["targets"].set_index("enterprise_id")
    assert targets.loc["F1", "stage"] == "signed" and targets.loc["F2", "status"] == "dropped"
    g = plan["goals"].iloc[0]
    assert g["signed_projects"] == 1 and g["goal_projects"] == 4 and g["year_elapsed"] == pytest.approx(181 / 365)


def test_plan_scope_is_checked(url: str) -> None:
    with session_scope(url) as s, pytest.raises(ValidationError, match="unknown park"):
        plans.create_plan(s, {"plan_id": "PL2", "name_zh": "x", "name_en": "x", "scope_kind": "park_pair",
                              "scope_id": "sc-a+nowhere", "period_start": 2025, "period_end": 2025}, **ME)
    assert plans.plan_scope_specs("park_pair", "sc-a+cq-b") == ["park:sc-a", "park:cq-b"]
    assert plans.ranking_model_version().startswith("chains.targets/")
