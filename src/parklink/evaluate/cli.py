"""``parklink evaluate`` (园区评价): indicators → weights → ranking → robustness report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from parklink.configs import EvaluationConfig
from parklink.console import bi, console, err_console, frame_table, user_errors
from parklink.errors import ValidationError
from parklink.evaluate.api import Evaluation
from parklink.evaluate.calibration import ProgrammeCalibration
from parklink.vocab import METHODS

__all__ = ["correlation_view", "evaluate_cmd", "holdout_view", "print_calibration", "ranking_view", "register", "write_excel", "write_json"]

def _file_digest(*paths: Path | None) -> str | None:
    import hashlib

    got = [p for p in paths if p is not None]
    if not got:
        return None
    h = hashlib.sha256()
    for p in got:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.is_file() else b"")
    return h.hexdigest()[:16]


SHEET_TITLES: dict[str, tuple[str, str]] = {
    "ranking": ("园区排名", "park ranking with robustness"),
    "weights": ("指标与权重", "indicators and weights"),
    "criteria": ("指标定义", "indicator definitions"),
    "values": ("指标值", "indicator values"),
    "plan": ("认定方案", "designation plan"),
    "pairs": ("跨省结对", "cross-border pairs"),
    "binding": ("起作用的约束", "binding constraints"),
    "explanations": ("强制入选/排除", "objective change if forced out / in"),
    "compare": ("情景对比", "scenario comparison"),
    "historical_check": ("历史检验", "historical check (first batch)"),
    "proposal": ("下一批建议名单", "next batch: proposed parks with reasons"),
    "counts": ("累计数量（两种口径）", "cumulative counts in parks and designations"),
    "history": ("已认定园区（固定）", "designations so far (fixed history)"),
    "constraints": ("约束及其取值", "constraint rows and activities"),
    "relaxation": ("最小放宽", "smallest relaxation (infeasible rules)"),
}


def write_excel(path: Path, tables: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``tables`` to one .xlsx file (openpyxl): a bilingual index sheet ``目录 contents``
    then one sheet per table (names cut to 31 characters)."""
    if path.suffix.lower() != ".xlsx":
        raise ValidationError.single(str(path), "the output file must end in .xlsx")
    used: set[str] = set()
    index = pd.DataFrame(
        {
            "sheet": list(tables),
            "中文": [SHEET_TITLES.get(n, ("", ""))[0] for n in tables],
            "English": [SHEET_TITLES.get(n, ("", n.replace("_", " ")))[1] for n in tables],
        }
    )
    try:
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            index.to_excel(xw, sheet_name="目录 contents", index=False)
            for name, frame in tables.items():
                sheet = name[:31]
                i = 1
                while sheet in used:
                    sheet = f"{name[:28]}_{i}"
                    i += 1
                used.add(sheet)
                out = frame.copy()
                for c in out.columns:
                    if isinstance(out[c].dtype, pd.StringDtype) or out[c].dtype == object:
                        out[c] = out[c].astype(object).where(out[c].notna(), None)
                out.to_excel(xw, sheet_name=sheet, index=not isinstance(out.index, pd.RangeIndex))
    except OSError as exc:
        raise ValidationError.single(str(path), f"cannot write the file: {exc}") from None
    return path


def read_ahp(path: Path) -> pd.DataFrame:
    """A pairwise-comparison matrix from CSV/XLSX: header = criterion keys; an optional first
    column ``criterion`` repeats them; fractions such as ``1/3`` are allowed."""
    if not path.is_file():
        raise ValidationError.single(str(path), "file not found (文件不存在)")
    try:
        raw = pd.read_excel(path, dtype=str) if path.suffix.lower() == ".xlsx" else pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ValidationError.single(path.name, f"cannot read the pairwise matrix: {exc}") from None
    if raw.columns[0].strip().lower() in ("criterion", "criteria", "指标", ""):
        raw = raw.set_index(raw.columns[0])
    problems = []
    values = pd.DataFrame(index=raw.index, columns=raw.columns, dtype=float)
    for i, row in enumerate(raw.itertuples(index=False)):
        for j, cell in enumerate(row):
            text = str(cell).strip()
            try:
                if "/" in text:
                    num, den = text.split("/", 1)
                    v = float(num) / float(den)
                else:
                    v = float(text)
            except (ValueError, ZeroDivisionError):
                from parklink.errors import Problem

                problems.append(Problem(path.name, i + 2, str(raw.columns[j]), text, "not a number or fraction"))
                continue
            values.iat[i, j] = v
    if problems:
        raise ValidationError(problems)
    values.columns = [str(c).strip() for c in raw.columns]
    return values


