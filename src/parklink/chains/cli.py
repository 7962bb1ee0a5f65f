"""``parklink chains SCOPE``: the chain diagnosis of one scope, as rich tables or a file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from parklink.chains.diagnosis import ChainDiagnosis
from parklink.errors import ValidationError
from parklink.inputs import Inputs, read_inputs
from parklink.tables import CHAINS
from parklink.vocab import ACTION_NAMES, CHAIN_NAMES, GAP_NAMES

SHEETS: dict[str, tuple[str, str]] = {
    "segments": ("环节", "segments"), "completeness": ("完整度", "completeness"),
    "lsr": ("本地配套率", "local supporting rate"), "delta_lsr": ("跨省贡献", "delta LSR"),
    "firm_lsr": ("企业配套率", "firm LSR"), "gaps": ("缺口", "gaps"),
    "evidence": ("证据", "evidence"), "targets": ("招商目标", "targets"),
    "leader_suppliers": ("链主供应商", "leader suppliers"),
    "leader_profile": ("链主画像", "leader profile"),
    "dependencies": ("单一依赖", "dependencies"), "replacements": ("替代供应商", "replacements"),
    "flows": ("川渝流量", "SC-CQ flows"),
}


def cli_inputs() -> Inputs:
    """The inputs bundle of the chain commands (:func:`parklink.inputs.read_inputs`, default
    database and firm dataset); one place for tests to substitute their own."""
    return read_inputs()


def write_output(result: ChainDiagnosis, out: Path, *, meta: Mapping[str, Any] | None = None) -> None:
    """Write every result table to ``out``: .xlsx (one sheet each), .csv (one file each,
    ``NAME.<table>.csv``) or .json (``{table: records}``); ``meta`` (fingerprint,
    configuration, data source of a :class:`parklink.runs.ChainsRun`) goes into the JSON
    document and the xlsx ``about`` sheet."""
    suffix = out.suffix.lower()
    tables = result.tables()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        with pd.ExcelWriter(out, engine="openpyxl") as xw:
            fp = (meta or {}).get("fingerprint", {})
            about = pd.DataFrame({
                "项目 item": ["年份 year", "范围 scope", "引擎 engine", "合成数据 synthetic",
                            "输入指纹 inputs fingerprint"],
                "值 value": [str(result.year), "; ".join(s.label for s in result.scopes),
                            result.engine, str(result.synthetic), str(fp.get("digest", ""))]})
            about.to_excel(xw, sheet_name="说明 about", index=False)
            for name, frame in tables.items():
                zh, en = SHEETS[name]
                frame.to_excel(xw, sheet_name=f"{zh} {en}"[:31], index=False)
    elif suffix == ".csv":
        for name, frame in tables.items():
            frame.to_csv(out.with_name(f"{out.stem}.{name}.csv"), index=False,
                         encoding="utf-8-sig")
        tables["segments"].to_csv(out, index=False, encoding="utf-8-sig")
    elif suffix == ".json":
        doc: dict[str, Any] = {
            **dict(meta or {}),
            "year": result.year, "engine": result.engine, "synthetic": result.synthetic,
            "scopes": [{"scope_id": s.scope_id, "name_zh": s.name_zh, "name_en": s.name_en}
                       for s in result.scopes],
            "tables": {k: json.loads(v.to_json(orient="records", force_ascii=False))
                       for k, v in tables.items()},
        }
        out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        raise ValidationError.single(str(out), "output must end in .xlsx, .csv or .json",
                                     value=suffix)


def _show(result: ChainDiagnosis) -> None:
    from parklink.console import bi, console, frame_table

    scope = result.scopes[0]
    tag = " [yellow](合成数据 synthetic data)[/]" if result.synthetic else ""
    console.print(f"[bold]{scope.label}[/] — {bi('年份', 'year')} {result.year}, "
                  f"{bi('引擎', 'engine')} {result.engine}{tag}")
    comp = result.completeness.copy()
    comp["chain"] = comp["chain"].map(lambda c: "/".join(CHAIN_NAMES.get(c, (c, c))))
    d = result.delta_lsr[(result.delta_lsr["level"] == "scope")
                         & (result.delta_lsr["version"] == "value")]
    lsr = result.lsr[(result.lsr["level"] == "scope") & (result.lsr["version"] == "value")]
    head = comp[["chain", "n_present", "n_segments", "completeness", "completeness_depth"]]
    head.columns = [bi("产业链", "chain"), bi("已有环节", "present"), bi("环节数", "segments"),
                    bi("完整度", "completeness"), bi("深度完整度", "depth")]
    console.print(frame_table(head, bi("产业链完整度", "Chain completeness")))
    if not lsr.empty:
        piv = lsr.pivot_table(index="chain", columns="region", values="lsr")
        cov = lsr.groupby("chain")["coverage_value"].first()
        t = pd.DataFrame({
            bi("产业链", "chain"): ["/".join(CHAIN_NAMES.get(c, (c, c))) for c in piv.index],
            bi("范围内", "in scope"): piv.get("scope"),
            bi("本省", "own province"): piv.get("own_province"),
            bi("川渝全域", "circle"): piv.get("circle"),
            "ΔLSR": d.set_index("chain")["delta"].reindex(piv.index),
            bi("数据覆盖", "data coverage"): cov.reindex(piv.index),
        })
        console.print(frame_table(t, bi("本地配套率（按金额）", "Local supporting rate (value)")))
    g = result.gaps.copy()
    if not g.empty:
        g["gap"] = g["gap_type"].map(lambda x: "/".join(GAP_NAMES[x]))
        g["act"] = g["action"].map(lambda x: "/".join(ACTION_NAMES[x]))
        g["segment"] = g["name_zh"] + " " + g["name_en"]
        t = g[["chain", "segment", "gap", "act", "n_firms", "local_demand_kcny", "priority"]]
        t.columns = [bi("产业链", "chain"), bi("环节", "segment"), bi("缺口", "gap"),
                     bi("行动", "action"), bi("企业数", "firms"),
                     bi("本地需求(千元)", "local demand kCNY"), bi("优先级", "priority")]
        console.print(frame_table(t, bi("缺口与行动", "Gaps and actions"), max_rows=30))
    tg = result.targets[result.targets["rank"] <= 3]
    if not tg.empty:
        t = tg[["segment_id", "rank", "enterprise_id", "province", "score", "reason"]]
        t.columns = [bi("环节", "segment"), bi("名次", "rank"), bi("企业", "firm"),
                     bi("省份", "province"), bi("得分", "score"), bi("理由", "reason")]
        console.print(frame_table(t, bi("招商目标（每缺口前三）", "Investment targets (top 3 per gap)"),
                                  max_rows=30))
    prof = result.leader_profile
    if not prof.empty:
        t = prof[["buyer_id", "n_suppliers", "local_share_scope", "local_share_circle",
                  "distance_median_km", "n_single_supplier_segments"]]
        t.columns = [bi("链主", "leader"), bi("供应商数", "suppliers"),
                     bi("范围内占比", "local share"), bi("川渝占比", "circle share"),
                     bi("距离中位数km", "median km"), bi("单一依赖环节", "single-supplier segs")]
        console.print(frame_table(t, bi("链主供应网络", "Chain-leader supplier maps")))
    fl = result.flows[result.flows["cross_border"]]
    if not fl.empty:
        agg = fl.groupby(["year", "direction", "chain"], as_index=False)[["value_kcny"]].sum()
        agg.columns = pd.Index([bi("年份", "year"), bi("方向", "direction"), bi("产业链", "chain"),
                       bi("金额(千元)", "value kCNY")])
        console.print(frame_table(agg, bi("川渝跨省流量", "Sichuan↔Chongqing flows")))


def chains_cmd(
    scope: Annotated[str, typer.Argument(help="范围 Scope: circle, SC, CQ, park:ID, "
                                         "designation:ID, zone:ID, city:ADCODE, or a name.")],
    chain: Annotated[str | None, typer.Option(
        "--chain", help="产业链 Chain: auto|moto|electronics|biomed (default: all).")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", help="年份 Year (default: latest in the data).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="输出 Write all tables to FILE.xlsx, .csv or .json.")] = None,
    ranking: Annotated[str, typer.Option(
        "--ranking", help="招商目标排序 Target ranking: learned (fitted on past years, default) "
                          "or hand (expert weights).")] = "learned",
) -> None:
    """产业链诊断 Chain diagnosis: completeness, local supporting rate, gaps, targets."""
    from parklink.console import bi, console, user_errors

    with user_errors():
        if chain is not None and chain not in CHAINS:
            raise ValidationError.single("--chain", f"unknown chain; expected one of "
                                         f"{', '.join(CHAINS)}", value=chain)
        from parklink.configs import ChainsConfig
        from parklink.runs import diagnose_chains

        bundle = cli_inputs()
        run = diagnose_chains(bundle, ChainsConfig(scope=scope, chain=chain, year=year,
                                                    ranking=ranking))
        result = run.diagnosis
        console.print(f"{bi('数据来源', 'Data')}: {bundle.note} · {bi('输入指纹', 'inputs fingerprint')} "
                      f"{run.fingerprint.digest}")
        if out is not None:
            write_output(result, out, meta=run.meta)
            console.print(f"[green]✓[/] {bi('已写出', 'written')} {out}")
        else:
            _show(result)


def register(app: typer.Typer) -> None:
    """Add the ``chains`` command to the parklink CLI."""
    app.command("chains")(chains_cmd)
