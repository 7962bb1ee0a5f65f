"""Time-split evaluation of leader ↔ supplier matching (``parklink match --evaluate``).

Protocol (:mod:`parklink.rankeval`, ``docs/rankeval.md``): links are the firm dataset's
transactions, query = buyer, item = supplier. Test year *T* (default: the last year):
positives are the suppliers a buyer links to **new** in *T*; pairs linked before *T* are
removed from the candidate lists; features see only links of years < *T*. The evaluated
queries are a seeded sample (``n_queries``) of the buyers with a new link in *T*; each ranks
every enterprise of the universe except itself.

Rows of the table:

* **learned matcher** (model) — :class:`parklink.rankeval.LogisticRanker` (L2 logistic
  regression, pointwise) on the matcher's components plus supplier degree, size and last-year
  activity; fitted on year *T−1* (features from years < *T−1*, labels = links new in *T−1*)
  for another seeded sample of buyers; its fitted weights are in ``explain()["weights"]``;
* **hand-weighted matcher** (model) — the documented default weights of
  :class:`parklink.sme.engine.MatchWeights`;
* baselines: random, popularity (size, degree), same segment, nearest, last period;
* **oracle** — the synthetic generator's own link intensity (only on a generated dataset
  whose generation record matches; a user's data has none).

The paired randomisation test compares the learned matcher with the best baseline on
NDCG@10.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import ValidationError
from parklink.rankeval import LogisticRanker, time_split
from parklink.rankeval.methods import standard_methods
from parklink.rankeval.table import EvaluationTable, evaluate_rankings
from parklink.sme.build import Universe, read_transactions
from parklink.sme.engine import COMPONENTS, Graph, Index, MatchConfig, pair_components
from parklink.vocab import MATCH_FEATURE_NAMES, MATCH_FEATURES, MATCH_METHOD_NAMES

FEATURES = MATCH_FEATURES
FEATURE_NAMES = MATCH_FEATURE_NAMES
#: Score column of each compared method (:func:`parklink.rankeval.methods.standard_methods`).
METHOD_COLUMNS: dict[str, str] = {"learned": "learned", "hand": "hand", "random": "random",
                                  "popularity_size": "log_size", "popularity_degree": "log_degree",
                                  "same_segment": "segment", "nearest": "travel", "last_period": "last_period",
                                  "oracle": "oracle"}


@dataclass(frozen=True)
class MatchEvaluation:
    """The evaluation table and its explanation (see the module docstring)."""

    table: EvaluationTable
    weights: pd.DataFrame
    test_year: int
    counts: dict[str, int]
    synthetic: bool
    oracle: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per method: P@10, NDCG@10, MAP, coverage, p-value vs the best baseline."""
        return self.table.to_frame()

    def explain(self) -> dict[str, pd.DataFrame]:
        """Per-query metrics, the test row and the learned weights."""
        return {**self.table.explain(), "weights": self.weights.copy()}

    def summary(self) -> dict[str, Any]:
        """JSON-ready: the table, the verdict sentence, counts and flags."""
        return {"test_year": self.test_year, "verdict": self.table.summary(), "counts": self.counts,
                "synthetic": self.synthetic, "oracle": self.oracle,
                "table": self.to_frame().to_dict("records"), "weights": self.weights.to_dict("records")}


def _with_links(uni: Universe, links: pd.DataFrame) -> Universe:
    a = links["supplier_id"].map(uni.node_pos)
    b = links["buyer_id"].map(uni.node_pos)
    ok = a.notna() & b.notna()
    graph = Graph.from_edges(len(uni.enterprises), np.asarray(a[ok], dtype=np.int64),
                             np.asarray(b[ok], dtype=np.int64))
    return dataclasses.replace(uni, graph=graph, links=links[ok.to_numpy()].reset_index(drop=True))


