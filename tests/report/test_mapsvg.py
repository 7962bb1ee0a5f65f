"""The inline SVG programme map: valid XML, the expected elements per layer, determinism, insets."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
import pytest
from defusedxml import ElementTree

from parklink.datasets import chengyu
from parklink.inputs import embedded_inputs
from parklink.report.mapsvg import (
    HUB_KINDS,
    MapLeg,
    MapOptions,
    Projection,
    legs_from_geojson,
    programme_map,
    programme_map_svg,
)
from parklink.vocab import MAP_LAYER_NAMES

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def frames() -> dict[str, Any]:
    return {"parks": chengyu.load("parks"), "designations": chengyu.load("designations"),
            "transport_nodes": chengyu.load("transport_nodes"), "boundaries": chengyu.boundaries()}


def _classes(svg: str, cls: str) -> list[Any]:
    root = ElementTree.fromstring(svg)
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def _expected_lines(frames: dict[str, Any]) -> int:
    located = set(frames["parks"].dropna(subset=["lon", "lat"])["park_id"])
    n = 0
    for members in frames["designations"]["members"].dropna():
        ids = [p for p in str(members).split(";") if p in located]
        n += max(len(ids) - 1, 0)
    return n


def test_full_map_is_valid_xml_with_every_layer(frames: dict[str, Any]) -> None:
    m = programme_map(**frames)
    root = ElementTree.fromstring(m.svg)
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox") == f"0 0 {m.width} {m.height}"
    districts = [f for f in frames["boundaries"]["features"] if f["properties"]["level"] == "district"]
    assert len(_classes(m.svg, "district")) == m.counts["district"] == len(districts) == 221
    assert len(_classes(m.svg, "province")) == 2
    parks = frames["parks"].dropna(subset=["lon", "lat"])
    assert len(_classes(m.svg, "park")) == m.counts["park"] == len(parks) == 68
    members = {p for v in frames["designations"]["members"].dropna() for p in str(v).split(";")}
    assert len(_classes(m.svg, "designated")) == len(members & set(parks["park_id"]))
    assert len(_classes(m.svg, "designation")) == _expected_lines(frames) > 0
    hubs = frames["transport_nodes"][frames["transport_nodes"]["kind"].isin(HUB_KINDS)]
    assert len(_classes(m.svg, "hub")) == len(hubs) == 22
    assert "<script" not in m.svg and "href=\"http" not in m.svg
    # every park has its bilingual name as a tooltip
    titles = {e.get("data-id"): e.find(f"{NS}title").text for e in _classes(m.svg, "park")}
    row = parks.iloc[0]
    assert titles[row["park_id"]] == f"{row['name_zh']} {row['name_en']}"


def test_same_inputs_same_bytes(frames: dict[str, Any]) -> None:
    a = programme_map(**frames).svg
    b = programme_map(**frames).svg
    assert a == b
    shuffled = {**frames, "parks": frames["parks"].sample(frac=1.0, random_state=3)}
    assert programme_map(**shuffled).svg == a  # row order does not matter


def test_legend_is_bilingual_in_both_orders(frames: dict[str, Any]) -> None:
    zh, en = MAP_LAYER_NAMES["designated_park"]
    assert f"{zh} {en}" in programme_map(**frames, options=MapOptions(lang="zh")).svg
    assert f"{en} {zh}" in programme_map(**frames, options=MapOptions(lang="en")).svg


def test_projection_by_hand() -> None:
    p = Projection(100.0, 28.0, 110.0, 32.0, width=520, pad=10.0)
    cos0 = math.cos(math.radians(30.0))
    k = 500 / (10 * cos0)
    assert p.k == pytest.approx(k)
    assert p.xy(100.0, 32.0) == pytest.approx((10.0, 10.0))
    assert p.xy(110.0, 28.0) == pytest.approx((510.0, 10 + 4 * k))
    assert p.height == math.ceil(4 * k + 20)
    assert p.km_per_px() == pytest.approx(111.32 / k)


def test_park_inset_keeps_only_the_neighbourhood(frames: dict[str, Any]) -> None:
    full = programme_map(**frames)
    inset = programme_map(**frames, options=MapOptions(focus_park="cq-rongchang-htz", margin_deg=0.4))
    lon0, lat0, lon1, lat1 = inset.extent
    assert lon0 < 105.594623 < lon1 and lat0 < 29.405002 < lat1
    assert lat1 - lat0 == pytest.approx(0.8)
    assert 0 < inset.counts["district"] < full.counts["district"]
    assert inset.counts["park"] < full.counts["park"]
    focus = _classes(inset.svg, "focus")
    assert [e.get("data-id") for e in focus] == ["cq-rongchang-htz"]
    parks = frames["parks"].set_index("park_id")
    for e in _classes(inset.svg, "park"):
        lon, lat = parks.loc[e.get("data-id"), ["lon", "lat"]]
        assert lon0 <= lon <= lon1 and lat0 <= lat <= lat1
    assert "重庆荣昌高新技术产业开发区" in inset.svg  # the focused park is labelled


def test_designation_inset_frames_its_members(frames: dict[str, Any]) -> None:
    des = frames["designations"].set_index("designation_id")
    did = "b1-rongchang-longchang"
    members = str(des.loc[did, "members"]).split(";")
    inset = programme_map(**frames, options=MapOptions(focus_designation=did, id_prefix="inset"))
    assert sorted(e.get("data-id") for e in _classes(inset.svg, "focus")) == sorted(members)
    assert any(e.get("data-id") == did for e in _classes(inset.svg, "designation"))
    assert 'id="inset-clip"' in inset.svg
    with pytest.raises(KeyError):
        programme_map(**frames, options=MapOptions(focus_designation="no-such"))
    with pytest.raises(KeyError):
        programme_map(**frames, options=MapOptions(focus_park="no-such"))


def test_route_legs_and_values(frames: dict[str, Any]) -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[104.0, 30.6], [104.6, 30.1]]},
         "properties": {"mode": "road", "distance_km": 80.0}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[104.6, 30.1], [106.5, 29.5]]},
         "properties": {"mode": "rail", "distance_km": 250.0}},
    ]}
    legs = legs_from_geojson(fc, lang="en")
    assert [leg.mode for leg in legs] == ["road", "rail"]
    assert legs[1].label == "rail 铁路 250.0 km"
    values = {pid: float(i) for i, pid in enumerate(sorted(frames["parks"]["park_id"]))}
    m = programme_map(**frames, legs=legs, options=MapOptions(park_values=values, value_label=("小时", "hours")))
    polylines = _classes(m.svg, "leg")
    assert [e.get("data-mode") for e in polylines] == ["road", "rail"]
    # five quantile classes, each used by about a fifth of the 68 parks
    fills = pd.Series([e.get("fill") for e in _classes(m.svg, "park")]).value_counts()
    assert len(fills) == 5 and fills.min() >= 13
    assert "小时 hours ≤" in m.svg


def test_without_boundaries_the_points_still_draw(frames: dict[str, Any]) -> None:
    m = programme_map(parks=frames["parks"], designations=frames["designations"],
                      transport_nodes=frames["transport_nodes"], boundaries=None)
    assert m.counts["district"] == 0 and m.counts["park"] == 68 and m.notes
    ElementTree.fromstring(m.svg)


def test_two_maps_on_one_page_have_distinct_ids() -> None:
    inputs = embedded_inputs()
    a = programme_map_svg(inputs, id_prefix="a", width=400)
    b = programme_map_svg(inputs, id_prefix="b", width=400)
    ids_a = set(re.findall(r' id="([^"]+)"', a))
    ids_b = set(re.findall(r' id="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    assert MapLeg(((0.0, 0.0), (1.0, 1.0)), "road").mode == "road"
