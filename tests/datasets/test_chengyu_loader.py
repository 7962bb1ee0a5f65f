"""The public loader of the chengyu dataset: kinds, typing, errors, expansions."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink import tables
from parklink.datasets import chengyu
from parklink.errors import NotFoundError, ValidationError

EXPECTED_DTYPE = {
    "str": "string", "list": "string", "int": "Int64", "float": "float64", "bool": "boolean",
    "date": "datetime64[ns]",
}


def test_available_kinds_are_schema_kinds_in_order() -> None:
    kinds = chengyu.available_kinds()
    for kind in ("regions", "zones", "parks", "designations", "targets", "transport_nodes",
                 "enterprises"):
        assert kind in kinds
    assert kinds == [k for k in tables.SCHEMAS if k in kinds]


@pytest.mark.parametrize("kind", chengyu.available_kinds())
def test_load_types_and_column_order(kind: str) -> None:
    frame = chengyu.load(kind)
    sch = tables.SCHEMAS[kind]
    assert tuple(frame.columns) == sch.names
    assert len(frame) > 0
    for col in sch.columns:
        assert str(frame[col.name].dtype) == EXPECTED_DTYPE[col.type], (kind, col.name)


def test_empty_cells_are_na_and_values_typed() -> None:
    regions = chengyu.load("regions")
    sichuan = regions.set_index("adcode").loc["510000"]
    assert pd.isna(sichuan["parent_adcode"])
    parks = chengyu.load("parks").set_index("park_id")
    assert parks.loc["sc-gaozhu-new-area", "area_km2"] == 262.0  # programme-facts §1c
    assert pd.isna(parks.loc["cq-qijiang-ip", "area_km2"])
    assert bool(parks.loc["cq-qijiang-ip", "location_approximate"])
    des = chengyu.load("designations").set_index("designation_id")
    assert des.loc["b1-unnamed-sc", "unknown_members"] == 2
    assert pd.isna(des.loc["b1-unnamed-sc", "members"])
    assert des.loc["b2-yantan-changshou", "announced"] == pd.Timestamp("2023-03-24")


def test_load_returns_independent_copies() -> None:
    a = chengyu.load("targets")
    a.loc[0, "cumulative_parks"] = 999
    assert chengyu.load("targets").loc[0, "cumulative_parks"] != 999


def test_unknown_kind_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="available"):
        chengyu.load("no_such_table")
    with pytest.raises(NotFoundError):
        chengyu.load("transactions")  # a schema kind that is not shipped


def test_bad_cell_names_file_row_and_column() -> None:
    frame = pd.DataFrame({
        "year": ["2020", "20x5"], "cumulative_parks": ["10", "1.5"], "note": ["", ""],
        "source_url": ["u", "u"], "confidence": ["confirmed", "confirmed"],
    })
    with pytest.raises(ValidationError) as err:
        chengyu._typed(frame, tables.TARGETS, "targets.csv")
    where = {(p.file, p.row, p.column) for p in err.value.problems}
    assert where == {("targets.csv", 3, "year"), ("targets.csv", 3, "cumulative_parks")}


def test_missing_column_is_reported() -> None:
    frame = pd.DataFrame({"year": ["2020"]})
    with pytest.raises(ValidationError) as err:
        chengyu._typed(frame, tables.TARGETS, "targets.csv")
    assert {p.column for p in err.value.problems} == {"cumulative_parks", "note", "source_url",
                                                       "confidence"}


def test_boundaries_is_feature_collection_with_adcodes() -> None:
    fc = chengyu.boundaries()
    assert fc["type"] == "FeatureCollection"
    codes = {f["properties"]["adcode"] for f in fc["features"]}
    assert codes == set(chengyu.load("regions")["adcode"])
    fc["features"].clear()
    assert chengyu.boundaries()["features"], "boundaries() must return a fresh dict"


def test_provenance_frame() -> None:
    prov = chengyu.provenance()
    assert list(prov.columns) == list(chengyu.PROVENANCE_COLUMNS)
    assert str(prov["synthetic"].dtype) == "boolean"
    assert "regions.csv" in set(prov["file"])
    assert prov.loc[prov["file"] == "regions.csv", "licence"].str.contains("MIT").all()


def test_zone_districts_expand_cities() -> None:
    zd = chengyu.zone_districts()
    wdk = set(zd.loc[zd["zone_id"] == "wan-da-kai", "adcode"])
    # Wanzhou + Kaizhou + Dazhou's 7 county-level divisions (hand count:
    # Tongchuan, Dachuan, Xuanhan, Kaijiang, Dazhu, Qu County, Wanyuan)
    assert wdk == {"500101", "500154", "511702", "511703", "511722", "511723", "511724",
                   "511725", "511781"}
    sui_tong = set(zd.loc[zd["zone_id"] == "sui-tong", "adcode"])
    assert "500152" in sui_tong and len(sui_tong) == 1 + 5  # Tongnan + Suining's 5


@settings(max_examples=40, deadline=None)
@given(
    years=st.lists(st.integers(2000, 2100), min_size=1, max_size=8),
    flags=st.lists(st.sampled_from(["true", "false", "TRUE", " false ", ""]), min_size=8, max_size=8),
)
def test_typed_round_trips_text(years: list[int], flags: list[str]) -> None:
    """Integers written as text come back equal; booleans parse case/space-insensitively."""
    n = len(years)
    frame = pd.DataFrame({
        "year": [str(y) for y in years], "cumulative_parks": [str(y % 50) for y in years],
        "note": flags[:n], "source_url": ["u"] * n, "confidence": ["likely"] * n,
    })
    typed = chengyu._typed(frame, tables.TARGETS, "t.csv")
    assert typed["year"].tolist() == years
    assert typed["note"].isna().tolist() == [f.strip() == "" for f in flags[:n]]
    node = tables.TRANSPORT_NODES
    cols = {c: ["x"] * n for c in node.names}
    cols.update(lon=["104.5"] * n, lat=["30.25"] * n, location_approximate=flags[:n])
    typed_nodes = chengyu._typed(pd.DataFrame(cols), node, "n.csv")
    expect = [None if f.strip() == "" else f.strip().lower() == "true" for f in flags[:n]]
    got = [None if pd.isna(v) else bool(v) for v in typed_nodes["location_approximate"]]
    assert got == expect
    assert typed_nodes["lon"].tolist() == [104.5] * n
