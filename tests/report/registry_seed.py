"""A hand-made promotion ledger and co-construction records on the embedded default registry
(loaded by ``init_default``), written through the registries' own writers.

Parks: A = sc-gaozhu-new-area (member of designation b1-gaozhu), B = cq-liangjiang-yufu.
Ledger as of 2025-12-31 (the bulletin of 2025):

* P1 — A, published (confirmed source), investor 甲汽车 Alpha Motors: lead 2025-01-10,
  signed 2025-03-01, planned start 2025-06-01, not started (start overdue); 100 M CNY
  signed, 30 M in place.
* P2 — B, unsigned lead 2025-02-01 of 某投资方 Hidden Investor Ltd (stalled; never public).
* P3 — B, unpublished (no source), investor 丙资本 Gamma Capital: signed 2025-04-01,
  started 2025-09-01 (planned 2025-08-01); 50 M CNY signed, 50 M in place (stalled by
  year end: 121 days without an event).
* P4 — A, synthetic: signed 2025-10-01, 20 M CNY (stalled: 91 days).

Co-construction on top of the default's parks in the park and published totals: three
smart-manufacturing recognitions (A: a national intelligent factory on the advanced tier and
a provincial digital workshop; B: a municipal digital workshop) and one R&D platform at A
serving the auto chain.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from parklink.promotion import service
from parklink.store.db import session_scope

PARK_A = "sc-gaozhu-new-area"
PARK_B = "cq-liangjiang-yufu"
AS_OF = dt.date(2025, 12, 31)
SECRET_NAMES = ("Hidden Investor", "某投资方", "秘密线索", "Gamma Capital", "丙资本", "未公开项目丙")


def seed_ledger(url: str) -> None:
    """Write the ledger above through :mod:`parklink.promotion.service` (history recorded)."""
    kw = {"actor": "seed", "via": "test"}
    with session_scope(url) as s:
        base = {"origin_country": "CN", "mode": "new", "chain": "auto"}
        service.create_project(s, {**base, "project_id": "P1", "name_zh": "甲汽车扩产", "name_en": "Alpha expansion",
                                   "investor_id": "E1", "investor_name": "甲汽车 Alpha Motors",
                                   "origin_province": "CQ", "park_id": PARK_A, "signed_investment_cny_m": 100.0,
                                   "planned_start": dt.date(2025, 6, 1), "source_url": "https://example.org/p1",
                                   "confidence": "confirmed"}, stage="lead", on=dt.date(2025, 1, 10), **kw)
        service.advance_project(s, "P1", "signed", dt.date(2025, 3, 1), expected_version=None, **kw)
        service.add_funds(s, "P1", dt.date(2025, 5, 1), 30.0, expected_version=None, **kw)
        service.create_project(s, {**base, "project_id": "P2", "name_zh": "秘密线索", "name_en": "Secret lead",
                                   "investor_name": "某投资方 Hidden Investor Ltd", "origin_province": "GD",
                                   "park_id": PARK_B}, stage="lead", on=dt.date(2025, 2, 1), **kw)
        service.create_project(s, {**base, "project_id": "P3", "name_zh": "未公开项目丙", "name_en": "Unpublished C",
                                   "investor_name": "丙资本 Gamma Capital", "origin_province": "GD",
                                   "park_id": PARK_B, "signed_investment_cny_m": 50.0,
                                   "planned_start": dt.date(2025, 8, 1)}, stage="signed", on=dt.date(2025, 4, 1), **kw)
        service.advance_project(s, "P3", "construction_started", dt.date(2025, 9, 1), expected_version=None, **kw)
        service.add_funds(s, "P3", dt.date(2025, 10, 1), 50.0, expected_version=None, **kw)
        service.create_project(s, {**base, "project_id": "P4", "name_zh": "合成项目丁", "name_en": "Synthetic D",
                                   "investor_name": "丁公司 Delta Co", "origin_country": "DE", "park_id": PARK_A,
                                   "signed_investment_cny_m": 20.0, "synthetic": True, "confidence": "synthetic"},
                               stage="signed", on=dt.date(2025, 10, 1), **kw)


def seed_coconstruction(url: str) -> None:
    """Add the recognitions and the platform above through the store's writer."""
    from parklink.store.io import write_frame

    src = {"source_url": "https://example.org/list", "confidence": "likely", "as_of": dt.date(2025, 6, 1)}
    recs = pd.DataFrame([
        {"recognition_id": "R1", "enterprise_name": "甲工厂 Alpha Works", "park_id": PARK_A,
         "kind": "intelligent_factory", "tier": "advanced", "list_level": "national", "year": 2024,
         "issuing_body": "MIIT", **src},
        {"recognition_id": "R2", "enterprise_name": "乙车间 Beta Shop", "park_id": PARK_A, "kind": "digital_workshop",
         "list_level": "provincial", "year": 2023, "issuing_body": "四川省经信厅", **src},
        {"recognition_id": "R3", "enterprise_name": "丙车间 Gamma Shop", "park_id": PARK_B, "kind": "digital_workshop",
         "list_level": "municipal", "year": 2025, "issuing_body": "重庆市经信委", **src},
    ])
    plats = pd.DataFrame([{"platform_id": "PF1", "name_zh": "汽车研发中心", "name_en": "Auto R&D centre",
                           "kind": "enterprise_tech_centre", "level": "provincial", "host_park_id": PARK_A,
                           "chains": "auto", **src}])
    from parklink.tables import schema

    with session_scope(url) as s:
        for kind, frame in (("smart_recognitions", recs), ("platforms", plats)):
            write_frame(s, kind, frame.reindex(columns=list(schema(kind).names)), source="test")