def ranking_view(ev: Evaluation) -> pd.DataFrame:
    """Compact ranking for the terminal: rank, park, score, P(top k), rank ranges."""
    df = ev.to_frame()
    k = ev.robustness.monte_carlo.top_k
    return pd.DataFrame(
        {
            "rank": df["rank"],
            "园区 park": df["label"],
            "score": df["score"].round(4),
            f"P(top {k})": df[f"p_top_{k}"].round(3),
            "MC 5–95%": [f"{int(a)}–{int(b)}" for a, b in zip(df["rank_p05"], df["rank_p95"], strict=True)],
            "methods min–max": [f"{int(a)}–{int(b)}" for a, b in zip(df["rank_min"], df["rank_max"], strict=True)],
        }
    )


def correlation_view(ev: Evaluation) -> pd.DataFrame:
    """Each method × weighting against the primary ranking: Spearman, weighted Spearman, WS."""
    base = ev.robustness.base
    c = ev.robustness.correlations
    return pd.DataFrame(
        {
            "method/weighting": list(c["spearman"].index),
            "Spearman": c["spearman"][base].round(3).to_numpy(),
            "weighted Spearman": c["weighted_spearman"][base].round(3).to_numpy(),
            "WS": c["ws"].loc[base].round(3).to_numpy(),
        }
    )


_D = EvaluationConfig()


def evaluate_cmd(
    method: Annotated[str, typer.Option("--method", help=f"方法 {' | '.join(METHODS)}")] = _D.method,
    weighting: Annotated[str, typer.Option(
        "--weighting", help="赋权 entropy | critic | std | equal | ahp | combined (entropy+CRITIC mean, +AHP if given) | programme (fitted to the first batch)")] = _D.weighting,
    travel_time: Annotated[str, typer.Option(
        "--travel-time", help="通行时间 network (multimodal network incl. imported links) | geodesic (straight line × 1.3 at 60 km/h)")] = _D.travel_time,
    ahp: Annotated[Path | None, typer.Option(
        "--ahp", help="层次分析判断矩阵 AHP pairwise matrix (CSV/XLSX) over indicator keys or over the groups resource, location, industry; CR > 0.1 is rejected")] = None,
    indicators: Annotated[Path | None, typer.Option(
        "--indicators", help="自定义指标值 user indicator values (park_id + one column per indicator)")] = None,
    indicator_defs: Annotated[Path | None, typer.Option(
        "--indicator-defs", help="自定义指标定义 definitions: key,name_zh,name_en,unit,direction,group,source,formula")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace-indicators", help="用自定义指标替换默认指标 replace the default set instead of extending it")] = False,
    synthetic_firms: Annotated[bool, typer.Option(
        "--synthetic-firms", help="产业指标使用合成企业 include the synthetic firm population (results marked synthetic)")] = False,
    draws: Annotated[int, typer.Option("--draws", help="蒙特卡洛次数 Monte Carlo weight draws")] = _D.draws,
    top_k: Annotated[int, typer.Option("--top-k", help="前k名 k of P(top k)")] = _D.top_k,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 seed")] = _D.seed,
    rows: Annotated[int, typer.Option("--rows", help="显示行数 rows shown")] = 30,
    out: Annotated[Path | None, typer.Option("--out", help="导出Excel write rankings and all tables to this .xlsx")] = None,
    calibrate: Annotated[bool, typer.Option(
        "--calibrate", help="以实际认定检验 fit the 'programme' weights to the first batch and check every weighting "
                            "on the second batch (recall@15, AUC, AP with bootstrap intervals)")] = False,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="机器可读结果 write scores and ranks per park_id with the inputs fingerprint to this JSON file")] = None,
    database: Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")] = None,
) -> None:
    """园区评价 Evaluate parks: indicator system, weights, MCDA ranking and robustness report.

    With no options the configuration is :class:`parklink.configs.EvaluationConfig` ``()``,
    the same as the park pages, the web planner and ``parklink plan``.
    """
    from parklink.evaluate.api import weights_table
    from parklink.evaluate.indicators import read_indicator_table
    from parklink.inputs import read_inputs
    from parklink.runs import evaluate

    with user_errors():
        inputs = read_inputs(database)
        user = None
        if (indicators is None) != (indicator_defs is None):
            raise ValidationError.single("--indicators", "give both --indicators and --indicator-defs")
        if indicators is not None and indicator_defs is not None:
            user = read_indicator_table(indicators, indicator_defs,
                                        park_ids=inputs.frame("parks")["park_id"].astype(str).tolist())
        pairwise = read_ahp(ahp) if ahp is not None else None
        config = EvaluationConfig(
            method=method, weighting=weighting, travel_time=travel_time, draws=draws, top_k=top_k, seed=seed,
            synthetic_firms=synthetic_firms, ahp=_file_digest(ahp),
            indicators=None if user is None else f"{_file_digest(indicators, indicator_defs)}:{'replace' if replace else 'extend'}")
        run = evaluate(inputs, config, indicators=user, replace_indicators=replace, ahp=pairwise)
        ev = run.evaluation
        console.print(f"{bi('数据来源', 'Data')}: {inputs.note}" + (" + 合成企业 synthetic firms" if synthetic_firms else ""))
        console.print(f"{bi('输入指纹', 'Inputs fingerprint')}: {run.fingerprint.digest} "
                      f"(data {run.fingerprint.data_version}, config {run.fingerprint.config})")
        console.print(frame_table(weights_table(ev)[["key", "name_zh", "name_en", "group", "direction", "unit", "weight"]],
                                  bi("指标与权重", f"Indicators and weights ({ev.weights.method})")))
        console.print(frame_table(ranking_view(ev), bi("园区排名", f"Park ranking ({ev.result.method})"), max_rows=rows))
        console.print(frame_table(correlation_view(ev), bi("与主排名的相关", f"Rank correlation with {ev.robustness.base}")))
        s = ev.robustness.summary()
        console.print(
            f"{bi('稳健性', 'Robustness')}: {s['monte_carlo_draws']} draws; min Spearman {s['min_spearman']:.3f}; "
            f"rank reversal max share {s['rank_reversal_max_share']:.3f}, top-1 changes {s['rank_reversal_top1_changes']}"
        )
        for note in ev.notes:
            err_console.print(f"[yellow]注 Note:[/] {note}", highlight=False)
        if ev.synthetic:
            err_console.print("[yellow]合成数据 SYNTHETIC:[/] industrial indicators include synthetic firms")
        cal = None
        if calibrate:
            from parklink.configs import CalibrationConfig
            from parklink.runs import calibrate as run_calibration

            cal = run_calibration(inputs, CalibrationConfig(scoring=config))
            print_calibration(cal.calibration)
        if out is not None:
            tables = {"ranking": run.to_frame(), "weights": weights_table(ev), **run.explain()}
            if cal is not None:
                tables.update({f"calibration_{k}": v for k, v in cal.explain().items()})
            write_excel(out, tables)
            console.print(f"[green]✓[/] {bi('已导出', 'written')} → {out}")
        if json_out is not None:
            write_json(json_out, run.scores_json())
            console.print(f"[green]✓[/] {bi('已写出', 'written')} → {json_out}")


