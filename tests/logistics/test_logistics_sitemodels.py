"""LSCP, backup LSCP, p-center, capacitated p-median and predefined sites equal spopt (PuLP + CBC)."""

from __future__ import annotations

import numpy as np
import pulp
import pytest
from spopt.locate import LSCP, LSCPB, MCLP, PCenter, PMedian

from parklink.errors import ConfigError, InfeasibleError
from parklink.logistics.sitemodels import (
    capacitated_p_median,
    lscp,
    lscp_backup,
    mclp,
    p_center,
    p_median,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
CBC = pulp.PULP_CBC_CMD(msg=False)


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Demand and sites scattered in a 100 × 100 square; Euclidean costs rounded to 0.01."""
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0, 100, (n, 2))
    sites = rng.uniform(0, 100, (m, 2))
    cost = np.sqrt(((dem[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)).round(2)
    return cost, rng.integers(1, 50, n).astype(float)


def _radius(cost: np.ndarray, quantile: float = 0.35) -> float:
    """A service standard under which every demand point is within reach of some site."""
    return float(max(np.quantile(cost, quantile), cost.min(axis=1).max()))


CASES = [(seed, n, m) for seed, n, m in ((1, 12, 5), (2, 20, 6), (3, 30, 8), (4, 15, 7), (5, 25, 9))]
BIG = (42, 220, 16)  # a real-world-sized instance: ≥ 200 demand points × 16 sites


def _pre(m: int) -> np.ndarray:
    return np.array([0, m - 1])


@pytest.mark.parametrize("case", [*CASES, BIG])
@pytest.mark.parametrize("with_pre", [False, True])
def test_lscp_and_backup_equal_spopt(case: tuple[int, int, int], with_pre: bool) -> None:
    cost, _ = _instance(*case)
    r = _radius(cost)
    pre = _pre(cost.shape[1]) if with_pre else None
    ours = lscp(cost, r, predefined=pre)
    ref = LSCP.from_cost_matrix(cost, r, predefined_facilities_arr=pre).solve(CBC)
    assert ours.objective == pytest.approx(ref.problem.objective.value())
    assert (cost[:, list(ours.selected)] <= r).any(axis=1).all()
    if pre is not None:
        assert set(pre.tolist()) <= set(ours.selected)
    back = lscp_backup(cost, r, predefined=pre)
    refb = LSCPB.from_cost_matrix(cost, r, CBC, predefined_facilities_arr=pre).solve(CBC)
    single = int(((cost <= r).sum(axis=1) < 2).sum())  # spopt counts points that cannot be covered twice
    assert back.objective + single == pytest.approx(refb.problem.objective.value())
    assert len(back.selected) == len(ours.selected)
    twice = ((cost[:, list(back.selected)] <= r).sum(axis=1) >= 2).sum()
    assert back.objective == pytest.approx(twice)  # the objective is what the sites achieve


@pytest.mark.parametrize("case", [*CASES, pytest.param(BIG, marks=pytest.mark.slow)])  # CBC: minutes on BIG
@pytest.mark.parametrize("with_pre", [False, True])
def test_p_center_equals_spopt(case: tuple[int, int, int], with_pre: bool) -> None:
    cost, _ = _instance(*case)
    p = 3
    pre = _pre(cost.shape[1]) if with_pre else None
    ours = p_center(cost, p, predefined=pre)
    ref = PCenter.from_cost_matrix(cost, p, predefined_facilities_arr=pre).solve(CBC)
    assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-7)
    assert len(ours.selected) == p and (pre is None or set(pre.tolist()) <= set(ours.selected))
    assert ours.objective == pytest.approx(cost[:, list(ours.selected)].min(axis=1).max())


@pytest.mark.parametrize("case", [*CASES, BIG])
@pytest.mark.parametrize("with_pre", [False, True])
def test_capacitated_p_median_equals_spopt(case: tuple[int, int, int], with_pre: bool) -> None:
    cost, w = _instance(*case)
    m = cost.shape[1]
    p = 4
    cap = np.full(m, np.ceil(1.4 * w.sum() / p))
    pre = _pre(m) if with_pre else None
    ours = capacitated_p_median(cost, w, p, cap, predefined=pre)
    ref = PMedian.from_cost_matrix(cost, w, p, predefined_facilities_arr=pre, facility_capacities=cap).solve(CBC)
    assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-6)
    load = np.bincount(np.asarray(ours.assignment), weights=w, minlength=m)
    assert (load <= cap + 1e-6).all()
    assert ours.objective == pytest.approx(float((w * cost[np.arange(len(w)), list(ours.assignment)]).sum()), rel=1e-6)
    free = p_median(cost, w, p, predefined=pre)
    assert ours.objective >= free.objective - 1e-6  # capacities can only cost more


@pytest.mark.parametrize("case", CASES)
def test_predefined_sites_in_p_median_and_mclp(case: tuple[int, int, int]) -> None:
    cost, w = _instance(*case)
    m = cost.shape[1]
    pre = _pre(m)
    r = _radius(cost, 0.2)
    ours = p_median(cost, w, 3, predefined=pre)
    ref = PMedian.from_cost_matrix(cost, w, 3, predefined_facilities_arr=pre).solve(CBC)
    assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-6)
    assert set(pre.tolist()) <= set(ours.selected)
    cov = mclp(cost, w, r, 3, predefined=pre)
    refc = MCLP.from_cost_matrix(cost, w, r, 3, predefined_facilities_arr=pre).solve(CBC)
    assert cov.objective == pytest.approx(refc.problem.objective.value(), rel=1e-6)
    mask = np.zeros(m, bool)
    mask[pre] = True
    assert p_median(cost, w, 3, predefined=mask).objective == pytest.approx(ours.objective)


def test_user_errors() -> None:
    cost, w = _instance(7, 10, 4)
    with pytest.raises(ConfigError):
        p_center(cost, 2, predefined=[0, 1, 2])
    with pytest.raises(InfeasibleError):
        lscp(cost, 0.001)
    with pytest.raises(InfeasibleError):
        capacitated_p_median(cost, w, 2, np.full(4, 1.0))


@pytest.mark.slow
def test_recommend_sites_models_keep_and_tradeoff(dataset: dict[str, object]) -> None:
    from parklink.datasets import chengyu, synthetic
    from parklink.logistics.location import FUNCTIONS, recommend_sites
    from parklink.logistics.network import build_network
    from parklink.logistics.tradeoff import covered, weighted_cost

    net = build_network(**dataset)  # type: ignore[arg-type]
    firms = synthetic.generate_firms(dataset["regions"], chengyu.load("chain_segments"), n_firms=600, seed=3,  # type: ignore[arg-type]
                                     parks=dataset["parks"])  # type: ignore[arg-type]
    firms = firms[firms["province"] != "OUT"]
    for key in ("supporting_processing", "logistics_trade"):
        assert key in FUNCTIONS
        base = recommend_sites(net, firms, key, p=3)
        cost = base.explain["cost_cny_per_t"].to_numpy()
        hours = base.explain["time_h"].to_numpy()
        w = base.explain["demand"]["weight"].to_numpy()
        t = base.tradeoff
        # both ends are the two optimal solutions, measured by each other's objective
        assert t["p_median_cost"].iloc[0] == pytest.approx(base.p_median.objective, rel=1e-6)
        mc_cov = covered(hours, w, base.mclp.selected, base.function.service_h)
        assert t["covered_share"].iloc[-1] * w.sum() == pytest.approx(mc_cov, rel=1e-6)
        assert t["p_median_cost"].iloc[-1] == pytest.approx(weighted_cost(cost, w, base.mclp.selected), rel=1e-9)
        # along the frontier cost rises and coverage rises (Pareto order), within the two optima
        assert (t["p_median_cost"].diff().dropna() >= -1e-6).all()
        assert (t["covered_share"].diff().dropna() >= -1e-9).all()
        assert "p-median" in base.why and "MCLP" in base.why and "最大覆盖" in base.why
    ids = base.sites["park_id"].tolist()
    kept = ids[-1]
    for model in ("lscp", "lscp-b", "pcenter", "cpmedian"):
        rec = recommend_sites(net, firms, key, p=3, model=model, keep=(kept,), capacity_factor=2.0)
        assert rec.extra is not None and rec.sites.loc[rec.sites["park_id"] == kept, "extra"].all()
        assert rec.sites.loc[rec.sites["park_id"] == kept, "p_median"].all()
        assert rec.sites.loc[rec.sites["park_id"] == kept, "mclp"].all()
    with pytest.raises(ConfigError):
        recommend_sites(net, firms, key, model="gravity")


@pytest.mark.parametrize("case", CASES[2:])
def test_tradeoff_frontier_on_random_instances(case: tuple[int, int, int]) -> None:
    from parklink.logistics.tradeoff import covered, tradeoff, weighted_cost

    cost, w = _instance(*case)
    hours = cost / 50.0
    service = float(np.quantile(hours, 0.15))
    pm, mc = p_median(cost, w, 3), mclp(hours, w, service, 3)
    t = tradeoff(cost, hours, w, service, pm, mc, points=3)
    assert t["p_median_cost"].iloc[0] == pytest.approx(pm.objective, rel=1e-6)
    assert t["covered_share"].iloc[-1] * w.sum() == pytest.approx(mc.objective, rel=1e-6)
    assert t["p_median_cost"].iloc[-1] == pytest.approx(weighted_cost(cost, w, mc.selected))
    assert (t["p_median_cost"].diff().dropna() >= -1e-6).all()
    assert (t["covered_share"].diff().dropna() >= -1e-9).all()
    # every frontier point is no worse than the p-median optimum and no better than the MCLP optimum
    assert (t["cost_vs_optimum"] >= -1e-9).all() and (t["coverage_vs_optimum"] <= 1e-9).all()
    assert covered(hours, w, pm.selected, service) <= mc.objective + 1e-9


@pytest.mark.parametrize("with_pre", [False, True])
def test_p_center_big_instance_by_brute_force(with_pre: bool) -> None:
    from itertools import combinations

    cost, _ = _instance(*BIG)
    m, p = cost.shape[1], 3
    pre = _pre(m) if with_pre else None
    fixed = set() if pre is None else set(pre.tolist())
    best = min(cost[:, list(s)].min(axis=1).max() for s in combinations(range(m), p) if fixed <= set(s))
    assert p_center(cost, p, predefined=pre).objective == pytest.approx(best)
