"""Evaluation of rankings over many queries: metrics per method, the oracle row and the
paired test of the model against the best baseline (:class:`EvaluationTable`).

Every method ranks the same candidates of each query (higher score first; ties broken by a
seeded random order of the query's candidates). Only queries with at least one positive are
evaluated. The **best baseline** is the baseline with the highest mean of ``test_metric`` on
the test queries themselves (a choice that favours the baselines); the model's per-query
``test_metric`` is compared with it by :func:`paired_randomisation_test`. The oracle row is an
upper bound, never a competitor.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import ValidationError
from parklink.rankeval.metrics import list_metrics
from parklink.rankeval.stats import PairedTest, paired_randomisation_test

KINDS = ("model", "baseline", "oracle")


@dataclass(frozen=True, slots=True)
class Method:
    """One ranked method: its score column, kind (model/baseline/oracle) and bilingual names."""

    name: str
    column: str
    kind: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class EvaluationTable:
    """Rows = methods; columns = mean metrics over the evaluated queries, coverage, and the
    paired test against the best baseline (model rows). ``per_query`` has one row per query ×
    method; ``explain()`` gives the per-query metrics, tests and notes."""

    label: str
    table: pd.DataFrame
    per_query: pd.DataFrame
    test: PairedTest | None
    model: str | None
    best_baseline: str | None
    test_metric: str
    ks: tuple[int, ...]
    seed: int
    notes: tuple[str, ...] = ()
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per method (model, baselines, oracle)."""
        return self.table.copy()

    def explain(self) -> dict[str, pd.DataFrame]:
        """``per_query`` metrics, the ``test`` row and any extra tables (read-only copies)."""
        out = {"per_query": self.per_query.copy(), "test": pd.DataFrame([self._test_row()])}
        out.update({k: v.copy() for k, v in self.extra.items()})
        return out

    def _test_row(self) -> dict[str, Any]:
        t = self.test
        return {"label": self.label, "model": self.model, "best_baseline": self.best_baseline,
                "metric": self.test_metric, "n_queries": t.n_queries if t else 0,
                "model_mean": t.mean_a if t else float("nan"),
                "baseline_mean": t.mean_b if t else float("nan"),
                "difference": t.mean_difference if t else float("nan"),
                "p_value": t.p_value if t else float("nan")}

    def summary(self) -> str:
        """One bilingual sentence: does the model beat the best baseline (p < 0.05)?"""
        r = self._test_row()
        if not self.model or not self.best_baseline or not r["n_queries"]:
            return f"{self.label}: 无可检验的查询 / no query to test"
        won = r["difference"] > 0 and r["p_value"] < 0.05
        verdict = "显著优于 beats" if won else "未显著优于 does not beat"
        return (f"{self.label}: {self.model} {verdict} {self.best_baseline} on {self.test_metric} "
                f"({r['model_mean']:.3f} vs {r['baseline_mean']:.3f}, Δ={r['difference']:+.3f}, "
                f"p={r['p_value']:.4f}, n={r['n_queries']} queries)")


def _tiebreak(seed: int, query: str, n: int) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(query.encode())])
    return rng.permutation(n).astype(np.float64)


