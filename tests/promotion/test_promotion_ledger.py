"""The office ledger (台账): a 5,000-row GBK file with 3 bad rows is refused naming exactly
those rows and writing nothing; each bad-row class is named at its row and column; the
XLSX export imports back unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from parklink.errors import ValidationError
from parklink.promotion.ledger import ZH_HEADERS, export_ledger, import_ledger
from parklink.store import models as m
from parklink.store import session_scope
from parklink.store.db import upgrade
from parklink.store.io import LOAD_ORDER, write_frame
from parklink.testing import tiny_registry

HEAD = ["项目编号", "项目名称", "投资方", "园区编号", "产业链", "投资方式", "协议投资额（百万元）", "线索日期", "签约日期",
        "开工日期", "终止日期", "终止原因", "累计到位资金（百万元）", "到位资金截至日期", "计划开工日期"]


@pytest.fixture
def url(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    frames = tiny_registry()
    with session_scope(sqlite_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return sqlite_url


def good_row(i: int) -> list[str]:
    day = dt.date(2023, 1, 1) + dt.timedelta(days=i % 300)
    signed = day + dt.timedelta(days=30)
    started = signed + dt.timedelta(days=60) if i % 3 else None
    terminated = signed + dt.timedelta(days=200) if i % 7 == 0 and started is None else None
    return [f"T{i:05d}", f"台账项目{i}", f"投资方{i}", ("sc-a", "cq-b", "cq-c")[i % 3], "汽车（含新能源汽车）" if i % 2 else "auto",
            "园中园：研发+转化" if i % 11 == 0 else "new", f"{50 + i % 400}.5", day.isoformat(), signed.isoformat(),
            started.isoformat() if started else "", terminated.isoformat() if terminated else "",
            "资金不到位" if terminated else "", "12.5" if started else "", (signed + dt.timedelta(days=90)).isoformat()
            if started else "", (signed + dt.timedelta(days=45)).isoformat()]


def write(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    pd.DataFrame(rows, columns=HEAD).to_csv(path, index=False, encoding=encoding)
    return path


def count(url: str, model: type[m.Base]) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_5000_rows_with_3_bad_rows_report_exactly_those_and_write_nothing(url: str, tmp_path: Path) -> None:
    rows = [good_row(i) for i in range(5000)]
    rows[99][3] = "no-such-park"           # file row 101: unknown park
    rows[2499][8] = "2024-02-30"           # file row 2501: not a date
    rows[4999][6] = "-3"                   # file row 5001: negative amount
    path = write(tmp_path / "ledger.csv", rows)
    with pytest.raises(ValidationError) as err:
        import_ledger(path, session_url=url, actor="t")
    got = [(p.row, p.column) for p in err.value.problems]
    assert got == [(101, "园区编号"), (2501, "签约日期"), (5001, "协议投资额（百万元）")]
    assert all(p.reason and p.file == "ledger.csv" for p in err.value.problems)
    assert count(url, m.Project) == 0 and count(url, m.StageEvent) == 0 and count(url, m.ProjectFund) == 0


@pytest.mark.slow
def test_5000_rows_import_whole(url: str, tmp_path: Path) -> None:
    rows = [good_row(i) for i in range(5000)]
    rep = import_ledger(write(tmp_path / "ledger.csv", rows), session_url=url, actor="t")
    assert rep.rows == 5000 and rep.counts["projects"]["added"] == 5000
    n_events = sum(sum(1 for c in (7, 8, 9, 10) if r[c]) for r in rows)
    assert count(url, m.StageEvent) == n_events and rep.counts["stage_events"]["added"] == n_events
    assert count(url, m.ProjectFund) == sum(1 for r in rows if r[12])


def test_xlsx_export_imports_back_unchanged(url: str, tmp_path: Path) -> None:
    rows = [good_row(i) for i in range(60)]
    import_ledger(write(tmp_path / "l.csv", rows, "utf-8-sig"), session_url=url, actor="t")
    for zh in (True, False):
        out = tmp_path / f"out-{zh}.xlsx"
        assert export_ledger(out, session_url=url, zh_headers=zh) == 60
        head = pd.read_excel(out, nrows=0).columns.tolist()
        assert ("项目编号" in head) == zh and ("project_id" in head) != zh
        rep = import_ledger(out, session_url=url, actor="t")
        assert rep.counts["projects"] == {"added": 0, "changed": 0, "unchanged": 60}
        assert rep.counts["stage_events"]["added"] == 0 and rep.counts["project_funds"]["added"] == 0
        assert rep.history == 0
    # a dry run of a changed ledger reports the change and writes nothing
    frame = pd.read_excel(tmp_path / "out-True.xlsx", dtype=str)
    frame.loc[0, "协议投资额（百万元）"] = "999"
    frame.loc[1, "累计到位资金（百万元）"] = "40"
    frame.loc[1, "到位资金截至日期"] = "2026-01-01"
    frame.to_excel(tmp_path / "changed.xlsx", index=False)
    rep = import_ledger(tmp_path / "changed.xlsx", session_url=url, actor="t", dry_run=True)
    assert rep.counts["projects"]["changed"] == 1 and rep.counts["project_funds"]["added"] == 1 and rep.history == 0
    rep = import_ledger(tmp_path / "changed.xlsx", session_url=url, actor="t")
    assert rep.history >= 2
    with session_scope(url) as s:
        total = s.scalar(select(func.sum(m.ProjectFund.amount_cny_m)).where(m.ProjectFund.project_id == "T00001"))
    assert total == pytest.approx(40.0)  # cumulative 40 = stored 12.5 + the increment 27.5


BAD = [
    # (column index, value, file column, reason fragment)
    (3, "nowhere", "园区编号", "unknown"),
    (8, "2024/13/01", "签约日期", "not a date"),
    (6, "-1", "协议投资额（百万元）", "minimum"),
    (4, "钢铁", "产业链", "not one of"),
    (5, "飞地", "投资方式", "not one of"),
    (9, "2022-12-01", "开工日期", "is before signed"),  # started before it was signed
    (10, "2024-06-01", "终止原因", "termination needs both"),
    (13, "2024-05-01", "累计到位资金（百万元）", "funds in place need both"),
]


@pytest.mark.parametrize(("col", "value", "column", "reason"), BAD)
def test_each_bad_row_class_names_row_column_and_reason(url: str, tmp_path: Path, col: int, value: str,
                                                        column: str, reason: str) -> None:
    rows = [good_row(i) for i in (1, 2, 4)]
    if col == 13:
        rows[1][12] = ""
    if col == 10:
        rows[1][11] = ""
    rows[1][col] = value
    with pytest.raises(ValidationError) as err:
        import_ledger(write(tmp_path / "bad.csv", rows), session_url=url, actor="t")
    (p,) = err.value.problems
    assert (p.row, p.column) == (3, column), p
    assert reason in p.reason, p
    assert count(url, m.Project) == 0


def test_a_recorded_stage_keeps_its_date_and_duplicates_are_refused(url: str, tmp_path: Path) -> None:
    rows = [good_row(i) for i in (1, 2)]
    import_ledger(write(tmp_path / "a.csv", rows), session_url=url, actor="t")
    rows[0][8] = "2023-03-01"
    with pytest.raises(ValidationError, match="already records this stage") as err:
        import_ledger(write(tmp_path / "a.csv", rows), session_url=url, actor="t")
    assert err.value.problems[0].row == 2
    dup = [good_row(1), good_row(1)]
    with pytest.raises(ValidationError, match="duplicate key"):
        import_ledger(write(tmp_path / "d.csv", dup), session_url=url, actor="t")


def test_english_headers_and_choice_labels(url: str, tmp_path: Path) -> None:
    en = {v: k for k, v in ZH_HEADERS.items()}
    frame = pd.DataFrame([good_row(7)], columns=HEAD).rename(columns=en)
    frame["chain"] = "Automobiles (incl. NEV)"
    frame.to_csv(tmp_path / "en.csv", index=False)
    import_ledger(tmp_path / "en.csv", session_url=url, actor="t")
    with session_scope(url) as s:
        p = s.get(m.Project, "T00007")
        assert p is not None and p.chain == "auto" and p.confidence == "confirmed" and not p.synthetic
