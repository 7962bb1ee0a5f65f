"""Relatedness density against a hand-computed example and an independent loop implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.chains.relatedness import Relatedness


def test_hand_example() -> None:
    # 3 regions x 3 activities, each region holds two activities: RCA = 1.5 on the ones,
    # proximity 1/2 off the diagonal, density of a held pair's missing activity = 0.5
    x = pd.DataFrame([[1, 0, 1], [1, 1, 0], [0, 1, 1]], index=["r0", "r1", "r2"],
                     columns=["p0", "p1", "p2"], dtype=float)
    r = Relatedness.from_matrix(x)
    assert r.rca.loc["r0", "p0"] == pytest.approx(1.5)
    assert r.proximity.loc["p0", "p1"] == pytest.approx(0.5)
    assert r.density.loc["r0", "p1"] == pytest.approx(0.5)
    assert r.density.loc["r0", "p0"] == pytest.approx(0.75)
    no_self = Relatedness.from_matrix(x, include_self=False)
    assert no_self.density.loc["r0", "p1"] == pytest.approx(1.0)
    assert no_self.density.loc["r0", "p0"] == pytest.approx(0.5)


def _independent(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight loops over the definitions (Hidalgo et al. 2007)."""
    nr, npr = x.shape
    tot = x.sum()
    rca = np.zeros_like(x)
    for r in range(nr):
        for p in range(npr):
            rs, cs = x[r].sum(), x[:, p].sum()
            rca[r, p] = (x[r, p] / rs) / (cs / tot) if rs > 0 and cs > 0 else 0.0
    m = (rca >= 1).astype(float)
    phi = np.zeros((npr, npr))
    for p in range(npr):
        for q in range(npr):
            kp, kq = m[:, p].sum(), m[:, q].sum()
            both = sum(m[r, p] * m[r, q] for r in range(nr))
            phi[p, q] = both / max(kp, kq) if max(kp, kq) > 0 else 0.0
    dens = np.zeros_like(x)
    for r in range(nr):
        for p in range(npr):
            den = sum(phi[p, q] for q in range(npr))
            num = sum(m[r, q] * phi[p, q] for q in range(npr))
            dens[r, p] = num / den if den > 0 else 0.0
    return rca, phi, dens


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=5, max_size=5), min_size=2, max_size=6))
def test_matches_independent_loops(rows: list[list[int]]) -> None:
    x = np.array(rows, dtype=float)
    frame = pd.DataFrame(x, index=[f"r{i}" for i in range(len(x))],
                         columns=[f"p{j}" for j in range(x.shape[1])])
    r = Relatedness.from_matrix(frame)
    rca, phi, dens = _independent(x)
    np.testing.assert_allclose(r.rca.to_numpy(), rca, atol=1e-12)
    np.testing.assert_allclose(r.proximity.to_numpy(), phi, atol=1e-12)
    np.testing.assert_allclose(r.density.to_numpy(), dens, atol=1e-12)
    assert ((r.density.to_numpy() >= 0) & (r.density.to_numpy() <= 1 + 1e-12)).all()
    # invariance to row order
    r2 = Relatedness.from_matrix(frame.iloc[::-1])
    np.testing.assert_allclose(r2.density.loc[frame.index].to_numpy(), dens, atol=1e-12)


def test_long_input_and_frame() -> None:
    long = pd.DataFrame({"city": ["a", "a", "b", "b"], "seg": ["x", "y", "x", "x"],
                         "n": [1.0, 1.0, 1.0, 1.0]})
    r = Relatedness.from_long(long, region="city", activity="seg", value="n")
    f = r.to_frame()
    assert set(f.columns) == {"region", "activity", "rca", "m", "density"}
    assert r.rca.loc["b", "x"] == pytest.approx((2 / 2) / (3 / 4))
