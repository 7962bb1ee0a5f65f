"""``parklink designate`` (示范园区认定): the designation MILP with explanations and comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from parklink.configs import DesignationConfig, EvaluationConfig
from parklink.console import bi, console, frame_table, user_errors
from parklink.designate.scenario import BUILTIN_SCENARIOS, Scenario
from parklink.errors import NotFoundError

__all__ = ["designate_cmd", "register", "resolve_scenario", "stored_scenario_lookup"]

#: Optional lookup of stored scenarios by name (the store may install one); ``None`` if absent.
ScenarioLookup = Callable[[str], Scenario | None]


def resolve_scenario(spec: str, *, lookup: ScenarioLookup | None = None) -> Scenario:
    """A scenario by name (built-in or found by ``lookup``) or from a JSON file path."""
    if spec in BUILTIN_SCENARIOS:
        return BUILTIN_SCENARIOS[spec]
    if lookup is not None:
        found = lookup(spec)
        if found is not None:
            return found
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.is_file():
        if not path.is_file():
            raise NotFoundError(f"{spec}: scenario file not found (情景文件不存在)")
        return Scenario.from_json(path.read_text(encoding="utf-8-sig"), source=path.name)
    raise NotFoundError(
        f"unknown scenario {spec!r} (未知情景); built-in: {', '.join(BUILTIN_SCENARIOS)}; or give a .json file"
    )


def stored_scenario_lookup(database: str | None = None) -> ScenarioLookup:
    """A lookup of designation scenarios stored in the database (``Scenario`` table)."""

    def lookup(name: str) -> Scenario | None:
        from parklink.store.scenarios import scenario_json

        text = scenario_json(name, url=database)
        return None if text is None else Scenario.from_json(text, source=f"scenario {name}")

    return lookup


_E = EvaluationConfig()
_D = DesignationConfig()


def designate_cmd(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Option(
        "--scenario", "-s", help=f"情景 scenario: built-in ({', '.join(BUILTIN_SCENARIOS)}) or a JSON file")] = "programme",
    compare_to: Annotated[str | None, typer.Option(
        "--compare", help="对比情景 compare with another scenario (name or JSON file)")] = None,
    method: Annotated[str, typer.Option("--method", help="评分方法 scoring method: topsis | vikor | promethee_ii")] = _E.method,
    weighting: Annotated[str, typer.Option("--weighting", help="赋权 weighting of the scores")] = _E.weighting,
    travel_time: Annotated[str, typer.Option(
        "--travel-time", help="通行时间 network | geodesic (scores and pair hours)")] = _E.travel_time,
    explain: Annotated[bool, typer.Option(
        "--explain/--no-explain", help="解释 re-solve each chosen and runner-up park forced out / in")] = _D.explain,
    runner_ups: Annotated[int, typer.Option("--runner-ups", help="候补园区数 runner-ups to explain")] = _D.runner_ups,
    history: Annotated[bool, typer.Option(
        "--history/--no-history", help="历史检验 overlap of a re-run selection with the actual first batch")] = True,
    show_scenario: Annotated[bool, typer.Option("--show-scenario", help="显示情景参数 print the scenario JSON and exit")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="导出Excel write the plan and all tables to this .xlsx")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="机器可读结果 write the designated parks (park_id, year), summary and inputs fingerprint")] = None,
    database: Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")] = None,
    save: Annotated[str | None, typer.Option(
        "--save", help="保存情景 store the scenario in the database under this name, then run it")] = None,
) -> None:
    """示范园区认定 Choose demonstration parks by target year (MILP on HiGHS), with explanations.

    Scenarios (情景) are looked up among the built-ins, then the database, then as JSON files.
    `parklink designate next` plans the next batch from the real designations instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    from parklink.configs import DesignationConfig, EvaluationConfig
    from parklink.designate.api import compare, compare_summary, historical_check
    from parklink.evaluate.cli import write_excel, write_json
    from parklink.inputs import read_inputs
    from parklink.runs import designate, park_scores

    with user_errors():
        lookup = stored_scenario_lookup(database)
        sc = resolve_scenario(scenario, lookup=lookup)
        if save is not None:
            from parklink.store.scenarios import save_scenario

            save_scenario(save, sc.to_json(), url=database)
            console.print(f"[green]✓[/] {bi('已保存情景', 'saved scenario')} {save}")
        if show_scenario:
            console.print_json(sc.to_json())
            return
        other = resolve_scenario(compare_to, lookup=lookup) if compare_to is not None else None
        inputs = read_inputs(database)
        scoring = EvaluationConfig(method=method, weighting=weighting, travel_time=travel_time)
        config = DesignationConfig.from_scenario(sc, scoring=scoring, explain=explain, runner_ups=runner_ups)
        scored = park_scores(inputs, scoring)
        run = designate(inputs, config, scores=scored)
        res, scores = run.result, run.scores
        console.print(f"{bi('数据来源', 'Data')}: {inputs.note}; {bi('评分', 'scores')}: {method}/{weighting}, "
                      f"{travel_time} travel times (see `parklink evaluate` for the robustness report)")
        console.print(f"{bi('输入指纹', 'Inputs fingerprint')}: {run.fingerprint.digest}")
        frames = inputs.frames
        zones, regions, des = frames["zones"], frames["regions"], frames["designations"]
        tt = inputs.travel_time(travel_time)
        s = res.summary()
        console.print(
            f"{bi('情景', 'Scenario')} [bold]{sc.name}[/]: {s['status']}, objective {res.objective:.4f}, "
            f"MIP gap {res.mip_gap:.2e} (target {res.mip_gap_target}), {res.seconds:.2f} s (limit {res.time_limit:g} s)"
        )
        plan = res.plan[res.plan["designated"]].drop(columns=["designated"])
        console.print(frame_table(plan, bi("认定方案", "Designation plan"), max_rows=60))
        if len(res.binding):
            console.print(frame_table(res.binding[["label", "name", "activity", "side"]], bi("起作用的约束", "Binding constraints")))
        if explain and len(res.explanations):
            console.print(frame_table(res.explanations, bi("强制入选/排除的目标变化", "Objective change if forced out / in")))
        tables = {"plan": res.plan, "pairs": res.pairs, "binding": res.binding, "explanations": res.explanations}
        if other is not None:
            res_b = designate(inputs, DesignationConfig.from_scenario(other, scoring=scoring, explain=False),
                              scores=scored).result
            diff = compare(res, res_b)
            cs = compare_summary(res, res_b)
            console.print(
                f"{bi('情景对比', 'Comparison')} {sc.name} → {other.name}: objective {cs['objective_a']:.4f} → "
                f"{cs['objective_b']:.4f}; common {cs['common']}"
            )
            console.print(frame_table(diff, bi("差异", f"Differences ({sc.name} vs {other.name})")))
            tables["compare"] = diff
            tables[f"plan_{other.name}"] = res_b.plan
        if history:
            h = historical_check(frames["parks"], scores, designations=des, zones=zones, regions=regions, travel_time=tt)
            hs = h.summary()
            console.print(
                f"{bi('历史检验', 'Historical check')} (batch 1, k = {hs['k']}): MILP selection recovers "
                f"{hs['overlap_milp']} of {hs['actual_named']} named first-batch parks; plain top-{hs['k']} by score "
                f"recovers {hs['overlap_top_score']} ({hs['actual_unnamed']} members unnamed in the sources). "
                "A plausibility figure, not a target."
            )
            tables["historical_check"] = h.to_frame()
        if out is not None:
            write_excel(out, tables)
            console.print(f"[green]✓[/] {bi('已导出', 'written')} → {out}")
        if json_out is not None:
            write_json(json_out, {**run.summary(), "designated": run.designated()})
            console.print(f"[green]✓[/] {bi('已写出', 'written')} → {json_out}")


def register(app: typer.Typer) -> None:
    """Add the ``designate`` command group to ``app``: ``parklink designate [options]`` runs a
    scenario; ``parklink designate next`` plans the next batch (:mod:`parklink.designate.next_cli`)."""
    from parklink.designate.next_cli import register_next

    group = typer.Typer(help="示范园区认定 Demonstration-park designation (MILP on HiGHS)")
    register_next(group)
    group.callback(invoke_without_command=True)(designate_cmd)
    app.add_typer(group, name="designate")
