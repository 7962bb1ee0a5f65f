"""Per-scope tables of the chain diagnosis, finished in pandas from the materialised aggregates:
the segment table (presence, LQ, demand, concentration), local supporting rates by level,
completeness, relatedness feasibility, the gap typology and its evidence rows.

Called by :func:`parklink.chains.diagnosis.diagnose`; formulas in ``docs/chains.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from parklink.chains.relatedness import density, proximity, rca
from parklink.chains.rules import (
    ACTION_NAMES,
    GAP_NAMES,
    GAP_TYPES,
    GapRules,
    lq_below,
)
from parklink.chains.scope import Scope
from parklink.tables import PROVINCES

REGION_VARIANTS = ("scope", "own_province", "circle")
LSR_VERSIONS = ("value", "count", "coverage")
_NUM = {"value": ("v_scope", "v_prov", "v_circle", "v_resolved"),
        "count": ("n_scope", "n_prov", "n_circle", "n_resolved"),
        "coverage": ("k_scope", "k_prov", "k_circle", "n_k")}


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    n = np.asarray(num, dtype=float)
    d = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def _segment_table(scopes: tuple[Scope, ...], tpl: pd.DataFrame, seg_counts: pd.DataFrame,
                   totals: pd.DataFrame, ref_counts: pd.DataFrame, prov_totals: pd.DataFrame,
                   lq_basis: str, reference: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["segment_id", "chain", "name_zh", "name_en", "level", "weight"]
    grid = pd.DataFrame({"scope_id": [s.scope_id for s in scopes]}).merge(tpl[cols], how="cross")
    segs = grid.merge(seg_counts, on=["scope_id", "segment_id"], how="left")
    for c in ("n_firms", "n_leaders"):
        segs[c] = segs[c].fillna(0).astype(int)
    segs["output"] = segs["output"].fillna(0.0).astype(float)
    segs["present"] = segs["n_firms"] > 0
    basis = "output" if lq_basis == "output" else "n_firms"
    tot_basis = "out_all" if lq_basis == "output" else "n_all"
    scope_tot = totals.groupby("scope_id")[tot_basis].sum()
    e_r = segs["scope_id"].map(scope_tot).fillna(0.0).astype(float)
    circle = ref_counts[ref_counts["province"].isin(PROVINCES)].groupby("segment_id")[basis].sum()
    allref = ref_counts.groupby("segment_id")[basis].sum()
    circle_tot = float(prov_totals.loc[prov_totals["province"].isin(PROVINCES), tot_basis].sum())
    all_tot = float(prov_totals[tot_basis].sum())
    share_r = _ratio(segs[basis], e_r)
    share_c = _ratio(segs["segment_id"].map(circle).fillna(0.0), np.full(len(segs), circle_tot))
    segs["lq_circle"] = _ratio(share_r, share_c)
    if reference is not None:
        ref_share = segs["segment_id"].map(reference.set_index("segment_id")["share"])
        segs["lq_reference"] = _ratio(share_r, ref_share.astype(float))
        segs["reference"] = "external (user-supplied shares)"
    else:
        share_n = _ratio(segs["segment_id"].map(allref).fillna(0.0), np.full(len(segs), all_tot))
        segs["lq_reference"] = _ratio(share_r, share_n)
        segs["reference"] = "dataset incl. out-of-circle firms"
    segs["lq_basis"] = lq_basis
    return segs


def _depth_benchmark(tpl: pd.DataFrame, city_counts: pd.DataFrame,
                     given: float | Mapping[str, float] | None) -> dict[str, float]:
    ids = list(tpl["segment_id"])
    if isinstance(given, int | float):
        return dict.fromkeys(ids, max(float(given), 1e-9))
    med = city_counts[city_counts["n_firms"] > 0].groupby("segment_id")["n_firms"].median()
    out = {k: max(1.0, float(med.get(k, 1.0))) for k in ids}
    if given is not None:
        out.update({k: float(v) for k, v in given.items() if k in out})
    return out


def _add_demand(segs: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    d = demand.rename(columns={"s_seg": "segment_id", "demand": "local_demand_kcny",
                               "local": "local_supply_kcny", "n_sup": "n_suppliers",
                               "n_local_sup": "n_local_suppliers"})
    out = segs.merge(d, on=["scope_id", "segment_id"], how="left")
    for c in ("local_demand_kcny", "local_supply_kcny", "sv", "sv2", "vmax"):
        out[c] = out[c].fillna(0.0).astype(float)
    for c in ("n_suppliers", "n_local_suppliers"):
        out[c] = out[c].fillna(0).astype(int)
    out["local_supply_share"] = _ratio(out["local_supply_kcny"], out["local_demand_kcny"])
    out["hhi_local"] = _ratio(out["sv2"], out["sv"] ** 2)
    out["top_local_share"] = _ratio(out["vmax"], out["local_demand_kcny"])
    return out.drop(columns=["sv", "sv2", "vmax"])


def _firm_lsr(firm: pd.DataFrame, cov: pd.DataFrame) -> pd.DataFrame:
    f = firm.merge(cov, on=["scope_id", "buyer_id"], how="left")
    num_cols = [c for c in f.columns if c.startswith(("v_", "n_", "k_"))]
    f[num_cols] = f[num_cols].fillna(0)
    for version, (s, p, c, den) in _NUM.items():
        for region, col in zip(REGION_VARIANTS, (s, p, c), strict=True):
            f[f"lsr_{version}_{region}"] = _ratio(f[col], f[den])
    f["coverage_value"] = _ratio(f["v_resolved"], f["v_total"])
    return f.sort_values(["scope_id", "buyer_id"]).reset_index(drop=True)


def _lsr_levels(f: pd.DataFrame, focal: pd.DataFrame,
                chains: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pool the firm-level sums by level (scope, leaders, each park) into rates."""
    f = f[f["b_chain"].isin(chains)]
    nums = sorted({c for cols in _NUM.values() for c in cols} | {"v_total"})
    ratios = [f"lsr_{v}_{r}" for v in LSR_VERSIONS for r in REGION_VARIANTS]
    keys = ["scope_id", "b_chain"]
    pooled = []
    for level, g, by in (("scope", f, keys), ("leaders", f[f["b_leading"]], keys),
                         ("park", f[f["b_park"].notna()], [*keys, "b_park"])):
        if g.empty:
            continue
        grp = g.groupby(by, sort=True)
        part = grp[nums].sum().join(grp[ratios].median()).join(grp.size().rename("n_buyers"))
        part = part.reset_index()
        part["level"] = "park:" + part["b_park"].astype(str) if level == "park" else level
        pooled.append(part.drop(columns=["b_park"], errors="ignore"))
    cols = ["scope_id", "chain", "level", "version", "region", "lsr", "firm_median",
            "n_buyers", "coverage_value", "coverage_buyers"]
    if not pooled:
        empty = pd.DataFrame(columns=cols)
        return empty, pd.DataFrame(columns=["scope_id", "chain", "level", "version",
                                            "lsr_circle", "lsr_own_province", "delta"])
    p = pd.concat(pooled, ignore_index=True).rename(columns={"b_chain": "chain"})
    p["coverage_value"] = _ratio(p["v_resolved"], p["v_total"])
    n_focal = p.merge(focal, on=["scope_id", "chain"], how="left")["n_focal"].to_numpy()
    p["coverage_buyers"] = np.where(p["level"] == "scope", _ratio(p["n_buyers"], n_focal),
                                    np.nan)
    rows = []
    for version, (s_col, p_col, c_col, den) in _NUM.items():
        for region, col in zip(REGION_VARIANTS, (s_col, p_col, c_col), strict=True):
            part = p[["scope_id", "chain", "level", "n_buyers", "coverage_value",
                      "coverage_buyers"]].copy()
            part["version"] = version
            part["region"] = region
            part["lsr"] = _ratio(p[col], p[den])
            part["firm_median"] = p[f"lsr_{version}_{region}"]
            rows.append(part)
    order = {"scope": 0, "leaders": 1}
    lsr = pd.concat(rows, ignore_index=True)[cols]
    lsr = lsr.assign(_o=lsr["level"].map(order).fillna(2)).sort_values(
        ["scope_id", "chain", "_o", "level"], kind="stable").drop(columns="_o").reset_index(
        drop=True)
    piv = lsr.set_index(["scope_id", "chain", "level", "version", "region"])["lsr"].unstack(
        "region")
    delta = pd.DataFrame(index=piv.index)
    delta["lsr_circle"] = piv.get("circle")
    delta["lsr_own_province"] = piv.get("own_province")
    delta["delta"] = delta["lsr_circle"] - delta["lsr_own_province"]
    return lsr, delta.reset_index()


