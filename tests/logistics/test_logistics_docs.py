"""Every parameter is documented with its current value in docs/logistics.md (Datasette-style)."""

from __future__ import annotations

from pathlib import Path

from parklink.logistics.params import Parameters

DOC = Path(__file__).resolve().parents[2] / "docs" / "logistics.md"


def test_parameter_table_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for r in Parameters().to_frame().itertuples():
        row = f"| {r.name_zh} {r.name_en} | {r.mode} | {r.cargo} | {r.value:g} | {r.unit} |"
        assert row in text, f"undocumented or stale parameter row: {row}"
