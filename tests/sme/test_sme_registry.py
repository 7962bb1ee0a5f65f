"""SME size classification, tier validity, and the import of SME kinds (row-level errors,
upsert, history) through the generic importer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from parklink.errors import ValidationError
from parklink.ingest.api import import_file
from parklink.sme.classification import THRESHOLDS, classify
from parklink.sme.registry import sme_view
from parklink.store.db import session_scope, upgrade
from parklink.store.history import read_history
from parklink.store.io import LOAD_ORDER, read_frame, write_frame
from parklink.testing import tiny_registry


@pytest.mark.parametrize(("industry", "employees", "revenue_m", "expected"), [
    ("industry", 19, 50.0, "micro"),  # fewer than 20 employees: micro whatever the revenue
    ("industry", 25, 2.0, "micro"),  # 200万 < 300万
    ("industry", 25, 5.0, "small"),  # 20 ≤ 25 and 500万 ≥ 300万
    ("industry", 300, 20.0, "medium"),  # 300 and 2000万: the medium bounds exactly
    ("industry", 299, 100.0, "small"),
    ("industry", 1000, 400.0, "large"),  # 1000 and 40000万: no longer an SME
    ("industry", 1000, 399.0, "medium"),  # revenue below 40000万 keeps it an SME
    ("industry", None, 1.0, "micro"),  # 100万 < 300万 decides alone
    ("industry", 50, None, "unknown"),
    ("software_it", 9, 100.0, "micro"),
    ("software_it", 100, 10.0, "medium"),  # 100 persons and 1000万
    ("other", 50, 10.0, "unknown"),  # thresholds not encoded: never guessed
])
def test_classification_by_hand(industry: str, employees: int | None, revenue_m: float | None,
                                expected: str) -> None:
    assert classify(industry, employees, revenue_m) == expected


def test_thresholds_are_versioned_and_sourced() -> None:
    for th in THRESHOLDS.values():
        assert th.version == "2011" and "300号" in th.source and th.source_url.startswith("https://")
        assert th.confidence == "likely"


def test_tier_validity_three_years() -> None:
    prof = pd.DataFrame({"industry": ["industry"] * 3, "employees": [50, 50, 50], "revenue_cny_m": [10.0] * 3,
                         "size_class": [None, None, "small"], "tier": ["specialised", "little_giant", "none"],
                         "tier_year": [2020, 2022, None], "tier_valid_until": [None, dt.date(2024, 3, 1), None],
                         "park_id": [None] * 3})
    v = sme_view(prof, on=dt.date(2024, 6, 1))
    assert v["valid_until"].tolist() == [dt.date(2023, 12, 31), dt.date(2024, 3, 1), None]
    assert v["tier_active"].tolist() == ["none", "none", "none"]
    v = sme_view(prof, on=dt.date(2023, 6, 1))
    assert v["tier_active"].tolist() == ["specialised", "little_giant", "none"]
    assert v["size"].tolist() == ["small", "small", "small"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'sme.sqlite'}"
    upgrade(url)
    frames = tiny_registry()
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            if kind in frames:
                write_frame(s, kind, frames[kind])
    return url


HEADER = ("enterprise_id,name_zh,name_en,park_id,adcode,industry,employees,revenue_cny_m,size_class,tier,"
          "tier_year,tier_valid_until,segments,processes,products,certifications,capacity,capacity_unit,"
          "synthetic,source_url,confidence\n")
GOOD = "S1,一厂,Works One,sc-a,510112,industry,50,10,small,specialised,2024,,auto.castings,casting,压铸件,iso9001,100,pieces,true,,synthetic\n"


def test_import_bad_rows_are_all_reported_and_nothing_written(db: str, tmp_path: Path) -> None:
    rows = [
        GOOD,
        "S2,二厂,Two,sc-a,510112,industry,50,10,,giant,2024,,,,,,,,true,,synthetic\n",  # unknown tier
        "S3,三厂,Three,sc-a,510112,industry,50,10,,specialised,,,,,,,,,true,,synthetic\n",  # tier without year
        "S4,四厂,Four,sc-a,510112,industry,50,10,medium,none,,,,,,,,,true,,synthetic\n",  # contradicts class
        "S5,五厂,Five,nowhere,510112,industry,50,10,,none,,,,,,,,,true,,synthetic\n",  # unknown park
        "S6,六厂,Six,sc-a,510112,industry,50,10,,none,,,auto.castings,laser,,,,,true,,synthetic\n",  # process
        "S7,七厂,Seven,sc-a,510112,industry,50,10,,none,,,,,,,5,,true,,synthetic\n",  # capacity without unit
        "S1,一厂,Works One,sc-a,510112,industry,50,10,small,none,,,,,,,,,true,,synthetic\n",  # duplicate key
    ]
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        import_file("sme_profiles", path, session_url=db, mode="upsert")
    cols = {(p.row, p.column) for p in err.value.problems}
    # column checks (choices, references, duplicates) come first and stop the import
    assert (3, "tier") in cols and (6, "park_id") in cols and (7, "processes") in cols
    assert any(p.row == 9 for p in err.value.problems)  # the duplicate key
    with session_scope(db) as s:
        assert read_frame(s, "sme_profiles").empty
    # with the column errors fixed, the row checks name their rows and columns
    path.write_text(HEADER + "".join([GOOD, rows[2], rows[3], rows[6]]), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        import_file("sme_profiles", path, session_url=db, mode="upsert")
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(3, "tier_year"), (4, "size_class"), (5, "capacity_unit")}
    with session_scope(db) as s:
        assert read_frame(s, "sme_profiles").empty


def test_import_upsert_and_history(db: str, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    rep = import_file("sme_profiles", path, session_url=db, mode="upsert", actor="test")
    assert rep.rows == 1
    path.write_text(HEADER + GOOD.replace("specialised,2024", "little_giant,2025"), encoding="utf-8")
    rep = import_file("sme_profiles", path, session_url=db, mode="upsert", actor="test")
    assert rep.preview is not None and len(rep.preview.changed) == 1
    with session_scope(db) as s:
        frame = read_frame(s, "sme_profiles")
        hist = read_history(s, "sme_profiles", "S1")
    assert frame["tier"].tolist() == ["little_giant"]
    assert {h["field"] for h in hist} >= {"tier", "tier_year"}
    # GBK-encoded CSV of the same rows is read as well
    path.write_text(HEADER + GOOD, encoding="gbk")
    assert import_file("sme_profiles", path, session_url=db, mode="upsert", actor="test").rows == 1


def test_supply_demand_row_checks(db: str, tmp_path: Path) -> None:
    header = ("item_id,direction,poster,enterprise_id,park_id,title_zh,title_en,part,processes,segment_id,"
              "quantity,quantity_unit,certifications,needed_by,posted,status,synthetic,source_url,confidence\n")
    rows = [
        "n1,need,park,,,园区需求,park need,,,,,,,,2025-01-01,open,false,,unconfirmed\n",  # park without park_id
        "n2,offer,park,,sc-a,供给,offer,,,,,,,,2025-01-01,open,false,,unconfirmed\n",  # a park's offer
        "n3,need,enterprise,E1,,需求,need,,,,5,,,2024-01-01,2025-01-01,open,false,,unconfirmed\n",
    ]
    path = tmp_path / "sd.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        import_file("supply_demand", path, session_url=db, mode="append")
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(2, "park_id"), (3, "direction"), (4, "quantity_unit"), (4, "needed_by")}


#: Article 4 of the notice for the four encoded industries, as reproduced in public copies of
#: the notice (the independent expectation: the numbers are parsed from the sentences).
NOTICE_TEXT = {
    "industry": "工业。从业人员1000人以下或营业收入40000万元以下的为中小微型企业。其中，从业人员300人及以上，"
                "且营业收入2000万元及以上的为中型企业；从业人员20人及以上，且营业收入300万元及以上的为小型企业；"
                "从业人员20人以下或营业收入300万元以下的为微型企业。",
    "transport": "交通运输业。从业人员1000人以下或营业收入30000万元以下的为中小微型企业。其中，从业人员300人及以上，"
                 "且营业收入3000万元及以上的为中型企业；从业人员20人及以上，且营业收入200万元及以上的为小型企业；"
                 "从业人员20人以下或营业收入200万元以下的为微型企业。",
    "warehousing": "仓储业。从业人员200人以下或营业收入30000万元以下的为中小微型企业。其中，从业人员100人及以上，"
                   "且营业收入1000万元及以上的为中型企业；从业人员20人及以上，且营业收入100万元及以上的为小型企业；"
                   "从业人员20人以下或营业收入100万元以下的为微型企业。",
    "software_it": "软件和信息技术服务业。从业人员300人以下或营业收入10000万元以下的为中小微型企业。其中，从业人员100人"
                   "及以上，且营业收入1000万元及以上的为中型企业；从业人员10人及以上，且营业收入50万元及以上的为小型企业；"
                   "从业人员10人以下或营业收入50万元以下的为微型企业。",
}


@pytest.mark.parametrize("industry", sorted(NOTICE_TEXT))
def test_thresholds_match_the_notice_text(industry: str) -> None:
    import re

    nums = [int(x) for x in re.findall(r"(\d+)(?:人|万元)", NOTICE_TEXT[industry])]
    e_max, r_max, e_med, r_med, e_small, r_small = nums[:6]
    assert nums[6:] == [e_small, r_small]  # the micro sentence repeats the small bounds
    th = THRESHOLDS[industry]
    assert (th.employees_max, th.revenue_max_10k, th.employees_medium, th.revenue_medium_10k,
            th.employees_small, th.revenue_small_10k) == (e_max, r_max, e_med, r_med, e_small, r_small)
    assert "third-party" in th.verification and th.confidence == "likely"  # not the official text: never confirmed
    assert classify("other", 5, 0.1) == "unknown"  # an industry not encoded is never guessed
