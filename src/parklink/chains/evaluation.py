"""Offline evaluation of the investment-target recommendations (招商目标离线评估).

Protocol (chain-methods §3.4): **temporal hold-out**. The diagnosis is run with the public
:func:`parklink.chains.diagnosis.diagnose` on the data up to year *T* (transactions with
``year <= T``), which ranks, for every gap (scope *R* × segment *k*), the firms of *k*
outside *R*. The positives of a gap are the suppliers outside *R*, assigned to *k*, with a
purchase link into *R* in the test years (*T*, *T*+Δ] and none in any year up to *T*
(``target="new"``; ``target="all"`` drops the "none up to *T*" condition). The ranking is
scored with precision@k, recall@k, MAP@k, NDCG@k, AUC-PR (average precision) and AUC-ROC,
against baselines that rank the **same** candidates: random (seeded), popularity (size and
degree), distance only, relatedness density only and "same as last period"
(autocorrelation, only where it applies: ``target="all"``). Negatives are every other
candidate of the gap (``all``), or per gap a seeded random sample (``random``) or "hard"
negatives of the same segment at a similar distance (``hard``).

Synthetic data validates code paths only, never the method's real-world accuracy
(chain-methods §3.4, §5): every result made on synthetic data says so.

Formulas: ``docs/chains.md`` § "Evaluating the investment targets".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import diagnose
from parklink.chains.eval_metrics import (
    METHODS,
    METRICS,
    NEGATIVES,
    auc_pr,
    auc_roc,
    average_precision_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from parklink.chains.eval_scoring import _fast_metrics, _score_gaps, _summarise
from parklink.chains.relatedness import Relatedness
from parklink.chains.rules import GapRules, TargetWeights
from parklink.chains.scope import Scope
from parklink.errors import NotFoundError, ValidationError
from parklink.settings import get_settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "METHODS",
    "METRICS",
    "NEGATIVES",
    "SYNTHETIC_NOTICE",
    "TargetEvaluation",
    "_fast_metrics",
    "auc_pr",
    "auc_roc",
    "average_precision_at_k",
    "evaluate_targets",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]


SYNTHETIC_NOTICE = ("合成数据：结果只验证代码路径，不代表方法在真实世界的准确性 / "
                    "synthetic data: these figures validate the code path only, never the "
                    "method's real-world accuracy (chain-methods §3.4)")
_BIG_N = 1_000_000_000  # "rank every candidate" for diagnose(top_n=...)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class TargetEvaluation:
    """Hold-out evaluation of the investment-target ranking (see the module docstring).

    * ``summary`` — per method × negatives × metric × k: mean over the evaluated gaps
      (``value``), its standard error, the number of evaluated gaps (``n_gaps``, gaps with
      at least one positive) and the mean base rate (positives / candidates);
    * ``per_gap`` — the same metrics per gap (scope_id, segment_id);
    * ``explain`` — ``gaps`` (every gap with candidates/positives), ``candidates`` (the
      candidate lists with labels, scores of every method, ranks), ``positives``,
      ``negatives`` (the sampled random/hard sets), ``targets`` (the engine's full ranked
      lists at T, ``ChainDiagnosis.targets``), ``diagnosis_timings``.
    """

    scopes: tuple[Scope, ...]
    train_year: int
    test_years: tuple[int, ...]
    ks: tuple[int, ...]
    target: str
    seed: int
    summary: pd.DataFrame
    per_gap: pd.DataFrame
    synthetic: bool = False
    notes: tuple[str, ...] = ()
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per method × negatives × metric × k: value, std error, number of gaps."""
        return self.summary.copy()

    @property
    def notice(self) -> str | None:
        """The bilingual synthetic-data warning, or None for non-synthetic data."""
        return SYNTHETIC_NOTICE if self.synthetic else None

    def headline(self, *, negatives: str = "all", k: int | None = None) -> pd.DataFrame:
        """Wide table (methods × metrics) for one negatives regime and one ``k`` (default: the
        smallest ``k``), plus AUC-PR and AUC-ROC."""
        kk = min(self.ks) if k is None else int(k)
        s = self.summary[self.summary["negatives"] == negatives]
        s = s[(s["k"] == kk) | s["k"].isna()]
        wide = s.pivot_table(index="method", columns="metric", values="value", aggfunc="first")
        order = [m for m in METHODS if m in wide.index]
        cols = [m for m in METRICS if m in wide.columns]
        wide = wide.reindex(index=order, columns=cols)
        ng = s.groupby("method")["n_gaps"].max().reindex(order)
        wide.insert(0, "n_gaps", ng.to_numpy())
        return wide.reset_index()


# --------------------------------------------------------------------------- evaluation


