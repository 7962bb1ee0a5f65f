"""Chain diagnosis for one or many scopes: presence, LQ, completeness, LSR, gaps, targets.

:func:`diagnose` runs the Ibis expressions of :mod:`parklink.chains.queries` (on DuckDB
or Spark), materialises only aggregates (per scope × segment, per buyer, per chain
leader × supplier) and finishes the small tables in pandas. All formulas are in
``docs/chains.md``; the references are chain-methods §1.1–§1.3 and §3.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from parklink.chains import queries as q
from parklink.chains.data import ChainData
from parklink.chains.relatedness import density, proximity, rca
from parklink.chains.rules import (
    ACTION_NAMES,
    GAP_NAMES,
    GAP_TYPES,
    GapRules,
    TargetWeights,
    lq_below,
)
from parklink.chains.scope import Scope
from parklink.errors import NotFoundError
from parklink.tables import CHAINS, PROVINCES

REGION_VARIANTS = ("scope", "own_province", "circle")
LSR_VERSIONS = ("value", "count", "coverage")
_NUM = {"value": ("v_scope", "v_prov", "v_circle", "v_resolved"),
        "count": ("n_scope", "n_prov", "n_circle", "n_resolved"),
        "coverage": ("k_scope", "k_prov", "k_circle", "n_k")}


@dataclass(frozen=True, slots=True)
class ChainDiagnosis:
    """The diagnosis of chains in one or more scopes for one year.

    Frames (each with a ``scope_id`` column where it applies):

    * ``segments`` — per scope × template segment: firms, leaders, output, LQ against the
      circle and the reference, local demand/supply, concentration, gap flags, action;
    * ``completeness`` — per scope × chain: presence and depth completeness;
    * ``lsr`` — local supporting rates by level (scope, leaders, park), version
      (value/count/coverage) and region (scope/own province/circle), with data coverage;
    * ``delta_lsr`` — ΔLSR = LSR(circle) − LSR(own province) by level and version;
    * ``firm_lsr`` — the firm-level rates of every focal buyer;
    * ``gaps`` / ``evidence`` — gap typology per scope × segment and its evidence rows;
    * ``targets`` — ranked external suppliers for each gap, with a reason string;
    * ``leader_suppliers`` / ``leader_profile`` / ``dependencies`` / ``replacements`` —
      the chain leaders' supplier maps;
    * ``flows`` — Sichuan↔Chongqing purchases by year, direction, chain and segment.
    """

    scopes: tuple[Scope, ...]
    chains: tuple[str, ...]
    year: int
    segments: pd.DataFrame
    completeness: pd.DataFrame
    lsr: pd.DataFrame
    delta_lsr: pd.DataFrame
    firm_lsr: pd.DataFrame
    gaps: pd.DataFrame
    evidence: pd.DataFrame
    targets: pd.DataFrame
    leader_suppliers: pd.DataFrame
    leader_profile: pd.DataFrame
    dependencies: pd.DataFrame
    replacements: pd.DataFrame
    flows: pd.DataFrame
    rules: GapRules
    weights: TargetWeights
    engine: str = "duckdb"
    synthetic: bool = False
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per scope × segment table (presence, strength, LQ, gaps, actions)."""
        return self.segments.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result frame by name (for Excel/CSV/JSON export)."""
        return {
            "segments": self.segments, "completeness": self.completeness, "lsr": self.lsr,
            "delta_lsr": self.delta_lsr, "firm_lsr": self.firm_lsr, "gaps": self.gaps,
            "evidence": self.evidence, "targets": self.targets,
            "leader_suppliers": self.leader_suppliers, "leader_profile": self.leader_profile,
            "dependencies": self.dependencies, "replacements": self.replacements,
            "flows": self.flows,
        }

    def summary(self, scope_id: str) -> dict[str, Any]:
        """JSON-serialisable headline figures of one scope."""
        comp = self.completeness[self.completeness["scope_id"] == scope_id]
        lsr = self.lsr[(self.lsr["scope_id"] == scope_id) & (self.lsr["level"] == "scope")
                       & (self.lsr["version"] == "value")]
        d = self.delta_lsr[(self.delta_lsr["scope_id"] == scope_id)
                           & (self.delta_lsr["level"] == "scope")
                           & (self.delta_lsr["version"] == "value")]
        gaps = self.gaps[self.gaps["scope_id"] == scope_id]
        out: dict[str, Any] = {"year": self.year, "chains": {}}
        for chain in self.chains:
            c = comp[comp["chain"] == chain]
            lc = lsr[lsr["chain"] == chain].set_index("region")
            dc = d[d["chain"] == chain]
            g = gaps[gaps["chain"] == chain]
            out["chains"][chain] = {
                "completeness": _num(c["completeness"].iloc[0]) if len(c) else None,
                "completeness_depth": _num(c["completeness_depth"].iloc[0]) if len(c) else None,
                "lsr_value": {r: _num(lc.at[r, "lsr"]) if r in lc.index else None
                              for r in REGION_VARIANTS},
                "data_coverage_value": _num(lc["coverage_value"].iloc[0]) if len(lc) else None,
                "delta_lsr": _num(dc["delta"].iloc[0]) if len(dc) else None,
                "gaps": {a: int((g["action"] == a).sum()) for a in
                         ("build", "supplement", "extend", "strengthen")},
            }
        return out


class _Clock:
    """Wall and process CPU time per step (reported in ``explain['timings']``)."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.c = time.process_time()
        self.rows: list[tuple[str, float, float]] = []

    def __call__(self, step: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.rows.append((step, now - self.t, cpu - self.c))
        self.t, self.c = now, cpu

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["step", "seconds", "cpu_seconds"])


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    n = np.asarray(num, dtype=float)
    d = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def diagnose(
    data: ChainData,
    scopes: Scope | Sequence[Scope],
    *,
    chains: Sequence[str] | None = None,
    year: int | None = None,
    rules: GapRules | None = None,
    weights: TargetWeights | None = None,
    lq_basis: Literal["output", "firms"] = "output",
    reference: pd.DataFrame | None = None,
    depth_benchmark: float | Mapping[str, float] | None = None,
    top_n: int = 10,
    replacement_n: int = 5,
    candidate_pool: int | None = 25,
) -> ChainDiagnosis:
    """Diagnose the chains of every scope in ``scopes`` for ``year`` (default: latest).

    ``reference`` (optional) gives external reference shares per segment (columns
    ``segment_id, share``; e.g. national output shares) for the reference LQ; by default
    the reference is the whole dataset (circle plus out-of-circle firms).
    ``depth_benchmark`` is ``n*_k`` of the depth completeness: a number, a mapping by
    segment, or (default) the median firm count of the segment over the circle's cities
    that host it. Methods: chain-methods §1.1 (LSR), §1.2 (completeness, gaps), §1.3 (LQ),
    §3.1 (density), §3.3 (target score).
    """
    scope_list = (scopes,) if isinstance(scopes, Scope) else tuple(scopes)
    if len({s.scope_id for s in scope_list}) != len(scope_list):
        raise NotFoundError("duplicate scope ids in one diagnosis (范围重复)")
    rules = rules or GapRules()
    weights = weights or TargetWeights()
    chain_list = tuple(chains) if chains else CHAINS
    bad = [c for c in chain_list if c not in CHAINS]
    if bad:
        raise NotFoundError(f"unknown chain {bad[0]!r} (产业链不存在); expected one of "
                            f"{', '.join(CHAINS)}")
    tpl = data.template[data.template["chain"].isin(chain_list)].copy()
    if tpl.empty:
        raise NotFoundError(f"the chain template has no segments for {', '.join(chain_list)}")
    con = data.con
    if year is None:
        y = con.execute(q.latest_year(data.transactions))
        if y is None or pd.isna(y):
            raise NotFoundError("the transactions table is empty (无交易数据)")
        year = int(y)
    clock = _Clock()
    with ExitStack() as stack:  # firm tables computed once, dropped at the end
        core = stack.enter_context(q.materialised(con, q.firm_core(data.firms, data.keyed)))
        fs = stack.enter_context(q.materialised(con, q.firm_segments(core)))
        member = stack.enter_context(q.materialised(con, q.membership(core, scope_list)))
        clock("firm tables and scope membership")
        return _run(clock, data, scope_list, chain_list, tpl, int(year), core, fs, member, rules,
                    weights, lq_basis, reference, depth_benchmark, top_n, replacement_n,
                    candidate_pool)


