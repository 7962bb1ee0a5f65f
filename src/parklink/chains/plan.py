"""The chains section of the plan: every demonstration park, its partner(s) and the group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import ChainDiagnosis, diagnose
from parklink.chains.scope import Scope, ScopeFrames, designation_scope, park_scope
from parklink.errors import NotFoundError
from parklink.report.section import Section, SectionTable
from parklink.tables import CHAINS

if TYPE_CHECKING:
    from parklink.inputs import Inputs as PlanInputs


def _members(value: object) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return []
    return [m.strip() for m in str(value).split(";") if m.strip()]


def designation_scopes(frames: ScopeFrames) -> tuple[list[Scope], pd.DataFrame]:
    """Scopes of every member park and every designation with named members, and a table
    (designation_id, scope_id, role, partner_ids, chains) linking them."""
    d = frames.designations
    parks = set(frames.parks["park_id"]) if not frames.parks.empty else set()
    scopes: dict[str, Scope] = {}
    rows = []
    for r in d.itertuples() if not d.empty else ():
        members = [m for m in _members(getattr(r, "members", None)) if m in parks]
        if not members:
            continue
        chains = [c for c in _members(getattr(r, "theme_chains", None)) if c in CHAINS]
        if not chains and "focus_chains" in frames.parks:
            focus = frames.parks.loc[frames.parks["park_id"].isin(members), "focus_chains"]
            chains = sorted({c for v in focus for c in _members(v) if c in CHAINS})
        chains = chains or list(CHAINS)
        ds = designation_scope(str(r.designation_id), frames)
        scopes[ds.scope_id] = ds
        rows.append((r.designation_id, ds.scope_id, "group", ";".join(members), ";".join(chains)))
        for m in members:
            ps = park_scope(m, frames)
            scopes[ps.scope_id] = ps
            partners = ";".join(x for x in members if x != m)
            rows.append((r.designation_id, ps.scope_id, "park", partners, ";".join(chains)))
    table = pd.DataFrame(rows, columns=["designation_id", "scope_id", "role", "partners",
                                        "chains"])
    return list(scopes.values()), table


def chain_section(data: ChainData, frames: ScopeFrames, *, year: int | None = None,
                  top_gaps: int = 5, top_targets: int = 3) -> Section:
    """The plan's chain section: for every demonstration park, its partner park(s) and the
    park group, the completeness, LSR/ΔLSR with data coverage, the main gaps with their
    action class, and the first investment targets of each main gap."""
    scopes, links = designation_scopes(frames)
    if not scopes:
        raise NotFoundError("no demonstration park with named member parks (无示范园区成员)")
    result = diagnose(data, scopes, year=year, top_n=top_targets)
    return section_from_result(result, links, top_gaps=top_gaps)


def section_from_result(result: ChainDiagnosis, links: pd.DataFrame, *,
                        top_gaps: int = 5) -> Section:
    """Build the Section from a diagnosis of the designation scopes."""
    names = {s.scope_id: s.label for s in result.scopes}
    themed = links.assign(chain=links["chains"].str.split(";")).explode("chain")
    themed = themed[themed["chain"].fillna("") != ""]
    comp = result.completeness.merge(themed[["designation_id", "scope_id", "role", "chain"]],
                                     on=["scope_id", "chain"])
    lsr = result.lsr[(result.lsr["level"] == "scope") & (result.lsr["version"] == "value")]
    lp = lsr.pivot_table(index=["scope_id", "chain"], columns="region", values="lsr").reset_index()
    cov = lsr.groupby(["scope_id", "chain"], as_index=False)["coverage_value"].first()
    dl = result.delta_lsr[(result.delta_lsr["level"] == "scope")
                          & (result.delta_lsr["version"] == "value")][
        ["scope_id", "chain", "delta"]]
    overview = comp.merge(lp, on=["scope_id", "chain"], how="left").merge(
        cov, on=["scope_id", "chain"], how="left").merge(dl, on=["scope_id", "chain"], how="left")
    gaps = result.gaps.merge(themed[["designation_id", "scope_id", "chain"]],
                             on=["scope_id", "chain"])
    counts = gaps.pivot_table(index=["scope_id", "chain"], columns="action",
                              values="segment_id", aggfunc="count", fill_value=0).reset_index()
    overview = overview.merge(counts, on=["scope_id", "chain"], how="left")
    overview.insert(1, "范围 scope", overview["scope_id"].map(names))
    cols = {"designation_id": "示范园区 designation", "范围 scope": "范围 scope",
            "role": "角色 role", "chain": "产业链 chain", "completeness": "完整度 completeness",
            "completeness_depth": "深度完整度 depth", "scope": "范围内配套率 LSR scope",
            "own_province": "本省配套率 LSR own province", "circle": "川渝配套率 LSR circle",
            "delta": "跨省贡献 ΔLSR", "coverage_value": "数据覆盖 data coverage",
            "build": "建链 build", "supplement": "补链 supplement", "extend": "延链 extend",
            "strengthen": "强链 strengthen"}
    ov = overview[[c for c in cols if c in overview.columns]].rename(columns=cols)
    ov.insert(0, "designation_id", overview["designation_id"].to_numpy())  # ids beside the labels
    ov.insert(1, "scope_id", overview["scope_id"].to_numpy())
    top = gaps.sort_values(["scope_id", "chain", "priority"], ascending=[True, True, False])
    top = top.groupby(["scope_id", "chain"]).head(top_gaps)
    gap_t = top.assign(scope=top["scope_id"].map(names))[[
        "designation_id", "scope_id", "scope", "chain", "segment_id", "name_zh", "name_en", "gap_zh", "gap_type",
        "action_zh", "action", "n_firms", "local_demand_kcny", "feasibility", "priority"]]
    tg = result.targets.merge(top[["scope_id", "segment_id"]], on=["scope_id", "segment_id"])
    tg = tg.assign(scope=tg["scope_id"].map(names))[[
        "scope_id", "scope", "segment_id", "rank", "enterprise_id", "province", "score", "reason"]]
    fl = result.flows[result.flows["cross_border"]].groupby(
        ["year", "direction", "chain"], as_index=False)[["value_kcny", "n_tx"]].sum()
    summary: dict[str, Any] = {"year": result.year, "engine": result.engine,
                               "designations": {}}
    for did, grp in links.groupby("designation_id"):
        summary["designations"][str(did)] = {
            sid: result.summary(sid) for sid in grp["scope_id"]}
    note = ("合成数据，仅验证流程，不作为事实 / synthetic data: validates the method only, "
            "not a finding") if result.synthetic else ""
    return Section(
        key="chains", title_zh="产业链诊断", title_en="Industry-chain diagnosis",
        summary=summary,
        tables=(
            SectionTable("示范园区及伙伴园区产业链概况", "Chains of each demonstration park and "
                         "its partner", ov, note, key="overview"),
            SectionTable("主要缺口与行动（建链/补链/延链/强链）", "Main gaps and actions "
                         "(build / supplement / extend / strengthen)", gap_t, note, key="gaps"),
            SectionTable("联合招商目标", "Joint investment-promotion targets", tg, note, key="targets"),
            SectionTable("川渝跨省采购流量", "Sichuan↔Chongqing purchase flows", fl, note, key="flows"),
        ),
        notes=("配套率定义见 docs/chains.md / LSR definitions: docs/chains.md",
               "每个比率旁给出数据覆盖 / every rate is shown with its data coverage"),
        synthetic=result.synthetic,
    )


def plan_section(inputs: PlanInputs) -> Section | None:
    """Plan hook (``parklink.plan.SectionHook``): the chains section, or None when the firm
    dataset or named demonstration parks are missing."""
    if inputs.firms is None or not inputs.firms.exists():
        return None
    frames = inputs.scope_frames()
    try:
        data = ChainData.from_dataset(inputs.firms, template=inputs.chain_template())
        return chain_section(data, frames)
    except NotFoundError:
        return None
