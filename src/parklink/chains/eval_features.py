"""Candidate features of the investment-target ranking for one period (招商目标排序特征).

A query is a (scope *R*, segment *k*) pair; its candidates are the firms assigned to *k*
outside *R*. For a period ending before year *t* (links with ``year < t`` only) every
candidate *s* gets the features below — **all a ranker sees** (no hidden generator state):

======================  ===========================================================
``log_size``            log(1 + output, million CNY)
``log_degree_last``     log(1 + distinct buyers of s in year t − 1)
``active_last``         1 when s appears in any transaction of year t − 1
``log_distance``        log(max(distance from s to the scope point, 10 km))
``segment_fit``         1 / number of segments s is assigned to
``same_province``       1 when s lies in the scope's home province
``in_circle``           1 when s lies in Sichuan or Chongqing
======================  ===========================================================

Every model feature looks back one year only, so it means the same in the fitting period
(history = year *T*−2 only on three years of data) and in the test period. Two more columns
serve the baselines: ``log_degree`` (distinct buyers in all years < t; popularity by degree)
and ``new_buyers_last`` (log(1 + buyers of s in t − 1 it did not supply before t − 1); "last
period").

Labels: 1 when *s* sells to a buyer in *R* in year *t* and in no year before (new links);
firms that sold into *R* before *t* are already linked and leave the list. Both sets come
from :func:`parklink.rankeval.split.time_split` on the scope-level links (query = *R*,
item = the supplier outside *R*), the same rule every evaluation uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from parklink.chains.scope import Scope
from parklink.datasets.synthetic.common import _haversine_km
from parklink.rankeval.split import time_split
from parklink.tables import split_list
from parklink.vocab import RANKEVAL_FEATURE_NAMES

#: The features in model order, with bilingual names (``parklink.vocab``; shown by ``explain``).
FEATURES: dict[str, tuple[str, str]] = dict(RANKEVAL_FEATURE_NAMES)


def firm_segments(firms: pd.DataFrame) -> pd.DataFrame:
    """(enterprise_id, segment_id, n_segments) for every firm's listed segments."""
    ids = firms["enterprise_id"].astype(str).to_numpy()
    rows: list[tuple[str, str, int]] = []
    for e, cell in zip(ids, firms["segments"].to_numpy(dtype=object), strict=True):
        segs = split_list(cell)
        rows.extend((e, s, len(segs)) for s in segs)
    return pd.DataFrame(rows, columns=["enterprise_id", "segment_id", "n_segments"])


def scope_members(firms: pd.DataFrame, scopes: Sequence[Scope]) -> dict[str, set[str]]:
    """Scope id → ids of the firms inside it (province, adcode or park id; docs/chains.md)."""
    ids = firms["enterprise_id"].astype(str)
    return {s.scope_id: set(ids[s.contains_mask(firms)]) for s in scopes}


