"""Building blocks of the programme map (:mod:`parklink.report.mapsvg`): options, the
equirectangular projection, colours, hub symbols, number formatting and the legend."""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from parklink.vocab import MAP_LAYER_NAMES, NODE_KIND_NAMES, TRANSPORT_MODE_NAMES

Lang = Literal["zh", "en"]
HUB_KINDS: tuple[str, ...] = ("airport", "rail_port", "river_port", "bonded_zone")
KM_PER_DEG_LAT = 111.32
#: Simplification tolerance of the polygons, in px (coverage-preserving).
SIMPLIFY_PX = 1.0
FONT = "'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif"
PROVINCE_FILL = {"51": "#eef2f7", "50": "#f6efe6"}
MODE_COLOUR = {"road": "#2563eb", "rail": "#059669", "water": "#0891b2", "air": "#7c3aed", "transfer": "#6b7280"}
RAMP = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")  # viridis, 5 classes (low → high)
HUB_COLOUR = "#7c3aed"


@dataclass(frozen=True, slots=True)
class MapLeg:
    """One leg of a route to draw: a polyline of (lon, lat) degrees, its transport mode and a label."""

    points: tuple[tuple[float, float], ...]
    mode: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class MapOptions:
    """How to draw the map.

    ``width`` is in px (the height follows from the extent); ``lang`` orders the bilingual
    labels; ``focus_park`` / ``focus_designation`` make an inset around that park or the
    members of that designation (``margin_deg`` around them, degrees of latitude);
    ``id_prefix`` keeps element ids unique when several maps share one page;
    ``park_values`` colours parks by a value (``value_label`` names it in the legend);
    ``legend`` and ``scale_bar`` switch those parts; ``title`` is the accessible name.
    """

    width: int = 760
    lang: Lang = "zh"
    focus_park: str | None = None
    focus_designation: str | None = None
    margin_deg: float = 0.45
    id_prefix: str = "pmap"
    park_values: Mapping[str, float] | None = None
    value_label: tuple[str, str] | None = None
    legend: bool = True
    scale_bar: bool = True
    title: tuple[str, str] = ("川渝产业合作示范园区分布图", "Sichuan–Chongqing cooperation parks map")
    district_labels: bool = False


