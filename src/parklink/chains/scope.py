"""Analysis scopes: a park, a designation (park group), a zone, a city, a province, the circle.

A :class:`Scope` is a set of provinces, region adcodes (districts/counties) and park ids.
A firm belongs to a scope when its province, its adcode or its park id is in the
corresponding set (union). Scopes are resolved from the dataset frames (``regions``,
``zones``, ``parks``, ``designations``, columns of :mod:`parklink.tables`): a city or a
zone is expanded to all its descendant districts, a designation to its member parks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from parklink.errors import NotFoundError
from parklink.tables import PROVINCES
from parklink.tables import split_list as _split
from parklink.vocab import CIRCLE_NAME as CIRCLE_NAME
from parklink.vocab import PROVINCE_NAMES as PROVINCE_NAMES


@dataclass(frozen=True, slots=True)
class Scope:
    """A region of analysis: the union of provinces, district adcodes and park ids.

    ``home_province`` is the province the scope lies in (``None`` when it spans both);
    ``lon``/``lat`` is a representative point (park location or seat), used for distances.
    """

    scope_id: str
    kind: str
    name_zh: str
    name_en: str
    provinces: frozenset[str] = frozenset()
    adcodes: frozenset[str] = frozenset()
    park_ids: frozenset[str] = frozenset()
    home_province: str | None = None
    lon: float | None = None
    lat: float | None = None

    @property
    def label(self) -> str:
        """Bilingual label ``中文 / English``."""
        return f"{self.name_zh} / {self.name_en}"

    def is_empty(self) -> bool:
        """True when the scope names no province, region or park."""
        return not (self.provinces or self.adcodes or self.park_ids)

    def contains_mask(self, firms: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows of an enterprises frame that lie in this scope."""
        mask = pd.Series(False, index=firms.index)
        if self.provinces and "province" in firms:
            mask |= firms["province"].isin(self.provinces)
        if self.adcodes and "adcode" in firms:
            mask |= firms["adcode"].astype("string").isin(self.adcodes).fillna(False).astype(bool)
        if self.park_ids and "park_id" in firms:
            mask |= firms["park_id"].astype("string").isin(self.park_ids).fillna(False).astype(bool)
        return mask


def circle_scope() -> Scope:
    """The whole circle: Sichuan ∪ Chongqing (川渝全域)."""
    return Scope("circle", "circle", *CIRCLE_NAME, provinces=frozenset(PROVINCES))


def province_scope(code: str) -> Scope:
    """One province, ``SC`` or ``CQ``."""
    if code not in PROVINCE_NAMES:
        raise NotFoundError(f"unknown province {code!r} (省份不存在); expected SC or CQ")
    zh, en = PROVINCE_NAMES[code]
    return Scope(f"province:{code}", "province", zh, en, provinces=frozenset({code}),
                 home_province=code)


@dataclass(frozen=True, slots=True)
class ScopeFrames:
    """The dataset frames scopes are resolved from (any may be empty)."""

    regions: pd.DataFrame = field(default_factory=pd.DataFrame)
    zones: pd.DataFrame = field(default_factory=pd.DataFrame)
    parks: pd.DataFrame = field(default_factory=pd.DataFrame)
    designations: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> ScopeFrames:
        """Build from a mapping ``kind -> frame`` (missing kinds become empty frames)."""
        return cls(**{k: frames.get(k, pd.DataFrame()) for k in
                      ("regions", "zones", "parks", "designations")})

    def descendants(self, adcodes: Iterable[str]) -> frozenset[str]:
        """The given adcodes and every region below them (children, grandchildren...)."""
        found = {str(a) for a in adcodes}
        if self.regions.empty or "parent_adcode" not in self.regions:
            return frozenset(found)
        parent = self.regions["parent_adcode"].astype("string")
        codes = self.regions["adcode"].astype("string")
        frontier = set(found)
        while frontier:
            children = set(codes[parent.isin(frontier).fillna(False).astype(bool)])
            frontier = children - found
            found |= children
        return frozenset(found)


def _park_scope(row: pd.Series) -> Scope:
    return Scope(
        f"park:{row['park_id']}", "park", str(row["name_zh"]), str(row["name_en"]),
        park_ids=frozenset({str(row["park_id"])}), home_province=str(row["province"]),
        lon=float(row["lon"]), lat=float(row["lat"]),
    )


def park_scope(park_id: str, frames: ScopeFrames) -> Scope:
    """The scope of one park (firms whose ``park_id`` is the park)."""
    parks = frames.parks
    if parks.empty or not (parks["park_id"] == park_id).any():
        raise NotFoundError(f"unknown park {park_id!r} (园区不存在)")
    return _park_scope(parks[parks["park_id"] == park_id].iloc[0])


def designation_scope(designation_id: str, frames: ScopeFrames) -> Scope:
    """The scope of a demonstration-park designation: the union of its member parks."""
    d = frames.designations
    if d.empty or not (d["designation_id"] == designation_id).any():
        raise NotFoundError(f"unknown designation {designation_id!r} (示范园区不存在)")
    row = d[d["designation_id"] == designation_id].iloc[0]
    members = _split(row.get("members"))
    if not members:
        raise NotFoundError(
            f"designation {designation_id!r} names no member parks (未列明成员园区)"
        )
    parks = [park_scope(m, frames) for m in members]
    provinces = {p.home_province for p in parks}
    names_zh = "、".join(p.name_zh for p in parks)
    names_en = " + ".join(p.name_en for p in parks)
    lons = [p.lon for p in parks if p.lon is not None]
    lats = [p.lat for p in parks if p.lat is not None]
    return Scope(
        f"designation:{designation_id}", "designation", f"示范园区 {names_zh}",
        f"Demonstration park {names_en}", park_ids=frozenset(members),
        home_province=provinces.pop() if len(provinces) == 1 else None,
        lon=sum(lons) / len(lons) if lons else None,
        lat=sum(lats) / len(lats) if lats else None,
    )


