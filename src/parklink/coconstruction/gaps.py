r"""Platform gaps: chain gaps of designated parks that no R&D / design platform serves nearby.

For every gap ``g = (park, chain, segment)`` of the chain engine
(:func:`parklink.chains.diagnose`, gap types missing / break risk / single point / weak) and
every platform ``f`` hosted at park ``h(f)``::

    serves(f, g)  = segment(g) ∈ segments(f), or segments(f) = ∅ and chain(g) ∈ chains(f)
    covered(g)    = ∃ f: serves(f, g) ∧ t(park(g), h(f)) ≤ S

``t`` is the logistics network travel time in hours (the same function the evaluation and
the logistics analyses use, :meth:`parklink.inputs.Inputs.travel_time`) and ``S`` the
service standard (default 2 h). An uncovered gap gets the action "build or share a
platform" (新建或共享平台).

Where a new platform would serve most uncovered gaps is a maximal covering location problem
(Church & ReVelle 1974) solved by :func:`parklink.logistics.sitemodels.mclp` — the same HiGHS
model the logistics site recommendation uses — with demand points = uncovered gaps (weight 1
each, aggregated to one point per park), candidate sites = parks, ``a_ij = 1`` when ``t(park(i), j) ≤ S``, and ``p`` new
platforms (default 1). A new platform is assumed to serve every segment of the gaps it
covers (a shared multi-segment service platform); it is solved once over all uncovered gaps
and once per chain (a platform for one chain).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import ValidationError
from parklink.results import frozen_tables
from parklink.tables import split_list
from parklink.vocab import PLATFORM_GAP_ACTION_NAMES

FloatArray = npt.NDArray[np.float64]
TravelTime = Callable[[FloatArray, FloatArray], FloatArray]

__all__ = ["PlatformGaps", "platform_gaps"]

GAP_COLUMNS = ("park_id", "chain", "segment_id", "gap_type")


@dataclass(frozen=True, eq=False)
class PlatformGaps:
    """Result of :func:`platform_gaps`.

    ``gaps``: one row per chain gap with ``covered``, the nearest serving platform within
    the standard (``platform_id``, ``hours``) and the ``action``; ``sites``: the best new
    platform site(s) overall (``chain`` = ``*``) and per chain, with the gaps they cover;
    ``candidates``: per candidate park and chain, the uncovered gaps within reach.
    """

    gaps: pd.DataFrame = field(repr=False)
    sites: pd.DataFrame = field(repr=False)
    candidates: pd.DataFrame = field(repr=False)
    max_hours: float
    p: int

    def to_frame(self) -> pd.DataFrame:
        """The gap table (ids: park_id, chain, segment_id, platform_id)."""
        return self.gaps.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only tables: ``gaps``, ``sites``, ``candidates``."""
        return frozen_tables({"gaps": self.gaps, "sites": self.sites,
                              "candidates": self.candidates})

    def summary(self) -> dict[str, Any]:
        """Counts, coverage share and the best overall site."""
        n = len(self.gaps)
        covered = int(self.gaps["covered"].sum()) if n else 0
        best = self.sites[self.sites["chain"] == "*"]
        return {
            "gaps": n, "covered": covered, "uncovered": n - covered,
            "coverage_share": covered / n if n else None, "max_hours": self.max_hours, "p": self.p,
            "best_sites": best["park_id"].tolist(),
            "best_sites_cover": int(best["gaps_covered"].sum()) if len(best) else 0,
        }


def _points(parks: pd.DataFrame, ids: list[str]) -> FloatArray:
    xy = parks.set_index(parks["park_id"].astype(str))[["lon", "lat"]].astype(float)
    return np.asarray(xy.loc[ids].to_numpy(), dtype=np.float64).reshape(-1, 2)


def _serves(platforms: pd.DataFrame) -> list[tuple[str, str, set[str], set[str]]]:
    out = []
    for r in platforms.itertuples(index=False):
        out.append((str(r.platform_id), str(r.host_park_id), set(split_list(r.segments)),
                    set(split_list(r.chains))))
    return out


