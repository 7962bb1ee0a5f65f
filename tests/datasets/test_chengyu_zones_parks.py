"""Zones at district level, the partial-district rule, parent parks and shared points:
the embedded dataset and the rules of parklink.programme.zones / parklink.programme.parks."""

from __future__ import annotations

import pandas as pd

from parklink.datasets import chengyu
from parklink.programme.parks import (
    count_units,
    parent_child_pairs,
    parent_map,
    shared_point_groups,
    uncovered,
)
from parklink.programme.status import programme_status
from parklink.programme.zones import (
    check_zone_rows,
    park_zone_membership,
    park_zones,
    undetermined_parks,
    zone_districts,
)
from parklink.tables import split_list

#: zones named by the 11 June 2020 notice (programme-facts §0) and the platforms of §1c
NOTICE_ZONES = ("south-sichuan", "near-chengdu", "cq-main-city-new-area", "northeast-sichuan",
                "three-gorges-ne-cq", "wan-da-kai")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return chengyu.load("parks"), chengyu.load("zones"), chengyu.load("regions")


def test_prefecture_zones_expand_to_districts() -> None:
    _parks, zones, regions = _frames()
    zd = zone_districts(zones, regions)
    ne = set(zd.loc[zd["zone_id"] == "northeast-sichuan", "adcode"])
    # hand count from regions.csv: the districts/counties under Guangyuan, Nanchong, Guang'an, Dazhou, Bazhong
    cities = {"510800", "511300", "511600", "511700", "511900"}
    expected = set(regions.loc[regions["parent_adcode"].isin(cities), "adcode"])
    assert ne == expected and len(ne) == 34
    assert set(regions.set_index("adcode").loc[sorted(ne), "level"]) == {"district"}


def test_every_notice_zone_with_parks_counts_them() -> None:
    parks, zones, regions = _frames()
    st = programme_status(chengyu.load("designations"), parks, zones, chengyu.load("targets"), regions=regions)
    by_zone = st.by_zone.set_index("zone_id")
    for zid in NOTICE_ZONES:
        assert by_zone.loc[zid, "parks"] > 0, zid
    assert (by_zone["parks"] > 0).all()
    # Northeast Sichuan by hand: Yingshan EDZ, Kaijiang EDZ (Dazhou), Guang'an ETDZ, Guangyuan ETDZ, Gaozhu (Linshui)
    ne = {p for p, zs in zip(parks["park_id"], park_zones(parks, zones, regions), strict=True) if "northeast-sichuan" in zs}
    assert ne == {"sc-yingshan-edz", "sc-kaijiang-edz", "sc-guangan-etdz", "sc-guangyuan-etdz", "sc-gaozhu-new-area"}
    assert by_zone.loc["northeast-sichuan", "parks"] == 5


def test_partial_district_rule_on_gaozhu() -> None:
    parks, zones, regions = _frames()
    gaozhu = {p for p, zs in zip(parks["park_id"], park_zones(parks, zones, regions), strict=True) if "gaozhu" in zs}
    # only the park a source places there; Yubei's own parks are not inside the two Gaozhu towns
    assert gaozhu == {"sc-gaozhu-new-area"}
    und = undetermined_parks(parks, zones, regions)
    yubei = set(parks.loc[parks["adcode"] == "500112", "park_id"])
    assert set(und["park_id"]) == yubei and set(und["zone_id"]) == {"gaozhu"}
    m = park_zone_membership(parks, zones, regions)
    assert m.loc[m["park_id"] == "sc-gaozhu-new-area"].set_index("zone_id").loc["gaozhu", "basis"] == "stated"
    zd = zone_districts(zones, regions)
    g = zd[zd["zone_id"] == "gaozhu"]
    assert g["partial"].all() and set(g["adcode"]) == {"511623", "500112"}
    assert g["note"].str.contains("towns").all()


def test_adjacent_area_type_follows_the_platform_rule() -> None:
    """A park has area type 'adjacent' exactly when it lies in a platform (whole district or stated)."""
    parks, zones, regions = _frames()
    platforms = set(zones.loc[zones["kind"] == "platform", "zone_id"])
    for pid, zs, types in zip(parks["park_id"], park_zones(parks, zones, regions), parks["area_types"], strict=True):
        assert ("adjacent" in split_list(types)) == bool(set(zs) & platforms), pid
    konggang = parks.set_index("park_id").loc["cq-konggang-ip", "area_types"]
    assert "adjacent" not in split_list(konggang)


