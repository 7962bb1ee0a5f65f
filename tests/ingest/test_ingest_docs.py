"""The import/export guide carries the generated schema tables, identical to the schemas."""

from __future__ import annotations

from pathlib import Path

from parklink.ingest.docs import END, START, schema_markdown
from parklink.tables import SCHEMAS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-export.md"


def test_doc_section_matches_the_schemas() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + schema_markdown(), (
        "docs/import-export.md is stale: run python -m parklink.ingest.docs docs/import-export.md"
    )


def test_every_column_of_every_kind_is_documented() -> None:
    text = schema_markdown()
    for kind, schema in SCHEMAS.items():
        assert f"### `{kind}`" in text
        block = text.split(f"### `{kind}`", 1)[1].split("### ", 1)[0]
        for col in schema.columns:
            assert f"| `{col.name}` |" in block
        for col in schema.columns:
            for choice in col.choices or ():
                assert f"`{choice}`" in block
