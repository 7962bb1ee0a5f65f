"""Property tests on random firm networks: rates in [0, 1], completeness monotone in
presence, nested scopes give nested counts and completeness."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import diagnose
from parklink.chains.scope import circle_scope, resolve_scope

from .conftest import scope_frames, template_frame

PLACES = [("SC", "510112", "p1", 104.27, 30.56), ("SC", "510116", None, 104.0, 30.5),
          ("CQ", "500112", "p2", 106.63, 29.72), ("CQ", "500113", None, 106.5, 29.4),
          ("OUT", None, None, 116.4, 39.9)]
SEGS = list(template_frame()["segment_id"])


def random_network(seed: int, n_firms: int = 25, n_tx: int = 80) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    place = rng.integers(0, len(PLACES), n_firms)
    seg = rng.integers(0, len(SEGS), n_firms)
    rows = []
    for i in range(n_firms):
        prov, ad, park, lon, lat = PLACES[place[i]]
        s = SEGS[seg[i]]
        rows.append((f"E{i}", prov, ad, park, lon + rng.normal(0, 0.05), lat, s.split(".")[0],
                     s, float(rng.uniform(1, 100)), bool(rng.random() < 0.2)))
    firms = pd.DataFrame(rows, columns=["enterprise_id", "province", "adcode", "park_id", "lon",
                                        "lat", "chain", "segments", "output_cny_m", "leading"])
    firms["adcode"] = firms["adcode"].astype("string")
    firms["park_id"] = firms["park_id"].astype("string")
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n_firms, (n_tx, 2)) if a != b}
    tx = pd.DataFrame([(f"E{a}", f"E{b}", 2023, float(rng.uniform(1, 50))) for a, b in pairs],
                      columns=["supplier_id", "buyer_id", "year", "value_kcny"])
    return firms, tx


SCOPES = ("park:p1", "city:510100", "SC", "circle")


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_rates_in_unit_interval_and_nesting(seed: int) -> None:
    firms, tx = random_network(seed)
    frames = scope_frames()
    scopes = [resolve_scope(s, frames) for s in SCOPES]
    d = diagnose(ChainData.from_frames(firms, tx, template_frame()), scopes, top_n=3)
    for col in ("lsr", "firm_median", "coverage_value", "coverage_buyers"):
        v = d.lsr[col].dropna()
        assert ((v >= -1e-12) & (v <= 1 + 1e-12)).all(), col
    for col in ("completeness", "completeness_depth"):
        v = d.completeness[col].dropna()
        assert ((v >= 0) & (v <= 1 + 1e-12)).all()
    for col in ("local_supply_share", "hhi_local", "top_local_share", "feasibility"):
        v = d.segments[col].dropna()
        assert ((v >= 0) & (v <= 1 + 1e-12)).all(), col
    # nesting: park ⊂ city ⊂ province ⊂ circle
    s = d.segments.pivot_table(index="segment_id", columns="scope_id", values="n_firms")
    c = d.completeness.pivot_table(index="chain", columns="scope_id", values="completeness")
    ids = [x.scope_id for x in scopes]
    for inner, outer in itertools.pairwise(ids):
        assert (s[inner] <= s[outer]).all()
        assert (c[inner] <= c[outer] + 1e-12).all()
    # LSR for the circle region: the circle scope's 'scope' region equals its 'circle' region
    t = d.lsr[(d.lsr.scope_id == "circle") & (d.lsr.level == "scope") & (d.lsr.version == "value")]
    piv = t.pivot_table(index="chain", columns="region", values="lsr")
    np.testing.assert_allclose(piv["scope"], piv["circle"])


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(SEGS))
def test_completeness_monotone_in_presence(seed: int, seg: str) -> None:
    firms, tx = random_network(seed)
    extra = pd.DataFrame([("NEW", "SC", "510112", "p1", 104.27, 30.56, seg.split(".")[0], seg,
                           5.0, False)], columns=firms.columns)
    extra["adcode"] = extra["adcode"].astype("string")
    extra["park_id"] = extra["park_id"].astype("string")
    more = pd.concat([firms, extra], ignore_index=True)
    p1 = resolve_scope("park:p1", scope_frames())
    before = diagnose(ChainData.from_frames(firms, tx, template_frame()), p1, top_n=0)
    after = diagnose(ChainData.from_frames(more, tx, template_frame()), p1, top_n=0)
    b = before.completeness.set_index("chain")["completeness"]
    a = after.completeness.set_index("chain")["completeness"]
    assert (a >= b - 1e-12).all()
    chain = seg.split(".")[0]
    assert a[chain] > 0
    assert circle_scope().scope_id == "circle"
