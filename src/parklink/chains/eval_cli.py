"""``parklink chains-eval``: hold-out evaluation of the investment targets (招商目标离线评估)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from parklink.chains.evaluation import (
    METRICS,
    NEGATIVES,
    TargetEvaluation,
    evaluate_targets,
)
from parklink.errors import ValidationError
from parklink.tables import CHAINS


def _ints(text: str, option: str) -> list[int]:
    """Parse ``10,20,50`` or ``2021-2023`` into integers."""
    out: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",") if p.strip()):
            if "-" in part[1:]:
                a, b = part.split("-", 1)
                out.extend(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ValidationError.single(option, "expected integers like 10,20,50 or 2022-2023",
                                     value=text) from None
    if not out:
        raise ValidationError.single(option, "no value given", value=text)
    return out


def write_evaluation(result: TargetEvaluation, out: Path) -> None:
    """Write the summary to ``out``: .csv (summary; per-gap and gap tables beside it as
    ``NAME.per_gap.csv`` / ``NAME.gaps.csv``) or .json (everything, with the synthetic flag)."""
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        result.to_frame().to_csv(out, index=False, encoding="utf-8-sig")
        result.per_gap.to_csv(out.with_name(f"{out.stem}.per_gap.csv"), index=False,
                              encoding="utf-8-sig")
        result.explain["gaps"].to_csv(out.with_name(f"{out.stem}.gaps.csv"), index=False,
                                      encoding="utf-8-sig")
    elif suffix == ".json":
        def records(frame: pd.DataFrame) -> Any:
            return json.loads(frame.to_json(orient="records", force_ascii=False))

        doc: dict[str, Any] = {
            "synthetic": result.synthetic, "notice": result.notice, "notes": list(result.notes),
            "train_year": result.train_year, "test_years": list(result.test_years),
            "ks": list(result.ks), "target": result.target, "seed": result.seed,
            "scopes": [{"scope_id": s.scope_id, "name_zh": s.name_zh, "name_en": s.name_en}
                       for s in result.scopes],
            "summary": records(result.to_frame()), "gaps": records(result.explain["gaps"]),
            "per_gap": records(result.per_gap),
        }
        out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        raise ValidationError.single(str(out), "output must end in .csv or .json", value=suffix)


def _show(result: TargetEvaluation) -> None:
    from parklink.console import bi, console, frame_table

    scopes = "; ".join(s.label for s in result.scopes)
    console.print(f"[bold]{scopes}[/] — {bi('训练年', 'train year')} {result.train_year}, "
                  f"{bi('测试年', 'test years')} {', '.join(map(str, result.test_years))}, "
                  f"{bi('目标', 'target')} {result.target}, {bi('种子', 'seed')} {result.seed}")
    for note in result.notes:
        style = "bold yellow" if result.synthetic and note == result.notice else "dim"
        console.print(f"[{style}]{note}[/]", highlight=False)
    gaps = result.explain["gaps"]
    ev = gaps[gaps["evaluated"]]
    console.print(f"{bi('评估缺口', 'evaluated gaps')} {len(ev)} / {len(gaps)}; "
                  f"{bi('平均正例率', 'mean base rate')} "
                  f"{ev['base_rate'].mean() if len(ev) else float('nan'):.4f}")
    for neg in NEGATIVES:
        for k in result.ks:
            h = result.headline(negatives=neg, k=k)
            if h.empty:
                continue
            h = h.copy()
            h["method"] = h["method"].map(lambda m: " ".join(SHORT.get(m, (m, m))))
            h.columns = [bi("方法", "method"), bi("缺口", "gaps"),
                         *[_heading(c, k) for c in h.columns[2:]]]
            title = bi(f"招商目标评估 {NEGATIVES[neg][0]} k={k}",
                       f"Target evaluation, {NEGATIVES[neg][1]}, k={k}")
            if result.synthetic:
                title += " " + bi("（合成数据）", "(synthetic data)")
            console.print(frame_table(h.round(3), title))


#: Short bilingual method names for the terminal table (full names: ``METHODS``).
SHORT: dict[str, tuple[str, str]] = {
    "model": ("评分", "engine"), "random": ("随机", "random"),
    "popularity_size": ("规模", "size"), "popularity_degree": ("客户数", "degree"),
    "distance": ("距离", "distance"), "relatedness": ("关联", "relatedness"),
    "autocorrelation": ("上期", "last period"),
}


def _heading(metric: str, k: int) -> str:
    zh = {"precision": "精确", "recall": "召回", "map": "均精", "ndcg": "增益",
          "auc_pr": "PR面积", "auc_roc": "ROC面积"}[metric]
    en = METRICS[metric][1].split(" ")[0].replace("@k", f"@{k}")
    return f"{zh} {en}"


def register(app: typer.Typer) -> None:
    """Add the ``chains-eval`` command to the parklink CLI."""

    @app.command("chains-eval")
    def chains_eval_cmd(
        scopes: Annotated[list[str] | None, typer.Argument(
            help="范围 Scope(s): circle, SC, CQ, park:ID, designation:ID, zone:ID, "
                 "city:ADCODE, or a name. None: the honest evaluation at park, designation "
                 "and circle scope (learned ranking vs baselines vs oracle).")] = None,
        train_year: Annotated[int | None, typer.Option(
            "--train-year", help="训练年 T: the diagnosis uses data up to this year "
                                 "(needed with scopes).")] = None,
        test_years: Annotated[str | None, typer.Option(
            "--test-years", help="测试年 Test years, e.g. 2023 or 2023-2024 "
                                 "(default: every year after T; honest evaluation: the last "
                                 "given year, default the last year of the data).")] = None,
        k: Annotated[str, typer.Option("--k", help="截断 Cut-offs k, e.g. 10,20,50.")] = "10,20,50",
        chain: Annotated[str | None, typer.Option(
            "--chain", help="产业链 Chain: auto|moto|electronics|biomed (default: all).")] = None,
        target: Annotated[str, typer.Option(
            "--target", help="目标 new = new links only (default); all = every link.")] = "new",
        seed: Annotated[int | None, typer.Option(
            "--seed", help="随机种子 Seed (default: PARKLINK_SEED).")] = None,
        levels: Annotated[str, typer.Option(
            "--levels", help="层级 Honest evaluation levels: park,designation,circle.")] =
            "park,designation,circle",
        out: Annotated[Path | None, typer.Option(
            "--out", help="输出 Write the results to FILE.csv or FILE.json (honest "
                          "evaluation: also FILE.md).")] = None,
        confirmatory: Annotated[bool, typer.Option(
            "--confirmatory", help="验证性留出 Honest evaluation: also run the fixed model on data "
                                   "not used to choose it (default data: a fresh generator seed).")] = False,
    ) -> None:
        """招商目标离线评估 Hold-out evaluation of the investment targets (precision@k, MAP, NDCG)."""
        from parklink.chains.data import ChainData
        from parklink.chains.scope import resolve_scope
        from parklink.console import bi, console, user_errors

        with user_errors():
            if chain is not None and chain not in CHAINS:
                raise ValidationError.single("--chain", f"unknown chain; expected one of "
                                             f"{', '.join(CHAINS)}", value=chain)
            if target not in ("new", "all"):
                raise ValidationError.single("--target", "expected new or all", value=target)
            ks = _ints(k, "--k")
            years = _ints(test_years, "--test-years") if test_years else None
            from parklink.chains import cli as chains_cli

            bundle = chains_cli.cli_inputs()
            if not scopes:
                from parklink.chains.eval_honest_cli import honest_command

                honest_command(bundle, levels=levels, test_year=years[-1] if years else None,
                               ks=ks, seed=seed, out=out, confirmatory=confirmatory)
                return
            if train_year is None:
                raise ValidationError.single("--train-year", "a train year is needed with scopes")
            sc = [resolve_scope(s, bundle.scope_frames()) for s in scopes]
            data = ChainData.from_dataset(bundle.require_firms(), template=bundle.chain_template())
            result = evaluate_targets(
                data, sc, train_year=train_year, test_years=years, ks=ks,
                chains=[chain] if chain else None, target="all" if target == "all" else "new",
                seed=seed)
            if out is not None:
                write_evaluation(result, out)
                console.print(f"[green]✓[/] {bi('已写出', 'written')} {out}")
                if result.notice:
                    console.print(f"[bold yellow]{result.notice}[/]", highlight=False)
            else:
                _show(result)
