"""Why p-median and MCLP pick different sites, and a compromise between them.

p-median minimises the total weighted generalised cost of serving **all** demand: every firm
counts, in proportion to its cost to the nearest open site, so sites are pulled towards the
mass of demand. MCLP maximises the demand **within the service standard** (a radius in hours):
a firm just inside counts fully, one just outside not at all, and how far inside does not
matter, so MCLP spreads sites to reach separate clusters. The two answer different questions;
:func:`tradeoff` measures each solution by the other's objective and traces a few points of
their Pareto frontier by the ε-constraint method (p-median cost minimised subject to a
coverage floor between the p-median's coverage and the MCLP optimum).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import InfeasibleError
from parklink.logistics.sitemodels import LocationSolution, p_median_with_coverage

FloatArray = npt.NDArray[np.float64]


def weighted_cost(cost: FloatArray, weights: FloatArray, sites: tuple[int, ...]) -> float:
    """Σ w_i min_{j ∈ sites} c_ij (the p-median objective of a given site set)."""
    return float((weights * cost[:, list(sites)].min(axis=1)).sum())


def covered(hours: FloatArray, weights: FloatArray, sites: tuple[int, ...], service: float) -> float:
    """Weight within ``service`` of a site of ``sites`` (the MCLP objective of a given site set)."""
    return float(weights[(hours[:, list(sites)] <= service).any(axis=1)].sum())


def tradeoff(
    cost: FloatArray,
    hours: FloatArray,
    weights: FloatArray,
    service: float,
    pm: LocationSolution,
    mc: LocationSolution,
    *,
    predefined: npt.ArrayLike | None = None,
    points: int = 4,
    labels: list[str] | None = None,
    time_limit: float = 60.0,
) -> pd.DataFrame:
    """The p-median and MCLP solutions and ``points`` frontier points between them.

    Columns: ``point``, ``sites`` (labels), ``p_median_cost`` (Σ w·c), ``cost_vs_optimum``
    (relative to the p-median optimum), ``covered_share`` (of the total weight within the
    service standard), ``coverage_vs_optimum`` (relative to the MCLP optimum).
    """
    total = float(weights.sum())
    best_cost = weighted_cost(cost, weights, pm.selected)
    best_cov = covered(hours, weights, mc.selected, service)
    lo = covered(hours, weights, pm.selected, service)
    names = labels or [str(j) for j in range(cost.shape[1])]
    rows = []

    def add(point: str, sites: tuple[int, ...]) -> None:
        c = weighted_cost(cost, weights, sites)
        v = covered(hours, weights, sites, service)
        rows.append({"point": point, "sites": ", ".join(names[j] for j in sites), "p_median_cost": c,
                     "cost_vs_optimum": c / best_cost - 1.0 if best_cost > 0 else 0.0,
                     "covered_share": v / total if total > 0 else 0.0,
                     "coverage_vs_optimum": v / best_cov - 1.0 if best_cov > 0 else 0.0})

    add("p-median 最小成本", pm.selected)
    if best_cov > lo + 1e-9:
        for k in range(1, points + 1):
            floor = lo + (best_cov - lo) * k / (points + 1)
            try:
                sol = p_median_with_coverage(cost, weights, pm.p, hours, service, floor - 1e-9,
                                             predefined=predefined, time_limit=time_limit)
            except InfeasibleError:  # pragma: no cover - the MCLP solution is always feasible
                continue
            add(f"frontier 折中 ≥{floor / total:.0%}", sol.selected)
    add("MCLP 最大覆盖", mc.selected)
    ends = {rows[0]["sites"], rows[-1]["sites"]}
    seen: set[str] = set()
    keep = []
    for k, r in enumerate(rows):
        end = k in (0, len(rows) - 1)
        if end or (r["sites"] not in ends and r["sites"] not in seen):
            keep.append(r)
        seen.add(str(r["sites"]))
    return pd.DataFrame(keep).reset_index(drop=True)


def why_text(service_h: float, table: pd.DataFrame) -> str:
    """Bilingual explanation of the difference, with the figures of ``table`` (from :func:`tradeoff`)."""
    pm, mc = table.iloc[0], table.iloc[-1]
    return (
        f"p-中位最小化全部需求的加权广义成本（每家企业按距离计入），选址靠近需求重心；最大覆盖只计 {service_h:g} 小时内的需求"
        f"（圈内远近不计，圈外为零），选址分散以覆盖更多集群。p-中位方案覆盖 {pm['covered_share']:.0%}，"
        f"最大覆盖方案覆盖 {mc['covered_share']:.0%}，但其成本高 {mc['cost_vs_optimum']:.1%}。\n"
        f"p-median minimises the weighted generalised cost of serving all demand (every firm counts, by its cost), "
        f"so sites move to the centre of demand; MCLP counts only demand within {service_h:g} h (how far inside "
        f"does not matter, outside counts nothing), so it spreads sites over separate clusters. The p-median "
        f"sites cover {pm['covered_share']:.0%} within the standard, the MCLP sites {mc['covered_share']:.0%} at "
        f"{mc['cost_vs_optimum']:.1%} more cost; the frontier rows in between trade one for the other."
    )


__all__ = ["covered", "tradeoff", "weighted_cost", "why_text"]
