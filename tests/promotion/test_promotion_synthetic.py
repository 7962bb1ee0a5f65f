"""The embedded default's synthetic pipeline: calibrated cohort rates, labels, real rows kept
apart, the seed path, the plan section and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from parklink.datasets import chengyu
from parklink.promotion.stages import STAGE_RANK, TERMINATED
from parklink.promotion.synthetic import (
    CALIBRATION,
    HORIZON_DAYS,
    SYNTHETIC_AS_OF,
    default_frames,
    generate_pipeline,
)

FRAMES = {k: chengyu.load(k) for k in ("parks", "designations")}


def cohort_rates(out: dict[str, pd.DataFrame]) -> tuple[dict[str, float], int]:
    """Pooled rates of the projects signed at their event, each measured HORIZON_DAYS after
    its event (cohorts whose horizon passes the data's end left out); plain pandas, one row
    per project, independent of the KPI engine."""
    p, e, f, ev = out["projects"], out["stage_events"], out["project_funds"], out["promotion_events"]
    held = dict(zip(ev["event_id"], ev["held_on"], strict=True))
    signed = e[e["stage"] == "signed"].set_index("project_id")["on_date"]
    p = p.assign(signed=p["project_id"].map(signed), held=p["event_id"].map(held))
    p = p[p["signed"].notna() & (p["signed"] == p["held"])].copy()
    p["h"] = p["held"].map(lambda d: d + dt.timedelta(days=HORIZON_DAYS))
    p = p[p["h"] <= SYNTHETIC_AS_OF].set_index("project_id")
    e = e.assign(r=e["stage"].map(STAGE_RANK), h=e["project_id"].map(p["h"])).dropna(subset=["h"])
    e = e[e["on_date"] <= e["h"]]
    started = set(e.loc[e["r"] >= 3, "project_id"])
    produced = set(e.loc[e["r"] >= 4, "project_id"])
    f = f.assign(h=f["project_id"].map(p["h"])).dropna(subset=["h"])
    funds = f[f["on_date"] <= f["h"]].groupby("project_id")["amount_cny_m"].sum()
    ids = p.index
    is_started = ids.isin(list(started))
    has_funds = funds.reindex(ids).fillna(0).to_numpy() > 0
    planned = (pd.to_datetime(p["planned_start"]) <= pd.to_datetime(p["h"])).to_numpy()
    n = len(p)
    return ({"performance_rate": float((is_started | has_funds).sum()) / n,
             "start_rate": float((is_started & planned).sum()) / float(planned.sum()),
             "production_rate": float(ids.isin(list(produced)).sum()) / n,
             "funds_rate": float(funds.reindex(ids).fillna(0).sum()) / float(p["signed_investment_cny_m"].sum())}, n)


@pytest.mark.parametrize("seed", [20200611, 7])
def test_cohort_rates_match_the_calibration_targets(seed: int) -> None:
    rates, n = cohort_rates(generate_pipeline(FRAMES, seed=seed))
    assert n > 500
    for k, target in CALIBRATION.items():
        # binomial standard error at n ≈ 700 is ≤ 0.019; funds are rescaled exactly
        assert rates[k] == pytest.approx(target, abs=0.045), (k, rates[k])
    assert rates["funds_rate"] == pytest.approx(0.30, abs=1e-6)


def test_every_designated_park_has_a_pipeline_and_every_row_is_labelled() -> None:
    out = generate_pipeline(FRAMES)
    des = FRAMES["designations"]
    members = {m for v in des["members"].dropna() for m in str(v).split(";")}
    assert members <= set(out["projects"]["park_id"])
    for kind in ("promotion_plans", "promotion_events", "projects"):
        f = out[kind]
        assert f["synthetic"].all() and (f["confidence"] == "synthetic").all()
        assert f["source_url"].str.contains("55208.html").all()
    assert (out["promotion_events"]["held_on"] <= SYNTHETIC_AS_OF).all()
    assert (out["stage_events"]["on_date"] <= SYNTHETIC_AS_OF).all()
    # the logs obey the stage rules: dates and ranks never go back, nothing after a termination
    for _pid, g in out["stage_events"].groupby("project_id"):
        g = g.sort_values("on_date", kind="stable")
        ranks = [STAGE_RANK[s] for s in g["stage"] if s != TERMINATED]
        assert ranks == sorted(ranks)
        if TERMINATED in set(g["stage"]):
            assert g["stage"].iloc[-1] == TERMINATED and g["reason"].iloc[-1]
    a, b = generate_pipeline(FRAMES), generate_pipeline(FRAMES)
    pd.testing.assert_frame_equal(a["stage_events"], b["stage_events"])  # seeded


def test_real_projects_are_sourced_and_never_mixed_unlabelled() -> None:
    out = default_frames(FRAMES)
    real = out["projects"][~out["projects"]["synthetic"].astype(bool)]
    assert len(real) >= 1
    assert (real["confidence"] == "confirmed").all() and real["source_url"].str.startswith("http").all()
    assert real["signed_investment_cny_m"].isna().all()  # "> 30 bn over six phases": not invented as a figure


def test_seed_path_loads_the_pipeline_and_the_plan_has_a_promotion_section(tmp_path: Path) -> None:
    from parklink.inputs import read_inputs
    from parklink.promotion.plan import promotion_hook
    from parklink.store.seed import init_default

    url = f"sqlite:///{tmp_path / 'seed.sqlite'}"
    rep = init_default(url, firm_root=None, progress=False)
    assert rep.rows["projects"] > 1000 and rep.rows["stage_events"] > 4000
    section = promotion_hook(read_inputs(url))
    assert section is not None and section.synthetic and section.key == "promotion"
    keys = {t.key for t in section.tables}
    assert {"kpi_synthetic", "alerts_synthetic", "kpi_real", "real_projects", "conversion"} <= keys
    assert any("synthetic" in n for n in section.notes)
    kpi = next(t for t in section.tables if t.key == "kpi_synthetic").frame
    assert "designation_id" in kpi.columns and kpi["n_signed"].sum() > 500
    json.dumps(section.summary)  # JSON-ready for plan.json


def test_embedded_inputs_carry_the_same_pipeline() -> None:
    from parklink.inputs import embedded_inputs

    pf = embedded_inputs().promotion()
    assert pf.synthetic and len(pf["projects"]) > 1000


def test_cli_kpi_projects_and_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.cli import app
    from parklink.settings import get_settings
    from parklink.store import session_scope
    from parklink.store.db import upgrade
    from parklink.store.io import LOAD_ORDER, write_frame
    from parklink.testing import tiny_registry

    monkeypatch.setenv("COLUMNS", "80")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    frames = tiny_registry()
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    get_settings.cache_clear()
    run = CliRunner()
    r = run.invoke(app, ["projects", "add", "--name", "测试项目", "--investor", "某公司", "--park", "sc-a",
                         "--investment", "120", "--id", "C1", "--on", "2025-01-02", "-d", url])
    assert r.exit_code == 0, r.output
    r = run.invoke(app, ["projects", "advance", "C1", "signed", "--on", "2025-02-01", "--version", "1", "-d", url])
    assert r.exit_code == 0 and "签约" in r.output, r.output
    r = run.invoke(app, ["projects", "advance", "C1", "in_production", "--on", "2025-03-01", "--version", "1", "-d", url])
    assert r.exit_code == 1 and "version 2, not 1" in r.output and "Traceback" not in r.output
    r = run.invoke(app, ["projects", "advance", "C1", "negotiating", "--on", "2025-03-01", "-d", url])
    assert r.exit_code == 1 and "does not advance" in r.output.replace("\n", "")
    r = run.invoke(app, ["kpi", "--by", "park", "--as-of", "2025-06-30", "--json", "-d", url])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["rows"][0]["park_id"] == "sc-a" and doc["rows"][0]["n_signed"] == 1
    r = run.invoke(app, ["kpi", "--by", "designation", "--as-of", "2025-06-30", "-d", url])
    assert r.exit_code == 0 and "履约率" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80
    r = run.invoke(app, ["promotion", "plan", "park:sc-a", "--no-targets", "--period", "2025-2026",
                         "--goal", "2025:3:500:100", "-d", url])
    assert r.exit_code == 0 and "plan-sc-a-2025" in r.output, r.output
    r = run.invoke(app, ["projects", "list", "-d", url])
    assert r.exit_code == 0 and "C1" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80
    r = run.invoke(app, ["projects", "export", str(tmp_path / "l.xlsx"), "-d", url])
    assert r.exit_code == 0 and (tmp_path / "l.xlsx").is_file()
    r = run.invoke(app, ["projects", "import", str(tmp_path / "l.xlsx"), "--dry-run", "-d", url])
    assert r.exit_code == 0 and "dry run" in r.output, r.output
    r = run.invoke(app, ["history", "stage_events", "C1:signed", "-d", url])
    assert r.exit_code == 0 and "新建 created" in r.output and "cli projects" in r.output, r.output
