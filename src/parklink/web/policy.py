"""Who may write what: the role policy of registry writes, down to the field.

The one place that decides whether a caller may write a record and which of its fields.
Every registry write — the API routers (parks, zones, designations, targets, enterprises)
and the park page's edit form — calls :func:`authorize` with the fields the request sets
*before* anything is validated or written (``registry.create_row`` / ``update_row`` /
``delete_row`` come after).

Rows (which records):

* ``programme_office`` — every kind, every action;
* ``park_manager`` — updates the parks assigned to them (``user_park``);
* ``enterprise`` — updates its own enterprise profile (``app_user.enterprise_id``);
* ``public`` and anonymous callers — nothing.

Fields (of those records): a park manager or an enterprise user writes the *facts* it
knows first-hand, listed in :data:`WRITABLE`. Everything else is a programme-office
decision: the provenance of a record (``confidence``, ``source_url``), its official
standing (a park's ``level``, ``kind``, ``area_types``; an enterprise's ``leading`` and
``synthetic`` flags), and where a record belongs (``province``, ``adcode``, an
enterprise's ``park_id`` and ``chain``). Setting such a field — even to its current value —
answers 403 naming the fields; nothing is written. Keys of the request that are not
columns of the table (none today) are not the policy's business: the request schema
decides on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parklink import tables as t
from parklink.promotion.visibility import INVESTOR_FIELDS as INVESTOR_FIELDS
from parklink.promotion.visibility import PUBLIC_STAGES as PUBLIC_STAGES
from parklink.promotion.visibility import project_for as project_for
from parklink.promotion.visibility import project_published as project_published
from parklink.promotion.visibility import sees_project_in_full as sees_project_in_full
from parklink.promotion.visibility import visible_project as visible_project
from parklink.web.deps import Principal, check_write, forbid

#: Fields each non-office role may write, per kind (the office writes every field).
WRITABLE: dict[str, dict[str, frozenset[str]]] = {
    "park_manager": {
        "parks": frozenset({"name_zh", "name_en", "lon", "lat", "location_approximate", "area_km2",
                            "focus_chains", "industries"}),
    },
    "enterprise": {
        "enterprises": frozenset({"name_zh", "name_en", "lon", "lat", "segments", "size_class", "employees",
                                  "output_cny_m"}),
    },
}

#: Model columns of a kind beyond its canonical schema that requests may set.
_EXTRA_FIELDS: dict[str, tuple[str, ...]] = {"designations": ("revoked_year",)}


def fields_of(kind: str) -> tuple[str, ...]:
    """Every writable column of ``kind`` (canonical schema columns and model extras)."""
    return tuple(t.schema(kind).names) + _EXTRA_FIELDS.get(kind, ())


def writable_fields(principal: Principal, kind: str) -> frozenset[str] | None:
    """The fields of ``kind`` that ``principal`` may write: None = all (programme office),
    an empty set when the role writes no field of this kind."""
    if principal.is_office:
        return None
    return WRITABLE.get(principal.role, {}).get(kind, frozenset())


def refused_fields(principal: Principal, kind: str, fields: Iterable[str]) -> list[str]:
    """The columns among ``fields`` that ``principal`` may not write (in the given order)."""
    allowed = writable_fields(principal, kind)
    if allowed is None:
        return []
    columns = set(fields_of(kind))
    return [f for f in fields if f in columns and f not in allowed]


def authorize(principal: Principal, kind: str, action: str, key: Any = None,
              changes: Iterable[str] = ()) -> None:
    """Raise unless ``principal`` may do ``action`` on the record ``key`` of ``kind``
    setting the fields ``changes`` (the keys of the request body).

    401 for an anonymous caller, 403 naming the role when the record is not theirs, 403
    naming the fields when some of them are programme-office decisions.
    """
    check_write(principal, kind, action, key)
    refused = refused_fields(principal, kind, list(changes))
    if refused:
        raise forbid(f"role {principal.role} may not set {', '.join(refused)} of {kind} "
                     f"(these fields are decided by the programme office 由示范园区办公室决定)")


def policy_table() -> list[dict[str, Any]]:
    """The field policy as rows (role, kind, field, may write) for documentation and tests."""
    rows: list[dict[str, Any]] = []
    for role, kinds in WRITABLE.items():
        for kind, allowed in kinds.items():
            rows.extend({"role": role, "kind": kind, "field": f, "writable": f in allowed} for f in fields_of(kind))
    return rows


# ---------------------------------------------------------------------------------------------
# Investment promotion (issue 14): plans, events, leads and projects.
#
# Writes: the programme office writes everything; a park manager writes the plans, leads and
# projects of the parks assigned to them (a plan owned by a park, or by a designation / park
# pair with one of their parks among the members; a zone plan is the office's); joint events
# are the office's. Reads: the office sees everything; a park manager sees the projects of
# their parks in full, an enterprise user its own projects (investor = its enterprise); every
# other caller (the public, anonymous, and those roles for other projects) sees a project only
# once it is signed (or later) *and* published, and never an unsigned lead. KPIs are
# aggregates and public.

#: The promotion objects of the policy (request-level names, not table kinds).
PROMOTION_OBJECTS = ("promotion_plans", "promotion_events", "projects")
#: Who sees which project (and which of its fields) is :mod:`parklink.promotion.visibility`,
#: shared with the public documents of :mod:`parklink.report`; re-exported here.


def may_write_promotion(principal: Principal, obj: str, parks: Iterable[str]) -> bool:
    """True when ``principal`` may create or change the promotion object ``obj`` (one of
    :data:`PROMOTION_OBJECTS`) whose owner parks are ``parks`` (a project's park; a plan's
    owner park or the member parks of its owner designation; empty for a zone plan)."""
    if principal.is_office:
        return True
    if principal.role != "park_manager" or obj == "promotion_events":
        return False
    owned = {str(p) for p in parks if p}
    return bool(owned) and not owned.isdisjoint(principal.parks)


#: Fields of the promotion objects only the programme office sets: whether a row is synthetic
#: and how sure its facts are (a park manager's record is ``unconfirmed`` until the office
#: confirms it).
OFFICE_PROMOTION_FIELDS = frozenset({"synthetic", "confidence"})


def authorize_promotion(principal: Principal, obj: str, action: str, parks: Iterable[str], key: Any = None,
                        changes: Iterable[str] = (), all_parks: bool = False) -> None:
    """Raise 401 (anonymous) or 403 unless ``principal`` may do ``action`` on the promotion
    object ``obj`` owned by ``parks`` setting the fields ``changes``.

    ``all_parks``: every one of ``parks`` must be theirs (a project moved to another park
    needs both). 403 names the role, object and parks, or the office-only fields.
    """
    from fastapi import HTTPException

    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    owned = sorted({str(p) for p in parks if p})
    allowed = may_write_promotion(principal, obj, owned)
    if allowed and all_parks and not principal.is_office:
        allowed = set(owned) <= principal.parks
    if not allowed:
        where = f" of park(s) {', '.join(owned)}" if owned else ""
        raise forbid(f"role {principal.role} may not {action} {obj}" + (f" {key}" if key is not None else "")
                     + where + " (仅限本园区管理员或示范园区办公室)")
    refused = [] if principal.is_office else [f for f in changes if f in OFFICE_PROMOTION_FIELDS]
    if refused:
        raise forbid(f"role {principal.role} may not set {', '.join(refused)} of {obj} "
                     f"(these fields are decided by the programme office 由示范园区办公室决定)")
