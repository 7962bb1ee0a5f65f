"""``parklink generate`` through a Typer app that only has the datasets commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from parklink.datasets import cli as datasets_cli
from parklink.errors import ValidationError

pytest.importorskip("parklink.datasets.chengyu")


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test app"""

    datasets_cli.register(app)
    return app


def test_generate_writes_a_dataset(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    result = CliRunner().invoke(_app(), ["generate", "--firms", "1500", "--transactions", "6000", "--seed", "3",
                                         "--years", "2022-2023", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (out / "firms.parquet").is_file() and list((out / "transactions").glob("part-*.parquet"))
    assert "校准统计" in result.output and "Calibration" in result.output


def test_generate_reports_user_errors_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["generate", "--firms", "10", "--years", "20x1", "--out",
                                         str(tmp_path / "x"), "--no-progress"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_help_is_bilingual() -> None:
    result = CliRunner().invoke(_app(), ["generate", "--help"])
    assert result.exit_code == 0 and "企业数" in result.output and "firms" in result.output


def test_parse_years() -> None:
    assert datasets_cli.parse_years("2021,2022,2023") == (2021, 2022, 2023)
    assert datasets_cli.parse_years("2020-2022") == (2020, 2021, 2022)
    with pytest.raises(ValidationError):
        datasets_cli.parse_years("abc")