def candidate_features(uni: Universe, index: Index, buyers: list[str], links_before: pd.DataFrame,
                       last_year: pd.DataFrame) -> pd.DataFrame:
    """Every (buyer, supplier ≠ buyer) pair with the matcher's components (graph of
    ``uni``) and supplier features: log(1 + distinct buyers before), log(1 + output),
    buyers gained in the last year before the test."""
    cfg = index.config
    q = uni.buyer_side(buyers)
    qtext = index.vectorize(q.text)
    n_c = len(index.candidates)
    decay = uni.decay(cfg.travel_scale_h)
    adj = uni.graph.adjacency
    w_aa = sp_diag(uni.graph.aa_weight)
    frames = []
    for b0 in range(0, len(q), 32):
        b1 = min(b0 + 32, len(q))
        text = np.asarray((qtext[b0:b1] @ index.text_t).todense())
        seg = np.minimum(np.asarray((q.segments[b0:b1] @ index.seg_t).todense()), 1.0)
        qn = q.node[b0:b1]
        tie = np.asarray(adj[qn].todense()) if adj.shape[0] else np.zeros((b1 - b0, n_c))
        aa = np.asarray((adj[qn] @ w_aa @ adj).todense()) if adj.shape[0] else np.zeros((b1 - b0, n_c))
        qi = np.repeat(np.arange(b0, b1), n_c)
        ci = np.tile(np.arange(n_c), b1 - b0)
        comp = pair_components(index, q, qtext, decay, uni.graph, qi, ci, text=text.ravel(), seg=seg.ravel(),
                               tie=np.minimum(tie.ravel(), 1.0), net=(aa / (1 + aa)).ravel())
        f = pd.DataFrame(comp, columns=list(COMPONENTS))
        f.insert(0, "query_id", q.ids[qi])
        f.insert(1, "item_id", index.candidates.ids[ci])
        frames.append(f[f["query_id"] != f["item_id"]])
    out = pd.concat(frames, ignore_index=True)
    deg = links_before.groupby("supplier_id")["buyer_id"].nunique()
    gained = last_year.groupby("supplier_id")["buyer_id"].nunique()
    size = pd.to_numeric(uni.enterprises.set_index("enterprise_id")["output_cny_m"], errors="coerce") \
        if "output_cny_m" in uni.enterprises else pd.Series(dtype=float)
    out["log_degree"] = np.log1p(out["item_id"].map(deg).fillna(0.0).to_numpy(np.float64))
    out["log_size"] = np.log1p(out["item_id"].map(size).fillna(0.0).to_numpy(np.float64))
    out["last_period"] = out["item_id"].map(gained).fillna(0.0).to_numpy(np.float64)
    return out


def sp_diag(v: np.ndarray) -> Any:
    """A sparse diagonal matrix (CSR)."""
    import scipy.sparse as sp

    return sp.diags(v).tocsr()


