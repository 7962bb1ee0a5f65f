"""The park rule of :mod:`parklink.programme.zones` as SQL, for the web filters and pages.

A park is in a zone when its host region or one of its ancestors (city, province) is a
whole member (``zone_member``), or when ``park_stated_zone`` names the zone. Partial
members (``zone_partial_member``) alone never place a park in a zone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from parklink.programme.zones import region_chain_in
from parklink.store import models as m


def zone_park_ids(zone_id: str) -> Select[Any]:
    """``SELECT park_id`` of the parks in ``zone_id`` (regions up to two levels above the host)."""
    whole = select(m.ZoneMember.adcode).where(m.ZoneMember.zone_id == zone_id)
    r1 = aliased(m.Region)
    r2 = aliased(m.Region)
    parent_in = select(r1.adcode).where(r1.parent_adcode.in_(whole))
    grandparent_in = select(r1.adcode).join(r2, r2.adcode == r1.parent_adcode).where(r2.parent_adcode.in_(whole))
    stated = select(m.ParkStatedZone.park_id).where(m.ParkStatedZone.zone_id == zone_id)
    return select(m.Park.park_id).where(
        or_(
            m.Park.adcode.in_(whole),
            m.Park.adcode.in_(parent_in),
            m.Park.adcode.in_(grandparent_in),
            m.Park.park_id.in_(stated),
        )
    )


def region_chain(session: Session, adcode: str) -> list[str]:
    """``adcode`` and its ancestors (parent, grandparent, ...)."""
    out = [adcode]
    while True:
        parent = session.scalar(select(m.Region.parent_adcode).where(m.Region.adcode == out[-1]))
        if parent is None or parent in out:
            return out
        out.append(parent)


def park_zone_ids(session: Session, park_id: str, adcode: str) -> tuple[list[str], list[str]]:
    """Zones the park lies in (sorted), and zones whose member is only partly its host
    region and that the park does not state (it is not counted in those)."""
    whole, partial = region_zone_ids(session, adcode)
    return park_zone_ids_in(session, park_id, whole, partial)


def region_zone_ids(session: Session, adcode: str) -> tuple[frozenset[str], frozenset[str]]:
    """Zones with ``adcode`` or an ancestor as a whole member, and zones with one of them as
    a partial member (the part of :func:`park_zone_ids` shared by every park of the region)."""
    chain = region_chain(session, adcode)
    whole = frozenset(session.scalars(select(m.ZoneMember.zone_id).where(m.ZoneMember.adcode.in_(chain))))
    partial = frozenset(session.scalars(select(m.ZonePartialMember.zone_id)
                                        .where(m.ZonePartialMember.adcode.in_(chain))))
    return whole, partial


def park_zone_ids_in(session: Session, park_id: str, whole: frozenset[str],
                     partial: frozenset[str]) -> tuple[list[str], list[str]]:
    """:func:`park_zone_ids` given its host region's :func:`region_zone_ids`."""
    stated = set(session.scalars(select(m.ParkStatedZone.zone_id).where(m.ParkStatedZone.park_id == park_id)))
    inside = whole | stated
    return sorted(inside), sorted(partial - inside)


class ZoneIndex:
    """:func:`park_zone_ids` for every park from four table reads (regions' parents, whole
    and partial zone members, stated zones), answered in memory: the park page reads it once
    per registry version instead of up to six statements per view. Same rule, same answers
    (``tests/programme/test_zones_sql.py`` checks every park against the SQL path)."""

    def __init__(self, session: Session) -> None:
        self._parent: dict[str, str | None] = {a: p for a, p in session.execute(select(m.Region.adcode, m.Region.parent_adcode))}
        self._whole: dict[str, set[str]] = {}
        for zone_id, adcode in session.execute(select(m.ZoneMember.zone_id, m.ZoneMember.adcode)):
            self._whole.setdefault(adcode, set()).add(zone_id)
        self._partial: dict[str, set[str]] = {}
        for zone_id, adcode in session.execute(select(m.ZonePartialMember.zone_id, m.ZonePartialMember.adcode)):
            self._partial.setdefault(adcode, set()).add(zone_id)
        self._stated: dict[str, set[str]] = {}
        for park_id, zone_id in session.execute(select(m.ParkStatedZone.park_id, m.ParkStatedZone.zone_id)):
            self._stated.setdefault(park_id, set()).add(zone_id)
        self._regions: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def region_zone_ids(self, adcode: str) -> tuple[frozenset[str], frozenset[str]]:
        """:func:`region_zone_ids` (kept per region once asked)."""
        hit = self._regions.get(adcode)
        if hit is None:
            chain = region_chain_in(adcode, self._parent)
            whole = frozenset(z for a in chain for z in self._whole.get(a, ()))
            partial = frozenset(z for a in chain for z in self._partial.get(a, ()))
            hit = self._regions[adcode] = (whole, partial)
        return hit

    def park_zone_ids(self, park_id: str, adcode: str) -> tuple[list[str], list[str]]:
        """:func:`park_zone_ids`: zones the park lies in, and its host region's partial zones
        it does not state (both sorted)."""
        whole, partial = self.region_zone_ids(adcode)
        inside = whole | self._stated.get(park_id, set())
        return sorted(inside), sorted(partial - inside)
