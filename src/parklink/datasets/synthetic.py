# ruff: noqa: N803, N806  (matrix names follow the maths: K, L, W, Z, ...)
"""Seeded synthetic firm population and supplier -> buyer transactions (合成企业与交易).

Real firm-to-firm data (VAT invoices, credit-bureau networks) is confidential, so the
firm-level analyses are exercised on a **synthetic** network calibrated to published
stylised facts (chain-methods.md §1.6 and §5). Everything this module writes is labelled
``synthetic=True`` / ``confidence='synthetic'``, except the real leading enterprises it is
given, which keep their own rows and sources unchanged.

Model (all parameters in :class:`SyntheticParams`; the defaults and their sources are
listed in ``docs/synthetic.md``):

Firms (:func:`generate_firms`)
    * chain ~ ``chain_shares``; segment within a chain ∝ ``weight_k × level_factor[level_k]``
      (template ``chain_segments``);
    * a share ``out_of_region_share`` is placed at one of :data:`OUT_CITIES` (province
      ``'OUT'``, approximate city points, synthetic placement only); the rest in a district
      of Sichuan/Chongqing with weight
      ``w_d = 1 + park_weight·n_parks(d) + core_weight·exp(-dist(d, core)/core_scale_km)``
      (``core`` = the nearer of :data:`CORE_POINTS`), times ``province_bias`` for the
      firm's chain; a share ``park_share`` of in-region firms sits inside a park (park
      ∝ 1, ×``park_focus_bonus`` when the park's ``focus_chains`` name the firm's chain);
    * annual output (million CNY) is Pareto with tail index ``size_tail`` (Zipf firm sizes,
      Axtell 2001) above ``size_min_cny_m``, capped at ``size_cap_cny_m``; employees =
      output / labour productivity; size class by the NBS 2017 industry thresholds;
    * the real leading enterprises (``leaders``) are prepended; chains without one get
      ``synthetic_leaders_per_chain`` synthetic leaders (largest in-region firms of the
      chain's final segments).

Transactions (:func:`generate_transactions`)
    * buyer *b* in year *t* buys from ``m_bt`` distinct suppliers, ``m ~ Multinomial(T_t,
      p)`` with ``p_b ∝ size_b^buyer_exponent`` over active buyers whose segment has inputs,
      capped (water-filling) at ``max_suppliers_per_buyer`` and ``cap_fraction`` of the
      active firms of its input segments;
    * each supplier draw: input segment *k'* of the buyer's segment *k* (∝ template weight),
      then location group *g* ∝ ``W_{k'g} · max(d_{g,g_b}, self_distance_km)^-ζ``, then firm
      ∝ ``w_s = size_s^α · (1 + k̄_s)^pa_exponent``, where ``k̄_s`` is the supplier's
      mean-field expected customer degree in the previous year under the size-only weights
      (preferential attachment, Hungary ``k^1.08``; entrants start at ``k̄ = 0``; applied one
      step, not compounded over years; the mean-field form keeps buyers independent so the
      output can be generated in bounded-memory chunks). Buyers draw with replacement and
      keep the first distinct suppliers (rejection rounds); buyers needing more than
      1/16 of their candidates use an exact Gumbel top-k instead; buyers still short after
      the rounds keep fewer suppliers (the row count can fall slightly below the target);
    * links survive a year with probability ``(1 - link_churn) / P(both ends stay active)``
      (clipped to 1) so that total churn ≈ ``link_churn`` once firm exits are counted, and a
      dropped link is not redrawn in the same year;
      firms enter/exit with ``entry_rate`` / ``exit_rate`` per year (leaders never exit);
    * value (thousand CNY) = buyer budget ``purchase_ratio × output`` split over its
      suppliers ∝ ``size_s^value_supplier_exponent × LogNormal(0, value_sigma)``; leaders'
      budgets are scaled each year so that they hold ``leader_purchase_share`` of the
      purchases of in-circle buyers.

Randomness: ``numpy.random.default_rng`` seeded from ``(seed, stream, ...)``; buyers are
processed in fixed blocks with their own seeds, so the rows do not depend on ``chunk_rows``.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parklink import tables
from parklink.errors import ParklinkError, ValidationError
from parklink.firmdata import BUYER_KEY, SUPPLIER_KEY, key_firms, with_keys_metadata
from parklink.tables import split_list as _split_list

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Expected rows per internal buyer block (independent of ``chunk_rows``).
BLOCK_ROWS = 1 << 17
#: Sampling rounds per buyer-year (round r draws ``oversample · 2^r`` × deficit + 1); buyers
#: still short afterwards get their remaining suppliers by exact Gumbel top-k.
_ROUNDS = 4
#: Buyers whose missing suppliers exceed 1/_HEAVY_RATIO of their candidates use Gumbel top-k.
_HEAVY_RATIO = 16
_EARTH_RADIUS_KM = 6371.0088
_IN_CIRCLE = ("SC", "CQ")


@dataclass(frozen=True, slots=True)
class OutCity:
    """A point where out-of-region synthetic firms are placed (synthetic placement only)."""

    name_zh: str
    name_en: str
    lon: float
    lat: float
    weight: float = 1.0


#: Out-of-region placement points: approximate city-centre coordinates from general public
#: knowledge of major Chinese manufacturing cities. Used only to place *synthetic* firms.
OUT_CITIES: tuple[OutCity, ...] = (
    OutCity("上海", "Shanghai", 121.47, 31.23),
    OutCity("苏州", "Suzhou", 120.58, 31.30),
    OutCity("宁波", "Ningbo", 121.55, 29.87),
    OutCity("深圳", "Shenzhen", 114.06, 22.54),
    OutCity("广州", "Guangzhou", 113.26, 23.13),
    OutCity("北京", "Beijing", 116.40, 39.90),
    OutCity("武汉", "Wuhan", 114.31, 30.59),
    OutCity("合肥", "Hefei", 117.23, 31.82),
    OutCity("西安", "Xi'an", 108.94, 34.34),
    OutCity("长春", "Changchun", 125.32, 43.82),
)

#: The two polar cores used by the district weighting rule (approximate city-centre points:
#: Tianfu Square, Chengdu; Jiefangbei, Chongqing). Synthetic placement only.
CORE_POINTS: tuple[OutCity, ...] = (
    OutCity("成都", "Chengdu", 104.066, 30.657),
    OutCity("重庆", "Chongqing", 106.577, 29.557),
)


@dataclass(frozen=True, slots=True)
class SyntheticParams:
    """Parameters of the synthetic generator; see the module docstring and docs/synthetic.md.

    Sources: ``pa_exponent`` 1.08, ``entry_rate`` 0.28, ``exit_rate`` 0.25 and
    ``link_churn`` 0.55 are the Hungarian VAT-network figures (arXiv 2503.20594, via
    chain-methods.md §1.6); ``size_tail`` 1.06 is Axtell (2001, Science 293) [L];
    ``target_within_province`` 0.40–0.50 follows Belgium's 47.5 % within NUTS2 (NBB, via
    chain-methods.md §1.6) as an order-of-magnitude target; ``target_degree_tail`` 1.0 is
    Japan's customer-degree tail (Mizuno et al. 2014). Everything else is our design [D],
    tuned so that the defaults meet those targets (``docs/synthetic.md``).
    """

    # firms
    chain_shares: Mapping[str, float] = field(
        default_factory=lambda: {"auto": 0.35, "electronics": 0.35, "biomed": 0.2, "moto": 0.1}
    )
    level_factor: Mapping[str, float] = field(
        default_factory=lambda: {"up": 1.0, "mid": 1.0, "down": 1.5, "enabler": 0.5}
    )
    province_bias: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {"moto": {"CQ": 3.0}}
    )
    out_of_region_share: float = 0.30
    park_share: float = 0.40
    park_focus_bonus: float = 3.0
    park_weight: float = 3.0
    core_weight: float = 4.0
    core_scale_km: float = 60.0
    size_tail: float = 1.06
    size_min_cny_m: float = 3.0
    size_cap_cny_m: float = 200_000.0
    productivity_cny_m: float = 1.0
    synthetic_leaders_per_chain: int = 2
    leader_default_output_cny_m: float = 100_000.0
    # transactions
    alpha: float = 0.6
    pa_exponent: float = 1.08
    zeta: float = 0.3
    self_distance_km: float = 10.0
    buyer_exponent: float = 0.8
    max_suppliers_per_buyer: int = 20_000
    cap_fraction: float = 0.5
    link_churn: float = 0.55
    entry_rate: float = 0.28
    exit_rate: float = 0.25
    purchase_ratio: float = 0.5
    value_supplier_exponent: float = 0.5
    value_sigma: float = 1.0
    leader_purchase_share: float = 0.30
    oversample: float = 1.25
    # calibration targets
    target_within_province: tuple[float, float] = (0.40, 0.50)
    target_degree_tail: float = 1.0
    tolerance_degree_tail: float = 0.3
    tolerance_leader_share: float = 0.05
    tolerance_churn: float = 0.10
    degree_tail_xmin: int = 10


DEFAULT_PARAMS = SyntheticParams()


# --------------------------------------------------------------------------- helpers


def _haversine_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> FloatArray:
    """Great-circle distance in km (spherical Earth, mean radius 6371.0088 km)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return np.asarray(2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def _bad(file: str, reason: str, *, column: str | None = None, value: object = None) -> ValidationError:
    return ValidationError.single(file, reason, column=column, value=value)


def _require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _bad(name, f"missing column(s) {', '.join(missing)}", column=missing[0])


@dataclass(frozen=True, slots=True)
class _Template:
    """Parsed chain template: segment arrays and the input coefficient matrix."""

    ids: tuple[str, ...]
    chain: npt.NDArray[np.object_]
    level: npt.NDArray[np.object_]
    weight: FloatArray
    inputs: tuple[tuple[int, ...], ...]
    final: Mapping[str, tuple[int, ...]]

    @property
    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.ids)}


