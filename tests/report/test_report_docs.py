"""Reports: content from a hand-made bundle, deterministic PDF (Typst) and Excel outputs."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from parklink.errors import NotFoundError, ValidationError
from parklink.inputs import KINDS, Inputs, embedded_inputs
from parklink.report.bulletin import bulletin_document
from parklink.report.charts import Chart, Series, chart_svg
from parklink.report.data import ReportInputs, parse_period
from parklink.report.doc import Bullets, NoData
from parklink.report.findings import BulletinFacts, findings
from parklink.report.pdf import render_pdf
from parklink.report.xlsx import render_xlsx

POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None


def _bundle() -> Inputs:
    """The embedded regions, zones, parks and hubs with five hand-picked parks designated in
    three designations and the 10/15/20 targets; no firm dataset."""
    base = embedded_inputs(firm_root=Path("/nonexistent"))
    frames = {k: base.frame(k) for k in KINDS}
    parks = frames["parks"]
    ids = [str(p) for p in parks.loc[parks["parent_park_id"].isna(), "park_id"].head(5)]
    des = frames["designations"].head(0).copy()
    rows = [
        {"designation_id": "d1", "batch": 1, "year": 2020, "members": f"{ids[0]};{ids[1]}", "unknown_members": 0,
         "theme_chains": "auto", "mode": None, "confidence": "confirmed"},
        {"designation_id": "d2", "batch": 2, "year": 2022, "announced": dt.date(2022, 11, 30),
         "members": f"{ids[2]};{ids[3]}", "unknown_members": 0,
         "theme_chains": "electronics", "mode": None, "confidence": "confirmed"},
        {"designation_id": "d3", "batch": 3, "year": 2025, "members": ids[4], "unknown_members": 1,
         "theme_chains": "biomed", "mode": None, "confidence": "likely"},
    ]
    frames["designations"] = pd.concat([des, pd.DataFrame(rows)], ignore_index=True)
    frames["targets"] = pd.DataFrame({"year": [2020, 2022, 2025], "cumulative_parks": [10, 15, 20],
                                      "note": [None] * 3, "source_url": [None] * 3, "confidence": ["confirmed"] * 3})
    # a "database" bundle: no optional registry, no promotion ledger unless a test adds one
    return Inputs(MappingProxyType(frames), "database", "test:1", "test", None)


@pytest.fixture(scope="module")
def bundle() -> ReportInputs:
    return ReportInputs(_bundle())


def test_period_forms() -> None:
    assert parse_period("2025").start == dt.date(2025, 1, 1)
    q = parse_period("2025q3")
    assert (q.kind, q.start, q.end, q.label) == ("quarter", dt.date(2025, 7, 1), dt.date(2025, 9, 30), "2025Q3")
    m = parse_period("2024-02")
    assert (m.start, m.end, m.label) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02")
    for bad in ("2025Q5", "2025-13", "twenty"):
        with pytest.raises(ValidationError):
            parse_period(bad)


def test_findings_are_computed_from_the_bundle(bundle: ReportInputs) -> None:
    # by 2025: named members d1 (2) + d2 (2) + d3 (1) + 1 unnamed = 6 parks in 3 designations;
    # target 20 → 14 short; 2025 added d3 naming one park
    doc = bulletin_document(bundle, parse_period("2025"))
    sentences = doc.meta["findings"]
    assert 5 <= len(sentences) <= 8
    zh, en = sentences[0]
    assert "累计认定示范园区6个（3个示范单元）" in zh and "尚差14个" in zh
    assert "6 demonstration parks (3 designations)" in en and "14 short of the cumulative 2025 target of 20" in en
    assert sentences[1] == ["报告期2025新认定1个示范单元，涉及具名园区1个。",
                            "1 designation naming 1 park was announced in 2025."]
    parks = bundle.inputs.frame("parks").set_index("park_id")
    named = [m for d in bundle.inputs.frame("designations")["members"] for m in d.split(";")]
    sc = sum(parks.at[m, "province"] == "SC" for m in named)
    assert (f"Of the named designated parks, {sc} are in Sichuan and {5 - sc} in Chongqing.") in [e for _z, e in sentences]
    # in 2022: 4 parks in 2 designations against 15
    zh22, en22 = bulletin_document(bundle, parse_period("2022Q4")).meta["findings"][0]
    assert "累计认定示范园区4个（2个示范单元）" in zh22 and "尚差11个" in zh22
    assert "4 demonstration parks" in en22
    # a quarter: "new" follows the announcement date (d2 announced 2022-11-30 falls in 2022Q4)
    q4 = bulletin_document(bundle, parse_period("2022Q4")).meta["findings"][1]
    assert q4[1] == "1 designation naming 2 parks was announced in 2022Q4."
    q3 = bulletin_document(bundle, parse_period("2022Q3")).meta["findings"][1]
    assert q3[1] == "No designation was announced in 2022Q3."
    # sections without data say so
    no_data = [b for b in doc.blocks if isinstance(b, NoData)]
    # (the embedded co-construction registries hold parks in the park and published totals,
    # no platform and no recognition)
    assert {b.reason_en for b in no_data} >= {"no project ledger in the database", "no R&D or design platform recorded"}
    tables = {t.key: t.frame for t in doc.tables()}
    assert len(tables["parks_in_park"]) == len(bundle.inputs.frame("parks_in_park")) and "smart" not in tables
    assert any(isinstance(b, Bullets) for b in doc.blocks)


def test_findings_rules_by_hand() -> None:
    f = BulletinFacts(period="2023", year=2023, designated_parks=22, designations=11, target_year=2025,
                      target_parks=20, new_designations=0, new_parks=0, chains_year_from=2021, chains_year_to=2023,
                      delta_lsr_from=0.30, delta_lsr_to=0.25, weakest_chain="生物医药 Biomedicine",
                      weakest_completeness=0.5, n_signed=4, performance_rate=0.75, funds_rate=None, n_overdue=2,
                      source_note="test")
    out = findings(f)
    assert out[0][1].endswith("meeting the cumulative 2025 target of 20 (by 2).")
    assert "fell from 30.0% in 2021 to 25.0% in 2023 (-5.0 points)" in out[2][1]
    assert "下降" in out[2][0]
    assert out[3][1].startswith("The least complete chain is Biomedicine (mean completeness 50.0%)")
    assert out[4][1] == ("At the end of the period 4 projects were signed, performance rate 75.0%; 2 projects need "
                         "follow-up (start or production overdue, or stalled).")
    assert len(out) == 5  # no province split, no zones; the source note fills the fifth


def test_promotion_section_uses_the_ledger(bundle: ReportInputs) -> None:
    from parklink.promotion.pipeline import PROMOTION_KINDS, frames_of
    from parklink.report.data import ReportConfig
    from parklink.tables import schema

    # two signed projects (100 and 300 million CNY), one started; 150 million in place
    park = str(bundle.inputs.frame("parks")["park_id"].iloc[0])
    frames = {k: pd.DataFrame(columns=list(schema(k).names)) for k in PROMOTION_KINDS}
    frames["projects"] = pd.DataFrame([
        {"project_id": p, "name_zh": p, "park_id": park, "chain": "auto", "origin_country": "CN",
         "origin_province": "SC", "event_id": None, "signed_investment_cny_m": inv, "planned_start": start,
         "planned_production": None, "synthetic": False, "confidence": "confirmed", "source_url": "https://x.org"}
        for p, inv, start in (("p1", 100.0, dt.date(2025, 3, 1)), ("p2", 300.0, dt.date(2025, 12, 1)))])
    frames["stage_events"] = pd.DataFrame({"project_id": ["p1", "p1", "p2"],
                                           "stage": ["signed", "construction_started", "signed"],
                                           "on_date": [dt.date(2025, 1, 5), dt.date(2025, 4, 1), dt.date(2025, 2, 1)]})
    frames["project_funds"] = pd.DataFrame({"project_id": ["p1"], "on_date": [dt.date(2025, 5, 1)],
                                            "amount_cny_m": [150.0]})
    registry = {k: bundle.inputs.frame(k) for k in ("parks", "designations", "zones", "regions")}
    ri = ReportInputs(bundle.inputs, frames_of(frames, registry))
    doc = bulletin_document(ri, parse_period("2025Q3"))
    kpi = next(t for t in doc.tables() if t.key == "kpi")
    row = kpi.frame.iloc[0]
    assert int(row["n_signed"]) == 2 and int(row["n_started"]) == 1 and int(row["n_synthetic"]) == 0
    assert row["funds_rate"] == pytest.approx(150 / 400)
    assert row["start_rate"] == pytest.approx(1.0)  # only p1 was planned to start by 30 September
    assert any("2 projects were signed" in en and "funds in place 37.5%" in en for _zh, en in doc.meta["findings"])
    cfg = ReportConfig("bulletin", "2025Q3")
    assert ri.fingerprint(cfg).digest != bundle.fingerprint(cfg).digest  # the ledger is in the fingerprint


def test_chart_svg_is_deterministic() -> None:
    c = Chart("t", "bar", "示范园区", "Parks", ("2020", "2022"), (Series("已认定", "designated", (20.0, 38.0)),
                                                                  Series("目标", "target", (10.0, 15.0), "line")))
    a, b = chart_svg(c), chart_svg(c)
    assert a == b and a.startswith("<?xml") and "<dc:date>" not in a


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) not installed")
def test_bulletin_pdf_is_byte_identical_and_readable(bundle: ReportInputs, tmp_path: Path) -> None:
    period = parse_period("2025")
    pdf = render_pdf(bulletin_document(bundle, period))
    again = render_pdf(bulletin_document(ReportInputs(_bundle()), period))  # a fresh bundle, same inputs
    assert pdf.startswith(b"%PDF") and pdf == again
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    for heading in ("摘要", "Executive summary", "建设进度与目标", "Status vs targets", "示范园区认定", "Designations",
                    "招商引资与重大项目", "Investment promotion", "暂无数据", "no data", "示范园区分布图", "Programme map"):
        assert heading in text, heading
    assert "尚差14个" in text.replace(" ", "")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "2025" in next(line for line in info.splitlines() if line.startswith("CreationDate"))


def test_bulletin_xlsx_has_sheets_and_native_charts(bundle: ReportInputs) -> None:
    import openpyxl

    data = render_xlsx(bulletin_document(bundle, parse_period("2025")))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert {"summary", "status", "designations", "chart_status"} <= set(wb.sheetnames)
    charts = {ws.title: len(ws._charts) for ws in wb.worksheets}
    assert charts["chart_status"] == 1 and charts["status"] == 0
    ws = wb["status"]
    header = [c.value for c in ws[1]]
    assert header[0] == "年份\nyear"
    years = [r[0].value for r in ws.iter_rows(min_row=2, max_row=4)]
    assert years == [2020, 2022, 2025]
    assert str(ws.cell(row=6, column=1).value).startswith("目标出自")  # the table's note below it
    des = wb["designations"]
    assert des.max_row == 4  # header + 3 designations


@pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
def test_park_brief_is_one_page_with_headings(bundle: ReportInputs, tmp_path: Path) -> None:
    from parklink.report.briefs import designation_brief, park_brief

    pid = str(bundle.inputs.frame("designations")["members"].iloc[0]).split(";")[0]
    doc = park_brief(bundle, pid)
    path = tmp_path / "p.pdf"
    path.write_bytes(render_pdf(doc))
    assert render_pdf(park_brief(bundle, pid)) == path.read_bytes()  # deterministic
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    for heading in ("园区简报", "park brief", "概况", "Profile", "评价", "Evaluation", "排名区间", "Rank interval",
                    "可达性", "Accessibility", "项目", "Projects", "d1"):
        assert heading in text, heading
    with pytest.raises(NotFoundError, match="unknown park id"):
        park_brief(bundle, "no-such-park")
    with pytest.raises(NotFoundError, match="unknown designation id"):
        designation_brief(bundle, "no-such-designation")
    d = designation_brief(bundle, "d1")
    assert d.one_page and d.title_en == "Designation d1: brief"


def test_map_inset_without_a_located_park_is_a_no_data_note(bundle: ReportInputs) -> None:
    """A brief's inset for a park or designation with no located park says so instead of
    failing (found by the stateful Schemathesis run: a designation whose parks have no points)."""
    from parklink.report.bulletin import map_figure
    from parklink.report.doc import Figure, NoData

    assert isinstance(map_figure(bundle, width=300, legend=False), Figure)
    note = map_figure(bundle, width=300, focus_park="no-such-park", legend=False)
    assert isinstance(note, NoData)
    assert "no located park" in note.reason_en
    assert isinstance(map_figure(bundle, width=300, focus_designation="no-such-designation", legend=False), NoData)
