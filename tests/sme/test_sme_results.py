"""MatchResult follows the result protocol; SME ↔ service eligibility by hand."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from parklink.evaluate.location import geodesic_travel_time
from parklink.results import Result
from parklink.sme.build import Universe
from parklink.sme.match import eligibility, match_needs, match_services
from parklink.store.io import coerce_frame
from parklink.tables import SCHEMAS
from parklink.testing import tiny_registry


def _frame(kind: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    return coerce_frame(pd.DataFrame([{c: r.get(c) for c in SCHEMAS[kind].names} for r in rows]), kind)


BASE = {"synthetic": True, "confidence": "synthetic", "industry": "industry"}
PROFILES = [
    {**BASE, "enterprise_id": "A", "name_zh": "甲", "name_en": "A", "park_id": "sc-a", "employees": 50,
     "revenue_cny_m": 10.0, "tier": "specialised", "tier_year": 2024, "segments": "auto.castings",
     "products": "压铸件"},
    {**BASE, "enterprise_id": "B", "name_zh": "乙", "name_en": "B", "park_id": "cq-b", "employees": 5,
     "revenue_cny_m": 1.0, "tier": "none", "segments": "auto.castings", "products": "铸件"},
    {**BASE, "enterprise_id": "C", "name_zh": "丙", "name_en": "C", "park_id": "sc-a", "employees": 50,
     "revenue_cny_m": 10.0, "tier": "innovative", "tier_year": 2015, "segments": "auto.castings"},
]
OFFERS = [
    {**BASE, "offer_id": "loan", "provider_id": "p", "service": "loan", "title_zh": "专精特新贷",
     "title_en": "loan", "eligible_tiers": "specialised;little_giant"},
    {**BASE, "offer_id": "guar", "provider_id": "p", "service": "guarantee", "title_zh": "担保",
     "title_en": "guarantee", "eligible_sizes": "micro", "park_id": "cq-b"},
    {**BASE, "offer_id": "old", "provider_id": "p", "service": "testing", "title_zh": "检测",
     "title_en": "testing", "valid_until": "2020-01-01"},
    {**BASE, "offer_id": "any", "provider_id": "p", "service": "design", "title_zh": "设计", "title_en": "design"},
]


def test_eligibility_by_hand() -> None:
    m = eligibility(_frame("sme_profiles", PROFILES), _frame("service_offers", OFFERS), on=dt.date(2025, 6, 1))
    got = {(r, c) for r, c in zip(*m.nonzero(), strict=True)}
    # A: specialised (valid to 2027) → loan; B: micro in cq-b → guarantee; C: innovative 2015
    # (expired) → neither; the expired offer for nobody; "any" for all
    assert got == {(0, 0), (1, 1), (0, 3), (1, 3), (2, 3)}


@pytest.fixture
def universe() -> Universe:
    f = tiny_registry()
    return Universe.from_frames(f["enterprises"], f["chain_segments"], f["regions"], f["parks"],
                                _frame("sme_profiles", PROFILES), _frame("supply_demand", []),
                                pd.DataFrame({"supplier_id": [], "buyer_id": [], "year": []}),
                                geodesic_travel_time)


def test_match_result_protocol(universe: Universe) -> None:
    needs = _frame("supply_demand", [{**BASE, "item_id": "n", "direction": "need", "poster": "park",
                                      "park_id": "sc-a", "title_zh": "采购压铸件", "title_en": "castings",
                                      "segment_id": "auto.castings", "posted": "2025-01-01", "status": "open"}])
    res = match_needs(universe, needs, tiny_registry()["parks"])
    assert isinstance(res, Result)
    tab = res.to_frame()
    assert {"A", "B", "C", "E2"} <= set(tab["candidate_id"]) and tab["rank"].tolist() == list(range(1, len(tab) + 1))
    assert tab["synthetic"].all()
    ex = res.explain()
    with pytest.raises(TypeError):
        ex["weights"] = ex["weights"]  # type: ignore[index]
    json.dumps(res.summary())
    prov = _frame("service_providers", [{**BASE, "provider_id": "p", "name_zh": "服务商", "name_en": "provider",
                                         "kind": "financial", "adcode": "510112"}])
    s = match_services(universe, _frame("sme_profiles", PROFILES), _frame("service_offers", OFFERS), prov,
                       tiny_registry()["parks"], ["A", "C"], on=dt.date(2025, 6, 1))
    t = s.to_frame()
    assert set(t.loc[t["query_id"] == "A", "candidate_id"]) == {"loan", "any"}
    assert set(t.loc[t["query_id"] == "C", "candidate_id"]) == {"any"}
