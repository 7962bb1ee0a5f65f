"""Hidden drivers of the synthetic link process (generator version 2; 隐藏驱动因素).

The version-1 generator draws a supplier with weight ∝ ``size^α · (1 + k̄)^1.08 · d^-ζ``:
exactly the features an investment-target ranker scores, so any evaluation on it is
circular. Version 2 (``SyntheticParams.generator_version = 2``, the default) multiplies
every draw by an **acceptance probability** built from drivers that no ranker can see:

* **latent technological fit** per firm pair: every firm *i* has a hidden unit vector
  ``u_i`` (``latent_dim`` standard-normal coordinates, normalised; seeded stream 11), and
  ``fit(s, b) = exp(fit_gamma · (u_s·u_b − 1)) ∈ [exp(−2·fit_gamma), 1]``;
* **policy-driven links**: a hidden share ``policy_share`` of the in-circle firms
  (seeded stream 12) is "supported" by a cross-border programme from ``policy_year`` on; a
  Sichuan↔Chongqing draw whose supplier is supported keeps factor 1, every other draw gets
  ``1 / policy_boost``;
* **relationship persistence**: a link survives a year with probability
  ``clip(keep_t + persistence · (fit(s, b) − mean fit of the links), 0, 1)`` — good fits
  last longer, the mean churn is unchanged.

``acceptance(s, b, t) = fit(s, b) · policy(s, b, t)``. The sampler keeps a draw with that
probability (rejection), the exact top-k path adds ``log acceptance`` to its Gumbel keys,
so a buyer's accepted draws are distributed ∝ version-1 weight × acceptance. The oracle
(:mod:`parklink.datasets.synthetic.oracle`) uses the same function. Formulas:
``docs/synthetic.md`` § "Hidden drivers".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parklink.datasets.synthetic.common import BoolArray, FloatArray, IntArray, SyntheticParams


@dataclass(frozen=True, slots=True)
class Hidden:
    """The hidden state of the version-2 generator (never written to the dataset)."""

    latent: FloatArray  # (n, D) unit vectors
    supported: BoolArray  # (n,) policy-supported firms
    prov: IntArray  # (n,) 0 = SC, 1 = CQ, 2 = elsewhere
    policy_from: int  # first year index the policy applies (len(years) = never)
    fit_gamma: float
    policy_boost: float
    persistence: float

    def fit(self, s: IntArray, b: IntArray) -> FloatArray:
        """Latent technological fit of the pairs (s[j], b[j]) in (0, 1]."""
        dot = np.einsum("ij,ij->i", self.latent[s], self.latent[b])
        return np.asarray(np.exp(self.fit_gamma * (dot - 1.0)), dtype=np.float64)

    def policy(self, s: IntArray, b: IntArray, t: int) -> FloatArray:
        """Policy factor of the pairs in year index t: 1 when supported cross-border, else 1/boost."""
        cross = (self.prov[s] < 2) & (self.prov[b] < 2) & (self.prov[s] != self.prov[b])
        on = cross & self.supported[s] & (t >= self.policy_from)
        return np.where(on, 1.0, 1.0 / self.policy_boost)

    def acceptance(self, s: IntArray, b: IntArray, t: int) -> FloatArray:
        """Probability that a draw of supplier s[j] by buyer b[j] in year index t is kept."""
        return self.fit(s, b) * self.policy(s, b, t)

    def log_acceptance_matrix(self, s: IntArray, b: IntArray, t: int) -> FloatArray:
        """``log acceptance`` for every (b[i], s[j]) pair: a (len(b), len(s)) matrix."""
        dot = self.latent[b] @ self.latent[s].T
        out = self.fit_gamma * (dot - 1.0)
        cross = ((self.prov[b][:, None] < 2) & (self.prov[s][None, :] < 2)
                 & (self.prov[b][:, None] != self.prov[s][None, :]))
        on = cross & self.supported[s][None, :] & (t >= self.policy_from)
        out -= np.where(on, 0.0, np.log(self.policy_boost))
        return np.asarray(out, dtype=np.float64)

    def keep_probability(self, keep: float, s: IntArray, b: IntArray) -> FloatArray:
        """Survival probability of the links (s, b): ``keep + persistence·(fit − mean fit)``."""
        if s.size == 0:
            return np.zeros(0)
        f = self.fit(s, b)
        return np.asarray(np.clip(keep + self.persistence * (f - f.mean()), 0.0, 1.0))


def make_hidden(n: int, province: np.ndarray, years: tuple[int, ...], seed: int,
                params: SyntheticParams) -> Hidden | None:
    """The hidden drivers for ``n`` firms (None for ``generator_version`` 1)."""
    if params.generator_version < 2:
        return None
    d = max(int(params.latent_dim), 1)
    u = np.random.default_rng([int(seed), 11]).standard_normal((n, d))
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    prov = np.select([province == "SC", province == "CQ"], [0, 1], 2).astype(np.int64)
    supported = (np.random.default_rng([int(seed), 12]).random(n) < params.policy_share) & (prov < 2)
    after = [i for i, y in enumerate(years) if y >= params.policy_year]
    return Hidden(latent=u, supported=supported, prov=prov,
                  policy_from=after[0] if after else len(years), fit_gamma=float(params.fit_gamma),
                  policy_boost=max(float(params.policy_boost), 1.0),
                  persistence=float(params.persistence))
