"""Reports on a real database: the promotion ledger and the co-construction registries.

``init_default`` (the ``parklink db init`` path) into SQLite and PostgreSQL, then the
hand-made ledger and co-construction records of :mod:`registry_seed` written through their
own writers. The bulletin's KPIs must equal the promotion service's (what ``parklink kpi``
prints) and the hand-computed values; the public documents must not name an unsigned lead or
the investor of an unpublished project; the co-construction figures must equal the
co-construction CLI's.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from parklink.report.data import ReportConfig, read_report_inputs
from parklink.report.render import build_document, render

from .registry_seed import AS_OF, PARK_A, PARK_B, SECRET_NAMES, seed_coconstruction, seed_ledger

POPPLER = shutil.which("pdftotext") is not None
runner = CliRunner()


def _clear_ledger(url: str) -> None:
    """Empty the promotion ledger (the default may seed a synthetic pipeline) so that the
    hand-made ledger is the whole ledger."""
    from sqlalchemy import delete

    from parklink.store import models_promotion as mp
    from parklink.store.db import session_scope

    with session_scope(url) as s:
        for model in (mp.ProjectFund, mp.StageEvent, mp.Project, mp.PlanTarget, mp.PlanGoal, mp.PromotionPlan,
                      mp.PromotionEvent):
            s.execute(delete(model))


def _service_kpis(url: str, as_of: dt.date) -> pd.DataFrame:
    """The KPI table by park as ``parklink kpi --by park`` computes it."""
    from parklink.promotion.service import kpis
    from parklink.store.db import session_scope

    with session_scope(url) as s:
        return kpis(s, by=["park_id"], as_of=as_of).to_frame()


def _sheet(data: bytes, name: str) -> pd.DataFrame:
    """A table sheet of a report workbook as a frame keyed by the column codes (the
    header's first line is the Chinese label, so the codes come from the document)."""
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data))[name]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


KPIS = ("n_signed", "signed_investment_cny_m", "n_started", "n_in_production", "performance_rate", "start_rate",
        "production_rate", "funds_rate")


@pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
def test_bulletin_promotion_kpis_equal_the_kpi_service(db_url: str, tmp_path: Path) -> None:
    from parklink.store.seed import init_default

    init_default(db_url, progress=False)
    none = tmp_path / "no-firms"
    # the default as it is seeded: the section equals the service, or says "no data"
    ri = read_report_inputs(db_url, firm_root=none)
    doc = build_document(ri, "bulletin", "2025")
    default = _service_kpis(db_url, AS_OF)
    kpi = [t for t in doc.tables() if t.key == "kpi"]
    if default["n_projects"].sum() == 0:
        assert not kpi and any("no project ledger" in getattr(b, "reason_en", "") for b in doc.blocks)
    else:
        got = kpi[0].frame.set_index("park_id")
        for col in KPIS:
            assert got[col].tolist() == pytest.approx(default.set_index("park_id")[col].tolist(), nan_ok=True)
    # the hand-made ledger
    _clear_ledger(db_url)
    seed_ledger(db_url)
    ri = read_report_inputs(db_url, firm_root=none)
    office = build_document(ri, "bulletin", "2025")
    public = build_document(ri, "bulletin", "2025", public=True)
    service = _service_kpis(db_url, AS_OF).set_index("park_id")
    xlsx = render(office, "xlsx")
    sheet = _sheet(xlsx, "kpi")
    codes = [c[0] for c in next(t for t in office.tables() if t.key == "kpi").columns]
    sheet.columns = [*codes, *sheet.columns[len(codes):]]
    sheet = sheet.set_index("park_id")
    for col in KPIS:  # the workbook's numbers are the service's numbers
        assert sheet.loc[service.index, col].astype(float).tolist() == pytest.approx(
            service[col].astype(float).tolist(), nan_ok=True), col
    # by hand: A holds P1 (100, 30 in place, not started) and P4 (synthetic, 20); B holds P3
    # (50, started, 50 in place); P2 is an unsigned lead
    assert sheet.loc[PARK_A, "n_signed"] == 2 and sheet.loc[PARK_A, "signed_investment_cny_m"] == 120
    assert sheet.loc[PARK_A, "n_synthetic"] == 1 and sheet.loc[PARK_B, "n_synthetic"] == 0
    assert sheet.loc[PARK_B, "n_started"] == 1 and float(sheet.loc[PARK_B, "funds_rate"]) == pytest.approx(1.0)
    assert float(sheet.loc[PARK_A, "funds_rate"]) == pytest.approx(30 / 120)
    assert float(sheet.loc[PARK_A, "start_rate"]) == 0.0  # P1 was due 2025-06-01
    total = service["funds_in_place_cny_m"].sum() / service["signed_investment_cny_m"].sum()
    assert total == pytest.approx(80 / 170)
    assert any("3 projects were signed" in en and "funds in place 47.1%" in en and "synthetic" in en
               for _zh, en in office.meta["findings"])
    # overdue / stalled: every project in the office's list; the public list drops the lead
    # and blanks the unpublished ones
    overdue = next(t for t in office.tables() if t.key == "overdue").frame
    assert set(overdue["project_id"]) == {"P1", "P2", "P3", "P4"}
    assert set(overdue.loc[overdue["project_id"] == "P1", "alert"]) == {"start_overdue", "stalled"}
    pub = next(t for t in public.tables() if t.key == "overdue").frame
    assert set(pub["project_id"]) == {"P1", "P3", "P4"}
    assert set(pub.loc[pub["project_id"] == "P1", "name_zh"]) == {"甲汽车扩产"}  # published: named
    pdf = _pdf_text(render(public, "pdf"), tmp_path)
    pub_xlsx = render(public, "xlsx")
    import openpyxl

    cells = " ".join(str(c) for ws in openpyxl.load_workbook(io.BytesIO(pub_xlsx)).worksheets
                     for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    for secret in (*SECRET_NAMES, "P2"):
        assert secret not in pdf and secret not in cells, secret
    for text in ("招商引资与重大项目", "甲汽车扩产", "未公开", "合成数据", "synthetic"):
        assert text in pdf, text
    assert "秘密线索" in " ".join(str(c) for ws in openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets
                                 for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    # the ledger is part of the fingerprint
    assert ri.fingerprint(ReportConfig("bulletin", "2025")).registry != read_report_inputs(
        db_url, firm_root=none).inputs.registry_digest()


def test_briefs_list_projects_as_the_public_may_see_them(sqlite_url: str, tmp_path: Path) -> None:
    from parklink.store.seed import init_default

    init_default(sqlite_url, progress=False)
    _clear_ledger(sqlite_url)
    seed_ledger(sqlite_url)
    ri = read_report_inputs(sqlite_url, firm_root=tmp_path / "none")
    as_of = AS_OF.isoformat()
    from parklink.report.briefs import designation_brief, park_brief

    office = next(t for t in park_brief(ri, PARK_B, as_of=as_of).tables() if t.key == "projects").frame
    assert set(office["project_id"]) == {"P2", "P3"} and "秘密线索" in set(office["name"])
    public = next(t for t in park_brief(ri, PARK_B, as_of=as_of, public=True).tables() if t.key == "projects").frame
    assert set(public["project_id"]) == {"P3"} and set(public["name"]) == {"（未公开 unpublished）"}
    from parklink.report.doc import Facts, flat_blocks

    doc = designation_brief(ri, "b1-gaozhu", as_of=as_of, public=True)  # its member: park A (P1, P4)
    facts = {en: v for b in flat_blocks(doc.blocks) if isinstance(b, Facts) for _zh, en, v in b.rows}
    assert facts["Projects"] == "2 · 签约 signed 2 · 合成 synthetic 1"
    assert facts["Funds in place"] == "25%"  # 30 of 120 million CNY
    # the web's public download of a brief takes the same path
    data = render(build_document(ri, "park", PARK_B, public=True), "xlsx")
    assert b"Gamma" not in data


def _cli_json(url: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    from parklink.cli import app
    from parklink.settings import get_settings

    monkeypatch.setenv("PARKLINK_DATABASE_URL", url)
    get_settings.cache_clear()
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.output)
    return out


def test_coconstruction_counts_equal_the_coconstruction_cli(sqlite_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.store.seed import init_default
    from parklink.vocab import PIP_MODE_NAMES, label

    init_default(sqlite_url, progress=False)
    none = tmp_path / "none"
    empty = build_document(read_report_inputs(sqlite_url, firm_root=none), "bulletin", "2025")
    reasons = {getattr(b, "reason_en", "") for b in empty.blocks}
    assert "no smart-manufacturing record" not in reasons  # the default's published totals are shown
    assert "no R&D or design platform recorded" in reasons
    seed_coconstruction(sqlite_url)
    doc = build_document(read_report_inputs(sqlite_url, firm_root=none), "bulletin", "2025")
    tables = {t.key: t.frame for t in doc.tables()}
    pips = _cli_json(sqlite_url, ["parks-in-park", "list"], monkeypatch)["rows"]
    assert isinstance(pips, list)
    assert sorted(tables["parks_in_park"]["pip_id"]) == sorted(r["pip_id"] for r in pips)
    by_mode = pd.Series([label(PIP_MODE_NAMES, r["mode"]) if r["mode"] else "未说明 not stated" for r in pips])
    assert tables["parks_in_park"]["mode_label"].value_counts().sort_index().to_dict() == \
        by_mode.value_counts().sort_index().to_dict()
    smart = _cli_json(sqlite_url, ["smart", "indicators", "--year", "2025"], monkeypatch)
    rows = smart["rows"]
    assert isinstance(rows, list)
    cli = pd.DataFrame(rows).set_index("park_id")
    mine = tables["smart"].set_index("park_id")
    assert sorted(mine.index) == sorted(cli.index) == sorted([PARK_A, PARK_B])
    for col in ("digital_workshops", "intelligent_factories"):
        assert mine[col].to_dict() == cli[col].to_dict(), col
    assert mine.loc[PARK_A, "tier_advanced"] == 1 and mine.loc[PARK_B, "digital_workshops"] == 1  # by hand
    assert (mine.loc[PARK_A, ["list_national", "list_provincial", "list_municipal"]].tolist() == [1, 1, 0]
            and mine.loc[PARK_B, ["list_national", "list_provincial", "list_municipal"]].tolist() == [0, 0, 1])
    published = tables["smart_published"]
    assert len(published) == 13 and "≥1200" in set(published["value"])  # as published, qualifier kept
    text = " ".join(zh + en for zh, en in doc.meta["findings"])
    assert "3 smart-manufacturing recognitions" in text and "1 platform" in text


@pytest.mark.slow
def test_platform_coverage_equals_the_platforms_cli(sqlite_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.report.cocon import coconstruction_section
    from parklink.report.data import parse_period
    from parklink.settings import get_settings
    from parklink.store.seed import init_default

    firms = get_settings().data_dir / "firms"  # where the CLI looks for the firm data
    init_default(sqlite_url, firm_root=firms, n_firms=3000, n_transactions=30_000, progress=False)
    seed_coconstruction(sqlite_url)
    ri = read_report_inputs(sqlite_url, firm_root=firms)
    blocks, facts = coconstruction_section(ri, parse_period("2025"))
    table = next(b for b in blocks if getattr(b, "key", "") == "platform_gaps").frame  # type: ignore[attr-defined]
    cli = _cli_json(sqlite_url, ["platforms", "gaps"], monkeypatch)
    assert (facts["platform_gaps"], facts["platform_covered"]) == (cli["gaps"], cli["covered"])
    rows = pd.DataFrame(cli["rows"])
    per_chain = rows.groupby("chain").agg(gaps=("segment_id", "size"), covered=("platform_id",
                                                                                 lambda s: int(s.notna().sum())))
    got = table.set_index("chain")[["gaps", "covered"]].astype(int)
    assert got.sort_index().to_dict() == per_chain.sort_index().astype(int).to_dict()
    assert set(got.index) - {"auto"} == set(got.index[got["covered"] == 0])  # PF1 serves the auto chain only


@pytest.mark.parametrize("text", ["0000", "1999", "2101Q1", "９９９９", "２０２５", "2025Q5", "2025-13", "x"])
def test_period_outside_the_years_or_not_ascii_is_a_validation_error(text: str) -> None:
    """A period names an ASCII year 2000–2100 (schemathesis found year 0 → a server error)."""
    from parklink.errors import ValidationError
    from parklink.report.data import parse_period

    with pytest.raises(ValidationError, match=r"period|报告期"):
        parse_period(text)
