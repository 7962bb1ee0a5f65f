"""HTML rendering of a report document: one self-contained page (inline CSS and SVG, no script).

The same blocks and the same chart SVGs as the PDF; print CSS gives an A4 page. It is the
``--format html`` output and the input of the benchmark's headless-Chromium baseline
(``bench/reports.py``), which prints this page to PDF.
"""

from __future__ import annotations

import html

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

__all__ = ["render_html"]

_CSS = """
@page { size: A4; margin: 1.5cm }
body { font-family: 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif; font-size: 10pt; color: #1a202c;
       max-width: 60rem; margin: 1rem auto; padding: 0 1rem }
.compact { font-size: 7.5pt }
h1 { font-size: 1.7em; color: #1a365d; margin: 0 } .sub { color: #555 } .en { color: #555 }
h2 { font-size: 1.3em; color: #1a365d; margin: 1.1em 0 .4em } h3 { font-size: 1.1em; margin: .7em 0 .3em }
table { border-collapse: collapse; font-size: .86em; margin: .3em 0; width: 100% }
th, td { border: .3pt solid #a0aec0; padding: 2px 4px; vertical-align: top } th { background: #edf2f7 }
.scroll { overflow-x: auto } .nodata { background: #f7fafc; padding: 5px } .note, footer { color: #555; font-size: .8em }
.row { display: grid; gap: .8em } svg { max-width: 100%; height: auto }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3em .8em; margin: .3em 0 } dt { font-weight: bold }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _block(b: Block) -> str:
    if isinstance(b, Heading):
        tag = "h2" if b.level == 1 else "h3"
        return f'<{tag}>{_e(b.zh)} <span class="en">{_e(b.en)}</span></{tag}>'
    if isinstance(b, Para):
        return f'<p>{_e(b.zh)}<br><span class="en">{_e(b.en)}</span></p>'
    if isinstance(b, Bullets):
        items = "".join(f'<li>{_e(zh)}<br><span class="en">{_e(en)}</span></li>' for zh, en in b.items)
        return f"<ol>{items}</ol>"
    if isinstance(b, Facts):
        rows = "".join(f'<dt>{_e(zh)} <span class="en">{_e(en)}</span></dt><dd>{_e(v)}</dd>' for zh, en, v in b.rows)
        return f"<dl>{rows}</dl>"
    if isinstance(b, Table):
        head = "".join(f'<th>{_e(zh)}<br><span class="en">{_e(en)}</span></th>' for _c, zh, en in b.columns)
        body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>" for cells in b.printed())
        more = (f'<p class="note">… 另有 {len(b.frame) - b.max_rows} 行 — {len(b.frame) - b.max_rows} more rows</p>'
                if len(b.frame) > b.max_rows else "")
        note = f'<p class="note">{_e(b.note)}</p>' if b.note else ""
        return (f"<h4>{_e(b.title_zh)} <span class=\"en\">{_e(b.title_en)}</span></h4>"
                f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}{note}')
    if isinstance(b, Figure):
        return f'<figure style="margin:.4em 0;max-width:{b.width_cm}cm">{b.svg}</figure>'
    if isinstance(b, NoData):
        return f'<p class="nodata"><b>暂无数据</b> <span class="en">no data</span> — {_e(b.reason_zh)} / {_e(b.reason_en)}</p>'
    if isinstance(b, Row):
        widths = " ".join(f"{w}fr" for w in (b.widths or (1.0,) * len(b.cells)))
        cells = "".join("<div>" + "".join(_block(x) for x in cell) + "</div>" for cell in b.cells)
        return f'<div class="row" style="grid-template-columns:{widths}">{cells}</div>'
    raise TypeError(f"unknown block {type(b).__name__}")


def render_html(doc: Document) -> str:
    """The document as a self-contained HTML page."""
    body = "".join(_block(b) for b in doc.blocks)
    synthetic = " · 含合成数据 contains synthetic data" if doc.synthetic else ""
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{_e(doc.title_zh)} {_e(doc.title_en)}</title>'
            f'<style>{_CSS}</style></head><body class="{"compact" if doc.one_page else ""}">'
            f'<h1>{_e(doc.title_zh)}</h1><p class="sub">{_e(doc.title_en)}<br>{_e(doc.subtitle)}</p>{body}'
            f"<footer>{_e(doc.as_of)} · 指纹 fingerprint {_e(doc.fingerprint)} · {_e(doc.data_version)}{synthetic}"
            "</footer></body></html>")
