r"""Logistics-site location: p-median and maximal covering on HiGHS (via :mod:`parklink.optim`).

**p-median** (Hakimi 1964; ReVelle & Swain 1970, *Geographical Analysis* 2(1):30–42)::

    min  Σ_i Σ_j w_i c_ij x_ij
    s.t. Σ_j x_ij = 1            ∀ i   (every demand is assigned)
         x_ij ≤ y_j              ∀ i,j (only to open sites)
         Σ_j y_j = p
         y_j ∈ {0,1}, 0 ≤ x_ij ≤ 1   (assignments are integral at an optimum)

**Maximal covering location problem** (Church & ReVelle 1974, *Papers of the Regional
Science Association* 32:101–118)::

    max  Σ_i w_i z_i
    s.t. z_i ≤ Σ_j a_ij y_j      ∀ i   (a_ij = 1 when c_ij ≤ S)
         Σ_j y_j = p
         y_j ∈ {0,1}, 0 ≤ z_i ≤ 1

``w_i`` demand weights, ``c_ij`` generalised cost (CNY/t) or time (h) from demand point
``i`` to candidate site ``j``, ``S`` the service standard. Both models are the ones of
``spopt.locate.PMedian`` / ``MCLP`` (Church & Murray 2018, *Location Covering Models*),
solved here by HiGHS; the tests compare objectives with spopt on the same instances.

For each of the programme's four logistics functions (:data:`FUNCTIONS`) the demand is
the firm flows of the relevant chains (transaction values through each firm when a
transactions table is given, otherwise annual output), aggregated to network nodes;
candidates are the parks meeting the function's rule; costs are the least generalised
cost of the function's cargo profile; coverage uses least travel time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import ConfigError, NotFoundError, ValidationError
from parklink.logistics.access import (
    _times_from,
    attach_points,
    classify_transport_nodes,
    park_nodes,
)
from parklink.logistics.network import Network, split_modes
from parklink.logistics.routing import many_to_many
from parklink.logistics.sitemodels import (
    MODELS,
    LocationSolution,
    capacitated_p_median,
    lscp,
    lscp_backup,
    mclp,
    p_center,
    p_median,
)
from parklink.logistics.tradeoff import tradeoff, why_text

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LogisticsFunction:
    """One logistics function of the programme and how its sites are chosen."""

    key: str
    name_zh: str
    name_en: str
    cargo: str
    chains: tuple[str, ...] | None
    candidate_rule: str
    service_h: float


FUNCTIONS: dict[str, LogisticsFunction] = {
    f.key: f
    for f in (
        LogisticsFunction("logistics_trade", "物流贸易", "logistics trade", "container", None,
                          "transport_node", 2.0),
        LogisticsFunction("bonded_processing", "保税加工", "bonded processing", "electronics",
                          ("electronics",), "near_bonded_or_port_of_entry", 2.0),
        LogisticsFunction("supporting_processing", "配套加工", "supporting processing", "container",
                          ("auto", "moto", "electronics"), "any", 1.0),
        LogisticsFunction("assembly", "整机组装", "complete-machine assembly", "vehicles",
                          ("auto", "moto", "electronics"), "near_rail_or_water", 2.0),
    )
}
"""The four logistics functions named by the 2020 notice (programme facts §0 / DESIGN).

