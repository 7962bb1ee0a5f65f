"""Indicator system: travel times, computed indicators on a toy dataset, user import validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parklink.errors import ValidationError
from parklink.evaluate import compute_indicators, evaluate_parks, read_indicator_table
from parklink.evaluate.location import geodesic_km, geodesic_travel_time


def _haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371.0088  # mean Earth radius (IUGG)
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def test_geodesic_close_to_haversine_and_time_uses_detour() -> None:
    chengdu, chongqing = (104.0668, 30.5728), (106.5516, 29.5630)
    km = geodesic_km([chengdu], [chongqing])[0, 0]
    assert km == pytest.approx(_haversine_km(*chengdu, *chongqing), rel=5e-3)
    assert 250 < km < 280
    assert geodesic_travel_time([chengdu], [chongqing])[0, 0] == pytest.approx(km * 1.3 / 60)


def _toy() -> dict[str, pd.DataFrame]:
    regions = pd.DataFrame(
        {
            "adcode": ["510000", "510100", "510101", "500000", "500101", "500102"],
            "level": ["province", "city", "district", "province", "district", "district"],
            "parent_adcode": [pd.NA, "510000", "510100", pd.NA, "500000", "500000"],
            "province": ["SC", "SC", "SC", "CQ", "CQ", "CQ"],
            "seat_lon": [104.0, 104.0, 104.0, 106.5, 106.5, 105.5],
            "seat_lat": [30.6, 30.6, 30.6, 29.6, 29.6, 29.6],
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": ["core-a", "plat"],
            "kind": ["polar_core", "platform"],
            "members": ["510101", "500102"],
        }
    )
    parks = pd.DataFrame(
        {
            "park_id": ["a", "b", "c"],
            "name_zh": ["甲", "乙", "丙"],
            "name_en": ["A", "B", "C"],
            "province": ["SC", "CQ", "CQ"],
            "adcode": ["510101", "500101", "500102"],
            "lon": [104.0, 106.5, 105.5],
            "lat": [30.6, 29.6, 29.6],
            "area_km2": [10.0, np.nan, 30.0],
            "level": ["national", "provincial", "other"],
            "kind": ["htz", "etdz", "edz"],
            "area_types": ["critical_development", "transport_node", "adjacent"],
            "focus_chains": ["auto", "electronics;auto", pd.NA],
        }
    )
    nodes = pd.DataFrame(
        {"node_id": ["air", "port"], "kind": ["airport", "river_port"], "lon": [104.0, 106.5], "lat": [30.6, 29.6]}
    )
    ent = pd.DataFrame(
        {
            "province": ["SC", "SC", "CQ", "CQ"],
            "lon": [104.01, 104.02, 106.51, 108.0],
            "lat": [30.6, 30.6, 29.6, 31.0],
            "chain": ["auto", pd.NA, "electronics", "auto"],
            "output_cny_m": [100.0, 50.0, 30.0, 10.0],
            "leading": [True, False, False, True],
            "synthetic": [False, False, False, False],
        }
    )
    return {"regions": regions, "zones": zones, "parks": parks, "transport_nodes": nodes, "enterprises": ent}


def test_compute_indicators_on_toy_dataset() -> None:
    t = _toy()
    it = compute_indicators(
        t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"], enterprises=t["enterprises"]
    )
    v = it.values.set_index("park_id")
    assert v["park_level"].tolist() == [3.0, 2.0, 1.0]
    assert v.at["a", "t_core"] == pytest.approx(0.0, abs=1e-9)
    assert v.at["b", "t_core"] == pytest.approx(geodesic_travel_time([(106.5, 29.6)], [(104.0, 30.6)])[0, 0])
    assert math.isnan(v.at["a", "t_rail_port"])  # no rail port in the toy data
    # border: nearest district seat of the other province
    assert v.at["c", "t_border"] == pytest.approx(geodesic_travel_time([(105.5, 29.6)], [(104.0, 30.6)])[0, 0])
    assert v["adjacent_platform"].tolist() == [0.0, 0.0, 1.0]
    assert v["focus_chains"].tolist() == [1.0, 2.0, 0.0]
    # park a: within 1 h are firms 0 (auto, leading) and 1 (no chain); focal chain auto → 1 firm
    assert v.at["a", "chain_firms"] == 1.0 and v.at["a", "chain_output"] == 100.0
    assert v.at["a", "leaders"] == 1.0
    # LQ: (1 focal / 2 firms within reach) ÷ (2 auto / 4 firms in the circle) = 1.0
    assert v.at["a", "chain_lq"] == pytest.approx(1.0)
    assert not it.synthetic


def test_coverage_rule_and_matrix_imputation() -> None:
    t = _toy()
    it = compute_indicators(t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"])
    crits, notes = it.usable(min_coverage=0.5)
    keys = [c.key for c in crits]
    assert "t_rail_port" not in keys and any("t_rail_port" in n for n in notes)
    assert "planned_area" in keys  # 2 of 3 known
    dm = it.matrix(t["parks"])
    j = dm.keys.index("planned_area")
    assert dm.values[1, j] == pytest.approx(20.0)  # median of 10 and 30
    assert dm.imputed is not None and dm.imputed[1, j]
    assert dm.labels[0] == "甲 A"


def test_read_indicator_table_validates_file_row_column(tmp_path: Path) -> None:
    defs = tmp_path / "defs.csv"
    defs.write_text(
        "key,name_zh,name_en,unit,direction,group,source,formula\n"
        "rd,研发平台,R&D platforms,count,benefit,resource,survey,count\n"
        "land,可用土地,land available,km2,sideways,resource,survey,\n",
        encoding="utf-8",
    )
    vals = tmp_path / "vals.csv"
    vals.write_text("park_id,rd\na,3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_indicator_table(vals, defs)
    (p,) = err.value.problems
    assert (p.file, p.row, p.column) == ("defs.csv", 3, "direction")

    defs.write_text(
        "key,name_zh,name_en,unit,direction,group,source,formula\nrd,研发平台,R&D platforms,count,benefit,resource,survey,count\n",
        encoding="utf-8",
    )
    vals.write_text("park_id,rd\na,3\nzz,x\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_indicator_table(vals, defs, park_ids=["a", "b"])
    got = {(p.row, p.column, p.reason) for p in err.value.problems}
    assert (3, "park_id", "unknown park id") in got
    assert (3, "rd", "not a number") in got

    vals.write_text("park_id,rd\na,3\nb,\n", encoding="utf-8-sig")
    table = read_indicator_table(vals, defs, park_ids=["a", "b"])
    assert table.values["rd"].tolist()[0] == 3.0 and math.isnan(table.values["rd"].tolist()[1])


def test_user_indicators_extend_and_replace() -> None:
    t = _toy()
    user = read_indicator_table(
        pd.DataFrame({"park_id": ["a", "b", "c"], "rd": ["1", "5", "2"]}),
        pd.DataFrame({"key": ["rd"], "name_zh": ["研发"], "name_en": ["R&D"], "direction": ["benefit"]}),
    )
    ev = evaluate_parks(
        t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"],
        indicators=user, replace_indicators=True, draws=100, top_k=1,
    )
    assert ev.matrix.keys == ("rd",)
    assert ev.result.top(1) == ["b"]
    ev2 = evaluate_parks(
        t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"],
        indicators=user, draws=100, top_k=1,
    )
    assert "rd" in ev2.matrix.keys and "park_level" in ev2.matrix.keys


def test_travel_time_injection_is_used() -> None:
    t = _toy()

    def flat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.full((len(a), len(b)), 2.5)

    it = compute_indicators(
        t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"], travel_time=flat
    )
    assert it.values["t_airport"].tolist() == [2.5, 2.5, 2.5]


def test_travel_time_within_matches_full_computation() -> None:
    from parklink.evaluate.location import geodesic_travel_time_within

    rng = np.random.default_rng(0)
    a = np.column_stack([rng.uniform(103, 109, 40), rng.uniform(28, 32, 40)])
    b = np.column_stack([rng.uniform(103, 109, 30), rng.uniform(28, 32, 30)])
    full = geodesic_travel_time(a, b)
    within = geodesic_travel_time_within(a, b, 3.0)
    inside = full <= 3.0
    assert np.allclose(within[inside], full[inside])
    assert np.all(np.isinf(within[~inside]))


def test_group_level_ahp_in_evaluation() -> None:
    t = _toy()
    pair = pd.DataFrame([[1, 3, 1], [1 / 3, 1, 1 / 3], [1, 3, 1]],
                        columns=["resource", "location", "industry"])
    ev = evaluate_parks(
        t["parks"], regions=t["regions"], zones=t["zones"], transport_nodes=t["transport_nodes"],
        enterprises=t["enterprises"], weighting="ahp", ahp=pair, draws=50, top_k=1,
    )
    w = ev.weights.as_dict()
    groups = {c.key: c.group for c in ev.matrix.criteria}
    by_group = {g: sum(v for k, v in w.items() if groups[k] == g) for g in ("resource", "location", "industry")}
    # consistent matrix: group weights 3/7, 1/7, 3/7
    assert by_group["resource"] == pytest.approx(3 / 7)
    assert by_group["location"] == pytest.approx(1 / 7)
    assert ev.ahp is not None and ev.ahp.cr == pytest.approx(0.0, abs=1e-9)
