"""Who may write which co-construction record (the API's and the pages' one rule).

* programme office — every record of every co-construction kind;
* park manager — records of the parks assigned to them: parks in the park hosted there
  (``host_park_id``), benefit-sharing rules of those parks or of their parks in the park,
  revenue records of those rules, recognitions, assessments and platforms in those parks;
  a record must stay in their parks (before and after the write);
* enterprise — its own recognitions and maturity assessments (``enterprise_id``);
* public / anonymous — read only. Published aggregates are programme facts: office only.

``confidence`` is a programme-office decision; records other roles create are stored
``unconfirmed`` (see :func:`parklink.web.registry.create_row`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parklink.tables import COCONSTRUCTION_SCHEMAS

__all__ = ["COCON_KIND_NAMES", "PARK_FIELD", "refusal"]

COCON_KIND_NAMES = tuple(s.kind for s in COCONSTRUCTION_SCHEMAS)
#: The column placing a record in a park, per kind (None: placed through another record).
PARK_FIELD: dict[str, str | None] = {
    "parks_in_park": "host_park_id", "benefit_sharing": "park_id", "sharing_realised": None,
    "smart_recognitions": "park_id", "maturity_assessments": "park_id", "smart_aggregates": None,
    "platforms": "host_park_id",
}
ENTERPRISE_KINDS = frozenset({"smart_recognitions", "maturity_assessments"})
OFFICE_FIELDS = frozenset({"confidence"})


def refusal(role: str, parks: frozenset[str], enterprise_id: str | None, kind: str,
            records: Sequence[Mapping[str, Any]], fields: list[str],
            park_of: Mapping[str, str | None] | None = None) -> str | None:
    """Why ``role`` may not write ``records`` (the stored row and/or the row as it would be
    written) setting ``fields``; None when allowed. ``park_of`` gives the park of a
    record placed through another one (a benefit rule's park in the park, a revenue
    record's rule)."""
    if role == "programme_office":
        return None
    if role not in ("park_manager", "enterprise"):
        return f"role {role} may not write {kind} (只读)"
    bad = sorted(set(fields) & OFFICE_FIELDS)
    if bad:
        return f"role {role} may not set {', '.join(bad)} (由示范园区办公室决定)"
    if role == "enterprise":
        if kind not in ENTERPRISE_KINDS:
            return f"an enterprise may write only its recognitions and assessments, not {kind}"
        if enterprise_id is None or any(str(r.get("enterprise_id")) != enterprise_id for r in records):
            return "an enterprise may write only its own records (只能修改本企业的记录)"
        return None
    field = PARK_FIELD.get(kind)
    if kind == "smart_aggregates":
        return "published aggregates are written by the programme office (公布的汇总数由办公室维护)"
    for r in records:
        park = r.get(field) if field else None
        if (park is None or park != park) and park_of is not None:
            park = park_of.get(str(r.get("pip_id") or r.get("agreement_id") or ""))
        if park is None or str(park) not in parks:
            return f"park manager may write only records of their parks (只能修改本园区的记录): {park}"
    return None
