"""``parklink parks-in-park`` / ``smart`` / ``platforms``: the co-construction registries and
their analyses at the terminal (80 columns, zh/en; ``--json`` for machines)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

import pandas as pd
import typer

from parklink.console import bi, console, frame_table, user_errors
from parklink.errors import NotFoundError
from parklink.inputs import Inputs, read_inputs
from parklink.vocab import (
    ASSESSOR_NAMES,
    CHAIN_NAMES,
    LIST_LEVEL_NAMES,
    PIP_MODE_NAMES,
    PIP_STATUS_NAMES,
    PLATFORM_GAP_ACTION_NAMES,
    PLATFORM_KIND_NAMES,
    SHARING_BASE_NAMES,
    SHARING_METRIC_NAMES,
    SMART_KIND_NAMES,
    SMART_TIER_NAMES,
    Label,
)

__all__ = ["register"]

Lang = Annotated[str, typer.Option("--lang", help="zh or en (表格语言)")]
Json = Annotated[bool, typer.Option("--json", help="JSON output (机器可读)")]


def _inputs() -> Inputs:
    return read_inputs()


def _lab(names: Mapping[str, Label], lang: str) -> Any:
    i = 0 if lang == "zh" else 1

    def f(code: object) -> str:
        if code is None or code is pd.NA or (isinstance(code, float) and code != code):
            return "—"
        return names.get(str(code), (str(code), str(code)))[i]
    return f


def _emit(frame: pd.DataFrame, title: str, as_json: bool, lang: str, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        doc = {"rows": json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))}
        doc.update(extra or {})
        typer.echo(json.dumps(doc, ensure_ascii=False, default=str))
        return
    console.print(frame_table(frame, title, lang=lang))
    if extra and "fingerprint" in extra:
        console.print(f"{bi('指纹', 'fingerprint')}: {extra['fingerprint']['digest']}")


def _name(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One name column in the chosen language (80 columns leave no room for both)."""
    if {"name_zh", "name_en"} <= set(frame.columns):
        name = frame["name_zh"] if lang == "zh" else frame["name_en"]
        frame = frame.drop(columns=["name_zh", "name_en"])
        frame.insert(1, "名称 name", name)
    return frame


def _show(frame: pd.DataFrame, key: str, value: str, as_json: bool) -> None:
    hit = frame[frame[key].astype(str) == value]
    if hit.empty:
        raise NotFoundError(f"no record {value!r} (记录不存在)")
    rec = {k: (None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v)
           for k, v in hit.iloc[0].to_dict().items()}
    if as_json:
        typer.echo(json.dumps(rec, ensure_ascii=False, default=str))
        return
    for k, v in rec.items():
        console.print(f"[bold]{k}[/]: {'—' if v is None else v}", highlight=False)


# ---------------------------------------------------------------- parks in the park
pip_app = typer.Typer(help="园中园与利益分享 Parks in the park and benefit sharing.", no_args_is_help=True)


@pip_app.command("list")
def pip_list(mode: Annotated[str | None, typer.Option(help="hq_base / rd_transformation / terminal_support")] = None,
             park: Annotated[str | None, typer.Option(help="host park id")] = None,
             lang: Lang = "zh", as_json: Json = False) -> None:
    """列出园中园 List parks in the park with mode, host and status."""
    with user_errors():
        f = _inputs().frame("parks_in_park")
        if mode:
            f = f[f["mode"].astype(str) == mode]
        if park:
            f = f[f["host_park_id"].astype(str) == park]
        out = f[["pip_id", "name_zh", "name_en", "mode", "host_park_id", "status", "confidence"]].copy()
        if not as_json:
            out["mode"] = out["mode"].map(_lab(PIP_MODE_NAMES, lang))
            out["status"] = out["status"].map(_lab(PIP_STATUS_NAMES, lang))
            out = _name(out.drop(columns=["confidence"]), lang)
        _emit(out, bi("园中园", "parks in the park"), as_json, lang)


@pip_app.command("show")
def pip_show(pip_id: str, as_json: Json = False) -> None:
    """园中园详情 One park in the park with every field and its benefit-sharing rules."""
    with user_errors():
        inputs = _inputs()
        _show(inputs.frame("parks_in_park"), "pip_id", pip_id, as_json)
        if not as_json:
            sh = inputs.frame("benefit_sharing")
            sh = sh[sh["pip_id"].astype(str) == pip_id]
            if len(sh):
                console.print(frame_table(sh[["agreement_id", "metric", "base", "split_pct", "floor_cny_m"]],
                                          bi("利益分享", "benefit sharing")))


