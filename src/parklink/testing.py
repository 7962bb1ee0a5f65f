"""Public helpers for tests (ours and users'): a tiny registry and frame comparisons."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

from parklink import tables as t

T = TypeVar("T")


def canonical(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """``frame`` reduced to the schema columns of ``kind``, typed and sorted by key."""
    from parklink.store.io import coerce_frame

    schema = t.schema(kind)
    out = coerce_frame(frame[list(schema.names)], kind)
    return out.sort_values(list(schema.key)).reset_index(drop=True)


def assert_frames_equivalent(left: pd.DataFrame, right: pd.DataFrame, kind: str) -> None:
    """Assert two frames hold the same rows of ``kind`` (order, dtypes and NA spelling aside)."""
    pd.testing.assert_frame_equal(canonical(left, kind), canonical(right, kind), check_exact=True)


def tiny_registry() -> dict[str, pd.DataFrame]:
    """A hand-made, internally consistent registry (every kind, a few rows each).

    Two provinces, two cities/districts per side, three parks, one cross-border
    designation, two hubs, one link, a two-segment chain and two enterprises. The
    facts are illustrative only (confidence 'synthetic').
    """
    syn = {"source_url": None, "confidence": "synthetic"}
    regions = pd.DataFrame(
        [
            {"adcode": "510000", "name_zh": "四川省", "name_en": "Sichuan Province", "level": "province",
             "parent_adcode": None, "province": "SC", "seat_lon": 104.07, "seat_lat": 30.66,
             "seat_approximate": False, "area_km2": None, **syn},
            {"adcode": "510100", "name_zh": "成都市", "name_en": "Chengdu", "level": "city",
             "parent_adcode": "510000", "province": "SC", "seat_lon": 104.07, "seat_lat": 30.66,
             "seat_approximate": False, "area_km2": 14335.0, **syn},
            {"adcode": "510112", "name_zh": "龙泉驿区", "name_en": "Longquanyi District", "level": "district",
             "parent_adcode": "510100", "province": "SC", "seat_lon": 104.27, "seat_lat": 30.56,
             "seat_approximate": False, "area_km2": 558.0, **syn},
            {"adcode": "500000", "name_zh": "重庆市", "name_en": "Chongqing", "level": "province",
             "parent_adcode": None, "province": "CQ", "seat_lon": 106.55, "seat_lat": 29.56,
             "seat_approximate": False, "area_km2": None, **syn},
            {"adcode": "500112", "name_zh": "渝北区", "name_en": "Yubei District", "level": "district",
             "parent_adcode": "500000", "province": "CQ", "seat_lon": 106.51, "seat_lat": 29.60,
             "seat_approximate": True, "area_km2": 1452.0, **syn},
        ]
    )
    zones = pd.DataFrame(
        [{"zone_id": "core-cq", "name_zh": "重庆主城", "name_en": "Central Chongqing", "kind": "polar_core",
          "members": "500112", "partial_members": None, "member_notes": None, **syn},
         {"zone_id": "test-platform", "name_zh": "测试平台", "name_en": "Test platform", "kind": "platform",
          "members": "510112;500112", "partial_members": None, "member_notes": None, **syn}]
    )
    parks = pd.DataFrame(
        [
            {"park_id": "sc-a", "name_zh": "甲园区", "name_en": "Park A", "province": "SC", "adcode": "510112",
             "lon": 104.27, "lat": 30.56, "location_approximate": True, "area_km2": 10.5, "level": "national",
             "kind": "etdz", "area_types": "critical_development", "focus_chains": "auto;electronics",
             "industries": "汽车 autos", "parent_park_id": None, "shared_point": False, "stated_zones": None, **syn},
            {"park_id": "cq-b", "name_zh": "乙园区", "name_en": "Park B", "province": "CQ", "adcode": "500112",
             "lon": 106.51, "lat": 29.60, "location_approximate": False, "area_km2": None, "level": "provincial",
             "kind": "industrial_park", "area_types": "transport_node;adjacent", "focus_chains": "auto",
             "industries": None, "parent_park_id": None, "shared_point": False, "stated_zones": None, **syn},
            {"park_id": "cq-c", "name_zh": "丙园区", "name_en": "Park C", "province": "CQ", "adcode": "500112",
             "lon": 106.6, "lat": 29.7, "location_approximate": False, "area_km2": 3.0, "level": "other",
             "kind": "htz", "area_types": None, "focus_chains": None, "industries": None,
             "parent_park_id": None, "shared_point": None, "stated_zones": None, **syn},
        ]
    )
    designations = pd.DataFrame(
        [{"designation_id": "b1-a-b", "batch": 1, "year": 2020, "announced": dt.date(2021, 1, 5),
          "members": "cq-b;sc-a", "unknown_members": 0, "theme_chains": "auto", "theme": "汽车零部件 auto parts",
          "mode": "supporting_industry", **syn},
         {"designation_id": "b1-unknown", "batch": 1, "year": 2020, "announced": dt.date(2021, 1, 5),
          "members": None, "unknown_members": 2, "theme_chains": None, "theme": None, "mode": "unknown", **syn}]
    )
    targets = pd.DataFrame(
        [{"year": 2020, "cumulative_parks": 10, "note": None, **syn},
         {"year": 2022, "cumulative_parks": 15, "note": None, **syn},
         {"year": 2025, "cumulative_parks": 20, "note": None, **syn}]
    )
    nodes = pd.DataFrame(
        [{"node_id": "air-ckg", "name_zh": "江北机场", "name_en": "Jiangbei Airport", "kind": "airport",
          "modes": "air;road", "adcode": "500112", "lon": 106.64, "lat": 29.72, "location_approximate": False,
          "code": "CKG", **syn},
         {"node_id": "rail-cd", "name_zh": "成都铁路港", "name_en": "Chengdu Railway Port", "kind": "rail_port",
          "modes": "rail;road", "adcode": None, "lon": 104.33, "lat": 30.79, "location_approximate": True,
          "code": None, **syn}]
    )
    links = pd.DataFrame(
        [{"link_id": "l1", "from_node": "rail-cd", "to_node": "air-ckg", "mode": "road", "distance_km": 320.5,
          "time_h": 4.25, "cost_cny_per_t": 160.0, "bidirectional": True, "approximate": True, **syn}]
    )
    segments = pd.DataFrame(
        [{"segment_id": "auto.castings", "chain": "auto", "version": "v1", "name_zh": "铸件",
          "name_en": "Castings", "level": "up", "stage": "basic processes", "weight": 1.0,
          "gbt4754": "3391:E;3392:E", "keywords_include": "铸造;压铸", "keywords_exclude": None, "inputs": None,
          "source_refs": "chain-methods §4.1", "confidence": "likely"},
         {"segment_id": "auto.vehicles", "chain": "auto", "version": "v1", "name_zh": "整车",
          "name_en": "Vehicles", "level": "mid", "stage": "vehicles", "weight": 2.0, "gbt4754": "3611:E",
          "keywords_include": "整车", "keywords_exclude": None, "inputs": "auto.castings",
          "source_refs": None, "confidence": "likely"}]
    )
    enterprises = pd.DataFrame(
        [{"enterprise_id": "E1", "name_zh": "甲汽车", "name_en": "Alpha Motors", "province": "CQ",
          "adcode": "500112", "park_id": "cq-b", "lon": 106.51, "lat": 29.6, "chain": "auto",
          "segments": "auto.vehicles", "size_class": "large", "employees": 12000, "output_cny_m": 50000.0,
          "leading": True, "synthetic": True, **syn},
         {"enterprise_id": "E2", "name_zh": "乙铸造", "name_en": "Beta Castings", "province": "OUT",
          "adcode": None, "park_id": None, "lon": 120.1, "lat": 30.2, "chain": None,
          "segments": "auto.castings", "size_class": "small", "employees": None, "output_cny_m": 12.5,
          "leading": False, "synthetic": True, **syn}]
    )
    indicators = pd.DataFrame(
        [{"indicator_id": "tax", "name_zh": "评价税收", "name_en": "Assessed tax", "formula": "taxes paid",
          "unit": "万元", "frequency": "annual", "direction": "benefit", "as_of": None, **syn},
         {"indicator_id": "land_area_mu", "name_zh": "用地面积", "name_en": "Land area", "formula": "land used",
          "unit": "亩", "frequency": "annual", "direction": "neutral", "as_of": None, **syn}]
    )
    values = pd.DataFrame(
        [{"value_id": f"sc-a:{k}:2024", "park_id": "sc-a", "indicator_id": k, "period": "2024", "value": v,
          "as_of": None, "note": None, **syn} for k, v in (("tax", 1200.0), ("land_area_mu", 300.0))]
    )
    frames = {
        "monitoring_indicators": indicators,
        "indicator_values": values,
        "regions": regions,
        "zones": zones,
        "parks": parks,
        "designations": designations,
        "targets": targets,
        "transport_nodes": nodes,
        "transport_links": links,
        "chain_segments": segments,
        "enterprises": enterprises,
        **tiny_coconstruction(),
    }
    return {k: canonical(v, k) for k, v in frames.items()}


def tiny_coconstruction() -> dict[str, pd.DataFrame]:
    """The co-construction kinds of :func:`tiny_registry` (one or two synthetic rows each,
    referring to its parks sc-a/cq-b, enterprises E1/E2 and segments)."""
    syn = {"source_url": None, "confidence": "synthetic", "as_of": dt.date(2024, 6, 30)}
    pip = pd.DataFrame([
        {"pip_id": "pip-1", "name_zh": "甲园中园", "name_en": "Park-in-park 1", "host_region": "500112",
         "host_park_id": "cq-b", "mode": "hq_base", "leaders": "甲汽车", "leader_ids": "E1",
         "partner_region": "510112", "partner_park_id": "sc-a", "partner_name": None, "area_km2": 2.5,
         "investment_cny_m": 1200.0, "start_year": 2021, "member_firms": "E1;E2", "n_member_firms": 12,
         "output_cny_m": 800.0, "jobs": 3000, "status": "operating", "note": None, **syn}])
    sharing = pd.DataFrame([
        {"agreement_id": "ag-1", "pip_id": "pip-1", "park_id": "cq-b", "area_name": "甲园中园",
         "parties": "甲方;乙方", "metric": "tax", "base": "new", "split_pct": "60;40", "scope": None,
         "start_year": 2021, "duration_years": 10, "floor_cny_m": 5.0, "floor_beneficiary": "乙方",
         "attribution": "territorial", "note": None, **syn}])
    realised = pd.DataFrame([
        {"record_id": "ag-1-2023", "agreement_id": "ag-1", "year": 2023, "total_cny_m": 100.0,
         "received_cny_m": "70;30", **syn}])
    recognitions = pd.DataFrame([
        {"recognition_id": "rec-1", "enterprise_id": "E1", "enterprise_name": "甲汽车", "park_id": "cq-b",
         "kind": "intelligent_factory", "tier": "advanced", "list_level": "provincial", "year": 2024,
         "batch": "2024-1", "issuing_body": "测试机关", "project": None, **syn}])
    assessments = pd.DataFrame([
        {"assessment_id": "as-1", "enterprise_id": "E1", "park_id": "cq-b",
         "assessed_on": dt.date(2024, 5, 1), "assessor": "self", "model_version": "gbt39116-2020",
         "overall_level": 3, "score": 2.9, "domain_levels": "design:3;production:2", **syn}])
    aggregates = pd.DataFrame([
        {"aggregate_id": "agg-1", "region": "500000", "kind": "digital_workshop", "tier": None,
         "measure": "cumulative", "year": 2023, "count": 10, "qualifier": "exact", "note": None, **syn}])
    platforms = pd.DataFrame([
        {"platform_id": "pf-1", "name_zh": "甲设计中心", "name_en": "Design centre 1",
         "kind": "industrial_design_centre", "level": "provincial", "host_park_id": "sc-a", "owner": "甲",
         "enterprise_id": "E1", "chains": "auto", "segments": "auto.castings", "services": "设计 design",
         "year_recognised": 2022, **syn}])
    return {"parks_in_park": pip, "benefit_sharing": sharing, "sharing_realised": realised,
            "smart_recognitions": recognitions, "maturity_assessments": assessments,
            "smart_aggregates": aggregates, "platforms": platforms}


def run_together(n: int, task: Callable[[], T]) -> list[T]:
    """Run ``task`` in ``n`` threads released at the same moment (a barrier), and return
    their results (in the order they finished); an exception in a thread fails the call."""
    start = threading.Barrier(n)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(task())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