def holdout_view(cal: ProgrammeCalibration) -> pd.DataFrame:
    """The hold-out table for people: rule (zh/en) and each metric as ``value [lo, hi]``."""
    h = cal.to_frame()

    def cell(m: str) -> list[str]:
        return [f"{v:.3f} [{lo:.2f}, {hi:.2f}]" for v, lo, hi in zip(h[m], h[f"{m}_lo"], h[f"{m}_hi"], strict=True)]

    return pd.DataFrame({
        "规则 rule": [f"{zh} {en}" for zh, en in zip(h["name_zh"], h["name_en"], strict=True)],
        f"recall@{cal.k}": cell("recall_at_k"),
        "AUC": cell("auc"),
        "AP": cell("ap"),
    })


def print_calibration(cal: ProgrammeCalibration) -> None:
    """Print the calibration: fitted weights with intervals, the batch-2 hold-out, LOO AUC."""
    coef = cal.coefficients
    weights = pd.DataFrame({
        "key": coef["criterion"], "name": [f"{zh} {en}" for zh, en in zip(coef["name_zh"], coef["name_en"], strict=True)],
        "beta": coef["beta"].round(3), "weight": coef["weight"].round(3),
        "95% interval": [f"[{lo:.2f}, {hi:.2f}]" for lo, hi in zip(coef["weight_lo"], coef["weight_hi"], strict=True)],
    })
    console.print(frame_table(weights, bi("按第一批认定拟合的权重",
                                          f"Weights fitted to batch 1 ({cal.n_train_positive} of {cal.n_train} parks; C = {cal.penalty_c:g})")))
    console.print(frame_table(holdout_view(cal), bi(
        "第二批留出检验", f"Hold-out on batch 2 ({cal.n_holdout_positive} named members among {cal.n_holdout} parks)")))
    s = cal.summary()
    verdict = ("校准模型在AUC和AP上均优于所有基准 the calibrated model beats every baseline on AUC and AP"
               if s["calibrated_beats_all_baselines"] else
               f"校准模型未全面优于基准 the calibrated model does not beat every baseline (best AUC: {s['best_auc']}, best AP: {s['best_ap']})")
    sig = (f"AUC vs random: one-sided permutation p = {s['calibrated_auc_p_vs_random']:.3f}"
           + (" (significant at 5 %)" if s["calibrated_significant_vs_random"] else " (NOT significant at 5 %)"))
    console.print(f"{bi('结论', 'Verdict')}: {verdict}; {sig}; {bi('留一法AUC', 'leave-one-out AUC')} {s['loo_auc']:.3f}")
    err_console.print(f"[yellow]注 Note:[/] {s['caveat']}", highlight=False)


def write_json(path: Path, doc: Mapping[str, object]) -> Path:
    """Write ``doc`` as UTF-8 JSON (atomically: a partial file is renamed into place)."""
    import json

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ValidationError.single(str(path), f"cannot write the file: {exc}") from None
    return path


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to ``app``."""
    app.command("evaluate")(evaluate_cmd)
