"""Honest evaluation of the investment-target ranking (诚实评估): time split, learned ranking,
simple baselines, the generator's oracle and the paired test, at park, designation and
circle scope. Generic machinery: :mod:`parklink.rankeval`; features:
:mod:`parklink.chains.eval_features`; protocol and formulas: ``docs/rankeval.md``.

Protocol for test year *T* (default: the last year of the data):

1. **fit** the learned ranker on the candidates of year *T*−1 (features from years < *T*−1,
   labels = links new in *T*−1), one model per scope level;
2. **test** on the candidates of year *T* (features from years < *T*, labels = links new in *T*);
   firms that sold into the scope before *T* are already linked and leave the lists;
3. every baseline and the oracle rank the same candidates; the model's NDCG@10 per query is
   compared with the best baseline's by the paired sign-flip test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parklink.chains.eval_features import FEATURES, firm_segments, period_candidates, scope_members
from parklink.chains.scope import Scope
from parklink.errors import NotFoundError
from parklink.rankeval.learn import LogisticRanker
from parklink.rankeval.methods import standard_methods
from parklink.rankeval.table import EvaluationTable, Method, evaluate_rankings
from parklink.vocab import SCOPE_KIND_NAMES

#: Scope levels of the evaluation, in report order, with bilingual names (``parklink.vocab``).
LEVELS: dict[str, tuple[str, str]] = {k: SCOPE_KIND_NAMES[k] for k in ("park", "designation", "circle")}


#: The compared methods (:func:`parklink.rankeval.methods.standard_methods`: the learned model,
#: the standard baselines, the hand weights as one more baseline, the oracle).
METHODS: tuple[Method, ...] = tuple(standard_methods(
    {"learned": "score_learned", "random": "score_random", "popularity_size": "log_size",
     "popularity_degree": "log_degree", "same_segment": "segment_fit", "nearest": "score_nearest",
     "last_period": "new_buyers_last", "hand_weights": "hand_score", "oracle": "oracle"},
    extra_baselines=("hand_weights",)))


@dataclass(frozen=True)
class TargetRankingEvaluation:
    """One :class:`EvaluationTable` and one fitted :class:`LogisticRanker` per scope level."""

    test_year: int
    train_year: int
    tables: dict[str, EvaluationTable]
    models: dict[str, LogisticRanker]
    synthetic: bool
    oracle_available: bool
    seed: int
    notes: tuple[str, ...] = ()
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """Rows = level × method: P@k, R@k, NDCG@k, MAP, coverage, p vs the best baseline."""
        parts = [t.to_frame().assign(level=lvl) for lvl, t in self.tables.items()]
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True)
        return out[["level", *[c for c in out.columns if c != "level"]]]

    def explain(self) -> dict[str, pd.DataFrame]:
        """Fitted weights per level (``weights``), paired tests (``tests``), counts, per-query metrics."""
        w = [m.explain(FEATURES).assign(level=lvl, model_version=f"{m.version}-{m.objective}", C=m.C)
             for lvl, m in self.models.items()]
        tests = [t.explain()["test"].assign(level=lvl) for lvl, t in self.tables.items()]
        pq = [t.per_query.assign(level=lvl) for lvl, t in self.tables.items()]
        return {"weights": pd.concat(w, ignore_index=True) if w else pd.DataFrame(),
                "tests": pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(),
                "counts": self.counts.copy(),
                "per_query": pd.concat(pq, ignore_index=True) if pq else pd.DataFrame()}

    def summary(self) -> str:
        """One line per level from :meth:`EvaluationTable.summary`."""
        return "\n".join(t.summary() for t in self.tables.values())


def evaluate_target_ranking(firms: pd.DataFrame, transactions: pd.DataFrame,
                            levels: Mapping[str, Sequence[Scope]], *, test_year: int | None = None,
                            ks: Sequence[int] = (10,), seed: int = 0, oracle: object | None = None,
                            c: float = 1.0, objective: str = "pairwise", synthetic: bool = False,
                            n_permutations: int = 10_000) -> TargetRankingEvaluation:
    """Run the protocol of the module docstring. ``oracle`` is a
    :class:`parklink.datasets.synthetic.oracle.LinkOracle` (None: no oracle row, e.g. real data)."""
    tx = transactions[["supplier_id", "buyer_id", "year"]].astype(
        {"supplier_id": str, "buyer_id": str, "year": int}).drop_duplicates()
    years = sorted(tx["year"].unique().tolist())
    t = int(years[-1] if test_year is None else test_year)
    if t not in years or (t - 1) not in years or (t - 2) not in years:
        raise NotFoundError(f"the learned ranking needs transactions in {t - 2}, {t - 1} and {t} "
                            f"(需要连续三年交易数据); years in the data: {years}")
    segs = firm_segments(firms)
    tables: dict[str, EvaluationTable] = {}
    models: dict[str, LogisticRanker] = {}
    counts: list[dict[str, object]] = []
    notes = ["新链接：T年首次向范围内销售的企业；T年之前已有链接的企业不参与排序 / new links only: "
             "firms that sold into the scope before T are excluded from the lists",
             "评估查询为T年有新链接的全部（范围，环节），不限于诊断缺口 / queries are every "
             "(scope, segment) with a new link in T, not only the diagnosed gaps"]
    if oracle is None:
        notes.append("无生成器真值（非合成数据或数据已修改）/ no oracle: not generated data, or edited")
    for lvl, scopes in levels.items():
        scopes = [s for s in scopes if not s.is_empty()]
        if not scopes:
            continue
        members = scope_members(firms, scopes)
        # sorted so that the fitted model does not depend on the order of scopes or firms
        train = period_candidates(firms, segs, tx, scopes, members, t - 1).sort_values(
            ["query_id", "item_id"], ignore_index=True)
        test = period_candidates(firms, segs, tx, scopes, members, t).sort_values(
            ["query_id", "item_id"], ignore_index=True)
        if train.empty or test.empty or train["label"].nunique() < 2:
            notes.append(f"{lvl}: 无可训练或评估的新链接 / no new links to learn from or test")
            continue
        model = LogisticRanker.fit(train, list(FEATURES), c=c, seed=seed, objective=objective)
        models[lvl] = model
        test = test.assign(score_learned=model.score(test), score_nearest=-test["log_distance"],
                           score_random=0.0)
        methods = [m for m in METHODS if m.kind != "oracle" or oracle is not None]
        if oracle is not None:
            lam = oracle.intensity(t, {s: sorted(v) for s, v in members.items()})  # type: ignore[attr-defined]
            test = test.merge(lam.rename(columns={"enterprise_id": "item_id"}), on=["scope_id", "item_id"],
                              how="left")
            test["oracle"] = test["oracle"].fillna(0.0)
        name_zh, name_en = LEVELS.get(lvl, (lvl, lvl))
        table = evaluate_rankings(test, methods, ks=ks, test_metric=f"ndcg@{min(ks)}",
                                  label=f"{name_zh} / {name_en}", seed=seed,
                                  n_permutations=n_permutations)
        tables[lvl] = table
        pos = test[test["label"] > 0]
        counts.append({"level": lvl, "scopes": len(scopes), "train_queries": train["query_id"].nunique(),
                       "train_candidates": len(train), "train_positives": int(train["label"].sum()),
                       "test_queries": test["query_id"].nunique(), "test_candidates": len(test),
                       "test_positives": int(pos.shape[0]), "cold_positives": int(pos["cold"].sum()),
                       "cold_candidates": int(test["cold"].sum()),
                       "base_rate": float(test["label"].mean()) if len(test) else np.nan})
    return TargetRankingEvaluation(test_year=t, train_year=t - 1, tables=tables, models=models,
                                   synthetic=synthetic, oracle_available=oracle is not None, seed=seed,
                                   notes=tuple(notes), counts=pd.DataFrame(counts))