def _run(clock: _Clock, data: ChainData, scopes: tuple[Scope, ...], chains: tuple[str, ...],
         tpl: pd.DataFrame, year: int, core: Any, fs: Any, member: Any, rules: GapRules,
         weights: TargetWeights, lq_basis: str, reference: pd.DataFrame | None,
         depth_benchmark: float | Mapping[str, float] | None, top_n: int,
         replacement_n: int, pool: int | None) -> ChainDiagnosis:
    import ibis

    con = data.con
    seg_counts = con.execute(q.segment_counts(fs, member))
    totals = con.execute(q.scope_totals(core, member))
    ref_counts = con.execute(q.reference_counts(fs))
    prov_totals = con.execute(q.province_totals(core))
    city_counts = con.execute(q.city_segment_counts(fs))
    clock("segment counts and references")

    segs = _segment_table(scopes, tpl, seg_counts, totals, ref_counts, prov_totals,
                          lq_basis, reference)
    bench = _depth_benchmark(tpl, city_counts, depth_benchmark)
    segs["depth_benchmark"] = segs["segment_id"].map(bench).astype(float)
    segs["depth"] = np.minimum(1.0, segs["n_firms"] / segs["depth_benchmark"])

    # presence tables for the coverage LSR
    present_scope = seg_counts.loc[seg_counts["n_firms"] > 0, ["scope_id", "segment_id"]]
    pc = ref_counts[ref_counts["n_firms"] > 0]
    present_prov = pc[["province", "segment_id"]].drop_duplicates()
    present_circle = pc.loc[pc["province"].isin(PROVINCES), ["segment_id"]].drop_duplicates()

    with q.materialised(con, q.scoped_purchases(data.transactions, core, member, year,
                                                     data.keyed)) as j:
        clock("scoped purchases (join, year)")
        firm = con.execute(q.firm_lsr_sums(j, core))
        cov = con.execute(q.firm_coverage_sums(
            j, _mt(ibis, present_scope, ["scope_id", "segment_id"]),
            _mt(ibis, present_prov, ["province", "segment_id"]),
            _mt(ibis, present_circle, ["segment_id"]), core))
        demand = con.execute(q.segment_demand(j))
        sourcing = con.execute(q.leader_sourcing(j, core))
        lsup = con.execute(q.leader_suppliers(j, core)).sort_values(
            ["scope_id", "buyer_id", "supplier_id"]).reset_index(drop=True)
        clock("purchase aggregates")
        segs = _add_demand(segs, demand)
        firm_lsr = _firm_lsr(firm, cov)
        focal = totals.rename(columns={"n_all": "n_focal"})[["scope_id", "chain", "n_focal"]]
        lsr, delta = _lsr_levels(firm_lsr, focal, chains)
        comp = _completeness(segs, chains, scopes)
        segs = _feasibility(segs, city_counts, seg_counts, scopes)
        segs, gaps, evidence = _gaps(segs, sourcing, comp, tpl, rules)
        clock("rates, completeness, gaps (pandas)")
        # sales into each scope, computed once: the ranking reads them twice (pool, score)
        with q.materialised(con, q.sales_into_scope(j)) as sales:
            targets = _targets(con, fs, core, member, sales, gaps, scopes, weights, top_n,
                               pool)
        clock("investment targets")
        profile, deps = _leader_maps(lsup, sourcing)
        repl = _replacements(con, fs, member, deps, core, weights, replacement_n, pool)
        clock("leader maps and replacements")
    with q.materialised(con, q.flow_codes(core)) as codes:
        flows = _flows(con.execute(q.flows(data.transactions, codes, data.keyed)), tpl)
    clock("flows (all years)")
    explain = {
        "segment_counts": seg_counts, "scope_totals": totals, "reference_counts": ref_counts,
        "province_totals": prov_totals, "city_segment_counts": city_counts,
        "segment_demand": demand, "leader_sourcing": sourcing,
        "depth_benchmark": pd.DataFrame({"segment_id": list(bench),
                                         "n_star": list(bench.values())}),
        "timings": clock.frame(),
    }
    return ChainDiagnosis(
        scopes=scopes, chains=chains, year=year, segments=segs, completeness=comp, lsr=lsr,
        delta_lsr=delta, firm_lsr=firm_lsr, gaps=gaps, evidence=evidence, targets=targets,
        leader_suppliers=lsup, leader_profile=profile, dependencies=deps, replacements=repl,
        flows=flows, rules=rules, weights=weights, engine=data.engine,
        synthetic=data.synthetic, explain=explain,
    )