def _completeness(segs: pd.DataFrame, chains: tuple[str, ...],
                  scopes: tuple[Scope, ...]) -> pd.DataFrame:
    s = segs[segs["chain"].isin(chains)].copy()
    s["wp"] = s["weight"] * s["present"].astype(float)
    s["wd"] = s["weight"] * s["depth"]
    g = s.groupby(["scope_id", "chain"], sort=False).agg(
        w=("weight", "sum"), wp=("wp", "sum"), wd=("wd", "sum"),
        n_segments=("segment_id", "count"), n_present=("present", "sum"))
    g["completeness"] = _ratio(g["wp"], g["w"])
    g["completeness_depth"] = _ratio(g["wd"], g["w"])
    order = {s.scope_id: i for i, s in enumerate(scopes)}
    out = g.reset_index().drop(columns=["wp", "wd"]).rename(columns={"w": "weight_total"})
    out["n_present"] = out["n_present"].astype(int)
    return out.sort_values(["scope_id", "chain"], key=lambda c: c.map(order)
                           if c.name == "scope_id" else c).reset_index(drop=True)


def _feasibility(segs: pd.DataFrame, city_counts: pd.DataFrame, seg_counts: pd.DataFrame,
                 scopes: tuple[Scope, ...]) -> pd.DataFrame:
    """Relatedness density of each segment in each scope (firm counts, proximity from cities)."""
    ids = sorted(set(segs["segment_id"]))
    if city_counts.empty:
        segs["feasibility"] = np.nan
        return segs
    city_counts = city_counts.astype({"n_firms": float})
    seg_counts = seg_counts.astype({"n_firms": float})
    cities = city_counts.pivot_table(index="city", columns="segment_id", values="n_firms",
                                     aggfunc="sum", fill_value=0.0)
    cities = cities.reindex(columns=sorted(set(cities.columns) | set(ids)), fill_value=0.0)
    m_city = (rca(cities) >= 1).astype(int)
    phi = proximity(m_city)
    sc = seg_counts.pivot_table(index="scope_id", columns="segment_id", values="n_firms",
                                aggfunc="sum", fill_value=0.0)
    sc = sc.reindex(index=[s.scope_id for s in scopes], columns=cities.columns, fill_value=0.0)
    # RCA of each scope against the circle's city totals (firm counts)
    col_share = cities.sum(axis=0) / max(float(cities.to_numpy().sum()), 1e-12)
    row_tot = sc.sum(axis=1).replace(0, np.nan)
    rca_scope = sc.div(row_tot, axis=0).div(col_share.replace(0, np.nan), axis=1).fillna(0.0)
    m_scope = (rca_scope >= 1).astype(int)
    dens = density(m_scope, phi)
    long = dens.stack().reset_index()
    long.columns = pd.Index(["scope_id", "segment_id", "feasibility"])
    return segs.merge(long, on=["scope_id", "segment_id"], how="left")