@dataclass(frozen=True, slots=True)
class Projection:
    """Equirectangular projection of the extent ``(lon_min, lat_min, lon_max, lat_max)`` onto a
    ``width`` × ``height`` px canvas with ``pad`` px around (see the module docstring)."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float
    width: int
    pad: float = 8.0

    @property
    def cos0(self) -> float:
        """cos of the standard parallel (the extent's middle latitude)."""
        return math.cos(math.radians((self.lat_min + self.lat_max) / 2))

    @property
    def k(self) -> float:
        """Pixels per degree of latitude."""
        span = max((self.lon_max - self.lon_min) * self.cos0, 1e-9)
        return (self.width - 2 * self.pad) / span

    @property
    def height(self) -> int:
        """Canvas height in px (the map part; the legend is added below)."""
        return math.ceil((self.lat_max - self.lat_min) * self.k + 2 * self.pad)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel coordinates of a (lon, lat) point in degrees."""
        return (self.pad + (lon - self.lon_min) * self.cos0 * self.k, self.pad + (self.lat_max - lat) * self.k)

    def km_per_px(self) -> float:
        """Kilometres per pixel (along a meridian)."""
        return KM_PER_DEG_LAT / self.k


def bi(zh: str, en: str, lang: Lang) -> str:
    if not zh or zh == en:
        return en or zh
    if not en:
        return zh
    return f"{zh} {en}" if lang == "zh" else f"{en} {zh}"


def layer(code: str, lang: Lang) -> str:
    zh, en = MAP_LAYER_NAMES[code]
    return bi(zh, en, lang)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt(v: float) -> str:
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def tenths(tenths: int) -> str:
    """An integer number of tenths of a px as the shortest decimal text (``-12`` → ``-1.2``)."""
    sign, a = ("-" if tenths < 0 else ""), abs(int(tenths))
    whole, frac = divmod(a, 10)
    return f"{sign}{whole}" if frac == 0 else f"{sign}{whole}.{frac}" if whole else f"{sign}.{frac}"


def hub_shape(kind: str, x: float, y: float, s: float = 4.5) -> str:
    if kind == "airport":
        return f"M{fmt(x)} {fmt(y - s)}L{fmt(x + s)} {fmt(y + s * 0.8)}L{fmt(x - s)} {fmt(y + s * 0.8)}Z"
    if kind == "river_port":
        return f"M{fmt(x)} {fmt(y - s)}L{fmt(x + s)} {fmt(y)}L{fmt(x)} {fmt(y + s)}L{fmt(x - s)} {fmt(y)}Z"
    if kind == "bonded_zone":
        return (f"M{fmt(x - s)} {fmt(y)}L{fmt(x - s / 2)} {fmt(y - s)}L{fmt(x + s / 2)} {fmt(y - s)}L{fmt(x + s)} {fmt(y)}"
                f"L{fmt(x + s / 2)} {fmt(y + s)}L{fmt(x - s / 2)} {fmt(y + s)}Z")
    h = s * 0.8
    return f"M{fmt(x - h)} {fmt(y - h)}L{fmt(x + h)} {fmt(y - h)}L{fmt(x + h)} {fmt(y + h)}L{fmt(x - h)} {fmt(y + h)}Z"


def nice_km(target: float) -> float:
    base = 10 ** math.floor(math.log10(max(target, 1e-9)))
    for m in (5, 2, 1):
        if m * base <= target:
            return float(m * base)
    return float(base)


def legend(opt: MapOptions, counts: Mapping[str, int], breaks: list[float], legs: Sequence[MapLeg],
            proj: Projection, map_h: int) -> tuple[str, int]:
    """The legend under the map (rows of swatch + bilingual label, wrapped to the width) and the scale bar."""
    lang = opt.lang
    items: list[tuple[str, str]] = []  # (swatch svg at origin, label)
    if counts["district"]:
        items.append((f'<rect x="-6" y="-6" width="12" height="12" fill="{PROVINCE_FILL["51"]}" stroke="#64748b"/>',
                      layer("sichuan", lang)))
        items.append((f'<rect x="-6" y="-6" width="12" height="12" fill="{PROVINCE_FILL["50"]}" stroke="#64748b"/>',
                      layer("chongqing", lang)))
    if opt.park_values is None:
        items.append(('<circle r="4.2" fill="#dc2626"/>', layer("designated_park", lang)))
        items.append(('<circle r="2.6" fill="#111827"/>', layer("park", lang)))
    items.append(('<line x1="-8" x2="8" y1="0" y2="0" stroke="#c2410c" stroke-width="2"/>',
                  layer("designation", lang)))
    for kind in HUB_KINDS[:3]:
        zh, en = NODE_KIND_NAMES[kind]
        items.append((f'<path fill="{HUB_COLOUR}" d="{hub_shape(kind, 0, 0)}"/>',
                      bi(*MAP_LAYER_NAMES["hub"], lang) + " · " + bi(zh, en, lang)))
    for mode in sorted({leg.mode for leg in legs}):
        zh, en = TRANSPORT_MODE_NAMES.get(mode, (mode, mode))
        items.append((f'<line x1="-8" x2="8" y1="0" y2="0" stroke="{MODE_COLOUR.get(mode, "#111827")}" '
                      f'stroke-width="3"/>', layer("leg", lang) + " · " + bi(zh, en, lang)))
    if opt.park_values is not None and breaks:
        name = bi(*(opt.value_label or ("数值", "value")), lang)
        edges = ["≤" + f"{breaks[0]:,.3g}"] + [f"{a:,.3g}–{b:,.3g}" for a, b in itertools.pairwise(breaks)]
        edges.append(">" + f"{breaks[-1]:,.3g}")
        for colour, edge in zip(RAMP, edges, strict=True):
            items.append((f'<circle r="4" fill="{colour}"/>', f"{name} {edge}"))
    if not opt.legend:
        items = []
    parts: list[str] = []
    x, y, row_h = 14.0, float(map_h) + 14.0, 18.0
    for swatch, label in items:
        w = 30 + text_width(label, 11)
        if x + w > opt.width - 6 and x > 14:
            x, y = 14.0, y + row_h
        parts.append(f'<g class="legend-item" transform="translate({fmt(x)} {fmt(y)})">{swatch}'
                     f'<text x="12" y="4" font-size="11" fill="#1f2937">{esc(label)}</text></g>')
        x += w
    legend_h = int(y + row_h - map_h) if items else 0
    if opt.scale_bar:
        km = nice_km(proj.km_per_px() * opt.width * 0.18)
        px = km / proj.km_per_px()
        sx, sy = opt.width - 14 - px, map_h - 14.0
        parts.append(f'<g id="{esc(opt.id_prefix)}-scale" font-size="10" fill="#1f2937">'
                     f'<rect x="{fmt(sx)}" y="{fmt(sy)}" width="{fmt(px)}" height="4" fill="#1f2937"/>'
                     f'<text x="{fmt(sx + px / 2)}" y="{fmt(sy - 3)}" text-anchor="middle">{km:,.0f} km</text></g>')
    legend = f'<g id="{esc(opt.id_prefix)}-legend">' + "".join(parts) + "</g>" if parts else ""
    return legend, legend_h


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK characters one em, others 0.56 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in text)


