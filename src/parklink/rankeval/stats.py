"""Paired randomisation (sign-flip permutation) test of "ranker A beats ranker B".

Per query *q* the difference ``d_q = metric_A(q) − metric_B(q)``; the statistic is the mean
``d̄``. Under H0 (A and B exchangeable per query) each ``d_q`` is equally likely to carry
either sign, so the one-sided p-value is ``(1 + #{flips with mean ≥ d̄}) / (1 + n_flips)``
over seeded random sign vectors (all 2^n sign vectors when n ≤ 16: an exact test). Method:
Fisher's randomisation test as used for IR systems (Smucker, Allan & Carterette 2007, CIKM).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
import numpy.typing as npt

from parklink.errors import ValidationError


@dataclass(frozen=True, slots=True)
class PairedTest:
    """Result of :func:`paired_randomisation_test`."""

    n_queries: int
    mean_a: float
    mean_b: float
    mean_difference: float
    p_value: float
    n_permutations: int
    exact: bool
    seed: int


def paired_randomisation_test(a: npt.ArrayLike, b: npt.ArrayLike, *, n_permutations: int = 10_000,
                              seed: int = 0) -> PairedTest:
    """One-sided paired sign-flip test of mean(a − b) > 0 over queries (NaN pairs dropped)."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValidationError.single("paired test", "a and b must have one value per query each")
    ok = np.isfinite(x) & np.isfinite(y)
    d = x[ok] - y[ok]
    n = d.size
    if n == 0:
        return PairedTest(0, float("nan"), float("nan"), float("nan"), float("nan"), 0, True, seed)
    obs = float(d.mean())
    if n <= 16:
        signs = np.array(list(product((1.0, -1.0), repeat=n)))
        means = signs @ d / n
        p = float((means >= obs - 1e-12).mean())
        return PairedTest(n, float(x[ok].mean()), float(y[ok].mean()), obs, p, len(signs), True, seed)
    rng = np.random.default_rng(seed)
    count = 0
    done = 0
    while done < n_permutations:
        m = min(2000, n_permutations - done)
        s = rng.choice((-1.0, 1.0), size=(m, n))
        count += int(((s @ d) / n >= obs - 1e-12).sum())
        done += m
    p = (1.0 + count) / (1.0 + n_permutations)
    return PairedTest(n, float(x[ok].mean()), float(y[ok].mean()), obs, p, n_permutations, False, seed)