def evaluate_targets(
    data: ChainData,
    scopes: Scope | Sequence[Scope],
    *,
    train_year: int,
    test_years: Sequence[int] | None = None,
    ks: Sequence[int] = (10, 20, 50),
    chains: Sequence[str] | None = None,
    rules: GapRules | None = None,
    weights: TargetWeights | None = None,
    target: Literal["new", "all"] = "new",
    negatives_per_positive: int = 10,
    candidate_pool: int | None = None,
    seed: int | None = None,
) -> TargetEvaluation:
    """Evaluate the investment-target ranking of :func:`diagnose` on a temporal hold-out.

    ``diagnose(year=train_year)`` runs on the data up to ``train_year`` (T); its ranked
    candidates of every gap are scored against the suppliers that link into the scope in
    ``test_years`` (default: every year after T in the data) — new links only when
    ``target="new"`` (candidates that already sold into the scope up to T are then not
    eligible and leave every list). ``ks`` are the cut-offs of precision/recall/MAP/NDCG.
    ``negatives_per_positive`` sets the size of the sampled negative sets (random and hard;
    per gap ``min(candidates − positives, ratio × positives)``). ``candidate_pool`` is passed
    to :func:`diagnose` (default None: every firm of the segment is ranked, so recall is
    exact). ``seed`` (default: settings) drives the random baseline, tie-breaks and the
    negative samples. Method: chain-methods §3.4; formulas in ``docs/chains.md``.
    """
    scope_list = (scopes,) if isinstance(scopes, Scope) else tuple(scopes)
    if not scope_list:
        raise ValidationError.single("scopes", "no scope to evaluate (未指定范围)")
    if target not in ("new", "all"):
        raise ValidationError.single("target", "target must be 'new' or 'all'", value=target)
    k_list = tuple(sorted({int(k) for k in ks}))
    if not k_list or k_list[0] < 1:
        raise ValidationError.single("ks", "k must be positive integers", value=list(ks))
    if negatives_per_positive < 1:
        raise ValidationError.single("negatives_per_positive", "must be >= 1",
                                     value=negatives_per_positive)
    seed = int(get_settings().seed if seed is None else seed)
    con = data.con
    tx = data.transactions
    years = sorted(int(y) for y in con.execute(tx.select("year").distinct())["year"].dropna())
    t_year = int(train_year)
    if t_year not in years:
        raise NotFoundError(f"train year {t_year} has no transactions (训练年份无交易数据); years in "
                            f"the data: {years}")
    test = tuple(sorted({int(y) for y in test_years})) if test_years else tuple(
        y for y in years if y > t_year)
    if not test:
        raise NotFoundError(f"no test year after {t_year} in the data (无测试年份); years: {years}")
    if min(test) <= t_year:
        raise ValidationError.single("test_years", f"test years must be after the train year {t_year}",
                                     value=list(test))
    missing = [y for y in test if y not in years]
    if missing:
        raise NotFoundError(f"test years {missing} have no transactions (测试年份无交易数据)")

    # 1. the engine's ranking, fitted on data up to T (public API only)
    train = dataclasses.replace(data, transactions=tx.filter(tx.year <= t_year))
    diag = diagnose(train, scope_list, chains=chains, year=t_year, rules=rules, weights=weights,
                    top_n=_BIG_N, candidate_pool=candidate_pool)
    gaps = diag.gaps[["scope_id", "chain", "segment_id", "name_zh", "name_en", "gap_type",
                      "action"]].drop_duplicates(["scope_id", "segment_id"])
    gaps = gaps.reset_index(drop=True)
    cand = diag.targets[["scope_id", "segment_id", "rank", "enterprise_id", "province",
                         "adcode", "distance_km", "output"]].copy()
    cand["enterprise_id"] = cand["enterprise_id"].astype(str)

    # 2. labels from the transactions (Ibis): positives, past links, degree
    member = _membership(data.firms, scope_list)
    pos, past = _labels(con, data.firms, tx, member, gaps, t_year, test, target)
    degree = _degree(con, tx, t_year, sorted(set(cand["enterprise_id"])))

    notes: list[str] = []
    methods = [m for m in METHODS if m != "autocorrelation" or target == "all"]
    if target == "new":
        notes.append("“上期延续”基线不适用：新链接在T及以前均无交易，按定义得分全为0 / the "
                     "'same as last period' baseline does not apply to new links (every "
                     "positive had no link up to T by definition); use target='all'")
    if data.synthetic:
        notes.insert(0, SYNTHETIC_NOTICE)

    rel = _relatedness(diag.explain.get("city_segment_counts"))
    per_gap, cand_out, neg_out, gap_out = _score_gaps(
        gaps, cand, pos, past, degree, rel, methods, k_list, target, negatives_per_positive,
        seed)
    summary = _summarise(per_gap, methods, k_list, gap_out)
    summary.insert(0, "synthetic", bool(data.synthetic))
    explain = {"gaps": gap_out, "candidates": cand_out, "positives": pos,
               "negatives": neg_out, "targets": diag.targets,
               "diagnosis_timings": diag.explain.get("timings", pd.DataFrame())}
    return TargetEvaluation(
        scopes=scope_list, train_year=t_year, test_years=test, ks=k_list, target=target,
        seed=seed, summary=summary, per_gap=per_gap, synthetic=bool(data.synthetic),
        notes=tuple(notes), explain=explain)


# --------------------------------------------------------------------------- Ibis parts


