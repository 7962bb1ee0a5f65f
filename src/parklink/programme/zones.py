"""Zone membership at district level, and which parks lie in which zone.

A zone row lists its members at the level the source uses (``zones.members``: a province,
a prefecture-level city or a district stands for all of its districts) and, separately,
the members that lie only **partly** inside the zone (``zones.partial_members``, e.g.
Yubei District and Linshui County for the Gaozhu New Area, which covers two towns of
each). ``zones.member_notes`` says which part, as ``ADCODE: text``.

:func:`zone_districts` expands both lists to districts through ``regions.parent_adcode``
(one row per zone and district, with the ``partial`` flag and note inherited from the
listed member; a district listed both ways counts as whole).

**Park rule** (:func:`park_zone_membership`). A park is in a zone when

1. its host region (``parks.adcode``) or one of its ancestors is a *whole* member, or
2. the zone is in the park's ``stated_zones`` (a source places the park in the zone).

A park whose host region is only a *partial* member and that does not state the zone is
**not** counted in it (its own location decides, and no source places it inside); such
parks are listed by :func:`undetermined_parks` so a user can state their membership.
Point-in-polygon is not used: no zone boundary is shipped and every park point is an
approximate host-district seat, which cannot tell which side of a zone border a park is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from parklink.errors import Problem
from parklink.tables import split_list

MEMBER_COLUMNS = ["zone_id", "member", "adcode", "partial", "note"]


def _children(regions: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, parent in zip(regions["adcode"].astype(str), regions["parent_adcode"], strict=True):
        if parent is not None and parent is not pd.NA and not (isinstance(parent, float) and pd.isna(parent)):
            out.setdefault(str(parent), []).append(code)
    return out


def region_parents(regions: pd.DataFrame) -> dict[str, str]:
    """Region adcode → parent adcode."""
    out: dict[str, str] = {}
    for code, parent in zip(regions["adcode"].astype(str), regions["parent_adcode"], strict=True):
        if parent is not None and parent is not pd.NA and not (isinstance(parent, float) and pd.isna(parent)):
            out[code] = str(parent)
    return out


def region_chain_in(code: str, parent: Mapping[str, str | None]) -> list[str]:
    """``code`` and its ancestors (parent, grandparent, ...) by the ``parent`` map; stops at
    a region without parent and at a cycle."""
    out = [code]
    while (p := parent.get(out[-1])) is not None and p not in out:
        out.append(p)
    return out


def member_notes(zone: Mapping[Any, Any]) -> dict[str, str]:
    """``ADCODE → note`` from a zone row's ``member_notes`` (``'ADCODE: text'`` elements)."""
    out: dict[str, str] = {}
    for item in split_list(zone.get("member_notes")):
        code, _, text = item.partition(":")
        out[code.strip()] = text.strip()
    return out