def zone_scope(zone_id: str, frames: ScopeFrames) -> Scope:
    """The scope of a named cooperation zone: its whole member regions and their descendants,
    plus the parks stated to lie in it (``parks.stated_zones``; the only way a firm of a
    district that is a *partial* member enters the scope — see :mod:`parklink.programme.zones`)."""
    z = frames.zones
    if z.empty or not (z["zone_id"] == zone_id).any():
        raise NotFoundError(f"unknown zone {zone_id!r} (区域不存在)")
    row = z[z["zone_id"] == zone_id].iloc[0]
    codes = frames.descendants(_split(row.get("members")))
    parks = frames.parks
    stated = frozenset(
        str(pid) for pid, zs in zip(parks["park_id"], parks["stated_zones"], strict=True) if zone_id in _split(zs)
    ) if not parks.empty and "stated_zones" in parks.columns else frozenset()
    return Scope(f"zone:{zone_id}", "zone", str(row["name_zh"]), str(row["name_en"]),
                 adcodes=codes, park_ids=stated, home_province=_home(codes, frames))


def _home(codes: Iterable[str], frames: ScopeFrames) -> str | None:
    r = frames.regions
    if r.empty:
        return None
    provs = set(r.loc[r["adcode"].astype("string").isin(set(codes)), "province"].dropna())
    return provs.pop() if len(provs) == 1 else None


def region_scope(adcode: str, frames: ScopeFrames) -> Scope:
    """The scope of a region (province, city or district) and all districts below it."""
    r = frames.regions
    if r.empty or not (r["adcode"].astype("string") == adcode).any():
        raise NotFoundError(f"unknown region adcode {adcode!r} (行政区划不存在)")
    row = r[r["adcode"].astype("string") == adcode].iloc[0]
    if row["level"] == "province":
        return province_scope(str(row["province"]))
    lon = row.get("seat_lon")
    lat = row.get("seat_lat")
    return Scope(
        f"{row['level']}:{adcode}", str(row["level"]), str(row["name_zh"]),
        str(row["name_en"]), adcodes=frames.descendants([adcode]),
        home_province=str(row["province"]),
        lon=None if lon is None or pd.isna(lon) else float(lon),
        lat=None if lat is None or pd.isna(lat) else float(lat),
    )


_Resolver = Callable[[str, ScopeFrames], Scope]
_ALIASES = {"circle": "circle", "川渝": "circle", "川渝全域": "circle", "all": "circle",
            "sc": "SC", "sichuan": "SC", "四川": "SC", "四川省": "SC",
            "cq": "CQ", "chongqing": "CQ", "重庆": "CQ", "重庆市": "CQ"}


def resolve_scope(spec: str, frames: ScopeFrames) -> Scope:
    """Resolve a scope from text.

    Accepted forms: ``circle`` (or 川渝), ``SC``/``CQ`` (or 四川/重庆),
    ``province:SC``, ``park:ID``, ``designation:ID``, ``zone:ID``, ``city:ADCODE`` /
    ``region:ADCODE`` / a bare 6-digit adcode, or a bare park/designation/zone id or a
    Chinese/English name of a park, zone or region. Raises NotFoundError naming the forms.
    """
    text = spec.strip()
    alias = _ALIASES.get(text.lower(), _ALIASES.get(text))
    if alias == "circle":
        return circle_scope()
    if alias in PROVINCE_NAMES:
        return province_scope(alias)
    kind, _, ident = text.partition(":")
    if ident:
        kind = kind.lower()
        if kind == "province":
            return province_scope(ident.upper())
        if kind == "park":
            return park_scope(ident, frames)
        if kind == "designation":
            return designation_scope(ident, frames)
        if kind == "zone":
            return zone_scope(ident, frames)
        if kind in ("city", "region", "district"):
            return region_scope(ident, frames)
    if text.isascii() and text.isdigit() and len(text) == 6:
        return region_scope(text, frames)
    by_id: tuple[tuple[pd.DataFrame, str, _Resolver], ...] = (
        (frames.parks, "park_id", park_scope),
        (frames.designations, "designation_id", designation_scope),
        (frames.zones, "zone_id", zone_scope),
    )
    for table, key, fn in by_id:
        if not table.empty and (table[key] == text).any():
            return fn(text, frames)
    by_name: tuple[tuple[pd.DataFrame, str, _Resolver], ...] = (
        (frames.parks, "park_id", park_scope),
        (frames.zones, "zone_id", zone_scope),
        (frames.regions, "adcode", region_scope),
    )
    for table, key, fn in by_name:
        if table.empty:
            continue
        hit = table[(table["name_zh"] == text) | (table["name_en"].str.lower() == text.lower())]
        if len(hit):
            return fn(str(hit.iloc[0][key]), frames)
    raise NotFoundError(
        f"unknown scope {spec!r} (范围不存在); use circle, SC, CQ, park:ID, "
        "designation:ID, zone:ID, city:ADCODE, or a park/zone/region name"
    )
