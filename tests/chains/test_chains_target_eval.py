"""Hold-out evaluation of the investment targets (parklink.chains.evaluation).

Metric functions are checked against hand-computed cases and against scikit-learn on random
lists (hypothesis); the evaluation against a hand-made network whose positives and hit
ranks are known by construction:

    scope park p1 (SC, 104.27 E 30.56 N): buyers F1 (vehicle leader), F2 (parts); no steel
    firm, so (park:p1, auto.steel) is a "missing" gap. Steel firms S1..S6 lie east of p1 at
    104.27 + 0.2·i E (distance grows with i) with output 700 − 100·i (size falls with i),
    so every factor of the engine's score orders them S1 < S2 < ... < S6.

    2021: S4→F2                       (an old link into p1)
    2022: S1→F1; S5→F4, S5→F5, S5→B9; S2→F4, S2→F5; S3→F4   (degree: S5 3, S2 2, S3 1)
    2023: S2→F2, S5→F1 (new links into p1), S1→F1 (a repeated link), S6→F4 (not into p1)

    target "new" (T = 2022, test 2023): S1 and S4 already sold into p1 up to T, so they
    leave the list; candidates S2, S3, S5, S6; positives {S2, S5}.
      engine order S2, S3, S5, S6 -> labels [1, 0, 1, 0] (hits at ranks 1 and 3)
      P@1 = 1, P@2 = 1/2, P@3 = 2/3; R@1 = 1/2, R@3 = 1; AP@3 = (1 + 2/3)/2 = 5/6;
      NDCG@3 = (1 + 1/log2 4)/(1 + 1/log2 3); AUC-PR = 5/6; AUC-ROC = 3/4 (3 of 4 pairs)
      degree order S5, S2, S3, S6 -> [1, 1, 0, 0]: P@2 = 1, AP = 1, AUC-ROC = 1
    target "all": positives {S1, S2, S5}; candidates S1..S6; engine labels [1,1,0,0,1,0];
      "same as last period" ranks S1 (the only 2022 seller into p1) first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score
from typer.testing import CliRunner

from parklink.chains import eval_cli
from parklink.chains.data import ChainData
from parklink.chains.evaluation import (
    SYNTHETIC_NOTICE,
    TargetEvaluation,
    _fast_metrics,
    auc_pr,
    auc_roc,
    average_precision_at_k,
    evaluate_targets,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from parklink.chains.scope import Scope, resolve_scope
from parklink.errors import NotFoundError, ValidationError
from parklink.firmdata import FirmDataset
from parklink.settings import get_settings

from .conftest import cli_app, scope_frames, template_frame

GAP = ("park:p1", "auto.steel")


# --------------------------------------------------------------------------- metrics


def test_metrics_hand_computed() -> None:
    rel = [1, 0, 1, 0, 0]  # three positives, one of them not in the list
    assert precision_at_k(rel, 1) == 1.0
    assert precision_at_k(rel, 3) == pytest.approx(2 / 3)
    assert precision_at_k(rel, 10) == pytest.approx(0.2)  # short list: divide by k
    assert recall_at_k(rel, 3, 3) == pytest.approx(2 / 3)
    assert recall_at_k(rel, 3) == 1.0  # positives of the list only
    assert average_precision_at_k(rel, 3, 3) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision_at_k(rel, 2, 3) == pytest.approx(1 / 2)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(rel, 3, 3) == pytest.approx((1 + 1 / math.log2(4)) / idcg)
    assert ndcg_at_k([0, 1], 2) == pytest.approx((1 / math.log2(3)) / 1.0)
    assert auc_pr([1, 0, 1, 0]) == pytest.approx((1 + 2 / 3) / 2)
    assert auc_roc([1, 0, 1, 0]) == pytest.approx(3 / 4)
    assert auc_roc([0, 0, 1]) == 0.0 and auc_roc([1, 1, 0]) == 1.0
    assert math.isnan(recall_at_k([0, 0], 1)) and math.isnan(auc_roc([1, 1]))
    with pytest.raises(ValidationError):
        precision_at_k([1, 2], 1)
    with pytest.raises(ValidationError):
        precision_at_k([1], 0)


@settings(max_examples=100, deadline=None)
@given(rel=st.lists(st.integers(0, 1), min_size=2, max_size=60),
       n_missing=st.integers(0, 5), k=st.integers(1, 70))
def test_metric_properties(rel: list[int], n_missing: int, k: int) -> None:
    n_pos = sum(rel) + n_missing
    p = precision_at_k(rel, k)
    assert 0.0 <= p <= 1.0 and p * k <= n_pos + 1e-9
    if n_pos == 0:
        return
    for value in (recall_at_k(rel, k, n_pos), average_precision_at_k(rel, k, n_pos),
                  ndcg_at_k(rel, k, n_pos)):
        assert 0.0 <= value <= 1.0 + 1e-12
    if sum(rel) == 0:
        return
    score = -np.arange(len(rel), dtype=float)  # strictly ordered list
    assert auc_pr(rel) == pytest.approx(average_precision_score(rel, score))
    assert ndcg_at_k(rel, k) == pytest.approx(
        ndcg_score(np.asarray([rel]), np.asarray([score]), k=k))
    if 0 < sum(rel) < len(rel):
        assert auc_roc(rel) == pytest.approx(roc_auc_score(rel, score))
    # the full-list AP@n equals the area under the PR curve
    assert average_precision_at_k(rel, len(rel)) == pytest.approx(auc_pr(rel))


@settings(max_examples=60, deadline=None)
@given(rel=st.lists(st.integers(0, 1), min_size=1, max_size=40), n_missing=st.integers(0, 3),
       ks=st.lists(st.integers(1, 50), min_size=1, max_size=3, unique=True))
def test_batch_metrics_match_the_public_functions(rel: list[int], n_missing: int,
                                                  ks: list[int]) -> None:
    labels = np.asarray(rel + [1] * n_missing, dtype=float)  # missing positives go last
    n_pos = int(labels.sum())
    if n_pos == 0:
        return
    got = {(m, k): v for m, k, v in _fast_metrics(labels, n_pos, tuple(ks), np.ones(0), np.ones(0))}
    for k in ks:
        assert got["precision", k] == pytest.approx(precision_at_k(labels, k))
        assert got["recall", k] == pytest.approx(recall_at_k(labels, k, n_pos))
        assert got["map", k] == pytest.approx(average_precision_at_k(labels, k, n_pos))
        assert got["ndcg", k] == pytest.approx(ndcg_at_k(labels, k, n_pos))
    assert got["auc_pr", None] == pytest.approx(auc_pr(labels))
    roc = auc_roc(labels)
    assert (math.isnan(roc) and math.isnan(got["auc_roc", None])) or \
        got["auc_roc", None] == pytest.approx(roc)


# --------------------------------------------------------------------------- network


def _firms(synthetic: bool = True) -> pd.DataFrame:
    rows = [
        ("F1", "SC", "510112", "p1", 104.27, 30.56, "auto", "auto.vehicle", 1000.0, True),
        ("F2", "SC", "510112", "p1", 104.28, 30.57, "auto", "auto.parts", 200.0, False),
        ("F4", "CQ", "500112", "p2", 106.63, 29.72, "auto", "auto.vehicle", 800.0, True),
        ("F5", "CQ", "500112", "p2", 106.64, 29.73, "auto", "auto.parts", 300.0, False),
        ("B9", "OUT", None, None, 121.47, 31.23, "auto", "auto.vehicle", 900.0, False),
    ]
    for i in range(1, 7):
        prov, ad = ("SC", "510116") if i <= 3 else ("CQ", "500113")
        rows.append((f"S{i}", prov, ad, None, 104.27 + 0.2 * i, 30.56, "auto", "auto.steel",
                     700.0 - 100.0 * i, False))
    f = pd.DataFrame(rows, columns=["enterprise_id", "province", "adcode", "park_id", "lon",
                                    "lat", "chain", "segments", "output_cny_m", "leading"])
    for c in ("adcode", "park_id"):
        f[c] = f[c].astype("string")
    f["synthetic"] = synthetic
    return f


def _tx() -> pd.DataFrame:
    rows = [("S4", "F2", 2021, 10.0),
            ("S1", "F1", 2022, 30.0), ("S5", "F4", 2022, 5.0), ("S5", "F5", 2022, 5.0),
            ("S5", "B9", 2022, 5.0), ("S2", "F4", 2022, 5.0), ("S2", "F5", 2022, 5.0),
            ("S3", "F4", 2022, 5.0),
            ("S2", "F2", 2023, 15.0), ("S5", "F1", 2023, 25.0), ("S1", "F1", 2023, 30.0),
            ("S6", "F4", 2023, 5.0)]
    t = pd.DataFrame(rows, columns=["supplier_id", "buyer_id", "year", "value_kcny"])
    t["year"] = t["year"].astype("int64")
    return t


@pytest.fixture(scope="module")
def net() -> ChainData:
    return ChainData.from_frames(_firms(), _tx(), template_frame())


@pytest.fixture(scope="module")
def p1() -> Scope:
    return resolve_scope("park:p1", scope_frames())


@pytest.fixture(scope="module")
def ev_new(net: ChainData, p1: Scope) -> TargetEvaluation:
    return evaluate_targets(net, p1, train_year=2022, test_years=[2023], ks=(1, 2, 3),
                            chains=["auto"], seed=7)


@pytest.fixture(scope="module")
def ev_all(net: ChainData, p1: Scope) -> TargetEvaluation:
    return evaluate_targets(net, p1, train_year=2022, test_years=[2023], ks=(1, 3),
                            chains=["auto"], seed=7, target="all", negatives_per_positive=1)


def _val(ev: TargetEvaluation, method: str, metric: str, k: int | None,
         negatives: str = "all") -> float:
    t = ev.per_gap
    sel = ((t["scope_id"] == GAP[0]) & (t["segment_id"] == GAP[1]) & (t["method"] == method)
           & (t["metric"] == metric) & (t["negatives"] == negatives))
    sel &= t["k"].isna() if k is None else (t["k"] == k)
    assert sel.sum() == 1
    return float(t.loc[sel, "value"].iloc[0])


def test_positives_and_candidates_by_construction(ev_new: TargetEvaluation) -> None:
    pos = ev_new.explain["positives"]
    got = pos[(pos["scope_id"] == GAP[0]) & (pos["segment_id"] == GAP[1])]
    assert sorted(got["enterprise_id"]) == ["S2", "S5"]
    c = ev_new.explain["candidates"]
    c = c[(c["scope_id"] == GAP[0]) & (c["segment_id"] == GAP[1])].sort_values("rank_model")
    assert list(c["enterprise_id"]) == ["S2", "S3", "S5", "S6"]  # S1, S4 linked up to T
    assert list(c["label"]) == [1.0, 0.0, 1.0, 0.0]
    g = ev_new.explain["gaps"].set_index(["scope_id", "segment_id"]).loc[GAP]
    assert (g["n_ranked"], g["n_candidates"], g["n_positives"]) == (6, 4, 2)
    assert g["base_rate"] == pytest.approx(0.5)
    assert ev_new.explain["gaps"]["evaluated"].sum() == 1  # the other gaps get no new link


def test_engine_hit_ranks(ev_new: TargetEvaluation) -> None:
    assert _val(ev_new, "model", "precision", 1) == 1.0
    assert _val(ev_new, "model", "precision", 2) == 0.5
    assert _val(ev_new, "model", "precision", 3) == pytest.approx(2 / 3)
    assert _val(ev_new, "model", "recall", 1) == 0.5
    assert _val(ev_new, "model", "recall", 3) == 1.0
    assert _val(ev_new, "model", "map", 3) == pytest.approx(5 / 6)
    assert _val(ev_new, "model", "ndcg", 3) == pytest.approx(
        (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert _val(ev_new, "model", "auc_pr", None) == pytest.approx(5 / 6)
    assert _val(ev_new, "model", "auc_roc", None) == pytest.approx(3 / 4)
    # size and distance order the steel firms like the engine; degree puts S5, S2 first
    for m in ("popularity_size", "distance"):
        assert _val(ev_new, m, "map", 3) == pytest.approx(5 / 6)
    assert _val(ev_new, "popularity_degree", "precision", 2) == 1.0
    assert _val(ev_new, "popularity_degree", "auc_roc", None) == 1.0
    s = ev_new.to_frame()
    row = s[(s["method"] == "model") & (s["metric"] == "map") & (s["k"] == 3)
            & (s["negatives"] == "all")]
    assert row["value"].iloc[0] == pytest.approx(5 / 6) and row["n_gaps"].iloc[0] == 1


def test_engine_ranking_comes_from_diagnose(ev_new: TargetEvaluation) -> None:
    t = ev_new.explain["targets"]  # ChainDiagnosis.targets of diagnose(year=2022)
    t = t[(t["scope_id"] == GAP[0]) & (t["segment_id"] == GAP[1])].sort_values("rank")
    assert list(t["enterprise_id"]) == [f"S{i}" for i in range(1, 7)]
    c = ev_new.explain["candidates"]
    c = c[(c["scope_id"] == GAP[0]) & (c["segment_id"] == GAP[1])]
    order = list(c.sort_values("rank_model")["enterprise_id"])
    assert order == [e for e in t["enterprise_id"] if e in set(order)]


def test_baselines_rank_the_same_candidates(ev_new: TargetEvaluation) -> None:
    c = ev_new.explain["candidates"]
    ranks = [col for col in c.columns if col.startswith("rank_")]
    assert {"rank_model", "rank_random", "rank_popularity_size", "rank_popularity_degree",
            "rank_distance", "rank_relatedness"} <= set(ranks)
    assert "rank_autocorrelation" not in ranks  # does not apply to new links
    for _, g in c.groupby(["scope_id", "segment_id"]):
        for col in ranks:
            assert sorted(g[col]) == list(range(1, len(g) + 1))
    per = ev_new.per_gap
    n_list = per[per["negatives"] == "all"].groupby("method")["n_list"].unique()
    assert all(list(v) == [4] for v in n_list)


def test_sampled_negatives(ev_new: TargetEvaluation) -> None:
    neg = ev_new.explain["negatives"]
    g = neg[(neg["scope_id"] == GAP[0]) & (neg["segment_id"] == GAP[1])]
    # two negatives (S3, S6) <= 10 per positive: both sets take every negative
    assert sorted(g.loc[g["negatives"] == "hard", "enterprise_id"]) == ["S3", "S6"]
    assert sorted(g.loc[g["negatives"] == "random", "enterprise_id"]) == ["S3", "S6"]
    assert _val(ev_new, "model", "map", 3, "hard") == pytest.approx(5 / 6)


def test_hard_negatives_are_near_the_positives(ev_all: TargetEvaluation) -> None:
    neg = ev_all.explain["negatives"]
    g = neg[(neg["scope_id"] == GAP[0]) & (neg["segment_id"] == GAP[1])]
    # positives S1, S2, S5 (target all); one negative each, nearest in distance first:
    # S1 -> S3 (S2 is a positive), S2 -> S3 is taken so S4, S5 -> S4 and S6 tie, S4 is
    # taken so S6
    hard = sorted(g.loc[g["negatives"] == "hard", "enterprise_id"])
    assert hard == ["S3", "S4", "S6"]
    assert len(g[g["negatives"] == "random"]) == 3


def test_target_all_and_autocorrelation(ev_all: TargetEvaluation) -> None:
    c = ev_all.explain["candidates"]
    c = c[(c["scope_id"] == GAP[0]) & (c["segment_id"] == GAP[1])].sort_values("rank_model")
    assert list(c["enterprise_id"]) == [f"S{i}" for i in range(1, 7)]
    assert list(c["label"]) == [1, 1, 0, 0, 1, 0]
    assert c.set_index("enterprise_id").at["S1", "rank_autocorrelation"] == 1
    assert _val(ev_all, "autocorrelation", "precision", 1) == 1.0
    assert _val(ev_all, "model", "precision", 3) == pytest.approx(2 / 3)
    assert _val(ev_all, "model", "recall", 3) == pytest.approx(2 / 3)
    assert not any("same as last period" in n for n in ev_all.notes)


def test_seeded_determinism_and_synthetic_label(p1: Scope, ev_new: TargetEvaluation) -> None:
    assert ev_new.synthetic and ev_new.notice == SYNTHETIC_NOTICE
    assert ev_new.notes[0] == SYNTHETIC_NOTICE and "合成数据" in SYNTHETIC_NOTICE
    assert ev_new.to_frame()["synthetic"].all()
    # the same network marked non-synthetic, same seed: identical figures, no warning
    real = ChainData.from_frames(_firms(synthetic=False), _tx(), template_frame())
    b = evaluate_targets(real, p1, train_year=2022, ks=(1, 2, 3), chains=["auto"], seed=7)
    assert b.notice is None and not b.to_frame()["synthetic"].any()
    assert b.test_years == (2023,)  # default: every year after T
    pd.testing.assert_frame_equal(ev_new.to_frame().drop(columns="synthetic"),
                                  b.to_frame().drop(columns="synthetic"))
    pd.testing.assert_frame_equal(ev_new.per_gap, b.per_gap)
    pd.testing.assert_frame_equal(ev_new.explain["candidates"], b.explain["candidates"])
    # another seed: another random order (4 candidates; fixed seeds, so this is stable)
    c = evaluate_targets(real, p1, train_year=2022, ks=(1,), chains=["auto"], seed=8)
    ra = ev_new.explain["candidates"].sort_values("rank_random")["enterprise_id"]
    rc = c.explain["candidates"].sort_values("rank_random")["enterprise_id"]
    assert list(ra) != list(rc)


def test_user_errors(net: ChainData, p1: Scope) -> None:
    with pytest.raises(NotFoundError):
        evaluate_targets(net, p1, train_year=2019)
    with pytest.raises(NotFoundError):
        evaluate_targets(net, p1, train_year=2023)
    with pytest.raises(ValidationError):
        evaluate_targets(net, p1, train_year=2022, test_years=[2022])
    with pytest.raises(ValidationError):
        evaluate_targets(net, p1, train_year=2022, ks=(0,))


# --------------------------------------------------------------------------- CLI


def test_write_files(ev_new: TargetEvaluation, tmp_path: Path) -> None:
    eval_cli.write_evaluation(ev_new, tmp_path / "e.csv")
    s = pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")
    assert s["synthetic"].all() and len(s) == len(ev_new.to_frame())
    assert (tmp_path / "e.per_gap.csv").exists() and (tmp_path / "e.gaps.csv").exists()
    eval_cli.write_evaluation(ev_new, tmp_path / "e.json")
    doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is True and doc["notice"] == SYNTHETIC_NOTICE
    j = pd.DataFrame(doc["summary"])
    got = j[(j["method"] == "model") & (j["metric"] == "map") & (j["k"] == 3)
            & (j["negatives"] == "all")]["value"]
    assert got.iloc[0] == pytest.approx(5 / 6)
    with pytest.raises(ValidationError):
        eval_cli.write_evaluation(ev_new, tmp_path / "e.txt")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    ds = FirmDataset(tmp_path / "firms")
    ds.transactions_dir.mkdir(parents=True, exist_ok=True)
    _firms().to_parquet(ds.firms_path, index=False)
    _tx().to_parquet(ds.transactions_dir / "part-0.parquet", index=False)
    a = cli_app(monkeypatch, tmp_path, eval_cli.register)
    yield a
    get_settings.cache_clear()


def test_cli_table_and_errors(app: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["chains-eval", "park:p1", "--train-year", "2022", "--test-years", "2023",
            "--k", "1,3", "--chain", "auto", "--seed", "7"]
    monkeypatch.setenv("PARKLINK_WIDE", "1")  # every metric column (80 columns drops some)
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "精确" in r.output and "precision@3" in r.output and "合成数据" in r.output
    assert "synthetic data" in r.output and "困难负例" in r.output
    for bad in (["--train-year", "2023"], ["--train-year", "2022", "--k", "x"],
                ["--train-year", "2022", "--target", "old"]):
        r = CliRunner().invoke(app, ["chains-eval", "park:p1", *bad])
        assert r.exit_code == 1 and "Error" in r.output, r.output


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(__import__("importlib.util").util.find_spec("pyspark") is None,
                    reason="pyspark is not installed (pip install 'parklink[spark]')")
def test_duckdb_and_spark_agree(tmp_path: Path, p1: Scope) -> None:
    import ibis
    from pyspark.sql import SparkSession

    ds = FirmDataset(tmp_path / "firms")
    ds.transactions_dir.mkdir(parents=True, exist_ok=True)
    _firms().to_parquet(ds.firms_path, index=False)
    _tx().to_parquet(ds.transactions_dir / "part-0.parquet", index=False)
    session = (SparkSession.builder.master("local[2]").appName("parklink-eval-test")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        kw = {"train_year": 2022, "ks": (1, 3), "chains": ["auto"], "seed": 7}
        duck = evaluate_targets(ChainData.from_dataset(ds, template=template_frame(),
                                                       con=ibis.duckdb.connect()), p1, **kw)
        spark = evaluate_targets(ChainData.from_dataset(
            ds, template=template_frame(), con=ibis.pyspark.connect(session)), p1, **kw)
    finally:
        session.stop()
    pd.testing.assert_frame_equal(duck.to_frame(), spark.to_frame(), check_dtype=False)
    pd.testing.assert_frame_equal(duck.per_gap, spark.per_gap, check_dtype=False)
