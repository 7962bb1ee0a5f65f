"""Cross-border indicators on a hand-made case with known travel times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from parklink.evaluate.crossborder import crossborder_indicators
from parklink.evaluate.indicators import DEFAULT_INDICATORS


def _times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # 1 hour per degree of longitude difference (latitude ignored): hand-checkable
    return np.abs(a[:, None, 0] - b[None, :, 0])


def test_hand_made_case() -> None:
    parks = pd.DataFrame({
        "park_id": ["s1", "s2", "c1", "c2"],
        "province": ["SC", "SC", "CQ", "CQ"],
        "lon": [104.0, 100.0, 105.0, 106.5],
        "lat": [30.0] * 4,
        "focus_chains": ["auto;electronics", "biomedicine", "auto", "biomedicine;electronics"],
    })
    platforms = [["gaozhu"], [], ["gaozhu"], ["sui-tong"]]
    out = crossborder_indicators(parks, platforms=platforms, travel_time=_times, pair_hours=3.0).set_index("park_id")
    # nearest other-province park: s1→c1 1 h; s2→c1 5 h; c1→s1 1 h; c2→s1 2.5 h
    assert out["t_partner"].to_dict() == pytest.approx({"s1": 1.0, "s2": 5.0, "c1": 1.0, "c2": 2.5})
    # s1 reaches c1 (auto) and c2 (biomedicine, electronics) within 3 h: auto + electronics = 2
    # s2 reaches nobody within 3 h; c1 reaches s1 (auto) = 1; c2 reaches s1 only: electronics = 1
    assert out["partner_chain_match"].to_dict() == {"s1": 2.0, "s2": 0.0, "c1": 1.0, "c2": 1.0}
    # only s1 and c1 share a platform across the border
    assert out["platform_partners"].to_dict() == {"s1": 1.0, "s2": 0.0, "c1": 1.0, "c2": 0.0}


def test_one_province_only_leaves_time_unknown() -> None:
    parks = pd.DataFrame({"park_id": ["a"], "province": ["SC"], "lon": [104.0], "lat": [30.0], "focus_chains": ["auto"]})
    out = crossborder_indicators(parks, platforms=[[]], travel_time=_times)
    assert np.isnan(out.loc[0, "t_partner"])
    assert out.loc[0, "partner_chain_match"] == 0


def test_in_the_default_indicator_system() -> None:
    keys = [c.key for c in DEFAULT_INDICATORS]
    assert {"t_partner", "partner_chain_match", "platform_partners"} <= set(keys)
