"""Plan sections of the logistics domain: accessibility and logistics (sites, parameters).

``accessibility_section`` and ``logistics_section`` take dataset frames (``regions``,
``parks``, ``transport_nodes``, optional ``transport_links``, firms and transactions);
``accessibility_hook`` / ``logistics_hook`` adapt them to :data:`parklink.plan.SectionHook`.
:func:`logistics_inputs` takes them from the inputs bundle (:mod:`parklink.inputs`): the
registry with its imported links, and the firm-level dataset or, when absent, a seeded
synthetic firm population.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from parklink.logistics.access import accessibility, classify_transport_nodes
from parklink.logistics.location import FUNCTIONS, recommend_sites
from parklink.logistics.netcore import iter_rows
from parklink.logistics.network import Network, build_network
from parklink.logistics.params import DEFAULT_PARAMETERS, Parameters
from parklink.report.section import Section, SectionTable

if TYPE_CHECKING:
    from parklink.inputs import Inputs as PlanInputs

FIRM_COLUMNS = ("enterprise_id", "province", "lon", "lat", "chain", "output_cny_m", "synthetic")


@dataclass(frozen=True, eq=False)
class LogisticsInputs:
    """Frames the logistics analyses read; ``synthetic_firms`` says the firms are synthetic."""

    regions: pd.DataFrame
    parks: pd.DataFrame
    transport_nodes: pd.DataFrame
    boundaries: Mapping[str, Any] | None
    firms: pd.DataFrame | None
    transactions: pd.DataFrame | None = None
    transport_links: pd.DataFrame | None = None
    synthetic_firms: bool = False


def network_from_frames(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame | None,
    transport_nodes: pd.DataFrame | None,
    boundaries: Mapping[str, Any] | None = None,
    transport_links: pd.DataFrame | None = None,
    params: Parameters = DEFAULT_PARAMETERS,
) -> Network:
    """The approximate network, with imported ``transport_links`` replacing the modes they cover."""
    net = build_network(regions=regions, parks=parks, transport_nodes=transport_nodes,
                        boundaries=boundaries, params=params)
    if transport_links is not None and len(transport_links):
        modes = set(transport_links["mode"].astype(str)) - {"transfer"}
        net = net.with_links(transport_links, replace_modes=modes)
    return net


def logistics_inputs(inputs: PlanInputs) -> LogisticsInputs:
    """The frames of the logistics analyses from the inputs bundle
    (:class:`parklink.inputs.Inputs`): registry frames incl. imported transport links, and
    firms — the firm-level dataset if present, else a seeded synthetic population."""
    firms, synthetic = inputs.firm_population()
    return LogisticsInputs(inputs.frame("regions"), inputs.frame("parks"), inputs.frame("transport_nodes"),
                           inputs.boundaries(), firms, None, inputs.transport_links(), synthetic)


def _in_region(firms: pd.DataFrame | None) -> pd.DataFrame | None:
    if firms is None or "province" not in firms.columns:
        return firms
    return firms[firms["province"].astype(str) != "OUT"]


def accessibility_section(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    firms: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    transport_links: pd.DataFrame | None = None,
    synthetic_firms: bool = True,
    params: Parameters = DEFAULT_PARAMETERS,
) -> Section:
    """Plan section 可达性 Accessibility: per-park times, opportunities, transport-node areas."""
    net = network_from_frames(regions=regions, parks=parks, transport_nodes=transport_nodes,
                              boundaries=boundaries, transport_links=transport_links, params=params)
    acc = accessibility(net, firms=_in_region(firms))
    areas = classify_transport_nodes(net, parks=parks)
    table = acc.table.drop(columns=["node_id"]).round(3)
    area_t = areas.table.drop(columns=["node_id"]).round(3)
    n_node = int(area_t["transport_node"].sum())
    agree = area_t["agrees_with_declared"] if "agrees_with_declared" in area_t.columns else pd.Series(dtype=bool)
    summary: dict[str, Any] = {
        "parks": len(table),
        "median_time_core_chengdu_h": float(np.nanmedian(table["time_core_chengdu_h"])) if len(table) else None,
        "median_time_core_chongqing_h": float(np.nanmedian(table["time_core_chongqing_h"])) if len(table) else None,
        "transport_node_parks": n_node,
        "transport_node_threshold_h": areas.threshold_h,
        "agrees_with_declared": int(agree.fillna(False).sum()) if len(agree) else None,
        "firms": 0 if firms is None else len(firms[firms["province"].astype(str) != "OUT"])
        if "province" in firms.columns else len(firms),
        "synthetic_firms": synthetic_firms,
    }
    notes = (
        "网络为近似：公路按相邻区县驻地连线×绕行系数，铁路主线经停站为近似 — the network is an "
        "approximation (roads between neighbouring seats × detour factor; rail stops approximate); "
        "import a real network to replace it.",
        "时间为货物可用方式的最短时间（含换装） — times are least travel times over the cargo's modes, "
        "transfers included (container profile).",
    )
    return Section(
        key="accessibility", title_zh="可达性", title_en="Accessibility",
        summary=summary,
        tables=(
            SectionTable("园区可达性", "Park accessibility", table,
                         "times in hours; output in million CNY; gravity half-life 1 h"),
            SectionTable("交通节点区域判定", "Transport-node areas (with evidence)", area_t,
                         f"threshold {areas.threshold_h:g} h by road to a rail/water/air hub"),
        ),
        notes=notes, synthetic=True,  # the approximate road layer is synthetic
    )


def logistics_section(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    firms: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    transport_links: pd.DataFrame | None = None,
    p: int = 3,
    params: Parameters = DEFAULT_PARAMETERS,
) -> Section:
    """Plan section 物流 Logistics: recommended sites per logistics function, network and parameters."""
    net = network_from_frames(regions=regions, parks=parks, transport_nodes=transport_nodes,
                              boundaries=boundaries, transport_links=transport_links, params=params)
    tables: list[SectionTable] = []
    summary: dict[str, Any] = {"nodes": len(net.nodes), "links": len(net.links),
                               "links_by_mode": {str(k): int(v) for k, v in net.links["mode"].value_counts().items()},
                               "functions": {}}
    rows = []
    in_region = _in_region(firms)
    if in_region is not None and len(in_region):
        from parklink.errors import ParklinkError

        for key, fn in FUNCTIONS.items():
            try:
                rec = recommend_sites(net, in_region, fn, p=p, transactions=transactions)
            except ParklinkError as exc:
                summary["functions"][key] = {"error": str(exc)}
                continue
            summary["functions"][key] = rec.summary()
            for r in iter_rows(rec.sites[rec.sites["p_median"] | rec.sites["mclp"]]):
                rows.append({"function": key, "function_zh": fn.name_zh, "function_en": fn.name_en,
                             "park_id": r.park_id, "name_zh": r.name_zh, "name_en": r.name_en,
                             "p_median": bool(r.p_median), "mclp": bool(r.mclp),
                             "demand_assigned_cny_m": round(float(r.demand_assigned_cny_m), 1),
                             "mean_gc_cny_per_t": round(float(r.mean_gc_cny_per_t), 2)
                             if pd.notna(r.mean_gc_cny_per_t) else None,
                             "demand_within_service_cny_m": round(float(r.demand_within_service_cny_m), 1)})
    tables.append(SectionTable("物流功能选址建议", "Recommended logistics sites", pd.DataFrame(rows),
                               f"p = {p}; p-median on generalised cost, MCLP on travel time (HiGHS)"))
    mode_t = net.links.groupby("mode").agg(links=("link_id", "size"), km=("distance_km", "sum")).reset_index()
    tables.append(SectionTable("网络构成", "Network by mode", mode_t.round(1), "approximate network unless imported"))
    tables.append(SectionTable("参数表", "Parameters", params.to_frame(), "assumptions are marked"))
    return Section(
        key="logistics", title_zh="多式联运物流", title_en="Multimodal logistics",
        summary=summary, tables=tuple(tables),
        notes=("需求来自企业流量（合成数据时为合成） — demand comes from firm flows (synthetic where the firms are).",
               "参数多为假设，见参数表 — most parameters are assumptions (see the parameter table)."),
        synthetic=True,
    )


def accessibility_hook(inputs: PlanInputs) -> Section | None:
    """SectionHook for ``parklink plan``: the accessibility section (None without parks).

    Firms come from the firm-level dataset when present, else a seeded synthetic population.
    """
    f = logistics_inputs(inputs)
    if not len(f.parks) or not len(f.regions):
        return None
    return accessibility_section(regions=f.regions, parks=f.parks, transport_nodes=f.transport_nodes,
                                 firms=f.firms, boundaries=f.boundaries, transport_links=f.transport_links,
                                 synthetic_firms=f.synthetic_firms)


def logistics_hook(inputs: PlanInputs) -> Section | None:
    """SectionHook for ``parklink plan``: the logistics section (None without parks)."""
    f = logistics_inputs(inputs)
    if not len(f.parks) or not len(f.regions):
        return None
    return logistics_section(regions=f.regions, parks=f.parks, transport_nodes=f.transport_nodes,
                             firms=f.firms, boundaries=f.boundaries, transport_links=f.transport_links)


def plan_section(kind: str = "logistics", **frames: Any) -> Section:
    """Dispatch to :func:`accessibility_section` or :func:`logistics_section` by ``kind``."""
    if kind == "accessibility":
        return accessibility_section(**frames)
    return logistics_section(**frames)


def park_travel_times(
    *,
    regions: pd.DataFrame,
    parks: pd.DataFrame,
    transport_nodes: pd.DataFrame | None = None,
    boundaries: Mapping[str, Any] | None = None,
    transport_links: pd.DataFrame | None = None,
    cargo: str = "container",
    params: Parameters = DEFAULT_PARAMETERS,
) -> pd.DataFrame:
    """Least travel time (hours) between every pair of parks, long format.

    Columns ``origin_park_id``, ``destination_park_id``, ``time_h`` (``inf`` when
    unreachable). For location indicators of the evaluation; built on
    :func:`parklink.logistics.routing.travel_times` over the approximate network (or the
    imported ``transport_links``).
    """
    from parklink.logistics.routing import travel_times

    net = network_from_frames(regions=regions, parks=parks, transport_nodes=transport_nodes,
                              boundaries=boundaries, transport_links=transport_links, params=params)
    ids = [f"park.{p}" for p in parks["park_id"].astype(str)]
    od = travel_times(net, ids, ids, cargo=cargo).to_frame()
    return pd.DataFrame({
        "origin_park_id": od["origin"].str.removeprefix("park."),
        "destination_park_id": od["destination"].str.removeprefix("park."),
        "time_h": od["value"].to_numpy(float),
    })
