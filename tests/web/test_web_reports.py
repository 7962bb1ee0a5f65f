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
