"""``parklink evaluate`` (园区评价): indicators → weights → ranking → robustness report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from parklink.console import bi, console, err_console, frame_table, user_errors
from parklink.errors import ValidationError
from parklink.evaluate.api import Evaluation

__all__ = ["correlation_view", "load_frames", "ranking_view", "register", "write_excel"]

KINDS = ("parks", "regions", "zones", "transport_nodes", "enterprises", "designations", "targets")


def load_frames(database: str | None = None, *, synthetic_firms: bool = False) -> tuple[dict[str, pd.DataFrame], str]:
    """Dataset frames from the database when it holds data, else the embedded dataset.

    Returns the frames by kind and a bilingual note naming the source. With
    ``synthetic_firms`` the synthetic firm population (firm Parquet dataset) is appended
    to ``enterprises``.
    """
    source = ""
    frames: dict[str, pd.DataFrame] = {}
    from parklink.store.db import session_scope
    from parklink.store.io import read_frame
    from parklink.store.seed import has_data

    try:
        usable = has_data(database)
    except Exception:
        if database is not None:  # an explicit database must work
            raise
        usable = False  # no default database yet: use the embedded dataset
    if usable:
        with session_scope(database) as s:
            frames = {k: read_frame(s, k) for k in KINDS}
        source = "数据库 database"
    if not frames:
        from parklink.datasets import chengyu

        frames = {k: chengyu.load(k) for k in KINDS}
        source = "内置成渝数据集 embedded Chengdu–Chongqing dataset (run `parklink db init` to use a database)"
    if synthetic_firms:
        from parklink.firmdata import FirmDataset
        from parklink.settings import get_settings

        ds = FirmDataset(get_settings().firm_dir)
        if not ds.exists():
            raise ValidationError.single(
                str(ds.firms_path), "synthetic firm dataset not found; run `parklink db init --firms` first"
            )
        firms = pd.read_parquet(ds.firms_path)
        frames["enterprises"] = pd.concat([frames["enterprises"], firms], ignore_index=True).drop_duplicates(
            "enterprise_id"
        )
        source += " + 合成企业 synthetic firms"
    return frames, source


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


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to ``app``."""

    @app.command("evaluate")
    def evaluate_cmd(
        method: Annotated[str, typer.Option("--method", help="方法 topsis | vikor | promethee_ii")] = "topsis",
        weighting: Annotated[str, typer.Option(
            "--weighting", help="赋权 entropy | critic | std | equal | ahp | combined (entropy+CRITIC mean, +AHP if given)")] = "combined",
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
        draws: Annotated[int, typer.Option("--draws", help="蒙特卡洛次数 Monte Carlo weight draws")] = 10_000,
        top_k: Annotated[int, typer.Option("--top-k", help="前k名 k of P(top k)")] = 20,
        seed: Annotated[int | None, typer.Option("--seed", help="随机种子 seed (default: settings)")] = None,
        rows: Annotated[int, typer.Option("--rows", help="显示行数 rows shown")] = 30,
        out: Annotated[Path | None, typer.Option("--out", help="导出Excel write rankings and all tables to this .xlsx")] = None,
        database: Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")] = None,
    ) -> None:
        """园区评价 Evaluate parks: indicator system, weights, MCDA ranking and robustness report."""
        from parklink.evaluate.api import evaluate_parks, weights_table
        from parklink.evaluate.indicators import read_indicator_table
        from parklink.settings import get_settings

        with user_errors():
            frames, source = load_frames(database, synthetic_firms=synthetic_firms)
            user = None
            if (indicators is None) != (indicator_defs is None):
                raise ValidationError.single("--indicators", "give both --indicators and --indicator-defs")
            if indicators is not None and indicator_defs is not None:
                user = read_indicator_table(indicators, indicator_defs, park_ids=frames["parks"]["park_id"].astype(str).tolist())
            pairwise = read_ahp(ahp) if ahp is not None else None
            ev = evaluate_parks(
                frames["parks"],
                regions=frames["regions"],
                zones=frames["zones"],
                transport_nodes=frames["transport_nodes"],
                enterprises=frames["enterprises"],
                indicators=user,
                replace_indicators=replace,
                method=method,
                weighting=weighting,
                ahp=pairwise,
                draws=draws,
                top_k=top_k,
                seed=seed if seed is not None else get_settings().seed,
            )
            console.print(f"{bi('数据来源', 'Data')}: {source}")
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
            if out is not None:
                tables = {"ranking": ev.to_frame(), "weights": weights_table(ev), **ev.explain()}
                write_excel(out, tables)
                console.print(f"[green]✓[/] {bi('已导出', 'written')} → {out}")