def _mt(ibis: Any, frame: pd.DataFrame, cols: list[str]) -> Any:
    f = frame[cols].astype(str).reset_index(drop=True)
    if f.empty:  # a memtable needs a schema: one impossible row keeps the types
        f = pd.DataFrame({c: ["\x00"] for c in cols})
    return ibis.memtable(f)


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


def _centre(scope: Scope, fallback: tuple[float, float]) -> tuple[float, float]:
    if scope.lon is not None and scope.lat is not None:
        return scope.lon, scope.lat
    return fallback


def _targets(con: Any, fs: Any, core: Any, member: Any, sales: Any, gaps: pd.DataFrame,
             scopes: tuple[Scope, ...], weights: TargetWeights, top_n: int,
             pool: int | None) -> pd.DataFrame:
    cols = ["scope_id", "segment_id", "rank", "enterprise_id", "province", "park_id",
            "adcode", "score", "into", "distance_km", "output", "tie", "f_value", "f_fit",
            "f_distance", "f_size", "f_tie", "reason"]
    if gaps.empty or top_n <= 0:
        return pd.DataFrame(columns=cols)
    centres = _scope_centres(con, fs, member, scopes)
    pairs = gaps[["scope_id", "segment_id"]].drop_duplicates().copy()
    pairs = pairs.reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs), dtype="int64")
    pairs["lon"] = pairs["scope_id"].map(lambda s: centres[s][0])
    pairs["lat"] = pairs["scope_id"].map(lambda s: centres[s][1])
    pairs["exclude_id"] = ""
    w = {"value": weights.value, "fit": weights.fit, "distance": weights.distance,
         "size": weights.size, "tie": weights.tie}
    expr = q.ranked_candidates(fs, core, member, sales, pairs, exclude_members=True,
                               circle_only=False, weights=w,
                               distance_km0=weights.distance_km0, top_n=top_n, pool=pool)
    t = con.execute(expr)
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.merge(pairs[["key", "segment_id"]], on="key")
    t["reason"] = _reasons(t, weights)
    out: pd.DataFrame = t[cols].sort_values(["scope_id", "segment_id", "rank"])
    return out.reset_index(drop=True)


