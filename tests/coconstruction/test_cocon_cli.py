"""``parklink parks-in-park`` / ``smart`` / ``platforms`` on the embedded default (no database)."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from parklink.coconstruction.cli import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _run(*args: str) -> str:
    res = CliRunner().invoke(_app(), list(args), env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    return res.output


def test_lists_and_json() -> None:
    out = _run("parks-in-park", "list")
    assert "研发+转化" in out and max(len(line) for line in out.splitlines()) <= 80
    rows = json.loads(_run("parks-in-park", "sharing", "--json"))["rows"]
    assert {r["agreement_id"]: r["split_pct"] for r in rows}["gaozhu-new"] == "50;50"
    agg = json.loads(_run("smart", "aggregates", "--json"))["rows"]
    assert {r["aggregate_id"]: r["count"] for r in agg}["cq-2023-if-cumulative"] == 144
    assert "≥30000" in _run("smart", "aggregates")
    en = _run("parks-in-park", "list", "--lang", "en")
    assert "R&D +" in en


def test_show_scorecard_domains_and_unknown_id() -> None:
    shown = json.loads(_run("parks-in-park", "show", "chuanzhe-guangyuan", "--json"))
    assert shown["host_park_id"] == "sc-guangyuan-etdz" and shown["mode"] is None
    card = json.loads(_run("parks-in-park", "scorecard", "--json", "--year", "2026"))
    assert card["ref_year"] == 2026 and card["parks"] == 3 and "fingerprint" in card
    dom = json.loads(_run("smart", "domains", "--json"))["rows"]
    assert sum(r["kind"] == "element" for r in dom) == 4
    assert {r["status"] for r in dom if r["kind"] == "domain"} == {"configurable"}
    res = CliRunner().invoke(_app(), ["platforms", "show", "nope"])
    assert res.exit_code == 1 and "Traceback" not in res.output
