"""Time split (hand-made history) and the paired randomisation test (exact and vs scipy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from parklink.errors import ValidationError
from parklink.rankeval.split import time_split
from parklink.rankeval.stats import paired_randomisation_test

LINKS = pd.DataFrame(
    [("q1", "a", 2021), ("q1", "b", 2022), ("q1", "a", 2023), ("q1", "c", 2023),
     ("q2", "b", 2023), ("q3", "d", 2022)],
    columns=["query_id", "item_id", "year"])


def test_time_split_new_links() -> None:
    s = time_split(LINKS, 2023)
    assert set(map(tuple, s.positives.to_numpy())) == {("q1", "c"), ("q2", "b")}
    assert s.train["year"].max() == 2022
    assert s.cold_queries == frozenset({"q2"})  # q2 has no link before 2023
    assert s.cold_items == frozenset({"c"})
    cand = pd.DataFrame({"query_id": ["q1"] * 4, "item_id": ["a", "b", "c", "d"]})
    e = s.eligible(cand)
    assert list(e["item_id"]) == ["c", "d"]  # a and b were linked to q1 before 2023
    assert list(e["label"]) == [1.0, 0.0]
    assert s.counts()["already_linked_pairs"] == 3


def test_time_split_all_links_and_errors() -> None:
    s = time_split(LINKS, 2023, target="all")
    assert set(map(tuple, s.positives.to_numpy())) == {("q1", "a"), ("q1", "c"), ("q2", "b")}
    cand = pd.DataFrame({"query_id": ["q1"] * 2, "item_id": ["a", "d"]})
    assert list(s.eligible(cand)["label"]) == [1.0, 0.0]
    with pytest.raises(ValidationError):
        time_split(LINKS.drop(columns="year"), 2023)
    with pytest.raises(ValidationError):
        time_split(LINKS, 2023, target="some")  # type: ignore[arg-type]


def test_paired_test_exact_by_hand() -> None:
    # d = (1, 1, 1): only the all-plus sign vector reaches the observed mean -> p = 1/8
    t = paired_randomisation_test([2, 2, 2], [1, 1, 1])
    assert t.exact and t.p_value == pytest.approx(1 / 8)
    assert t.mean_difference == pytest.approx(1.0)
    # no difference -> every flip ties -> p = 1
    assert paired_randomisation_test([1, 2, 3], [1, 2, 3]).p_value == 1.0


def test_paired_test_agrees_with_scipy() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(0.1, 1.0, 12)
    b = rng.normal(0.0, 1.0, 12)
    ours = paired_randomisation_test(a, b)
    ref = stats.permutation_test((a, b), lambda x, y: np.mean(x - y), permutation_type="samples",
                                 alternative="greater", n_resamples=np.inf)
    assert ours.exact
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)


def test_paired_test_monte_carlo_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(0.5, 1.0, 200)
    b = rng.normal(0.0, 1.0, 200)
    t1 = paired_randomisation_test(a, b, n_permutations=2000, seed=1)
    t2 = paired_randomisation_test(a, b, n_permutations=2000, seed=1)
    assert t1 == t2 and not t1.exact
    assert t1.p_value < 0.01
    assert paired_randomisation_test(b, a, n_permutations=2000, seed=1).p_value > 0.9
    with pytest.raises(ValidationError):
        paired_randomisation_test([1, 2], [1])
