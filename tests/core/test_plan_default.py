"""End to end on the embedded default: `db init` then `plan`, as `make plan` runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parklink.cli import app
from parklink.firmdata import FirmDataset
from parklink.settings import get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def default_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Run `db init` + `plan` once in a fresh data dir (module-scoped: it is the costly part)."""
    data = tmp_path_factory.mktemp("data")
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.setenv("PARKLINK_DATA_DIR", str(data))
    mp.delenv("PARKLINK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        init = runner.invoke(app, ["db", "init"])
        assert init.exit_code == 0, init.output
        again = runner.invoke(app, ["db", "init"])  # idempotent: nothing reloaded
        assert again.exit_code == 0 and "already holds data" in again.output
        result = runner.invoke(app, ["plan", "--out", str(out)])
        assert result.exit_code == 0, result.output
    finally:
        mp.undo()
        get_settings.cache_clear()
    return data, out, result.output


def test_plan_files_are_written_and_valid(default_plan: tuple[Path, Path, str]) -> None:
    data, out, _ = default_plan
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    keys = [s["key"] for s in plan["sections"]]
    assert keys[:3] == ["overview", "status", "provenance"]
    status = next(s for s in plan["sections"] if s["key"] == "status")
    targets = {r["year"]: r["target_parks"] for r in status["summary"]["by_year"] if r["target_parks"]}
    assert targets == {2020: 10, 2022: 15, 2025: 20}  # the 11 June 2020 notice
    by_zone = next(t for t in status["tables"] if t["title_en"] == "By zone")["rows"]
    # every zone of the 2020 notice counts its parks (prefecture-defined zones expanded to districts)
    assert by_zone and all(r["parks"] > 0 for r in by_zone), by_zone
    overview = next(s for s in plan["sections"] if s["key"] == "overview")
    assert overview["summary"]["counts"]["regions"] >= 221 + 2
    assert overview["summary"]["firms"] > 0 and overview["summary"]["transactions"] > 0
    assert overview["synthetic"] is True
    assert FirmDataset(data / "firms").exists()
    html = (out / "plan.html").read_text(encoding="utf-8")
    assert "含合成数据" in html and "includes synthetic data" in html
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)


def test_plan_output_is_bilingual(default_plan: tuple[Path, Path, str]) -> None:
    _, _, output = default_plan
    assert "示范园区建设进度" in output and "Programme status vs targets" in output
    assert "数据来源" in output and "synthetic" in output


def test_plan_checks_the_evaluation_against_the_real_batches(default_plan: tuple[Path, Path, str]) -> None:
    _data, out, _ = default_plan
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    cal = next(s for s in plan["sections"] if s["key"] == "calibration")
    holdout = next(t for t in cal["tables"] if t["key"] == "calibration.holdout")
    assert [r["rule"] for r in holdout["rows"]] == [
        "calibrated", "programme_topsis", "combined", "equal", "largest", "random"]
    assert cal["summary"]["n_train_positive"] == 18 and cal["summary"]["n_holdout_positive"] == 5
    assert cal["summary"]["fingerprint"]["digest"]
    assert cal["summary"]["verdict"] in cal["notes"]


#: Columns that identify a row (registry ids, codes, or the key of a parameter / method).
ID_COLUMNS = {"park_id", "designation_id", "zone_id", "scope_id", "segment_id", "park_a", "province", "area_type",
              "item", "kind", "file", "year", "mode", "key", "group", "alternative", "method/weighting",
              "perturbation", "constraint_group", "rule", "criterion", "project_id", "model_version"}


def test_plan_tables_have_stable_keys_and_ids(default_plan: tuple[Path, Path, str]) -> None:
    _, out, _ = default_plan
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["inputs"]["source"] == "database", (plan["database"], plan["warnings"], plan["inputs"])
    assert plan["inputs"]["data_version"].startswith("db:")
    keys = [t["key"] for s in plan["sections"] for t in s["tables"]]
    assert len(keys) == len(set(keys))  # unique
    for s in plan["sections"]:
        for t in s["tables"]:
            assert t["key"].startswith(s["key"] + ".") and re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", t["key"]), t["key"]
            assert ID_COLUMNS & set(t["columns"]) or t["key"] == "logistics.parameters", (t["key"], t["columns"])
    assert {"evaluation.park_ranking_with_robustness", "designation.designation_plan", "status.by_zone",
            "chains.gaps"} <= set(keys)
    for key in ("evaluation", "designation"):
        fp = next(s for s in plan["sections"] if s["key"] == key)["summary"]["fingerprint"]
        assert fp["data_version"] == plan["inputs"]["data_version"] and len(fp["digest"]) == 16