Cargo profiles, chain filters, candidate rules and service standards are our modelling
assumptions: trade needs a transport-node park; bonded processing a park within the
transport-node threshold of a bonded zone, airport or rail port (ports of entry);
assembly a park near a rail or water hub (outbound finished goods)."""
ALIASES = {
    "trade": "logistics_trade", "logistics": "logistics_trade", "物流贸易": "logistics_trade",
    "bonded": "bonded_processing", "保税加工": "bonded_processing",
    "supporting": "supporting_processing", "配套加工": "supporting_processing",
    "assembly": "assembly", "complete-machine": "assembly", "整机组装": "assembly",
}


def get_function(name: str) -> LogisticsFunction:
    """The logistics function called ``name`` (key, alias or Chinese name)."""
    key = ALIASES.get(name, name)
    if key not in FUNCTIONS:
        raise ConfigError(f"unknown logistics function {name!r}; expected one of {', '.join(FUNCTIONS)} "
                          f"(aliases: {', '.join(ALIASES)})")
    return FUNCTIONS[key]


@dataclass(frozen=True, eq=False)
class SiteRecommendation:
    """Recommended sites for one logistics function under both models, with the evidence."""

    function: LogisticsFunction
    p: int
    sites: pd.DataFrame
    p_median: LocationSolution
    mclp: LocationSolution
    explain: Mapping[str, pd.DataFrame] = field(default_factory=dict, compare=False)
    extra: LocationSolution | None = None
    tradeoff: pd.DataFrame = field(default_factory=pd.DataFrame)
    why: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate park: chosen by p-median / MCLP, demand served, mean cost."""
        return self.sites.copy()

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "function": self.function.key, "name_zh": self.function.name_zh, "name_en": self.function.name_en,
            "cargo": self.function.cargo, "p": self.p,
            "p_median_sites": self.sites.loc[self.sites["p_median"], "park_id"].tolist(),
            "mclp_sites": self.sites.loc[self.sites["mclp"], "park_id"].tolist(),
            "p_median_objective": self.p_median.objective, "mclp_covered_share": self.mclp.covered_weight_share,
            "service_h": self.function.service_h,
            "extra_model": None if self.extra is None else self.extra.model,
            "extra_sites": [] if self.extra is None else self.sites.loc[self.sites["extra"], "park_id"].tolist(),
            "extra_objective": None if self.extra is None else self.extra.objective,
            "tradeoff": self.tradeoff.to_dict(orient="records"), "why": self.why,
        }