@pip_app.command("sharing")
def pip_sharing(lang: Lang = "zh", as_json: Json = False) -> None:
    """利益分享规则 Benefit-sharing rules as data (metric × base × split × floor × attribution)."""
    with user_errors():
        f = _inputs().frame("benefit_sharing")
        out = f[["agreement_id", "metric", "base", "parties", "split_pct", "floor_cny_m"]].copy()
        if not as_json:
            out = out.drop(columns=["parties"])
            out["metric"] = out["metric"].map(_lab(SHARING_METRIC_NAMES, lang))
            out["base"] = out["base"].map(_lab(SHARING_BASE_NAMES, lang))
        _emit(out, bi("利益分享规则", "benefit-sharing rules"), as_json, lang)


@pip_app.command("scorecard")
def pip_scorecard(year: Annotated[int | None, typer.Option(help="reference year")] = None,
                  lang: Lang = "zh", as_json: Json = False) -> None:
    """共建园区评分 Comparable scorecard of co-built parks and promised vs realised shares."""
    from parklink.coconstruction.runs import ScorecardConfig, run_scorecard

    with user_errors():
        run = run_scorecard(_inputs(), ScorecardConfig(ref_year=year))
        t = run.to_frame()[["rank", "pip_id", "name_zh", "name_en", "score", "coverage", "firms",
                            "years_running"]]
        if not as_json:
            t = _name(t, lang)
        _emit(t, bi("共建园区评分", "co-built park scorecard"), as_json, lang, run.summary())
        shares = run.explain()["shares"]
        if not as_json and len(shares):
            console.print(frame_table(shares[["agreement_id", "year", "party", "promised_pct",
                                              "realised_pct", "gap_cny_m"]],
                                      bi("承诺与实际分成", "promised vs realised shares")))


# ---------------------------------------------------------------- smart manufacturing
smart_app = typer.Typer(help="智能制造 Smart manufacturing: recognitions, maturity, indicators.",
                        no_args_is_help=True)


@smart_app.command("list")
def smart_list(park: Annotated[str | None, typer.Option(help="park id")] = None,
               kind: Annotated[str | None, typer.Option(help="digital_workshop / intelligent_factory / intelligent_park")] = None,
               lang: Lang = "zh", as_json: Json = False) -> None:
    """智能制造认定 Recognitions (digital workshops, intelligent factories and parks)."""
    with user_errors():
        f = _inputs().frame("smart_recognitions")
        if park:
            f = f[f["park_id"].astype(str) == park]
        if kind:
            f = f[f["kind"].astype(str) == kind]
        out = f[["recognition_id", "enterprise_name", "park_id", "kind", "tier", "list_level", "year"]].copy()
        if not as_json:
            out["kind"] = out["kind"].map(_lab(SMART_KIND_NAMES, lang))
            out["tier"] = out["tier"].map(_lab(SMART_TIER_NAMES, lang))
            out["list_level"] = out["list_level"].map(_lab(LIST_LEVEL_NAMES, lang))
        _emit(out, bi("智能制造认定", "smart-manufacturing recognitions"), as_json, lang)


@smart_app.command("show")
def smart_show(recognition_id: str, as_json: Json = False) -> None:
    """认定详情 One recognition with every field."""
    with user_errors():
        _show(_inputs().frame("smart_recognitions"), "recognition_id", recognition_id, as_json)


@smart_app.command("assessments")
def smart_assessments(lang: Lang = "zh", as_json: Json = False) -> None:
    """成熟度评估 Maturity assessments (GB/T 39116/39117-2020)."""
    with user_errors():
        f = _inputs().frame("maturity_assessments")
        out = f[["assessment_id", "enterprise_id", "park_id", "assessed_on", "assessor", "overall_level"]].copy()
        if not as_json:
            out["assessor"] = out["assessor"].map(_lab(ASSESSOR_NAMES, lang))
        _emit(out, bi("成熟度评估", "maturity assessments"), as_json, lang)


@smart_app.command("aggregates")
def smart_aggregates(lang: Lang = "zh", as_json: Json = False) -> None:
    """公布的汇总数 Published totals (programme facts, never spread over firms)."""
    with user_errors():
        f = _inputs().frame("smart_aggregates")
        out = f[["aggregate_id", "region", "kind", "measure", "year", "count", "qualifier", "confidence"]].copy()
        if not as_json:
            out["kind"] = out["kind"].map(_lab(SMART_KIND_NAMES, lang))
            out["count"] = [("≥" if q == "at_least" else "~" if q == "about" else "") + str(c)
                            for c, q in zip(out["count"], out["qualifier"], strict=True)]
            out = out.drop(columns=["qualifier", "measure"])
        _emit(out, bi("公布的汇总数", "published totals"), as_json, lang)


