r"""Co-built park scorecard and promised vs realised benefit shares.

**Scorecard** (in the style of the annual assessment of co-built parks some provinces
publish, e.g. Jiangsu's north–south parks; the indicator set here is parklink's, not an
official scheme). Per park in the park ``k`` the raw indicators are

* ``investment_cny_m`` — investment in place (million CNY), as recorded;
* ``firms`` — member firms: ``n_member_firms`` when recorded, else the number of
  ``member_firms`` ids;
* ``output_cny_m`` — annual output (million CNY); ``jobs`` — jobs;
* ``years_running`` — ``ref_year − start_year`` (0 in the start year);
* ``shares_realised`` — over the park's agreements with revenue figures, the mean of
  ``1 − ½ Σ_i |r_i − s_i|`` (``s_i`` promised share, ``r_i`` realised share of party ``i``;
  1 = exactly as promised, 0 = everything to the other side).

Each indicator is min–max scaled over the parks that have it,
``x' = 100 (x − min) / (max − min)`` (100 when all equal), and the score is the mean of
the scaled indicators a park has; ``coverage`` = indicators present / 6, shown beside the
score so that parks scored on few indicators are visible. Missing values are never imputed.

**Promised vs realised**: for a revenue record of agreement ``a`` in year ``y`` with total
``T`` and amounts ``R_i`` received, ``promised_i = T s_i / 100``, ``gap_i = R_i − promised_i``,
``realised_pct_i = 100 R_i / Σ_j R_j``; the floor is met when the floor beneficiary (a party
named in ``floor_beneficiary``) received at least ``floor_cny_m``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from parklink.results import frozen_tables
from parklink.tables import split_list

__all__ = ["SCORE_INDICATORS", "Scorecard", "realised_shares", "scorecard"]

#: Indicators of the scorecard (all "more is better").
SCORE_INDICATORS = ("investment_cny_m", "firms", "output_cny_m", "jobs", "years_running",
                    "shares_realised")


def _num(v: Any) -> float:
    if v is None or v is pd.NA:
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def realised_shares(sharing: pd.DataFrame, realised: pd.DataFrame) -> pd.DataFrame:
    """One row per revenue record × party: promised and realised shares (%), amounts
    (million CNY), gap and floor check (module docstring). Records whose agreement has no
    split, or whose amounts do not match the parties, are reported with ``problem`` set."""
    cols = ["record_id", "agreement_id", "pip_id", "park_id", "year", "metric", "party",
            "promised_pct", "realised_pct", "promised_cny_m", "received_cny_m", "gap_cny_m",
            "floor_cny_m", "floor_met", "problem"]
    rows: list[dict[str, Any]] = []
    ag = sharing.set_index(sharing["agreement_id"].astype(str)) if len(sharing) else sharing
    for r in realised.itertuples(index=False):
        aid = str(r.agreement_id)
        if aid not in ag.index:
            continue
        a = ag.loc[aid]
        parties = split_list(a["parties"])
        split = [float(x) for x in split_list(a["split_pct"])]
        got = [float(x) for x in split_list(r.received_cny_m)]
        total = _num(r.total_cny_m)
        problem = None
        if not split:
            problem = "agreement has no split (协议无分成比例)"
        elif len(got) != len(parties) or len(split) != len(parties):
            problem = "amounts do not match the parties (金额数与参与方数不一致)"
        floor = _num(a["floor_cny_m"])
        benef = str(a["floor_beneficiary"]) if pd.notna(a["floor_beneficiary"]) else None
        recv_sum = sum(got)
        for i, party in enumerate(parties):
            s = split[i] if problem is None else float("nan")
            g = got[i] if i < len(got) else float("nan")
            promised = total * s / 100.0
            floor_met: bool | None = None
            if problem is None and benef is not None and np.isfinite(floor) and party == benef:
                floor_met = bool(g >= floor)
            rows.append({
                "record_id": str(r.record_id), "agreement_id": aid,
                "pip_id": a["pip_id"] if pd.notna(a["pip_id"]) else None,
                "park_id": a["park_id"] if pd.notna(a["park_id"]) else None,
                "year": int(_num(r.year)), "metric": str(a["metric"]), "party": party,
                "promised_pct": s, "realised_pct": 100.0 * g / recv_sum if recv_sum else float("nan"),
                "promised_cny_m": promised, "received_cny_m": g, "gap_cny_m": g - promised,
                "floor_cny_m": floor if party == benef else float("nan"), "floor_met": floor_met,
                "problem": problem,
            })
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True, eq=False)
class Scorecard:
    """Result of :func:`scorecard`: ``table`` (one row per park in the park: raw indicators,
    scaled indicators ``*_scaled``, ``score``, ``coverage``, ``rank``) and ``shares``
    (promised vs realised, :func:`realised_shares`)."""

    table: pd.DataFrame = field(repr=False)
    shares: pd.DataFrame = field(repr=False)
    ref_year: int

    def to_frame(self) -> pd.DataFrame:
        """The scorecard (id: pip_id, host_park_id)."""
        return self.table.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only ``scorecard``, ``shares`` and ``indicators`` (definitions) tables."""
        defs = pd.DataFrame({"indicator": SCORE_INDICATORS,
                             "coverage": [float(self.table[c].notna().mean()) if len(self.table) else 0.0
                                          for c in SCORE_INDICATORS]})
        return frozen_tables({"scorecard": self.table, "shares": self.shares, "indicators": defs})

    def summary(self) -> dict[str, Any]:
        """Parks scored, reference year, best park and share records."""
        scored = self.table[self.table["score"].notna()]
        return {"parks": len(self.table), "scored": len(scored), "ref_year": self.ref_year,
                "best": str(scored.iloc[0]["pip_id"]) if len(scored) else None,
                "share_records": int(self.shares["record_id"].nunique()) if len(self.shares) else 0}