def _gaps(segs: pd.DataFrame, sourcing: pd.DataFrame, comp: pd.DataFrame, tpl: pd.DataFrame,
          rules: GapRules) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = segs.copy()
    n = s["n_firms"]
    demand = s["local_demand_kcny"]
    has_demand = demand > rules.min_local_demand_kcny
    s["gap_missing"] = n == 0
    sp_n = (n >= 1) & (n <= rules.single_point_max_firms)
    sp_hhi = (n >= 1) & (s["hhi_local"].fillna(0) > rules.hhi_above)
    sp_top = (n >= 1) & (s["top_local_share"].fillna(0) > rules.top_share_above)
    s["gap_single_point"] = sp_n | sp_hhi | sp_top
    weak_lq = (n >= 1) & has_demand & lq_below(s["lq_circle"], rules.weak_lq_below)
    weak_lsr = (n >= 1) & has_demand & (s["local_supply_share"].fillna(0) < rules.weak_lsr_below)
    s["gap_weak"] = weak_lq | weak_lsr
    br = sourcing[(sourcing["n_sup"] == 1) & (sourcing["n_local"] == 0)]
    br_keys = br[["scope_id", "s_seg"]].drop_duplicates().rename(columns={"s_seg": "segment_id"})
    s = s.merge(br_keys.assign(gap_break_risk=True), on=["scope_id", "segment_id"], how="left")
    s["gap_break_risk"] = s["gap_break_risk"].astype("boolean").fillna(False).astype(bool)
    n = s["n_firms"]
    has_demand = s["local_demand_kcny"] > rules.min_local_demand_kcny
    masks = {"sp_n": sp_n.to_numpy(), "sp_hhi": sp_hhi.to_numpy(), "sp_top": sp_top.to_numpy(),
             "weak_lq": weak_lq.to_numpy(), "weak_lsr": weak_lsr.to_numpy()}
    flags = [s[f"gap_{g}"].to_numpy(dtype=bool) for g in GAP_TYPES]
    s["gap_type"] = np.select(flags, list(GAP_TYPES), default="none")
    # adjacency in the template: inputs of k, and segments k is an input to
    edges = tpl[["segment_id", "inputs"]].assign(
        nb=tpl["inputs"].str.split(";")).explode("nb")
    edges["nb"] = edges["nb"].str.strip()
    edges = edges[edges["nb"].fillna("") != ""][["segment_id", "nb"]]
    both = pd.concat([edges, edges.rename(columns={"segment_id": "nb", "nb": "segment_id"})],
                     ignore_index=True)
    pres = s.loc[s["present"], ["scope_id", "segment_id"]].rename(columns={"segment_id": "nb"})
    adj = both.merge(pres, on="nb")[["scope_id", "segment_id"]].drop_duplicates()
    s = s.merge(adj.assign(adjacent_present=True), on=["scope_id", "segment_id"], how="left")
    s["adjacent_present"] = s["adjacent_present"].astype("boolean").fillna(False).astype(bool)
    cmap = comp.set_index(["scope_id", "chain"])["completeness"]
    chain_c = s.merge(cmap.rename("c").reset_index(), on=["scope_id", "chain"],
                      how="left")["c"].set_axis(s.index)
    miss = s["gap_missing"]
    strengthen = ~miss & (s["gap_single_point"] | s["gap_weak"] | s["gap_break_risk"])
    ordered = [  # first matching rule wins (see GapRules)
        (miss & (chain_c.fillna(0) < rules.build_completeness_below), "build"),
        (miss & (has_demand | s["gap_break_risk"]), "supplement"),
        (miss & s["adjacent_present"], "extend"),
        (miss, "build"),
        (strengthen, "strengthen"),
    ]
    action = pd.Series("none", index=s.index, dtype=object)
    rule_no = pd.Series(0, index=s.index, dtype=int)
    for i, (cond, name) in enumerate(ordered, start=1):
        sel = cond & (action == "none")
        action[sel] = name
        rule_no[sel] = i
    s["action"] = action
    s["action_rule"] = rule_no
    s["action_zh"] = s["action"].map(lambda a: ACTION_NAMES[a][0])
    sev = s["gap_type"].map(lambda g: rules.severity.get(g, 0.0)).astype(float)
    chain_dem = s.groupby(["scope_id", "chain"])["local_demand_kcny"].transform("sum")
    s["demand_share"] = _ratio(demand, chain_dem)
    s["priority"] = sev * np.nan_to_num(s["demand_share"]) * s["feasibility"].fillna(0.0)
    gaps = s[s["gap_type"] != "none"][[
        "scope_id", "chain", "segment_id", "name_zh", "name_en", "level", "gap_type",
        "gap_missing", "gap_break_risk", "gap_single_point", "gap_weak", "action", "action_zh",
        "action_rule",
        "n_firms", "local_demand_kcny", "local_supply_share", "lq_circle", "feasibility",
        "demand_share", "priority"]].copy()
    gaps["gap_zh"] = gaps["gap_type"].map(lambda g: GAP_NAMES[g][0])
    gaps = gaps.sort_values(["scope_id", "chain", "priority", "gap_type"],
                            ascending=[True, True, False, True]).reset_index(drop=True)
    evidence = _evidence(s, masks, br, rules)
    return s, gaps, evidence


