"""The co-construction section of ``parklink plan`` and the dashboard: parks in the park by
mode and leader, smart-manufacturing counts by park and level (and the published totals as
programme facts), platform coverage of the chain gaps of designated parks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from parklink.report.section import Section, SectionTable
from parklink.tables import split_list
from parklink.vocab import PIP_MODE_NAMES, SMART_KIND_NAMES, SMART_TIER_NAMES

if TYPE_CHECKING:
    from parklink.inputs import Inputs

__all__ = ["cocon_section", "mode_table", "platform_coverage_table", "smart_table"]


def _present(value: object) -> bool:
    return not (value is None or value is pd.NA or (isinstance(value, float) and value != value))


def mode_table(pip: pd.DataFrame) -> pd.DataFrame:
    """Parks in the park per mode and leader (mode empty = not stated by the source)."""
    rows = []
    for r in pip.itertuples(index=False):
        mode = str(r.mode) if _present(r.mode) else "unknown"
        leaders = [x.strip() for x in str(r.leaders).split("、")] if _present(r.leaders) else []
        leaders += split_list(r.leader_ids)
        for leader in leaders or ["—"]:
            rows.append({"mode": mode, "leader": leader, "pip_id": str(r.pip_id)})
    f = pd.DataFrame(rows, columns=["mode", "leader", "pip_id"])
    out = f.groupby(["mode", "leader"], as_index=False).agg(parks=("pip_id", "nunique"),
                                                             pip_ids=("pip_id", lambda s: ";".join(sorted(s))))
    out.insert(1, "mode_zh", out["mode"].map(lambda m: PIP_MODE_NAMES.get(m, ("未说明", "not stated"))[0]))
    out.insert(2, "mode_en", out["mode"].map(lambda m: PIP_MODE_NAMES.get(m, ("未说明", "not stated"))[1]))
    return out


def smart_table(rec: pd.DataFrame) -> pd.DataFrame:
    """Recognitions per park × kind × tier (tier empty for lists outside the national ladder)."""
    f = rec.assign(park_id=rec["park_id"].fillna("—"), tier=rec["tier"].fillna("—"))
    out = f.groupby(["park_id", "kind", "tier"], as_index=False).size().rename(columns={"size": "count"})
    out["kind_zh"] = out["kind"].map(lambda k: SMART_KIND_NAMES[k][0])
    out["tier_zh"] = out["tier"].map(lambda k: SMART_TIER_NAMES.get(k, ("—", "—"))[0])
    return out


def platform_coverage_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Chain gaps per park and chain: total, covered by a platform within reach, share."""
    out = gaps.groupby(["park_id", "chain"], as_index=False).agg(gaps=("covered", "size"),
                                                                  covered=("covered", "sum"))
    out["share"] = out["covered"] / out["gaps"]
    return out


def cocon_section(inputs: Inputs) -> Section:
    """The co-construction section (module docstring). Platform coverage needs the firm
    dataset (chain gaps); without it the table is left out with a note."""
    pip = inputs.frame("parks_in_park")
    rec = inputs.frame("smart_recognitions")
    agg = inputs.frame("smart_aggregates")
    tables = [
        SectionTable("园中园（按模式与龙头企业）", "Parks in the park by mode and leader", mode_table(pip),
                     key="pip_by_mode"),
        SectionTable("智能制造认定（按园区与等级）", "Smart-manufacturing recognitions by park and level",
                     smart_table(rec), key="smart_by_park"),
        SectionTable("公布的智能制造总数（项目事实，不分摊到企业）",
                     "Published smart-manufacturing totals (programme facts, not spread over firms)",
                     agg[["aggregate_id", "region", "kind", "tier", "measure", "year", "count", "qualifier",
                          "source_url", "confidence"]], key="smart_aggregates"),
    ]
    notes: list[str] = []
    summary: dict[str, object] = {"parks_in_park": len(pip), "recognitions": len(rec),
                                  "platforms": len(inputs.frame("platforms"))}
    if inputs.firms is not None and inputs.firms.firms_path.is_file():
        from parklink.coconstruction.runs import run_platform_gaps

        run = run_platform_gaps(inputs)
        tables.append(SectionTable("平台对产业链缺口的覆盖（2小时）", "Platform coverage of chain gaps (2 h)",
                                   platform_coverage_table(run.to_frame()), key="platform_coverage"))
        sites = run.explain()["sites"]
        tables.append(SectionTable("新平台最佳选址", "Best sites for a new platform", sites, key="platform_sites"))
        s = run.summary()
        summary.update({"chain_gaps": s["gaps"], "gaps_covered": s["covered"],
                        "coverage_share": s["coverage_share"], "fingerprint": s["fingerprint"]["digest"]})
    else:
        notes.append("platform coverage left out: no firm dataset (run `parklink db init --firms`)")
    return Section(key="coconstruction", title_zh="共建：园中园、智能制造与平台",
                   title_en="Co-construction: parks in the park, smart manufacturing, platforms",
                   summary=summary, tables=tuple(tables), notes=tuple(notes), synthetic=False)
