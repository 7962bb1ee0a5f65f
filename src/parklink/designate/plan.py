"""The designation section of ``parklink plan`` (plan, pairs, explanations, historical check)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from parklink.designate.api import (
    HistoricalCheck,
    designate_from_frames,
    historical_check,
    targets_from_frame,
)
from parklink.designate.model import DesignationResult
from parklink.designate.scenario import Scenario
from parklink.evaluate.api import Evaluation, score_parks
from parklink.evaluate.location import TravelTime
from parklink.report.section import Section, SectionTable


def plan_geojson(result: DesignationResult, parks: pd.DataFrame) -> dict[str, Any]:
    """Map-ready GeoJSON: designated parks (points with year) and pairs (lines)."""
    ids = parks["park_id"].astype(str).tolist()
    xy = dict(zip(ids, zip(parks["lon"].astype(float).tolist(), parks["lat"].astype(float).tolist(), strict=True), strict=True))
    feats: list[dict[str, Any]] = []
    for r in result.plan[result.plan["designated"]].to_dict("records"):
        lon, lat = xy[str(r["park_id"])]
        year = r["year"]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "park_id": str(r["park_id"]),
                    "name_zh": str(r["name_zh"]),
                    "name_en": str(r["name_en"]),
                    "province": str(r["province"]),
                    "year": None if year is None or year is pd.NA else int(year),
                    "score": float(r["score"]),
                    "partners": str(r["partners"]),
                },
            }
        )
    for q in result.pairs.to_dict("records"):
        a, b = xy[str(q["park_a"])], xy[str(q["park_b"])]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(a), list(b)]},
                "properties": {"park_a": str(q["park_a"]), "park_b": str(q["park_b"]), "hours": float(q["hours"]),
                               "synergy": float(q["synergy"])},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def designation_section(
    result: DesignationResult, parks: pd.DataFrame, history: HistoricalCheck | None = None
) -> Section:
    """A plan :class:`Section` from a solved designation (and optional historical check)."""
    summary: dict[str, Any] = result.summary()
    summary["scenario_parameters"] = result.scenario.to_dict()
    summary["map"] = plan_geojson(result, parks)
    tables = [
        SectionTable("认定方案", "Designation plan", result.plan[result.plan["designated"]].reset_index(drop=True),
                     f"MILP on HiGHS: status {result.status}, gap {result.mip_gap:.1e} (target "
                     f"{result.mip_gap_target}), {result.seconds:.2f} s (limit {result.time_limit:g} s)."),
        SectionTable("跨省结对", "Cross-border pairs (final year)", result.pairs),
        SectionTable("起作用的约束", "Binding constraints", result.binding),
    ]
    if len(result.explanations):
        tables.append(SectionTable("强制入选/排除的目标变化", "Objective change if forced out / in", result.explanations,
                                   "delta = objective of the re-solve minus the optimum; infeasible rows name the "
                                   "conflicting constraint groups."))
    notes = [
        "优化结果取决于评分与情景参数，是决策参考而非结论 The plan follows from the scores and the scenario "
        "parameters; it supports, not replaces, the decision.",
    ]
    if history is not None:
        hs = history.summary()
        summary["historical_check"] = hs
        tables.append(SectionTable("历史检验：第一批", "Historical check: first batch", history.to_frame(),
                                   "Indicators describe today's data, not 2020's; a plausibility figure, not a target."))
        notes.append(
            f"历史检验 Historical check: the re-run selection of {hs['k']} parks recovers {hs['overlap_milp']} of the "
            f"{hs['actual_named']} named first-batch parks (top-{hs['k']} by score: {hs['overlap_top_score']})."
        )
    return Section(
        key="designation",
        title_zh="示范园区认定方案",
        title_en="Demonstration-park designation",
        summary=summary,
        tables=tuple(tables),
        notes=tuple(notes),
        synthetic=False,
    )


def plan_section(
    parks: pd.DataFrame,
    regions: pd.DataFrame,
    zones: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    designations: pd.DataFrame,
    targets: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    *,
    scenario: Scenario | None = None,
    evaluation: Evaluation | None = None,
    explain: bool = True,
    runner_ups: int = 5,
    history: bool = True,
    travel_time: TravelTime | None = None,
) -> Section:
    """Score the parks (or reuse ``evaluation``'s scores), solve the designation scenario
    (default: the ``targets`` table) and return the plan's ``designation`` section."""
    if evaluation is not None:
        scores = evaluation.scores()
        synthetic = evaluation.synthetic
    else:
        scores = score_parks(parks, regions=regions, zones=zones, transport_nodes=transport_nodes,
                             enterprises=enterprises, travel_time=travel_time, designations=designations)
        synthetic = bool(enterprises is not None and "synthetic" in enterprises.columns
                         and enterprises["synthetic"].fillna(False).astype(bool).any())
    sc = scenario or (Scenario(targets=targets_from_frame(targets)) if len(targets) else Scenario())
    res = designate_from_frames(
        parks, scores, zones=zones, regions=regions, designations=designations, scenario=sc,
        travel_time=travel_time, explain=explain, runner_ups=runner_ups,
    )
    hist = (
        historical_check(parks, scores, designations=designations, zones=zones, regions=regions,
                         travel_time=travel_time)
        if history and len(designations)
        else None
    )
    section = designation_section(res, parks, hist)
    if synthetic:
        section = Section(section.key, section.title_zh, section.title_en, section.summary, section.tables,
                          section.notes, True)
    return section
