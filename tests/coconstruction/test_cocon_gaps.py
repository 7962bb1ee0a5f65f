"""Platform gaps on a hand-made case (3 parks, 2 platforms, known travel times) checked by
brute force, and on the embedded default with the network travel times."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from parklink.coconstruction.gaps import platform_gaps

# parks A, B, C on a line; travel times (h) chosen by hand, symmetric, 0 on the diagonal
XY = {"A": (104.0, 30.0), "B": (105.0, 30.0), "C": (106.0, 30.0)}
HOURS = {("A", "B"): 1.5, ("A", "C"): 3.0, ("B", "C"): 1.8}


def _hours(a: str, b: str) -> float:
    return 0.0 if a == b else HOURS.get((a, b), HOURS.get((b, a), np.inf))


def _name(pt: np.ndarray) -> str:
    return next(k for k, v in XY.items() if np.allclose(v, pt))


def tt(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    return np.array([[_hours(_name(o), _name(d)) for d in destinations] for o in origins])


PARKS = pd.DataFrame({"park_id": list(XY), "lon": [v[0] for v in XY.values()],
                      "lat": [v[1] for v in XY.values()]})
PLATFORMS = pd.DataFrame({
    "platform_id": ["P1", "P2"], "host_park_id": ["A", "C"],
    "segments": ["auto.parts", None], "chains": ["auto", "electronics"],
})
GAPS = pd.DataFrame([
    ("A", "auto", "auto.parts", "missing"), ("B", "auto", "auto.parts", "weak"),
    ("C", "auto", "auto.parts", "missing"), ("A", "electronics", "electronics.pcb", "weak"),
    ("B", "electronics", "electronics.pcb", "missing"), ("C", "auto", "auto.steel", "missing"),
    ("A", "auto", "auto.steel", "single_point"),
], columns=["park_id", "chain", "segment_id", "gap_type"])


def _serves(pf: pd.Series, chain: str, seg: str) -> bool:
    segs = pf["segments"].split(";") if isinstance(pf["segments"], str) else []
    return seg in segs or (not segs and chain in pf["chains"].split(";"))


def _brute_covered(max_hours: float) -> list[bool]:
    return [any(_serves(pf, g.chain, g.segment_id) and _hours(g.park_id, pf["host_park_id"]) <= max_hours
                for _, pf in PLATFORMS.iterrows()) for g in GAPS.itertuples()]


def test_hand_made_coverage_matches_brute_force() -> None:
    res = platform_gaps(GAPS, PARKS, PLATFORMS, tt, max_hours=2.0)
    got = res.to_frame()
    assert got["covered"].tolist() == _brute_covered(2.0)
    # by hand: A/parts P1 0 h, B/parts P1 1.5 h, C/parts 3 h > 2, A/pcb P2 3 h > 2, B/pcb P2 1.8 h
    assert got["covered"].tolist() == [True, True, False, False, True, False, False]
    assert got["platform_id"].tolist()[:2] == ["P1", "P1"]
    assert got.loc[4, "platform_id"] == "P2" and got.loc[4, "hours"] == pytest.approx(1.8)
    assert set(got.loc[~got["covered"], "action"]) == {"build_or_share_platform"}
    assert got.loc[~got["covered"], "action_en"].eq("build or share a platform").all()
    # a looser standard covers A/pcb and C/parts too (3 h)
    loose = platform_gaps(GAPS, PARKS, PLATFORMS, tt, max_hours=3.0).to_frame()
    assert loose["covered"].tolist() == _brute_covered(3.0)


@pytest.mark.parametrize("p", [1, 2])
def test_best_new_sites_match_brute_force(p: int) -> None:
    res = platform_gaps(GAPS, PARKS, PLATFORMS, tt, max_hours=2.0, p=p)
    open_gaps = GAPS[[not c for c in _brute_covered(2.0)]]
    for chain, sub in [("*", open_gaps), *open_gaps.groupby("chain")]:
        best = max(sum(any(_hours(g, s) <= 2.0 for s in combo) for g in sub["park_id"])
                   for combo in itertools.combinations(XY, p))
        sites = res.sites[res.sites["chain"] == chain]
        assert len(sites) == p
        assert sites["gaps_covered_total"].iloc[0] == best == sites["objective"].iloc[0]
    overall = res.sites[res.sites["chain"] == "*"]
    if p == 1:  # B reaches A (1.5 h) and C (1.8 h): all 4 open gaps
        assert overall["park_id"].tolist() == ["B"] and overall["gaps_covered"].tolist() == [4]
    cands = res.explain()["candidates"]
    star = cands[cands["chain"] == "*"].set_index("park_id")["gaps_within_reach"]
    assert star.to_dict() == {"A": 2, "B": 4, "C": 2}
    assert res.summary()["uncovered"] == 4


def test_unknown_gap_park_is_rejected() -> None:
    from parklink.errors import ValidationError

    bad = GAPS.assign(park_id=["A", "B", "C", "A", "B", "C", "Z"])
    with pytest.raises(ValidationError):
        platform_gaps(bad, PARKS, PLATFORMS, tt)


def test_default_dataset_with_network_times() -> None:
    """On the embedded default: the real parks and the logistics network; gaps of two designated
    parks, one synthetic platform (labelled synthetic) at one of them."""
    from parklink.inputs import embedded_inputs

    inputs = embedded_inputs()
    parks = inputs.frame("parks")
    des = inputs.frame("designations").set_index("designation_id")
    a, b = str(des.loc["b1-gaozhu", "members"]).split(";")[0], "cq-liangjiang-new-area"
    gaps = pd.DataFrame([(a, "auto", "auto.powertrain", "missing"), (b, "auto", "auto.powertrain", "weak"),
                         ("sc-panzhihua-htz", "auto", "auto.powertrain", "missing")],
                        columns=["park_id", "chain", "segment_id", "gap_type"])
    plat = pd.DataFrame({"platform_id": ["syn-1"], "host_park_id": [b], "segments": ["auto.powertrain"],
                         "chains": ["auto"], "confidence": ["synthetic"]})
    tt_net = inputs.travel_time("network")
    res = platform_gaps(gaps, parks, plat, tt_net, max_hours=2.0)
    xy = parks.set_index("park_id")[["lon", "lat"]].astype(float)
    hours = tt_net(xy.loc[[a, b, "sc-panzhihua-htz"]].to_numpy(), xy.loc[[b]].to_numpy())[:, 0]
    assert res.to_frame()["covered"].tolist() == [bool(h <= 2.0) for h in hours]
    assert hours[1] == pytest.approx(0.0, abs=1e-9) and hours[2] > 2.0  # Panzhihua is far
    best = res.sites[res.sites["chain"] == "*"]
    assert len(best) == 1 and best["park_id"].iloc[0] in set(parks["park_id"])
