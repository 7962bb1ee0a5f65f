"""The main job: run the analyses on the programme state into one Plan, and write it out.

Orchestration only. :func:`build_plan` reads the inputs bundle once
(:func:`parklink.inputs.read_inputs`), then calls the section hooks — core sections
(:mod:`parklink.programme.plan`) and one hook per domain — each of which takes that bundle
and computes its analyses through :mod:`parklink.runs` with the default configurations of
:mod:`parklink.configs` (the same as the CLI commands, the API and the web pages use with
no options). ``write_plan`` renders ``plan.json`` and a self-contained ``plan.html``.
The plan types live in :mod:`parklink.report.plan`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from parklink import __version__
from parklink.configs import DesignationConfig, EvaluationConfig
from parklink.errors import InfeasibleError
from parklink.inputs import Inputs, read_inputs
from parklink.report.plan import Lang, Plan
from parklink.report.section import Section, SectionTable

__all__ = ["Plan", "PlanInputs", "SectionHook", "build_plan", "calibration_hook", "default_hooks", "evaluation_designation_hook",
           "plan_designation_config", "write_plan"]

#: The bundle a hook receives (the inputs module's :class:`~parklink.inputs.Inputs`).
PlanInputs = Inputs
#: A plan hook computes one or more sections from the inputs bundle.
SectionHook = Callable[[Inputs], "Section | Sequence[Section] | None"]


def default_hooks() -> list[tuple[str, SectionHook]]:
    """Core sections, then the domain sections (each domain registers its hook here)."""
    from parklink.chains.plan import plan_section as chains_section
    from parklink.coconstruction.plan import cocon_section
    from parklink.logistics.plan import accessibility_hook, logistics_hook
    from parklink.programme.plan import overview_section, provenance_section, status_section
    from parklink.promotion.plan import promotion_hook

    return [
        ("overview", overview_section),
        ("status", status_section),
        ("provenance", provenance_section),
        ("evaluation+designation", evaluation_designation_hook),
        ("calibration", calibration_hook),
        ("chains", chains_section),
        ("accessibility", accessibility_hook),
        ("logistics", logistics_hook),
        ("coconstruction", cocon_section),
        ("promotion", promotion_hook),
    ]


def plan_designation_config(inputs: Inputs) -> DesignationConfig:
    """The plan's designation: the targets table as the scenario (equal to the built-in
    ``programme`` scenario on the embedded data), default scoring, explained."""
    from parklink.designate import Scenario
    from parklink.designate.api import targets_from_frame

    targets = inputs.frame("targets")
    sc = Scenario(targets=targets_from_frame(targets)) if len(targets) else Scenario()
    return DesignationConfig.from_scenario(sc, scoring=EvaluationConfig(), explain=True, runner_ups=5)


def evaluation_designation_hook(inputs: Inputs) -> list[Section] | None:
    """Evaluate the parks once (default :class:`~parklink.configs.EvaluationConfig`), then
    plan the designations on those scores."""
    from parklink.designate.api import historical_check
    from parklink.designate.plan import designation_section
    from parklink.evaluate.plan import evaluation_section
    from parklink.runs import designate, evaluate

    parks = inputs.frame("parks")
    if parks.empty or inputs.frame("regions").empty:
        return None
    ev = evaluate(inputs, EvaluationConfig())
    evaluation = evaluation_section(ev.evaluation, parks)
    evaluation = _with_fingerprint(evaluation, {**ev.summary(), "parks": ev.scores_json()["parks"]})
    cfg = plan_designation_config(inputs)
    try:
        run = designate(inputs, cfg, scores=(ev.evaluation.scores(), bool(ev.evaluation.synthetic)))
        des = inputs.frame("designations")
        hist = (historical_check(parks, run.scores, designations=des, zones=inputs.frame("zones"),
                                 regions=inputs.frame("regions"),
                                 travel_time=inputs.travel_time(cfg.scoring.travel_time)) if len(des) else None)
        designation = designation_section(run.result, parks, hist)
        if run.synthetic:
            designation = Section(designation.key, designation.title_zh, designation.title_en, designation.summary,
                                  designation.tables, designation.notes, True)
        designation = _with_fingerprint(designation, {**run.summary(), "designated": run.designated()})
    except InfeasibleError as exc:
        designation = Section(
            key="designation",
            title_zh="示范园区认定方案",
            title_en="Demonstration-park designation",
            summary={"status": "infeasible", "message": str(exc), "conflicts": list(exc.conflicts)},
            tables=(SectionTable("冲突约束", "Conflicting constraint groups",
                                 pd.DataFrame({"constraint_group": list(exc.conflicts)}), key="conflicts"),),
            notes=(str(exc),),
        )
    return [evaluation, designation]


def calibration_hook(inputs: Inputs) -> Section | None:
    """The evaluation checked against the programme's batches (default
    :class:`~parklink.configs.CalibrationConfig`); skipped when batch 1 names too few parks."""
    from parklink.errors import ValidationError
    from parklink.evaluate.plan import calibration_section
    from parklink.runs import calibrate

    if inputs.frame("parks").empty or inputs.frame("designations").empty:
        return None
    try:
        run = calibrate(inputs)
    except ValidationError:
        return None
    return calibration_section(run.calibration, {k: run.summary()[k] for k in ("fingerprint", "config", "source")})


def _with_fingerprint(section: Section, summary: dict[str, Any]) -> Section:
    extra: dict[str, Any] = {k: summary[k] for k in ("fingerprint", "config", "source", "parks", "designated")
                             if k in summary}
    return Section(section.key, section.title_zh, section.title_en, {**section.summary, **extra}, section.tables,
                   section.notes, section.synthetic)


def build_plan(
    url: str | None = None,
    *,
    firm_root: Path | None = None,
    hooks: list[tuple[str, SectionHook]] | None = None,
    inputs: Inputs | None = None,
) -> Plan:
    """Read the inputs bundle (or use ``inputs``) and compute every section of the plan."""
    bundle = inputs if inputs is not None else read_inputs(url, firm_root=firm_root)
    sections: list[Section] = []
    warnings: list[str] = []
    if bundle.embedded:
        warnings.append(f"inputs: {bundle.note}")
    for name, hook in hooks if hooks is not None else default_hooks():
        produced = hook(bundle)
        if produced is None:
            warnings.append(f"section {name} skipped: its inputs are missing")
        elif isinstance(produced, Section):
            sections.append(produced)
        else:
            sections.extend(produced)
    return Plan(
        maps=_plan_maps(bundle),
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=bundle.database,
        version=__version__,
        sections=tuple(sections),
        warnings=tuple(warnings),
        inputs={"source": bundle.source, "source_note": bundle.note, "data_version": bundle.data_version,
                "registry": bundle.registry_digest(), "firms": bundle.firm_version()},
    )


def _plan_maps(bundle: Inputs) -> dict[str, str]:
    """The briefing's inline SVG maps (the programme map; none without parks)."""
    from parklink.report.mapsvg import programme_map_svg

    if bundle.frame("parks").empty:
        return {}
    return {"programme": programme_map_svg(bundle, id_prefix="programme-map")}


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