@smart_app.command("indicators")
def smart_indicators_cmd(year: Annotated[int | None, typer.Option(help="reference year")] = None,
                         firms: Annotated[bool, typer.Option(help="firm data as the above-scale denominator")] = False,
                         lang: Lang = "zh", as_json: Json = False) -> None:
    """园区智能制造指标 Park indicators: recognised counts, share assessed, mean level, trend."""
    from parklink.coconstruction.runs import SmartConfig, run_smart

    with user_errors():
        run = run_smart(_inputs(), SmartConfig(ref_year=year, firms=firms))
        t = run.to_frame()
        cols = ["park_id", "digital_workshops", "intelligent_factories", "assessed", "share_assessed",
                "mean_level", "trend"]
        _emit(t[[c for c in cols if c in t.columns]], bi("园区智能制造指标", "park smart-manufacturing indicators"),
              as_json, lang, run.summary())


@smart_app.command("domains")
def smart_domains(version: Annotated[str, typer.Option(help="model version")] = "gbt39116-2020",
                  lang: Lang = "zh", as_json: Json = False) -> None:
    """成熟度能力域 The capability model as versioned data (elements stated; domains configurable)."""
    from parklink.coconstruction.domains import maturity_domains

    with user_errors():
        d = maturity_domains(version)
        _emit(d[["code", "kind", "parent", "name_zh", "name_en", "status"]],
              bi("成熟度能力域", "maturity capability domains"), as_json, lang)


# ---------------------------------------------------------------- platforms
plat_app = typer.Typer(help="研发与工业设计平台 R&D and industrial-design platforms.", no_args_is_help=True)


@plat_app.command("list")
def plat_list(park: Annotated[str | None, typer.Option(help="host park id")] = None,
              kind: Annotated[str | None, typer.Option(help="platform kind")] = None,
              lang: Lang = "zh", as_json: Json = False) -> None:
    """研发与设计平台 Platforms with kind, level, host park and chains served."""
    with user_errors():
        f = _inputs().frame("platforms")
        if park:
            f = f[f["host_park_id"].astype(str) == park]
        if kind:
            f = f[f["kind"].astype(str) == kind]
        out = f[["platform_id", "name_zh", "name_en", "kind", "level", "host_park_id", "chains"]].copy()
        if not as_json:
            out = _name(out, lang)
            out["kind"] = out["kind"].map(_lab(PLATFORM_KIND_NAMES, lang))
            out["level"] = out["level"].map(_lab(LIST_LEVEL_NAMES, lang))
        _emit(out, bi("研发与设计平台", "R&D and design platforms"), as_json, lang)


@plat_app.command("show")
def plat_show(platform_id: str, as_json: Json = False) -> None:
    """平台详情 One platform with every field."""
    with user_errors():
        _show(_inputs().frame("platforms"), "platform_id", platform_id, as_json)


@plat_app.command("gaps")
def plat_gaps(max_hours: Annotated[float, typer.Option(help="service standard, hours")] = 2.0,
              p: Annotated[int, typer.Option("--p", help="new platforms to site")] = 1,
              park: Annotated[str | None, typer.Option(help="only this park")] = None,
              chain: Annotated[str | None, typer.Option(help="only this chain")] = None,
              candidates: Annotated[str, typer.Option(help="all / designated")] = "all",
              lang: Lang = "zh", as_json: Json = False) -> None:
    """平台缺口 Chain gaps of designated parks with no platform within reach; best new sites (MCLP)."""
    from parklink.coconstruction.runs import PlatformGapConfig, run_platform_gaps

    with user_errors():
        if candidates not in ("all", "designated"):
            raise NotFoundError("candidates must be 'all' or 'designated' (候选范围无效)")
        cfg = PlatformGapConfig(max_hours=max_hours, p=p, candidates=candidates)  # type: ignore[arg-type]
        run = run_platform_gaps(_inputs(), cfg)
        g = run.to_frame()
        if park:
            g = g[g["park_id"] == park]
        if chain:
            g = g[g["chain"] == chain]
        out = g[["park_id", "chain", "segment_id", "gap_type", "platform_id", "hours", "action"]].copy()
        if not as_json:
            out["chain"] = out["chain"].map(_lab(CHAIN_NAMES, lang))
            out["action"] = out["action"].map(_lab(PLATFORM_GAP_ACTION_NAMES, lang))
        _emit(out, bi("平台缺口", "platform gaps"), as_json, lang, run.summary())
        if not as_json:
            console.print(frame_table(run.result.sites[["chain", "rank", "park_id", "gaps_covered",  # type: ignore[union-attr]
                                                        "gaps_open"]],
                                      bi("新平台最佳选址", "best sites for a new platform")))


def register(app: typer.Typer) -> None:
    """Add ``parks-in-park``, ``smart`` and ``platforms`` to the parklink CLI."""
    app.add_typer(pip_app, name="parks-in-park")
    app.add_typer(smart_app, name="smart")
    app.add_typer(plat_app, name="platforms")