def evaluate_rankings(candidates: pd.DataFrame, methods: Sequence[Method], *, ks: Sequence[int] = (10,),
                      n_positives: pd.Series | None = None, test_metric: str = "ndcg@10",
                      label: str = "", seed: int = 0, n_permutations: int = 10_000,
                      notes: Sequence[str] = ()) -> EvaluationTable:
    """Rank ``candidates`` (``query_id``, ``item_id``, ``label`` 0/1 and one score column per
    method) by every method and evaluate (see the module docstring). ``n_positives`` (indexed by
    query id) counts positives missing from the lists; default: the labels in the list."""
    for col in ("query_id", "item_id", "label"):
        if col not in candidates.columns:
            raise ValidationError.single("candidates", f"missing column {col}", column=col)
    ks = tuple(sorted({int(k) for k in ks}))
    if not ks or ks[0] < 1:
        raise ValidationError.single("ks", "k must be positive", value=list(ks))
    kinds = [m.kind for m in methods]
    if any(k not in KINDS for k in kinds):
        raise ValidationError.single("methods", "kind must be model, baseline or oracle")
    c = candidates.sort_values(["query_id", "item_id"], kind="stable").reset_index(drop=True)
    c["query_id"] = c["query_id"].astype(str)
    npos_list = c.groupby("query_id", sort=True)["label"].sum()
    npos = npos_list if n_positives is None else n_positives.reindex(npos_list.index).fillna(npos_list)
    queries = [q for q in npos.index if npos[q] > 0]
    spans = c.groupby("query_id", sort=True).indices
    label_arr = c["label"].to_numpy(dtype=np.float64)
    items = c["item_id"].astype(str).to_numpy()
    rows: list[dict[str, Any]] = []
    tops: dict[str, dict[int, set[str]]] = {m.name: {k: set() for k in ks} for m in methods}
    cols = {m.name: (np.nan_to_num(c[m.column].to_numpy(dtype=np.float64), nan=-np.inf)
                     if m.column else np.zeros(len(c))) for m in methods}
    for q in queries:
        idx = np.asarray(spans[q], dtype=np.intp)
        tb = _tiebreak(seed, q, idx.size)
        for m in methods:
            sc = cols[m.name][idx]
            order = np.lexsort((tb, -sc))
            lab = label_arr[idx][order]
            met = list_metrics(lab, int(npos[q]), ks)
            rows.append({"query_id": q, "method": m.name, "n_candidates": int(idx.size),
                         "n_positives": int(npos[q]), **met})
            for k in ks:
                tops[m.name][k].update(items[idx][order[:k]])
    per_query = pd.DataFrame(rows)
    metric_cols = [f"{p}@{k}" for k in ks for p in ("precision", "recall", "ndcg")] + ["ap"]
    if test_metric not in metric_cols:
        raise ValidationError.single("test_metric", f"expected one of {metric_cols}", value=test_metric)
    catalogue = set(items[np.concatenate([np.asarray(spans[q], dtype=np.intp) for q in queries])]) if queries else set()
    table_rows = []
    for m in methods:
        pq = per_query[per_query["method"] == m.name] if len(per_query) else per_query
        row: dict[str, Any] = {"method": m.name, "kind": m.kind, "name_zh": m.name_zh,
                               "name_en": m.name_en, "n_queries": len(pq)}
        for col in metric_cols:
            row[col] = float(pq[col].mean()) if len(pq) else float("nan")
        row["map"] = row.pop("ap")
        for k in ks:
            row[f"coverage@{k}"] = len(tops[m.name][k]) / len(catalogue) if catalogue else float("nan")
        table_rows.append(row)
    table = pd.DataFrame(table_rows)
    models = [m.name for m in methods if m.kind == "model"]
    base = [m.name for m in methods if m.kind == "baseline"]
    tm = "map" if test_metric == "ap" else test_metric
    best = (table[table["method"].isin(base)].sort_values(tm, ascending=False, kind="stable")["method"].iloc[0]
            if base and len(per_query) else None)
    test = None
    table["p_vs_best_baseline"] = np.nan
    if models and best is not None:
        wide = per_query.pivot(index="query_id", columns="method", values=test_metric)
        test = paired_randomisation_test(wide[models[0]], wide[best], n_permutations=n_permutations,
                                         seed=seed)
        table.loc[table["method"] == models[0], "p_vs_best_baseline"] = test.p_value
    table["best_baseline"] = table["method"] == best
    return EvaluationTable(label=label, table=table, per_query=per_query, test=test,
                           model=models[0] if models else None, best_baseline=best,
                           test_metric=test_metric, ks=ks, seed=seed, notes=tuple(notes))
