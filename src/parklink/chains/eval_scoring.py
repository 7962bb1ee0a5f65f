"""Scoring of the investment-target evaluation: every method and baseline ranks the same
candidates of each gap, metrics per gap (vectorised) and their summary.

Part of :mod:`parklink.chains.evaluation` (protocol there; formulas in ``docs/chains.md``).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.chains.eval_metrics import METHODS, METRICS, NEGATIVES, FloatArray
from parklink.chains.relatedness import Relatedness

# --------------------------------------------------------------------------- scoring


def _gap_seed(seed: int, scope_id: str, segment_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"{scope_id}\x1f{segment_id}".encode())])


def _city_density(cand: pd.DataFrame, rel: Relatedness | None) -> FloatArray:
    """ω(city of the candidate, k) for every candidate row; no circle city -> mean over cities."""
    if rel is None:
        return np.zeros(len(cand), dtype=np.float64)
    dens = rel.density
    long = pd.DataFrame(dens.stack()).reset_index()
    long.columns = pd.Index(["city", "segment_id", "w"])
    city = cand["adcode"].astype("string").str.slice(0, 4) + "00"
    key = pd.DataFrame({"city": city.astype(object).to_numpy(),
                        "segment_id": cand["segment_id"].astype(str).to_numpy()})
    long["city"] = long["city"].astype(str)
    long["segment_id"] = long["segment_id"].astype(str)
    w = key.merge(long, on=["city", "segment_id"], how="left")["w"].to_numpy(dtype=np.float64)
    mean = key["segment_id"].map(dens.mean(axis=0)).astype(float).fillna(0.0)
    out: FloatArray = np.where(np.isnan(w), mean.to_numpy(dtype=np.float64), w)
    return out


def _fast_metrics(labels: FloatArray, n_pos: int, ks: tuple[int, ...],
                  disc: FloatArray, idcg: FloatArray) -> list[tuple[str, int | None, float]]:
    """Every metric of one complete list (same formulas as the public functions, which the
    tests compare against; no input checks). ``disc[i] = 1/log2(i + 2)`` and ``idcg`` its
    cumulative sum, precomputed (extended here when too short)."""
    n = labels.size
    if disc.size < max(n, max(ks), n_pos):
        disc = 1.0 / np.log2(np.arange(2, max(n, max(ks), n_pos) + 2))
        idcg = np.cumsum(disc)
    hits = np.cumsum(labels)
    prec = hits / np.arange(1, n + 1)
    ap_terms = np.cumsum(prec * labels)
    dcg = np.cumsum(labels * disc[:n])
    out: list[tuple[str, int | None, float]] = []
    for k in ks:
        h = float(hits[min(k, n) - 1])
        out.append(("precision", k, h / k))
        out.append(("recall", k, h / n_pos))
        out.append(("map", k, float(ap_terms[min(k, n) - 1]) / min(k, n_pos)))
        out.append(("ndcg", k, float(dcg[min(k, n) - 1]) / float(idcg[min(k, n_pos) - 1])))
    out.append(("auc_pr", None, float(ap_terms[-1]) / n_pos))
    n_neg = n - float(labels.sum())
    if n_neg > 0:
        neg_below = n_neg - np.cumsum(1.0 - labels)
        out.append(("auc_roc", None, float((neg_below * labels).sum()) / (n_pos * n_neg)))
    else:
        out.append(("auc_roc", None, float("nan")))
    return out


def _scores(method: str, cols: dict[str, FloatArray], lo: int, hi: int) -> FloatArray:
    """Scores of one method over one gap's candidates (higher first; ties -> tie-break)."""
    if method == "random":
        return np.zeros(hi - lo, dtype=np.float64)
    return cols[method][lo:hi]


