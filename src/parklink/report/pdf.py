"""PDF rendering of a report document through Typst (the ``typst`` Python package).

No browser and no network: the document becomes JSON (:func:`document_json`), the SVG of
each figure a separate input, and one static Typst template (``report.typ``) lays them out
(A4; a compact single-page layout for briefs). The CJK font is passed to Typst as a font
directory (:func:`parklink.report.fonts.cjk_font`) and system fonts are ignored, so the
output does not depend on what else is installed.

Determinism: the document date and Typst's clock are the report's as-of date (never the
time of the run), fonts are fixed, and the figures are deterministic SVG — the same
document gives byte-identical PDF bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from importlib import resources
from typing import Any

from parklink.report.doc import (
    Block,
    Bullets,
    Document,
    Facts,
    Figure,
    Heading,
    NoData,
    Para,
    Row,
    Table,
)
from parklink.vocab import REPORT_KIND_NAMES, label

__all__ = ["document_json", "render_pdf"]

_LOCK = threading.Lock()


@functools.cache
def _template() -> bytes:
    return resources.files("parklink.report").joinpath("report.typ").read_bytes()


@functools.cache
def _compiler() -> Any:
    import typst

    from parklink.report.fonts import cjk_font

    return typst.Compiler(font_paths=[str(cjk_font().directory)], ignore_system_fonts=True)


def _block(b: Block, svgs: dict[str, str]) -> dict[str, Any]:
    if isinstance(b, Heading):
        return {"t": "h", "zh": b.zh, "en": b.en, "level": b.level}
    if isinstance(b, Para):
        return {"t": "p", "zh": b.zh, "en": b.en}
    if isinstance(b, Bullets):
        return {"t": "ul", "items": [list(i) for i in b.items]}
    if isinstance(b, Facts):
        return {"t": "facts", "rows": [list(r) for r in b.rows]}
    if isinstance(b, Table):
        rows = b.printed()
        return {"t": "table", "title_zh": b.title_zh, "title_en": b.title_en, "note": b.note,
                "headers": [[zh, en] for _c, zh, en in b.columns], "rows": rows or [["—"] * len(b.columns)],
                "more": max(len(b.frame) - b.max_rows, 0)}
    if isinstance(b, Figure):
        key = f"svg-{len(svgs)}"
        svgs[key] = b.svg
        return {"t": "fig", "svg": key, "width": b.width_cm, "title_zh": b.title_zh, "title_en": b.title_en}
    if isinstance(b, NoData):
        return {"t": "nodata", "zh": b.reason_zh, "en": b.reason_en}
    if isinstance(b, Row):
        widths = list(b.widths) or [1.0] * len(b.cells)
        return {"t": "row", "widths": widths, "cells": [[_block(x, svgs) for x in cell] for cell in b.cells]}
    raise TypeError(f"unknown block {type(b).__name__}")


def document_json(doc: Document) -> tuple[str, dict[str, str]]:
    """The document as the template's JSON input, and the figures' SVG inputs by key."""
    from parklink.report.fonts import cjk_font

    svgs: dict[str, str] = {}
    day = dt.date.fromisoformat(doc.as_of[:10])
    payload = {
        "title_zh": doc.title_zh, "title_en": doc.title_en, "subtitle": doc.subtitle,
        "kind_label": label(REPORT_KIND_NAMES, doc.kind), "as_of": doc.as_of, "fingerprint": doc.fingerprint,
        "data_version": doc.data_version, "synthetic": doc.synthetic, "one_page": doc.one_page,
        "date": [day.year, day.month, day.day], "font": cjk_font().family,
        "blocks": [_block(b, svgs) for b in doc.blocks],
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True), svgs


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (deterministic; see the module docstring)."""
    data, svgs = document_json(doc)
    day = dt.date.fromisoformat(doc.as_of[:10])
    stamp = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    with _LOCK:
        out = _compiler().compile(input=_template(), format="pdf", sys_inputs={"doc": data, **svgs}, timestamp=stamp)
    assert isinstance(out, bytes)
    return out
