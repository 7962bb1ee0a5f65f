"""The plan's target list comes from the chain engine's ranked targets for the scope, with
the recommendation (rank, score, reason, model version) kept; a park pair merges both lists."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import MappingProxyType, ModuleType

import pytest

from parklink.configs import ChainsConfig
from parklink.inputs import Inputs
from parklink.promotion.plans import TARGET_COLUMNS, engine_targets, ranking_model_version
from parklink.runs import diagnose_chains


def _chains_fixtures() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "chains" / "conftest.py"
    spec = importlib.util.spec_from_file_location("chains_fixtures", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    fx = _chains_fixtures()
    ds = fx.write_dataset(tmp_path / "firms")
    sf = fx.scope_frames()
    frames = {"regions": sf.regions, "zones": sf.zones, "parks": sf.parks, "designations": sf.designations,
              "chain_segments": fx.template_frame()}
    return Inputs(MappingProxyType(frames), "database", "test", "test", ds)


def test_targets_are_the_engines_ranked_list_with_provenance(inputs: Inputs) -> None:
    got = engine_targets(inputs, "designation", "d1", top_n=2)
    assert list(got.columns) == list(TARGET_COLUMNS) and len(got)
    ref = diagnose_chains(inputs, ChainsConfig(scope="designation:d1")).diagnosis.targets
    ref = ref.sort_values(["segment_id", "score"], ascending=[True, False])
    ref = ref.assign(r=ref.groupby("segment_id").cumcount() + 1)
    ref = ref[ref["r"] <= 2]
    assert sorted(zip(got["segment_id"], got["enterprise_id"], strict=True)) == sorted(
        zip(ref["segment_id"].astype(str), ref["enterprise_id"].astype(str), strict=True))
    row = got.iloc[0]
    match = ref[(ref["segment_id"] == row["segment_id"]) & (ref["enterprise_id"] == row["enterprise_id"])].iloc[0]
    assert row["score"] == pytest.approx(float(match["score"]), abs=1e-6) and row["reason"] == match["reason"]
    assert set(got["model_version"]) == {ranking_model_version()}
    assert got["enterprise_name"].str.startswith("企业").all()  # names from the firm dataset


def test_a_park_pair_merges_both_parks_lists(inputs: Inputs) -> None:
    pair = engine_targets(inputs, "park_pair", "p1+p2", top_n=50)
    one = engine_targets(inputs, "park", "p1", top_n=50)
    two = engine_targets(inputs, "park", "p2", top_n=50)
    assert set(zip(pair["segment_id"], pair["enterprise_id"], strict=True)) == (
        set(zip(one["segment_id"], one["enterprise_id"], strict=True))
        | set(zip(two["segment_id"], two["enterprise_id"], strict=True)))
    for _seg, g in pair.groupby("segment_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert g["score"].is_monotonic_decreasing


def test_conversion_is_reported_next_to_the_holdout_figure(inputs: Inputs) -> None:
    from parklink.chains.data import ChainData
    from parklink.chains.evaluation import evaluate_targets
    from parklink.chains.scope import resolve_scope
    from parklink.promotion.cli_plan import holdout_figure

    got = holdout_figure("park:p1", 2022, k=2, inputs=inputs)
    sc = resolve_scope("park:p1", inputs.scope_frames())
    data = ChainData.from_dataset(inputs.require_firms(), template=inputs.chain_template())
    ref = evaluate_targets(data, sc, train_year=2022, ks=(2,)).headline(negatives="all", k=2)
    ref = ref[ref["method"] == "model"].iloc[0]
    assert got["scope"] == "park:p1" and got["k"] == 2 and got["train_year"] == 2022
    assert got["precision"] == pytest.approx(float(ref["precision"]), nan_ok=True)
    assert got["n_gaps"] == int(ref["n_gaps"])