def _parse_template(segments: pd.DataFrame) -> _Template:
    name = "chain_segments"
    _require_columns(segments, name, ("segment_id", "chain", "level", "inputs"))
    if segments.empty:
        raise _bad(name, "the chain template has no segments")
    ids = tuple(str(s) for s in segments["segment_id"])
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise _bad(name, "duplicate segment_id", column="segment_id", value=dup)
    index = {s: i for i, s in enumerate(ids)}
    inputs: list[tuple[int, ...]] = []
    for sid, cell in zip(ids, segments["inputs"], strict=True):
        items = _split_list(cell)
        unknown = [i for i in items if i not in index]
        if unknown:
            raise _bad(name, f"segment {sid} names an unknown input", column="inputs", value=unknown[0])
        inputs.append(tuple(index[i] for i in items))
    weight = (
        pd.to_numeric(segments["weight"], errors="coerce").fillna(1.0).to_numpy(np.float64)
        if "weight" in segments.columns
        else np.ones(len(ids))
    )
    chain = segments["chain"].astype(str).to_numpy(dtype=object)
    level = segments["level"].astype(str).to_numpy(dtype=object)
    consumers: dict[int, list[int]] = {}
    for k, ins in enumerate(inputs):
        for i in ins:
            consumers.setdefault(i, []).append(k)
    final: dict[str, tuple[int, ...]] = {}
    for c in dict.fromkeys(chain):
        mids = [k for k in range(len(ids)) if chain[k] == c and level[k] == "mid"]
        feeding_down = [k for k in mids if any(level[j] == "down" for j in consumers.get(k, []))]
        no_mid_consumer = [k for k in mids if not any(level[j] == "mid" for j in consumers.get(k, []))]
        final[str(c)] = tuple(feeding_down or no_mid_consumer or mids or
                              [k for k in range(len(ids)) if chain[k] == c])
    return _Template(ids, chain, level, weight, tuple(inputs), final)


def _check_common(n: int, what: str, seed: int) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise _bad("arguments", "seed must be a non-negative integer", column="seed", value=seed)
    if n < 1:
        raise _bad("arguments", f"{what} must be at least 1", column=what, value=n)


# --------------------------------------------------------------------------- firms


def _size_class(employees: IntArray, output_cny_m: FloatArray) -> npt.NDArray[np.object_]:
    """NBS 2017 industry size classes (统计上大中小微型企业划分办法(2017)): large needs
    ≥1000 employees and ≥400 M CNY revenue, medium ≥300 and ≥20 M, small ≥20 and ≥3 M,
    otherwise micro (output is used as the revenue proxy)."""
    out = np.full(employees.shape, "micro", dtype=object)
    out[(employees >= 20) & (output_cny_m >= 3.0)] = "small"
    out[(employees >= 300) & (output_cny_m >= 20.0)] = "medium"
    out[(employees >= 1000) & (output_cny_m >= 400.0)] = "large"
    return out


def _leader_frame(leaders: pd.DataFrame | None, template: _Template) -> pd.DataFrame:
    names = list(tables.ENTERPRISES.names)
    if leaders is None or leaders.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    _require_columns(leaders, "enterprises", ("enterprise_id", "lon", "lat", "province"))
    frame = leaders.copy()
    if "leading" in frame.columns:
        frame = frame[frame["leading"].fillna(False).astype(bool)]
    frame = frame[frame["lon"].notna() & frame["lat"].notna()]
    chains = set(template.chain.tolist())

    def usable(row: pd.Series) -> bool:
        segs = [s for s in _split_list(row.get("segments")) if s in template.index]
        return bool(segs) or str(row.get("chain")) in chains

    frame = frame[frame.apply(usable, axis=1)] if not frame.empty else frame
    return frame.reindex(columns=names).reset_index(drop=True)


