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
