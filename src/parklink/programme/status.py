"""Programme status: demonstration parks designated against the cumulative targets.

The 2020 notice sets cumulative targets (2020: 10, 2022: 15, 2025: 20) without saying
whether they count parks or cooperation pairs; the first batch named 20 parks (10 on
each side). Both counts are therefore reported: ``parks`` (member parks, including
members the sources do not name) and ``designations`` (cooperation units).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from parklink import tables as t
from parklink.store.io import split_list
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
    years: list[int] | None = None,
) -> ProgrammeStatus:
    """Count designated parks against targets, by year, province, zone and area type.

    A designation counts from its programme ``year`` until its ``revoked_year``; unnamed
    members (``unknown_members``) count towards totals but cannot be placed in a
    province, zone or area type, so they are reported as their own row there.
    """
    target_map = {int(r["year"]): int(r["cumulative_parks"]) for r in targets.to_dict("records")}
    all_years = sorted(set(years or []) | set(target_map) | set(designations["year"].astype(int)))
    members = designation_members(designations, parks)
    year_rows = []
    for year in all_years:
        active = _active(designations, year)
        named = sum(len(split_list(v)) for v in active["members"])
        unknown = int(active["unknown_members"].fillna(0).astype(int).sum())
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
    unknown_total = int(designations["unknown_members"].fillna(0).astype(int).sum())
    prov_rows = []
    for code, (zh, en) in PROVINCE_NAMES.items():
        prov_rows.append(
            {
                "province": code,
                "name_zh": zh,
                "name_en": en,
                "candidate_parks": int((parks["province"] == code).sum()),
                "designated_parks": int((latest["province"] == code).sum()),
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

    zone_rows = []
    for z in zones.to_dict("records"):
        region_set = set(split_list(z["members"]))
        in_zone = parks["adcode"].isin(region_set)
        zone_rows.append(
            {
                "zone_id": z["zone_id"],
                "name_zh": z["name_zh"],
                "name_en": z["name_en"],
                "kind": z["kind"],
                "parks": int(in_zone.sum()),
                "designated_parks": int(latest["adcode"].isin(region_set).sum()),
            }
        )
    by_zone = pd.DataFrame(
        zone_rows, columns=["zone_id", "name_zh", "name_en", "kind", "parks", "designated_parks"]
    )

    area_rows = []
    for code in t.AREA_TYPES:
        zh, en = AREA_TYPE_NAMES[code]
        has_all = parks["area_types"].map(lambda v, c=code: c in split_list(v))
        has_des = latest["area_types"].map(lambda v, c=code: c in split_list(v))
        area_rows.append(
            {
                "area_type": code,
                "name_zh": zh,
                "name_en": en,
                "parks": int(has_all.sum()),
                "designated_parks": int(has_des.sum()),
            }
        )
    by_area_type = pd.DataFrame(area_rows)
    return ProgrammeStatus(by_year, by_province, by_zone, by_area_type, members)