def _scope_centres(con: Any, fs: Any, member: Any,
                   scopes: tuple[Scope, ...]) -> dict[str, tuple[float, float]]:
    """The scope's point, or the mean location of its firms; NaN when it has none
    (candidates then get ``f_distance = 0``)."""
    need = [s for s in scopes if s.lon is None or s.lat is None]
    out = {s.scope_id: (float(s.lon), float(s.lat)) for s in scopes
           if s.lon is not None and s.lat is not None}
    if need:
        from ibis import _

        j = fs.join(member, "enterprise_id")
        m = con.execute(j.group_by("scope_id").aggregate(lon=_.lon.mean(), lat=_.lat.mean()))
        got = m.set_index("scope_id")
        for s in need:
            if s.scope_id in got.index:
                out[s.scope_id] = (float(got.at[s.scope_id, "lon"]),
                                   float(got.at[s.scope_id, "lat"]))
            else:
                out[s.scope_id] = (float("nan"), float("nan"))
    return out


_FACTORS = ("value", "tie", "distance", "size", "fit")


def _reasons(t: pd.DataFrame, w: TargetWeights) -> pd.Series:
    """Reason strings: the top contributing factor (first of value, tie, distance, size,
    fit on a tie), then the evidence. Values are rounded to 1e-6 before formatting, so a
    sum that differs in its last bits (parallel summation order) prints the same."""
    contrib = np.column_stack([
        w.value * t["f_value"].to_numpy(dtype=float), w.tie * t["f_tie"].to_numpy(dtype=float),
        w.distance * t["f_distance"].to_numpy(dtype=float),
        w.size * t["f_size"].to_numpy(dtype=float), w.fit * t["f_fit"].to_numpy(dtype=float)])
    top = [_FACTORS[i] for i in np.argmax(contrib, axis=1).tolist()]

    def rounded(col: str) -> list[float]:  # Python floats format faster than numpy scalars
        values: list[float] = np.round(t[col].to_numpy(dtype=float), 6).tolist()
        return values

    into, dist, out, fit = (rounded(c) for c in ("into", "distance_km", "output", "f_fit"))
    tie = (t["tie"].to_numpy() > 0).tolist()
    text: list[str] = []
    for f, v, k, d, o, g in zip(top, into, tie, dist, out, fit, strict=True):
        parts = [f"主因 top factor: {f}; "]
        if v > 0:
            vs = f"{v:,.0f}"
            parts.append(f"已向本范围销售 {vs} 千元 / sold {vs} k CNY into the scope; ")
        if k:
            parts.append("已供应本范围链主 / already supplies a chain leader here; ")
        if d == d:  # not NaN
            ds = f"{d:.0f}"
            parts.append(f"距离 {ds} km / {ds} km away; ")
        os_, gs = f"{o:.0f}", f"{g:.2f}"
        parts.append(f"产值 {os_} 百万元 / output {os_} m CNY; 环节匹配 {gs} / segment fit {gs}")
        text.append("".join(parts))
    return pd.Series(text, index=t.index, dtype=object)


