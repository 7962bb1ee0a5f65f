"""``parklink report ...`` on the default (embedded / SQLite) and on PostgreSQL."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parklink.cli import app

runner = CliRunner()
POPPLER = shutil.which("pdftotext") is not None


def test_report_commands_write_files_and_report_user_errors(tmp_path: Path) -> None:
    out = tmp_path / "bulletin.xlsx"
    res = runner.invoke(app, ["report", "bulletin", "--period", "2025Q3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "fingerprint" in res.output and out.read_bytes()[:2] == b"PK"  # xlsx chosen from the suffix
    res = runner.invoke(app, ["report", "park", "no-such-park", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "unknown park id 'no-such-park'" in res.output
    assert not (tmp_path / "x.pdf").exists()
    res = runner.invoke(app, ["report", "bulletin", "--period", "2025Q9"])
    assert res.exit_code == 1 and "2025Q3" in res.output
    res = runner.invoke(app, ["report", "designation", "b1-gaozhu", "--format", "docx"])
    assert res.exit_code == 1 and "pdf, xlsx, html" in res.output
    html = tmp_path / "d.html"
    res = runner.invoke(app, ["report", "designation", "b1-gaozhu", "--out", str(html)])
    assert res.exit_code == 0, res.output
    text = html.read_text(encoding="utf-8")
    assert "<svg" in text and "示范单元简报" in text and "<script" not in text


@pytest.mark.postgres
@pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
def test_designation_brief_and_bulletin_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    import openpyxl

    from parklink.report.data import read_report_inputs
    from parklink.report.render import build_document, render
    from parklink.store.seed import init_default

    firms = tmp_path / "firms"
    init_default(pg_url, firm_root=firms, n_firms=3000, n_transactions=30_000, progress=False)
    ri = read_report_inputs(pg_url, firm_root=firms)
    assert ri.inputs.source == "database" and ri.inputs.data_version.startswith("db:")
    doc = build_document(ri, "designation", "b1-gaozhu")
    pdf = render(doc, "pdf")
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ("示范单元简报", "Profile", "产业链", "Top gaps and actions", "First investment targets", doc.fingerprint):
        assert heading in text, heading
    bulletin = build_document(ri, "bulletin", "2025")
    wb = openpyxl.load_workbook(io.BytesIO(render(bulletin, "xlsx")))
    assert {"summary", "status", "designations", "chains", "chart_delta_lsr"} <= set(wb.sheetnames)
    assert len(wb["chart_delta_lsr"]._charts) == 1
