"""PROMETHEE II flows computed a block of rows at a time equal pymcdm's full-table flows
exactly (same arithmetic, same order), for every preference function; and the evaluation
switches to them above ``PROMETHEE_BLOCK_FROM`` alternatives without changing a score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymcdm.methods import PROMETHEE_II

from parklink.evaluate import methods as mt


@pytest.mark.parametrize("function", ["usual", "vshape", "vshape_2"])
def test_block_flows_equal_pymcdm(function: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 10, (257, 5))
    x[:, 2] = rng.integers(0, 3, 257)  # ties
    w = rng.uniform(0.1, 1, 5)
    w /= w.sum()
    types = np.array([1, -1, 1, 1, -1])
    p = x.max(0) - x.min(0)
    q = p * 0.1
    kw = {"usual": {}, "vshape": {"p": p}, "vshape_2": {"p": p, "q": q}}[function]
    res = PROMETHEE_II(function, **kw)(x, w, types, verbose=True)
    t = {d.desc.label: np.asarray(d.data) for d in res.results}
    pos, neg = mt.promethee_flows(x, w, types, function, block=64, **kw)
    assert np.array_equal(pos, t["pos_flow"]) and np.array_equal(neg, t["neg_flow"])
    assert np.array_equal(pos - neg, t["net_flow"])


def test_evaluation_uses_blocks_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.evaluate.matrix import Criterion, DecisionMatrix

    rng = np.random.default_rng(2)
    crits = (Criterion("a", "甲", "a", "1", "benefit"), Criterion("b", "乙", "b", "1", "cost"))
    frame = pd.DataFrame({"a": rng.uniform(0, 1, 40), "b": rng.uniform(0, 1, 40)},
                         index=[f"p{i}" for i in range(40)])
    dm = DecisionMatrix.from_frame(frame, crits)
    full = mt.promethee_ii(dm, weights=[0.6, 0.4])
    monkeypatch.setattr(mt, "PROMETHEE_BLOCK_FROM", 10)
    blocks = mt.promethee_ii(dm, weights=[0.6, 0.4])
    assert np.array_equal(full.scores, blocks.scores)
    pd.testing.assert_frame_equal(full.tables["flows"], blocks.tables["flows"])


def test_direct_steps_equal_verbose_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """TOPSIS and VIKOR from pymcdm's arrays (large registries) equal the verbose path."""
    from parklink.evaluate.matrix import Criterion, DecisionMatrix

    rng = np.random.default_rng(4)
    crits = (Criterion("a", "甲", "a", "1", "benefit"), Criterion("b", "乙", "b", "1", "cost"),
             Criterion("c", "丙", "c", "1", "benefit"))
    frame = pd.DataFrame(rng.uniform(0, 1, (60, 3)), columns=["a", "b", "c"], index=[f"p{i}" for i in range(60)])
    dm = DecisionMatrix.from_frame(frame, crits)
    for fn in (mt.topsis, mt.vikor):
        slow = fn(dm, weights=[0.5, 0.3, 0.2])
        monkeypatch.setattr(mt, "STEPS_DIRECT_FROM", 10)
        fast = fn(dm, weights=[0.5, 0.3, 0.2])
        monkeypatch.setattr(mt, "STEPS_DIRECT_FROM", 1500)
        assert np.array_equal(slow.scores, fast.scores) and np.array_equal(slow.ranks, fast.ranks)
        assert slow.tables.keys() == fast.tables.keys()
        for k in slow.tables:
            pd.testing.assert_frame_equal(slow.tables[k], fast.tables[k])


def test_discordant_pairs_equal_brute_force() -> None:
    from itertools import combinations

    from parklink.evaluate.robustness import _discordant

    rng = np.random.default_rng(9)
    for n in (0, 1, 2, 5, 40):
        a = [f"x{i}" for i in range(n)]
        b = list(rng.permutation(a)) if n else []
        pos = {x: i for i, x in enumerate(b)}
        brute = sum(1 for i, j in combinations(range(n), 2) if pos[a[i]] > pos[a[j]])
        assert _discordant(a, b) == brute
