"""CLI commands (bilingual output, exit code 1 on user errors) and plan sections."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from parklink.logistics.cli import register
from parklink.report.section import Section

app = typer.Typer()
register(app)


@app.callback()
def _root() -> None:
    """Test app."""


runner = CliRunner()


def test_route_command(tmp_path: Path) -> None:
    out = tmp_path / "route.geojson"
    res = runner.invoke(app, ["route", "cq-rongchang-htz", "万州新田港区", "--cargo", "bulk", "--geojson", str(out)])
    assert res.exit_code == 0, res.output
    assert "路线 Route" in res.output and "水运 inland waterway" in res.output
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"


def test_errors_exit_1() -> None:
    for args in (["route", "nowhere", "air.ckg"], ["route", "air.ctu", "air.ckg", "--cargo", "coal"],
                 ["sites", "--function", "warehousing"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, args
        assert "错误 Error" in res.output and "Traceback" not in res.output


def test_access_and_sites_commands(tmp_path: Path) -> None:
    res = runner.invoke(app, ["access", "--park", "cq-jiangjin-ip", "--geojson", str(tmp_path / "r.geojson")])
    assert res.exit_code == 0, res.output
    assert "园区可达性 Park accessibility" in res.output and "synthetic" in res.output
    res = runner.invoke(app, ["sites", "--function", "bonded", "--p", "2"])
    assert res.exit_code == 0, res.output
    assert "保税加工 bonded processing" in res.output


def test_plan_sections(dataset: dict[str, object]) -> None:
    from parklink.datasets import chengyu, synthetic
    from parklink.logistics.plan import accessibility_section, logistics_section

    firms = synthetic.generate_firms(dataset["regions"], chengyu.load("chain_segments"), n_firms=600, seed=3,  # type: ignore[arg-type]
                                     parks=dataset["parks"])  # type: ignore[arg-type]
    acc = accessibility_section(firms=firms, **dataset)  # type: ignore[arg-type]
    log = logistics_section(firms=firms, p=2, **dataset)  # type: ignore[arg-type]
    for s in (acc, log):
        assert isinstance(s, Section) and s.synthetic and s.title_zh and s.title_en
        json.dumps(s.summary)
    assert acc.summary["parks"] == len(acc.tables[0].frame)
    assert set(log.summary["functions"]) == {"logistics_trade", "bonded_processing", "supporting_processing", "assembly"}
    assert len(log.tables[0].frame) >= 4
