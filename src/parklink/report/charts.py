"""Charts of the reports as data (:class:`Chart`) and as deterministic SVG (matplotlib).

One :class:`Chart` feeds every format: :func:`chart_svg` renders it offline with matplotlib
(the SVG backend; text drawn as paths in the report font, so the SVG needs no font and
looks the same in a PDF, an HTML page or a browser), and :mod:`parklink.report.xlsx`
turns the same data into a native Excel chart. The SVG is byte-identical for the same
chart: ``svg.hashsalt`` is fixed, the date metadata is dropped and no random ids are used.

Kinds: ``bar`` (grouped bars per category, optional ``line`` series drawn over them, e.g.
targets), ``line`` (one line per series over ordered categories, e.g. years), ``barh``
(horizontal bars, long bilingual labels) and ``interval`` (a point with a low–high range
per category: the rank interval of the evaluation's robustness report).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Chart", "Series", "chart_svg"]

ChartKind = Literal["bar", "line", "barh", "interval"]
_COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#805ad5", "#b7791f", "#c53030")


@dataclass(frozen=True)
class Series:
    """One data series: bilingual name, values (None = missing) and how it is drawn."""

    name_zh: str
    name_en: str
    values: tuple[float | None, ...]
    style: Literal["bar", "line"] = "bar"


@dataclass(frozen=True)
class Chart:
    """A chart as data: kind, bilingual title, category labels, series and axis label.

    For ``interval`` charts the series are, in order, the point, the low and the high end.
    """

    key: str
    kind: ChartKind
    title_zh: str
    title_en: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    y_label: str = ""
    percent: bool = False
    invert: bool = False  # lower is better (ranks): draw the axis reversed
    note: str = field(default="")

    @property
    def empty(self) -> bool:
        """No category or no value to draw."""
        return not self.categories or all(v is None for s in self.series for v in s.values)


@functools.cache
def _font_family() -> str:
    from matplotlib import font_manager

    from parklink.report.fonts import cjk_font

    font = cjk_font()
    font_manager.fontManager.addfont(str(font.regular))
    return font.family


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)


def chart_svg(chart: Chart, *, width_in: float = 6.4, height_in: float = 2.6) -> str:
    """The chart as a standalone SVG document (text as paths, deterministic bytes)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    family = _font_family()
    rc: dict[str, Any] = {"svg.hashsalt": "parklink-report", "svg.fonttype": "path", "font.family": [family, "DejaVu Sans"],
          "font.size": 8.0, "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False,
          "svg.id": "parklink"}
    try:
        matplotlib.rcParams.validate["svg.id"]
    except KeyError:
        rc.pop("svg.id")
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # keys checked by matplotlib
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot()
        _draw(ax, chart)
        if chart.percent:
            axis = ax.xaxis if chart.kind in ("barh",) else ax.yaxis
            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(f"{chart.title_zh}  {chart.title_en}", fontsize=9, loc="left")
        if chart.y_label:
            (ax.set_xlabel if chart.kind in ("barh", "interval") else ax.set_ylabel)(chart.y_label)
        if len(chart.series) > 1 and chart.kind != "interval":
            ax.legend(fontsize=7, frameon=False, loc="best")
        _margins(fig, chart, width_in, height_in)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "parklink"})
    return buf.getvalue()


def _margins(fig: object, chart: Chart, width_in: float, height_in: float) -> None:
    """Fixed margins from the label lengths (cheaper than ``tight_layout``, which draws the
    figure twice): ~0.11 in per CJK character and 0.06 in per other character at 8 pt."""
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)

    def inches(text: str) -> float:
        return sum(0.115 if ord(ch) > 0x2E80 else 0.062 for ch in text)

    if chart.kind in ("barh", "interval"):
        left = 0.2 + max((inches(c) for c in chart.categories), default=0.3)
        bottom = 0.5 if chart.y_label else 0.35
    else:
        left, bottom = 0.6, 0.4
    left = min(left, width_in * 0.5)
    fig.subplots_adjust(left=left / width_in, right=1 - 0.15 / width_in, bottom=bottom / height_in,
                        top=1 - 0.32 / height_in)


def _draw(ax: object, chart: Chart) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    cats = list(chart.categories)
    n = len(cats)
    if chart.empty:
        ax.text(0.5, 0.5, "暂无数据 no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    if chart.kind == "interval":
        point, lo, hi = (list(map(_num, s.values)) for s in chart.series[:3])
        ys = list(range(n))
        for y, a, b in zip(ys, lo, hi, strict=True):
            ax.plot([a, b], [y, y], color=_COLOURS[0], linewidth=3, alpha=0.5, solid_capstyle="butt")
        ax.plot(point, ys, "o", color=_COLOURS[1], markersize=5)
        ax.set_yticks(ys, cats)
        ax.invert_yaxis()
        if chart.invert:
            ax.invert_xaxis()
        return
    bars = [s for s in chart.series if s.style == "bar"]
    lines = [s for s in chart.series if s.style == "line"]
    if chart.kind == "barh":
        h = 0.8 / max(len(bars), 1)
        for i, s in enumerate(bars):
            ax.barh([y + i * h for y in range(n)], [_num(v) for v in s.values], height=h,
                    color=_COLOURS[i % len(_COLOURS)], label=f"{s.name_zh} {s.name_en}")
        ax.set_yticks([y + h * (len(bars) - 1) / 2 for y in range(n)], cats)
        ax.invert_yaxis()
        return
    if chart.kind == "bar":
        w = 0.8 / max(len(bars), 1)
        for i, s in enumerate(bars):
            xs = [x - 0.4 + w * (i + 0.5) for x in range(n)]
            vals = [_num(v) for v in s.values]
            ax.bar(xs, vals, width=w, color=_COLOURS[i % len(_COLOURS)], label=f"{s.name_zh} {s.name_en}")
            for x, v in zip(xs, vals, strict=True):
                if not math.isnan(v):
                    ax.annotate(_fmt(v, chart.percent), (x, v), ha="center", va="bottom", fontsize=7)
    for j, s in enumerate(lines if chart.kind == "bar" else chart.series):
        colour = "#c53030" if chart.kind == "bar" else _COLOURS[j % len(_COLOURS)]
        ax.plot(range(n), [_num(v) for v in s.values], marker="_" if chart.kind == "bar" else "o",
                markersize=14 if chart.kind == "bar" else 4, linestyle="" if chart.kind == "bar" else "-",
                markeredgewidth=2.5, color=colour, label=f"{s.name_zh} {s.name_en}")
    ax.set_xticks(range(n), cats)
    if chart.invert:
        ax.invert_yaxis()


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{v:.0%}"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.2f}"


def svgs(charts: Sequence[Chart]) -> dict[str, str]:
    """Render several charts: key → SVG."""
    return {c.key: chart_svg(c) for c in charts}