def scorecard(parks_in_park: pd.DataFrame, sharing: pd.DataFrame, realised: pd.DataFrame, *,
              ref_year: int) -> Scorecard:
    """The comparable scorecard of every park in the park (module docstring) in ``ref_year``."""
    shares = realised_shares(sharing, realised)
    per_pip: dict[str, float] = {}
    ok = shares[shares["problem"].isna()] if len(shares) else shares
    if len(ok):
        # pip of a record: the agreement's pip_id
        dev = ok.assign(d=(ok["realised_pct"] - ok["promised_pct"]).abs() / 100.0)
        rec = dev.groupby(["record_id", "pip_id"], dropna=True)["d"].sum().reset_index()
        rec["fidelity"] = 1.0 - rec["d"] / 2.0
        per_pip = {str(k): float(v) for k, v in rec.groupby("pip_id")["fidelity"].mean().items()}
    t = pd.DataFrame({
        "pip_id": parks_in_park["pip_id"].astype(str),
        "name_zh": parks_in_park["name_zh"].astype(str),
        "name_en": parks_in_park["name_en"].astype(str),
        "host_park_id": parks_in_park["host_park_id"],
        "mode": parks_in_park["mode"],
    }).reset_index(drop=True)
    src = parks_in_park.reset_index(drop=True)
    t["investment_cny_m"] = [_num(v) for v in src["investment_cny_m"]]
    n_ids = [len(split_list(v)) for v in src["member_firms"]]
    t["firms"] = [_num(n) if pd.notna(n) else (float(k) if k else float("nan"))
                  for n, k in zip(src["n_member_firms"], n_ids, strict=True)]
    t["output_cny_m"] = [_num(v) for v in src["output_cny_m"]]
    t["jobs"] = [_num(v) for v in src["jobs"]]
    t["years_running"] = [max(0.0, ref_year - _num(v)) if pd.notna(v) else float("nan")
                          for v in src["start_year"]]
    t["shares_realised"] = [per_pip.get(p, float("nan")) for p in t["pip_id"]]
    for c in SCORE_INDICATORS:
        x = t[c].astype(float)
        lo, hi = x.min(), x.max()
        t[f"{c}_scaled"] = np.where(x.isna(), np.nan,
                                    100.0 if hi == lo else 100.0 * (x - lo) / (hi - lo))
    scaled = t[[f"{c}_scaled" for c in SCORE_INDICATORS]]
    t["score"] = scaled.mean(axis=1, skipna=True)
    t["coverage"] = scaled.notna().sum(axis=1) / len(SCORE_INDICATORS)
    t = t.sort_values(["score", "coverage", "pip_id"], ascending=[False, False, True],
                      na_position="last").reset_index(drop=True)
    t["rank"] = pd.array([i + 1 if pd.notna(s) else pd.NA for i, s in enumerate(t["score"])],
                         dtype="Int64")
    return Scorecard(t, shares, int(ref_year))
