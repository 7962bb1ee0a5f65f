"""One entry point for the report kinds and formats (CLI, web routes, benchmark).

:func:`build_document` computes a report's document from the inputs; :func:`render`
turns it into ``pdf`` (Typst), ``xlsx`` (XlsxWriter) or ``html`` bytes; :func:`write`
writes them atomically (a partial file is never left under the target name).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from parklink.errors import ValidationError
from parklink.report.data import ReportInputs, parse_period
from parklink.report.doc import Document

__all__ = ["FORMATS", "MEDIA_TYPES", "Format", "build_document", "render", "write"]

Format = Literal["pdf", "xlsx", "html"]
FORMATS: tuple[str, ...] = get_args(Format)
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def check_format(fmt: str) -> Format:
    """``fmt`` when it is a known format, else ValidationError naming the choices."""
    if fmt not in FORMATS:
        raise ValidationError.single("--format", f"unknown format; expected one of {', '.join(FORMATS)} "
                                     "(格式：pdf、xlsx 或 html)", value=fmt, column="format")
    return fmt  # type: ignore[return-value]


def build_document(ri: ReportInputs, kind: str, target: str = "", *,
                   progress: Callable[[str], None] | None = None, public: bool = False) -> Document:
    """The document of report ``kind``: ``bulletin`` (``target`` = period), ``park`` /
    ``designation`` (``target`` = id) or ``next_batch`` (``target`` = programme year);
    ``public`` lists projects only as the promotion API shows them to the public (the web's
    anonymous downloads)."""
    step = progress or (lambda _s: None)
    if kind == "bulletin":
        from parklink.report.bulletin import bulletin_document

        return bulletin_document(ri, parse_period(target), progress=step, public=public)
    if kind == "park":
        from parklink.report.briefs import park_brief

        return park_brief(ri, target, public=public)
    if kind == "designation":
        from parklink.report.briefs import designation_brief

        return designation_brief(ri, target, public=public)
    if kind == "next_batch":
        from parklink.report.nextbrief import next_batch_brief

        try:
            year = int(target or 2025)
        except ValueError:
            raise ValidationError.single("--year", "expected a year", value=target, column="year") from None
        return next_batch_brief(ri, year=year)
    raise ValidationError.single("report", "unknown report kind; expected bulletin, park, designation or next_batch",
                                 value=kind)


def render(doc: Document, fmt: str) -> bytes:
    """The document in ``fmt`` (pdf, xlsx or html) as bytes."""
    f = check_format(fmt)
    if f == "pdf":
        from parklink.report.pdf import render_pdf

        return render_pdf(doc)
    if f == "xlsx":
        from parklink.report.xlsx import render_xlsx

        return render_xlsx(doc)
    from parklink.report.htmldoc import render_html

    return render_html(doc).encode("utf-8")


def write(data: bytes, out: Path) -> Path:
    """Write ``data`` to ``out`` atomically (temporary file in the same folder, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
