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
