"""parklink.optim: optimality against brute-force enumeration, groups, infeasibility explanations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.errors import InfeasibleError
from parklink.optim import Model


def _brute_knapsack(values: np.ndarray, weights: np.ndarray, caps: np.ndarray) -> float:
    best = -np.inf
    n = len(values)
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits)
        if np.all(weights @ x <= caps + 1e-9):
            best = max(best, float(values @ x))
    return best


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 8),
    k=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_binary_program_matches_enumeration(n: int, k: int, seed: int) -> None:
    """Multi-dimensional knapsack: HiGHS optimum equals the enumerated optimum."""
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 20, n).astype(float)
    weights = rng.integers(0, 10, (k, n)).astype(float)
    caps = np.floor(weights.sum(axis=1) * rng.uniform(0.2, 0.8, k))
    m = Model("knap", sense="max")
    x = m.add_binaries(n, name="x", obj=values)
    m.add_rows("capacity", rows=np.pad(weights, ((0, 0), (0, 0))), ub=caps)
    sol = m.solve(time_limit=10)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_brute_knapsack(values, weights, caps))
    assert np.all(weights @ np.rint(sol.value(x)) <= caps + 1e-9)
    assert sol.mip_gap == pytest.approx(0.0, abs=1e-9)


def test_minimise_lp_and_binding() -> None:
    """min x + 2y s.t. x + y >= 3, y >= 1 → x = 2, y = 1, objective 4; both rows tight."""
    m = Model("lp", sense="min")
    x = m.add_var("x", obj=1.0)
    y = m.add_var("y", obj=2.0)
    m.add_row("demand", [x, y], [1.0, 1.0], lb=3.0, name="x+y>=3")
    m.add_row("floor", [y], [1.0], lb=1.0, name="y>=1")
    sol = m.solve()
    assert sol.optimal and sol.objective == pytest.approx(4.0)
    assert sol.value([x, y]) == pytest.approx([2.0, 1.0])
    b = sol.binding()
    assert set(b["name"]) == {"x+y>=3", "y>=1"}
    assert set(b["side"]) == {"lower"}


def test_fix_and_drop_groups_do_not_change_the_model() -> None:
    m = Model("t", sense="max")
    x = m.add_binaries(3, name="x", obj=[3.0, 2.0, 1.0])
    m.add_row("card", x, 1.0, ub=1.0)
    assert m.solve().objective == pytest.approx(3.0)
    assert m.solve(fix={int(x[0]): 0.0}).objective == pytest.approx(2.0)
    assert m.solve(drop_groups=["card"]).objective == pytest.approx(6.0)
    assert m.solve().objective == pytest.approx(3.0)


def test_infeasibility_names_an_irreducible_conflict() -> None:
    """x0 + x1 <= 1 ('pair') and x0 + x1 + x2 >= 3 ('need') conflict; 'other' does not."""
    m = Model("conflict", sense="max")
    x = m.add_binaries(4, name="x", obj=1.0)
    m.add_row("other", [x[3]], [1.0], ub=1.0)
    m.add_row("pair", x[:2], 1.0, ub=1.0)
    m.add_row("need", x[:3], 1.0, lb=3.0)
    why = m.explain_infeasibility()
    assert set(why.conflict) == {"pair", "need"}
    assert set(why.single_relaxations) == {"pair", "need"}
    with pytest.raises(InfeasibleError) as err:
        m.solve_or_explain()
    assert set(err.value.conflicts) == {"pair", "need"}
    assert "pair" in str(err.value) and "need" in str(err.value)


def test_protected_group_is_never_blamed() -> None:
    m = Model("p", sense="max")
    x = m.add_binaries(2, name="x")
    m.add_row("definition", x, 1.0, ub=1.0)
    m.add_row("wish", x, 1.0, lb=2.0)
    why = m.explain_infeasibility(protected=["definition"])
    assert why.conflict == ("wish",)


def test_infeasible_status_is_reported_not_raised() -> None:
    m = Model("i", sense="min")
    x = m.add_var("x", lb=0.0, ub=1.0)
    m.add_row("g", [x], [1.0], lb=2.0)
    sol = m.solve()
    assert sol.status in ("infeasible", "unbounded_or_infeasible")
    assert not sol.feasible
    assert sol.summary()["objective"] is None
