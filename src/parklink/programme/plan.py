"""Core sections of ``parklink plan``: data overview, programme status, provenance.

Each takes the inputs bundle (:class:`parklink.inputs.Inputs`) like every domain hook.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from parklink.inputs import Inputs
from parklink.programme.status import programme_status
from parklink.report.section import Section, SectionTable
from parklink.store.io import LOAD_ORDER


def status_section(inputs: Inputs) -> Section:
    """Programme status vs targets by year, province, zone and area type."""
    st = programme_status(
        inputs.frame("designations"), inputs.frame("parks"), inputs.frame("zones"), inputs.frame("targets"),
        regions=inputs.frame("regions"),
    )
    latest = st.by_year.iloc[-1].to_dict() if len(st.by_year) else {}
    return Section(
        key="status",
        title_zh="示范园区建设进度",
        title_en="Programme status vs targets",
        summary={"latest": latest, "by_year": st.by_year.to_dict("records")},
        tables=(
            SectionTable("按年度（累计）", "By year (cumulative)", st.by_year,
                         "Targets from the 11 June 2020 notice; its unit (parks or pairs) is not "
                         "stated, so both designated parks and designations are shown.", key="by_year"),
            SectionTable("按省份", "By province", st.by_province, key="by_province"),
            SectionTable("按合作区域", "By zone", st.by_zone, key="by_zone"),
            SectionTable("按区域类型", "By area type", st.by_area_type, key="by_area_type"),
        ),
    )


def overview_section(inputs: Inputs) -> Section:
    """Counts of regions, parks, hubs, enterprises, chain segments, firms and transactions."""
    counts = {k: len(inputs.frame(k)) for k in LOAD_ORDER}
    firm_counts: dict[str, Any] = {"firms": None, "transactions": None}
    if inputs.firms is not None:
        import duckdb

        con = duckdb.connect()
        firm_counts["firms"] = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(inputs.firms.firms_path)]
        ).fetchone()[0]  # type: ignore[index]
        firm_counts["transactions"] = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [inputs.firms.transactions_glob]
        ).fetchone()[0]  # type: ignore[index]
        con.close()
    seg = inputs.frame("chain_segments")
    per_chain = seg.groupby("chain").size().to_dict() if len(seg) else {}
    labels = {
        "regions": ("行政区", "Regions"),
        "zones": ("合作区域", "Zones"),
        "parks": ("园区", "Parks"),
        "designations": ("示范园区认定", "Designations"),
        "targets": ("目标", "Targets"),
        "transport_nodes": ("交通枢纽", "Transport hubs"),
        "transport_links": ("交通线路", "Transport links"),
        "chain_segments": ("产业链环节", "Chain segments"),
        "enterprises": ("企业名录（真实）", "Enterprise registry (named)"),
        "parks_in_park": ("园中园", "Parks in the park"),
        "benefit_sharing": ("利益分享规则", "Benefit-sharing rules"),
        "sharing_realised": ("分成实绩", "Realised shares"),
        "smart_recognitions": ("智能制造认定", "Smart-manufacturing recognitions"),
        "maturity_assessments": ("成熟度评估", "Maturity assessments"),
        "smart_aggregates": ("智能制造公布总数", "Published smart-manufacturing totals"),
        "platforms": ("研发与设计平台", "R&D and design platforms"),
    }
    rows = [
        {"item": k, "name_zh": labels[k][0], "name_en": labels[k][1], "count": v, "synthetic": False}
        for k, v in counts.items()
    ]
    rows += [
        {"item": "firms", "name_zh": "企业（合成）", "name_en": "Firms (synthetic)",
         "count": firm_counts["firms"], "synthetic": True},
        {"item": "transactions", "name_zh": "交易（合成）", "name_en": "Transactions (synthetic)",
         "count": firm_counts["transactions"], "synthetic": True},
    ]
    return Section(
        key="overview",
        title_zh="数据概况",
        title_en="Data overview",
        summary={"counts": counts, **firm_counts, "segments_per_chain": per_chain},
        tables=(SectionTable("数量", "Counts", pd.DataFrame(rows), key="counts"),),
        synthetic=inputs.firms is not None,
    )


def provenance_section(inputs: Inputs) -> Section:
    """Rows by confidence (confirmed / likely / unconfirmed / synthetic) for each kind."""
    rows = []
    for kind, frame in inputs.frames.items():
        if "confidence" not in frame.columns or frame.empty:
            continue
        counts = frame["confidence"].value_counts().to_dict()
        rows.append(
            {
                "kind": kind,
                "rows": len(frame),
                **{c: int(counts.get(c, 0)) for c in ("confirmed", "likely", "unconfirmed", "synthetic")},
                "with_source": int(frame["source_url"].notna().sum()) if "source_url" in frame else None,
            }
        )
    table = pd.DataFrame(rows)
    notes = (
        "Real facts come from public sources listed per row (source_url) and in "
        "datasets/chengyu/provenance.md; firm-level data (firms, transactions) is SYNTHETIC, "
        "generated by parklink.datasets.synthetic with a fixed seed.",
    )
    try:
        from parklink.datasets import chengyu

        prov = chengyu.provenance()
        extra: tuple[SectionTable, ...] = (SectionTable("数据文件来源", "Dataset files and sources", prov, key="files"),)
    except (ImportError, FileNotFoundError):
        extra = ()
    return Section(
        key="provenance",
        title_zh="数据来源",
        title_en="Data provenance (real vs synthetic)",
        summary={"by_kind": rows},
        tables=(SectionTable("按置信度", "Rows by confidence", table, key="by_confidence"), *extra),
        notes=notes,
    )