def test_partial_rule_by_hand() -> None:
    regions = pd.DataFrame({"adcode": ["100000", "100100", "100101", "100102"],
                            "level": ["province", "city", "district", "district"],
                            "parent_adcode": [None, "100000", "100100", "100100"]})
    zones = pd.DataFrame({"zone_id": ["z"], "members": ["100101"], "partial_members": ["100102"],
                          "member_notes": ["100102: north half"]})
    parks = pd.DataFrame({"park_id": ["a", "b", "c"], "adcode": ["100101", "100102", "100102"],
                          "stated_zones": [None, "z", None]})
    assert park_zones(parks, zones, regions) == [["z"], ["z"], []]
    assert list(undetermined_parks(parks, zones, regions)["park_id"]) == ["c"]
    # a city member covers its districts; listed both ways, a district is whole
    zones2 = pd.DataFrame({"zone_id": ["z"], "members": ["100100"], "partial_members": ["100102"], "member_notes": [None]})
    zd = zone_districts(zones2, regions)
    assert dict(zip(zd["adcode"], zd["partial"], strict=True)) == {"100101": False, "100102": False}
    assert park_zones(parks, zones2, regions) == [["z"], ["z"], ["z"]]


def test_zone_row_checks() -> None:
    zones = pd.DataFrame({"zone_id": ["a", "b", "c"], "members": ["100101", None, "100101"],
                          "partial_members": ["100101", None, None],
                          "member_notes": [None, None, "999999: nowhere"]})
    problems = check_zone_rows(zones, "zones.csv")
    assert [(p.row, p.column) for p in problems] == [(2, "partial_members"), (3, "members"), (4, "member_notes")]


def test_parents_in_the_dataset() -> None:
    parks, _zones, _regions = _frames()
    pairs = parent_child_pairs(parks)
    assert ("cq-liangjiang-new-area", "cq-liangjiang-yufu") in pairs
    assert ("cq-liangjiang-new-area", "cq-lianglu-cuntan-bonded-port") in pairs
    assert ("sc-yibin-sanjiang-new-area", "sc-yibin-lingang-etdz") in pairs
    ids = set(parks["park_id"])
    assert all(a in ids and c in ids and a != c for a, c in pairs)


def test_parent_never_double_counted() -> None:
    parent = {"c1": "p", "c2": "p", "g": "c1"}
    assert count_units(["p", "c1", "c2"], parent) == 2
    assert count_units(["p"], parent) == 1
    assert count_units(["p", "g"], parent) == 1  # grandchild stands for the grandparent
    assert uncovered(["p", "x", "c2", "c2"], parent) == ["x", "c2"]
    parks = pd.DataFrame({"park_id": ["p", "c1", "g"], "parent_park_id": [None, "p", "c1"]})
    assert parent_child_pairs(parks) == [("c1", "g"), ("p", "c1"), ("p", "g")]
    assert parent_map(parks) == {"c1": "p", "g": "c1"}


def test_status_counts_liangjiang_once() -> None:
    """Core Chongqing holds Liangjiang New Area and its two sub-parks: counted as 2 units, not 3."""
    parks, zones, regions = _frames()
    st = programme_status(chengyu.load("designations"), parks, zones, chengyu.load("targets"), regions=regions)
    in_core = [p for p, zs in zip(parks["park_id"], park_zones(parks, zones, regions), strict=True)
               if "core-chongqing" in zs]
    assert {"cq-liangjiang-new-area", "cq-liangjiang-yufu", "cq-lianglu-cuntan-bonded-port"} <= set(in_core)
    assert st.by_zone.set_index("zone_id").loc["core-chongqing", "parks"] == len(in_core) - 1
    cq = st.by_province.set_index("province").loc["CQ", "candidate_parks"]
    assert cq == int((parks["province"] == "CQ").sum()) - 1  # Liangjiang New Area stands down


def test_shared_points_are_flagged() -> None:
    parks, _zones, _regions = _frames()
    groups = shared_point_groups(parks)
    shared = {p for g in groups for p in g}
    flagged = set(parks.loc[parks["shared_point"].fillna(False).astype(bool), "park_id"])
    assert flagged == shared
    assert ["cq-konggang-ip", "cq-liangjiang-new-area"] in groups


def test_status_with_designation_naming_no_member() -> None:
    """A designation that names none of its members (valid data) does not crash the status."""
    parks, zones, regions = _frames()
    des = chengyu.load("designations")
    only_unnamed = des[des["members"].isna()].reset_index(drop=True)
    assert len(only_unnamed) == 3
    st = programme_status(only_unnamed, parks, zones, chengyu.load("targets"), regions=regions)
    assert st.by_year.set_index("year").loc[2022, "designated_parks"] == 12
    assert (st.by_area_type["designated_parks"] == 0).all()
    assert (st.by_zone["designated_parks"] == 0).all()


def test_chain_zone_scope_follows_the_park_rule() -> None:
    """A chains scope of Gaozhu holds the Gaozhu park, not the whole of Yubei and Linshui."""
    from parklink.chains.scope import ScopeFrames, resolve_scope

    frames = ScopeFrames.from_frames({k: chengyu.load(k) for k in ("regions", "zones", "parks", "designations")})
    g = resolve_scope("zone:gaozhu", frames)
    assert g.park_ids == {"sc-gaozhu-new-area"} and not g.adcodes
    ne = resolve_scope("zone:northeast-sichuan", frames)
    assert len(ne.adcodes) == 5 + 34 and "511623" in ne.adcodes  # 5 cities and their 34 districts
