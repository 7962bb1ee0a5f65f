"""The learned investment-target ranking (学习得到的招商目标排序) used by the diagnosis.

``fit_target_model(data, scopes, year)`` fits the pairwise logistic ranker of
:mod:`parklink.rankeval.learn` on the diagnosis' own scopes: candidates of every
(scope, segment) with a new link in ``year`` (features from ``year − 1``, labels = firms
outside the scope that sell into it in ``year`` and never before; features
:data:`parklink.chains.eval_features.FEATURES`). The diagnosis then ranks its candidates
with the fitted linear score on features from ``year`` (a forecast of the next year's new
links). The same model is evaluated on a time split by ``parklink chains-eval``
(``docs/rankeval.md``).

When the data cannot support a fit (the year before ``year`` is missing, fewer than
:data:`MIN_POSITIVES` new links or :data:`MIN_QUERIES` queries with both a new link and a
non-link), :func:`fit_target_model` returns None and the diagnosis falls back to the expert
weights of :class:`parklink.chains.rules.TargetWeights` (recorded in
``ChainDiagnosis.explain["target_model"]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd
from ibis import _

from parklink.chains.eval_features import FEATURES, firm_segments, period_candidates, scope_members
from parklink.chains.scope import Scope
from parklink.rankeval.learn import LogisticRanker
from parklink.tables import PROVINCES

MIN_POSITIVES = 30
MIN_QUERIES = 5
#: Bound of the learned score used by the exact histogram top-n (values outside are clamped
#: to the end bins, which keeps the order).
SCORE_BOUND = 50.0


@dataclass(frozen=True)
class TargetModel:
    """A fitted target ranking: the ranker and the year whose new links it was fitted on."""

    ranker: LogisticRanker
    fitted_year: int
    n_queries: int

    @property
    def version(self) -> str:
        """Model version recorded with every diagnosis (e.g. ``logit-l2-v1-pairwise@2023``)."""
        return f"{self.ranker.version}-{self.ranker.objective}@{self.fitted_year}"

    def raw_weights(self) -> dict[str, float]:
        """Weights per raw feature unit (``β_j / sd_j``); the score is ``Σ_j w_j·x_j`` + const."""
        return {f: c / s for f, c, s in zip(self.ranker.features, self.ranker.coef, self.ranker.scale,
                                           strict=True)}

    def explain(self) -> pd.DataFrame:
        """Fitted weights with bilingual feature names, the version and the training size."""
        return self.ranker.explain(FEATURES).assign(
            model_version=self.version, fitted_year=self.fitted_year, n_queries=self.n_queries,
            n_train=self.ranker.n_train, n_positive=self.ranker.n_positive)


def fit_target_model(data: Any, scopes: Sequence[Scope], year: int, *, seed: int = 0) -> TargetModel | None:
    """Fit on ``data`` (a :class:`parklink.chains.data.ChainData`) up to ``year`` (see module)."""
    con = data.con
    tx = data.transactions
    tx = con.execute(tx.filter((tx.year <= year) & (tx.year >= year - 1)).select(
        supplier_id=tx.supplier_id.cast("string"), buyer_id=tx.buyer_id.cast("string"),
        year=tx.year.cast("int64"))).drop_duplicates()
    if tx.empty or set(tx["year"].unique()) != {year - 1, year}:
        return None
    f = data.firms
    firms = con.execute(f.select("enterprise_id", "province", "adcode", "park_id", "lon", "lat", "segments",
                                 "output_cny_m"))
    firms["enterprise_id"] = firms["enterprise_id"].astype(str)
    members = scope_members(firms, scopes)
    # the id columns as plain Python strings: pandas' Arrow-backed ``str`` columns answer
    # ``isin(set)`` by converting the set value by value in Python (seconds over many
    # scopes); the values, and hence the candidates and the fit, are the same
    tx = tx.astype({"supplier_id": object, "buyer_id": object})
    firms["enterprise_id"] = firms["enterprise_id"].astype(object)
    segs = firm_segments(firms)
    segs["enterprise_id"] = segs["enterprise_id"].astype(object)
    train = period_candidates(firms, segs, tx, scopes, members, year)
    if train.empty:
        return None
    train = train.sort_values(["query_id", "item_id"], ignore_index=True)
    both = train.groupby("query_id")["label"].agg(["min", "max"])
    n_q = int(((both["min"] == 0) & (both["max"] == 1)).sum())
    if int(train["label"].sum()) < MIN_POSITIVES or n_q < MIN_QUERIES:
        return None
    ranker = LogisticRanker.fit(train, list(FEATURES), objective="pairwise", seed=seed)
    return TargetModel(ranker=ranker, fitted_year=int(year), n_queries=n_q)


def activity_table(tx: Any, year: int) -> Any:
    """Ibis table (``a_id`` supplier id, ``deg_last`` distinct buyers in ``year``,
    ``active_last`` = 1) plus buyers active in ``year`` with degree 0: the one-year activity
    features of the learned score."""
    t = tx.filter(tx.year == year)
    sup = t.group_by(a_id=t.supplier_id.cast("string")).aggregate(deg_last=_.buyer_id.nunique())
    buy = t.select(a_id=t.buyer_id.cast("string")).distinct()
    both = ibis.union(sup.select("a_id", deg=sup.deg_last.cast("float64")),
                      buy.select("a_id", deg=ibis.literal(0.0, "float64")), distinct=False)
    return both.group_by("a_id").aggregate(deg_last=_.deg.max(), active_last=ibis.literal(1.0, "float64"))


def learned_score(sc: Any, cm: Any, core: Any, frame: pd.DataFrame,
                   w: Mapping[str, float], activity: Any,
                   homes: Mapping[str, str | None] | None) -> tuple[Any, float]:
    """``sc`` (candidate factor rows of :func:`parklink.chains.queries.ranked_candidates`) with
    ``score`` = the learned linear score ``Σ_j w_j·x_j`` and the bound of the score."""
    extra = cm.select(e_key="key", e_rank="c_rank", e_prov="c_prov", e_no="scope_no")
    sc = sc.join(extra, [sc.key == extra.e_key, sc.c_rank == extra.e_rank]).drop("e_key", "e_rank")
    hm = frame[["scope_id", "scope_no"]].drop_duplicates().copy()
    hm["h_home"] = hm["scope_id"].map(lambda s: (homes or {}).get(s) or "")
    ht = ibis.memtable(hm[["scope_no", "h_home"]].rename(columns={"scope_no": "h_no"}))
    sc = sc.join(ht, sc.e_no == ht.h_no).drop("h_no")
    if activity is not None:
        ids = core.select(r_id="enterprise_id", r_rank="id_rank")
        act = activity.join(ids, activity.a_id == ids.r_id).select(
            g_rank="r_rank", g_deg="deg_last", g_act="active_last")
        sc = sc.left_join(act, sc.c_rank == act.g_rank).drop("g_rank")
    else:
        sc = sc.mutate(g_deg=ibis.literal(0.0, "float64"), g_act=ibis.literal(0.0, "float64"))
    x = {
        "log_size": (ibis.greatest(sc.output.fill_null(0.0), 0.0) + 1.0).ln(),
        "log_degree_last": (sc.g_deg.fill_null(0.0) + 1.0).ln(),
        "active_last": sc.g_act.fill_null(0.0),
        "log_distance": ibis.greatest(sc.distance_km.fill_null(20000.0), 10.0).ln(),
        "segment_fit": sc.share.cast("float64"),
        "same_province": ibis.ifelse((sc.e_prov == sc.h_home) & (sc.h_home != ""), 1.0, 0.0),
        "in_circle": ibis.ifelse(sc.e_prov.isin(PROVINCES), 1.0, 0.0),
    }
    expr = ibis.literal(0.0, "float64")
    for name, weight in w.items():
        expr = expr + float(weight) * x[name]
    out = sc.mutate(score=expr, deg_last=sc.g_deg.fill_null(0.0), active_last=sc.g_act.fill_null(0.0))
    out = out.drop("g_deg", "g_act", "e_prov", "e_no", "h_home")
    return out, SCORE_BOUND
