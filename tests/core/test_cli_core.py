"""CLI smoke tests through Typer's runner: help texts, db commands, plan, clean errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parklink.cli import app
from parklink.settings import Settings
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, write_frame
from parklink.testing import tiny_registry

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _all_commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every (sub)command of a Typer/click group, depth first (duck-typed: typer vendors click)."""
    out: list[tuple[tuple[str, ...], Any]] = []
    for name, cmd in group.commands.items():
        out.append(((*prefix, name), cmd))
        if hasattr(cmd, "commands"):
            out.extend(_all_commands(cmd, (*prefix, name)))
    return out


def test_every_command_has_bilingual_help() -> None:
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    commands = _all_commands(root)
    assert {("plan",), ("db",), ("db", "init"), ("db", "backup"), ("db", "restore")} <= {c[0] for c in commands}
    for path, cmd in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert cmd.help and len(cmd.help) > 20, f"{path}: help text too short"
        assert CJK.search(cmd.help), f"{path}: help names no domain term in Chinese"
        for param in cmd.params:
            if getattr(param, "param_type_name", "") == "option" and param.name != "help":
                assert param.help, f"{path} {param.name}: option has no help"


def test_every_setting_is_documented_in_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name == "seed":
            continue
        assert f"PARKLINK_{name.upper()}" in readme, f"setting {name} is not documented in README.md"


def _load_tiny(url: str) -> None:
    upgrade(url)
    frames = tiny_registry()
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])


def test_plan_writes_json_and_self_contained_html(sqlite_url: str, tmp_path: Path) -> None:
    _load_tiny(sqlite_url)
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", "--database", sqlite_url, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Programme status" in result.output and "示范园区建设进度" in result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    status = next(s for s in plan["sections"] if s["key"] == "status")
    by_year = {r["year"]: r for r in status["summary"]["by_year"]}
    # tiny registry: one 2-park designation + 2 unnamed members in 2020; targets 10/15/20
    assert by_year[2020]["designated_parks"] == 4
    assert by_year[2020]["named_parks"] == 2 and by_year[2020]["unnamed_parks"] == 2
    assert by_year[2020]["target_parks"] == 10 and by_year[2020]["gap_parks"] == 6
    assert by_year[2025]["target_parks"] == 20 and by_year[2025]["designated_parks"] == 4
    html = (out / "plan.html").read_text(encoding="utf-8")
    assert "<svg" in html and "示范园区" in html
    # self-contained: no script, stylesheet or image fetched from anywhere
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)


def test_plan_on_empty_database_is_a_clean_error(sqlite_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--database", sqlite_url, "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "db init" in result.output
    assert "Traceback" not in result.output


def test_db_status_upgrade_backup_restore(sqlite_url: str, tmp_path: Path) -> None:
    _load_tiny(sqlite_url)
    result = runner.invoke(app, ["db", "status", "--database", sqlite_url])
    assert result.exit_code == 0 and "parks" in result.output
    zip_path = tmp_path / "b.zip"
    result = runner.invoke(app, ["db", "backup", str(zip_path), "--database", sqlite_url, "--no-firms"])
    assert result.exit_code == 0 and zip_path.exists()
    result = runner.invoke(app, ["db", "restore", str(zip_path), "--database", sqlite_url, "--no-firms"])
    assert result.exit_code == 0, result.output


def test_bad_backup_file_is_a_clean_error(sqlite_url: str, tmp_path: Path) -> None:
    upgrade(sqlite_url)
    bogus = tmp_path / "nope.zip"
    bogus.write_text("not a zip")
    result = runner.invoke(app, ["db", "restore", str(bogus), "--database", sqlite_url])
    assert result.exit_code == 1
    assert "cannot open backup" in result.output and "Traceback" not in result.output


def test_bad_database_url_is_a_clean_error() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--database", "nosuchdialect://x"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("lang", ["xx"])
def test_bad_lang(lang: str, sqlite_url: str) -> None:
    result = runner.invoke(app, ["plan", "--database", sqlite_url, "--lang", lang])
    assert result.exit_code != 0
