"""Location models agree with spopt (PuLP/CBC) on the same instances; site recommendation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spopt.locate import MCLP, PMedian

from parklink.errors import ConfigError
from parklink.logistics.location import FUNCTIONS, get_function, mclp, p_median, recommend_sites
from parklink.logistics.network import Network

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, int]:
    n = draw(st.integers(3, 14))
    m = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 10.0, (n, m)).round(3)
    weights = rng.integers(1, 20, n).astype(float)
    p = draw(st.integers(1, m))
    return cost, weights, p, seed


@settings(max_examples=15, deadline=None)
@given(instances())
def test_p_median_objective_equals_spopt(case: tuple[np.ndarray, np.ndarray, int, int]) -> None:
    cost, weights, p, _ = case
    ours = p_median(cost, weights, p)
    ref = PMedian.from_cost_matrix(cost, weights, p_facilities=p).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective == pytest.approx(pulp.value(ref.problem.objective), rel=1e-7)
    assert len(ours.selected) == p
    # the assignment is to the cheapest open site
    chosen = np.asarray(ours.selected)
    assert np.allclose(cost[np.arange(len(cost)), ours.assignment], cost[:, chosen].min(axis=1))


@settings(max_examples=15, deadline=None)
@given(instances(), st.floats(1.0, 9.0))
def test_mclp_objective_equals_spopt(case: tuple[np.ndarray, np.ndarray, int, int], radius: float) -> None:
    cost, weights, p, _ = case
    ours = mclp(cost, weights, radius, p)
    ref = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=p).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective == pytest.approx(pulp.value(ref.problem.objective), rel=1e-7)
    covered = (cost[:, np.asarray(ours.selected)] <= radius).any(axis=1)
    assert ours.objective == pytest.approx(weights[covered].sum())


def test_bad_p_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        p_median(np.ones((3, 2)), np.ones(3), 3)
    with pytest.raises(ConfigError):
        get_function("warehousing")


def test_recommend_sites_for_each_function(chengyu_network: Network, dataset: dict[str, object]) -> None:
    from parklink.datasets import chengyu, synthetic

    firms = synthetic.generate_firms(dataset["regions"], chengyu.load("chain_segments"), n_firms=800, seed=7,  # type: ignore[arg-type]
                                     parks=dataset["parks"])  # type: ignore[arg-type]
    firms = firms[firms["province"] != "OUT"]
    for key, fn in FUNCTIONS.items():
        rec = recommend_sites(chengyu_network, firms, key, p=2)
        sites = rec.to_frame()
        assert sites["p_median"].sum() == 2 and sites["mclp"].sum() == 2
        assert sites["eligible"].all()
        # every p-median demand is assigned to a chosen site; the totals add up
        assert sites.loc[~sites["p_median"], "demand_assigned_cny_m"].sum() == 0
        assert sites["demand_assigned_cny_m"].sum() == pytest.approx(rec.explain["demand"]["weight"].sum())
        cost = rec.explain["cost_cny_per_t"].to_numpy()
        w = rec.explain["demand"]["weight"].to_numpy()
        chosen = np.flatnonzero(sites["p_median"].to_numpy())
        assert rec.p_median.objective == pytest.approx(float((w * cost[:, chosen].min(axis=1)).sum()), rel=1e-6)
        assert rec.summary()["function"] == key and fn.cargo == rec.summary()["cargo"]


def test_transactions_weight_demand(chengyu_network: Network) -> None:
    from parklink.logistics.location import firm_demand

    firms = pd.DataFrame({"enterprise_id": ["f1", "f2"], "lon": [104.06, 106.55], "lat": [30.66, 29.56],
                          "output_cny_m": [1.0, 1.0], "chain": ["auto", "auto"]})
    tx = pd.DataFrame({"supplier_id": ["f1"], "buyer_id": ["f2"], "year": [2024], "value_kcny": [5000.0]})
    d = firm_demand(chengyu_network, firms, transactions=tx)
    assert d["weight"].sum() == pytest.approx(10.0)  # 5 M CNY counted at both ends
