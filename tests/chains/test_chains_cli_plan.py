"""The ``chains`` CLI command (rich tables, files, clean errors) and the plan section."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from parklink.chains import cli as chains_cli
from parklink.chains.data import ChainData
from parklink.chains.plan import chain_section, designation_scopes
from parklink.chains.scope import ScopeFrames
from parklink.settings import get_settings

from .conftest import cli_app, write_dataset


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    write_dataset(tmp_path / "firms")
    a = cli_app(monkeypatch, tmp_path, chains_cli.register)
    yield a
    get_settings.cache_clear()


def test_prints_bilingual_tables(app: typer.Typer) -> None:
    r = CliRunner().invoke(app, ["chains", "park:p1", "--chain", "auto"])
    assert r.exit_code == 0, r.output
    assert "完整度" in r.output and "completeness" in r.output
    assert "补链" in r.output and "supplement" in r.output
    assert "合成数据" in r.output


def test_writes_files(app: typer.Typer, tmp_path: Path) -> None:
    for name in ("d.xlsx", "d.json", "d.csv"):
        r = CliRunner().invoke(app, ["chains", "designation:d1", "--year", "2023", "--out",
                                     str(tmp_path / name)])
        assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert doc["year"] == 2023 and "lsr" in doc["tables"]
    xl = pd.ExcelFile(tmp_path / "d.xlsx")
    assert any("本地配套率" in s for s in xl.sheet_names)
    assert (tmp_path / "d.gaps.csv").exists()


@pytest.mark.parametrize("args", [["chains", "nowhere"], ["chains", "p1", "--chain", "cars"],
                                  ["chains", "p1", "--out", "x.txt"]])
def test_clean_errors(app: typer.Typer, args: list[str], tmp_path: Path) -> None:
    if "--out" in args:
        args = [*args[:-1], str(tmp_path / "x.txt")]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1
    assert "Traceback" not in r.output


def test_plan_section(tiny_data: ChainData, frames: ScopeFrames) -> None:
    scopes, links = designation_scopes(frames)
    assert {s.scope_id for s in scopes} == {"designation:d1", "park:p1", "park:p2"}
    assert set(links[links.role == "park"].partners) == {"p1", "p2"}
    sec = chain_section(tiny_data, frames)
    assert sec.key == "chains" and sec.synthetic
    ov = sec.tables[0].frame
    assert len(ov) == 3  # group + two parks, theme chain auto
    d = sec.summary["designations"]["d1"]["park:p1"]["chains"]["auto"]
    assert d["delta_lsr"] == pytest.approx(0.28)
    json.dumps(sec.summary)
