"""Self-contained HTML rendering of the plan (inline CSS and SVG; no scripts, no network)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

if TYPE_CHECKING:
    from parklink.report.plan import Lang, Plan


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("parklink.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _cell
    return env


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


def title(zh: str, en: str, lang: Lang) -> str:
    """A bilingual title, the chosen language first."""
    return f"{zh} · {en}" if lang == "zh" else f"{en} · {zh}"


def status_chart_svg(by_year: pd.DataFrame, *, width: int = 560, height: int = 220) -> str:
    """An inline SVG bar chart: designated parks vs target per year (targets as markers)."""
    if by_year.empty:
        return ""
    values: list[tuple[int, int, int | None]] = [
        (
            int(r["year"]),
            int(r["designated_parks"]),
            None if pd.isna(r["target_parks"]) else int(r["target_parks"]),
        )
        for r in by_year.to_dict("records")
    ]
    top = max(max(v[1] for v in values), max((v[2] or 0) for v in values), 1)
    pad, bar_w = 40, (width - 80) / max(len(values), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" '
        'aria-label="designated parks vs targets / 示范园区数量与目标">'
    ]
    base = height - pad
    for i, (year, actual, target) in enumerate(values):
        x = pad + i * bar_w + bar_w * 0.2
        h = (height - 2 * pad) * actual / top
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w * 0.6:.1f}" height="{h:.1f}" '
            f'fill="#2b6cb0"><title>{year}: {actual}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar_w * 0.3:.1f}" y="{base + 16}" text-anchor="middle" '
            f'font-size="12">{year}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w * 0.3:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'font-size="11">{actual}</text>'
        )
        if target is not None:
            ty = base - (height - 2 * pad) * target / top
            parts.append(
                f'<line x1="{x - 4:.1f}" x2="{x + bar_w * 0.6 + 4:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                f'stroke="#c53030" stroke-width="3"><title>target {html.escape(str(target))}</title></line>'
            )
    parts.append(
        f'<line x1="{pad}" x2="{width - pad}" y1="{base}" y2="{base}" stroke="#333"/>'
        f'<text x="{pad}" y="14" font-size="12" fill="#2b6cb0">■ 已认定园区 designated parks</text>'
        f'<text x="{pad + 220}" y="14" font-size="12" fill="#c53030">▬ 目标 target</text></svg>'
    )
    return "".join(parts)


def render_plan_html(plan: Plan, *, lang: Lang = "zh") -> str:
    """The plan as a briefing in one HTML document with inline CSS and SVG (works offline, no
    JS): executive summary, contents, the programme map (``plan.maps["programme"]``), each
    section with tables cut to fit a screen (:func:`parklink.report.briefing.table_view`) and
    an appendix with the full tables; print CSS for A4."""
    from parklink.report.briefing import anchor, appendix_view, findings, table_view

    chart = ""
    try:
        status = plan.section("status")
        chart = status_chart_svg(status.tables[0].frame)
    except (KeyError, IndexError):
        pass
    sections: list[tuple[Any, str, list[tuple[Any, Any, Any, int | None]]]] = []
    appendix: list[tuple[Any, Any, Any, int]] = []
    for s in plan.sections:
        views: list[tuple[Any, Any, Any, int | None]] = []
        for tb in s.tables:
            view = table_view(s, tb, lang=lang)
            app = None
            if view.cut:
                app = appendix_view(s, tb, lang=lang)
                appendix.append((s, tb, app, len(appendix) + 1))
            views.append((tb, view, app, len(appendix) if app is not None else None))
        sections.append((s, anchor(s), views))
    template = _env().get_template("plan.html.j2")
    return template.render(plan=plan, lang=lang, title=title, chart=chart, findings=findings(plan),
                           sections=sections, appendix=appendix, programme_map=plan.maps.get("programme", ""),
                           anchor=anchor)
