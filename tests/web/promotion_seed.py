"""A small hand-made promotion ledger on the tiny registry (shared by the promotion web tests).

Parks: sc-a (the park manager's), cq-b, cq-c; enterprise user E1. As of 2026-06-30:

* P1 — sc-a, investor E1, published (confirmed source): lead 2025-01-10, signed 2025-03-01,
  planned start 2025-06-01 (not started: start overdue), 100 M CNY signed, 30 M in place.
* P2 — cq-b, unsigned lead 2025-02-01 (never shown to the public).
* P3 — cq-b, unpublished (no source): signed 2025-04-01, started 2025-09-01, planned start
  2025-08-01, 50 M CNY signed, 50 M in place; event EV1.
* P4 — sc-a, synthetic: signed 2026-02-01, terminated 2026-03-01 (financing), 20 M CNY.

Plans: PL-A (park sc-a) with targets T-A1 (E2, auto.castings, rank 1) and T-A2 (E1,
auto.vehicles, rank 2), goals 2026; PL-B (park cq-b) with target T-B1 (E2, auto.castings).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from parklink.promotion import plans, service
from parklink.store.db import session_scope

AS_OF = dt.date(2026, 6, 30)
MODEL = "chains.targets/test0001"


def seed_ledger(url: str) -> None:
    """Write the ledger above through the promotion service (history recorded)."""
    with session_scope(url) as s:
        service.create_event(s, {"event_id": "EV1", "name_zh": "川渝联合招商会", "name_en": "Joint SC-CQ fair",
                                 "held_on": dt.date(2025, 3, 20), "city": "重庆", "country": "CN",
                                 "chains": "auto", "invited_firms": 80, "attending_firms": 60,
                                 "leads_generated": 5, "signed_on_site": 1, "signed_on_site_cny_m": 50.0,
                                 "source_url": "https://example.org/ev1", "confidence": "confirmed"},
                             actor="seed", via="test")
        base = {"origin_country": "CN", "mode": "new", "chain": "auto"}
        service.create_project(s, {**base, "project_id": "P1", "name_zh": "甲汽车扩产", "name_en": "Alpha expansion",
                                   "investor_id": "E1", "investor_name": "甲汽车 Alpha Motors",
                                   "origin_province": "CQ", "park_id": "sc-a", "signed_investment_cny_m": 100.0,
                                   "planned_start": dt.date(2025, 6, 1), "source_url": "https://example.org/p1",
                                   "confidence": "confirmed"},
                               actor="seed", via="test", stage="lead", on=dt.date(2025, 1, 10))
        service.advance_project(s, "P1", "signed", dt.date(2025, 3, 1), expected_version=None, actor="seed", via="test")
        service.add_funds(s, "P1", dt.date(2025, 5, 1), 30.0, expected_version=None, actor="seed", via="test")
        service.create_project(s, {**base, "project_id": "P2", "name_zh": "秘密线索", "name_en": "Secret lead",
                                   "investor_name": "某投资方 Hidden Investor Ltd", "origin_province": "GD",
                                   "park_id": "cq-b"},
                               actor="seed", via="test", stage="lead", on=dt.date(2025, 2, 1))
        service.create_project(s, {**base, "project_id": "P3", "name_zh": "未公开项目丙", "name_en": "Unpublished C",
                                   "investor_name": "丙资本 Gamma Capital", "origin_province": "GD",
                                   "park_id": "cq-b", "signed_investment_cny_m": 50.0, "event_id": "EV1",
                                   "planned_start": dt.date(2025, 8, 1)},
                               actor="seed", via="test", stage="signed", on=dt.date(2025, 4, 1))
        service.advance_project(s, "P3", "construction_started", dt.date(2025, 9, 1), expected_version=None,
                                actor="seed", via="test")
        service.add_funds(s, "P3", dt.date(2025, 10, 1), 50.0, expected_version=None, actor="seed", via="test")
        service.create_project(s, {**base, "project_id": "P4", "name_zh": "合成项目丁", "name_en": "Synthetic D",
                                   "investor_name": "丁公司 Delta Co", "origin_country": "DE", "park_id": "sc-a",
                                   "signed_investment_cny_m": 20.0, "synthetic": True, "confidence": "synthetic"},
                               actor="seed", via="test", stage="signed", on=dt.date(2026, 2, 1))
        service.advance_project(s, "P4", "terminated", dt.date(2026, 3, 1), expected_version=None, actor="seed",
                                via="test", reason="financing")
        targets = pd.DataFrame([
            {"segment_id": "auto.castings", "enterprise_id": "E2", "enterprise_name": "乙铸造 Beta Castings",
             "rank": 1, "score": 0.91, "reason": "缺口环节 gap: castings", "model_version": MODEL},
            {"segment_id": "auto.vehicles", "enterprise_id": "E1", "enterprise_name": "甲汽车 Alpha Motors",
             "rank": 2, "score": 0.55, "reason": "链主 leader", "model_version": MODEL},
        ])
        plans.create_plan(s, {"plan_id": "PL-A", "name_zh": "甲园区招商计划", "name_en": "Park A promotion plan",
                              "scope_kind": "park", "scope_id": "sc-a", "period_start": 2025, "period_end": 2027,
                              "focal_chains": "auto", "status": "active"},
                          targets=targets, goals=[{"year": 2026, "projects": 4, "signed_investment_cny_m": 200.0,
                                                   "funds_in_place_cny_m": 100.0}], actor="seed", via="test")
        plans.create_plan(s, {"plan_id": "PL-B", "name_zh": "乙园区招商计划", "name_en": "Park B promotion plan",
                              "scope_kind": "park", "scope_id": "cq-b", "period_start": 2025, "period_end": 2027,
                              "status": "active"},
                          targets=targets.iloc[:1], actor="seed", via="test")
