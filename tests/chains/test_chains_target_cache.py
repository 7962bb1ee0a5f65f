"""The learned target model's cache (parklink.chains.target_cache): a cached model is the
fitted one exactly (same coefficients, same diagnosis), it is keyed by the data's
fingerprint (a data change refits), scopes, year and seed, and it is stored as JSON."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from parklink.chains import ChainData, diagnose
from parklink.chains import target_cache as tc
from parklink.chains.data import frames_digest
from parklink.chains.eval_features import FEATURES
from parklink.chains.scope import circle_scope, province_scope
from parklink.chains.target_model import fit_target_model
from parklink.datasets import chengyu
from parklink.datasets import synthetic as syn
from parklink.firmdata import FirmDataset


@pytest.fixture(scope="module")
def source_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tcache") / "firms"
    syn.write_dataset(root, n_firms=3000, n_transactions=60_000, seed=5, progress=False)
    return root


@pytest.fixture()
def root(source_root: Path, tmp_path: Path) -> Path:
    """A private copy of the dataset (tests change it)."""
    dst = tmp_path / "firms"
    shutil.copytree(source_root, dst, symlinks=True)
    return dst


@pytest.fixture(autouse=True)
def empty_memory() -> Iterator[None]:
    tc.clear_memory()
    yield
    tc.clear_memory()


def _data(root: Path) -> ChainData:
    return ChainData.from_dataset(FirmDataset(root), template=chengyu.load("chain_segments"))


def _source(d: object) -> str:
    steps = d.explain["timings"]["step"]  # type: ignore[attr-defined]
    hit = [s for s in steps if s.startswith("target model")]
    assert len(hit) == 1
    return str(hit[0])


def test_cached_model_is_the_fitted_model(root: Path, isolated_settings: Path) -> None:
    data = _data(root)
    sc = [circle_scope()]
    fresh = fit_target_model(data, sc, 2023)
    assert fresh is not None
    first, src1 = tc.target_model(data, sc, 2023)
    second, src2 = tc.target_model(data, sc, 2023)
    assert (src1, src2) == ("fitted", "memory")
    tc.clear_memory()  # a new process: the JSON file under the data dir
    third, src3 = tc.target_model(_data(root), sc, 2023)
    assert src3 == "disk"
    assert first == second == third == fresh  # every float exactly (JSON repr round trip)
    files = list((isolated_settings / "cache" / "target_model").glob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text(encoding="utf-8"))  # JSON, not pickle
    assert stored["model"]["ranker"]["coef"] == list(fresh.ranker.coef)
    assert stored["key"]["year"] == 2023 and stored["key"]["scopes"] == ["circle"]
    # the key holds the scopes, the year and the seed
    assert tc.target_model(data, [province_scope("SC")], 2023)[1] == "fitted"
    assert tc.target_model(data, sc, 2022)[1] == "fitted"
    other_seed, src = tc.target_model(data, sc, 2023, seed=1)
    assert src == "fitted" and other_seed == fit_target_model(data, sc, 2023, seed=1)


def test_diagnosis_identical_with_and_without_cache(root: Path) -> None:
    data = _data(root)
    sc = circle_scope()
    a = diagnose(data, sc, year=2023, top_n=15)
    b = diagnose(data, sc, year=2023, top_n=15)
    # same tables, but not the same data object: the fingerprint is unknown, nothing cached
    tx = data.transactions
    uncached = dataclasses.replace(data, transactions=tx.filter(tx.year <= 2023))
    assert uncached.data_version() is None and data.data_version() is not None
    c = diagnose(uncached, sc, year=2023, top_n=15)
    assert [_source(x) for x in (a, b, c)] == [
        "target model (fitted)", "target model (memory)", "target model (uncached)"]
    assert (a.targets["ranking"].str.startswith("learned:")).all() and len(a.targets) > 20
    for x in (b, c):
        pd.testing.assert_frame_equal(a.targets, x.targets)
        pd.testing.assert_frame_equal(a.explain["target_model"], x.explain["target_model"])
    tm = a.explain["target_model"]
    assert sorted(tm["feature"]) == sorted(FEATURES) and (tm["ranking"] == "learned").all()
    assert tm["weight_std"].abs().sum() > 0  # the fitted weights are shown


def test_data_change_refits(root: Path) -> None:
    sc = [circle_scope()]
    before = _data(root)
    old, src = tc.target_model(before, sc, 2023)
    assert src == "fitted" and old is not None
    # an import replaces the transactions: drop a quarter of the 2023 links
    part = sorted((root / "transactions").glob("*.parquet"))[0]
    table = pq.read_table(part)
    frame = table.to_pandas()
    keep = ~((frame["year"] == 2023) & (frame.index % 4 == 0))
    pq.write_table(pq.read_table(part).filter(keep.to_numpy()), part)
    after = _data(root)
    assert after.data_version() != before.data_version()
    new, src = tc.target_model(after, sc, 2023)
    assert src == "fitted"
    assert new == fit_target_model(after, sc, 2023)
    assert new is not None and new.ranker.n_train != old.ranker.n_train


def test_unreadable_file_is_refitted(root: Path, isolated_settings: Path) -> None:
    data = _data(root)
    sc = [circle_scope()]
    model, _ = tc.target_model(data, sc, 2023)
    (path,) = (isolated_settings / "cache" / "target_model").glob("*.json")
    path.write_text("{not json", encoding="utf-8")
    tc.clear_memory()
    again, src = tc.target_model(data, sc, 2023)
    assert src == "fitted" and again == model
    assert json.loads(path.read_text(encoding="utf-8"))["model"] is not None  # rewritten


def test_no_targets_no_fit(root: Path) -> None:
    d = diagnose(_data(root), circle_scope(), year=2023, top_n=0)
    assert _source(d) == "target model (not needed)"
    assert d.targets.empty and d.explain["target_model"]["ranking"].iloc[0] == "none"


def test_frames_are_keyed_by_content(tiny_data: ChainData, isolated_settings: Path) -> None:
    from .conftest import firms_frame, template_frame, tx_frame

    sc = [circle_scope()]
    first = tc.target_model(tiny_data, sc, 2023)
    assert first == (None, "fitted")  # too few new links: no fit, remembered as such
    same = ChainData.from_frames(firms_frame(), tx_frame(), template_frame())
    assert same.data_version() == tiny_data.data_version()
    assert tc.target_model(same, sc, 2023) == (None, "memory")
    tx = tx_frame()
    changed = tx.assign(value_kcny=tx["value_kcny"] + 1.0)
    assert frames_digest(firms_frame(), changed) != frames_digest(firms_frame(), tx)
    other = ChainData.from_frames(firms_frame(), changed, template_frame())
    assert tc.target_model(other, sc, 2023)[1] == "fitted"
    assert not same.persistent  # in-memory frames are never written to the data dir
    assert not (isolated_settings / "cache" / "target_model").exists()
