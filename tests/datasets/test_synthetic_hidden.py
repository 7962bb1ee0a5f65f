"""Hidden drivers (generator version 2) and the generator's oracle: invariants on a small
generated network from the embedded dataset."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from parklink.datasets import synthetic as syn
from parklink.datasets.synthetic.hidden import make_hidden
from parklink.datasets.synthetic.oracle import GENERATION_FILE, LinkOracle

YEARS = (2021, 2022, 2023)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = tmp_path_factory.mktemp("hidden") / "firms"
    syn.write_dataset(r, n_firms=3000, n_transactions=60_000, seed=5, years=YEARS, progress=False)
    return r


@pytest.fixture(scope="module")
def oracle(root: Path) -> LinkOracle:
    o = LinkOracle.from_root(root)
    assert o is not None
    return o


def test_acceptance_is_a_probability_and_version_1_has_none() -> None:
    prov = np.array(["SC", "CQ", "OUT", "SC"] * 50, dtype=object)
    h = make_hidden(200, prov, YEARS, 1, syn.DEFAULT_PARAMS)
    assert h is not None
    rng = np.random.default_rng(0)
    s, b = rng.integers(0, 200, 1000), rng.integers(0, 200, 1000)
    a = h.acceptance(s, b, 2)
    assert ((a > 0) & (a <= 1)).all()
    # the matrix form is the log of the pairwise form
    m = h.log_acceptance_matrix(s[:20], b[:7], 2)
    np.testing.assert_allclose(np.exp(m), h.acceptance(np.tile(s[:20], 7), np.repeat(b[:7], 20), 2).reshape(7, 20))
    # before the policy year no pair gets the policy factor 1
    assert h.policy(s, b, 0).max() == pytest.approx(1 / syn.DEFAULT_PARAMS.policy_boost)
    v1 = dataclasses.replace(syn.DEFAULT_PARAMS, generator_version=1)
    assert make_hidden(200, prov, YEARS, 1, v1) is None


def test_version_1_and_2_differ_and_both_are_seeded(root: Path) -> None:
    from parklink.datasets import chengyu

    seg = chengyu.load("chain_segments")
    firms = pd.read_parquet(root / "firms.parquet").drop(columns="firm_key")
    v1 = dataclasses.replace(syn.DEFAULT_PARAMS, generator_version=1)

    def gen(params: syn.SyntheticParams) -> pd.DataFrame:
        return pd.concat(syn.generate_transactions(firms, seg, n_transactions=20_000, years=YEARS, seed=2,
                                                   params=params), ignore_index=True)

    a, b, c = gen(syn.DEFAULT_PARAMS), gen(syn.DEFAULT_PARAMS), gen(v1)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["supplier_id", "buyer_id"]].equals(c[["supplier_id", "buyer_id"]])


def test_generation_record_and_oracle_rebuild(root: Path, oracle: LinkOracle) -> None:
    rec = json.loads((root / GENERATION_FILE).read_text(encoding="utf-8"))
    assert rec["seed"] == 5 and rec["years"] == list(YEARS) and rec["params"]["generator_version"] == 2
    ids = set(pd.read_parquet(root / "firms.parquet")["enterprise_id"])
    assert set(oracle.ids) == ids and oracle.generator_version == 2


def test_oracle_sums_to_the_draw_counts(oracle: LinkOracle) -> None:
    plan = oracle.plan
    t = 2
    buyers = np.flatnonzero(plan.m[t] > 0)[:25]
    lam = oracle.intensity(YEARS[t], {oracle.ids[b]: [oracle.ids[b]] for b in buyers})
    tot = lam.groupby("scope_id")["oracle"].sum()
    for b in buyers:
        assert tot[oracle.ids[b]] == pytest.approx(plan.m[t, b], rel=1e-9)
    assert not (lam["scope_id"] == lam["enterprise_id"]).any()  # no self-loops


def test_oracle_predicts_the_realised_links_and_the_hidden_fit_acts(root: Path, oracle: LinkOracle) -> None:
    firms = pd.read_parquet(root / "firms.parquet")
    tx = pd.read_parquet(root / "transactions")
    circle = firms.loc[firms["province"].isin(["SC", "CQ"]), "enterprise_id"].tolist()
    lam = oracle.intensity(2023, {"circle": circle}).set_index("enterprise_id")["oracle"]
    t23 = tx[(tx["year"] == 2023) & tx["buyer_id"].isin(circle)]
    real = t23.groupby("supplier_id").size().reindex(lam.index).fillna(0)
    rho = stats.spearmanr(lam.to_numpy(), real.to_numpy()).statistic
    assert rho > 0.5
    # the realised links have a better hidden fit than random pairs of the same firms
    pos = {e: i for i, e in enumerate(oracle.ids)}
    h = oracle.plan.hidden
    assert h is not None
    s = np.array([pos[x] for x in t23["supplier_id"]])
    b = np.array([pos[x] for x in t23["buyer_id"]])
    rng = np.random.default_rng(0)
    assert h.fit(s, b).mean() > h.fit(s, rng.permutation(b)).mean() + 0.05


def test_no_oracle_for_edited_or_unrecorded_data(root: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "firms"
    shutil.copytree(root, other)
    f = pd.read_parquet(other / "firms.parquet")
    f.iloc[:-1].to_parquet(other / "firms.parquet")
    assert LinkOracle.from_root(other) is None
    (other / GENERATION_FILE).unlink()
    assert LinkOracle.from_root(other) is None