def generate_firms(
    regions: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    n_firms: int,
    seed: int,
    parks: pd.DataFrame | None = None,
    leaders: pd.DataFrame | None = None,
    params: SyntheticParams = DEFAULT_PARAMS,
) -> pd.DataFrame:
    """A synthetic firm population of ``n_firms`` rows (columns ``tables.ENTERPRISES``).

    Real leading enterprises in ``leaders`` (rows with ``leading`` true and a chain or a
    known segment) come first, unchanged; the remaining rows are synthetic firms
    ``syn-0000001 …`` named "合成企业0000001 / Synthetic Firm 0000001", placed by the
    district/park/out-of-region rule of the module docstring, with a template segment,
    Pareto output (million CNY), employees and NBS size class. Deterministic in ``seed``.
    """
    _check_common(n_firms, "n_firms", seed)
    template = _parse_template(segments)
    _require_columns(regions, "regions", ("adcode", "level", "province", "seat_lon", "seat_lat"))
    districts = regions[(regions["level"] == "district") & regions["seat_lon"].notna()
                        & regions["seat_lat"].notna() & regions["province"].isin(_IN_CIRCLE)]
    if districts.empty:
        raise _bad("regions", "no district rows with seat coordinates in SC/CQ", column="level")
    districts = districts.reset_index(drop=True)
    lead = _leader_frame(leaders, template)
    n_syn = n_firms - len(lead)
    if n_syn < 1:
        raise _bad("arguments", f"n_firms must exceed the number of leaders ({len(lead)})",
                   column="n_firms", value=n_firms)
    rng = np.random.default_rng([int(seed), 1])
    p = params

    # ---- segment (and chain) per firm
    K = len(template.ids)
    chain_share = np.array([float(p.chain_shares.get(str(c), 0.0)) for c in template.chain])
    lf = np.array([float(p.level_factor.get(str(lv), 1.0)) for lv in template.level])
    within = template.weight * lf
    p_seg = np.zeros(K)
    for c in dict.fromkeys(template.chain.tolist()):
        mask = template.chain == c
        if within[mask].sum() > 0:
            p_seg[mask] = chain_share[mask] * within[mask] / within[mask].sum()
    if p_seg.sum() <= 0:
        p_seg = within / within.sum()
    seg = rng.choice(K, size=n_syn, p=p_seg / p_seg.sum())
    chain = template.chain[seg]

    # ---- location
    lon = np.empty(n_syn)
    lat = np.empty(n_syn)
    province = np.empty(n_syn, dtype=object)
    adcode = np.full(n_syn, None, dtype=object)
    park_id = np.full(n_syn, None, dtype=object)
    out = rng.random(n_syn) < p.out_of_region_share
    cw = np.array([c.weight for c in OUT_CITIES])
    city = rng.choice(len(OUT_CITIES), size=int(out.sum()), p=cw / cw.sum())
    lon[out] = np.array([c.lon for c in OUT_CITIES])[city] + rng.normal(0.0, 0.1, city.size)
    lat[out] = np.array([c.lat for c in OUT_CITIES])[city] + rng.normal(0.0, 0.1, city.size)
    province[out] = "OUT"

    d_lon = districts["seat_lon"].to_numpy(np.float64)
    d_lat = districts["seat_lat"].to_numpy(np.float64)
    d_prov = districts["province"].astype(str).to_numpy(dtype=object)
    d_code = districts["adcode"].astype(str).to_numpy(dtype=object)
    core = np.min(np.stack([_haversine_km(d_lon, d_lat, c.lon, c.lat) for c in CORE_POINTS]), axis=0)
    n_parks = np.zeros(len(districts))
    pk = None
    if parks is not None and not parks.empty:
        _require_columns(parks, "parks", ("park_id", "adcode", "province", "lon", "lat"))
        pk = parks[parks["lon"].notna() & parks["lat"].notna()].reset_index(drop=True)
        counts = pk["adcode"].astype(str).value_counts()
        n_parks = np.asarray(pd.Series(d_code).map(counts).fillna(0).to_numpy(), dtype=np.float64)
        if pk.empty:
            pk = None
    w_d = 1.0 + p.park_weight * n_parks + p.core_weight * np.exp(-core / p.core_scale_km)
    area = (pd.to_numeric(districts["area_km2"], errors="coerce").to_numpy(np.float64)
            if "area_km2" in districts.columns else np.full(len(districts), np.nan))
    sd_deg = np.where(np.isfinite(area), np.clip(0.25 * np.sqrt(np.nan_to_num(area)) / 111.0, 0.005, 0.1), 0.03)
    inside = ~out
    in_park = inside & (rng.random(n_syn) < (p.park_share if pk is not None else 0.0))
    for c in dict.fromkeys(chain.tolist()):
        sel = np.flatnonzero(inside & ~in_park & (chain == c))
        bias = p.province_bias.get(str(c), {})
        wc = w_d * np.array([float(bias.get(str(pr), 1.0)) for pr in d_prov])
        d = rng.choice(len(districts), size=sel.size, p=wc / wc.sum())
        lon[sel] = d_lon[d] + rng.normal(0.0, 1.0, sel.size) * sd_deg[d]
        lat[sel] = d_lat[d] + rng.normal(0.0, 1.0, sel.size) * sd_deg[d]
        province[sel] = d_prov[d]
        adcode[sel] = d_code[d]
        if pk is not None:
            psel = np.flatnonzero(in_park & (chain == c))
            focus = pk["focus_chains"] if "focus_chains" in pk.columns else pd.Series([None] * len(pk))
            wp = np.array([p.park_focus_bonus if str(c) in _split_list(f) else 1.0 for f in focus])
            wp = wp * np.array([float(bias.get(str(pr), 1.0)) for pr in pk["province"].astype(str)])
            q = rng.choice(len(pk), size=psel.size, p=wp / wp.sum())
            lon[psel] = pk["lon"].to_numpy(np.float64)[q] + rng.normal(0.0, 0.01, psel.size)
            lat[psel] = pk["lat"].to_numpy(np.float64)[q] + rng.normal(0.0, 0.01, psel.size)
            province[psel] = pk["province"].astype(str).to_numpy(dtype=object)[q]
            adcode[psel] = pk["adcode"].astype(str).to_numpy(dtype=object)[q]
            park_id[psel] = pk["park_id"].astype(str).to_numpy(dtype=object)[q]

    # ---- size
    u = rng.random(n_syn)
    output = np.minimum(p.size_min_cny_m * (1.0 - u) ** (-1.0 / p.size_tail), p.size_cap_cny_m)
    productivity = p.productivity_cny_m * rng.lognormal(0.0, 0.5, n_syn)
    employees = np.maximum(1, np.rint(output / productivity)).astype(np.int64)
    output = np.asarray(np.round(output, 3), dtype=np.float64)

    # ---- synthetic leaders for chains without a real one
    leading = np.zeros(n_syn, dtype=bool)
    real_chains = set()
    for _, row in lead.iterrows():
        segs = [s for s in _split_list(row.get("segments")) if s in template.index]
        real_chains.add(str(template.chain[template.index[segs[0]]]) if segs else str(row.get("chain")))
    for c, finals in template.final.items():
        if c in real_chains or p.synthetic_leaders_per_chain <= 0:
            continue
        cand = np.flatnonzero(inside & np.isin(seg, np.array(finals)))
        top = cand[np.argsort(-output[cand], kind="stable")[: p.synthetic_leaders_per_chain]]
        leading[top] = True

    # built as Arrow columns (fast C++ string kernels), then one conversion to pandas
    num = pc.utf8_lpad(pa.array(np.arange(1, n_syn + 1)).cast(pa.string()), 7, "0")

    def prefixed(prefix: str) -> pa.Array:
        return pc.binary_join_element_wise(pa.scalar(prefix), num, pa.scalar(""))

    def text(values: npt.NDArray[np.object_]) -> pa.Array:
        return pa.array(values, type=pa.string(), from_pandas=True)

    syn: pd.DataFrame = pa.table(
        {
            "enterprise_id": prefixed("syn-"),
            "name_zh": prefixed("合成企业"),
            "name_en": prefixed("Synthetic Firm "),
            "province": text(province),
            "adcode": text(adcode),
            "park_id": text(park_id),
            "lon": np.round(np.clip(lon, 70.0, 140.0), 5),
            "lat": np.round(np.clip(lat, 15.0, 55.0), 5),
            "chain": text(chain),
            "segments": pa.DictionaryArray.from_arrays(pa.array(seg.astype(np.int32)),
                                                       pa.array(template.ids)).cast(pa.string()),
            "size_class": text(_size_class(employees, output)),
            "employees": employees,
            "output_cny_m": output,
            "leading": leading,
            "synthetic": np.ones(n_syn, dtype=bool),
            "source_url": pa.nulls(n_syn, type=pa.string()),
            "confidence": pa.array(np.full(n_syn, "synthetic", dtype=object), type=pa.string()),
        }
    ).to_pandas()
    frames = [lead, syn] if not lead.empty else [syn]
    firms = pd.concat(frames, ignore_index=True) if len(frames) > 1 else syn
    firms["employees"] = pd.to_numeric(firms["employees"], errors="coerce").astype("Int64")
    firms["output_cny_m"] = pd.to_numeric(firms["output_cny_m"], errors="coerce").astype("float64")
    firms["lon"] = firms["lon"].astype("float64")
    firms["lat"] = firms["lat"].astype("float64")
    for col in ("leading", "synthetic"):
        firms[col] = firms[col].fillna(False).astype(bool)
    return firms[list(tables.ENTERPRISES.names)]


