"""Validated import and export of every kind of table (导入导出).

Bad input is the normal case: files are read as text, validated against
:data:`parklink.tables.SCHEMAS` and the registry, and rejected with every problem named
(file, row, column, value, reason) — or stored all at once. See ``docs/import-export.md``.
"""

from parklink.ingest.api import (
    ImportReport,
    Mode,
    export_file,
    import_file,
    validate_file,
    write_problems,
)
from parklink.ingest.docs import schema_markdown
from parklink.ingest.geo import ProvinceArea, default_area
from parklink.ingest.readers import TextTable, read_text_table
from parklink.ingest.validate import Checked, validate_table

__all__ = [
    "Checked",
    "ImportReport",
    "Mode",
    "ProvinceArea",
    "TextTable",
    "default_area",
    "export_file",
    "import_file",
    "read_text_table",
    "schema_markdown",
    "validate_file",
    "validate_table",
    "write_problems",
]
