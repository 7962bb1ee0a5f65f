"""Investment targets, chain-leader supplier maps, replacements and Sichuan↔Chongqing flows of
the chain diagnosis (pandas finishing of the materialised aggregates).

Called by :func:`parklink.chains.diagnosis.diagnose`; formulas in ``docs/chains.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from parklink.chains import queries as q
from parklink.chains.metrics import _ratio
from parklink.chains.rules import (
    TargetWeights,
)
from parklink.chains.scope import Scope
from parklink.chains.target_model import TargetModel


def _centre(scope: Scope, fallback: tuple[float, float]) -> tuple[float, float]:
    if scope.lon is not None and scope.lat is not None:
        return scope.lon, scope.lat
    return fallback


def _targets(con: Any, fs: Any, core: Any, member: Any, sales: Any, gaps: pd.DataFrame,
             scopes: tuple[Scope, ...], weights: TargetWeights, top_n: int,
             pool: int | None, model: TargetModel | None = None,
             activity: Any = None) -> pd.DataFrame:
    """Ranked investment targets of every gap: the learned score of ``model`` when given
    (activity features from ``activity``), else the expert ``weights`` (the named baseline
    ``hand_weights``). Column ``ranking`` records which (``learned:<version>`` or ``hand``)."""
    cols = ["scope_id", "segment_id", "rank", "enterprise_id", "province", "park_id",
            "adcode", "score", "into", "distance_km", "output", "tie", "f_value", "f_fit",
            "f_distance", "f_size", "f_tie", "reason", "ranking"]
    if gaps.empty or top_n <= 0:
        return pd.DataFrame(columns=cols)
    centres = _scope_centres(con, fs, member, scopes)
    pairs = gaps[["scope_id", "segment_id"]].drop_duplicates().copy()
    pairs = pairs.reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs), dtype="int64")
    pairs["lon"] = pairs["scope_id"].map(lambda s: centres[s][0])
    pairs["lat"] = pairs["scope_id"].map(lambda s: centres[s][1])
    pairs["exclude_id"] = ""
    w = {"value": weights.value, "fit": weights.fit, "distance": weights.distance,
         "size": weights.size, "tie": weights.tie}
    expr = q.ranked_candidates(fs, core, member, sales, pairs, exclude_members=True,
                               circle_only=False, weights=w,
                               distance_km0=weights.distance_km0, top_n=top_n, pool=pool,
                               learned=model.raw_weights() if model is not None else None,
                               activity=activity, homes={s.scope_id: s.home_province for s in scopes})
    t = con.execute(expr)
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.merge(pairs[["key", "segment_id"]], on="key")
    t["reason"] = _reasons(t, weights)
    if model is not None:
        t["reason"] = _learned_reasons(t, model) + t["reason"].str.split("; ", n=1).str[1].fillna("")
    t["ranking"] = f"learned:{model.version}" if model is not None else "hand"
    out: pd.DataFrame = t[cols].sort_values(["scope_id", "segment_id", "rank"])
    return out.reset_index(drop=True)


def _scope_centres(con: Any, fs: Any, member: Any,
                   scopes: tuple[Scope, ...]) -> dict[str, tuple[float, float]]:
    """The scope's point, or the mean location of its firms; NaN when it has none
    (candidates then get ``f_distance = 0``)."""
    need = [s for s in scopes if s.lon is None or s.lat is None]
    out = {s.scope_id: (float(s.lon), float(s.lat)) for s in scopes
           if s.lon is not None and s.lat is not None}
    if need:
        from ibis import _

        j = fs.join(member, "enterprise_id")
        m = con.execute(j.group_by("scope_id").aggregate(lon=_.lon.mean(), lat=_.lat.mean()))
        got = m.set_index("scope_id")
        for s in need:
            if s.scope_id in got.index:
                out[s.scope_id] = (float(got.at[s.scope_id, "lon"]),
                                   float(got.at[s.scope_id, "lat"]))
            else:
                out[s.scope_id] = (float("nan"), float("nan"))
    return out


_FACTORS = ("value", "tie", "distance", "size", "fit")


def _learned_reasons(t: pd.DataFrame, model: TargetModel) -> pd.Series:
    """``学习排序主因 learned top factor: <feature>; ``: the feature whose contribution
    ``w_j·(x_j − training mean_j)`` is largest for the row."""
    w = model.raw_weights()
    mean = dict(zip(model.ranker.features, model.ranker.mean, strict=True))
    x = {
        "log_size": np.log1p(np.maximum(t["output"].to_numpy(dtype=float), 0.0)),
        "log_degree_last": np.log1p(t["deg_last"].to_numpy(dtype=float)),
        "active_last": t["active_last"].to_numpy(dtype=float),
        "log_distance": np.log(np.maximum(np.nan_to_num(t["distance_km"].to_numpy(dtype=float),
                                                        nan=20000.0), 10.0)),
        "segment_fit": t["f_fit"].to_numpy(dtype=float),
    }
    names = [f for f in model.ranker.features if f in x]
    contrib = np.column_stack([w[f] * (x[f] - mean[f]) for f in names])
    top = [names[i] for i in np.argmax(contrib, axis=1).tolist()]
    return pd.Series([f"学习排序主因 learned top factor: {f}; " for f in top], index=t.index, dtype=object)


def _reasons(t: pd.DataFrame, w: TargetWeights) -> pd.Series:
    """Reason strings: the top contributing factor (first of value, tie, distance, size,
    fit on a tie), then the evidence. Values are rounded to 1e-6 before formatting, so a
    sum that differs in its last bits (parallel summation order) prints the same."""
    contrib = np.column_stack([
        w.value * t["f_value"].to_numpy(dtype=float), w.tie * t["f_tie"].to_numpy(dtype=float),
        w.distance * t["f_distance"].to_numpy(dtype=float),
        w.size * t["f_size"].to_numpy(dtype=float), w.fit * t["f_fit"].to_numpy(dtype=float)])
    top = [_FACTORS[i] for i in np.argmax(contrib, axis=1).tolist()]

    def rounded(col: str) -> list[float]:  # Python floats format faster than numpy scalars
        values: list[float] = np.round(t[col].to_numpy(dtype=float), 6).tolist()
        return values

    into, dist, out, fit = (rounded(c) for c in ("into", "distance_km", "output", "f_fit"))
    tie = (t["tie"].to_numpy() > 0).tolist()
    text: list[str] = []
    for f, v, k, d, o, g in zip(top, into, tie, dist, out, fit, strict=True):
        parts = [f"主因 top factor: {f}; "]
        if v > 0:
            vs = f"{v:,.0f}"
            parts.append(f"已向本范围销售 {vs} 千元 / sold {vs} k CNY into the scope; ")
        if k:
            parts.append("已供应本范围链主 / already supplies a chain leader here; ")
        if d == d:  # not NaN
            ds = f"{d:.0f}"
            parts.append(f"距离 {ds} km / {ds} km away; ")
        os_, gs = f"{o:.0f}", f"{g:.2f}"
        parts.append(f"产值 {os_} 百万元 / output {os_} m CNY; 环节匹配 {gs} / segment fit {gs}")
        text.append("".join(parts))
    return pd.Series(text, index=t.index, dtype=object)


def _leader_maps(lsup: pd.DataFrame, sourcing: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    pcols = ["scope_id", "buyer_id", "n_suppliers", "value_kcny", "local_share_scope",
             "local_share_province", "local_share_circle", "distance_mean_km",
             "distance_median_km", "share_within_50km", "share_within_100km",
             "share_within_300km", "n_single_supplier_segments"]
    dcols = ["scope_id", "buyer_id", "segment_id", "supplier_id", "value_kcny",
             "supplier_in_scope", "supplier_in_circle"]
    if lsup.empty:
        return pd.DataFrame(columns=pcols), pd.DataFrame(columns=dcols)
    d = lsup.copy()
    d["v_scope"] = d["value"] * d["in_scope"]
    d["v_prov"] = d["value"] * d["same_prov"]
    d["v_circle"] = d["value"] * d["in_circle"]
    known = d["distance_km"].notna()
    d["v_known"] = d["value"] * known
    d["vd"] = d["value"] * d["distance_km"].fillna(0.0)
    for km in (50, 100, 300):
        d[f"v{km}"] = d["value"] * (d["distance_km"] <= km)
    g = d.groupby(["scope_id", "buyer_id"]).agg(
        n_suppliers=("supplier_id", "nunique"), value_kcny=("value", "sum"),
        v_scope=("v_scope", "sum"), v_prov=("v_prov", "sum"), v_circle=("v_circle", "sum"),
        v_known=("v_known", "sum"), vd=("vd", "sum"), v50=("v50", "sum"),
        v100=("v100", "sum"), v300=("v300", "sum"))
    g["local_share_scope"] = _ratio(g["v_scope"], g["value_kcny"])
    g["local_share_province"] = _ratio(g["v_prov"], g["value_kcny"])
    g["local_share_circle"] = _ratio(g["v_circle"], g["value_kcny"])
    g["distance_mean_km"] = _ratio(g["vd"], g["v_known"])
    for km in (50, 100, 300):
        g[f"share_within_{km}km"] = _ratio(g[f"v{km}"], g["v_known"])
    g["distance_median_km"] = _weighted_medians(d[known], ["scope_id", "buyer_id"],
                                                "distance_km", "value").reindex(g.index)
    deps = sourcing[sourcing["n_sup"] == 1].rename(columns={"s_seg": "segment_id",
                                                            "value": "value_kcny"})
    deps = deps.assign(supplier_in_scope=deps["n_local"] > 0,
                       supplier_in_circle=deps["sup_in_circle"] > 0)[dcols]
    nd = deps.groupby(["scope_id", "buyer_id"]).size()
    g["n_single_supplier_segments"] = nd.reindex(g.index).fillna(0).astype(int)
    prof = g.reset_index()[pcols]
    return prof, deps.sort_values(["scope_id", "buyer_id", "segment_id"]).reset_index(drop=True)


def _weighted_medians(d: pd.DataFrame, keys: list[str], col: str, w: str) -> pd.Series:
    """Weighted median per group: the smallest value whose cumulative weight reaches half."""
    s = d.sort_values([*keys, col])
    cum = s.groupby(keys)[w].cumsum()
    tot = s.groupby(keys)[w].transform("sum")
    hit = s[cum >= tot / 2]
    return hit.groupby(keys)[col].first()


def _replacements(con: Any, fs: Any, member: Any, deps: pd.DataFrame, core: Any,
                  weights: TargetWeights, n: int, pool: int | None) -> pd.DataFrame:
    cols = ["scope_id", "buyer_id", "segment_id", "current_supplier", "rank", "enterprise_id",
            "province", "park_id", "distance_km", "output", "score"]
    if deps.empty or n <= 0:
        return pd.DataFrame(columns=cols)
    ids = sorted(set(deps["buyer_id"]))
    loc = con.execute(core.filter(core.enterprise_id.isin(ids)).select(
        "enterprise_id", "lon", "lat")).set_index("enterprise_id")
    pairs = deps[["scope_id", "buyer_id", "segment_id", "supplier_id"]].copy()
    pairs = pairs.reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs), dtype="int64")
    pairs["lon"] = pairs["buyer_id"].map(loc["lon"]).astype(float)
    pairs["lat"] = pairs["buyer_id"].map(loc["lat"]).astype(float)
    pairs = pairs.rename(columns={"supplier_id": "exclude_id"})
    w = {"value": 0.0, "fit": weights.fit, "distance": weights.distance, "size": weights.size,
         "tie": 0.0}
    expr = q.ranked_candidates(fs, core, member, None, pairs[["key", "scope_id", "segment_id",
                                                               "lon", "lat", "exclude_id"]],
                               exclude_members=False, circle_only=True, weights=w,
                               distance_km0=weights.distance_km0, top_n=n, pool=pool)
    t = con.execute(expr.select("key", "rank", "enterprise_id", "province", "park_id",
                                "distance_km", "output", "score"))
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = t.merge(pairs[["key", "scope_id", "buyer_id", "segment_id", "exclude_id"]], on="key")
    t = t.rename(columns={"exclude_id": "current_supplier"})
    out: pd.DataFrame = t[cols].sort_values(["scope_id", "buyer_id", "segment_id", "rank"])
    return out.reset_index(drop=True)


def _flows(f: pd.DataFrame, tpl: pd.DataFrame) -> pd.DataFrame:
    cols = ["year", "direction", "cross_border", "chain", "segment_id", "value_kcny", "n_tx",
            "growth"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    chain_of = tpl.set_index("segment_id")["chain"]
    out = f.rename(columns={"s_seg": "segment_id", "value": "value_kcny"}).copy()
    out["chain"] = out["segment_id"].map(chain_of)
    fallback = out["segment_id"].astype("string").str.split(".").str[0]
    out["chain"] = out["chain"].fillna(fallback).fillna("unassigned")
    out["segment_id"] = out["segment_id"].fillna("unassigned")
    out["direction"] = out["s_prov"] + "→" + out["b_prov"]
    out["cross_border"] = out["s_prov"] != out["b_prov"]
    out = out.groupby(["direction", "cross_border", "chain", "segment_id", "year"],
                      as_index=False).agg(value_kcny=("value_kcny", "sum"), n_tx=("n_tx", "sum"))
    out = out.sort_values(["direction", "chain", "segment_id", "year"]).reset_index(drop=True)
    prev = out.groupby(["direction", "chain", "segment_id"])["value_kcny"].shift(1)
    prev_year = out.groupby(["direction", "chain", "segment_id"])["year"].shift(1)
    ok = prev_year == out["year"] - 1
    out["growth"] = np.where(ok & (prev > 0), out["value_kcny"] / prev - 1.0, np.nan)
    return out[cols]
