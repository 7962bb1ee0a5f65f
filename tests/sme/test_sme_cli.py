"""``parklink sme`` / ``services`` / ``match`` through Typer's runner on a small registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from parklink.cli import app
from parklink.settings import get_settings
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, coerce_frame, write_frame
from parklink.tables import SCHEMAS
from parklink.testing import tiny_registry

runner = CliRunner()


def _frame(kind: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    return coerce_frame(pd.DataFrame([{c: r.get(c) for c in SCHEMAS[kind].names} for r in rows]), kind)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    frames = tiny_registry()
    base = {"synthetic": True, "confidence": "synthetic"}
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            if kind in frames:
                write_frame(s, kind, frames[kind])
        write_frame(s, "sme_profiles", _frame("sme_profiles", [
            {**base, "enterprise_id": "E2", "name_zh": "铸件二厂", "name_en": "Castings Two", "park_id": "sc-a",
             "industry": "industry", "employees": 80, "revenue_cny_m": 50.0, "tier": "little_giant",
             "tier_year": 2024, "segments": "auto.castings", "products": "铝合金压铸件"}]))
        write_frame(s, "supply_demand", _frame("supply_demand", [
            {**base, "item_id": "need-1", "direction": "need", "poster": "enterprise", "enterprise_id": "E1",
             "title_zh": "采购压铸件", "title_en": "buying die castings", "part": "压铸件",
             "segment_id": "auto.castings", "posted": "2025-01-02", "status": "open"}]))
    yield url
    get_settings.cache_clear()


def test_sme_list_tier_filter_and_thresholds(db: str) -> None:
    r = runner.invoke(app, ["sme", "list", "--tier", "little_giant", "-d", db], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "E2" in r.output and "小巨人" in r.output
    r = runner.invoke(app, ["sme", "list", "--tier", "innovative", "--json", "-d", db])
    assert r.exit_code == 0 and '"count": 0' in r.output
    r = runner.invoke(app, ["sme", "thresholds"], env={"COLUMNS": "80"})
    assert r.exit_code == 0 and "300号" in r.output


def test_match_need_prints_reasons_in_80_columns(db: str) -> None:
    r = runner.invoke(app, ["match", "need-1", "-d", db], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "E2" in r.output and "理由" in r.output and "reason" in r.output
    assert "chain segment match" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80
    r = runner.invoke(app, ["match", "nope", "-d", db])
    assert r.exit_code == 1 and "Traceback" not in r.output


def test_sme_import_reports_row_errors(db: str, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    cols = ",".join(SCHEMAS["sme_profiles"].names)
    f.write_text(cols + "\nS9,九厂,Nine,sc-a,,industry,5,1,,specialised,,,,,,,,,true,,synthetic\n", encoding="utf-8")
    r = runner.invoke(app, ["sme", "import", str(f), "-d", db])
    assert r.exit_code == 1 and "tier_year" in r.output
