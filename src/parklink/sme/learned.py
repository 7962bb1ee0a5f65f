"""Learned supplier matching: the leader ↔ supplier ranker fitted on past years and applied now.

This is the **default** leader ↔ supplier ranking of ``parklink match ENTERPRISE``, of
``GET /api/sme/{id}/matches`` and of the page ``/sme/{id}/matches`` (all three call
:func:`parklink.sme.run.run_enterprise`, which caches the fitted ranker per inputs bundle).

:func:`fit_supplier_ranker` fits :class:`parklink.rankeval.LogisticRanker` exactly as the
evaluation does (``parklink.sme.evaluation``), one year later: features from links of years
< *T* (*T* = the last year of the data), labels = suppliers linked **new** in *T*, for a
seeded sample of buyers. :func:`learned_suppliers` scores every candidate supplier of a buyer
with features from all years and ranks the suppliers it does not trade with yet (the model
predicts new links). Reasons list the components in the order of their learned weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import NotFoundError, ValidationError
from parklink.rankeval import LogisticRanker, time_split
from parklink.sme.build import Universe, read_transactions
from parklink.sme.engine import COMPONENTS, Index, MatchConfig, MatchWeights, Ranking
from parklink.sme.evaluation import FEATURE_NAMES, FEATURES, _with_links, candidate_features
from parklink.sme.match import MatchResult, _names, _table


@dataclasses.dataclass(frozen=True, eq=False)
class FittedRanker:
    """A fitted ranker with the universe (graph of every year's links), index and fitted year."""

    ranker: LogisticRanker
    universe: Universe
    index: Index
    year: int
    links: pd.DataFrame
    n_queries: int

    def weights(self) -> pd.DataFrame:
        """The fitted weights (``LogisticRanker.explain`` with bilingual feature names),
        strongest (by absolute standardised weight) first."""
        return self.ranker.explain(FEATURE_NAMES)

    def weight_records(self) -> list[dict[str, Any]]:
        """JSON-ready weights: feature, name_zh, name_en, weight_std (standardised)."""
        w = self.weights()
        return [{"feature": str(f), "name_zh": str(z), "name_en": str(e), "weight_std": round(float(v), 4)}
                for f, z, e, v in zip(w["feature"], w["name_zh"], w["name_en"], w["weight_std"], strict=True)]


def fit_supplier_ranker(inputs: Any, *, n_queries: int = 150, seed: int = 0,
                        config: MatchConfig | None = None, universe: Universe | None = None,
                        index: Index | None = None) -> FittedRanker:
    """Fit on the last year of the firm dataset (see the module docstring). ``universe`` and
    ``index`` reuse the ones already built for the bundle (:mod:`parklink.sme.run`).

    Raises :class:`ValidationError` when the data cannot train a model (fewer than two years
    of links, no buyer with a new supplier in the last year, no negatives)."""
    cfg = config or MatchConfig()
    inputs.require_firms()
    links = read_transactions(inputs)
    years = sorted(set(links["year"].astype(int)))
    if len(years) < 2:
        raise ValidationError.single("transactions", "learning needs at least 2 years of links "
                                     "(学习至少需要两年交易数据)", value=str(years))
    t = years[-1]
    full = universe if universe is not None else Universe.from_inputs(inputs)
    sizes = inputs.enterprises(synthetic_firms=True).set_index("enterprise_id")["output_cny_m"]
    full = dataclasses.replace(full, enterprises=full.enterprises.assign(
        output_cny_m=full.enterprises["enterprise_id"].map(sizes)))
    index = index if index is not None else Index.build(full.enterprise_side(), cfg)
    split = time_split(links.rename(columns={"buyer_id": "query_id", "supplier_id": "item_id"}), t, target="new")
    qs = sorted(set(split.positives["query_id"]) & set(full.node_pos))
    if not qs:
        raise ValidationError.single("transactions", f"no buyer gained a new supplier in {t} "
                                     "(最后一年没有新增供货关系)", value=str(t))
    rng = np.random.default_rng([seed, t])
    sample = sorted(rng.choice(qs, size=min(n_queries, len(qs)), replace=False).tolist())
    before = links[links["year"] < t]
    train = split.eligible(candidate_features(_with_links(full, before), index, sample, before,
                                              links[links["year"] == t - 1]))
    ranker = LogisticRanker.fit(train, FEATURES, c=1.0, seed=seed)
    return FittedRanker(ranker, _with_links(full, links), index, t, links, len(sample))


def learned_suppliers(fitted: FittedRanker, enterprise_id: str, *, k: int = 10) -> MatchResult:
    """New suppliers for ``enterprise_id`` ranked by the fitted model, with reasons and the
    fitted weights (``meta["weights"]``)."""
    now = fitted.universe
    if enterprise_id not in now.node_pos:
        raise NotFoundError(f"unknown enterprise (未知企业) {enterprise_id}")
    cand = candidate_features(now, fitted.index, [enterprise_id], fitted.links,
                              fitted.links[fitted.links["year"] == fitted.year])
    cand = cand[cand["tie"] == 0].reset_index(drop=True)
    score = fitted.ranker.score(cand)
    top = np.lexsort((np.arange(len(score)), -score))[:k]
    pos = {e: i for i, e in enumerate(fitted.index.candidates.ids)}
    coef = dict(zip(fitted.ranker.features, fitted.ranker.coef, strict=True))
    cfg = MatchConfig(k=k, weights=MatchWeights(**{c: max(0.0, coef[c]) for c in COMPONENTS}))
    rank = Ranking(np.zeros(len(top), dtype=np.int64), np.arange(1, len(top) + 1),
                   np.array([pos[e] for e in cand["item_id"].iloc[top]], dtype=np.int64), score[top],
                   cand[list(COMPONENTS)].to_numpy()[top], np.array([len(cand)], dtype=np.int64))
    q = now.buyer_side([enterprise_id])
    table = _table("leader_supplier", now, q, fitted.index.candidates, rank, cfg, _names(now))
    buyers = np.rint(np.expm1(cand["log_degree"].to_numpy()[top])).astype(int)
    table["learned_score"] = score[top]
    table["buyers"] = buyers
    table["reason_zh"] = [f"{r}；已为{b}家企业供货" if b else r for r, b in zip(table["reason_zh"], buyers, strict=True)]
    table["reason_en"] = [f"{r}; supplies {b} buyers" if b else r for r, b in zip(table["reason_en"], buyers, strict=True)]
    e = now.enterprises.set_index("enterprise_id").loc[enterprise_id]
    queries = pd.DataFrame({"query_id": [enterprise_id], "title_zh": [str(e["name_zh"])],
                            "title_en": [str(e["name_en"])], "relevant": [len(cand)]})
    note = ("学习型排序（逻辑回归，按往年新增供货关系拟合；权重见 weights）learned ranking (logistic regression "
            f"fitted on the supplier links new in {fitted.year}; fitted weights in `weights`)")
    return MatchResult("leader_supplier", table, queries, cfg, (note,),
                       {"learned": True, "ranking": "learned", "fitted_year": fitted.year,
                        "fitted_queries": fitted.n_queries, "model": f"{fitted.ranker.version}-"
                        f"{fitted.ranker.objective}", "weights": fitted.weight_records()})
