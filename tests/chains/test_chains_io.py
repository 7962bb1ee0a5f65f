"""IO linkages against the published worked example of Miller & Blair (2009).

R. E. Miller and P. D. Blair, *Input–Output Analysis: Foundations and Extensions*, 2nd ed.,
Cambridge University Press, 2009: the two-sector example of section 2.3
(Z = [[150, 500], [200, 100]], x = [1000, 2000], f = [350, 1700]) with
A = [[.15, .25], [.20, .05]] and L = [[1.2541, 0.3300], [0.2640, 1.1221]], and its
supply-side (Ghosh) counterpart of section 12.1 with B = [[.15, .50], [.10, .05]] and
G = [[1.2541, 0.6601], [0.1320, 1.1221]] (values as printed, 4 decimals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from parklink.chains.linkages import Linkages, upstreamness
from parklink.errors import ValidationError

SECTORS = ["agriculture", "manufacturing"]


@pytest.fixture
def mb() -> Linkages:
    z = pd.DataFrame([[150.0, 500.0], [200.0, 100.0]], index=SECTORS, columns=SECTORS)
    x = pd.Series([1000.0, 2000.0], index=SECTORS)
    return Linkages.from_flows(z, x)


def test_technical_coefficients_and_leontief(mb: Linkages) -> None:
    np.testing.assert_allclose(mb.a.to_numpy(), [[0.15, 0.25], [0.20, 0.05]])
    np.testing.assert_allclose(mb.leontief.to_numpy(), [[1.2541, 0.3300], [0.2640, 1.1221]],
                               atol=5e-5)
    x = mb.output_for(pd.Series([350.0, 1700.0], index=SECTORS))
    np.testing.assert_allclose(x.to_numpy(), [1000.0, 2000.0])


def test_ghosh(mb: Linkages) -> None:
    np.testing.assert_allclose(mb.b.to_numpy(), [[0.15, 0.50], [0.10, 0.05]])
    np.testing.assert_allclose(mb.ghosh.to_numpy(), [[1.2541, 0.6601], [0.1320, 1.1221]],
                               atol=5e-5)


def test_rasmussen_indices_by_hand(mb: Linkages) -> None:
    # column sums of the printed L: 1.5181, 1.4521; mean column sum 1.4851
    idx = mb.indices
    assert idx.loc["agriculture", "bl_rasmussen"] == pytest.approx(1.5181 / 1.4851, abs=2e-4)
    assert idx.loc["manufacturing", "bl_rasmussen"] == pytest.approx(1.4521 / 1.4851, abs=2e-4)
    # row sums of L: 1.5841, 1.3861
    assert idx.loc["agriculture", "fl_rasmussen"] == pytest.approx(1.5841 / 1.4851, abs=2e-4)
    # Ghosh row sums 1.9142, 1.2541 (mean 1.58415)
    assert idx.loc["agriculture", "fl_ghosh"] == pytest.approx(1.9142 / 1.58415, abs=2e-4)
    assert bool(idx.loc["agriculture", "key_sector"])
    assert not bool(idx.loc["manufacturing", "key_sector"])
    # coefficient of variation of column 1: values 1.2541, 0.2640
    col = np.array([1.2541, 0.2640])
    assert idx.loc["agriculture", "cv_backward"] == pytest.approx(col.std(ddof=1) / col.mean(),
                                                                  abs=1e-3)


def test_upstreamness_closed_economy_equals_ghosh_row_sums(mb: Linkages) -> None:
    np.testing.assert_allclose(mb.indices["upstreamness"].to_numpy(), [1.9142, 1.2541],
                               atol=1e-4)


def test_upstreamness_open_economy_matches_power_series() -> None:
    rng = np.random.default_rng(7)
    z = pd.DataFrame(rng.uniform(0, 30, (4, 4)), index=list("abcd"), columns=list("abcd"))
    x = pd.Series(z.sum(axis=1) + rng.uniform(50, 80, 4), index=list("abcd"))
    e = pd.Series(rng.uniform(0, 10, 4), index=list("abcd"))
    m = pd.Series(rng.uniform(0, 10, 4), index=list("abcd"))
    a = z / x.to_numpy()[None, :]
    u = upstreamness(a, x, exports=e, imports=m)
    delta = a.to_numpy() * x.to_numpy()[None, :] / (x - e + m).to_numpy()[:, None]
    term = np.ones(4)
    series = np.zeros(4)
    for _ in range(200):  # U = 1 + Δ1 + Δ²1 + ...
        series += term
        term = delta @ term
    np.testing.assert_allclose(u.to_numpy(), series, rtol=1e-10)
    assert (u >= 1).all()


def test_bad_tables_rejected() -> None:
    z = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["a", "b"], columns=["a", "c"])
    with pytest.raises(ValidationError):
        Linkages.from_flows(z, pd.Series([10.0, 10.0], index=["a", "b"]))
    z2 = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(ValidationError):
        Linkages.from_flows(z2, pd.Series([0.0, 10.0], index=["a", "b"]))
