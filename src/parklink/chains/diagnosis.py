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
from parklink.chains.metrics import (
    REGION_VARIANTS,
    _add_demand,
    _completeness,
    _depth_benchmark,
    _feasibility,
    _firm_lsr,
    _gaps,
    _lsr_levels,
    _num,
    _segment_table,
)
from parklink.chains.rules import (
    GapRules,
    TargetWeights,
)
from parklink.chains.scope import Scope
from parklink.chains.target_cache import target_model
from parklink.chains.target_model import activity_table
from parklink.chains.targets import _flows, _leader_maps, _replacements, _targets
from parklink.errors import NotFoundError
from parklink.tables import CHAINS, PROVINCES


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
    ranking: Literal["learned", "hand"] = "learned",
) -> ChainDiagnosis:
    """Diagnose the chains of every scope in ``scopes`` for ``year`` (default: latest).

    ``reference`` (optional) gives external reference shares per segment (columns
    ``segment_id, share``; e.g. national output shares) for the reference LQ; by default
    the reference is the whole dataset (circle plus out-of-circle firms).
    ``depth_benchmark`` is ``n*_k`` of the depth completeness: a number, a mapping by
    segment, or (default) the median firm count of the segment over the circle's cities
    that host it. Methods: chain-methods §1.1 (LSR), §1.2 (completeness, gaps), §1.3 (LQ),
    §3.1 (density), §3.3 (target score). ``ranking="learned"`` (default) ranks the
    investment targets with the model fitted on the new links of ``year``
    (:mod:`parklink.chains.target_model`; expert ``weights`` when the data cannot support a
    fit); ``"hand"`` uses the expert ``weights`` (the ``hand_weights`` baseline).
    ``explain["target_model"]`` records the ranking used and the fitted weights. The fitted
    model is cached by data fingerprint, scopes, year and seed
    (:mod:`parklink.chains.target_cache`: in process and, for a Parquet dataset, as JSON
    under the data directory); with ``top_n=0`` no target is ranked and nothing is fitted.
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
                    candidate_pool, ranking)


def _run(clock: _Clock, data: ChainData, scopes: tuple[Scope, ...], chains: tuple[str, ...],
         tpl: pd.DataFrame, year: int, core: Any, fs: Any, member: Any, rules: GapRules,
         weights: TargetWeights, lq_basis: str, reference: pd.DataFrame | None,
         depth_benchmark: float | Mapping[str, float] | None, top_n: int,
         replacement_n: int, pool: int | None, ranking: str = "hand") -> ChainDiagnosis:
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
        # the learned model only ranks targets: not fitted when none are asked for; cached
        # by data fingerprint, scopes, year and seed (parklink.chains.target_cache)
        model, model_source = (target_model(data, scopes, year) if ranking == "learned" and top_n > 0
                               else (None, "not needed"))
        clock(f"target model ({model_source})")
        activity = activity_table(data.transactions, year) if model is not None else None
        with q.materialised(con, q.sales_into_scope(j)) as sales:
            targets = _targets(con, fs, core, member, sales, gaps, scopes, weights, top_n,
                               pool, model, activity)
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
        "target_model": _target_model_frame(model, ranking, top_n),
    }
    return ChainDiagnosis(
        scopes=scopes, chains=chains, year=year, segments=segs, completeness=comp, lsr=lsr,
        delta_lsr=delta, firm_lsr=firm_lsr, gaps=gaps, evidence=evidence, targets=targets,
        leader_suppliers=lsup, leader_profile=profile, dependencies=deps, replacements=repl,
        flows=flows, rules=rules, weights=weights, engine=data.engine,
        synthetic=data.synthetic, explain=explain,
    )


def _target_model_frame(model: Any, ranking: str, top_n: int) -> pd.DataFrame:
    """``explain["target_model"]``: the fitted weights, or which ranking was used and why."""
    if model is not None:
        frame: pd.DataFrame = model.explain().assign(ranking="learned")
        return frame
    if ranking == "learned" and top_n <= 0:
        return pd.DataFrame({"ranking": ["none"], "model_version": ["none (no targets ranked: top_n = 0)"]})
    return pd.DataFrame({"ranking": ["hand"], "model_version": [
        "hand-weights" if ranking == "hand" else
        "hand-weights (learned fit not possible: too few new links or years)"]})


def _mt(ibis: Any, frame: pd.DataFrame, cols: list[str]) -> Any:
    f = frame[cols].astype(str).reset_index(drop=True)
    if f.empty:  # a memtable needs a schema: one impossible row keeps the types
        f = pd.DataFrame({c: ["\x00"] for c in cols})
    return ibis.memtable(f)
