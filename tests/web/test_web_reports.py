"""Report downloads of the web app: ``GET /reports/{kind}/{id}.{format}`` (public read)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


def test_park_brief_pdf_download_is_public_and_cached(ro_client: TestClient, tmp_path: Path) -> None:
    res = ro_client.get("/reports/park/sc-a.pdf")  # no credentials: public read
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/pdf" and res.content.startswith(b"%PDF")
    assert 'filename="park-sc-a.pdf"' in res.headers["content-disposition"]
    fp = res.headers["x-parklink-fingerprint"]
    again = ro_client.get("/reports/park/sc-a.pdf")
    assert again.content == res.content and again.headers["x-parklink-fingerprint"] == fp
    if shutil.which("pdftotext"):
        path = tmp_path / "p.pdf"
        path.write_bytes(res.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "甲园区" in text and "Park A" in text and "Profile" in text
        assert fp in text  # the header names the fingerprint printed in the document


def test_bulletin_xlsx_and_errors(ro_client: TestClient) -> None:
    import openpyxl

    res = ro_client.get("/reports/bulletin/2025q3.xlsx")
    assert res.status_code == 200, res.text
    wb = openpyxl.load_workbook(io.BytesIO(res.content))
    assert {"summary", "status", "designations"} <= set(wb.sheetnames)
    assert ro_client.get("/reports/park/no-such-park.pdf").status_code == 404
    assert ro_client.get("/reports/designation/no-such.html").status_code == 404
    assert ro_client.get("/reports/park/sc-a.docx").status_code == 422
    assert ro_client.get("/reports/bulletin/2025Q7.pdf").status_code == 422


@pytest.mark.parametrize("path", ["/reports/designation/b1-a-b.html"])
def test_designation_brief_html(ro_client: TestClient, path: str) -> None:
    res = ro_client.get(path)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert "<svg" in res.text and "<script" not in res.text and "b1-a-b" in res.text


def test_public_downloads_list_projects_as_the_promotion_api_does(web_url: str) -> None:
    """With the promotion ledger of the promotion web tests (P2 an unsigned lead of cq-b, P3
    signed but unpublished, investor 丙资本 Gamma Capital), anonymous report downloads show the
    KPIs, never the lead and never the unpublished project's investor or name."""
    import openpyxl

    from parklink.web import create_app

    from .promotion_seed import seed_ledger

    seed_ledger(web_url)
    with TestClient(create_app(web_url)) as c:
        bulletin = c.get("/reports/bulletin/2026.xlsx")
        brief = c.get("/reports/park/cq-b.html")
    assert bulletin.status_code == 200 and brief.status_code == 200, brief.text
    wb = openpyxl.load_workbook(io.BytesIO(bulletin.content))
    cells = " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "kpi" in wb.sheetnames and "overdue" in wb.sheetnames
    for secret in ("秘密线索", "Secret lead", "Hidden Investor", "某投资方", "丙资本", "Gamma Capital", "未公开项目丙"):
        assert secret not in cells and secret not in brief.text, secret
    assert "甲汽车扩产" in cells  # P1 is published: named
    assert "未公开 unpublished" in brief.text  # P3 is listed, its name blanked
    kpi = wb["kpi"]
    header = [str(v) for v in next(kpi.iter_rows(max_row=1, values_only=True))]
    signed = sum(int(r[header.index("签约项目\nsigned")]) for r in kpi.iter_rows(min_row=2, values_only=True)
                 if r[0] is not None and r[header.index("签约项目\nsigned")] is not None)
    assert signed == 3  # P1, P3, P4 signed by the end of 2026; P2 is a lead
