"""The evaluation section of ``parklink plan`` (tables, map-ready GeoJSON, notes)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from parklink.evaluate.api import Evaluation, evaluate_parks, weights_table
from parklink.evaluate.location import TravelTime
from parklink.report.section import Section, SectionTable


def ranking_geojson(ev: Evaluation, parks: pd.DataFrame) -> dict[str, Any]:
    """Map-ready GeoJSON FeatureCollection: one point per park with rank, score, P(top k)."""
    df = ev.to_frame()
    k = ev.robustness.monte_carlo.top_k
    info = {str(r["park_id"]): r for r in parks.to_dict("records")}
    feats = []
    for r in df.to_dict("records"):
        pid = str(r["alternative"])
        if pid not in info:
            continue
        p = info[pid]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(p["lon"]), float(p["lat"])]},
                "properties": {
                    "park_id": pid,
                    "name_zh": str(p["name_zh"]),
                    "name_en": str(p["name_en"]),
                    "province": str(p["province"]),
                    "rank": int(r["rank"]),
                    "score": float(r["score"]),
                    f"p_top_{k}": float(r[f"p_top_{k}"]),
                    "rank_p05": float(r["rank_p05"]),
                    "rank_p95": float(r["rank_p95"]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def evaluation_section(ev: Evaluation, parks: pd.DataFrame, *, rows: int = 30) -> Section:
    """A plan :class:`Section` from a finished evaluation."""
    k = ev.robustness.monte_carlo.top_k
    rank = ev.to_frame().rename(columns={"alternative": "park_id"}).head(rows)
    c = ev.robustness.correlations
    base = ev.robustness.base
    corr = pd.DataFrame(
        {
            "method/weighting": list(c["spearman"].index),
            "spearman": c["spearman"][base].to_numpy(),
            "weighted_spearman": c["weighted_spearman"][base].to_numpy(),
            "ws": c["ws"].loc[base].to_numpy(),
        }
    )
    rr = ev.robustness.rank_reversal
    summary = ev.summary()
    summary["map"] = ranking_geojson(ev, parks)
    notes = [
        "排名为相对比较；区位指标按大圆距离×1.3绕行系数、60 km/h 估算 Rankings are relative; location "
        "indicators use geodesic distance × 1.3 detour at 60 km/h until network travel times are plugged in.",
        *ev.notes,
    ]
    return Section(
        key="evaluation",
        title_zh="园区综合评价",
        title_en="Park evaluation",
        summary=summary,
        tables=(
            SectionTable("园区排名（含稳健性）", "Park ranking with robustness", rank,
                         f"P(top {k}) from {ev.robustness.monte_carlo.draws} Dirichlet weight draws; "
                         "rank_min/rank_max over every method × weighting."),
            SectionTable("指标与权重", "Indicators and weights", weights_table(ev)),
            SectionTable("方法×赋权 排名相关", "Rank correlation of method × weighting with the primary ranking", corr),
            SectionTable("排名逆转检验", "Rank-reversal check",
                         rr.sort_values("reversed_pairs", ascending=False).head(15).reset_index(drop=True),
                         "Each row removes one park (or adds a worst-profile copy) and counts pairs of the "
                         "other parks whose order flips."),
        ),
        notes=tuple(notes),
        synthetic=ev.synthetic,
    )


def plan_section(
    parks: pd.DataFrame,
    regions: pd.DataFrame,
    zones: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    *,
    method: str = "topsis",
    weighting: str = "combined",
    draws: int = 10_000,
    top_k: int = 20,
    seed: int = 20200611,
    travel_time: TravelTime | None = None,
) -> Section:
    """Evaluate the parks of the dataset frames and return the plan's ``evaluation`` section."""
    ev = evaluate_parks(
        parks,
        regions=regions,
        zones=zones,
        transport_nodes=transport_nodes,
        enterprises=enterprises,
        method=method,
        weighting=weighting,
        draws=draws,
        top_k=top_k,
        seed=seed,
        travel_time=travel_time,
    )
    return evaluation_section(ev, parks)
