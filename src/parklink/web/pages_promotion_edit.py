"""The form editing a project's facts (issue 14): the fields of the new-project form, read
from the stored record, written with :func:`parklink.promotion.service.update_project` (the
API's ``PATCH /api/projects/{id}`` path) — never the stage, which only moves by appending a
stage event on the project page.

Like every promotion form (:mod:`parklink.web.pages_promotion_forms`): CSRF-checked, role
checked with :func:`parklink.web.policy.authorize_promotion` (the office any project; a park
manager projects of their parks, and only to a park of theirs), only the fields that differ
from the stored record are written, inside a savepoint; a fixable problem re-renders the form
with the reason under each field (422), and the hidden ``version`` (the row version the form
was read at) makes a save over someone else's newer save fail with a conflict message (409)
instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from parklink.errors import ConflictError as RecordConflict
from parklink.errors import ValidationError
from parklink.promotion import service
from parklink.promotion.records import read_record
from parklink.web import policy
from parklink.web import promotion_data as pdata
from parklink.web.deps import Principal, SessionDep
from parklink.web.pages import check_form_csrf
from parklink.web.pages_promotion_forms import (
    CONFLICT,
    PROJECT_FIELDS,
    VIA,
    FormDep,
    _from_validation,
    _keyed,
    _login_redirect,
    _project_form,
    _project_row,
    _write,
)
from parklink.web.rendering import page_principal

router = APIRouter(include_in_schema=False)


def _text(value: Any) -> str:
    """A stored value as the form shows it ("" for missing; ISO dates; whole numbers bare)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stored_form_values(session: Any, project_id: str) -> dict[str, str]:
    """The project's editable fields as form text, with its row ``version``."""
    values, version = read_record(session, "projects", project_id)
    return {**{k: _text(values.get(k)) for k in PROJECT_FIELDS}, "version": str(version)}


def form_changes(stored: dict[str, str], row: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The fields whose submitted text differs from the stored text: the new value, or None
    where the field was emptied (``row`` holds only the non-empty submitted fields)."""
    changes: dict[str, Any] = {}
    for name in PROJECT_FIELDS:
        new = form.get(name, "")
        if new != stored.get(name, ""):
            changes[name] = row.get(name) if new else None
    return changes


def _editor(request: Request, session: Any, project_id: str) -> tuple[Principal, list[str]]:
    principal = page_principal(request, session)
    parks = pdata.project_parks(session, project_id)
    policy.authorize_promotion(principal, "projects", "update", parks, key=project_id)
    return principal, parks


@router.get("/promotion/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_project_page(request: Request, project_id: str, session: SessionDep) -> Response:
    """The form with the project's stored facts (the office: any project; a park manager:
    projects of their parks)."""
    if not page_principal(request, session).authenticated:
        return _login_redirect(request)
    principal, _parks = _editor(request, session, project_id)
    return _project_form(request, session, principal, stored_form_values(session, project_id), {}, edit=project_id)


@router.post("/promotion/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_project(request: Request, project_id: str, session: SessionDep, form: FormDep) -> Response:
    """Save the changed facts of the project; redirects to its page."""
    check_form_csrf(request, form.get("csrf"))
    principal, parks = _editor(request, session, project_id)
    stored = stored_form_values(session, project_id)
    problems: dict[str, str] = {}
    row = _project_row(session, form, problems)
    changes = form_changes(stored, row, form)
    if "investor_name" not in changes and "investor_id" in changes and row.get("investor_name"):
        changes["investor_name"] = row["investor_name"]  # the registry enterprise's name
    new_park = form.get("park_id", "")
    policy.authorize_promotion(principal, "projects", "update", [*parks, *([new_park] if new_park else [])],
                               key=project_id, changes=changes, all_parks=True)
    try:
        expected = int(form.get("version", ""))
    except ValueError:
        problems["version"] = "the form's version is missing: reopen the page (表单版本缺失，请重新打开页面)"
        expected = -1
    if problems:
        return _project_form(request, session, principal, form, _keyed(problems), 422, edit=project_id)
    if expected != int(stored["version"]):
        return _project_form(request, session, principal, form, {None: CONFLICT}, 409, edit=project_id)
    if changes:
        try:
            with _write(session):
                service.update_project(session, project_id, changes, expected_version=expected,
                                       actor=principal.username, via=VIA)
        except RecordConflict:
            return _project_form(request, session, principal, form, {None: CONFLICT}, 409, edit=project_id)
        except ValidationError as exc:
            return _project_form(request, session, principal, form, _from_validation(exc), 422, edit=project_id)
    return RedirectResponse(f"/promotion/projects/{project_id}?saved=edited", status_code=303)