def _leader_maps(lsup: pd.DataFrame, sourcing: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    pcols = ["scope_id", "buyer_id", "n_suppliers", "value_kcny", "local_share_scope",
             "local_share_province", "local_share_circle", "distance_mean_km",
             "distance_median_km", "share_within_50km", "share_within_100km",
             "share_within_300km", "n_single_supplier_segments"]
    dcols = ["scope_id", "buyer_id", "segment_id", "supplier_id", "value_kcny",
             "supplier_in_scope", "supplier_in_circle"]
    if lsup.empty:
        return pd.DataFrame(columns=pcols), pd.DataFrame(columns=dcols)
    d = lsup.copy()
    d["v_scope"] = d["value"] * d["in_scope"]
    d["v_prov"] = d["value"] * d["same_prov"]
    d["v_circle"] = d["value"] * d["in_circle"]
    known = d["distance_km"].notna()
    d["v_known"] = d["value"] * known
    d["vd"] = d["value"] * d["distance_km"].fillna(0.0)
    for km in (50, 100, 300):
        d[f"v{km}"] = d["value"] * (d["distance_km"] <= km)
    g = d.groupby(["scope_id", "buyer_id"]).agg(
        n_suppliers=("supplier_id", "nunique"), value_kcny=("value", "sum"),
        v_scope=("v_scope", "sum"), v_prov=("v_prov", "sum"), v_circle=("v_circle", "sum"),
        v_known=("v_known", "sum"), vd=("vd", "sum"), v50=("v50", "sum"),
        v100=("v100", "sum"), v300=("v300", "sum"))
    g["local_share_scope"] = _ratio(g["v_scope"], g["value_kcny"])
    g["local_share_province"] = _ratio(g["v_prov"], g["value_kcny"])
    g["local_share_circle"] = _ratio(g["v_circle"], g["value_kcny"])
    g["distance_mean_km"] = _ratio(g["vd"], g["v_known"])
    for km in (50, 100, 300):
        g[f"share_within_{km}km"] = _ratio(g[f"v{km}"], g["v_known"])
    g["distance_median_km"] = _weighted_medians(d[known], ["scope_id", "buyer_id"],
                                                "distance_km", "value").reindex(g.index)
    deps = sourcing[sourcing["n_sup"] == 1].rename(columns={"s_seg": "segment_id",
                                                            "value": "value_kcny"})
    deps = deps.assign(supplier_in_scope=deps["n_local"] > 0,
                       supplier_in_circle=deps["sup_in_circle"] > 0)[dcols]
    nd = deps.groupby(["scope_id", "buyer_id"]).size()
    g["n_single_supplier_segments"] = nd.reindex(g.index).fillna(0).astype(int)
    prof = g.reset_index()[pcols]
    return prof, deps.sort_values(["scope_id", "buyer_id", "segment_id"]).reset_index(drop=True)


def _weighted_medians(d: pd.DataFrame, keys: list[str], col: str, w: str) -> pd.Series:
    """Weighted median per group: the smallest value whose cumulative weight reaches half."""
    s = d.sort_values([*keys, col])
    cum = s.groupby(keys)[w].cumsum()
    tot = s.groupby(keys)[w].transform("sum")
    hit = s[cum >= tot / 2]
    return hit.groupby(keys)[col].first()


def _replacements(con: Any, fs: Any, member: Any, deps: pd.DataFrame, core: Any,
                  weights: TargetWeights, n: int, pool: int | None) -> pd.DataFrame:
    cols = ["scope_id", "buyer_id", "segment_id", "current_supplier", "rank", "enterprise_id",
            "province", "park_id", "distance_km", "output", "score"]
    if deps.empty or n <= 0:
        return pd.DataFrame(columns=cols)
    ids = sorted(set(deps["buyer_id"]))
    loc = con.execute(core.filter(core.enterprise_id.isin(ids)).select(
        "enterprise_id", "lon", "lat")).set_index("enterprise_id")
    pairs = deps[["scope_id", "buyer_id", "segment_id", "supplier_id"]].copy()
    pairs = pairs.reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs), dtype="int64")
    pairs["lon"] = pairs["buyer_id"].map(loc["lon"]).astype(float)
    pairs["lat"] = pairs["buyer_id"].map(loc["lat"]).astype(float)
    pairs = pairs.rename(columns={"supplier_id": "exclude_id"})
    w = {"value": 0.0, "fit": weights.fit, "distance": weights.distance, "size": weights.size,
         "tie": 0.0}
    expr = q.ranked_candidates(fs, core, member, None, pairs[["key", "scope_id", "segment_id",
                                                               "lon", "lat", "exclude_id"]],
                               exclude_members=False, circle_only=True, weights=w,
                               distance_km0=weights.distance_km0, top_n=n, pool=pool)
    t = con.execute(expr.select("key", "rank", "enterprise_id", "province", "park_id",
                                "distance_km", "output", "score"))
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.merge(pairs[["key", "scope_id", "buyer_id", "segment_id", "exclude_id"]], on="key")
    t = t.rename(columns={"exclude_id": "current_supplier"})
    out: pd.DataFrame = t[cols].sort_values(["scope_id", "buyer_id", "segment_id", "rank"])
    return out.reset_index(drop=True)


