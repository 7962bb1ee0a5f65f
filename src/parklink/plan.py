"""The main job: run the analyses on the registry into one Plan, and write it out.

``build_plan`` is pure with respect to its inputs (a database URL and a firm dataset):
it reads, computes and returns a frozen :class:`Plan`; ``write_plan`` renders
``plan.json`` and a self-contained ``plan.html`` (no network access needed to view it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from parklink import __version__
from parklink.errors import InfeasibleError
from parklink.firmdata import FirmDataset
from parklink.programme.status import programme_status
from parklink.report.section import Section, SectionTable
from parklink.store.db import database_url, redact, session_scope
from parklink.store.io import count_rows, read_frame

Lang = Literal["zh", "en"]
#: A plan hook computes one or more sections from the registry frames and the firm dataset.
SectionHook = Callable[["PlanInputs"], "Section | Sequence[Section] | None"]


@dataclass(frozen=True)
class PlanInputs:
    """What the plan's analyses read: registry frames by kind and the firm dataset."""

    frames: dict[str, pd.DataFrame]
    firms: FirmDataset | None

    def frame(self, kind: str) -> pd.DataFrame:
        """The registry frame of ``kind`` (canonical columns)."""
        return self.frames[kind]


@dataclass(frozen=True)
class Plan:
    """The programme plan: metadata and an ordered list of sections."""

    generated_at: str
    database: str
    version: str
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def section(self, key: str) -> Section:
        """The section called ``key``."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view: metadata, each section's summary and tables as records."""
        return {
            "generated_at": self.generated_at,
            "database": self.database,
            "parklink_version": self.version,
            "warnings": list(self.warnings),
            "sections": [
                {
                    "key": s.key,
                    "title_zh": s.title_zh,
                    "title_en": s.title_en,
                    "synthetic": s.synthetic,
                    "summary": _jsonable(s.summary),
                    "notes": list(s.notes),
                    "tables": [
                        {
                            "title_zh": tb.title_zh,
                            "title_en": tb.title_en,
                            "note": tb.note,
                            "columns": [str(c) for c in tb.frame.columns],
                            "rows": _jsonable(tb.frame.to_dict("records")),
                        }
                        for tb in s.tables
                    ],
                }
                for s in self.sections
            ],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def read_inputs(url: str | None = None, firm_root: Path | None = None) -> PlanInputs:
    """Read every registry kind as a frame, plus the firm dataset if present."""
    from parklink.store.io import LOAD_ORDER

    with session_scope(url) as session:
        frames = {kind: read_frame(session, kind) for kind in LOAD_ORDER}
    firms = FirmDataset(firm_root) if firm_root is not None and FirmDataset(firm_root).exists() else None
    return PlanInputs(frames, firms)


def status_section(inputs: PlanInputs) -> Section:
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
                         "stated, so both designated parks and designations are shown."),
            SectionTable("按省份", "By province", st.by_province),
            SectionTable("按合作区域", "By zone", st.by_zone),
            SectionTable("按区域类型", "By area type", st.by_area_type),
        ),
    )


def overview_section(inputs: PlanInputs, url: str | None = None) -> Section:
    """Counts of regions, parks, hubs, enterprises, chain segments, firms and transactions."""
    with session_scope(url) as session:
        counts = count_rows(session)
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
        tables=(SectionTable("数量", "Counts", pd.DataFrame(rows)),),
        synthetic=inputs.firms is not None,
    )


def provenance_section(inputs: PlanInputs) -> Section:
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
        extra: tuple[SectionTable, ...] = (SectionTable("数据文件来源", "Dataset files and sources", prov),)
    except (ImportError, FileNotFoundError):
        extra = ()
    return Section(
        key="provenance",
        title_zh="数据来源",
        title_en="Data provenance (real vs synthetic)",
        summary={"by_kind": rows},
        tables=(SectionTable("按置信度", "Rows by confidence", table), *extra),
        notes=notes,
    )


def default_hooks() -> list[tuple[str, SectionHook]]:
    """Domain sections added after the core ones (each domain registers its hook here)."""
    from parklink.chains.plan import plan_section as chains_section
    from parklink.logistics.plan import accessibility_hook, logistics_hook

    return [
        ("evaluation+designation", evaluation_designation_hook),
        ("chains", chains_section),
        ("accessibility", accessibility_hook),
        ("logistics", logistics_hook),
    ]


