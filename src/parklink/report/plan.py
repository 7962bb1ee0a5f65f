"""The plan document: an ordered list of sections with metadata, and its JSON form.

:class:`Plan` is what ``parklink plan`` produces (:func:`parklink.plan.build_plan`) and
what ``plan.json`` / ``plan.html`` render. Every table of ``plan.json`` has a stable
``key`` (``<section>.<table>``) and its rows carry ids (``park_id``, ``designation_id``,
``zone_id`` ...) besides labels; analysis sections carry the inputs fingerprint in their
summary.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from parklink.report.section import Section, SectionTable

Lang = Literal["zh", "en"]


def table_key(section: Section, table: SectionTable) -> str:
    """The stable key of a plan table: ``<section key>.<table key>``; a table without an
    explicit key gets the slug of its English title."""
    own = table.key or re.sub(r"[^a-z0-9]+", "_", table.title_en.lower()).strip("_")
    return f"{section.key}.{own}"


@dataclass(frozen=True)
class Plan:
    """The programme plan: metadata and an ordered list of sections."""

    generated_at: str
    database: str
    version: str
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    inputs: dict[str, Any] = field(default_factory=dict)
    #: Inline SVG figures of the HTML briefing by name (``programme``: the programme map);
    #: not part of ``plan.json``.
    maps: dict[str, str] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        """The section called ``key``."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view: metadata, each section's summary and tables as records."""
        return {
            "generated_at": self.generated_at,
            "database": self.database,
            "parklink_version": self.version,
            "warnings": list(self.warnings),
            "inputs": _jsonable(self.inputs),
            "sections": [
                {
                    "key": s.key,
                    "title_zh": s.title_zh,
                    "title_en": s.title_en,
                    "synthetic": s.synthetic,
                    "summary": _jsonable(s.summary),
                    "notes": list(s.notes),
                    "tables": [
                        {
                            "key": table_key(s, tb),
                            "title_zh": tb.title_zh,
                            "title_en": tb.title_en,
                            "note": tb.note,
                            "columns": [str(c) for c in tb.frame.columns],
                            "rows": _jsonable(tb.frame.to_dict("records")),
                        }
                        for tb in s.tables
                    ],
                }
                for s in self.sections
            ],
        }


    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The plan back from its JSON form (:meth:`to_dict`): sections, tables as frames
        (column order kept), warnings and inputs; used to re-render ``plan.html`` from a
        ``plan.json`` without recomputing."""
        sections = []
        for s in data.get("sections", []):
            tables = []
            for tb in s.get("tables", []):
                frame = pd.DataFrame.from_records(tb.get("rows", []), columns=tb.get("columns") or None)
                own = str(tb.get("key", "")).split(".", 1)[-1]
                tables.append(SectionTable(tb["title_zh"], tb["title_en"], frame, tb.get("note", ""), own))
            sections.append(Section(s["key"], s["title_zh"], s["title_en"], dict(s.get("summary") or {}),
                                    tuple(tables), tuple(s.get("notes") or ()), bool(s.get("synthetic"))))
        return cls(generated_at=str(data.get("generated_at", "")), database=str(data.get("database", "")),
                   version=str(data.get("parklink_version", "")), sections=tuple(sections),
                   warnings=tuple(data.get("warnings") or ()), inputs=dict(data.get("inputs") or {}))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value