def period_candidates(firms: pd.DataFrame, segs: pd.DataFrame, tx: pd.DataFrame,
                      scopes: Sequence[Scope], members: dict[str, set[str]], year: int,
                      *, only_with_positives: bool = True) -> pd.DataFrame:
    """Candidates with features and labels for predicting the new links of ``year``.

    Columns: ``query_id`` (``scope_id|segment_id``), ``scope_id``, ``segment_id``,
    ``item_id`` (the firm), the :data:`FEATURES`, ``label``, ``hand_score`` (the expert
    weights of ``TargetWeights`` on the same candidate: for a new link the value and tie terms
    are 0, so ``0.15·fit + 0.15·exp(−d/300) + 0.15·log(1+output)/max``) and ``cold`` (no
    transaction before ``year``). With ``only_with_positives`` only queries with a new link in
    ``year`` are built (the others cannot be evaluated or learned from).
    """
    f = firms.assign(enterprise_id=firms["enterprise_id"].astype(str)).set_index("enterprise_id")
    past = tx[tx["year"] < year]
    last = tx[tx["year"] == year - 1]
    deg = past.groupby("supplier_id")["buyer_id"].nunique()
    deg_last = last.groupby("supplier_id")["buyer_id"].nunique()
    before_last = tx[tx["year"] < year - 1][["supplier_id", "buyer_id"]].drop_duplicates()
    nl = last[["supplier_id", "buyer_id"]].drop_duplicates().merge(
        before_last.assign(_x=1), on=["supplier_id", "buyer_id"], how="left")
    new_last = nl[nl["_x"].isna()].groupby("supplier_id").size()
    active = set(last["supplier_id"]) | set(last["buyer_id"])
    seen = set(past["supplier_id"]) | set(past["buyer_id"])
    upto = tx[tx["year"] <= year]
    out: list[pd.DataFrame] = []
    for sc in scopes:
        inside = members[sc.scope_id]
        # scope-level links (scope R ← supplier s outside R selling to a buyer in R), split by
        # the generic rule: already linked = linked before `year`; positives = new in `year`
        into = upto[upto["buyer_id"].isin(inside) & ~upto["supplier_id"].isin(inside)]
        split = time_split(pd.DataFrame({"query_id": sc.scope_id, "item_id": into["supplier_id"].to_numpy(),
                                         "year": into["year"].to_numpy()}), year, target="new")
        linked = set(split.already_linked["item_id"])
        pos = set(split.positives["item_id"])
        c = segs[~segs["enterprise_id"].isin(inside) & ~segs["enterprise_id"].isin(linked)]
        c = c.assign(label=c["enterprise_id"].isin(pos).astype(float))
        if only_with_positives:
            keep = c.groupby("segment_id")["label"].transform("max") > 0
            c = c[keep]
        if c.empty:
            continue
        lon, lat = _centre(sc, f, inside)
        e = c["enterprise_id"]
        fe = f.reindex(e)
        dist = _haversine_km(fe["lon"].to_numpy(float), fe["lat"].to_numpy(float), lon, lat)
        dist = np.where(np.isfinite(dist), dist, np.nanmax(dist) if np.isfinite(dist).any() else 1000.0)
        size = pd.to_numeric(fe["output_cny_m"], errors="coerce").fillna(0.0).to_numpy(float)
        home = sc.home_province
        frame = pd.DataFrame({
            "query_id": sc.scope_id + "|" + c["segment_id"].to_numpy(),
            "scope_id": sc.scope_id, "segment_id": c["segment_id"].to_numpy(),
            "item_id": e.to_numpy(), "label": c["label"].to_numpy(),
            "log_size": np.log1p(size),
            "log_degree": np.log1p(e.map(deg).fillna(0.0).to_numpy(float)),
            "log_degree_last": np.log1p(e.map(deg_last).fillna(0.0).to_numpy(float)),
            "new_buyers_last": np.log1p(e.map(new_last).fillna(0.0).to_numpy(float)),
            "active_last": e.isin(active).to_numpy(float),
            "log_distance": np.log(np.maximum(dist, 10.0)),
            "segment_fit": 1.0 / c["n_segments"].to_numpy(float),
            "same_province": (fe["province"].astype(str).to_numpy() == home).astype(float)
            if home else np.zeros(len(c)),
            "in_circle": fe["province"].astype(str).isin(["SC", "CQ"]).to_numpy(float),
            "cold": (~e.isin(seen)).to_numpy(),
            "distance_km": dist, "output_cny_m": size,
        })
        out.append(frame)
    if not out:
        return pd.DataFrame(columns=["query_id", "scope_id", "segment_id", "item_id", "label",
                                     *FEATURES, "cold", "distance_km", "output_cny_m", "hand_score"])
    allc = pd.concat(out, ignore_index=True)
    ls = np.log1p(allc["output_cny_m"].to_numpy(float))
    mx = allc.groupby("query_id")["log_size"].transform("max").to_numpy(float)
    allc["hand_score"] = (0.15 * allc["segment_fit"] + 0.15 * np.exp(-allc["distance_km"] / 300.0)
                          + 0.15 * np.where(mx > 0, ls / np.where(mx > 0, mx, 1.0), 0.0))
    return allc


def _centre(sc: Scope, f: pd.DataFrame, inside: set[str]) -> tuple[float, float]:
    """The scope's point, else the mean location of its firms (as the diagnosis does)."""
    if sc.lon is not None and sc.lat is not None:
        return float(sc.lon), float(sc.lat)
    sub: Any = f.loc[f.index.isin(inside), ["lon", "lat"]]
    if len(sub):
        return float(sub["lon"].mean()), float(sub["lat"].mean())
    return float("nan"), float("nan")
