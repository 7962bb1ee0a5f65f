"""Programme status: demonstration parks designated against the cumulative targets.

The 2020 notice sets cumulative targets (2020: 10, 2022: 15, 2025: 20) without saying
whether they count parks or cooperation pairs; the first batch named 20 parks (10 on
each side). Both counts are therefore reported: ``parks`` (member parks, including
members the sources do not name) and ``designations`` (cooperation units).

Parks are counted as *units*: a park and its parent (``parks.parent_park_id``) are never
counted twice — in every counted set a park with a descendant in the same set is left out
(:func:`parklink.programme.parks.count_units`). Zone counts follow the district-level
membership and the partial-district rule of :mod:`parklink.programme.zones`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from parklink import tables as t
from parklink.programme.parks import count_units, parent_map
from parklink.programme.zones import undetermined_parks, zone_districts, zone_parks
from parklink.tables import split_list
from parklink.vocab import AREA_TYPE_NAMES as AREA_TYPE_NAMES
from parklink.vocab import PROVINCE_NAMES as PROVINCE_NAMES


@dataclass(frozen=True, slots=True)
class ProgrammeStatus:
    """Designations vs targets by year, and designated parks by province, zone and area type."""

    by_year: pd.DataFrame
    by_province: pd.DataFrame
    by_zone: pd.DataFrame
    by_area_type: pd.DataFrame
    members: pd.DataFrame
    undetermined: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The headline table: status by year."""
        return self.by_year


def _active(designations: pd.DataFrame, year: int) -> pd.DataFrame:
    active = designations["year"].astype(int) <= year
    if "revoked_year" in designations.columns:
        revoked = designations["revoked_year"]
        active &= revoked.isna() | (revoked.astype("Float64") > year)
    return designations[active]


def designation_members(designations: pd.DataFrame, parks: pd.DataFrame) -> pd.DataFrame:
    """One row per named member park of each designation, with the park's attributes."""
    rows = [
        {"designation_id": d["designation_id"], "year": int(d["year"]), "batch": int(d["batch"]), "park_id": p}
        for d in designations.to_dict("records")
        for p in split_list(d["members"])
    ]
    members = pd.DataFrame(rows, columns=["designation_id", "year", "batch", "park_id"])
    cols = ["park_id", "name_zh", "name_en", "province", "adcode", "area_types", "focus_chains"]
    return members.merge(parks[cols], on="park_id", how="left")


def programme_status(
    designations: pd.DataFrame,
    parks: pd.DataFrame,
    zones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    regions: pd.DataFrame | None = None,
    years: list[int] | None = None,
) -> ProgrammeStatus:
    """Count designated parks against targets, by year, province, zone and area type.

    A designation counts from its programme ``year`` until its ``revoked_year``; unnamed
    members (``unknown_members``) count towards totals but cannot be placed in a
    province, zone or area type, so they are reported as their own row there. A
    designation may name none of its members (all unnamed).

    ``regions`` expands zone members above district level (a city code stands for its
    districts); without it members match park host codes as listed. ``undetermined``
    lists parks in a partial member district that do not state the zone (not counted).
    """
    target_map = {int(r["year"]): int(r["cumulative_parks"]) for r in targets.to_dict("records")}
    all_years = sorted(set(years or []) | set(target_map) | set(designations["year"].astype(int)))
    members = designation_members(designations, parks)
    year_rows = []
    parent = parent_map(parks)
    for year in all_years:
        active = _active(designations, year)
        named = count_units([p for v in active["members"] for p in split_list(v)], parent)
        unknown = int(pd.to_numeric(active["unknown_members"]).fillna(0).astype(int).sum())
        target = target_map.get(year)
        parks_total = named + unknown
        year_rows.append(
            {
                "year": year,
                "target_parks": target,
                "designated_parks": parks_total,
                "named_parks": named,
                "unnamed_parks": unknown,
                "designations": len(active),
                "gap_parks": None if target is None else max(target - parks_total, 0),
                "met": None if target is None else parks_total >= target,
            }
        )
    by_year = pd.DataFrame(year_rows)

    latest = members.drop_duplicates("park_id")
    unknown_total = int(pd.to_numeric(designations["unknown_members"]).fillna(0).astype(int).sum())
    all_ids = parks["park_id"].astype(str)
    designated_ids = latest["park_id"].astype(str)
    prov_rows = []
    for code, (zh, en) in PROVINCE_NAMES.items():
        prov_rows.append(
            {
                "province": code,
                "name_zh": zh,
                "name_en": en,
                "candidate_parks": count_units(all_ids[(parks["province"] == code).to_numpy(dtype=bool)], parent),
                "designated_parks": count_units(
                    designated_ids[(latest["province"] == code).to_numpy(dtype=bool)], parent
                ),
            }
        )
    prov_rows.append(
        {
            "province": "?",
            "name_zh": "未具名",
            "name_en": "unnamed in sources",
            "candidate_parks": 0,
            "designated_parks": unknown_total,
        }
    )
    by_province = pd.DataFrame(prov_rows)

    regs = regions if regions is not None else _no_regions()
    in_zone = zone_parks(parks, zones, regs)
    districts = zone_districts(zones, regs)
    undetermined = undetermined_parks(parks, zones, regs)
    designated_set = set(designated_ids)
    zone_rows = []
    for z in zones.to_dict("records"):
        zid = str(z["zone_id"])
        ids = in_zone.get(zid, [])
        zd = districts[districts["zone_id"] == zid]
        zone_rows.append(
            {
                "zone_id": zid,
                "name_zh": z["name_zh"],
                "name_en": z["name_en"],
                "kind": z["kind"],
                "districts": int((~zd["partial"]).sum()),
                "partial_districts": int(zd["partial"].sum()),
                "parks": count_units(ids, parent),
                "designated_parks": count_units([p for p in ids if p in designated_set], parent),
                "undetermined_parks": int((undetermined["zone_id"] == zid).sum()),
            }
        )
    by_zone = pd.DataFrame(
        zone_rows,
        columns=["zone_id", "name_zh", "name_en", "kind", "districts", "partial_districts", "parks",
                 "designated_parks", "undetermined_parks"],
    )

    area_rows = []
    for code in t.AREA_TYPES:
        zh, en = AREA_TYPE_NAMES[code]
        has_all = np.array([code in split_list(v) for v in parks["area_types"]], dtype=bool)
        has_des = np.array([code in split_list(v) for v in latest["area_types"]], dtype=bool)
        area_rows.append(
            {
                "area_type": code,
                "name_zh": zh,
                "name_en": en,
                "parks": count_units(all_ids[has_all], parent),
                "designated_parks": count_units(designated_ids[has_des], parent),
            }
        )
    by_area_type = pd.DataFrame(area_rows)
    return ProgrammeStatus(by_year, by_province, by_zone, by_area_type, members, undetermined)


def _no_regions() -> pd.DataFrame:
    return pd.DataFrame({"adcode": pd.Series(dtype=object), "level": pd.Series(dtype=object),
                         "parent_adcode": pd.Series(dtype=object)})
