"""Designation on the embedded dataset: candidates, historical check, plan sections, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from parklink.datasets import chengyu
from parklink.designate import (
    Scenario,
    candidates_from_frames,
    designate_from_frames,
    existing_years,
    historical_check,
)
from parklink.designate import plan_section as designation_plan_section
from parklink.designate.cli import register as register_designate
from parklink.designate.cli import resolve_scenario
from parklink.errors import NotFoundError
from parklink.evaluate import evaluate_parks, score_parks
from parklink.evaluate import plan_section as evaluation_plan_section
from parklink.evaluate.cli import register as register_evaluate

KINDS = ("parks", "regions", "zones", "transport_nodes", "enterprises", "designations", "targets")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {k: chengyu.load(k) for k in KINDS}


@pytest.fixture(scope="module")
def scores(frames: dict[str, pd.DataFrame]) -> pd.Series:
    f = frames
    return score_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                       enterprises=f["enterprises"], designations=f["designations"])


def test_score_parks_equals_the_evaluation_scores(frames: dict[str, pd.DataFrame], scores: pd.Series) -> None:
    f = frames
    ev = evaluate_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                        enterprises=f["enterprises"], draws=100, designations=f["designations"])
    pd.testing.assert_series_equal(ev.scores(), scores)


def test_existing_years_from_designations(frames: dict[str, pd.DataFrame]) -> None:
    ex = existing_years(frames["designations"])
    d = frames["designations"]
    named = {m for ms in d.loc[d["batch"] == 1, "members"].dropna() for m in str(ms).split(";")}
    assert {p for p, y in ex.items() if y == int(d.loc[d["batch"] == 1, "year"].min())} == named


def test_candidates_carry_zones_and_no_polar_core(frames: dict[str, pd.DataFrame], scores: pd.Series) -> None:
    cand = candidates_from_frames(frames["parks"], scores, zones=frames["zones"], regions=frames["regions"],
                                  designations=frames["designations"])
    # a park and its parent never compete: Liangjiang New Area (Yufu designated), Lingang ETDZ
    # (Sanjiang designated) and Chengdu HTZ (its West Park CBZ competes) are not scored
    assert len(cand) == len(frames["parks"]) - 3
    assert not {"cq-liangjiang-new-area", "sc-yibin-lingang-etdz", "sc-chengdu-htz"} & set(cand["park_id"])
    kinds = dict(zip(frames["zones"]["zone_id"], frames["zones"]["kind"], strict=True))
    for zs in cand["zones"]:
        assert all(kinds[z] != "polar_core" for z in str(zs).split(";") if z)
    assert cand["existing_year"].notna().sum() == len(existing_years(frames["designations"]))


def test_programme_plan_meets_targets(frames: dict[str, pd.DataFrame], scores: pd.Series) -> None:
    res = designate_from_frames(frames["parks"], scores, zones=frames["zones"], regions=frames["regions"],
                                designations=frames["designations"], targets=frames["targets"], explain=False)
    targets = dict(zip(frames["targets"]["year"].astype(str), frames["targets"]["cumulative_parks"], strict=True))
    assert res.status == "optimal" and res.mip_gap <= 1e-9
    assert res.summary()["count_by_year"] == targets
    plan = res.plan[res.plan["designated"]]
    assert (plan["province"] == "SC").sum() >= 8 and (plan["province"] == "CQ").sum() >= 8
    # pairing: every designated park lists a designated partner in the other province
    prov = dict(zip(res.plan["park_id"], res.plan["province"], strict=True))
    kind = dict(zip(frames["parks"]["park_id"], frames["parks"]["kind"], strict=True))
    for pid, partners in zip(plan["park_id"], plan["partners"], strict=True):
        if kind[pid] == "cooperation_area":
            continue
        names = [q for q in partners.split(";") if q]
        assert names and all(prov[q] != prov[pid] and q in set(plan["park_id"]) for q in names)


def test_forward_plan_with_existing_is_explained(frames: dict[str, pd.DataFrame], scores: pd.Series) -> None:
    """Fixing the 35 real designations against a cumulative target of 20 must be infeasible,
    and the explanation must involve the existing designations."""
    from parklink.errors import InfeasibleError

    with pytest.raises(InfeasibleError) as err:
        designate_from_frames(frames["parks"], scores, zones=frames["zones"], regions=frames["regions"],
                              designations=frames["designations"], scenario=Scenario(name="fw", fix_existing=True),
                              explain=False)
    assert "existing" in err.value.conflicts


def test_historical_check_is_consistent(frames: dict[str, pd.DataFrame], scores: pd.Series) -> None:
    h = historical_check(frames["parks"], scores, designations=frames["designations"], zones=frames["zones"],
                         regions=frames["regions"])
    s = h.summary()
    d1 = frames["designations"][frames["designations"]["batch"] == 1]
    assert s["k"] == len(existing_years(d1)) + int(d1["unknown_members"].sum())
    assert len(h.selected) == s["k"] and len(h.top_by_score) == s["k"]
    assert set(h.overlap_selected) == set(h.actual) & set(h.selected)
    assert 0 <= s["overlap_milp"] <= s["actual_named"]


def test_plan_sections_are_json_ready(frames: dict[str, pd.DataFrame]) -> None:
    f = frames
    ev_sec = evaluation_plan_section(f["parks"], f["regions"], f["zones"], f["transport_nodes"], f["enterprises"],
                                     draws=200)
    assert ev_sec.key == "evaluation" and ev_sec.tables
    # parents standing down for a sub-park are not ranked (no designations given: Liangjiang, Sanjiang, Chengdu HTZ)
    assert len(ev_sec.summary["map"]["features"]) == len(f["parks"]) - 3
    shared = {x["properties"]["park_id"] for x in ev_sec.summary["map"]["features"] if x["properties"]["shared_point"]}
    assert {"cq-konggang-ip", "sc-deyang-etdz", "sc-deyang-htz"} <= shared and "cq-kaizhou-ip" not in shared
    des = designation_plan_section(f["parks"], f["regions"], f["zones"], f["transport_nodes"], f["designations"],
                                   f["targets"], f["enterprises"], explain=False)
    assert des.key == "designation"
    json.dumps(des.summary, default=str)
    pts = [x for x in des.summary["map"]["features"] if x["geometry"]["type"] == "Point"]
    assert len(pts) == int(f["targets"]["cumulative_parks"].max())
    assert "historical_check" in des.summary


def test_resolve_scenario(tmp_path: Path) -> None:
    assert resolve_scenario("programme").name == "programme"
    p = tmp_path / "s.json"
    p.write_text(Scenario(name="mine", targets={2025: 12}).to_json(), encoding="utf-8")
    assert resolve_scenario(str(p)).targets == {2025: 12}
    with pytest.raises(NotFoundError):
        resolve_scenario("nope")


def test_cli_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    from parklink.settings import get_settings

    get_settings.cache_clear()
    app = typer.Typer()
    register_evaluate(app)
    register_designate(app)
    runner = CliRunner()
    out = tmp_path / "ev.xlsx"
    r = runner.invoke(app, ["evaluate", "--draws", "100", "--rows", "5", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "园区排名" in r.output and "Park ranking" in r.output
    import openpyxl

    sheets = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"ranking", "weights"} <= set(sheets)
    r = runner.invoke(app, ["evaluate", "--method", "nope", "--draws", "10"])
    assert r.exit_code == 1 and "unknown method" in r.output
    bad = tmp_path / "ahp.csv"
    bad.write_text("resource,location,industry\n1,9,1/9\n1/9,1,9\n9,1/9,1\n", encoding="utf-8")
    r = runner.invoke(app, ["evaluate", "--weighting", "ahp", "--ahp", str(bad), "--draws", "10"])
    assert r.exit_code == 1 and "inconsistent judgement" in r.output
    r = runner.invoke(app, ["designate", "--no-explain", "--no-history", "--compare", "programme_no_pairing"])
    assert r.exit_code == 0, r.output
    assert "programme_no_pairing" in r.output
    get_settings.cache_clear()
