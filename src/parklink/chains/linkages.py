"""Input–output linkages for sector-level data (chain-methods §1.5).

Notation (Miller & Blair 2009, *Input–Output Analysis: Foundations and Extensions*,
2nd ed., Cambridge UP; ch. 2 and 12): ``Z`` inter-industry flows (row *i* sells to
column *j*), ``x`` gross output.

* technical coefficients ``A = Z x̂⁻¹`` and Leontief inverse ``L = (I − A)⁻¹``;
* allocation coefficients ``B = x̂⁻¹ Z`` and Ghosh inverse ``G = (I − B)⁻¹``;
* Rasmussen indices ``BL_j = (1/n) Σ_i l_ij / ((1/n²) Σ_ij l_ij)`` (影响力系数) and
  ``FL_i = (1/n) Σ_j l_ij / ((1/n²) Σ_ij l_ij)`` (感应度系数, from L), plus the Ghosh
  forward index from the row sums of G normalised the same way;
* key sectors: ``BL > 1`` and forward index ``> 1``;
* coefficient of variation ``V_j = sqrt((1/(n−1)) Σ_i (l_ij − l̄_j)²) / l̄_j``;
* upstreamness (Antràs, Chor, Fally & Hillberry 2012, NBER WP 17819)
  ``U = (I − Δ)⁻¹ 1`` with ``δ_ij = a_ij x_j / (x_i − e_i + m_i)``; in a closed economy
  ``U = G 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parklink.errors import ValidationError


def _square(z: pd.DataFrame) -> pd.DataFrame:
    if z.shape[0] != z.shape[1] or list(z.index) != list(z.columns):
        raise ValidationError.single("io_table", "Z must be square with the same sector labels "
                                     "on rows and columns")
    return z


def _solve_inverse(m: np.ndarray, what: str) -> np.ndarray:
    n = m.shape[0]
    try:
        return np.linalg.solve(np.eye(n) - m, np.eye(n))
    except np.linalg.LinAlgError as exc:
        raise ValidationError.single("io_table", f"(I − {what}) is singular: "
                                     "check outputs and flows") from exc


def technical_coefficients(z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """``A = Z x̂⁻¹`` (``a_ij = z_ij / x_j``); unitless."""
    _square(z)
    xv = x.reindex(z.columns).to_numpy(dtype=float)
    if (xv <= 0).any() or np.isnan(xv).any():
        raise ValidationError.single("io_table", "gross output x must be > 0 for every sector")
    return pd.DataFrame(z.to_numpy(dtype=float) / xv[None, :], index=z.index, columns=z.columns)


def allocation_coefficients(z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """``B = x̂⁻¹ Z`` (``b_ij = z_ij / x_i``), the Ghosh supply-side coefficients."""
    _square(z)
    xv = x.reindex(z.index).to_numpy(dtype=float)
    if (xv <= 0).any() or np.isnan(xv).any():
        raise ValidationError.single("io_table", "gross output x must be > 0 for every sector")
    return pd.DataFrame(z.to_numpy(dtype=float) / xv[:, None], index=z.index, columns=z.columns)


def leontief_inverse(a: pd.DataFrame) -> pd.DataFrame:
    """``L = (I − A)⁻¹`` (total requirements, 完全需求系数矩阵)."""
    return pd.DataFrame(_solve_inverse(a.to_numpy(dtype=float), "A"), index=a.index,
                        columns=a.columns)


def ghosh_inverse(b: pd.DataFrame) -> pd.DataFrame:
    """``G = (I − B)⁻¹`` (Ghosh output inverse)."""
    return pd.DataFrame(_solve_inverse(b.to_numpy(dtype=float), "B"), index=b.index,
                        columns=b.columns)


def upstreamness(a: pd.DataFrame, x: pd.Series, *, exports: pd.Series | None = None,
                 imports: pd.Series | None = None) -> pd.Series:
    """Antràs et al. (2012) upstreamness ``U = (I − Δ)⁻¹ 1``, ``δ_ij = a_ij x_j / (x_i − e_i + m_i)``.

    ``U >= 1``; 1 means the sector sells only to final use. Without exports/imports it
    equals the row sums of the Ghosh inverse.
    """
    xv = x.reindex(a.index).to_numpy(dtype=float)
    e = np.zeros_like(xv) if exports is None else exports.reindex(a.index).fillna(0).to_numpy(float)
    m = np.zeros_like(xv) if imports is None else imports.reindex(a.index).fillna(0).to_numpy(float)
    denom = xv - e + m
    if (denom <= 0).any():
        raise ValidationError.single("io_table", "x − exports + imports must be > 0")
    delta = a.to_numpy(dtype=float) * xv[None, :] / denom[:, None]
    u = np.linalg.solve(np.eye(len(xv)) - delta, np.ones(len(xv)))
    return pd.Series(u, index=a.index, name="upstreamness")


@dataclass(frozen=True, slots=True)
class Linkages:
    """Leontief/Ghosh inverses and linkage indices of one IO table."""

    a: pd.DataFrame
    leontief: pd.DataFrame
    b: pd.DataFrame
    ghosh: pd.DataFrame
    indices: pd.DataFrame
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def from_flows(cls, z: pd.DataFrame, x: pd.Series, *, exports: pd.Series | None = None,
                   imports: pd.Series | None = None) -> Linkages:
        """Compute every linkage from flows ``Z`` and gross output ``x`` (same money unit)."""
        a = technical_coefficients(z, x)
        b = allocation_coefficients(z, x)
        lmat = leontief_inverse(a)
        g = ghosh_inverse(b)
        n = len(a)
        lv = lmat.to_numpy()
        mean_all = lv.sum() / n**2
        col = lv.sum(axis=0)
        row = lv.sum(axis=1)
        gv = g.to_numpy()
        g_row = gv.sum(axis=1)
        bl = (col / n) / mean_all
        fl = (row / n) / mean_all
        fl_ghosh = (g_row / n) / (gv.sum() / n**2)
        cv = (lv.std(axis=0, ddof=1) / lv.mean(axis=0)) if n > 1 else np.zeros(n)
        up = upstreamness(a, x, exports=exports, imports=imports)
        idx = pd.DataFrame({
            "backward_total": col, "forward_total_leontief": row, "forward_total_ghosh": g_row,
            "bl_rasmussen": bl, "fl_rasmussen": fl, "fl_ghosh": fl_ghosh,
            "cv_backward": cv, "upstreamness": up.to_numpy(),
        }, index=a.index)
        idx["key_sector"] = (idx["bl_rasmussen"] > 1) & (idx["fl_ghosh"] > 1)
        idx["key_sector_leontief"] = (idx["bl_rasmussen"] > 1) & (idx["fl_rasmussen"] > 1)
        return cls(a, lmat, b, g, idx, {"Z": z, "x": x.to_frame("x")})

    def to_frame(self) -> pd.DataFrame:
        """The per-sector indices table."""
        return self.indices.copy()

    def output_for(self, final_demand: pd.Series) -> pd.Series:
        """Gross output ``x = L y`` needed to deliver final demand ``y``."""
        y = final_demand.reindex(self.a.index).fillna(0).to_numpy(float)
        x = np.linalg.solve(np.eye(len(y)) - self.a.to_numpy(), y)
        return pd.Series(x, index=self.a.index, name="x")
