"""The public project rule (parklink.promotion.visibility), by role, against a hand-made
table; the web policy and the reports use this very function."""

from __future__ import annotations

from typing import Any

import pytest

from parklink.promotion import visibility as v

LEAD = {"project_id": "L", "park_id": "p1", "investor_id": "E1", "investor_name": "甲公司", "name_zh": "甲项目",
        "name_en": "Project A", "stage": "negotiating", "signed_on": None, "source_url": None,
        "confidence": "unconfirmed"}
SIGNED = {**LEAD, "project_id": "S", "stage": "signed", "signed_on": "2024-03-01"}
PUBLISHED = {**SIGNED, "project_id": "P", "source_url": "https://example.gov.cn/x", "confidence": "confirmed"}
# terminated after signing: still visible (counts in the KPIs); before signing: never
TERMINATED_SIGNED = {**SIGNED, "project_id": "T", "stage": "terminated"}
TERMINATED_LEAD = {**LEAD, "project_id": "U", "stage": "terminated"}

OFFICE = v.ProjectViewer("programme_office")
MANAGER = v.ProjectViewer("park_manager", frozenset({"p1"}))
OTHER_MANAGER = v.ProjectViewer("park_manager", frozenset({"p2"}))
INVESTOR = v.ProjectViewer("enterprise", enterprise_id="E1")
OTHER_FIRM = v.ProjectViewer("enterprise", enterprise_id="E2")

# viewer → project → expected: None hidden, "full", "redacted"
EXPECTED: dict[str, dict[str, str | None]] = {
    "office": {"L": "full", "S": "full", "P": "full", "T": "full", "U": "full"},
    "manager": {"L": "full", "S": "full", "P": "full", "T": "full", "U": "full"},
    "other_manager": {"L": None, "S": "redacted", "P": "full", "T": "redacted", "U": None},
    "investor": {"L": "full", "S": "full", "P": "full", "T": "full", "U": "full"},
    "other_firm": {"L": None, "S": "redacted", "P": "full", "T": "redacted", "U": None},
    "public": {"L": None, "S": "redacted", "P": "full", "T": "redacted", "U": None},
}
VIEWERS = {"office": OFFICE, "manager": MANAGER, "other_manager": OTHER_MANAGER, "investor": INVESTOR,
           "other_firm": OTHER_FIRM, "public": v.PUBLIC}
PROJECTS: dict[str, dict[str, Any]] = {p["project_id"]: p for p in (LEAD, SIGNED, PUBLISHED, TERMINATED_SIGNED,
                                                                    TERMINATED_LEAD)}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_role_matrix(who: str) -> None:
    for pid, want in EXPECTED[who].items():
        got = v.project_for(VIEWERS[who], PROJECTS[pid])
        if want is None:
            assert got is None, (who, pid)
            continue
        assert got is not None, (who, pid)
        assert got["redacted"] is (want == "redacted"), (who, pid)
        for f in v.INVESTOR_FIELDS:
            assert got[f] == (None if want == "redacted" else PROJECTS[pid][f]), (who, pid, f)
        assert got["project_id"] == pid and got["stage"] == PROJECTS[pid]["stage"]


def test_web_and_report_use_the_shared_rule() -> None:
    from parklink.web import policy
    from parklink.web.deps import ANONYMOUS, Principal

    assert policy.project_for is v.project_for and policy.PUBLIC_STAGES is v.PUBLIC_STAGES
    # the web's principals behave as the plain viewers of the same role
    web = {"public": ANONYMOUS, "manager": Principal(1, "m", "park_manager", frozenset({"p1"})),
           "investor": Principal(2, "e", "enterprise", enterprise_id="E1")}
    for who, principal in web.items():
        for p in PROJECTS.values():
            assert policy.project_for(principal, p) == v.project_for(VIEWERS[who], p)
