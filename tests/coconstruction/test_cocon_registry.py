"""Co-construction registries through the one importer: round trips in every format, upsert
with history, and one test per bad-input class naming row and column (issue 15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from parklink.errors import ValidationError
from parklink.ingest.api import export_file, import_file
from parklink.store import models as m
from parklink.store import session_scope
from parklink.store.db import upgrade
from parklink.store.io import COCON_KINDS, LOAD_ORDER, read_frame, write_frame
from parklink.testing import assert_frames_equivalent, tiny_registry


@pytest.fixture
def url(sqlite_url: str) -> Iterator[str]:
    """The tiny registry (every kind, co-construction kinds included) in SQLite."""
    frames = tiny_registry()
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    yield sqlite_url


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _problems(kind: str, path: Path, url: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ValidationError) as err:
        import_file(kind, path, session_url=url, mode="upsert")
    return [(p.row, p.column, p.reason) for p in err.value.problems]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_cocon_kind_round_trips(url: str, tmp_path: Path, fmt: str) -> None:
    with session_scope(url) as s:
        before = {k: read_frame(s, k) for k in COCON_KINDS}
    for kind in COCON_KINDS:
        path = tmp_path / f"{kind}.{fmt}"
        assert export_file(kind, path, session_url=url) == len(before[kind]) >= 1
        report = import_file(kind, path, session_url=url, mode="replace", dry_run=True)
        assert report.preview is not None
        assert report.preview.unchanged == len(before[kind])
        assert not report.preview.changed and not report.preview.added
    with session_scope(url) as s:
        for kind in COCON_KINDS:
            assert_frames_equivalent(read_frame(s, kind), before[kind], kind)


def test_gbk_csv_import_and_upsert_history(url: str, tmp_path: Path) -> None:
    path = tmp_path / "platforms.csv"
    export_file("platforms", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "name_zh"] = "甲工业设计中心"
    extra = frame.iloc[[0]].copy()
    extra["platform_id"] = "pf-2"
    extra["name_zh"] = "乙检测平台"
    extra["kind"] = "public_testing_platform"
    gbk = tmp_path / "platforms-gbk.csv"
    pd.concat([frame, extra]).to_csv(gbk, index=False, encoding="gbk")
    report = import_file("platforms", gbk, session_url=url, mode="upsert", actor="tester")
    assert report.preview is not None
    assert [c.key for c in report.preview.changed] == ["pf-1"]
    assert len(report.preview.added) == 1
    with session_scope(url) as s:
        got = read_frame(s, "platforms").set_index("platform_id")
        assert got.loc["pf-1", "name_zh"] == "甲工业设计中心"
        assert got.loc["pf-2", "segments"] == "auto.castings"  # list column via association
        entries = s.scalars(select(m.HistoryEntry).where(m.HistoryEntry.actor == "tester")).all()
        assert {(e.kind, e.record_key, e.action) for e in entries} >= {
            ("platforms", "pf-1", "update"), ("platforms", "pf-2", "insert")}


# ------------------------------------------------------------------ one test per bad-input class
PLATFORM_HEAD = ("platform_id,name_zh,name_en,kind,level,host_park_id,owner,enterprise_id,chains,"
                 "segments,services,year_recognised,source_url,confidence,as_of\n")


def test_unknown_park_is_named(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "platforms.csv", PLATFORM_HEAD
                + "pf-a,甲,A,key_laboratory,national,sc-a,,,auto,,,2020,,synthetic,\n"
                + "pf-b,乙,B,key_laboratory,national,no-such-park,,,auto,,,2020,,synthetic,\n")
    problems = _problems("platforms", path, url)
    assert [(r, c) for r, c, _ in problems] == [(3, "host_park_id")]


def test_mode_outside_the_three_is_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "pip.csv"
    export_file("parks_in_park", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "mode"] = "joint_venture"
    frame.to_csv(path, index=False)
    problems = _problems("parks_in_park", path, url)
    assert [(r, c) for r, c, _ in problems] == [(2, "mode")]
    assert "hq_base, rd_transformation, terminal_support" in problems[0][2]


def test_maturity_level_outside_1_to_5_is_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "as.csv"
    export_file("maturity_assessments", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    six = frame.iloc[[0]].assign(assessment_id="as-2", overall_level="6")
    zero = frame.iloc[[0]].assign(assessment_id="as-3", domain_levels="design:0")
    pd.concat([frame, six, zero]).to_csv(path, index=False)
    problems = _problems("maturity_assessments", path, url)
    assert [(r, c) for r, c, _ in problems] == [(3, "overall_level"), (4, "domain_levels")]
    assert "above the maximum 5" in problems[0][2]


def test_split_not_summing_to_100_is_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "sharing.csv"
    export_file("benefit_sharing", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "split_pct"] = "60;30"
    even = frame.iloc[[0]].assign(agreement_id="ag-even", split_pct="50;50")  # equal shares repeat
    pd.concat([frame, even]).to_csv(path, index=False)
    problems = _problems("benefit_sharing", path, url)
    assert [(r, c) for r, c, _ in problems] == [(2, "split_pct")]
    assert "add up to 90" in problems[0][2]


def test_split_party_count_mismatch_is_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "sharing.csv"
    export_file("benefit_sharing", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    new = frame.iloc[[0]].assign(agreement_id="ag-2", split_pct="50;25;25")
    new.to_csv(path, index=False)
    problems = _problems("benefit_sharing", path, url)
    assert [(r, c) for r, c, _ in problems] == [(2, "split_pct")]


def test_recognition_year_in_the_future_is_named(url: str, tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    export_file("smart_recognitions", path, session_url=url)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    nxt = frame.iloc[[0]].assign(recognition_id="rec-2", year=str(dt.date.today().year + 1))
    now = frame.iloc[[0]].assign(recognition_id="rec-3", year=str(dt.date.today().year))
    pd.concat([frame, nxt, now]).to_csv(path, index=False)
    problems = _problems("smart_recognitions", path, url)
    assert [(r, c) for r, c, _ in problems] == [(3, "year")]
    assert "future" in problems[0][2]


def test_duplicate_ids_are_named(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "platforms.csv", PLATFORM_HEAD
                + "pf-a,甲,A,key_laboratory,national,sc-a,,,auto,,,2020,,synthetic,\n"
                + "pf-b,乙,B,key_laboratory,national,sc-a,,,auto,,,2020,,synthetic,\n"
                + "pf-a,丙,C,pilot_base,national,cq-b,,,auto,,,2020,,synthetic,\n")
    problems = _problems("platforms", path, url)
    assert [(r, c) for r, c, _ in problems] == [(4, "platform_id")]
    assert "row 2" in problems[0][2]


def test_rejected_file_writes_nothing(url: str, tmp_path: Path) -> None:
    with session_scope(url) as s:
        before = read_frame(s, "platforms")
    path = _csv(tmp_path / "platforms.csv", PLATFORM_HEAD
                + "pf-a,甲,A,key_laboratory,national,sc-a,,,auto,,,2020,,synthetic,\n"
                + "pf-b,乙,B,key_laboratory,galactic,sc-a,,,auto,,,2020,,synthetic,\n")
    _problems("platforms", path, url)
    with session_scope(url) as s:
        assert_frames_equivalent(read_frame(s, "platforms"), before, "platforms")


def test_embedded_defaults_are_sourced() -> None:
    from parklink.datasets import chengyu

    for kind in ("parks_in_park", "benefit_sharing", "smart_aggregates"):
        frame = chengyu.load(kind)
        assert len(frame) > 0
        assert frame["source_url"].notna().all(), kind
        assert frame["confidence"].isin(["confirmed", "likely", "unconfirmed"]).all(), kind
    sharing = chengyu.load("benefit_sharing").set_index("agreement_id")
    assert sharing.loc["gaozhu-new", "split_pct"] == "50;50"
    assert sharing.loc["chuanzhe-vat", "split_pct"] == "60;40"
    assert sharing.loc["chuanzhe-vat", "floor_cny_m"] == 5.0
