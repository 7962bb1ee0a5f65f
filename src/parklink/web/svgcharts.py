"""Server-side SVG charts for the promotion pages (no JavaScript, no CDN, no plotting library).

Each chart is a self-contained ``<svg>`` element (``viewBox``, ``width="100%"``) that scales to
the page: it stays legible at phone width (390 px) because every bar has its own row with the
label above it. Every text is escaped; every chart carries ``role="img"``, an ``aria-label``
and a ``<title>``, and each bar a ``<title>`` with its exact value, so screen readers and
hover show the numbers the bars draw.

Geometry (tests check it by hand): with ``scale_max`` the axis maximum (1 for shares, else the
largest value rounded up to a "nice" number), a bar of value ``v`` is
``PLOT_W * v / scale_max`` units wide, starting at ``X0``; a reference value (e.g. the share
of the year elapsed, 时间进度) is a dashed vertical line at ``X0 + PLOT_W * ref / scale_max``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["PLOT_W", "X0", "Bar", "bar_chart", "format_value", "nice_max"]

#: Width of the chart in SVG units; the plot area starts at X0 and is PLOT_W wide.
WIDTH = 360
X0 = 8
PLOT_W = 300
ROW_H = 34  # label line + bar
BAR_H = 14
TOP = 30  # title line


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its bilingual label, value (None = not computable: drawn as "—") and an
    optional link (the group's page)."""

    zh: str
    en: str
    value: float | None
    href: str | None = None


def nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (1 for values ≤ 0)."""
    if not value or value <= 0 or math.isnan(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        top = step * 10.0**exp
        if top >= value * (1 - 1e-12):
            return top
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def format_value(value: float | None, unit: str) -> str:
    """A value as shown next to its bar: shares as percent (one decimal), counts as integers,
    days and amounts with at most one decimal; None as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "count":
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _label(zh: str, en: str, lang: str) -> str:
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return first if not second or second == first else f"{first} · {second}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    title_zh: str,
    title_en: str,
    unit: str = "share",
    lang: str = "zh",
    reference: float | None = None,
    reference_zh: str = "",
    reference_en: str = "",
    synthetic: bool = False,
    css_class: str = "kpi-chart",
) -> Markup:
    """A horizontal bar chart of ``bars`` as an inline SVG element.

    ``unit``: ``share`` (axis 0–100 %), ``count``, ``days`` or ``cny_m`` (axis 0 – a nice
    maximum of the values). ``reference``: a dashed line at that value (same unit), labelled
    ``reference_zh/en`` (时间进度 for the share of the year elapsed). ``synthetic`` adds
    "合成数据 synthetic" to the title so the chart is never shown without its label.
    """
    values = [b.value for b in bars if b.value is not None and not math.isnan(b.value)]
    if unit == "share":
        top = max([1.0, *values, reference or 0.0])
    else:
        top = nice_max(max([*values, reference or 0.0], default=0.0))
    height = TOP + ROW_H * max(1, len(bars)) + (18 if reference is not None else 6)
    title = _label(title_zh, title_en, lang) + (" — " + _label("合成数据", "synthetic", lang) if synthetic else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        f'<text class="t" x="{X0}" y="16" font-size="13" font-weight="700">{escape(title)}</text>',
    ]
    for i, b in enumerate(bars):
        y = TOP + i * ROW_H
        label = _label(b.zh, b.en, lang)
        shown = format_value(b.value, unit)
        parts.append('<g class="bar">')
        name = f'<text x="{X0}" y="{y + 10}" font-size="11">{escape(label)}</text>'
        parts.append(f'<a href="{escape(b.href)}">{name}</a>' if b.href else name)
        if b.value is None or math.isnan(b.value):
            parts.append(f'<text class="na" x="{X0}" y="{y + 10 + BAR_H}" font-size="11">{escape(shown)}</text>')
        else:
            w = PLOT_W * max(0.0, b.value) / top
            parts.append(
                f'<rect x="{X0}" y="{y + 14}" width="{w:.2f}" height="{BAR_H}" fill="#1d4ed8">'
                f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            )
            parts.append(f'<text x="{X0 + w + 3:.2f}" y="{y + 25}" font-size="11">{escape(shown)}</text>')
        parts.append("</g>")
    axis_y = TOP + ROW_H * max(1, len(bars))
    parts.append(f'<line x1="{X0}" y1="{TOP}" x2="{X0}" y2="{axis_y}" stroke="#6b7280"/>')
    parts.append(f'<text x="{X0 + PLOT_W}" y="{TOP - 2}" font-size="9" text-anchor="end" fill="#4b5563">'
                 f"{escape(format_value(top, unit))}</text>")
    if reference is not None:
        rx = X0 + PLOT_W * reference / top
        ref_label = _label(reference_zh, reference_en, lang)
        parts.append(
            f'<line class="ref" x1="{rx:.2f}" y1="{TOP}" x2="{rx:.2f}" y2="{axis_y}" stroke="#b45309" '
            f'stroke-dasharray="4 3" stroke-width="1.5"><title>{escape(ref_label)}: '
            f"{escape(format_value(reference, unit))}</title></line>"
        )
        parts.append(f'<text x="{min(rx, X0 + PLOT_W - 4):.2f}" y="{axis_y + 13}" font-size="10" '
                     f'text-anchor="middle" fill="#78350f">{escape(ref_label)} {escape(format_value(reference, unit))}</text>')
    if not bars:
        parts.append(f'<text class="na" x="{X0}" y="{TOP + 18}" font-size="11">'
                     f"{escape(_label('无数据', 'no data', lang))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
