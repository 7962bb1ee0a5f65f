# ruff: noqa: N806  (matrix names follow the maths: K, L, W, Z, ...)
"""Synthetic firm population (:func:`generate_firms`).

Part of :mod:`parklink.datasets.synthetic` (the model is described there)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parklink import tables
from parklink.datasets.synthetic.common import (
    _IN_CIRCLE,
    CORE_POINTS,
    DEFAULT_PARAMS,
    OUT_CITIES,
    FloatArray,
    IntArray,
    SyntheticParams,
    _bad,
    _check_common,
    _haversine_km,
    _parse_template,
    _require_columns,
    _Template,
)
from parklink.tables import split_list as _split_list

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
