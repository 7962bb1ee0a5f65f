"""Cross-border suitability indicators: can this park pair with a park on the other side?

The programme designates parks *in pairs across the Sichuan–Chongqing border* where it can
(2020 notice; the first batch paired 12 of its 18 named parks). Three indicators measure a
park's footing for such a pair, from the registry alone (no designation is used, so the
indicators carry no label of the programme's choice into the calibration):

``t_partner`` (h, cost)
    travel time to the nearest park of the other province;
``partner_chain_match`` (count, benefit)
    number of the park's focal chains that at least one park of the other province within
    ``pair_hours`` (default 3 h, the pairing radius of the designation model) also names;
``platform_partners`` (count, benefit)
    parks of the other province that share a cross-border cooperation platform zone with the
    park (the platforms of the 2020 notice: Wan–Da–Kai, Sui–Tong, Gaozhu, Lu–Yong–Jiang,
    South Sichuan–West Chongqing), the programme's pre-existing partner frameworks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.evaluate.location import TravelTime, geodesic_travel_time
from parklink.evaluate.matrix import Criterion
from parklink.tables import split_list

__all__ = ["CROSSBORDER_INDICATORS", "PAIR_HOURS", "crossborder_indicators"]

#: The pairing radius (h) used by ``partner_chain_match``: the designation model's default.
PAIR_HOURS = 3.0

CROSSBORDER_INDICATORS: tuple[Criterion, ...] = (
    Criterion("t_partner", "至对岸园区时间", "time to nearest park across the border", "h", "cost", "location",
              source="parks (other province)", formula="min travel time to a park of the other province"),
    Criterion("partner_chain_match", "跨省链条匹配", "focal chains matched across the border", "count", "benefit",
              "industry", source="parks.focus_chains",
              formula=f"focal chains also named by a park of the other province within {PAIR_HOURS:g} h"),
    Criterion("platform_partners", "平台内对岸园区", "partner parks in a shared platform", "count", "benefit",
              "location", source="zones (platform) + parks",
              formula="parks of the other province in a platform zone shared with the park"),
)


def _bits(sets: list[set[str]]) -> npt.NDArray[np.uint64] | None:
    """Each set as a bit mask over the sorted union (None when the union exceeds 63 items)."""
    items = sorted(set().union(*sets)) if sets else []
    if len(items) > 63:
        return None
    pos = {x: k for k, x in enumerate(items)}
    return np.array([sum(1 << pos[x] for x in s_) for s_ in sets], dtype=np.uint64)


def crossborder_indicators(
    parks: pd.DataFrame,
    *,
    platforms: list[list[str]],
    travel_time: TravelTime | None = None,
    pair_hours: float = PAIR_HOURS,
) -> pd.DataFrame:
    """``park_id`` plus the three cross-border indicators for every park of ``parks``.

    ``platforms`` gives, per park (same order), the platform zone ids it belongs to (as
    :func:`parklink.evaluate.indicators.park_zones` restricted to platform zones).
    ``travel_time`` maps (n×2, m×2) lon/lat arrays to hours (geodesic × detour by default).
    """
    tt = travel_time or geodesic_travel_time
    p = parks.reset_index(drop=True)
    n = len(p)
    xy = p[["lon", "lat"]].to_numpy(dtype=np.float64)
    prov = p["province"].astype(str).to_numpy()
    chains = [set(split_list(v)) for v in p["focus_chains"]]
    plats = [set(z) for z in platforms]
    t_partner = np.full(n, np.nan)
    match = np.zeros(n)
    partners = np.zeros(n)
    chain_bits, plat_bits = _bits(chains), _bits(plats)
    block = 512  # rows of the park-to-park time matrix computed at a time (memory O(block × n))
    times = np.zeros((0, n))
    for i in range(n):
        if i % block == 0:
            times = np.asarray(tt(xy[i:i + block], xy), dtype=np.float64)
        other = np.flatnonzero(prov != prov[i])
        if len(other) == 0:
            continue
        row = times[i % block]
        t_partner[i] = row[other].min()
        near = other[row[other] <= pair_hours]
        if chain_bits is not None and plat_bits is not None:  # the same counts on bit masks
            seen_bits = int(np.bitwise_or.reduce(chain_bits[near])) if len(near) else 0
            match[i] = (int(chain_bits[i]) & seen_bits).bit_count()
            partners[i] = int(np.count_nonzero(plat_bits[other] & plat_bits[i])) if plat_bits[i] else 0
            continue
        seen: set[str] = set()
        for j in near:
            seen |= chains[j]
        match[i] = len(chains[i] & seen)
        partners[i] = sum(1 for j in other if plats[i] & plats[j])
    return pd.DataFrame({
        "park_id": p["park_id"].astype(str),
        "t_partner": t_partner,
        "partner_chain_match": match,
        "platform_partners": partners,
    })
