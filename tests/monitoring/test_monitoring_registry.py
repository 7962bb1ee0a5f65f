"""Monitoring kinds through the generic import/export, the ``parklink monitoring`` CLI and the
optional per-mu indicator of the park evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from parklink.cli import app
from parklink.store.db import get_engine, session_scope, upgrade
from parklink.store.io import LOAD_ORDER, read_frame, write_frame
from parklink.testing import tiny_registry

runner = CliRunner()


@pytest.fixture
def url(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    frames = tiny_registry()
    with session_scope(sqlite_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return sqlite_url


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def values_csv(path: Path, rows: list[tuple[str, str, str, float]]) -> Path:
    pd.DataFrame([{"value_id": f"{p}:{i}:{per}", "park_id": p, "indicator_id": i, "period": per, "value": v,
                   "source_url": "https://example.org/bulletin", "confidence": "unconfirmed"}
                  for p, i, per, v in rows]).to_csv(path, index=False)
    return path


FULL = [("sc-a", "land_area_mu", "2024", 100), ("sc-a", "tax", "2024", 1000), ("sc-a", "value_added", "2024", 2000),
        ("cq-b", "land_area_mu", "2024", 50), ("cq-b", "tax", "2024", 1000), ("cq-b", "value_added", "2024", 1000),
        ("cq-c", "land_area_mu", "2024", 200), ("cq-c", "tax", "2024", 500), ("cq-c", "value_added", "2024", 1000)]


def test_defaults_import_series_errors_upsert_export(url: str, tmp_path: Path) -> None:
    out = cli("monitoring", "indicators", "-d", url)
    assert "registry" in out and "tax" in out
    cli("monitoring", "load-defaults", "-d", url)
    with session_scope(url) as s:
        ind = read_frame(s, "monitoring_indicators")
    assert {"output", "tax", "investment", "rd_spending", "land_area_mu", "energy_use", "employment",
            "value_added", "emissions"} <= set(ind["indicator_id"])
    assert ind.set_index("indicator_id").at["tax", "source_url"].startswith("https://")
    # a file with a bad row: nothing written, the row and column named
    bad = values_csv(tmp_path / "bad.csv", [("sc-a", "employment", "2024", 5), ("sc-a", "employment", "2024x", 6)])
    text = cli("monitoring", "import", str(bad), "-d", url, code=1)
    assert "period" in text and "3" in text
    wrong_key = tmp_path / "key.csv"
    pd.read_csv(bad).iloc[:1].assign(value_id="sc-a:employment:2023").to_csv(wrong_key, index=False)
    assert "value_id" in cli("monitoring", "import", str(wrong_key), "-d", url, code=1)
    with session_scope(url) as s:
        assert len(read_frame(s, "indicator_values")) == 2  # the tiny registry's two
    # upsert: new rows, then one value changed (history recorded)
    cli("monitoring", "import", str(values_csv(tmp_path / "v.csv", FULL)), "-d", url)
    cli("monitoring", "import", str(values_csv(tmp_path / "v2.csv", [("sc-a", "tax", "2024", 1500)])), "-d", url)
    with session_scope(url) as s:
        vals = read_frame(s, "indicator_values").set_index("value_id")
    assert vals.at["sc-a:tax:2024", "value"] == 1500 and len(vals) == 9  # sc-a tax/land of the tiny set replaced
    hist = json.loads(cli("history", "indicator_values", "sc-a:tax:2024", "--json", "-d", url))
    assert any(i.get("field") == "value" and i.get("new") == "1500.0" for i in hist["items"]), hist
    exported = tmp_path / "out.csv"
    cli("monitoring", "export", str(exported), "-d", url)
    back = pd.read_csv(exported, encoding="utf-8-sig")
    assert len(back) == 9 and set(back["value_id"]) == set(vals.index)
    get_engine(url).dispose()


def test_permu_cli_matches_the_analysis(url: str, tmp_path: Path) -> None:
    cli("monitoring", "load-defaults", "-d", url)
    cli("monitoring", "import", str(values_csv(tmp_path / "v.csv", FULL)), "-d", url)
    doc_path = tmp_path / "permu.json"
    out = cli("monitoring", "permu", "-d", url, "--benchmark", "tax_per_mu=10", "--benchmark", "va_per_mu=20",
              "--json", str(doc_path))
    assert "2024" in out
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    parks = {p["park_id"]: p for p in doc["parks"]}
    # only the two land terms have data: sc-a 30×10/10 + 20×20/20 = 50; cq-b 30×20/10 + 20×20/20 = 80;
    # cq-c 30×2.5/10 + 20×5/20 = 12.5
    assert parks["sc-a"]["composite"] == pytest.approx(50.0)
    assert parks["cq-b"]["composite"] == pytest.approx(80.0)
    assert parks["cq-c"]["composite"] == pytest.approx(12.5)
    assert doc["summary"]["bands"]["C"] == 1 and parks["cq-c"]["band"] == "C"
    cli("monitoring", "permu", "-d", url, "--benchmark", "nonsense", code=1)
    get_engine(url).dispose()


def test_per_mu_score_enters_the_evaluation_only_with_series(url: str, tmp_path: Path) -> None:
    from parklink.configs import EvaluationConfig
    from parklink.inputs import read_inputs
    from parklink.runs import evaluate

    cfg = EvaluationConfig(travel_time="geodesic", draws=200)
    before = evaluate(read_inputs(url), cfg)
    assert "per_mu_score" not in before.evaluation.matrix.keys  # the tiny set has no value added
    cli("monitoring", "load-defaults", "-d", url)
    cli("monitoring", "import", str(values_csv(tmp_path / "v.csv", FULL)), "-d", url)
    after = evaluate(read_inputs(url), cfg)
    assert "per_mu_score" in after.evaluation.matrix.keys
    col = after.evaluation.matrix.values[:, list(after.evaluation.matrix.keys).index("per_mu_score")]
    res = dict(zip(after.evaluation.matrix.alternatives, col, strict=True))
    # default benchmarks = means: tax/mu (10, 20, 2.5) -> 32.5/3; VA/mu (20, 20, 5) -> 15
    bt, bv = 32.5 / 3, 15.0
    want = {"sc-a": 30 * 10 / bt + 20 * 20 / bv, "cq-b": 30 * 20 / bt + 20 * 20 / bv, "cq-c": 30 * 2.5 / bt + 20 * 5 / bv}
    for park, value in want.items():
        assert res[park] == pytest.approx(value)
    assert before.fingerprint.digest != after.fingerprint.digest
    get_engine(url).dispose()
