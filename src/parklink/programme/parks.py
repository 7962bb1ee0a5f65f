"""Parks inside parks, and parks that share a map point.

**Parent and child.** ``parks.parent_park_id`` names the park a park lies inside (a
sub-park of a new area, a bonded zone inside a high-tech zone). A park and its parent are
never counted, evaluated or designated as two units:

* *Counts* (:func:`count_units`, used by :mod:`parklink.programme.status`): within any
  counted set of parks, a park with a descendant in the same set is not counted — its
  children stand for it. A set holding Liangjiang New Area and two of its sub-parks counts 2.
* *Evaluation* (:func:`evaluation_units`, used by :mod:`parklink.evaluate.indicators`): a
  designated park stands for its family — its ancestors and descendants among the
  candidates are left out (Liangjiang Yufu is designated, so Liangjiang New Area does not
  compete; Yibin Sanjiang New Area is designated, so its Lingang ETDZ does not). Where no
  relative is designated, a parent is a candidate only when none of its descendants is one
  (the sub-parks compete; Chengdu HTZ stands down for its West Park bonded zone).
* *Designation*: :func:`parent_child_pairs` gives every (ancestor, descendant) pair for the
  "never both" constraint of the designation model.

**Shared points.** No source gives park coordinates; parks are placed at their host
district seat, so several parks can share one point. ``parks.shared_point`` flags them
(:func:`shared_point_groups` finds them from the coordinates); location indicators of
such parks are identical by construction, which the evaluation reports in its notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from parklink.errors import Problem

#: Coordinates closer than this (degrees, ≈ 1 m) are one point.
POINT_TOLERANCE_DEG = 1e-5


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    out = str(value).strip()
    return out or None


def parent_map(parks: pd.DataFrame) -> dict[str, str]:
    """Park id → parent park id, for parks that have one (no ``parent_park_id`` column → {})."""
    if "parent_park_id" not in parks.columns:
        return {}
    out: dict[str, str] = {}
    for pid, parent in zip(parks["park_id"].astype(str), parks["parent_park_id"], strict=True):
        p = _text(parent)
        if p is not None:
            out[pid] = p
    return out


def ancestors(park_id: str, parent: Mapping[str, str]) -> list[str]:
    """Parent, grandparent, ... of ``park_id`` (stops at a repeated id, so a cycle cannot loop)."""
    out: list[str] = []
    seen = {park_id}
    cur = parent.get(park_id)
    while cur is not None and cur not in seen:
        out.append(cur)
        seen.add(cur)
        cur = parent.get(cur)
    return out


def parent_child_pairs(parks: pd.DataFrame) -> list[tuple[str, str]]:
    """Every (ancestor, descendant) pair of the park hierarchy, sorted.

    Direct parent/child pairs and, through several levels, grandparent/grandchild ones: two
    parks of one pair must never both be designated (or both counted as separate units).
    """
    parent = parent_map(parks)
    return sorted({(a, child) for child in parent for a in ancestors(child, parent)})


def covered(park_ids: Iterable[str], parent: Mapping[str, str]) -> set[str]:
    """The parks of ``park_ids`` that have a descendant in ``park_ids`` (their children stand for them)."""
    ids = set(park_ids)
    return {a for pid in ids for a in ancestors(pid, parent) if a in ids}


def uncovered(park_ids: Iterable[str], parent: Mapping[str, str]) -> list[str]:
    """``park_ids`` (order kept, duplicates dropped) without the parks covered by a descendant."""
    ids = list(dict.fromkeys(park_ids))
    drop = covered(ids, parent)
    return [p for p in ids if p not in drop]


def designated_ids(designations: pd.DataFrame | None) -> set[str]:
    """Park ids named as members of any designation not revoked (empty for None)."""
    if designations is None or len(designations) == 0:
        return set()
    from parklink.tables import split_list

    rows = designations
    if "revoked_year" in rows.columns:
        rows = rows[rows["revoked_year"].isna()]
    return {p for v in rows["members"] for p in split_list(v)}


def evaluation_units(park_ids: Iterable[str], parent: Mapping[str, str], designated: Iterable[str] = ()) -> list[str]:
    """The candidates of an evaluation (order kept) so that a park and its parent never compete.

    1. A designated park stands for its family: its ancestors and descendants that are not
       designated themselves are dropped.
    2. Among the rest, a park with a remaining descendant is dropped (the sub-parks compete),
       unless it is designated.
    """
    ids = list(dict.fromkeys(park_ids))
    chosen = set(designated) & set(ids)
    drop: set[str] = set()
    for q in chosen:
        drop.update(a for a in ancestors(q, parent) if a not in chosen)
    for pid in ids:
        if any(a in chosen for a in ancestors(pid, parent)) and pid not in chosen:
            drop.add(pid)
    rest = [p for p in ids if p not in drop]
    drop2 = {p for p in covered(rest, parent) if p not in chosen}
    return [p for p in rest if p not in drop2]


def count_units(park_ids: Iterable[str], parent: Mapping[str, str]) -> int:
    """Number of distinct parks of ``park_ids``, a park and its descendants counted once."""
    return len(uncovered(park_ids, parent))


def shared_point_groups(parks: pd.DataFrame, tolerance: float = POINT_TOLERANCE_DEG) -> list[list[str]]:
    """Groups (≥ 2 parks, ids sorted) whose points coincide within ``tolerance`` degrees."""
    if len(parks) == 0:
        return []
    lon = pd.to_numeric(parks["lon"], errors="coerce").to_numpy(dtype=float, na_value=float("nan"))
    lat = pd.to_numeric(parks["lat"], errors="coerce").to_numpy(dtype=float, na_value=float("nan"))
    groups: dict[tuple[int, int], list[str]] = {}
    for pid, x, y in zip(parks["park_id"].astype(str), lon, lat, strict=True):
        if x != x or y != y:  # NaN
            continue
        groups.setdefault((round(x / tolerance), round(y / tolerance)), []).append(pid)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def shared_point_flags(parks: pd.DataFrame) -> pd.Series:
    """Boolean per park (index = park_id): ``shared_point`` as stored, or'ed with coordinates
    that coincide with another park's (so an import without the flag is still caught)."""
    ids = parks["park_id"].astype(str)
    flag = pd.Series(False, index=pd.Index(ids, name="park_id"), name="shared_point")
    if "shared_point" in parks.columns:
        flag |= parks["shared_point"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for group in shared_point_groups(parks):
        flag[group] = True
    return flag


def check_parents(parks: pd.DataFrame, source: str = "parks") -> list[Problem]:
    """Problems of ``parent_park_id``: a park as its own parent, or a cycle of parents.

    Unknown parent ids are foreign-key errors caught by the import validator and the database.
    Rows are numbered as in a file with a header line (first data row = 2).
    """
    parent = parent_map(parks)
    rows = {pid: i + 2 for i, pid in enumerate(parks["park_id"].astype(str))}
    problems: list[Problem] = []
    for pid, par in parent.items():
        if par == pid:
            problems.append(Problem(source, rows.get(pid), "parent_park_id", par,
                                    "a park cannot be its own parent (园区不能是自身的上级园区)"))
            continue
        seen = {pid}
        cur: str | None = par
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = parent.get(cur)
        if cur == pid:
            problems.append(Problem(source, rows.get(pid), "parent_park_id", par,
                                    "parents form a cycle (上级园区形成循环)"))
    return problems
