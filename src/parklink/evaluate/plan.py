"""The evaluation section of ``parklink plan`` (tables, map-ready GeoJSON, notes)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from parklink.evaluate.api import Evaluation, evaluate_parks, weights_table
from parklink.evaluate.calibration import ProgrammeCalibration
from parklink.evaluate.location import TravelTime
from parklink.programme.parks import shared_point_flags
from parklink.report.section import Section, SectionTable


def ranking_geojson(ev: Evaluation, parks: pd.DataFrame) -> dict[str, Any]:
    """Map-ready GeoJSON FeatureCollection: one point per park with rank, score, P(top k)."""
    df = ev.to_frame()
    k = ev.robustness.monte_carlo.top_k
    info = {str(r["park_id"]): r for r in parks.to_dict("records")}
    shared = shared_point_flags(parks)
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
                    # the point is another park's too (host-district seat): not a distinct location
                    "shared_point": bool(shared.get(pid, False)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def evaluation_section(ev: Evaluation, parks: pd.DataFrame, *, rows: int = 30,
                       network_times: bool = True) -> Section:
    """A plan :class:`Section` from a finished evaluation; ``network_times`` says whether the
    evaluation used network travel times (else geodesic × 1.3 at 60 km/h), for the note."""
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
    times = (
        "区位指标使用多式联运网络的门到门出行时间 location indicators use door-to-door travel times on the "
        "multimodal network" if network_times else
        "区位指标按大圆距离×1.3绕行系数、60 km/h 估算 location indicators use geodesic distance × 1.3 detour "
        "at 60 km/h (no network travel times given)"
    )
    notes = [
        f"排名为相对比较 Rankings are relative; {times}.",
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
    designations: pd.DataFrame | None = None,
) -> Section:
    """Evaluate the parks of the dataset frames and return the plan's ``evaluation`` section
    (``designations`` decide which of a park and its parent is ranked)."""
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
        designations=designations,
    )
    return evaluation_section(ev, parks, network_times=travel_time is not None)


def calibration_section(cal: ProgrammeCalibration, meta: dict[str, Any] | None = None) -> Section:
    """The plan section "evaluation checked against the programme's choices": the batch-2
    hold-out table (every rule with bootstrap intervals), the weights fitted to batch 1 with
    their intervals, and the leave-one-out placement of every batch-1 member."""
    s = cal.summary()
    verdict = (
        "the calibrated model beats every baseline on AUC and AP on the batch-2 hold-out"
        if s["calibrated_beats_all_baselines"] else
        f"the calibrated model does not beat every baseline on the batch-2 hold-out "
        f"(best AUC: {s['best_auc']}, best AP: {s['best_ap']})"
    ) + (f"; its AUC against random rankings: one-sided permutation p = {s['calibrated_auc_p_vs_random']:.3f}"
         + ("" if s["calibrated_significant_vs_random"] else " — not significant at 5 %"))
    coef = cal.coefficients[["criterion", "name_zh", "name_en", "direction", "beta", "beta_lo", "beta_hi",
                             "weight", "weight_lo", "weight_hi"]]
    return Section(
        key="calibration",
        title_zh="评价与实际认定的对照检验",
        title_en="Evaluation checked against the programme's real choices",
        summary={**{k: v for k, v in s.items() if k != "weights"}, "verdict": verdict, "weights": s["weights"],
                 **(meta or {})},
        tables=(
            SectionTable("第二批留出检验", f"Hold-out on batch 2 ({cal.n_holdout_positive} named members "
                         f"among {cal.n_holdout} parks not named in batch 1)", cal.holdout,
                         "Intervals: 2.5–97.5 % over stratified bootstrap resamples (random: permutations).",
                         key="holdout"),
            SectionTable("按第一批拟合的权重", "Weights fitted to batch 1 (programme weighting)", coef,
                         "w_j = max(β_j, 0) / Σ max(β, 0); β per standard deviation of the direction-aligned "
                         "criterion; intervals over bootstrap refits.", key="weights"),
            SectionTable("第一批留一法", "Leave-one-out over batch-1 members", cal.loo, key="loo"),
        ),
        notes=(verdict, *cal.notes),
    )
