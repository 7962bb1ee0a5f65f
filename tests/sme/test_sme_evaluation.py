"""The time-split matching evaluation on a small generated dataset (seeded, with its oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from parklink.datasets import synthetic as syn
from parklink.inputs import embedded_inputs
from parklink.sme.evaluation import FEATURES, evaluate_matching


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("smeeval") / "firms"
    syn.write_dataset(root, n_firms=1500, n_transactions=30_000, seed=5, progress=False)
    return embedded_inputs(firm_root=root)


def test_evaluation_table_is_complete_and_reproducible(inputs) -> None:  # type: ignore[no-untyped-def]
    a = evaluate_matching(inputs, n_queries=30, n_permutations=500)
    b = evaluate_matching(inputs, n_queries=30, n_permutations=500)
    t = a.to_frame()
    assert t.equals(b.to_frame())  # seeded: the same table twice
    assert t["method"].tolist() == ["learned", "hand", "random", "popularity_size", "popularity_degree", "same_segment", "nearest",
                                    "last_period", "oracle"]
    assert t["kind"].tolist()[-1] == "oracle" and a.oracle and a.synthetic
    for col in ("precision@10", "ndcg@10", "map"):
        assert t[col].between(0, 1).all()
    rows = t.set_index("method")
    assert rows.loc["oracle", "ndcg@10"] >= rows.loc["random", "ndcg@10"]  # the upper bound is not below chance
    assert 0 < rows.loc["learned", "p_vs_best_baseline"] <= 1
    assert int(t["best_baseline"].sum()) == 1
    # the per-query table reproduces the means of the table
    pq = a.explain()["per_query"]
    assert np.isclose(pq[pq["method"] == "learned"]["ndcg@10"].mean(), rows.loc["learned", "ndcg@10"])
    w = a.explain()["weights"]
    assert set(w["feature"]) == set(FEATURES)
    assert a.counts["test_queries"] == rows.loc["learned", "n_queries"] or a.counts["test_queries"] >= 1
    assert "p=" in a.table.summary()


def test_learned_suppliers_rank_new_suppliers_with_reasons(inputs) -> None:  # type: ignore[no-untyped-def]
    from parklink.sme.learned import fit_supplier_ranker, learned_suppliers

    fitted = fit_supplier_ranker(inputs, n_queries=30)
    buyer = str(fitted.links["buyer_id"].value_counts().index[0])
    res = learned_suppliers(fitted, buyer, k=5)
    tab = res.to_frame()
    assert len(tab) == 5 and (tab["tie"] == 0).all()  # only suppliers it does not trade with yet
    assert tab["learned_score"].is_monotonic_decreasing
    existing = set(fitted.links.loc[fitted.links["buyer_id"] == buyer, "supplier_id"])
    assert not existing & set(tab["candidate_id"])
    assert all(r for r in tab["reason_en"]) and "learned ranking" in res.notes[0]
    # the fitted weights travel with the result: explain() and summary() show the model's own
    w = res.explain()["weights"]
    assert list(w["feature"]) == list(fitted.weights()["feature"])
    assert res.summary()["learned"] is True and res.summary()["fitted_year"] == fitted.year


def test_run_enterprise_is_learned_by_default_and_services_say_not_learned(inputs) -> None:  # type: ignore[no-untyped-def]
    from parklink.sme.engine import MatchConfig
    from parklink.sme.learned import fit_supplier_ranker, learned_suppliers
    from parklink.sme.run import SupplierModel, run_suppliers, supplier_model

    fitted = fit_supplier_ranker(inputs, n_queries=30)
    buyer = str(fitted.links["buyer_id"].value_counts().index[0])
    model = SupplierModel(fitted)
    res = run_suppliers(inputs, buyer, MatchConfig(k=5), model)
    direct = learned_suppliers(fitted, buyer, k=5)
    assert list(res.to_frame()["candidate_id"]) == list(direct.to_frame()["candidate_id"])
    assert res.meta["ranking"] == "learned" and res.meta["fingerprint"]
    hand = run_suppliers(inputs, buyer, MatchConfig(k=5, supplier_ranking="hand"), model)
    assert hand.meta["ranking"] == "hand" and not hand.meta["learned"] and "weights" not in hand.meta
    # the bundle fits once: the second call returns the same object
    assert supplier_model(inputs) is supplier_model(inputs)
