"""Relatedness density: RCA, binary specialisation, proximity and density.

Formulas (Hidalgo, Klinger, Barabási & Hausmann 2007, "The product space conditions
the development of nations", Science 317; as implemented by EconGeo
``relatedness_density`` and py-ecomplexity; chain-methods §3.1):

* ``RCA_rp = (x_rp / x_r) / (x_p / x)`` and ``M_rp = 1[RCA_rp >= 1]``;
* proximity ``φ_pq = Σ_r M_rp M_rq / max(k_p, k_q)`` with ubiquity ``k_p = Σ_r M_rp``;
* density ``ω_rp = Σ_q M_rq φ_pq / Σ_q φ_pq`` (in [0, 1]; EconGeo reports ×100).

``include_self=False`` sets the proximity diagonal to 0 before the density (so a
region's own specialisation in *p* does not count towards *p*; py-ecomplexity #38).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parklink.errors import ValidationError


def rca(matrix: pd.DataFrame) -> pd.DataFrame:
    """Revealed comparative advantage (= location quotient) of a region × activity matrix.

    ``matrix`` holds non-negative values (output, firm counts, ...); rows are regions,
    columns activities. Rows or columns summing to 0 give RCA 0.
    """
    x = matrix.to_numpy(dtype=float)
    if (x < 0).any() or not np.isfinite(x).all():
        raise ValidationError.single("relatedness", "matrix values must be finite and >= 0")
    total = x.sum()
    rows = x.sum(axis=1, keepdims=True)
    cols = x.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (x / rows) / (cols / total)
    out = np.nan_to_num(out, nan=0.0, posinf=0.0)
    return pd.DataFrame(out, index=matrix.index, columns=matrix.columns)


def proximity(m: pd.DataFrame) -> pd.DataFrame:
    """Proximity between activities from a binary region × activity matrix ``M``.

    ``φ_pq = Σ_r M_rp M_rq / max(k_p, k_q)``; 0 when both ubiquities are 0; diagonal is 1
    for any activity present somewhere.
    """
    b = (m.to_numpy(dtype=float) > 0).astype(float)
    co = b.T @ b
    k = b.sum(axis=0)
    denom = np.maximum.outer(k, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(denom > 0, co / denom, 0.0)
    return pd.DataFrame(phi, index=m.columns, columns=m.columns)


def density(m: pd.DataFrame, phi: pd.DataFrame, *, include_self: bool = True) -> pd.DataFrame:
    """Relatedness density ``ω_rp = Σ_q M_rq φ_pq / Σ_q φ_pq`` for every region and activity.

    ``m`` is a binary (or 0/1-valued) region × activity matrix whose columns are in
    ``phi``; activities with no proximity to anything get density 0.
    """
    p = phi.loc[m.columns, m.columns].to_numpy(dtype=float).copy()
    if not include_self:
        np.fill_diagonal(p, 0.0)
    b = (m.to_numpy(dtype=float) > 0).astype(float)
    num = b @ p.T
    den = p.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(den > 0, num / den, 0.0)
    return pd.DataFrame(w, index=m.index, columns=m.columns)


@dataclass(frozen=True, slots=True)
class Relatedness:
    """RCA, M, proximity and density of one region × activity matrix."""

    rca: pd.DataFrame
    m: pd.DataFrame
    proximity: pd.DataFrame
    density: pd.DataFrame
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def from_matrix(cls, matrix: pd.DataFrame, *, threshold: float = 1.0,
                    include_self: bool = True) -> Relatedness:
        """Compute everything from a region × activity value matrix (RCA cut at ``threshold``)."""
        r = rca(matrix)
        m = (r >= threshold).astype(int)
        phi = proximity(m)
        dens = density(m, phi, include_self=include_self)
        return cls(r, m, phi, dens, {"input": matrix})

    @classmethod
    def from_long(cls, frame: pd.DataFrame, *, region: str, activity: str, value: str,
                  threshold: float = 1.0, include_self: bool = True) -> Relatedness:
        """Build from a long table (region, activity, value columns), summing duplicates."""
        matrix = frame.pivot_table(index=region, columns=activity, values=value,
                                   aggfunc="sum", fill_value=0.0)
        return cls.from_matrix(matrix, threshold=threshold, include_self=include_self)

    def to_frame(self) -> pd.DataFrame:
        """Long table: region, activity, rca, m, density."""
        out = pd.DataFrame({
            "rca": self.rca.stack(), "m": self.m.stack(), "density": self.density.stack(),
        })
        out.index.names = ["region", "activity"]
        return out.reset_index()