def plan_travel_time(frames: Mapping[str, pd.DataFrame]) -> Any:
    """Door-to-door travel times (h) between park and region seats on the multimodal network
    built from the registry frames (``parks``, ``regions``, ``transport_nodes``) and the
    embedded district boundaries (:func:`parklink.logistics.skim.network_travel_time`)."""
    from parklink.datasets import chengyu
    from parklink.logistics.network import build_network
    from parklink.logistics.skim import network_travel_time

    network = build_network(
        regions=frames["regions"],
        parks=frames["parks"],
        transport_nodes=frames["transport_nodes"],
        boundaries=chengyu.boundaries(),
    )
    return network_travel_time(network)


def plan_evaluation(frames: Mapping[str, pd.DataFrame], *, travel_time: Any = None) -> Any:
    """The plan's park evaluation (:func:`parklink.evaluate.api.evaluate_parks` with its
    defaults, network travel times) on registry frames keyed by kind; None when there are
    no parks or regions. The web park page and the plan share it."""
    from parklink.evaluate.api import evaluate_parks

    parks, regions = frames["parks"], frames["regions"]
    if parks.empty or regions.empty:
        return None
    if travel_time is None:
        travel_time = plan_travel_time(frames)
    return evaluate_parks(
        parks, regions=regions, zones=frames["zones"], transport_nodes=frames["transport_nodes"],
        enterprises=frames["enterprises"], travel_time=travel_time, designations=frames.get("designations"),
    )


def evaluation_designation_hook(inputs: PlanInputs) -> list[Section] | None:
    """Evaluate the parks once (network travel times), then plan the designations on those scores."""
    from parklink.designate import plan_section as designation_section
    from parklink.evaluate.plan import evaluation_section

    kinds = ("parks", "regions", "zones", "transport_nodes", "enterprises")
    frames = {k: inputs.frame(k) for k in kinds}
    parks, regions = frames["parks"], frames["regions"]
    if parks.empty or regions.empty:
        return None
    travel_time = plan_travel_time(frames)
    ev = plan_evaluation(frames, travel_time=travel_time)
    zones, nodes, enterprises = frames["zones"], frames["transport_nodes"], frames["enterprises"]
    try:
        designation = designation_section(
            parks, regions, zones, nodes, inputs.frame("designations"), inputs.frame("targets"),
            enterprises, evaluation=ev, travel_time=travel_time,
        )
    except InfeasibleError as exc:
        designation = Section(
            key="designation",
            title_zh="示范园区认定方案",
            title_en="Demonstration-park designation",
            summary={"status": "infeasible", "message": str(exc), "conflicts": list(exc.conflicts)},
            tables=(SectionTable("冲突约束", "Conflicting constraint groups",
                                 pd.DataFrame({"constraint_group": list(exc.conflicts)})),),
            notes=(str(exc),),
        )
    return [evaluation_section(ev, parks), designation]


def build_plan(
    url: str | None = None,
    *,
    firm_root: Path | None = None,
    hooks: list[tuple[str, SectionHook]] | None = None,
) -> Plan:
    """Read the registry and firm data, and compute every section of the plan."""
    inputs = read_inputs(url, firm_root)
    sections = [overview_section(inputs, url), status_section(inputs), provenance_section(inputs)]
    warnings: list[str] = []
    for name, hook in hooks if hooks is not None else default_hooks():
        produced = hook(inputs)
        if produced is None:
            warnings.append(f"section {name} skipped: its inputs are missing")
        elif isinstance(produced, Section):
            sections.append(produced)
        else:
            sections.extend(produced)
    return Plan(
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=redact(database_url(url)),
        version=__version__,
        sections=tuple(sections),
        warnings=tuple(warnings),
    )


def write_plan(plan: Plan, out_dir: Path, *, lang: Lang = "zh") -> tuple[Path, Path]:
    """Write ``plan.json`` and the self-contained ``plan.html`` into ``out_dir``."""
    from parklink.report.html import render_plan_html

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "plan.json"
    html_path = out_dir / "plan.html"
    tmp = json_path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(json_path)
    tmp_html = html_path.with_suffix(".html.partial")
    tmp_html.write_text(render_plan_html(plan, lang=lang), encoding="utf-8")
    tmp_html.replace(html_path)
    return json_path, html_path
