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
                   seed: int | None, out: Path | None) -> None:
    """Run :func:`run_honest_evaluation` and print (or write) the table."""
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
            out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        elif suffix == ".md":
            out.write_text(markdown_table(ev, k) + "\n", encoding="utf-8")
        else:
            raise ValidationError.single(str(out), "output must end in .csv, .json or .md", value=suffix)
        console.print(f"[green]✓[/] {bi('已写出', 'written')} {out}")
