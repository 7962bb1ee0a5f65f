"""Tables the pages show and the download buttons serve, each built once from an analysis run.

* :func:`lsr_table` — local supporting rates of one scope (value version, scope level):
  in scope, own province, the circle, ΔLSR = LSR(circle) − LSR(own province) and the data
  coverage, one row per chain — the table ``parklink chains`` prints;
* :func:`targets_table` — investment targets: the first ``top`` ranked external suppliers
  of each gap segment, with score and reason — as ``parklink chains`` prints them;
* :func:`route_legs_table`, :func:`access_table`, :func:`sites_table` — the logistics page.

Rates are shares (0–1); money in the units of the source columns (k CNY, M CNY, CNY/t).
"""

from __future__ import annotations

import pandas as pd

from parklink.chains.diagnosis import ChainDiagnosis
from parklink.vocab import CHAIN_NAMES

__all__ = ["ACCESS_COLUMNS", "access_table", "lsr_table", "route_legs_table", "sites_table", "targets_table"]

LSR_COLUMNS = ("chain", "chain_zh", "chain_en", "lsr_scope", "lsr_own_province", "lsr_circle", "delta_lsr",
               "coverage_value")
TARGET_COLUMNS = ("segment_id", "rank", "enterprise_id", "province", "score", "reason")
ACCESS_COLUMNS = ("park_id", "name_zh", "name_en", "time_core_chengdu_h", "time_core_chongqing_h", "time_airport_h",
                  "time_rail_port_h", "time_river_port_h", "firms_within_2h", "output_within_2h_cny_m",
                  "gravity_access")


def lsr_table(diagnosis: ChainDiagnosis, scope_id: str | None = None) -> pd.DataFrame:
    """Local supporting rates (by value) of ``scope_id`` (default: the first scope), one row per chain."""
    sid = scope_id or diagnosis.scopes[0].scope_id
    lsr = diagnosis.lsr[(diagnosis.lsr["scope_id"] == sid) & (diagnosis.lsr["level"] == "scope")
                        & (diagnosis.lsr["version"] == "value")]
    d = diagnosis.delta_lsr[(diagnosis.delta_lsr["scope_id"] == sid) & (diagnosis.delta_lsr["level"] == "scope")
                            & (diagnosis.delta_lsr["version"] == "value")]
    if lsr.empty:
        return pd.DataFrame(columns=list(LSR_COLUMNS))
    piv = lsr.pivot_table(index="chain", columns="region", values="lsr")
    cov = lsr.groupby("chain")["coverage_value"].first()
    chains = list(piv.index)
    return pd.DataFrame({
        "chain": chains,
        "chain_zh": [CHAIN_NAMES.get(c, (c, c))[0] for c in chains],
        "chain_en": [CHAIN_NAMES.get(c, (c, c))[1] for c in chains],
        "lsr_scope": piv.get("scope", pd.Series(index=piv.index, dtype=float)).to_numpy(float),
        "lsr_own_province": piv.get("own_province", pd.Series(index=piv.index, dtype=float)).to_numpy(float),
        "lsr_circle": piv.get("circle", pd.Series(index=piv.index, dtype=float)).to_numpy(float),
        "delta_lsr": d.set_index("chain")["delta"].reindex(piv.index).to_numpy(float),
        "coverage_value": cov.reindex(piv.index).to_numpy(float),
    })


def targets_table(diagnosis: ChainDiagnosis, scope_id: str | None = None, *, top: int = 3) -> pd.DataFrame:
    """The first ``top`` investment targets of each gap segment of ``scope_id`` (rank ≤ top)."""
    sid = scope_id or diagnosis.scopes[0].scope_id
    t = diagnosis.targets
    t = t[(t["scope_id"] == sid) & (t["rank"] <= top)]
    return t.loc[:, list(TARGET_COLUMNS)].reset_index(drop=True)


def route_legs_table(legs: pd.DataFrame) -> pd.DataFrame:
    """The legs of a route without their geometry (km, h, CNY/t per leg)."""
    return legs.drop(columns=[c for c in ("geometry",) if c in legs.columns]).reset_index(drop=True)


def access_table(table: pd.DataFrame) -> pd.DataFrame:
    """Park accessibility in the columns of ``parklink access`` (hours; firms and M CNY within 2 h)."""
    return table.loc[:, [c for c in ACCESS_COLUMNS if c in table.columns]].reset_index(drop=True)


def sites_table(sites: pd.DataFrame) -> pd.DataFrame:
    """Candidate parks of a site recommendation, chosen ones first (p-median, then MCLP)."""
    cols = [c for c in ("park_id", "name_zh", "name_en", "p_median", "mclp", "demand_assigned_cny_m",
                        "mean_gc_cny_per_t", "demand_within_service_cny_m", "reason") if c in sites.columns]
    return sites.loc[:, cols].sort_values(["p_median", "mclp"], ascending=False).reset_index(drop=True)
