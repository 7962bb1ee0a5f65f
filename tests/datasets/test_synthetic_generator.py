"""Synthetic firm population and transactions: determinism, schemas, template links, chunks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from parklink import tables
from parklink.datasets import synthetic as syn
from parklink.errors import ValidationError

YEARS = (2021, 2022, 2023)


def small_regions() -> pd.DataFrame:
    """Six districts: three in Sichuan around Chengdu, three in Chongqing (test geometry)."""
    rows = [
        ("510104", "锦江区", "Jinjiang", "SC", 104.08, 30.66, 60.0),
        ("510112", "龙泉驿区", "Longquanyi", "SC", 104.27, 30.56, 550.0),
        ("510703", "涪城区", "Fucheng", "SC", 104.74, 31.46, 550.0),
        ("500103", "渝中区", "Yuzhong", "CQ", 106.57, 29.55, 22.0),
        ("500112", "渝北区", "Yubei", "CQ", 106.63, 29.72, 1450.0),
        ("500118", "永川区", "Yongchuan", "CQ", 105.93, 29.36, 1580.0),
    ]
    frame = pd.DataFrame(rows, columns=["adcode", "name_zh", "name_en", "province", "seat_lon", "seat_lat",
                                        "area_km2"])
    frame["level"] = "district"
    return frame


def small_template() -> pd.DataFrame:
    """Two chains: auto (steel -> parts -> vehicles -> sales) and electronics (chips -> phones)."""
    rows = [
        ("auto.steel", "auto", "up", ""),
        ("auto.parts", "auto", "mid", "auto.steel"),
        ("auto.vehicles", "auto", "mid", "auto.parts;auto.steel"),
        ("auto.sales", "auto", "down", "auto.vehicles"),
        ("electronics.chips", "electronics", "up", ""),
        ("electronics.phones", "electronics", "mid", "electronics.chips"),
        ("electronics.retail", "electronics", "down", "electronics.phones"),
    ]
    frame = pd.DataFrame(rows, columns=["segment_id", "chain", "level", "inputs"])
    frame["weight"] = 1.0
    return frame


def small_parks() -> pd.DataFrame:
    return pd.DataFrame(
        [("sc-etdz", "510112", "SC", 104.25, 30.58, "auto"), ("cq-yubei-ip", "500112", "CQ", 106.65, 29.73, "electronics")],
        columns=["park_id", "adcode", "province", "lon", "lat", "focus_chains"],
    )


def leaders_frame() -> pd.DataFrame:
    base = dict.fromkeys(tables.ENTERPRISES.names)
    a = {**base, "enterprise_id": "real-oem", "name_zh": "某整车厂", "name_en": "An OEM", "province": "CQ",
         "adcode": "500112", "lon": 106.6, "lat": 29.7, "chain": "auto", "segments": "auto.vehicles",
         "size_class": "large", "leading": True, "synthetic": False, "source_url": "http://example.org/oem",
         "confidence": "confirmed"}
    b = {**a, "enterprise_id": "real-other", "chain": None, "segments": None}  # no usable chain
    return pd.DataFrame([a, b])


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return syn.generate_firms(small_regions(), small_template(), n_firms=1500, seed=7, parks=small_parks(),
                              leaders=leaders_frame())


@pytest.fixture(scope="module")
def tx(firms: pd.DataFrame) -> pd.DataFrame:
    parts = list(syn.generate_transactions(firms, small_template(), n_transactions=30_000, years=YEARS, seed=7))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ firms


def test_firms_schema_and_labels(firms: pd.DataFrame) -> None:
    assert tuple(firms.columns) == tables.ENTERPRISES.names
    assert len(firms) == 1500 and firms["enterprise_id"].is_unique
    syn_rows = firms[firms["synthetic"]]
    assert (syn_rows["confidence"] == "synthetic").all()
    assert syn_rows["name_zh"].str.fullmatch(r"合成企业\d{7}").all()
    assert syn_rows["name_en"].str.fullmatch(r"Synthetic Firm \d{7}").all()
    assert firms["enterprise_id"].str.fullmatch(r"[A-Za-z0-9_.-]+").all()
    assert set(firms["province"]) <= {"SC", "CQ", "OUT"}
    assert set(firms["size_class"]) <= set(tables.SIZE_CLASSES)
    assert firms["lon"].between(70, 140).all() and firms["lat"].between(15, 55).all()
    assert (syn_rows["output_cny_m"] > 0).all() and (syn_rows["employees"] >= 1).all()
    # out-of-region firms have no adcode; in-region ones have one of the districts'
    out = syn_rows["province"] == "OUT"
    assert syn_rows.loc[out, "adcode"].isna().all()
    assert set(syn_rows.loc[~out, "adcode"]) <= set(small_regions()["adcode"])
    # park firms sit in their park's district
    parked = syn_rows[syn_rows["park_id"].notna()]
    park_code = small_parks().set_index("park_id")["adcode"]
    assert len(parked) > 0 and (parked["adcode"].to_numpy() == park_code[parked["park_id"]].to_numpy()).all()


def test_real_leader_kept_unchanged_and_first(firms: pd.DataFrame) -> None:
    first = firms.iloc[0]
    assert first["enterprise_id"] == "real-oem" and bool(first["leading"]) and not bool(first["synthetic"])
    assert first["source_url"] == "http://example.org/oem" and first["confidence"] == "confirmed"
    assert "real-other" not in set(firms["enterprise_id"])  # no chain in the template: left out
    # electronics has no real leader: synthetic leaders are promoted among its final segment
    lead = firms[firms["leading"] & firms["synthetic"]]
    assert set(lead["chain"]) == {"electronics"} and set(lead["segments"]) == {"electronics.phones"}
    assert len(lead) == syn.DEFAULT_PARAMS.synthetic_leaders_per_chain


def test_out_of_region_share_and_size_tail() -> None:
    f = syn.generate_firms(small_regions(), small_template(), n_firms=20_000, seed=3)
    share = (f["province"] == "OUT").mean()
    assert abs(share - syn.DEFAULT_PARAMS.out_of_region_share) < 0.02
    # Pareto tail index of output, fitted independently with scipy (location 0, scale = minimum)
    out = f["output_cny_m"].to_numpy()
    out = out[out < syn.DEFAULT_PARAMS.size_cap_cny_m]
    b, _, _ = stats.pareto.fit(out, floc=0.0, fscale=syn.DEFAULT_PARAMS.size_min_cny_m)
    assert abs(b - syn.DEFAULT_PARAMS.size_tail) < 0.05


def test_firms_deterministic_in_seed() -> None:
    a = syn.generate_firms(small_regions(), small_template(), n_firms=500, seed=11, parks=small_parks())
    b = syn.generate_firms(small_regions(), small_template(), n_firms=500, seed=11, parks=small_parks())
    c = syn.generate_firms(small_regions(), small_template(), n_firms=500, seed=12, parks=small_parks())
    pd.testing.assert_frame_equal(a, b)
    assert not a[["lon", "lat", "segments"]].equals(c[["lon", "lat", "segments"]])


def test_nbs_size_classes_by_hand() -> None:
    emp = np.array([5, 50, 500, 5000, 5000, 50])
    out = np.array([100.0, 10.0, 100.0, 1000.0, 100.0, 1.0])
    assert syn._size_class(emp, out).tolist() == ["micro", "small", "medium", "large", "medium", "micro"]


# ------------------------------------------------------------------ transactions


def test_transactions_schema_and_invariants(firms: pd.DataFrame, tx: pd.DataFrame) -> None:
    assert tuple(tx.columns) == tables.TRANSACTIONS.names
    assert (tx["value_kcny"] > 0).all()
    assert (tx["supplier_id"] != tx["buyer_id"]).all()
    assert not tx.duplicated(["supplier_id", "buyer_id", "year"]).any()
    assert set(tx["year"]) == set(YEARS)
    ids = set(firms["enterprise_id"])
    assert set(tx["supplier_id"]) <= ids and set(tx["buyer_id"]) <= ids
    assert 0.9 * 30_000 <= len(tx) <= 30_000


def test_every_link_follows_the_template(firms: pd.DataFrame, tx: pd.DataFrame) -> None:
    seg = firms.set_index("enterprise_id")["segments"]
    allowed = {
        (src, row.segment_id)
        for row in small_template().itertuples()
        for src in str(row.inputs).split(";") if src
    }
    pairs = set(zip(seg[tx["supplier_id"]].to_numpy(), seg[tx["buyer_id"]].to_numpy(), strict=True))
    assert pairs <= allowed
    assert ("auto.parts", "auto.vehicles") in pairs and ("electronics.chips", "electronics.phones") in pairs


def test_transactions_deterministic_and_seed_dependent(firms: pd.DataFrame, tx: pd.DataFrame) -> None:
    again = pd.concat(syn.generate_transactions(firms, small_template(), n_transactions=30_000, years=YEARS,
                                                seed=7), ignore_index=True)
    pd.testing.assert_frame_equal(tx, again)
    other = pd.concat(syn.generate_transactions(firms, small_template(), n_transactions=30_000, years=YEARS,
                                                seed=8), ignore_index=True)
    assert not tx.equals(other)


def test_chunking_does_not_change_the_rows(firms: pd.DataFrame, tx: pd.DataFrame) -> None:
    parts = list(syn.generate_transactions(firms, small_template(), n_transactions=30_000, years=YEARS, seed=7,
                                           chunk_rows=777))
    assert all(len(p) == 777 for p in parts[:-1]) and 0 < len(parts[-1]) <= 777
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), tx)


def test_buyer_blocks_independent_of_chunking(monkeypatch: pytest.MonkeyPatch, firms: pd.DataFrame) -> None:
    """Smaller internal blocks change the random streams but not the invariants."""
    from parklink.datasets.synthetic import transactions as syn_tx

    monkeypatch.setattr(syn_tx, "BLOCK_ROWS", 1000)  # the sampler reads its module's binding
    parts = list(syn.generate_transactions(firms, small_template(), n_transactions=10_000, years=YEARS, seed=7))
    t = pd.concat(parts, ignore_index=True)
    assert not t.duplicated(["supplier_id", "buyer_id", "year"]).any()
    assert 0.9 * 10_000 <= len(t) <= 10_000


def test_distance_decay_parameter_shortens_links(firms: pd.DataFrame) -> None:
    def median_km(zeta: float) -> float:
        params = dataclasses.replace(syn.DEFAULT_PARAMS, zeta=zeta)
        t = pd.concat(syn.generate_transactions(firms, small_template(), n_transactions=10_000, years=(2022,),
                                                seed=1, params=params), ignore_index=True)
        cal = syn.calibration(firms, t, params=params).set_index("statistic")["value"]
        return float(cal["median_supplier_distance_km"])

    assert median_km(2.0) < 0.5 * median_km(0.0)


def test_leaders_hold_the_target_purchase_share(firms: pd.DataFrame, tx: pd.DataFrame) -> None:
    lead = set(firms.loc[firms["leading"], "enterprise_id"])
    circle = set(firms.loc[firms["province"].isin(["SC", "CQ"]), "enterprise_id"])
    inb = tx[tx["buyer_id"].isin(circle)]
    share = inb.loc[inb["buyer_id"].isin(lead), "value_kcny"].sum() / inb["value_kcny"].sum()
    assert share == pytest.approx(syn.DEFAULT_PARAMS.leader_purchase_share, abs=0.02)


# ------------------------------------------------------------------ errors


def test_user_errors_are_validation_errors(firms: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="n_firms"):
        syn.generate_firms(small_regions(), small_template(), n_firms=1, seed=1, leaders=leaders_frame())
    bad = small_template()
    bad.loc[1, "inputs"] = "auto.nowhere"
    with pytest.raises(ValidationError, match="unknown input"):
        syn.generate_firms(small_regions(), bad, n_firms=10, seed=1)
    with pytest.raises(ValidationError, match="years"):
        next(syn.generate_transactions(firms, small_template(), n_transactions=10, years=(1990,), seed=1))
    with pytest.raises(ValidationError, match="seed"):
        syn.generate_firms(small_regions(), small_template(), n_firms=10, seed=-1)
    no_districts = small_regions().assign(level="city")
    with pytest.raises(ValidationError, match="district"):
        syn.generate_firms(no_districts, small_template(), n_firms=10, seed=1)


# ------------------------------------------------------------------ write_dataset


def test_write_dataset_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "firms"
    report = syn.write_dataset(root, n_firms=800, n_transactions=8000, seed=5, years=(2022, 2023), progress=False,
                               chunk_rows=3000, regions=small_regions(), segments=small_template(),
                               parks=small_parks(), leaders=leaders_frame())
    assert (root / "firms.parquet").is_file()
    parts = sorted((root / "transactions").glob("part-*.parquet"))
    assert [p.name for p in parts][:2] == ["part-00000.parquet", "part-00001.parquet"]
    assert report.n_parts == len(parts) and report.n_firms == 800
    got = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    assert report.n_transactions == len(got)
    expected_firms = syn.generate_firms(small_regions(), small_template(), n_firms=800, seed=5,
                                        parks=small_parks(), leaders=leaders_frame())
    read_firms = pq.read_table(root / "firms.parquet").to_pandas()
    assert list(read_firms["enterprise_id"]) == list(expected_firms["enterprise_id"])
    expected_tx = pd.concat(syn.generate_transactions(expected_firms, small_template(), n_transactions=8000,
                                                      years=(2022, 2023), seed=5), ignore_index=True)
    pd.testing.assert_frame_equal(got[list(expected_tx.columns)].astype(expected_tx.dtypes.to_dict()), expected_tx,
                                  check_dtype=False)
    assert report.peak_rss_bytes > 0 and report.seconds > 0
    assert set(report.to_frame()["metric"]) >= {"n_firms", "n_transactions", "peak_rss_bytes"}
    assert set(report.explain()) == {"summary", "calibration", "params"}
    # the streamed calibration equals the one computed on the written frames
    direct = syn.calibration(read_firms, got).set_index("statistic")["value"]
    streamed = report.calibration.set_index("statistic")["value"]
    pd.testing.assert_series_equal(direct, streamed, check_exact=False, rtol=1e-9)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left


def test_write_dataset_all_or_nothing(tmp_path: Path) -> None:
    root = tmp_path / "out"
    with pytest.raises(ValidationError):
        syn.write_dataset(root, n_firms=100, n_transactions=100, seed=1, years=(1990,), progress=False,
                          regions=small_regions(), segments=small_template())
    assert not root.exists() and list(tmp_path.iterdir()) == []
    root.mkdir()
    (root / "keep.txt").write_text("x")
    with pytest.raises(ValidationError, match="not empty"):
        syn.write_dataset(root, n_firms=100, n_transactions=100, seed=1, progress=False,
                          regions=small_regions(), segments=small_template())
    assert (root / "keep.txt").read_text() == "x"
    syn.write_dataset(root, n_firms=100, n_transactions=500, seed=1, progress=False, overwrite=True,
                      regions=small_regions(), segments=small_template())
    assert not (root / "keep.txt").exists() and (root / "firms.parquet").is_file()
    assert re.fullmatch(r"out", " ".join(p.name for p in tmp_path.iterdir()))