def evaluate_matching(inputs: Any, *, test_year: int | None = None, n_queries: int = 150, seed: int = 0,
                      config: MatchConfig | None = None, n_permutations: int = 10_000) -> MatchEvaluation:
    """Run the evaluation of the module docstring on an inputs bundle with a firm dataset."""
    cfg = config or MatchConfig()
    firms = inputs.require_firms()
    links = read_transactions(inputs)
    years = sorted(set(links["year"].astype(int)))
    if len(years) < 3:
        raise ValidationError.single("transactions", "the evaluation needs at least 3 years of links "
                                     "(评估至少需要三年交易数据)", value=str(years))
    t = int(test_year or years[-1])
    if t - 2 < years[0] or t not in years:
        raise ValidationError.single("test_year", f"test year must be in {years[2]}–{years[-1]}", value=str(t))
    lk = links.rename(columns={"buyer_id": "query_id", "supplier_id": "item_id"})
    full = Universe.from_inputs(inputs)
    index = Index.build(full.enterprise_side(), cfg)
    sizes = inputs.enterprises(synthetic_firms=True).set_index("enterprise_id")["output_cny_m"]
    full = dataclasses.replace(full, enterprises=full.enterprises.assign(
        output_cny_m=full.enterprises["enterprise_id"].map(sizes)))
    rng = np.random.default_rng([seed, t])

    def sample(split: Any) -> list[str]:
        qs = sorted(set(split.positives["query_id"]) & set(full.node_pos))
        return sorted(rng.choice(qs, size=min(n_queries, len(qs)), replace=False).tolist()) if qs else []

    def frame(year: int, queries: list[str]) -> tuple[pd.DataFrame, Any]:
        split = time_split(lk, year, target="new")
        before = links[links["year"] < year]
        uni = _with_links(full, before)
        cand = candidate_features(uni, index, queries, before, links[links["year"] == year - 1])
        return split.eligible(cand), split

    train_split = time_split(lk, t - 1, target="new")
    train_q = sample(train_split)
    test_split = time_split(lk, t, target="new")
    test_q = [q for q in sample(test_split) if q not in set(train_q)] or sample(test_split)
    train, _ = frame(t - 1, train_q)
    test, split = frame(t, test_q)
    ranker = LogisticRanker.fit(train, FEATURES, c=1.0, seed=seed)
    test["learned"] = ranker.score(test)
    test["hand"] = test[list(COMPONENTS)].to_numpy() @ cfg.weights.vector()
    test["random"] = 0.0
    oracle = False
    from parklink.datasets.synthetic.oracle import LinkOracle

    orc = LinkOracle.from_root(firms.root) if hasattr(firms, "root") else None
    if orc is not None:
        lam = orc.intensity(t, {q: [q] for q in test_q})
        lam = lam.rename(columns={"scope_id": "query_id", "enterprise_id": "item_id"})
        test = test.merge(lam, on=["query_id", "item_id"], how="left")
        test["oracle"] = test["oracle"].fillna(0.0)
        oracle = True
    methods = standard_methods(METHOD_COLUMNS, models=("learned", "hand"), oracle=oracle, names=MATCH_METHOD_NAMES)
    npos = split.positives[split.positives["query_id"].isin(test_q)].groupby("query_id").size()
    synthetic = bool(full.enterprises["synthetic"].fillna(False).astype(bool).any())
    notes = ["合成数据：结果不代表真实企业 synthetic data: not a statement about real firms"] if synthetic else []
    if not oracle:
        notes.append("无生成器真值（非合成或记录不符）no oracle (data not generated, or edited)")
    table = evaluate_rankings(test, methods, ks=(10,), n_positives=npos, test_metric="ndcg@10",
                              label=f"leader ↔ supplier, new links {t}", seed=seed,
                              n_permutations=n_permutations, notes=notes)
    weights = ranker.explain(FEATURE_NAMES)
    counts = {**split.counts(), "train_queries": len(train_q), "test_queries": len(test_q),
              "test_candidates": len(test), "train_candidates": len(train)}
    return MatchEvaluation(table, weights, t, counts, synthetic, oracle)


def print_evaluation(console: Any, ev: MatchEvaluation) -> None:
    """The table at 80 columns (zh/en), the verdict and the learned weights."""
    from rich.table import Table

    tab = Table(title=f"匹配评估 matching evaluation — {ev.table.label}", title_justify="left")
    for col in ("方法 method", "P@10", "NDCG@10", "MAP", "p"):
        tab.add_column(col, justify="left" if col.startswith("方法") else "right")
    for r in ev.to_frame().to_dict("records"):
        mark = " *" if r.get("best_baseline") else ""
        p = r.get("p_vs_best_baseline")
        tab.add_row(f"{r['name_zh']} {r['name_en']}{mark}", f"{r['precision@10']:.3f}", f"{r['ndcg@10']:.3f}",
                    f"{r['map']:.3f}", "" if p is None or p != p else f"{p:.4f}")
    console.print(tab)
    console.print("* 最佳基线 best baseline; p = 配对随机化检验 paired randomisation test (NDCG@10)")
    console.print(ev.table.summary(), highlight=False)
    w = ev.weights
    console.print("学习权重 learned weights (standardised): " + ", ".join(
        f"{n} {v:+.2f}" for n, v in zip(w["name_en"], w["weight_std"], strict=True)), highlight=False)
    for n in ev.table.notes:
        console.print(f"[dim]{n}[/]", highlight=False)