def zone_districts(zones: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Zones expanded to districts: one row per (zone, district).

    Columns: ``zone_id``, ``member`` (the listed code), ``adcode`` (a district, or the listed
    code itself when the regions table has no districts below it), ``partial`` (bool) and
    ``note`` (the listed member's note, or None). A district reached both as a whole and as
    a partial member is whole.
    """
    children = _children(regions)
    level = dict(zip(regions["adcode"].astype(str), regions["level"], strict=True))

    def districts(code: str) -> list[str]:
        if level.get(code) == "district" or code not in children:
            return [code]
        return [d for child in children[code] for d in districts(child)]

    rows: dict[tuple[str, str], dict[str, object]] = {}
    for z in zones.to_dict("records"):
        zid = str(z["zone_id"])
        notes = member_notes(z)
        for partial, col in ((False, "members"), (True, "partial_members")):
            for member in split_list(z.get(col)):
                for d in districts(member):
                    key = (zid, d)
                    if key in rows and not rows[key]["partial"]:
                        continue
                    rows[key] = {"zone_id": zid, "member": member, "adcode": d,
                                 "partial": partial, "note": notes.get(member)}
    out = pd.DataFrame(list(rows.values()), columns=MEMBER_COLUMNS)
    out["partial"] = out["partial"].astype(bool)
    return out


def _zone_sets(zones: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    whole: dict[str, set[str]] = {}
    part: dict[str, set[str]] = {}
    for z in zones.to_dict("records"):
        zid = str(z["zone_id"])
        whole[zid] = set(split_list(z.get("members")))
        part[zid] = set(split_list(z.get("partial_members"))) - whole[zid]
    return whole, part


def park_zone_membership(parks: pd.DataFrame, zones: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """One row per (park, zone) the park lies in, by the park rule of the module doc.

    Columns: ``park_id``, ``zone_id``, ``basis`` — ``district`` (host region wholly inside)
    or ``stated`` (``parks.stated_zones``; also when the host district is a partial member).
    Stated zones that do not exist in ``zones`` are ignored.
    """
    whole, _part = _zone_sets(zones)
    parent = region_parents(regions)
    has_stated = "stated_zones" in parks.columns
    rows: list[tuple[str, str, str]] = []
    for rec in parks.to_dict("records"):
        pid = str(rec["park_id"])
        chain = set(region_chain_in(str(rec["adcode"]), parent))
        stated = set(split_list(rec.get("stated_zones"))) if has_stated else set()
        for zid in whole:
            if chain & whole[zid]:
                rows.append((pid, zid, "district"))
            elif zid in stated:
                rows.append((pid, zid, "stated"))
    return pd.DataFrame(rows, columns=["park_id", "zone_id", "basis"])


def undetermined_parks(parks: pd.DataFrame, zones: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Parks whose host region is only a partial member of a zone and that do not state it.

    They are not counted in the zone. Columns: ``park_id``, ``zone_id``, ``adcode``, ``note``.
    """
    whole, part = _zone_sets(zones)
    notes = {str(z["zone_id"]): member_notes(z) for z in zones.to_dict("records")}
    parent = region_parents(regions)
    has_stated = "stated_zones" in parks.columns
    rows: list[tuple[str, str, str, str | None]] = []
    for rec in parks.to_dict("records"):
        pid = str(rec["park_id"])
        chain = region_chain_in(str(rec["adcode"]), parent)
        stated = set(split_list(rec.get("stated_zones"))) if has_stated else set()
        for zid in part:
            hit = [c for c in chain if c in part[zid]]
            if hit and not (set(chain) & whole[zid]) and zid not in stated:
                rows.append((pid, zid, hit[0], notes[zid].get(hit[0])))
    return pd.DataFrame(rows, columns=["park_id", "zone_id", "adcode", "note"])


def park_zones(parks: pd.DataFrame, zones: pd.DataFrame, regions: pd.DataFrame) -> list[list[str]]:
    """For every park (in ``parks`` order), the sorted zone ids it lies in (park rule)."""
    m = park_zone_membership(parks, zones, regions)
    by_park: dict[str, list[str]] = {}
    for pid, zid in zip(m["park_id"], m["zone_id"], strict=True):
        by_park.setdefault(pid, []).append(zid)
    return [sorted(by_park.get(str(p), [])) for p in parks["park_id"]]


def zone_parks(parks: pd.DataFrame, zones: pd.DataFrame, regions: pd.DataFrame) -> dict[str, list[str]]:
    """Zone id → park ids in the zone (park rule; every zone present, possibly empty)."""
    m = park_zone_membership(parks, zones, regions)
    out: dict[str, list[str]] = {str(z): [] for z in zones["zone_id"]}
    for pid, zid in zip(m["park_id"], m["zone_id"], strict=True):
        out[zid].append(pid)
    return out


def check_zone_rows(zones: pd.DataFrame, source: str = "zones") -> list[Problem]:
    """Problems the column checks cannot see: a code both in ``members`` and
    ``partial_members``; a note for a code that is not a member; two notes for one code;
    a zone with no member at all. Rows are numbered as in a file (first data row = 2)."""
    problems: list[Problem] = []
    for i, z in enumerate(zones.to_dict("records")):
        row = i + 2
        whole = split_list(z.get("members"))
        part = split_list(z.get("partial_members"))
        if not whole and not part:
            problems.append(Problem(source, row, "members", None,
                                    "a zone needs at least one member or partial member (片区至少需要一个成员)"))
        for code in sorted(set(whole) & set(part)):
            problems.append(Problem(source, row, "partial_members", code,
                                    f"{code} is also listed in members; a member is either whole or partial "
                                    "(成员不能既是全部也是部分)"))
        seen: set[str] = set()
        for item in split_list(z.get("member_notes")):
            code = item.partition(":")[0].strip()
            if code not in whole and code not in part:
                problems.append(Problem(source, row, "member_notes", item,
                                        f"note for {code}, which is not a member of this zone (注释对应的行政区不是成员)"))
            if code in seen:
                problems.append(Problem(source, row, "member_notes", item,
                                        f"second note for {code} (同一成员有两条注释)"))
            seen.add(code)
    return problems