def _flows(f: pd.DataFrame, tpl: pd.DataFrame) -> pd.DataFrame:
    cols = ["year", "direction", "cross_border", "chain", "segment_id", "value_kcny", "n_tx",
            "growth"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    chain_of = tpl.set_index("segment_id")["chain"]
    out = f.rename(columns={"s_seg": "segment_id", "value": "value_kcny"}).copy()
    out["chain"] = out["segment_id"].map(chain_of)
    fallback = out["segment_id"].astype("string").str.split(".").str[0]
    out["chain"] = out["chain"].fillna(fallback).fillna("unassigned")
    out["segment_id"] = out["segment_id"].fillna("unassigned")
    out["direction"] = out["s_prov"] + "→" + out["b_prov"]
    out["cross_border"] = out["s_prov"] != out["b_prov"]
    out = out.groupby(["direction", "cross_border", "chain", "segment_id", "year"],
                      as_index=False).agg(value_kcny=("value_kcny", "sum"), n_tx=("n_tx", "sum"))
    out = out.sort_values(["direction", "chain", "segment_id", "year"]).reset_index(drop=True)
    prev = out.groupby(["direction", "chain", "segment_id"])["value_kcny"].shift(1)
    prev_year = out.groupby(["direction", "chain", "segment_id"])["year"].shift(1)
    ok = prev_year == out["year"] - 1
    out["growth"] = np.where(ok & (prev > 0), out["value_kcny"] / prev - 1.0, np.nan)
    return out[cols]