# --------------------------------------------------------------------------- transactions


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything the per-block sampler needs (arrays over firms, groups, segments)."""

    ids: pa.Array
    n: int
    years: tuple[int, ...]
    seg: IntArray  # firm -> segment index (-1 = none)
    group: IntArray  # firm -> location group
    size: FloatArray
    leading: BoolArray
    in_circle: BoolArray
    active: BoolArray  # (Y, n)
    m: IntArray  # (Y, n) suppliers per buyer-year
    budget: FloatArray  # (Y, n) thousand CNY
    seg_cum: list[FloatArray]  # per year: (K * Kin) flat cumulative with row offsets
    kin_seg: IntArray  # input-segment slot -> segment index
    grp_cum: list[FloatArray]  # per year: (Kin * L * L) flat cumulative
    n_groups: int
    cell_order: IntArray  # firms sorted by cell
    cell_cum: list[FloatArray]  # per year, aligned with cell_order
    cell_start: IntArray  # (K * L + 1)
    keep_p: FloatArray  # (Y,) survival probability of a link from year t-1 into t
    blocks: tuple[tuple[int, int], ...]
    params: SyntheticParams
    weight: FloatArray  # (Y, n) supplier weights w_s
    log_q: list[FloatArray]  # per year (K, Kin) log input-segment probabilities
    log_z: list[FloatArray]  # per year (Kin, L) log normaliser of the group stage
    log_decay: FloatArray  # (L g, L h) log max(d, d0)^-zeta
    n_cand: IntArray  # (K,) candidate suppliers of a buyer segment (all firms of its inputs)


def _firm_arrays(firms: pd.DataFrame, template: _Template, params: SyntheticParams
                 ) -> tuple[IntArray, FloatArray, BoolArray, BoolArray, IntArray, FloatArray, FloatArray]:
    """Per-firm segment, size, leader/in-circle flags and location groups."""
    _require_columns(firms, "firms", ("enterprise_id", "province", "lon", "lat", "chain", "segments",
                                      "output_cny_m", "leading"))
    n = len(firms)
    index = template.index
    seg_cells = firms["segments"].to_numpy(dtype=object)
    chain_cells = firms["chain"].to_numpy(dtype=object)
    seg = np.full(n, -1, dtype=np.int64)
    # fast path: single known segment id per cell
    mapped = pd.Series(seg_cells).map(index)
    ok = mapped.notna().to_numpy()
    seg[ok] = mapped[ok].astype(np.int64).to_numpy()
    for i in np.flatnonzero(~ok):
        items = [s for s in _split_list(seg_cells[i]) if s in index]
        if items:
            seg[i] = index[items[0]]
        elif str(chain_cells[i]) in template.final:
            seg[i] = template.final[str(chain_cells[i])][0]
    leading = firms["leading"].fillna(False).astype(bool).to_numpy()
    size = pd.to_numeric(firms["output_cny_m"], errors="coerce").to_numpy(np.float64)
    missing = ~np.isfinite(size) | (size <= 0)
    fill = np.nanmedian(size[~missing]) if (~missing).any() else params.size_min_cny_m
    size = np.where(missing, np.where(leading, params.leader_default_output_cny_m, fill), size)
    province = firms["province"].astype(str).to_numpy(dtype=object)
    in_circle = np.isin(province, np.array(_IN_CIRCLE, dtype=object))
    lon = firms["lon"].to_numpy(np.float64)
    lat = firms["lat"].to_numpy(np.float64)
    adcode = (firms["adcode"].astype(object) if "adcode" in firms.columns
              else pd.Series([None] * n, dtype=object))
    key = adcode.where(adcode.notna(), None).to_numpy(dtype=object, copy=True)
    miss = np.flatnonzero(pd.isna(key))
    if miss.size:  # no adcode (out of region): 0.5° grid cells
        gx = (np.floor(lon[miss] * 2) / 2).astype(str).astype(object)
        gy = (np.floor(lat[miss] * 2) / 2).astype(str).astype(object)
        key[miss] = "g" + gx + "_" + gy
    group, _ = pd.factorize(pd.Series(key, dtype=object).astype(str), sort=True)
    g = group.astype(np.int64)
    n_groups = int(g.max()) + 1 if n else 0
    cnt = np.bincount(g, minlength=n_groups).astype(np.float64)
    glon = np.bincount(g, weights=lon, minlength=n_groups) / np.maximum(cnt, 1)
    glat = np.bincount(g, weights=lat, minlength=n_groups) / np.maximum(cnt, 1)
    return seg, size, leading, in_circle, g, glon, glat


def _lifetimes(n: int, n_years: int, leading: BoolArray, params: SyntheticParams, seed: int) -> BoolArray:
    """Active[t, i]: entry/exit with constant yearly rates (leaders always active)."""
    rng = np.random.default_rng([int(seed), 3])
    e, x = params.entry_rate, params.exit_rate
    growth = 1.0 - x + e
    later = np.array([e * growth ** (t - 1) for t in range(1, n_years)], dtype=np.float64)
    probs = np.concatenate([[1.0], later])
    probs = probs / probs.sum()
    start = rng.choice(n_years, size=n, p=probs) if n_years > 1 else np.zeros(n, dtype=np.int64)
    duration = rng.geometric(min(max(x, 1e-9), 1.0), size=n) if x > 0 else np.full(n, n_years)
    end = start + duration - 1
    start = np.where(leading, 0, start)
    end = np.where(leading, n_years, end)
    t = np.arange(n_years)[:, None]
    return np.asarray((start[None, :] <= t) & (t <= end[None, :]), dtype=bool)


def _water_fill(lam: FloatArray, cap: FloatArray, total: float) -> FloatArray:
    """Scale ``lam`` to sum ``total`` with lam_i ≤ cap_i, redistributing capped mass."""
    out = lam.copy()
    for _ in range(50):
        s = out.sum()
        if s <= 0:
            break
        out *= total / s
        over = out > cap
        if not over.any():
            break
        out[over] = cap[over]
        free = ~over & (out > 0) & (out < cap)
        if not free.any():
            break
        need = total - out.sum()
        if need <= 1e-9:
            break
        out[free] += need * out[free] / out[free].sum()
        if (out <= cap + 1e-9).all():
            break
    return np.minimum(out, cap)


def _build_plan(firms: pd.DataFrame, segments: pd.DataFrame, *, n_transactions: int,
                years: Sequence[int], seed: int, params: SyntheticParams) -> _Plan:
    template = _parse_template(segments)
    ys = tuple(int(y) for y in years)
    if not ys or len(set(ys)) != len(ys) or any(y < 2000 or y > 2100 for y in ys):
        raise _bad("arguments", "years must be distinct integers in 2000..2100", column="years", value=list(years))
    if firms["enterprise_id"].duplicated().any():
        dup = firms.loc[firms["enterprise_id"].duplicated(), "enterprise_id"].iloc[0]
        raise _bad("firms", "duplicate enterprise_id", column="enterprise_id", value=dup)
    p = params
    seg, size, leading, in_circle, group, glon, glat = _firm_arrays(firms, template, p)
    n, Y, K, L = len(firms), len(ys), len(template.ids), len(glon)
    active = _lifetimes(n, Y, leading, p, seed) & (seg >= 0)[None, :]

    kin_seg = np.array(sorted({i for ins in template.inputs for i in ins}), dtype=np.int64)
    if kin_seg.size == 0:
        raise _bad("chain_segments", "no segment has inputs; cannot generate transactions", column="inputs")
    slot = np.full(K, -1, dtype=np.int64)
    slot[kin_seg] = np.arange(kin_seg.size)
    Kin = kin_seg.size
    coef = np.zeros((K, Kin))
    for k, ins in enumerate(template.inputs):
        for i in ins:
            coef[k, slot[i]] = template.weight[i]

    dist = _haversine_km(glon[:, None], glat[:, None], glon[None, :], glat[None, :])
    decay = np.maximum(dist, p.self_distance_km) ** (-p.zeta)  # (L supplier g, L buyer h)

    # cells: firms with a segment, sorted by (segment, group)
    valid = np.flatnonzero(seg >= 0)
    cell_of = seg[valid] * L + group[valid]
    order_local = np.argsort(cell_of, kind="stable")
    cell_order = valid[order_local]
    sorted_cells = cell_of[order_local]
    cell_start = np.searchsorted(sorted_cells, np.arange(K * L + 1)).astype(np.int64)

    size_alpha = size ** p.alpha
    size_beta = size ** p.buyer_exponent
    T_year = n_transactions / Y
    m = np.zeros((Y, n), dtype=np.int64)
    budget = np.zeros((Y, n))
    seg_cums: list[FloatArray] = []
    grp_cums: list[FloatArray] = []
    cell_cums: list[FloatArray] = []
    weights = np.zeros((Y, n))
    degree_by_year: list[FloatArray] = []
    log_qs: list[FloatArray] = []
    log_zs: list[FloatArray] = []

    def supplier_weights(w: FloatArray) -> FloatArray:
        """W[k', g]: summed supplier weight per input slot and location group."""
        W = np.bincount(seg[valid] * L + group[valid], weights=w[valid], minlength=K * L)
        return np.asarray(W.reshape(K, L)[kin_seg], dtype=np.float64)

    def supplier_tables(w: FloatArray, Win: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Group cumulative table (rows kin*L + h, with row offsets) and the cell table."""
        A = np.empty((Kin, L, L))
        np.multiply(Win[:, None, :], decay.T[None, :, :], out=A)  # (Kin, h, g)
        np.cumsum(A, axis=2, out=A)
        tot = A[:, :, -1:].copy()
        A /= np.where(tot > 0, tot, 1.0)  # empty rows stay 0 and are never sampled (q = 0)
        A += np.arange(Kin * L, dtype=np.float64).reshape(Kin, L, 1)
        grp = A.reshape(-1)
        ws = w[cell_order]
        cs = np.cumsum(ws)
        before = np.concatenate([[0.0], cs])[cell_start[sorted_cells]]
        csum = np.bincount(sorted_cells, weights=ws, minlength=K * L)[sorted_cells]
        within = np.where(csum > 0, (cs - before) / np.where(csum > 0, csum, 1.0), 1.0)
        cell = sorted_cells.astype(np.float64) + np.minimum(within, 1.0)
        return grp, cell

    def expected_degree(w: FloatArray, Win: FloatArray, mt: IntArray, q: FloatArray) -> FloatArray:
        """Mean-field expected customer degree of each firm given weights and m."""
        Mb = np.bincount(seg[valid] * L + group[valid], weights=mt[valid].astype(np.float64),
                         minlength=K * L).reshape(K, L)
        Mk = q.T @ Mb  # (Kin, h): draws wanted from slot kin by buyers in group h
        Z = Win @ decay  # (Kin, h)
        ratio = np.where(Z > 0, Mk / np.where(Z > 0, Z, 1.0), 0.0)
        E = Win * (ratio @ decay.T)  # (Kin, g)
        per_w = np.where(Win > 0, E / np.where(Win > 0, Win, 1.0), 0.0)
        out = np.zeros(n)
        sl = slot[seg[valid]]
        has = sl >= 0
        vv = valid[has]
        out[vv] = per_w[sl[has], group[vv]] * w[vv]
        return out

    # burn-in degree from size-only weights
    k_prev: FloatArray | None = None
    for t in range(Y):
        act = active[t]
        base = size_alpha * act
        n_act_seg = np.bincount(seg[act & (seg >= 0)], minlength=K).astype(np.float64)
        avail = n_act_seg[kin_seg] > 0
        q = coef * avail[None, :]
        qs = q.sum(axis=1)
        q = np.where(qs[:, None] > 0, q / np.where(qs > 0, qs, 1.0)[:, None], 0.0)
        eligible = act & (seg >= 0)
        eligible[eligible] = qs[seg[eligible]] > 0
        supply = (coef > 0).astype(np.float64) @ n_act_seg[kin_seg] if Kin else np.zeros(K)
        cap = np.minimum(p.max_suppliers_per_buyer, np.floor(p.cap_fraction * supply))
        cap_b = np.where(eligible, np.maximum(cap[np.maximum(seg, 0)], 1.0), 0.0)
        lam = _water_fill(size_beta * eligible, cap_b, T_year)
        rng_m = np.random.default_rng([int(seed), 4, t])
        if lam.sum() > 0:
            m[t] = rng_m.multinomial(round(T_year), lam / lam.sum())
            np.minimum(m[t], cap_b.astype(np.int64), out=m[t])
        if t == 0:  # burn-in: the "previous year" of the first year is the first year itself
            k_prev = expected_degree(base, supplier_weights(base), m[0], q)
        w = base * (1.0 + (k_prev if k_prev is not None else 0.0)) ** p.pa_exponent
        Win = supplier_weights(w)
        grp, cell = supplier_tables(w, Win)
        weights[t] = w
        with np.errstate(divide="ignore"):
            log_qs.append(np.log(q))
            log_zs.append(np.log(Win @ decay))
        degree_by_year.append(expected_degree(w, Win, m[t], q))
        # preferential attachment acts on last year's mean-field degree under the size-only
        # weights (one step, not compounded year over year)
        k_prev = expected_degree(base, supplier_weights(base), m[t], q)
        seg_cum = np.cumsum(q, axis=1)
        tot = seg_cum[:, -1:]
        seg_cum = np.where(tot > 0, seg_cum / np.where(tot > 0, tot, 1.0), 1.0)
        seg_cums.append((seg_cum + np.arange(K, dtype=np.float64)[:, None]).ravel())
        grp_cums.append(grp)
        cell_cums.append(cell)
        # budgets (thousand CNY); leaders scaled to hold leader_purchase_share in-circle
        spend = m[t] > 0
        bud = np.where(spend, p.purchase_ratio * size * 1000.0, 0.0)
        lead_in = spend & leading & in_circle
        other_in = spend & ~leading & in_circle
        L_sum, O_sum = bud[lead_in].sum(), bud[other_in].sum()
        share = p.leader_purchase_share
        if L_sum > 0 and O_sum > 0 and 0.0 < share < 1.0:
            bud[leading] *= share * O_sum / ((1.0 - share) * L_sum)
        budget[t] = bud

    # link survival: (1 - churn) / P(both ends still active), estimated from the plan
    keep_p = np.ones(Y)
    for t in range(1, Y):
        mb = m[t - 1].astype(np.float64)
        surv_b = float((mb * active[t]).sum() / mb.sum()) if mb.sum() > 0 else 1.0
        kw = degree_by_year[t - 1]
        surv_s = float((kw * active[t]).sum() / kw.sum()) if kw.sum() > 0 else 1.0
        keep_p[t] = min(1.0, (1.0 - p.link_churn) / max(surv_b * surv_s, 1e-9))
    rows_per_buyer = m.sum(axis=0)
    csum = np.cumsum(rows_per_buyer)
    blocks: list[tuple[int, int]] = []
    start = 0
    while start < n:
        limit = (csum[start - 1] if start else 0) + BLOCK_ROWS
        stop = int(np.searchsorted(csum, limit, side="right"))
        stop = max(stop, start + 1)
        blocks.append((start, stop))
        start = stop
    ids = pa.array(firms["enterprise_id"].astype(str).to_numpy(dtype=object), type=pa.string())
    seg_size = np.diff(cell_start[:: L])[:K] if L else np.zeros(K, dtype=np.int64)
    n_cand = ((coef > 0).astype(np.int64) @ seg_size[kin_seg]).astype(np.int64)
    return _Plan(ids, n, ys, seg, group, size, leading, in_circle, active, m, budget, seg_cums,
                 kin_seg, grp_cums, L, cell_order, cell_cums, cell_start, keep_p, tuple(blocks), p,
                 weights, log_qs, log_zs, np.log(decay), n_cand)


def _dedupe(buyer: IntArray, supplier: IntArray, n: int, cap: IntArray, n_block: int = 0) -> IntArray:
    """Positions to keep: first occurrence of each (buyer, supplier), at most cap[buyer] per buyer.

    The first ``n_block`` entries are blockers: pairs that may not be drawn again (links
    dropped by churn); they are never returned themselves.
    """
    if buyer.size == 0:
        return np.zeros(0, dtype=np.int64)
    key = buyer * np.int64(n) + supplier
    _, first = np.unique(key, return_index=True)
    first = first[first >= n_block]
    b = buyer[first]
    order = np.argsort(b * np.int64(buyer.size) + first)  # by buyer, then by priority (position)
    bs = b[order]
    starts = np.searchsorted(bs, bs, side="left")
    rank = np.arange(bs.size) - starts
    return np.asarray(first[order[rank < cap[bs]]], dtype=np.int64)


def _sorted_search(table: FloatArray, keys: FloatArray) -> IntArray:
    """``searchsorted(table, keys, 'right')`` computed on sorted keys (cache-friendly)."""
    order = np.argsort(keys)
    out = np.empty(keys.size, dtype=np.int64)
    out[order] = np.searchsorted(table, keys[order], side="right")
    return out


def _sample_suppliers(plan: _Plan, t: int, buyers: IntArray, rng: np.random.Generator) -> IntArray:
    """One supplier draw per entry of ``buyers`` (global firm indices); -1 = no valid draw.

    Three inverse-CDF stages: input segment | buyer segment, location group | (segment, buyer
    group) ∝ W·d^-ζ, firm | (segment, group) ∝ w_s.
    """
    L = plan.n_groups
    Kin = plan.kin_seg.size
    kb = plan.seg[buyers]
    u = rng.random((3, buyers.size))
    pos = np.searchsorted(plan.seg_cum[t], kb + u[0], side="right")  # small table: no sort
    kin = np.clip(pos - kb * Kin, 0, Kin - 1)
    r = kin * L + plan.group[buyers]
    pos = _sorted_search(plan.grp_cum[t], r + u[1])
    g = np.clip(pos - r * L, 0, L - 1)
    cell = plan.kin_seg[kin] * L + g
    lo = plan.cell_start[cell]
    hi = plan.cell_start[cell + 1]
    pos = _sorted_search(plan.cell_cum[t], cell + u[2])
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
    ok = hi > lo
    s = np.where(ok, plan.cell_order[np.minimum(pos, plan.cell_order.size - 1)], -1)
    good = (s >= 0) & (s != buyers)
    good[good] = plan.active[t, s[good]]
    return np.where(good, s, -1)


def _top_k_batch(plan: _Plan, t: int, buyers: IntArray, k: IntArray, ex_b: IntArray, ex_s: IntArray,
                 rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """``k[j]`` distinct suppliers for each ``buyers[j]`` by Gumbel top-k over all candidates.

    Equivalent in distribution to drawing with the three-stage sampler until ``k[j]``
    distinct suppliers are found (successive sampling without replacement; Gumbel-top-k,
    Vieira 2014; Kool, van Hoof & Welling 2019), excluding the pairs (``ex_b``, ``ex_s``).
    Vectorised per buyer segment over a (buyers × candidates) key matrix, O(candidates)
    per buyer; used for buyers the rejection rounds cannot serve cheaply.
    """
    L = plan.n_groups
    out_b: list[IntArray] = []
    out_s: list[IntArray] = []
    kb_all = plan.seg[buyers]
    for kb in np.unique(kb_all).tolist():
        rows = np.flatnonzero(kb_all == kb)
        slots = np.flatnonzero(np.isfinite(plan.log_q[t][kb]))
        if slots.size == 0:
            continue
        ranges = [(int(plan.cell_start[plan.kin_seg[sl] * L]), int(plan.cell_start[(plan.kin_seg[sl] + 1) * L]))
                  for sl in slots]
        cand = np.concatenate([plan.cell_order[a:z] for a, z in ranges])
        slot_of = np.repeat(slots, [z - a for a, z in ranges])
        with np.errstate(divide="ignore"):
            base = plan.log_q[t][kb, slot_of] + np.log(plan.weight[t, cand])
        gc = plan.group[cand]
        pos = np.full(plan.n, -1, dtype=np.int64)
        pos[cand] = np.arange(cand.size)
        step = max(1, (1 << 22) // max(cand.size, 1))
        for lo in range(0, rows.size, step):
            sub = rows[lo:lo + step]
            gb = plan.group[buyers[sub]]
            keys = (base[None, :] + plan.log_decay[gc][:, gb].T - plan.log_z[t][slot_of][:, gb].T
                    + rng.gumbel(size=(sub.size, cand.size)))
            me = pos[buyers[sub]]
            keys[np.arange(sub.size)[me >= 0], me[me >= 0]] = -np.inf
            row_of = np.full(plan.n, -1, dtype=np.int64)
            row_of[buyers[sub]] = np.arange(sub.size)
            sel = (row_of[ex_b] >= 0) & (pos[ex_s] >= 0)
            keys[row_of[ex_b[sel]], pos[ex_s[sel]]] = -np.inf
            kk = k[sub]
            kmax = int(min(kk.max(), cand.size))
            if kmax <= 0:
                continue
            top = np.argpartition(-keys, kmax - 1, axis=1)[:, :kmax]
            tk = np.take_along_axis(keys, top, axis=1)
            order = np.argsort(-tk, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            tk = np.take_along_axis(tk, order, axis=1)
            keep = (np.arange(kmax)[None, :] < kk[:, None]) & np.isfinite(tk)
            r_idx, c_idx = np.nonzero(keep)
            out_b.append(buyers[sub][r_idx])
            out_s.append(cand[top[r_idx, c_idx]])
    if not out_b:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    return np.concatenate(out_b).astype(np.int64), np.concatenate(out_s).astype(np.int64)


def _generate_block(plan: _Plan, block_id: int, seed: int) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """All links (supplier, buyer, year index, value kCNY) of the buyers in one block."""
    b0, b1 = plan.blocks[block_id]
    p = plan.params
    rng = np.random.default_rng([int(seed), 5, block_id])
    out_s: list[IntArray] = []
    out_b: list[IntArray] = []
    out_t: list[IntArray] = []
    out_v: list[FloatArray] = []
    prev_s = np.zeros(0, dtype=np.int64)
    prev_b = np.zeros(0, dtype=np.int64)
    prev_r = np.zeros(0)
    nb = b1 - b0
    for t in range(len(plan.years)):
        m_loc = plan.m[t, b0:b1]
        keep = rng.random(prev_s.size) < plan.keep_p[t]
        if prev_s.size:
            keep &= plan.active[t, prev_s] & plan.active[t, prev_b]
        cur_s, cur_b, cur_r = prev_s[keep], prev_b[keep], prev_r[keep]
        sel = _dedupe(cur_b - b0, cur_s, plan.n, m_loc)
        cur_s, cur_b, cur_r = cur_s[sel], cur_b[sel], cur_r[sel]
        # links dropped by churn are not redrawn this year (else measured churn falls short)
        blk_s, blk_b = prev_s[~keep], prev_b[~keep]
        # buyers that need a sizeable share of their candidates: exact top-k right away
        have = np.bincount(cur_b - b0, minlength=nb)
        deficit = np.maximum(m_loc - have, 0)
        heavy = np.flatnonzero((deficit > 0) & (deficit * _HEAVY_RATIO > plan.n_cand[np.maximum(plan.seg[b0:b1], 0)]))
        if heavy.size:
            new_b, new_s = _top_k_batch(plan, t, b0 + heavy, deficit[heavy], np.concatenate([cur_b, blk_b]),
                                        np.concatenate([cur_s, blk_s]), rng)
            new_r = plan.size[new_s] ** p.value_supplier_exponent * rng.lognormal(0.0, p.value_sigma, new_s.size)
            cur_s = np.concatenate([cur_s, new_s])
            cur_b = np.concatenate([cur_b, new_b])
            cur_r = np.concatenate([cur_r, new_r])
        for round_ in range(_ROUNDS):
            have = np.bincount(cur_b - b0, minlength=nb)
            deficit = np.maximum(m_loc - have, 0)
            if not deficit.any():
                break
            draws = np.where(deficit > 0, np.ceil(deficit * p.oversample * 2.0**round_).astype(np.int64) + 1, 0)
            buyers = np.repeat(np.arange(b0, b1, dtype=np.int64), draws)
            s = _sample_suppliers(plan, t, buyers, rng)
            ok = s >= 0
            new_s, new_b = s[ok], buyers[ok]
            new_r = plan.size[new_s] ** p.value_supplier_exponent * rng.lognormal(0.0, p.value_sigma, new_s.size)
            all_s = np.concatenate([blk_s, cur_s, new_s])
            all_b = np.concatenate([blk_b, cur_b, new_b])
            all_r = np.concatenate([np.zeros(blk_s.size), cur_r, new_r])
            sel = _dedupe(all_b - b0, all_s, plan.n, m_loc, n_block=blk_s.size)
            cur_s, cur_b, cur_r = all_s[sel], all_b[sel], all_r[sel]
        # whoever is still short after the rounds keeps fewer suppliers (reported as a shortfall;
        # an exact top-k here would cost O(candidates) per buyer and dominate at scale)
        if cur_s.size:
            o = np.lexsort((cur_s, cur_b))
            cur_s, cur_b, cur_r = cur_s[o], cur_b[o], cur_r[o]
            tot = np.bincount(cur_b - b0, weights=cur_r, minlength=nb)
            value = plan.budget[t, cur_b] * cur_r / tot[cur_b - b0]
            out_s.append(cur_s)
            out_b.append(cur_b)
            out_t.append(np.full(cur_s.size, t, dtype=np.int64))
            out_v.append(np.round(value, 3))
        prev_s, prev_b, prev_r = cur_s, cur_b, cur_r
    if not out_s:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, np.zeros(0)
    return (np.concatenate(out_s), np.concatenate(out_b), np.concatenate(out_t), np.concatenate(out_v))


def _iter_blocks(plan: _Plan, seed: int) -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
    for block_id in range(len(plan.blocks)):
        yield _generate_block(plan, block_id, seed)


def _to_table(plan: _Plan, s: IntArray, b: IntArray, t: IntArray, v: FloatArray,
              key_of: npt.NDArray[np.int32] | None = None) -> pa.Table:
    years = np.asarray(plan.years, dtype=np.int64)[t]
    cols: dict[str, Any] = {
        "supplier_id": plan.ids.take(pa.array(s)),
        "buyer_id": plan.ids.take(pa.array(b)),
        "year": pa.array(years, type=pa.int64()),
        "value_kcny": pa.array(v, type=pa.float64()),
    }
    if key_of is not None:
        cols[SUPPLIER_KEY] = pa.array(key_of[s], type=pa.int32())
        cols[BUYER_KEY] = pa.array(key_of[b], type=pa.int32())
    return pa.table(cols)


def _rechunk(blocks: Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]], chunk_rows: int
             ) -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
    """Re-cut a stream of blocks into pieces of exactly ``chunk_rows`` rows (last one shorter)."""
    buf: list[tuple[IntArray, IntArray, IntArray, FloatArray]] = []
    have = 0
    for blk in blocks:
        if blk[0].size == 0:
            continue
        buf.append(blk)
        have += int(blk[0].size)
        if have < chunk_rows:
            continue
        s, b, t, v = (np.concatenate([x[i] for x in buf]) for i in range(4))
        off = 0
        while have - off >= chunk_rows:
            sl = slice(off, off + chunk_rows)
            yield s[sl], b[sl], t[sl], v[sl]
            off += chunk_rows
        buf = [(s[off:], b[off:], t[off:], v[off:])] if have > off else []
        have -= off
    if have:
        s, b, t, v = (np.concatenate([x[i] for x in buf]) for i in range(4))
        yield s, b, t, v


def generate_transactions(
    firms: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    n_transactions: int,
    years: Sequence[int],
    seed: int,
    chunk_rows: int = 2_000_000,
    params: SyntheticParams = DEFAULT_PARAMS,
) -> Iterator[pd.DataFrame]:
    """Synthetic supplier -> buyer transactions among ``firms``, in frames of ``chunk_rows`` rows.

    Columns ``tables.TRANSACTIONS`` (value in thousand CNY); about ``n_transactions`` rows
    over ``years`` (≈ 97–99 % of it: fewer when buyers' input segments cannot supply enough
    distinct suppliers within the sampling rounds, or a buyer hits its cap). Every supplier's segment is an input of its buyer's segment in the
    template; (supplier, buyer, year) is unique; no self-loops. Memory is bounded by the
    firm count and ``chunk_rows`` whatever ``n_transactions`` is; the concatenated output
    does not depend on ``chunk_rows``. Model: module docstring.
    """
    _check_common(n_transactions, "n_transactions", seed)
    if chunk_rows < 1:
        raise _bad("arguments", "chunk_rows must be at least 1", column="chunk_rows", value=chunk_rows)
    plan = _build_plan(firms, segments, n_transactions=n_transactions, years=years, seed=seed, params=params)
    for s, b, t, v in _rechunk(_iter_blocks(plan, seed), chunk_rows):
        yield _to_table(plan, s, b, t, v).to_pandas()


# --------------------------------------------------------------------------- calibration

_DIST_EDGES = np.concatenate([[0.0], np.logspace(0.0, 4.0, 81)])  # km; 1 km .. 10,000 km
_PAIR_GRID_DEG = 0.25


class _Calibrator:
    """Streaming accumulator of the calibration statistics (all counters are additive)."""

    def __init__(self, firms: pd.DataFrame, n_years: int, params: SyntheticParams) -> None:
        _require_columns(firms, "firms", ("enterprise_id", "province", "lon", "lat", "leading"))
        self.params = params
        self.n = len(firms)
        self.n_years = n_years
        prov = firms["province"].astype(str).to_numpy(dtype=object)
        codes, _ = pd.factorize(pd.Series(prov, dtype=object))
        self.prov = codes.astype(np.int64)
        self.in_circle = np.isin(prov, np.array(_IN_CIRCLE, dtype=object))
        self.leading = firms["leading"].fillna(False).astype(bool).to_numpy()
        self.lon = firms["lon"].to_numpy(np.float64)
        self.lat = firms["lat"].to_numpy(np.float64)
        self.rows = 0
        self.in_rows = 0
        self.in_same = 0
        self.in_circle_sup = 0
        self.in_value = 0.0
        self.in_same_value = 0.0
        self.lead_value = 0.0
        self.deg_last = np.zeros(self.n, dtype=np.int64)
        self.active = np.zeros((n_years, self.n), dtype=bool)
        self.churn_num = 0
        self.churn_den = 0
        self.hist = np.zeros(_DIST_EDGES.size - 1, dtype=np.int64)
        self.within_km = {50: 0, 100: 0, 300: 0}
        self.dist_value = 0.0
        self.value = 0.0

    def add(self, s: IntArray, b: IntArray, t: IntArray, v: FloatArray) -> None:
        """Account for a batch holding *all* years of its buyers (for the churn statistic)."""
        if s.size == 0:
            return
        self.rows += int(s.size)
        inb = self.in_circle[b]
        same = self.prov[s] == self.prov[b]
        self.in_rows += int(inb.sum())
        self.in_same += int((inb & same).sum())
        self.in_circle_sup += int((inb & self.in_circle[s]).sum())
        self.in_value += float(v[inb].sum())
        self.in_same_value += float(v[inb & same].sum())
        self.lead_value += float(v[inb & self.leading[b]].sum())
        last = t == self.n_years - 1
        self.deg_last += np.bincount(s[last], minlength=self.n)
        for y in range(self.n_years):
            at = t == y
            self.active[y, s[at]] = True
            self.active[y, b[at]] = True
        key = b * np.int64(self.n) + s
        for y in range(self.n_years - 1):
            k0, k1 = key[t == y], key[t == y + 1]
            self.churn_den += int(k0.size)
            self.churn_num += int((~np.isin(k0, k1)).sum())
        d = _haversine_km(self.lon[s], self.lat[s], self.lon[b], self.lat[b])
        self.hist += np.histogram(d, bins=_DIST_EDGES)[0]
        for km in self.within_km:
            self.within_km[km] += int((d <= km).sum())
        self.dist_value += float((d * v).sum())
        self.value += float(v.sum())

    def _tail(self) -> tuple[float, int]:
        """Power-law CCDF exponent of the last year's customer degrees above ``degree_tail_xmin``
        (discrete MLE approximation of Clauset, Shalizi & Newman 2009, eq. 3.7, minus 1)."""
        xmin = self.params.degree_tail_xmin
        x = self.deg_last[self.deg_last >= xmin].astype(np.float64)
        if x.size < 20:
            return float("nan"), int(x.size)
        s = float(np.log(x / (xmin - 0.5)).sum())
        return (float(x.size / s) if s > 0 else float("nan")), int(x.size)

    def _median_km(self) -> float:
        total = self.hist.sum()
        if total == 0:
            return float("nan")
        c = np.cumsum(self.hist)
        i = int(np.searchsorted(c, total / 2.0))
        lo, hi = _DIST_EDGES[i], _DIST_EDGES[i + 1]
        before = c[i - 1] if i else 0
        frac = (total / 2.0 - before) / max(self.hist[i], 1)
        if lo <= 0:
            return float(hi * frac)
        return float(lo * (hi / lo) ** frac)

    def _decay_slope(self) -> float:
        """Naive ζ: slope of log(links / firm pairs) on log distance over 50–2000 km bins."""
        if self.rows == 0 or self.n < 2:
            return float("nan")
        gx = np.floor(self.lon / _PAIR_GRID_DEG)
        gy = np.floor(self.lat / _PAIR_GRID_DEG)
        cells, inv = np.unique(np.stack([gx, gy], axis=1), axis=0, return_inverse=True)
        inv = np.asarray(inv).ravel()
        cnt = np.bincount(inv).astype(np.float64)
        clon = np.bincount(inv, weights=self.lon) / cnt
        clat = np.bincount(inv, weights=self.lat) / cnt
        if cells.shape[0] > 4000:
            return float("nan")
        dd = _haversine_km(clon[:, None], clat[:, None], clon[None, :], clat[None, :])
        pairs = np.outer(cnt, cnt) - np.diag(cnt)
        ph = np.histogram(dd.ravel(), bins=_DIST_EDGES, weights=pairs.ravel())[0]
        mid = np.sqrt(np.maximum(_DIST_EDGES[:-1], 0.5) * _DIST_EDGES[1:])
        use = (mid >= 50) & (mid <= 2000) & (self.hist > 0) & (ph > 0)
        if use.sum() < 3:
            return float("nan")
        y = np.log(self.hist[use] / ph[use])
        x = np.log(mid[use])
        slope = np.polyfit(x, y, 1, w=np.sqrt(self.hist[use]))[0]
        return float(-slope)

    def result(self) -> pd.DataFrame:
        p = self.params
        nan = float("nan")
        share = self.in_same / self.in_rows if self.in_rows else nan
        lead = self.lead_value / self.in_value if self.in_value else nan
        churn = self.churn_num / self.churn_den if self.churn_den else nan
        hill, k = self._tail()
        act = self.active
        entry = exit_ = nan
        if self.n_years > 1:
            prev = act[:-1].sum(axis=1)
            ok = prev > 0
            if ok.any():
                entry = float(np.mean((act[1:] & ~act[:-1]).sum(axis=1)[ok] / prev[ok]))
                exit_ = float(np.mean((act[:-1] & ~act[1:]).sum(axis=1)[ok] / prev[ok]))
        lo, hi = p.target_within_province
        rows: list[tuple[str, str, str, float, float, float, float, str, str]] = [
            ("within_province_share", "省内链接占比", "share of links within the buyer's province",
             share, (lo + hi) / 2, lo, hi,
             "links with supplier province = buyer province / links with buyer in SC or CQ (count)",
             "Belgium 47.5 % within NUTS2 (NBB B2B), chain-methods.md §1.6/§5"),
            ("within_province_value_share", "省内采购额占比", "value share within the buyer's province",
             self.in_same_value / self.in_value if self.in_value else nan, nan, nan, nan,
             "as above, weighted by value_kcny", "information only"),
            ("within_circle_share", "川渝域内链接占比", "share of links within Sichuan+Chongqing",
             self.in_circle_sup / self.in_rows if self.in_rows else nan, nan, nan, nan,
             "links with supplier in SC or CQ / links with buyer in SC or CQ", "information only"),
            ("customer_degree_tail", "客户度尾指数", "customer-degree tail exponent",
             hill, p.target_degree_tail, p.target_degree_tail - p.tolerance_degree_tail,
             p.target_degree_tail + p.tolerance_degree_tail,
             f"power-law MLE (Clauset et al. 2009, discrete approx.) on the {k} customer degrees "
             f"≥ {p.degree_tail_xmin} (distinct buyers per supplier) of the last year",
             "Japan: tail exponent ≈ 1 (Mizuno, Souma, Watanabe, PLoS ONE 2014)"),
            ("leaders_purchase_share", "链主采购额占比", "leaders' share of in-circle purchases",
             lead, p.leader_purchase_share, p.leader_purchase_share - p.tolerance_leader_share,
             p.leader_purchase_share + p.tolerance_leader_share,
             "value bought by leading buyers in SC/CQ / value bought by all buyers in SC/CQ",
             "design target [D] (chain-methods.md §5: 'a large share')"),
            ("link_churn", "年度链接流失率", "share of links gone the next year",
             churn, p.link_churn, p.link_churn - p.tolerance_churn, p.link_churn + p.tolerance_churn,
             "links of year t absent in year t+1 / links of year t (pooled over consecutive years)",
             "Hungary 55 % (arXiv 2503.20594); Japan 7–8 % (Mizuno et al. 2014)"),
            ("firm_entry_rate", "企业进入率", "firm entry rate (firms with transactions)",
             entry, p.entry_rate, nan, nan,
             "firms trading in t but not t-1 / firms trading in t-1 (mean over years); "
             "counts firms without a link in a year as absent",
             "Hungary ≈ 28 %/yr (arXiv 2503.20594); information only"),
            ("firm_exit_rate", "企业退出率", "firm exit rate (firms with transactions)",
             exit_, p.exit_rate, nan, nan,
             "firms trading in t-1 but not t / firms trading in t-1 (mean over years)",
             "Hungary ≈ 25 %/yr (arXiv 2503.20594); information only"),
            ("median_supplier_distance_km", "供应商距离中位数(km)", "median supplier distance (km)",
             self._median_km(), nan, nan, nan,
             "great-circle km, link-weighted, interpolated in 80 log bins", "information only"),
            ("value_weighted_mean_distance_km", "采购额加权平均距离(km)", "value-weighted mean distance (km)",
             self.dist_value / self.value if self.value else nan, nan, nan, nan,
             "Σ value·km / Σ value", "information only"),
            *[
                (f"share_within_{km}km", f"{km}公里内链接占比", f"share of links within {km} km",
                 self.within_km[km] / self.rows if self.rows else nan, nan, nan, nan,
                 "links with supplier–buyer distance ≤ km / links", "information only")
                for km in sorted(self.within_km)
            ],
            ("distance_decay_naive", "距离衰减指数(粗估)", "distance-decay exponent (naive)",
             self._decay_slope(), p.zeta, nan, nan,
             "−slope of log(links/firm pairs) on log km over 50–2000 km bins; ignores segment "
             "compatibility, size and location mix, so it need not equal the model's ζ",
             "information only"),
        ]
        frame = pd.DataFrame(rows, columns=["statistic", "name_zh", "name_en", "value", "target", "low",
                                            "high", "method", "reference"])
        within = ((frame["value"] >= frame["low"]) & (frame["value"] <= frame["high"])).astype("boolean")
        within = within.mask(frame["low"].isna() | frame["value"].isna())
        frame.insert(7, "within_tolerance", within)
        return frame


def calibration(
    firms: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    params: SyntheticParams = DEFAULT_PARAMS,
) -> pd.DataFrame:
    """Measure the calibration statistics of any firm network (synthetic or real).

    ``firms`` needs ``enterprise_id, province, lon, lat, leading``; ``transactions`` the
    ``tables.TRANSACTIONS`` columns. One row per statistic: value, target and tolerance
    (from ``params``; NaN when informational), whether it is within tolerance, the method
    and the reference (chain-methods.md §1.6/§5). Shares are fractions (0–1), distances
    km, values thousand CNY. Unknown supplier/buyer ids raise ValidationError.
    """
    _require_columns(transactions, "transactions", ("supplier_id", "buyer_id", "year", "value_kcny"))
    index = pd.Index(firms["enterprise_id"].astype(str))
    s = index.get_indexer(pd.Index(transactions["supplier_id"].astype(str)))
    b = index.get_indexer(pd.Index(transactions["buyer_id"].astype(str)))
    bad = np.flatnonzero((s < 0) | (b < 0))
    if bad.size:
        row = int(bad[0])
        col = "supplier_id" if s[row] < 0 else "buyer_id"
        raise ValidationError.single("transactions", "id not found in firms", row=row + 2, column=col,
                                     value=transactions[col].iloc[row])
    years = np.sort(transactions["year"].astype(np.int64).unique())
    t = np.searchsorted(years, transactions["year"].astype(np.int64).to_numpy())
    cal = _Calibrator(firms, max(len(years), 1), params)
    cal.add(s.astype(np.int64), b.astype(np.int64), t.astype(np.int64),
            pd.to_numeric(transactions["value_kcny"]).to_numpy(np.float64))
    return cal.result()


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class GenerationReport:
    """What :func:`write_dataset` produced: counts, timings, memory and calibration."""

    root: Path
    seed: int
    years: tuple[int, ...]
    n_firms: int
    n_leaders: int
    n_transactions: int
    n_parts: int
    bytes_written: int
    seconds: float
    seconds_firms: float
    seconds_transactions: float
    peak_rss_bytes: int
    params: SyntheticParams = field(compare=False, repr=False)
    calibration: pd.DataFrame = field(compare=False, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: ``metric, name_zh, name_en, value``."""
        items = [
            ("root", "输出目录", "output directory", str(self.root)),
            ("seed", "随机种子", "seed", self.seed),
            ("years", "年份", "years", ",".join(map(str, self.years))),
            ("n_firms", "企业数", "firms", self.n_firms),
            ("n_leaders", "链主数", "leading enterprises", self.n_leaders),
            ("n_transactions", "交易数", "transactions", self.n_transactions),
            ("n_parts", "Parquet 分片数", "Parquet parts", self.n_parts),
            ("bytes_written", "写入字节", "bytes written", self.bytes_written),
            ("seconds", "总耗时(秒)", "total seconds", round(self.seconds, 3)),
            ("seconds_firms", "企业生成耗时(秒)", "firms seconds", round(self.seconds_firms, 3)),
            ("seconds_transactions", "交易生成耗时(秒)", "transactions seconds",
             round(self.seconds_transactions, 3)),
            ("peak_rss_bytes", "峰值内存(字节)", "peak RSS bytes", self.peak_rss_bytes),
        ]
        return pd.DataFrame(items, columns=["metric", "name_zh", "name_en", "value"])

    def explain(self) -> dict[str, pd.DataFrame]:
        """Intermediate tables: the summary, the calibration and the parameters used."""
        params = pd.DataFrame(
            [(k, repr(v)) for k, v in asdict(self.params).items()], columns=["parameter", "value"]
        )
        return {"summary": self.to_frame(), "calibration": self.calibration, "params": params}


def _embedded(kind: str) -> pd.DataFrame:
    import importlib

    module = importlib.import_module("parklink.datasets.chengyu")
    frame = module.load(kind)
    if not isinstance(frame, pd.DataFrame):
        raise ParklinkError(f"embedded dataset returned no table for {kind!r}")
    return frame


def _optional_embedded(kind: str) -> pd.DataFrame | None:
    try:
        return _embedded(kind)
    except (ParklinkError, FileNotFoundError, ImportError, AttributeError):
        return None


def _peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def write_dataset(
    root: Path,
    *,
    n_firms: int,
    n_transactions: int,
    seed: int,
    years: Sequence[int] = (2021, 2022, 2023),
    progress: bool = True,
    chunk_rows: int = 2_000_000,
    regions: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    leaders: pd.DataFrame | None = None,
    params: SyntheticParams = DEFAULT_PARAMS,
    overwrite: bool = False,
) -> GenerationReport:
    """Generate and write a synthetic firm-level dataset under ``root`` (all or nothing).

    Writes ``root/firms.parquet`` (``tables.ENTERPRISES``) and
    ``root/transactions/part-00000.parquet …`` (``tables.TRANSACTIONS``, ``chunk_rows`` rows
    per part) into a temporary sibling directory renamed into place at the end; on any
    error nothing is left behind. Frames not given come from the embedded dataset
    (``parklink.datasets.chengyu``: regions, chain_segments, parks, leading enterprises).
    Returns a :class:`GenerationReport` with timings, peak RSS (``getrusage``) and the
    :func:`calibration` statistics measured while streaming. The files carry integer firm
    keys (firms sorted by id, ``firm_key``; ``supplier_key``/``buyer_key`` in every part;
    see :mod:`parklink.firmdata`).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    root = Path(root)
    if root.exists() and any(root.iterdir()) and not overwrite:
        raise ValidationError.single(str(root), "output directory exists and is not empty "
                                     "(输出目录非空); choose another or allow overwrite")
    regions = _embedded("regions") if regions is None else regions
    segments = _embedded("chain_segments") if segments is None else segments
    parks = _optional_embedded("parks") if parks is None else parks
    if leaders is None:
        ent = _optional_embedded("enterprises")
        leaders = ent[ent["leading"].fillna(False).astype(bool)] if ent is not None and "leading" in ent else None
    years = tuple(int(y) for y in years)
    t0 = time.perf_counter()
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        firms = generate_firms(regions, segments, n_firms=n_firms, seed=seed, parks=parks,
                               leaders=leaders, params=params)
        keyed_firms, key_of, fingerprint = key_firms(firms)
        pq.write_table(with_keys_metadata(pa.Table.from_pandas(keyed_firms, preserve_index=False),
                                          fingerprint), tmp / "firms.parquet")
        t1 = time.perf_counter()
        _check_common(n_transactions, "n_transactions", seed)
        if chunk_rows < 1:
            raise _bad("arguments", "chunk_rows must be at least 1", column="chunk_rows", value=chunk_rows)
        plan = _build_plan(firms, segments, n_transactions=n_transactions, years=years, seed=seed,
                           params=params)
        cal = _Calibrator(firms, len(years), params)
        (tmp / "transactions").mkdir()
        expected = int(plan.m.sum())
        n_rows = 0
        n_parts = 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, disable=not progress, transient=False) as bar:
            task = bar.add_task("交易 transactions", total=expected)

            def observed() -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
                for blk in _iter_blocks(plan, seed):
                    cal.add(*blk)
                    bar.advance(task, int(blk[0].size))
                    yield blk

            for s, b, t, v in _rechunk(observed(), chunk_rows):
                pq.write_table(with_keys_metadata(_to_table(plan, s, b, t, v, key_of), fingerprint),
                               tmp / "transactions" / f"part-{n_parts:05d}.parquet")
                n_parts += 1
                n_rows += int(s.size)
            bar.update(task, completed=expected)
        if n_parts == 0:
            empty = pa.table({c: pa.array([], type=ty) for c, ty in (
                ("supplier_id", pa.string()), ("buyer_id", pa.string()), ("year", pa.int64()),
                ("value_kcny", pa.float64()), (SUPPLIER_KEY, pa.int32()), (BUYER_KEY, pa.int32()))})
            pq.write_table(with_keys_metadata(empty, fingerprint),
                           tmp / "transactions" / "part-00000.parquet")
            n_parts = 1
        t2 = time.perf_counter()
        written = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
        if root.exists():
            old = root.with_name(f".{root.name}.old-{os.getpid()}")
            root.rename(old)
            tmp.rename(root)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return GenerationReport(
        root=root, seed=int(seed), years=years, n_firms=len(firms),
        n_leaders=int(firms["leading"].sum()), n_transactions=n_rows, n_parts=n_parts,
        bytes_written=written, seconds=t2 - t0, seconds_firms=t1 - t0, seconds_transactions=t2 - t1,
        peak_rss_bytes=_peak_rss_bytes(), params=params, calibration=cal.result(),
    )