def _membership(firms: ir.Table, scopes: tuple[Scope, ...]) -> ir.Table:
    """``(enterprise_id, scope_id)``: a firm is in a scope when its province, adcode or park
    id is in the scope's sets (the convention of docs/chains.md)."""
    import ibis

    parts: list[ir.Table] = []
    for s in scopes:
        conds = []
        for col, values in (("province", s.provinces), ("adcode", s.adcodes),
                            ("park_id", s.park_ids)):
            if values:
                conds.append(firms[col].cast("string").isin(sorted(values)).fill_null(False))
        if not conds:
            raise ValidationError.single("scope", "scope names no province, region or park",
                                         value=s.scope_id)
        cond = conds[0]
        for c in conds[1:]:
            cond = cond | c
        parts.append(firms.filter(cond).select(
            enterprise_id=firms.enterprise_id.cast("string"),
            scope_id=ibis.literal(s.scope_id, type="string")))
    out = parts[0] if len(parts) == 1 else ibis.union(*parts)
    return out.distinct()


def _labels(con: Any, firms: ir.Table, tx: ir.Table, member: ir.Table, gaps: pd.DataFrame,
            t_year: int, test: tuple[int, ...], target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Positives per gap and the past links into each scope (with the year-T value)."""
    import ibis
    from ibis import _

    cols_pos = ["scope_id", "segment_id", "enterprise_id", "value_test"]
    cols_past = ["scope_id", "enterprise_id", "value_last", "value_past"]
    if gaps.empty:
        return pd.DataFrame(columns=cols_pos), pd.DataFrame(columns=cols_past)
    t = tx.select(supplier_id=_.supplier_id.cast("string"), buyer_id=_.buyer_id.cast("string"),
                  year=_.year.cast("int64"), value=_.value_kcny.cast("float64"))
    mb = member.select(buyer_id="enterprise_id", scope_id="scope_id")
    into = t.join(mb, "buyer_id")
    # a supplier inside the scope never counts (internal purchases)
    ms = member.select(x_id="enterprise_id", x_scope="scope_id")
    into = into.left_join(ms, [into.supplier_id == ms.x_id, into.scope_id == ms.x_scope])
    into = into.filter(_.x_id.isnull()).select("scope_id", "supplier_id", "year", "value")
    past = into.filter(into.year <= t_year).group_by(["scope_id", "supplier_id"]).aggregate(
        value_last=_.value.sum(where=_.year == t_year).fill_null(0.0), value_past=_.value.sum())
    new = into.filter(into.year.isin(list(test))).group_by(["scope_id", "supplier_id"]).aggregate(
        value_test=_.value.sum())
    if target == "new":
        new = new.anti_join(past, ["scope_id", "supplier_id"])
    seg = firms.select(enterprise_id=firms.enterprise_id.cast("string"),
                       seglist=firms.segments.cast("string").fill_null(""))
    seg = seg.select("enterprise_id", segment_id=seg.seglist.split(";").unnest())
    seg = seg.mutate(segment_id=_.segment_id.strip())
    gt = ibis.memtable(gaps[["scope_id", "segment_id"]].astype(str).reset_index(drop=True))
    p = new.join(seg, new.supplier_id == seg.enterprise_id)
    p = p.join(gt, [p.scope_id == gt.scope_id, p.segment_id == gt.segment_id])
    pos = con.execute(p.select(scope_id=p.scope_id, segment_id=p.segment_id,
                               enterprise_id=p.supplier_id, value_test=p.value_test).distinct())
    scopes = sorted(set(gaps["scope_id"].astype(str)))
    pst = con.execute(past.filter(past.scope_id.isin(scopes)).select(
        "scope_id", enterprise_id=past.supplier_id, value_last=past.value_last,
        value_past=past.value_past))
    pos = pos[cols_pos].sort_values(cols_pos[:3]).reset_index(drop=True)
    return pos, pst[cols_past].reset_index(drop=True)


def _degree(con: Any, tx: ir.Table, t_year: int, ids: list[str]) -> pd.Series:
    """Distinct buyers of each candidate in all years up to T (popularity by degree)."""
    import ibis
    from ibis import _

    if not ids:
        return pd.Series(dtype=float)
    ct = ibis.memtable(pd.DataFrame({"c_id": ids}))
    t = tx.filter(tx.year <= t_year).select(supplier_id=_.supplier_id.cast("string"),
                                       buyer_id=_.buyer_id.cast("string"))
    j = t.join(ct, t.supplier_id == ct.c_id)
    d = con.execute(j.group_by("supplier_id").aggregate(degree=_.buyer_id.nunique()))
    out: pd.Series = d.set_index("supplier_id")["degree"].astype(float)
    return out


def _relatedness(city_counts: pd.DataFrame | None) -> Relatedness | None:
    """Relatedness of the circle's cities × segments firm-count matrix (as in the diagnosis)."""
    if city_counts is None or city_counts.empty:
        return None
    return Relatedness.from_long(city_counts.astype({"n_firms": float}), region="city",
                                 activity="segment_id", value="n_firms")
