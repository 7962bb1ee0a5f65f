"""`parklink import` / `export`: bilingual help, problem summary, exit code 1, no traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from typer.testing import CliRunner

from parklink.ingest.cli import register

HEADER = "year,cumulative_parks,note,source_url,confidence"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_help_is_bilingual() -> None:
    result = CliRunner().invoke(_app(), ["import", "--help"])
    assert result.exit_code == 0
    assert "导入" in result.output and "Import" in result.output


def test_rejected_file_prints_summary_and_writes_all_problems(tmp_path: Path,
                                                              seeded_url: str) -> None:
    path = tmp_path / "targets.csv"
    rows = [f"{2030 + i},-{i + 1},,,synthetic" for i in range(25)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    errors = tmp_path / "problems.csv"
    result = CliRunner().invoke(_app(), ["import", "targets", str(path), "--database", seeded_url,
                                         "--errors", str(errors)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "25 problems found; nothing was written" in result.output
    assert "and 5 more" in result.output
    with errors.open(encoding="utf-8-sig", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == 25
    assert written[0] == {"file": "targets.csv", "row": "2", "column": "cumulative_parks",
                          "value": "-1", "reason": "below the minimum 0 (小于最小值)"}


def test_import_and_export_succeed(tmp_path: Path, seeded_url: str) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(f"{HEADER}\n2030,40,,,synthetic\n", encoding="utf-8")
    ok = CliRunner().invoke(_app(), ["import", "targets", str(path), "-d", seeded_url])
    assert ok.exit_code == 0, ok.output
    assert "imported 1 rows" in ok.output
    out = tmp_path / "targets.xlsx"
    exp = CliRunner().invoke(_app(), ["export", "targets", str(out), "-d", seeded_url])
    assert exp.exit_code == 0, exp.output
    assert out.is_file()


def test_bad_kind_missing_file_and_bad_mode_exit_1(tmp_path: Path, seeded_url: str) -> None:
    runner = CliRunner()
    r1 = runner.invoke(_app(), ["import", "factories", str(tmp_path / "x.csv"), "-d", seeded_url])
    r2 = runner.invoke(_app(), ["import", "parks", str(tmp_path / "none.csv"), "-d", seeded_url])
    r3 = runner.invoke(_app(), ["export", "parks", str(tmp_path / "p.txt"), "-d", seeded_url])
    for r in (r1, r2, r3):
        assert r.exit_code == 1, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "unknown kind" in r1.output
    assert "file not found" in r2.output
    assert "unsupported file type" in r3.output
    r4 = runner.invoke(_app(), ["import", "parks", "x.csv", "--mode", "merge"])
    assert r4.exit_code != 0 and "Traceback" not in r4.output