def _score_gaps(gaps: pd.DataFrame, cand: pd.DataFrame, pos: pd.DataFrame, past: pd.DataFrame,
                degree: pd.Series, rel: Relatedness | None, methods: list[str],
                ks: tuple[int, ...], target: str, ratio: int,
                seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # candidate features, vectorised over every gap
    c = cand.copy()
    c["scope_id"] = c["scope_id"].astype(str)
    c["segment_id"] = c["segment_id"].astype(str)
    pl = past[["scope_id", "enterprise_id", "value_last"]].astype(
        {"scope_id": str, "enterprise_id": str})
    c = c.merge(pl, on=["scope_id", "enterprise_id"], how="left")
    n_ranked = c.groupby(["scope_id", "segment_id"]).size()
    if target == "new":  # firms that already sold into the scope cannot form a new link
        c = c[c["value_last"].isna()]
    c["value_last"] = c["value_last"].astype(float).fillna(0.0)
    pk = pos[["scope_id", "segment_id", "enterprise_id"]].astype(str).assign(label=1.0)
    c = c.merge(pk, on=["scope_id", "segment_id", "enterprise_id"], how="left")
    c["label"] = c["label"].fillna(0.0)
    c["degree"] = c["enterprise_id"].map(degree).astype(float).fillna(0.0)
    c["relatedness"] = _city_density(c, rel)
    c = c.sort_values(["scope_id", "segment_id", "rank"]).reset_index(drop=True)
    dist: FloatArray = np.asarray(c["distance_km"].astype(float), dtype=np.float64)
    cols: dict[str, FloatArray] = {
        "model": -np.asarray(c["rank"], dtype=np.float64),
        "popularity_size": np.asarray(c["output"].astype(float).fillna(0.0), dtype=np.float64),
        "popularity_degree": np.asarray(c["degree"], dtype=np.float64),
        "distance": np.asarray(np.where(np.isnan(dist), -np.inf, -dist), dtype=np.float64),
        "relatedness": np.asarray(c["relatedness"], dtype=np.float64),
        "autocorrelation": np.asarray(c["value_last"], dtype=np.float64),
    }
    label = c["label"].to_numpy(dtype=np.float64)
    ids = c["enterprise_id"].to_numpy()
    ranks = {m: np.zeros(len(c), dtype=np.int64) for m in methods}
    spans = c.groupby(["scope_id", "segment_id"], sort=False).indices
    n_pos_of = pos.astype({"scope_id": str, "segment_id": str}).groupby(
        ["scope_id", "segment_id"]).size()
    longest = max([len(v) for v in spans.values()] + list(ks)) + int(
        n_pos_of.max() if len(n_pos_of) else 0)
    disc = 1.0 / np.log2(np.arange(2, longest + 2))
    idcg = np.cumsum(disc)

    rows: list[tuple[Any, ...]] = []
    neg_rows: list[tuple[str, str, str, str]] = []
    gap_rows: list[dict[str, Any]] = []
    for g in gaps.itertuples(index=False):
        key = (str(g.scope_id), str(g.segment_id))
        idx = spans.get(key, np.array([], dtype=np.intp))
        lo, hi = (int(idx[0]), int(idx[-1]) + 1) if len(idx) else (0, 0)
        n_c = hi - lo
        n_pos = int(n_pos_of.get(key, 0))
        lab = label[lo:hi]
        n_in = int(lab.sum())
        gap_rows.append({
            "scope_id": key[0], "chain": g.chain, "segment_id": key[1], "name_zh": g.name_zh,
            "name_en": g.name_en, "gap_type": g.gap_type, "action": g.action,
            "n_ranked": int(n_ranked.get(key, 0)), "n_candidates": n_c, "n_positives": n_pos,
            "n_positives_ranked": n_in, "base_rate": n_pos / n_c if n_c else np.nan,
            "evaluated": n_pos > 0 and n_c > 0})
        if n_pos == 0 or n_c == 0:
            continue
        rng = _gap_seed(seed, *key)
        tiebreak = rng.permutation(n_c).astype(np.float64)
        n_missing = n_pos - n_in  # positives the list lacks go last
        tail = np.ones(n_missing)
        neg_idx = np.flatnonzero(lab == 0)
        pos_idx = np.flatnonzero(lab == 1)
        m = int(min(neg_idx.size, ratio * n_pos))
        hard = _hard_negatives(dist[lo:hi], pos_idx, neg_idx, m)
        rand = (np.sort(rng.choice(neg_idx, size=m, replace=False)) if m
                else np.array([], dtype=np.intp))
        neg_rows.extend((key[0], key[1], "random", str(ids[lo + i])) for i in rand)
        neg_rows.extend((key[0], key[1], "hard", str(ids[lo + i])) for i in hard)
        keep = {"all": np.ones(n_c, dtype=bool)}
        for name, sub in (("random", rand), ("hard", hard)):
            mask = np.zeros(n_c, dtype=bool)
            mask[pos_idx] = True
            mask[sub] = True
            keep[name] = mask
        for meth in methods:
            order = np.lexsort((tiebreak, -_scores(meth, cols, lo, hi)))
            r = np.empty(n_c, dtype=np.int64)
            r[order] = np.arange(1, n_c + 1)
            ranks[meth][lo:hi] = r
            for neg, mask in keep.items():
                labels = np.concatenate([lab[order][mask[order]], tail])
                for metric, k, value in _fast_metrics(labels, n_pos, ks, disc, idcg):
                    rows.append((key[0], key[1], meth, neg, metric, k, value, labels.size,
                                 n_pos))
    per_gap = pd.DataFrame(rows, columns=["scope_id", "segment_id", "method", "negatives",
                                          "metric", "k", "value", "n_list", "n_positives"])
    per_gap["k"] = per_gap["k"].astype("Int64")
    for meth in methods:
        c[f"rank_{meth}"] = ranks[meth]
    evaluated = {(r["scope_id"], r["segment_id"]) for r in gap_rows if r["evaluated"]}
    sel = pd.MultiIndex.from_frame(c[["scope_id", "segment_id"]].astype(object)).isin(
        sorted(evaluated))
    cand_out = c[sel].reset_index(drop=True)
    neg_out = pd.DataFrame(neg_rows, columns=["scope_id", "segment_id", "negatives",
                                              "enterprise_id"])
    gap_cols = ["scope_id", "chain", "segment_id", "name_zh", "name_en", "gap_type", "action",
                "n_ranked", "n_candidates", "n_positives", "n_positives_ranked", "base_rate",
                "evaluated"]
    return per_gap, cand_out, neg_out, pd.DataFrame(gap_rows, columns=gap_cols)


def _hard_negatives(dist: FloatArray, pos_idx: npt.NDArray[np.intp],
                    neg_idx: npt.NDArray[np.intp], m: int) -> npt.NDArray[np.intp]:
    """Up to ``m`` negatives nearest in distance-to-scope to the positives: round-robin over
    the positives, each taking its next-nearest unused negative (same segment by construction)."""
    if m == 0 or neg_idx.size == 0:
        return np.array([], dtype=np.intp)
    d = np.nan_to_num(dist, nan=1e9)
    dn = d[neg_idx]
    orders = [np.argsort(np.abs(dn - d[p]), kind="stable") for p in pos_idx]
    chosen: list[int] = []
    used = np.zeros(neg_idx.size, dtype=bool)
    ptr = [0] * len(orders)
    while len(chosen) < m:
        progressed = False
        for i, o in enumerate(orders):
            while ptr[i] < o.size and used[o[ptr[i]]]:
                ptr[i] += 1
            if ptr[i] < o.size and len(chosen) < m:
                used[o[ptr[i]]] = True
                chosen.append(int(neg_idx[o[ptr[i]]]))
                progressed = True
        if not progressed:
            break
    return np.sort(np.asarray(chosen, dtype=np.intp))


def _summarise(per_gap: pd.DataFrame, methods: list[str], ks: tuple[int, ...],
               gaps: pd.DataFrame) -> pd.DataFrame:
    cols = ["method", "name_zh", "name_en", "negatives", "metric", "metric_name", "k", "value",
            "std_error", "n_gaps", "mean_base_rate"]
    if per_gap.empty:
        return pd.DataFrame(columns=cols)
    ev = gaps[gaps["evaluated"]]
    base = float(ev["base_rate"].mean()) if len(ev) else float("nan")
    g = per_gap.groupby(["method", "negatives", "metric", "k"], dropna=False)["value"]
    s = g.agg(value="mean", sd="std", n_gaps="count").reset_index()
    s["std_error"] = s["sd"] / np.sqrt(s["n_gaps"].where(s["n_gaps"] > 0))
    s["name_zh"] = s["method"].map(lambda m: METHODS[m][0])
    s["name_en"] = s["method"].map(lambda m: METHODS[m][1])
    s["metric_name"] = s["metric"].map(lambda m: " ".join(METRICS[m]))
    s["mean_base_rate"] = base
    s["_n"] = s["negatives"].map({n: i for i, n in enumerate(NEGATIVES)})
    s["_t"] = s["metric"].map({m: i for i, m in enumerate(METRICS)})
    s["_m"] = s["method"].map({m: i for i, m in enumerate(methods)})
    s = s.sort_values(["_n", "_t", "k", "_m"], na_position="last")
    return s[cols].reset_index(drop=True)
