"""``parklink chains-eval`` without scopes: the honest evaluation table (诚实评估表)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parklink.chains.eval_honest import LEVELS, METHODS
from parklink.chains.eval_honest_io import headline, markdown_table, run_honest_evaluation
from parklink.errors import ValidationError
from parklink.settings import get_settings

SYNTHETIC_NOTE = ("合成数据：结果只验证代码路径，不代表真实世界的准确性 / synthetic data: these figures "
                  "validate the code path only, never real-world accuracy")


def honest_command(bundle: Any, *, levels: str, test_year: int | None, ks: Sequence[int],
                   seed: int | None, out: Path | None, confirmatory: bool = False) -> None:
    """Run :func:`run_honest_evaluation` and print (or write) the table; with
    ``confirmatory`` also :func:`parklink.chains.eval_honest_confirm.confirmatory_holdout`."""
    from parklink.console import bi, console, frame_table

    lv = [x.strip() for x in levels.split(",") if x.strip()]
    bad = [x for x in lv if x not in LEVELS]
    if bad or not lv:
        raise ValidationError.single("--levels", f"expected some of {', '.join(LEVELS)}", value=levels)
    k = min(ks)
    ev = run_honest_evaluation(bundle, levels=lv, test_year=test_year,
                               seed=int(get_settings().seed if seed is None else seed), ks=ks)
    if ev.synthetic:
        console.print(f"[bold yellow]{SYNTHETIC_NOTE}[/]", highlight=False)
    for note in ev.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    names = {m.name: m.name_zh for m in METHODS}
    h = headline(ev, k)
    for lvl in lv:
        part = h[h["level"] == lvl]
        if part.empty:
            continue
        t = part.drop(columns=["level", "best_baseline"]).copy()
        t["method"] = [f"{names.get(m, m)} {m}" + (" *" if b else "")
                       for m, b in zip(part["method"], part["best_baseline"], strict=True)]
        t.columns = [bi("方法", "method"), bi("类型", "kind"), bi("查询", "queries"), f"P@{k}",
                     f"NDCG@{k}", "MAP", bi("覆盖", f"coverage@{k}"), bi("p值", "p vs best*")]
        zh, en = LEVELS[lvl]
        title = bi(f"新链接排序评估 {zh} {ev.test_year}", f"New-link ranking, {en} scope, {ev.test_year}")
        console.print(frame_table(t.round(4), title))
    console.print(ev.summary(), highlight=False)
    w = ev.explain()["weights"]
    if len(w):
        console.print(frame_table(w[["level", "feature", "name_zh", "name_en", "weight_std"]].round(3),
                                  bi("学习权重（标准化）", "fitted weights (standardised)")))
    conf = None
    if not confirmatory:
        console.print(bi("模型形式在默认合成数据上经4次尝试选定（p值偏乐观）；--confirmatory 在未参与选择的数据上复验",
                         "the model form was chosen on the default synthetic data after 4 tries (optimistic "
                         "p-values); --confirmatory re-tests it on data not used for the choice"), highlight=False)
    else:
        from parklink.chains.eval_honest_confirm import confirmatory_holdout

        conf = confirmatory_holdout(bundle, levels=lv, seed=ev.seed, ks=ks)
        c = conf.to_frame()
        if len(c):
            c = c.drop(columns=["model"]).round(4)
            c.columns = [bi("层级", "level"), bi("查询", "queries"), f"learned NDCG@{k}", bi("最佳基线", "best baseline"),
                         f"NDCG@{k}", "Δ", bi("p值", "p")]
            console.print(frame_table(c, bi("验证性留出", "Confirmatory hold-out")))
        console.print(conf.summary(), highlight=False)
    if out is not None:
        suffix = out.suffix.lower()
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            ev.to_frame().to_csv(out, index=False, encoding="utf-8-sig")
        elif suffix == ".json":
            doc = {"synthetic": ev.synthetic, "test_year": ev.test_year, "seed": ev.seed,
                   "table": json.loads(ev.to_frame().to_json(orient="records", force_ascii=False)),
                   "weights": json.loads(w.to_json(orient="records", force_ascii=False)),
                   "summary": ev.summary().splitlines(), "notes": list(ev.notes)}
            if conf is not None:
                doc["confirmatory"] = {"kind": conf.kind, "data_seed": conf.data_seed,
                                       "table": json.loads(conf.to_frame().to_json(orient="records")),
                                       "summary": conf.summary().splitlines()}
            out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        elif suffix == ".md":
            from parklink.chains.eval_honest_confirm import markdown_confirmatory

            extra = "\n\n" + markdown_confirmatory(conf, k) if conf is not None else ""
            out.write_text(markdown_table(ev, k) + extra + "\n", encoding="utf-8")
        else:
            raise ValidationError.single(str(out), "output must end in .csv, .json or .md", value=suffix)
        console.print(f"[green]✓[/] {bi('已写出', 'written')} {out}")
