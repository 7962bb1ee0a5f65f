"""The park indicator system: resource endowment, location conditions, industrial foundation.

The default set (:data:`DEFAULT_INDICATORS`) follows the programme's three selection
bases — "existing resource endowments, location conditions, industrial foundations"
(2020 notice; programme-facts §0) — and the indicator skeleton of programme-facts §5c.
Only indicators that the shipped tables can support are in the default set; each states
its unit, direction, source table and formula (see ``docs/evaluation.md``).

Location indicators use a :data:`~parklink.evaluate.location.TravelTime` function:
geodesic distance × 1.3 detour at 60 km/h by default, or network times when the logistics
network is plugged in (``travel_time=``).

Users replace or extend the set with an imported indicator table
(:func:`read_indicator_table`): a values file (``park_id`` + one column per indicator) and a
definitions file (``key, name_zh, name_en, unit, direction, group, source, formula``),
validated with :class:`~parklink.errors.ValidationError` naming file, row and column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import Problem, ValidationError
from parklink.evaluate.crossborder import CROSSBORDER_INDICATORS, crossborder_indicators
from parklink.evaluate.location import (
    DETOUR_FACTOR,
    ROAD_SPEED_KMH,
    TravelTime,
    geodesic_travel_time,
    haversine_km,
)
from parklink.evaluate.matrix import Criterion, DecisionMatrix
from parklink.programme.parks import (
    designated_ids,
    evaluation_units,
    parent_map,
    shared_point_groups,
)
from parklink.programme.zones import park_zones as park_zones
from parklink.programme.zones import zone_districts
from parklink.tables import Column, TableSchema
from parklink.tables import split_list as _split

FloatArray = npt.NDArray[np.float64]


_TT = f"travel time = geodesic km × {DETOUR_FACTOR} / {ROAD_SPEED_KMH:g} km/h unless a network travel_time is given"

DEFAULT_INDICATORS: tuple[Criterion, ...] = (
    Criterion("park_level", "园区级别", "park level", "ordinal 1–3", "benefit", "resource",
              source="parks.level", formula="national = 3, provincial = 2, other = 1"),
    Criterion("planned_area", "规划面积", "planned area", "km²", "benefit", "resource",
              source="parks.area_km2", formula="area as published; missing → median of known (flagged imputed)"),
    Criterion("focus_chains", "重点产业链数", "focal chains present", "count", "benefit", "industry",
              source="parks.focus_chains", formula="number of the programme's focal chains the park names"),
    Criterion("t_core", "至极核时间", "time to nearest polar core", "h", "cost", "location",
              source="zones (polar_core) + regions seats", formula=f"min over polar-core district seats; {_TT}"),
    Criterion("t_airport", "至机场时间", "time to nearest airport", "h", "cost", "location",
              source="transport_nodes (airport)", formula=f"min over airports; {_TT}"),
    Criterion("t_river_port", "至港口时间", "time to nearest river port", "h", "cost", "location",
              source="transport_nodes (river_port)", formula=f"min over river ports; {_TT}"),
    Criterion("t_rail_port", "至铁路港时间", "time to nearest rail port", "h", "cost", "location",
              source="transport_nodes (rail_port)", formula=f"min over rail ports; {_TT}"),
    Criterion("t_border", "至省界时间", "time to the provincial border", "h", "cost", "location",
              source="regions seats", formula=f"min over district seats of the other province; {_TT}"),
    Criterion("adjacent_platform", "毗邻地区平台", "in an adjacent-area platform", "0/1", "benefit", "location",
              source="zones (platform) + regions + parks.stated_zones",
              formula="1 if the park lies in a platform zone (host district wholly inside, or stated where the district is partial)"),
    *CROSSBORDER_INDICATORS,
    Criterion("chain_firms", "链上企业数", "chain firms within reach", "count", "benefit", "industry",
              source="enterprises", formula="firms of the park's focal chains (any chain if none named) within 1 h"),
    Criterion("chain_output", "链上产值", "chain output within reach", "million CNY", "benefit", "industry",
              source="enterprises.output_cny_m", formula="sum of output of the firms counted in chain_firms"),
    Criterion("leaders", "链主企业数", "leading enterprises within reach", "count", "benefit", "industry",
              source="enterprises.leading", formula="leading (链主) enterprises of any chain within 1 h"),
    Criterion("chain_lq", "区位商", "location quotient of focal chains", "ratio", "benefit", "industry",
              source="enterprises + regions", formula="(chain firms / firms within 1 h) ÷ (chain firms / firms in the circle); 0 when no firm is within reach"),
)


_FIRM_KEYS = ("chain_firms", "chain_output", "leaders", "chain_lq")


@dataclass(frozen=True, eq=False)
class IndicatorTable:
    """Indicator values per park with their definitions and provenance notes."""

    values: pd.DataFrame = field(repr=False)  # park_id + one column per criterion key
    criteria: tuple[Criterion, ...]
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    #: parent parks left out of the decision matrix because a descendant is a candidate
    #: (a park and its parent never compete; :mod:`parklink.programme.parks`)
    excluded: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """``park_id`` plus one column per indicator."""
        return self.values

    def definitions(self) -> pd.DataFrame:
        """One row per indicator: key, names, unit, direction, group, source, formula."""
        return pd.DataFrame([c.to_dict() for c in self.criteria]).drop(columns=["weight"])

    def coverage(self) -> pd.Series:
        """Share of parks with a known value, per indicator."""
        return self.values[[c.key for c in self.criteria]].notna().mean()

    def usable(self, *, min_coverage: float = 0.5) -> tuple[tuple[Criterion, ...], tuple[str, ...]]:
        """Criteria with at least ``min_coverage`` known values, and notes on those left out."""
        cov = self.coverage()
        keep = tuple(c for c in self.criteria if cov[c.key] >= min_coverage)
        notes = tuple(
            f"{c.key} left out: known for {cov[c.key]:.0%} of parks (< {min_coverage:.0%})"
            for c in self.criteria
            if cov[c.key] < min_coverage
        )
        return keep, notes

    def matrix(
        self,
        parks: pd.DataFrame | None = None,
        *,
        impute: str = "median",
        min_coverage: float = 0.5,
        source: str = "indicators",
    ) -> DecisionMatrix:
        """The decision matrix (alternatives = parks; labels bilingual when ``parks`` is given).

        Indicators known for fewer than ``min_coverage`` of the parks are left out (an
        imputed column would mostly measure the imputation); remaining gaps are imputed
        (``median`` by default) and flagged in ``DecisionMatrix.imputed``.
        """
        crits, _notes = self.usable(min_coverage=min_coverage)
        if not crits:
            raise ValidationError.single(source, f"no indicator is known for at least {min_coverage:.0%} of the parks")
        df = self.values[~self.values["park_id"].astype(str).isin(self.excluded)].reset_index(drop=True)
        if parks is not None:
            zh = dict(zip(parks["park_id"].astype(str), parks["name_zh"].astype(str), strict=True))
            en = dict(zip(parks["park_id"].astype(str), parks["name_en"].astype(str), strict=True))
            df["label"] = [f"{zh[p]} {en[p]}" if p in zh else p for p in df["park_id"].astype(str)]
        else:
            df["label"] = df["park_id"]
        return DecisionMatrix.from_frame(
            df, crits, id_column="park_id", label_column="label", impute=impute, source=source  # type: ignore[arg-type]
        )

    def extend(self, other: IndicatorTable, *, replace: bool = False) -> IndicatorTable:
        """Add (or, with ``replace``, substitute) indicators from ``other`` (matched on park_id)."""
        if replace:
            base = self.values[["park_id"]]
            crits: tuple[Criterion, ...] = ()
        else:
            base = self.values
            crits = self.criteria
        clash = {c.key for c in crits} & {c.key for c in other.criteria}
        if clash:
            base = base.drop(columns=sorted(clash))
            crits = tuple(c for c in crits if c.key not in clash)
        merged = base.merge(other.values, on="park_id", how="left")
        return IndicatorTable(merged, crits + other.criteria, self.notes + other.notes, self.synthetic or other.synthetic,
                              tuple(dict.fromkeys(self.excluded + other.excluded)))


def _seats(regions: pd.DataFrame) -> pd.DataFrame:
    d = regions[(regions["level"] == "district") & regions["seat_lon"].notna() & regions["seat_lat"].notna()]
    return d[["adcode", "province", "seat_lon", "seat_lat"]].reset_index(drop=True)


def _zone_members(zones: pd.DataFrame, regions: pd.DataFrame) -> dict[str, set[str]]:
    """zone_id → set of district adcodes wholly inside (members above district level expanded;
    partial members left out, see :mod:`parklink.programme.zones`)."""
    zd = zone_districts(zones, regions)
    out: dict[str, set[str]] = {str(z): set() for z in zones["zone_id"]}
    for zid, code, partial in zip(zd["zone_id"], zd["adcode"], zd["partial"], strict=True):
        if not partial:
            out[zid].add(code)
    return out


def _lonlat(frame: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> FloatArray:
    return frame[[lon, lat]].to_numpy(dtype=np.float64)


_PARK_CHUNK = 256
"""Parks whose reach to the firms is computed together (bounds the memory of the step)."""


def compute_indicators(
    parks: pd.DataFrame,
    *,
    regions: pd.DataFrame,
    zones: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    travel_time: TravelTime | None = None,
    reach_hours: float = 1.0,
    designations: pd.DataFrame | None = None,
) -> IndicatorTable:
    """Compute :data:`DEFAULT_INDICATORS` for every park from the dataset tables.

    ``enterprises`` may be the real named firms, the synthetic population or both (the
    result is flagged ``synthetic`` when any row is synthetic). ``reach_hours`` is the
    travel-time radius of the industrial indicators. ``designations`` decide which of a park
    and its parent is ranked (:func:`parklink.programme.parks.evaluation_units`; the table's
    ``excluded`` parks keep their values but stay out of the decision matrix). Returns an
    :class:`IndicatorTable`.
    """
    tt = travel_time or geodesic_travel_time
    p = parks.reset_index(drop=True)
    xy = _lonlat(p)
    n = len(p)
    notes: list[str] = []
    level = p["level"].map({"national": 3.0, "provincial": 2.0}).fillna(1.0).astype(float)
    area = pd.to_numeric(p["area_km2"], errors="coerce")
    n_area = int(area.notna().sum())
    if n_area < n:
        notes.append(f"planned_area known for {n_area} of {n} parks; the rest take the median (flagged imputed)")
    chains = [_split(v) for v in p["focus_chains"]]
    ids = p["park_id"].astype(str).tolist()
    units = set(evaluation_units(ids, parent_map(p), designated_ids(designations)))
    excluded = tuple(pid for pid in ids if pid not in units)
    if excluded:
        notes.append(
            f"{len(excluded)} park(s) not ranked because a parent or sub-park stands for them (a park and its "
            "parent never compete; a designated park stands for its family, otherwise the sub-parks do): "
            + ", ".join(excluded)
        )
    shared = shared_point_groups(p)
    if shared:
        notes.append(
            f"{sum(len(g) for g in shared)} parks in {len(shared)} groups share one map point (no source gives "
            "distinct points; parks.shared_point): their location indicators are identical by construction — "
            + "; ".join("=".join(g) for g in shared[:5]) + (" …" if len(shared) > 5 else "")
        )
    seats = _seats(regions)
    zmem = _zone_members(zones, regions)
    core_codes = set().union(*[zmem[z] for z in zones.loc[zones["kind"] == "polar_core", "zone_id"].astype(str)]) if len(zones) else set()
    core_xy = _lonlat(seats[seats["adcode"].isin(core_codes)], "seat_lon", "seat_lat")

    def nearest(dest: FloatArray) -> FloatArray:
        if len(dest) == 0:
            return np.full(n, np.nan)
        return np.asarray(tt(xy, dest).min(axis=1), dtype=np.float64)

    t_core = nearest(core_xy)
    nodes = transport_nodes
    t_air = nearest(_lonlat(nodes[nodes["kind"] == "airport"]))
    t_river = nearest(_lonlat(nodes[nodes["kind"] == "river_port"]))
    t_rail = nearest(_lonlat(nodes[nodes["kind"] == "rail_port"]))
    t_border = np.full(n, np.nan)
    for prov, other in (("SC", "CQ"), ("CQ", "SC")):
        mask = (p["province"] == prov).to_numpy()
        dest = _lonlat(seats[seats["province"] == other], "seat_lon", "seat_lat")
        if mask.any() and len(dest):
            t_border[mask] = tt(xy[mask], dest).min(axis=1)
    platform_ids = set(zones.loc[zones["kind"] == "platform", "zone_id"].astype(str))
    park_platforms = [[z for z in zs if z in platform_ids] for zs in park_zones(p, zones, regions)]
    adjacent = np.array([1.0 if zs else 0.0 for zs in park_platforms])
    values = pd.DataFrame(
        {
            "park_id": p["park_id"].astype(str),
            "park_level": level.to_numpy(),
            "planned_area": area.to_numpy(dtype=np.float64),
            "focus_chains": np.array([float(len(c)) for c in chains]),
            "t_core": t_core,
            "t_airport": t_air,
            "t_river_port": t_river,
            "t_rail_port": t_rail,
            "t_border": t_border,
            "adjacent_platform": adjacent,
        }
    )
    cross = crossborder_indicators(p, platforms=park_platforms, travel_time=tt)
    for c in CROSSBORDER_INDICATORS:
        values[c.key] = cross[c.key].to_numpy()
    synthetic = False
    ent = enterprises
    if ent is not None and len(ent):
        e = ent[(ent["province"] != "OUT") & ent["lon"].notna() & ent["lat"].notna()].reset_index(drop=True)
        synthetic = bool(e["synthetic"].fillna(False).astype(bool).any()) if "synthetic" in e.columns else False
        exy = _lonlat(e)
        e_chain = e["chain"].astype("string").fillna("").to_numpy()
        out = pd.to_numeric(e["output_cny_m"], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
        lead = e["leading"].fillna(False).astype(bool).to_numpy()
        has_chain = e_chain != ""
        # firms at one point share their travel times: each distinct point is timed once
        uxy, inv = np.unique(exy, axis=0, return_inverse=True) if len(exy) else (exy, np.zeros(0, np.int64))
        inv = np.asarray(inv, dtype=np.int64).reshape(-1)
        focal_of: dict[tuple[str, ...], npt.NDArray[np.bool_]] = {}
        firms, output, leaders, lq = (np.zeros(n) for _ in range(4))
        share_all: dict[tuple[str, ...], float] = {}
        for lo in range(0, n, _PARK_CHUNK):  # a block of parks at a time: memory O(block × points)
            hi = min(n, lo + _PARK_CHUNK)
            # pre-filter: a point more than 200 km/h × reach away (great circle) is out of reach
            reach = haversine_km(xy[lo:hi], uxy) <= reach_hours * 200.0
            cols = np.flatnonzero(reach.any(axis=0))
            times = tt(xy[lo:hi], uxy[cols]) if len(cols) else np.zeros((hi - lo, 0))
            for i in range(lo, hi):
                near = np.zeros(len(uxy), dtype=bool)
                ok = reach[i - lo, cols]
                near[cols[ok]] = times[i - lo, ok] <= reach_hours
                within = near[inv]
                key = tuple(chains[i])
                focal = focal_of.get(key)
                if focal is None:
                    focal = focal_of[key] = np.isin(e_chain, chains[i]) if chains[i] else has_chain
                    share_all[key] = focal.mean() if len(e) else 0.0
                sel = within & focal
                firms[i] = sel.sum()
                output[i] = out[sel].sum()
                leaders[i] = (within & lead).sum()
                tot = within.sum()
                share_all_focal = share_all[key]
                lq[i] = (sel.sum() / tot) / share_all_focal if tot > 0 and share_all_focal > 0 else 0.0
        values["chain_firms"] = firms
        values["chain_output"] = output
        values["leaders"] = leaders
        values["chain_lq"] = lq
        if not synthetic:
            notes.append("industrial indicators rest on the named (real) enterprises only; output is mostly unpublished")
        else:
            notes.append("industrial indicators include SYNTHETIC firms (合成数据)")
        crits = DEFAULT_INDICATORS
    else:
        crits = tuple(c for c in DEFAULT_INDICATORS if c.key not in _FIRM_KEYS)
        notes.append("no enterprises given: industrial-foundation indicators left out")
    return IndicatorTable(values, crits, tuple(notes), synthetic, excluded)


# --------------------------------------------------------------------------- import

_DEF_COLUMNS = ("key", "name_zh", "name_en", "unit", "direction", "group", "source", "formula")


def _read(path_or_frame: Path | str | pd.DataFrame, columns: Sequence[str], label: str) -> tuple[pd.DataFrame, npt.NDArray[np.int64], str]:
    if isinstance(path_or_frame, pd.DataFrame):
        df = path_or_frame.reset_index(drop=True)
        return df, np.arange(2, len(df) + 2, dtype=np.int64), label
    from parklink.ingest.readers import read_text_table

    path = Path(path_or_frame)
    schema = TableSchema("indicators", tuple(Column(c, "str", required=False) for c in columns), key=())
    table = read_text_table(path, schema, file=path.name)
    if table.problems:
        raise ValidationError(table.problems)
    return table.frame.reset_index(drop=True), np.asarray(table.rows, dtype=np.int64), table.file


def read_indicator_table(
    values: Path | str | pd.DataFrame,
    definitions: Path | str | pd.DataFrame,
    *,
    park_ids: Sequence[str] | None = None,
) -> IndicatorTable:
    """Read and validate a user indicator table (CSV/XLSX/Parquet paths or frames).

    ``definitions`` has one row per indicator with columns ``key, name_zh, name_en, unit,
    direction (benefit|cost), group, source, formula``; ``values`` has ``park_id`` and one
    numeric column per defined key (empty cells allowed; imputed later). Every problem —
    unknown park, non-numeric cell, missing column, bad direction, duplicate key — is
    reported with file, row and column in one :class:`ValidationError`.
    """
    ddf, drows, dfile = _read(definitions, _DEF_COLUMNS, "indicator definitions")
    problems: list[Problem] = []
    for col in ("key", "name_zh", "name_en", "direction"):
        if col not in ddf.columns:
            problems.append(Problem(dfile, None, col, None, "required column missing"))
    if problems:
        raise ValidationError(problems)
    crits: list[Criterion] = []
    seen: set[str] = set()
    for r, row in zip(drows, ddf.to_dict("records"), strict=True):
        key = str(row.get("key") or "").strip()
        direction = str(row.get("direction") or "").strip().lower()
        if not key:
            problems.append(Problem(dfile, int(r), "key", None, "indicator key is empty"))
            continue
        if key in seen:
            problems.append(Problem(dfile, int(r), "key", key, "duplicate indicator key"))
        seen.add(key)
        if direction not in ("benefit", "cost"):
            problems.append(Problem(dfile, int(r), "direction", direction, "direction must be 'benefit' or 'cost'"))
            continue

        def txt(c: str, row: dict[str, object] = row) -> str:  # type: ignore[assignment]
            v = row.get(c)
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

        crits.append(
            Criterion(key, txt("name_zh") or key, txt("name_en") or key, txt("unit"), direction,  # type: ignore[arg-type]
                      txt("group") or "user", source=txt("source") or dfile, formula=txt("formula"))
        )
    if problems:
        raise ValidationError(problems)
    vdf, vrows, vfile = _read(values, ["park_id", *[c.key for c in crits]], "indicator values")
    if "park_id" not in vdf.columns:
        raise ValidationError.single(vfile, "required column missing", column="park_id")
    for c in crits:
        if c.key not in vdf.columns:
            problems.append(Problem(vfile, None, c.key, None, "column for a defined indicator is missing"))
    known = set(park_ids) if park_ids is not None else None
    out = pd.DataFrame({"park_id": vdf["park_id"].astype("string")})
    for r, pid in zip(vrows, out["park_id"], strict=True):
        if pid is pd.NA or not str(pid).strip():
            problems.append(Problem(vfile, int(r), "park_id", None, "park id is empty"))
        elif known is not None and str(pid) not in known:
            problems.append(Problem(vfile, int(r), "park_id", str(pid), "unknown park id"))
    for pid in out["park_id"][out["park_id"].duplicated()].dropna().unique():
        problems.append(Problem(vfile, None, "park_id", str(pid), "duplicate park id"))
    for c in crits:
        if c.key not in vdf.columns:
            continue
        raw = vdf[c.key]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(vfile, int(vrows[pos]), c.key, str(raw.iloc[pos]), "not a number"))
        inf = np.isinf(num.to_numpy(dtype=np.float64))
        for pos in np.flatnonzero(inf):
            problems.append(Problem(vfile, int(vrows[pos]), c.key, str(raw.iloc[pos]), "not a finite number"))
        out[c.key] = num.to_numpy(dtype=np.float64)
    if problems:
        raise ValidationError(problems)
    out["park_id"] = out["park_id"].astype(str)
    return IndicatorTable(out, tuple(crits), (f"user indicators from {vfile}",), False)