def platform_gaps(
    gaps: pd.DataFrame,
    parks: pd.DataFrame,
    platforms: pd.DataFrame,
    travel_time: TravelTime,
    *,
    max_hours: float = 2.0,
    candidates: list[str] | None = None,
    p: int = 1,
    time_limit: float = 30.0,
) -> PlatformGaps:
    """Which chain ``gaps`` (columns park_id, chain, segment_id, gap_type) have no serving
    platform within ``max_hours`` (h) on ``travel_time``, and where ``p`` new platforms would
    cover most of them (MCLP; candidates default to every park). See the module docstring."""
    from parklink.logistics.sitemodels import mclp

    if max_hours <= 0 or not np.isfinite(max_hours):
        raise ValidationError.single("max_hours", "must be a positive number of hours", value=str(max_hours))
    missing = [c for c in GAP_COLUMNS if c not in gaps.columns]
    if missing:
        raise ValidationError.single("gaps", f"missing columns: {', '.join(missing)}")
    known = set(parks["park_id"].astype(str))
    g = gaps.reset_index(drop=True).copy()
    g["park_id"] = g["park_id"].astype(str)
    bad = sorted(set(g["park_id"]) - known)
    if bad:
        raise ValidationError.single("gaps", "unknown park (未知园区)", column="park_id", value=bad[0])
    plats = platforms[platforms["host_park_id"].astype(str).isin(known)].reset_index(drop=True)
    gap_parks = sorted(set(g["park_id"]))
    host_parks = sorted(set(plats["host_park_id"].astype(str)))
    if gap_parks and host_parks:
        t = travel_time(_points(parks, gap_parks), _points(parks, host_parks))
    else:
        t = np.zeros((len(gap_parks), len(host_parks)))
    gi = {pk: i for i, pk in enumerate(gap_parks)}
    hi = {pk: j for j, pk in enumerate(host_parks)}
    serving = _serves(plats)
    best_id: list[str | None] = []
    best_h: list[float] = []
    for park, chain, seg in zip(g["park_id"], g["chain"].astype(str), g["segment_id"].astype(str),
                                strict=True):
        best: tuple[float, str] | None = None
        for pid, host, segs, chains in serving:
            if not (seg in segs or (not segs and chain in chains)):
                continue
            hours = float(t[gi[park], hi[host]])
            if hours <= max_hours and (best is None or (hours, pid) < best):
                best = (hours, pid)
        best_id.append(best[1] if best else None)
        best_h.append(best[0] if best else np.nan)
    g["covered"] = [b is not None for b in best_id]
    g["platform_id"] = pd.array(best_id, dtype="string")
    g["hours"] = best_h
    g["action"] = np.where(g["covered"], "covered", "build_or_share_platform")
    g["action_zh"] = g["action"].map(lambda a: PLATFORM_GAP_ACTION_NAMES[a][0])
    g["action_en"] = g["action"].map(lambda a: PLATFORM_GAP_ACTION_NAMES[a][1])

    cand = sorted(set(candidates) & known) if candidates is not None else sorted(known)
    open_gaps = g[~g["covered"]].reset_index(drop=True)
    sites_rows: list[dict[str, Any]] = []
    cand_rows: list[dict[str, Any]] = []
    if len(open_gaps) and cand:
        og_parks = sorted(set(open_gaps["park_id"]))
        tc = travel_time(_points(parks, og_parks), _points(parks, cand))
        oi = {pk: i for i, pk in enumerate(og_parks)}
        groups: list[tuple[str, pd.DataFrame]] = [("*", open_gaps)]
        groups += [(str(c), sub) for c, sub in open_gaps.groupby("chain", sort=True)]
        for chain, sub in groups:
            # gaps of one park share a coverage row: one demand point per park, weight = gaps
            weight = sub.groupby("park_id").size()
            cost = tc[[oi[pk] for pk in weight.index], :]
            w = weight.to_numpy(dtype=float)
            reach = w @ (cost <= max_hours)
            cand_rows += [{"chain": chain, "park_id": c, "gaps_within_reach": int(n)}
                          for c, n in zip(cand, reach, strict=True)]
            k = min(p, len(cand))
            sol = mclp(cost, w, max_hours, k, time_limit=time_limit)
            covered_by = cost[:, list(sol.selected)] <= max_hours
            for rank, j in enumerate(sol.selected, start=1):
                sites_rows.append({
                    "chain": chain, "rank": rank, "park_id": cand[j],
                    "gaps_covered": int(w @ covered_by[:, rank - 1]),
                    "gaps_covered_total": int(w @ covered_by.any(axis=1)),
                    "gaps_open": len(sub), "objective": float(sol.objective),
                })
    sites = pd.DataFrame(sites_rows, columns=["chain", "rank", "park_id", "gaps_covered",
                                              "gaps_covered_total", "gaps_open", "objective"])
    cands = pd.DataFrame(cand_rows, columns=["chain", "park_id", "gaps_within_reach"])
    return PlatformGaps(g, sites, cands, float(max_hours), int(p))