def firm_demand(
    network: Network,
    firms: pd.DataFrame,
    *,
    chains: Sequence[str] | None = None,
    transactions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Demand per network node from firm flows: node_id, firms, weight (million CNY).

    Weight of a firm: the value of its purchases plus sales in ``transactions``
    (thousand CNY → million CNY) when given, else its ``output_cny_m``, else 1.
    """
    for col in ("lon", "lat"):
        if col not in firms.columns:
            raise ValidationError.single("firms", "required column is missing", column=col)
    f = firms
    if chains is not None and "chain" in f.columns:
        f = f[f["chain"].astype(str).isin(list(chains))]
    if transactions is not None and len(transactions) and "enterprise_id" in f.columns:
        v = transactions["value_kcny"].astype(float) / 1000.0
        flow = v.groupby(transactions["supplier_id"].astype(str)).sum().add(
            v.groupby(transactions["buyer_id"].astype(str)).sum(), fill_value=0.0)
        weight = f["enterprise_id"].astype(str).map(flow).fillna(0.0).to_numpy(float)
    elif "output_cny_m" in f.columns:
        weight = pd.to_numeric(f["output_cny_m"], errors="coerce").fillna(0.0).to_numpy(float)
    else:
        weight = np.ones(len(f))
    lon = pd.to_numeric(f["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(f["lat"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (weight > 0)
    node, _ = attach_points(network, lon[ok], lat[ok])
    ids = network.nodes["node_id"].astype(str).to_numpy()[node]
    out = pd.DataFrame({"node_id": ids, "weight": weight[ok]}).groupby("node_id", sort=True).agg(
        firms=("weight", "size"), weight=("weight", "sum")).reset_index()
    return out


def candidate_parks(network: Network, function: LogisticsFunction) -> pd.DataFrame:
    """Parks eligible for ``function`` by its candidate rule, with the reason."""
    parks = park_nodes(network)
    areas = classify_transport_nodes(network).table.set_index("node_id")
    if function.candidate_rule == "any":
        keep = np.ones(len(parks), bool)
        reason = ["any park 任一园区"] * len(parks)
    elif function.candidate_rule == "transport_node":
        keep = areas.loc[parks["node_id"], "transport_node"].to_numpy(bool)
        reason = [f"transport-node area 交通节点 ({h})" for h in areas.loc[parks["node_id"], "hub_id"]]
    else:
        wanted = {"near_bonded_or_port_of_entry": ({"bonded_zone", "airport", "rail_port"}, set()),
                  "near_rail_or_water": (set(), {"rail", "water"})}[function.candidate_rule]
        nodes = network.nodes
        bonded_rule = function.candidate_rule == "near_bonded_or_port_of_entry"
        is_cbz = np.zeros(len(nodes), bool)
        if bonded_rule and "park_kind" in nodes.columns:
            is_cbz = nodes["park_kind"].astype(object).eq("cbz").to_numpy(bool)
        hub_mask = is_cbz | nodes["kind"].isin(list(wanted[0])).to_numpy(bool) | np.array(
            [bool(set(split_modes(m)) & wanted[1]) for m in nodes["modes"]], bool)

        index = network.node_index()
        times = _times_from(network, [index[str(n)] for n in parks["node_id"]], "container", road_only=True)
        hubs = np.flatnonzero(hub_mask)
        th = network.params.transport_node_threshold_h
        if len(hubs):
            sub = times[:, hubs]
            j = np.argmin(sub, axis=1)
            keep = sub[np.arange(len(sub)), j] <= th
            reason = [f"{nodes['name_zh'].iat[hubs[k]]!s} {nodes['name_en'].iat[hubs[k]]!s} {t:.2f} h"
                      for k, t in zip(j, sub[np.arange(len(sub)), j], strict=True)]
        else:
            keep = np.zeros(len(parks), bool)
            reason = [""] * len(parks)
    out = parks[["node_id", "name_zh", "name_en"]].copy()
    out.insert(1, "park_id", parks["node_id"].astype(str).str.removeprefix("park."))
    out["eligible"] = keep
    out["reason"] = reason
    return out


def recommend_sites(
    network: Network,
    firms: pd.DataFrame,
    function: str | LogisticsFunction,
    *,
    p: int = 3,
    transactions: pd.DataFrame | None = None,
    time_limit: float = 60.0,
    model: str = "pmedian",
    keep: Sequence[str] = (),
    capacity_factor: float = 1.5,
) -> SiteRecommendation:
    """Recommend ``p`` parks for a logistics function by p-median (cost) and MCLP (coverage).

    Demand: :func:`firm_demand` for the function's chains; costs: least generalised cost
    (CNY/t) of the function's cargo profile; coverage: least travel time within the
    function's service standard (hours). Both models always run, with their trade-off
    (:func:`parklink.logistics.tradeoff.tradeoff`); ``model`` adds one more of
    :data:`parklink.logistics.sitemodels.MODELS` (``lscp``, ``lscp-b``, ``pcenter`` on
    hours within the service standard; ``cpmedian`` on cost with every site's capacity
    = ``capacity_factor`` × total demand / p, an assumption). ``keep``: park ids that must
    be among the sites (existing logistics parks kept) in every model. Raises
    :class:`NotFoundError` when no park is eligible, no firm demand exists or a kept park
    is not a candidate, :class:`ConfigError` for a bad ``p`` or model.
    """
    if model not in MODELS:
        raise ConfigError(f"unknown location model {model!r}; expected one of {', '.join(MODELS)}")
    fn = function if isinstance(function, LogisticsFunction) else get_function(function)
    cands = candidate_parks(network, fn)
    eligible = cands[cands["eligible"]].reset_index(drop=True)
    if eligible.empty:
        raise NotFoundError(f"没有符合条件的候选园区 no eligible candidate park for {fn.name_zh} {fn.name_en} "
                            f"(rule: {fn.candidate_rule})")
    demand = firm_demand(network, firms, chains=fn.chains, transactions=transactions)
    if demand.empty:
        raise NotFoundError(f"没有企业需求 no firm demand for {fn.name_zh} {fn.name_en} (chains {fn.chains})")
    pp = min(p, len(eligible))
    origins = demand["node_id"].tolist()
    sites = eligible["node_id"].astype(str).tolist()
    cost, _ = many_to_many(network, origins, sites, cargo=fn.cargo, weight="gc")
    hours, _ = many_to_many(network, origins, sites, cargo=fn.cargo, weight="time")
    w = demand["weight"].to_numpy(float)
    reach = np.isfinite(cost).any(axis=1)
    if not reach.all():
        cost, hours, w = cost[reach], hours[reach], w[reach]
        demand = demand.iloc[np.flatnonzero(reach)].reset_index(drop=True)
    ids = eligible["park_id"].astype(str).tolist()
    missing = [k for k in keep if k not in ids]
    if missing:
        raise NotFoundError(f"保留园区不是候选 kept park(s) not eligible for {fn.name_en}: {', '.join(missing)}")
    pre = np.array([ids.index(k) for k in keep], np.int64)
    pm = p_median(cost, w, pp, predefined=pre, time_limit=time_limit)
    mc = mclp(hours, w, fn.service_h, pp, predefined=pre, time_limit=time_limit)
    extra = _extra_model(model, cost, hours, w, pp, fn.service_h, pre, capacity_factor, time_limit)
    table = eligible.copy()
    table["p_median"] = np.isin(np.arange(len(eligible)), pm.selected)
    table["mclp"] = np.isin(np.arange(len(eligible)), mc.selected)
    table["extra"] = np.isin(np.arange(len(eligible)), extra.selected) if extra is not None else False
    table["kept"] = np.isin(np.arange(len(eligible)), pre)
    assign = np.asarray(pm.assignment)
    table["demand_assigned_cny_m"] = [float(w[assign == j].sum()) for j in range(len(eligible))]
    with np.errstate(invalid="ignore"):
        table["mean_gc_cny_per_t"] = [float(np.average(cost[assign == j, j], weights=w[assign == j]))
                                      if (assign == j).any() else np.nan for j in range(len(eligible))]
    table["demand_within_service_cny_m"] = (w[:, None] * (hours <= fn.service_h)).sum(axis=0)
    explain = {"candidates": cands, "demand": demand,
               "cost_cny_per_t": pd.DataFrame(cost, index=demand["node_id"], columns=sites),
               "time_h": pd.DataFrame(hours, index=demand["node_id"], columns=sites)}
    trade = tradeoff(cost, hours, w, fn.service_h, pm, mc, predefined=pre, labels=ids, time_limit=time_limit)
    return SiteRecommendation(fn, pp, table, pm, mc, explain, extra, trade, why_text(fn.service_h, trade))


def _extra_model(model: str, cost: FloatArray, hours: FloatArray, w: FloatArray, p: int, service: float,
                 pre: npt.NDArray[np.int64], capacity_factor: float, time_limit: float) -> LocationSolution | None:
    """The additional model asked for (None for the two that always run)."""
    if model in ("lscp", "lscp-b"):
        # demand no candidate reaches within the standard cannot be covered by any site set:
        # the covering models run on the rest (the CLI reports how much was left out)
        ok = (hours <= service).any(axis=1)
        if not ok.any():
            raise NotFoundError(f"no demand point lies within {service:g} h of a candidate park")
        solve = lscp if model == "lscp" else lscp_backup
        sol = solve(hours[ok], service, predefined=pre, time_limit=time_limit)
        open_ = np.asarray(sol.selected, np.int64)
        near = open_[np.argmin(hours[:, open_], axis=1)]
        share = float(w[ok].sum() / w.sum()) if w.sum() > 0 else 0.0
        return dataclasses.replace(sol, assignment=tuple(int(j) for j in near), covered_weight_share=share)
    if model == "pcenter":
        return p_center(hours, p, predefined=pre, time_limit=time_limit)
    if model == "cpmedian":
        if capacity_factor < 1.0:
            raise ConfigError("capacity factor must be at least 1 (p sites must hold the total demand)")
        cap = np.full(cost.shape[1], capacity_factor * float(w.sum()) / p)
        return capacitated_p_median(cost, w, p, cap, predefined=pre, time_limit=time_limit)
    return None
