"""Integer firm keys (parklink.firmdata): written by the generator and the transactions
import, trusted only with a matching fingerprint, and giving the same diagnosis as the
string-id joins."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import diagnose
from parklink.chains.scope import park_scope, province_scope
from parklink.firmdata import (
    BUYER_KEY,
    FIRM_KEY,
    KEYS_META,
    SUPPLIER_KEY,
    FirmDataset,
    key_firms,
    with_keys_metadata,
)

from .conftest import (
    FIRMS,
    firms_frame,
    scope_frames,
    template_frame,
    tx_frame,
    write_keyed_dataset,
)


def test_keys_are_positions_in_id_order(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    firms = pd.read_parquet(ds.firms_path)
    # independent expectation: Python's sorted() of the ids ("F1" < "F10" < "F2" ...)
    expected = {fid: i for i, fid in enumerate(sorted(f[0] for f in FIRMS))}
    assert dict(zip(firms["enterprise_id"], firms[FIRM_KEY], strict=True)) == expected
    tx = pd.read_parquet(ds.transactions_dir)
    assert len(tx) == len(tx_frame())
    for _, row in tx.iterrows():
        for col, key in (("supplier_id", SUPPLIER_KEY), ("buyer_id", BUYER_KEY)):
            want = expected.get(row[col])
            assert (pd.isna(row[key]) if want is None else row[key] == want), (row[col], row[key])
    assert ds.keyed()


def test_keyed_diagnosis_equals_the_string_join_diagnosis(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    frames = scope_frames()
    scopes = [park_scope("p1", frames), park_scope("p2", frames), province_scope("SC")]
    keyed = ChainData.from_dataset(ds, template=template_frame())
    assert keyed.keyed
    plain = ChainData.from_frames(firms_frame(), tx_frame(), template_frame())
    assert not plain.keyed
    a, b = diagnose(keyed, scopes).tables(), diagnose(plain, scopes).tables()
    for name in a:
        pd.testing.assert_frame_equal(a[name].reset_index(drop=True), b[name].reset_index(drop=True),
                                      check_dtype=False, obj=name)
    # the unknown supplier F99 keeps its id in the leader's supplier map
    lsup = a["leader_suppliers"]
    assert "F99" in set(lsup["supplier_id"])


def test_generated_dataset_is_keyed_and_matches_its_unkeyed_copy(tmp_path: Path) -> None:
    from parklink.datasets.synthetic import write_dataset

    root = tmp_path / "gen"
    write_dataset(root, n_firms=600, n_transactions=6000, seed=3, years=(2022, 2023), progress=False)
    ds = FirmDataset(root)
    assert ds.keyed()
    firms = pd.read_parquet(ds.firms_path)
    assert firms["enterprise_id"].is_monotonic_increasing
    assert np.array_equal(firms[FIRM_KEY].to_numpy(), np.arange(len(firms)))
    tx = pd.read_parquet(ds.transactions_dir)
    pos = pd.Series(firms[FIRM_KEY].to_numpy(), index=firms["enterprise_id"])
    assert np.array_equal(tx[SUPPLIER_KEY].to_numpy(), pos.loc[tx["supplier_id"]].to_numpy())
    assert np.array_equal(tx[BUYER_KEY].to_numpy(), pos.loc[tx["buyer_id"]].to_numpy())


def test_a_replaced_firms_file_disables_the_keys(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    # same layout, other firms: its fingerprint differs from the transactions' one
    other = firms_frame()
    other.loc[0, "enterprise_id"] = "F0"
    keyed, _, fingerprint = key_firms(other)

    pq.write_table(with_keys_metadata(pa.Table.from_pandas(keyed, preserve_index=False), fingerprint),
                   ds.firms_path)
    assert not ds.keyed()
    assert not ChainData.from_dataset(ds, template=template_frame()).keyed


def test_an_unkeyed_part_disables_the_keys_and_still_reads(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    extra = pd.DataFrame([("F6", "F1", 2021, 5.0)], columns=["supplier_id", "buyer_id", "year", "value_kcny"])
    extra.to_parquet(ds.transactions_dir / "part-plain.parquet", index=False)
    assert not ds.keyed()
    data = ChainData.from_dataset(ds, template=template_frame())
    assert not data.keyed
    n = data.con.execute(data.transactions.count())
    assert n == len(tx_frame()) + 1  # parts of both layouts are read (columns matched by name)


def test_missing_metadata_means_unkeyed(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    t = pq.read_table(ds.firms_path)
    meta = {k: v for k, v in (t.schema.metadata or {}).items() if k != KEYS_META}
    pq.write_table(t.replace_schema_metadata(meta), ds.firms_path)
    assert not ds.keyed()
    assert ds.firm_keys() is None


def test_key_firms_rejects_duplicate_ids() -> None:
    f = firms_frame()
    f.loc[1, "enterprise_id"] = "F1"
    with pytest.raises(ValueError, match="unique"):
        key_firms(f)


def test_restore_like_copy_keeps_the_keys(tmp_path: Path) -> None:
    ds = write_keyed_dataset(tmp_path / "k")
    copy = tmp_path / "copy"
    shutil.copytree(ds.root, copy)
    assert FirmDataset(copy).keyed()


def test_export_leaves_the_key_columns_out(tmp_path: Path) -> None:
    from parklink.ingest.api import export_file

    ds = write_keyed_dataset(tmp_path / "k")
    out = tmp_path / "tx.csv"
    assert export_file("transactions", out, firm_root=ds.root) == len(tx_frame())
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert list(back.columns) == ["supplier_id", "buyer_id", "year", "value_kcny"]
    want = tx_frame().sort_values(["supplier_id", "buyer_id", "year"]).reset_index(drop=True)
    got = back.sort_values(["supplier_id", "buyer_id", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=20, unique=True), st.data())
def test_fingerprint_depends_on_the_ids_only(ids: list[str], data: st.DataObject) -> None:
    """Same ids in the same order: same fingerprint however the array is chunked or sliced;
    a changed id or order: another fingerprint."""
    from parklink.firmdata import keys_fingerprint

    whole = keys_fingerprint(pa.array(ids, type=pa.string()))
    cut = data.draw(st.integers(0, len(ids)))
    chunked = pa.chunked_array([pa.array(ids[:cut], type=pa.string()), pa.array(ids[cut:], type=pa.string())])
    sliced = pa.array(["pad", *ids], type=pa.string())[1:]
    assert keys_fingerprint(chunked) == whole == keys_fingerprint(sliced)
    assert keys_fingerprint(pa.array([*ids[:-1], ids[-1] + "x"], type=pa.string())) != whole
    if len(ids) > 1:
        assert keys_fingerprint(pa.array(ids[::-1], type=pa.string())) != whole
