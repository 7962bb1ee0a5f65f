"""Programme status for the dashboard and ``/api/status``, cached per database state.

The computation is :func:`parklink.programme.status.programme_status` on the registry's
frames; the web layer only reads the frames and caches the result. The cache key is the
version of the ``registry`` data domain (:func:`parklink.store.version.domain_versions`:
one indexed ``meta`` read per request, set in the same transaction by every committed
registry write — API edits, CLI imports, restores), so the status is exact at once after a
registry write and survives writes to other domains (promotion, SMEs, co-construction).
:func:`fingerprint` (counts and sums over the columns the status depends on) is kept as an
independent check of the registry's content.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parklink.programme.status import ProgrammeStatus, programme_status
from parklink.store import models as m

STATUS_DOMAINS = ("registry",)
"""The data domains the programme status (and the map figure) read."""
_CACHE: dict[tuple[str, tuple[Any, ...]], ProgrammeStatus] = {}
_LOCK = threading.Lock()


def fingerprint(session: Session) -> tuple[Any, ...]:
    """Counts and sums over parks, designations, members, zones and targets, and the last audit id."""
    sub = [
        select(func.count()).select_from(m.Park),
        select(func.sum(func.length(m.Park.adcode + m.Park.province + m.Park.park_id))),
        select(func.count()).select_from(m.ParkAreaType),
        select(func.sum(func.length(m.ParkAreaType.area_type))),
        select(func.count()).select_from(m.ParkFocusChain),
        select(func.count()).select_from(m.Designation),
        select(func.sum(m.Designation.year + m.Designation.unknown_members * 7 + m.Designation.batch * 13)),
        select(func.sum(func.coalesce(m.Designation.revoked_year, 0))),
        select(func.count()).select_from(m.DesignationMember),
        select(func.sum(func.length(m.DesignationMember.park_id + m.DesignationMember.designation_id))),
        select(func.count()).select_from(m.Zone),
        select(func.count()).select_from(m.ZoneMember),
        select(func.sum(func.length(m.ZoneMember.adcode + m.ZoneMember.zone_id))),
        select(func.count()).select_from(m.ZonePartialMember),
        select(func.count()).select_from(m.Region),
        select(func.count()).select_from(m.ParkStatedZone),
        select(func.sum(func.length(func.coalesce(m.Park.parent_park_id, "")))),
        select(func.count()).select_from(m.Target),
        select(func.sum(m.Target.cumulative_parks + m.Target.year)),
        select(func.max(m.AuditEntry.id)),
    ]
    row = session.execute(select(*[q.scalar_subquery() for q in sub])).one()
    return tuple(row)


def current_fingerprint(session: Session) -> tuple[Any, ...]:
    """The cache key of the registry's state: the versions of :data:`STATUS_DOMAINS` (exact:
    a committed registry write in any process changes it; read before the content)."""
    from parklink.web.cache import current_versions

    return ("registry", *current_versions(session, STATUS_DOMAINS))


def current_status(session: Session) -> ProgrammeStatus:
    """The programme status of the registry behind ``session``: :func:`programme_status` on
    the inputs bundle of the one input path (the same frames as ``parklink plan``, revoked
    designations included), cached by the registry fingerprint (see module doc)."""
    from parklink.web.park_analyses import web_inputs

    url = str(session.get_bind().engine.url)
    key = (url, current_fingerprint(session))
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    inputs = web_inputs(session)
    status = programme_status(inputs.frame("designations"), inputs.frame("parks"), inputs.frame("zones"),
                              inputs.frame("targets"), regions=inputs.frame("regions"))
    with _LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = status
    return status


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).to_dict("records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def status_tables(session: Session) -> dict[str, Any]:
    """The status tables as JSON-ready row lists (by_year, by_province, by_zone, by_area_type)."""
    status = current_status(session)
    return {
        "by_year": _records(status.by_year),
        "by_province": _records(status.by_province),
        "by_zone": _records(status.by_zone),
        "by_area_type": _records(status.by_area_type),
    }