def _evidence(s: pd.DataFrame, masks: dict[str, np.ndarray], br: pd.DataFrame,
              rules: GapRules) -> pd.DataFrame:
    sp_n, sp_hhi, sp_top = masks["sp_n"], masks["sp_hhi"], masks["sp_top"]
    weak_lq, weak_lsr = masks["weak_lq"], masks["weak_lsr"]
    base = ["scope_id", "chain", "segment_id"]
    parts: list[pd.DataFrame] = []
    specs: list[tuple[np.ndarray, str, str, str, float, str]] = [
        (s["gap_missing"].to_numpy(dtype=bool), "missing", "n_firms", "n_firms", 0.0,
         "本范围内无该环节企业 / no firm of this segment in the scope"),
        (sp_n, "single_point", "n_firms", "n_firms", float(rules.single_point_max_firms),
         "仅有单一企业 / only one firm"),
        (sp_hhi, "single_point", "hhi_local", "hhi_local", rules.hhi_above,
         "本地供应高度集中 / local supply highly concentrated (HHI)"),
        (sp_top, "single_point", "top_local_share", "top_local_share", rules.top_share_above,
         "单一本地企业供应过半本地需求 / one local firm supplies over half of local demand"),
        (weak_lq, "weak", "lq_circle", "lq_circle", rules.weak_lq_below,
         "区位商低于1且有本地需求 / LQ below 1 while local demand exists"),
        (weak_lsr, "weak", "local_supply_share", "local_supply_share", rules.weak_lsr_below,
         "本地配套率低 / low local supply share of local demand"),
    ]
    for mask, gap, metric, col, thr, text in specs:
        sub = s[mask][base].copy()
        sub["gap_type"] = gap
        sub["metric"] = metric
        sub["value"] = s[mask][col].astype(float)
        sub["threshold"] = thr
        sub["evidence"] = text
        sub["firm_id"] = None
        parts.append(sub)
    if not br.empty:
        b = br.merge(s[["scope_id", "segment_id", "chain"]].rename(columns={"segment_id": "s_seg"}),
                     on=["scope_id", "s_seg"], how="inner")
        brow = pd.DataFrame({
            "scope_id": b["scope_id"], "chain": b["chain"], "segment_id": b["s_seg"],
            "gap_type": "break_risk", "metric": "leader_single_outside_supplier",
            "value": b["value"].astype(float), "threshold": 1.0,
            "evidence": ["链主 " + str(x) + " 仅从范围外单一供应商 " + str(y) + " 采购 / leader "
                         + str(x) + " buys this segment only from one supplier outside the "
                         "scope: " + str(y) for x, y in zip(b["buyer_id"], b["supplier_id"],
                                                            strict=True)],
            "firm_id": b["buyer_id"],
        })
        parts.append(brow)
    cols = [*base, "gap_type", "metric", "value", "threshold", "evidence", "firm_id"]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=cols)
    ev: pd.DataFrame = pd.concat(parts, ignore_index=True)[cols]
    return ev.sort_values([*base, "gap_type", "metric"]).reset_index(drop=True)
