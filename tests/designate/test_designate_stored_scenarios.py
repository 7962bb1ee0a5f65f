"""Scenarios stored in the database are found by name and compared (designate --save / --compare)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from parklink.cli import app
from parklink.designate.cli import resolve_scenario, stored_scenario_lookup
from parklink.designate.scenario import BUILTIN_SCENARIOS
from parklink.store.db import upgrade
from parklink.store.scenarios import list_scenarios, save_scenario


def test_saved_scenario_round_trips_through_the_database(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    base = BUILTIN_SCENARIOS["programme"]
    changed = json.loads(base.to_json())
    changed["targets"] = {"2020": 8, "2022": 14, "2025": 21}
    save_scenario("office-a", json.dumps(changed), url=sqlite_url)
    found = resolve_scenario("office-a", lookup=stored_scenario_lookup(sqlite_url))
    assert dict(found.targets) == {2020: 8, 2022: 14, 2025: 21}
    assert list(list_scenarios(url=sqlite_url)["name"]) == ["office-a"]


def test_cli_save_then_show(sqlite_url: str, tmp_path: Path) -> None:
    upgrade(sqlite_url)
    runner = CliRunner()
    result = runner.invoke(
        app, ["designate", "--scenario", "programme_tight_pairs", "--save", "tight", "--show-scenario",
              "--database", sqlite_url]
    )
    assert result.exit_code == 0, result.output
    assert "tight" in result.output
    shown = runner.invoke(app, ["designate", "--scenario", "tight", "--show-scenario", "--database", sqlite_url])
    assert shown.exit_code == 0, shown.output
    missing = runner.invoke(app, ["designate", "--scenario", "nope", "--database", sqlite_url])
    assert missing.exit_code == 1 and "unknown scenario" in missing.output
