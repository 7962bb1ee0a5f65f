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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import diagnose
from parklink.chains.relatedness import Relatedness
from parklink.chains.rules import GapRules, TargetWeights
from parklink.chains.scope import Scope
from parklink.errors import NotFoundError, ValidationError
from parklink.settings import get_settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

FloatArray = npt.NDArray[np.float64]

#: Methods in report order: the engine's ranking, then the baselines.
METHODS: dict[str, tuple[str, str]] = {
    "model": ("招商目标评分", "target score (engine)"),
    "random": ("随机", "random (seeded)"),
    "popularity_size": ("规模（产值）", "popularity: size (output)"),
    "popularity_degree": ("客户数", "popularity: degree (buyers up to T)"),
    "distance": ("距离", "distance only"),
    "relatedness": ("关联密度", "relatedness density only"),
    "autocorrelation": ("上期延续", "same as last period"),
}
METRICS: dict[str, tuple[str, str]] = {
    "precision": ("精确率@k", "precision@k"),
    "recall": ("召回率@k", "recall@k"),
    "map": ("平均精确率@k", "MAP@k"),
    "ndcg": ("归一化折损累计增益@k", "NDCG@k"),
    "auc_pr": ("PR曲线下面积", "AUC-PR (average precision)"),
    "auc_roc": ("ROC曲线下面积", "AUC-ROC (not headlined)"),
}
NEGATIVES: dict[str, tuple[str, str]] = {
    "all": ("全部候选", "all candidates"),
    "random": ("随机负例", "random negatives"),
    "hard": ("困难负例", "hard negatives (same segment, similar distance)"),
}
SYNTHETIC_NOTICE = ("合成数据：结果只验证代码路径，不代表方法在真实世界的准确性 / "
                    "synthetic data: these figures validate the code path only, never the "
                    "method's real-world accuracy (chain-methods §3.4)")
_BIG_N = 1_000_000_000  # "rank every candidate" for diagnose(top_n=...)


# --------------------------------------------------------------------------- metrics


def _rel(relevance: Sequence[float] | npt.ArrayLike) -> FloatArray:
    r = np.asarray(relevance, dtype=float).ravel()
    if r.size and (((r != 0) & (r != 1)).any() or not np.isfinite(r).all()):
        raise ValidationError.single("relevance", "relevance must be 0/1 in ranked order")
    return r


def _check_k(k: int) -> None:
    if int(k) < 1:
        raise ValidationError.single("k", "k must be a positive integer", value=k)


def precision_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int) -> float:
    """Precision@k of one ranked list: hits among the first ``k`` items divided by ``k``.

    ``relevance`` holds 0/1 labels in ranked order (best first). A list shorter than ``k``
    still divides by ``k`` (missing places count as misses), so ``precision@k · k`` never
    exceeds the number of positives (Manning, Raghavan & Schütze 2008, *Introduction to
    Information Retrieval*, §8.4).
    """
    _check_k(k)
    r = _rel(relevance)
    return float(r[:k].sum() / k)


def recall_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
                n_positives: int | None = None) -> float:
    """Recall@k: hits among the first ``k`` items divided by the number of positives.

    ``n_positives`` (default: the positives in the list) lets positives that the list does
    not contain count as misses. NaN when there are no positives (Manning et al. 2008 §8.4).
    """
    _check_k(k)
    r = _rel(relevance)
    n = float(r.sum()) if n_positives is None else float(n_positives)
    if n <= 0:
        return float("nan")
    return float(r[:k].sum() / n)


def average_precision_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
                           n_positives: int | None = None) -> float:
    """AP@k: ``Σ_{i≤k} P@i · rel_i / min(k, n_positives)`` (the mean of AP@k over gaps is MAP@k).

    The normaliser ``min(k, n_pos)`` is the one of the widely used ``apk`` of Hamner's
    ml_metrics and of Manning et al. 2008 §8.4 truncated at ``k``; a perfect top-k ranking
    scores 1. NaN when there are no positives.
    """
    _check_k(k)
    r = _rel(relevance)[:k]
    n = float(_rel(relevance).sum()) if n_positives is None else float(n_positives)
    if n <= 0:
        return float("nan")
    if not r.size:
        return 0.0
    prec = np.cumsum(r) / np.arange(1, r.size + 1)
    return float((prec * r).sum() / min(k, n))


def ndcg_at_k(relevance: Sequence[float] | npt.ArrayLike, k: int,
              n_positives: int | None = None) -> float:
    """NDCG@k with binary gains: ``DCG@k / IDCG@k``, ``DCG@k = Σ_{i≤k} rel_i / log2(i + 1)``.

    ``IDCG@k`` is the DCG of the ideal list, ``Σ_{i≤min(k, n_pos)} 1 / log2(i + 1)``
    (Järvelin & Kekäläinen 2002, ACM TOIS 20(4)). NaN when there are no positives.
    """
    _check_k(k)
    full = _rel(relevance)
    n = int(full.sum()) if n_positives is None else int(n_positives)
    if n <= 0:
        return float("nan")
    r = full[:k]
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((r * disc[: r.size]).sum())
    idcg = float(disc[: min(k, n)].sum())
    return dcg / idcg


def auc_pr(relevance: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the precision–recall curve of a complete, strictly ordered ranked list, as
    average precision ``AP = Σ_n (R_n − R_{n−1}) P_n = Σ_i P@i · rel_i / n_pos`` (the
    step-wise estimator of scikit-learn ``average_precision_score``; Manning et al. 2008
    §8.4). NaN without positives."""
    r = _rel(relevance)
    n = float(r.sum())
    if n == 0:
        return float("nan")
    prec = np.cumsum(r) / np.arange(1, r.size + 1)
    return float((prec * r).sum() / n)


def auc_roc(relevance: Sequence[float] | npt.ArrayLike) -> float:
    """Area under the ROC curve of a complete, strictly ordered ranked list: the share of
    (positive, negative) pairs with the positive ranked first (Mann–Whitney U / (P·N);
    Hanley & McNeil 1982, Radiology 143). NaN when the list lacks positives or negatives."""
    r = _rel(relevance)
    n_pos = float(r.sum())
    n_neg = float(r.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    neg_below = n_neg - np.cumsum(1.0 - r)  # negatives ranked after each position
    return float((neg_below * r).sum() / (n_pos * n_neg))


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
