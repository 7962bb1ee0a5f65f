"""Benchmark: the programme bulletin PDF and all park briefs, Typst vs headless Chromium.

    PARKLINK_DATA_DIR=/path/with/db python bench/reports.py [--period 2025] [--parks N]
        [--only bulletin|briefs] [--no-chromium] [--cold]

The data dir must hold a registry and the synthetic firm dataset (``parklink db init``).
Targets (issue 17): the bulletin PDF ≤ 10 s and the briefs of all parks (68) ≤ 60 s on 2
cores. In the same run the same documents are rendered to PDF by headless Chromium
(``/usr/bin/chromium`` through Playwright, ``page.set_content`` + ``page.pdf``) from their
HTML form (:func:`parklink.report.htmldoc.render_html`: the same blocks and the same SVG
charts and maps) — the baseline a browser-based report pipeline would use.

Timings (wall, and CPU of this process; Chromium runs in its own processes, so its CPU is
not in ours):

* ``content``  — reading the registry and computing the document (analyses, charts, map):
  shared by both pipelines;
* ``typst``    — rendering the documents to PDF with Typst;
* ``chromium`` — rendering their HTML to PDF in Chromium (browser start counted apart; the
  briefs: the first ``--chromium-briefs`` (20) printed and scaled linearly to all, to keep the
  run under 3 minutes);
* ``total``    — content + render, what ``parklink report`` costs (imports excluded; they
  are printed apart).

``--only bulletin`` times the bulletin alone (its Chromium baseline included unless
``--no-chromium``); ``--cold`` first empties the on-disk cache of the learned target model
(``<data_dir>/cache/target_model``, :mod:`parklink.chains.target_cache`), so the run pays
every fit as an office's first run after a data change does; without it a previous run's
fits are reused (warm). The in-process cache always starts empty (one process per run).

Ratios: ``vs chromium: N.Nx`` = Chromium time / Typst time for the rendering step, and for
the whole pipeline (content + render).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--period", default="2025")
    p.add_argument("--parks", type=int, default=0, help="only the first N parks (0 = all)")
    p.add_argument("--no-chromium", action="store_true")
    p.add_argument("--chromium-briefs", type=int, default=20,
                   help="briefs Chromium prints (its time is scaled linearly to all; 0 = all)")
    p.add_argument("--only", choices=("bulletin", "briefs"), default=None,
                   help="time only the bulletin or only the park briefs")
    p.add_argument("--cold", action="store_true",
                   help="empty the on-disk target-model cache first (a first run after a data change)")
    a = p.parse_args()
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; load avg {_load()}")
    t0 = time.perf_counter()
    from parklink.report.briefs import park_brief, prepare_parks
    from parklink.report.bulletin import bulletin_document
    from parklink.report.data import parse_period, read_report_inputs
    from parklink.report.htmldoc import render_html
    from parklink.report.pdf import render_pdf

    print(f"imports: {time.perf_counter() - t0:.2f} s")
    if a.cold:
        import shutil

        from parklink.chains.target_cache import cache_dir

        shutil.rmtree(cache_dir(), ignore_errors=True)
        print(f"cold: emptied {cache_dir()}")

    # ------------------------------------------------------------------ bulletin
    t, c = time.perf_counter(), _cpu()
    ri = read_report_inputs()
    inputs_s, inputs_cpu = time.perf_counter() - t, _cpu() - c
    print(f"inputs: {ri.inputs.note}; {len(ri.inputs.frame('parks'))} parks; firms {ri.inputs.firm_version()} "
          f"({inputs_s:.2f} s, CPU {inputs_cpu:.2f})")
    html = ""
    content = total = typst_s = 0.0
    if a.only != "briefs":
        t, c = time.perf_counter(), _cpu()
        doc = bulletin_document(ri, parse_period(a.period))
        content, content_cpu = time.perf_counter() - t + inputs_s, _cpu() - c + inputs_cpu
        t, c = time.perf_counter(), _cpu()
        pdf = render_pdf(doc)
        typst_s, typst_cpu = time.perf_counter() - t, _cpu() - c
        html = render_html(doc)
        total = content + typst_s
        print(f"bulletin {a.period}: content {content:.2f} s (CPU {content_cpu:.2f}), typst {typst_s:.3f} s "
              f"(CPU {typst_cpu:.3f}), total {total:.2f} s (CPU {content_cpu + typst_cpu:.2f}), {len(pdf):,} bytes "
              f"— target ≤ 10 s: {'met' if total <= 10 else 'NOT met'}")

    # ------------------------------------------------------------------ park briefs
    docs = []
    b_content = b_total = b_typst = 0.0
    if a.only != "bulletin":
        ids = [str(x) for x in ri.inputs.frame("parks")["park_id"]]
        if a.parks:
            ids = ids[: a.parks]
        t, c = time.perf_counter(), _cpu()
        prepare_parks(ri, ids)
        shared = [f"park:{x}" for x in ids]
        docs = [park_brief(ri, x, shared_scopes=shared) for x in ids]
        b_content, b_content_cpu = time.perf_counter() - t, _cpu() - c
        t, c = time.perf_counter(), _cpu()
        pdfs = [render_pdf(d) for d in docs]
        b_typst, b_typst_cpu = time.perf_counter() - t, _cpu() - c
        b_total = b_content + b_typst
        print(f"{len(ids)} park briefs: content {b_content:.2f} s (CPU {b_content_cpu:.2f}), typst {b_typst:.2f} s "
              f"(CPU {b_typst_cpu:.2f}), total {b_total:.2f} s, {sum(map(len, pdfs)):,} bytes — target ≤ 60 s: "
              f"{'met' if b_total <= 60 else 'NOT met'}")

    # ------------------------------------------------------------------ chromium baseline
    if a.no_chromium or not Path(CHROMIUM).exists():
        print("chromium baseline skipped")
        return 0
    from playwright.sync_api import sync_playwright

    sample = docs[: a.chromium_briefs] if a.chromium_briefs else docs
    htmls = [render_html(d) for d in sample]
    scale = len(docs) / len(sample) if sample else 1.0
    chrome_b = chrome_sample = 0.0
    c_pdf = b""
    with sync_playwright() as pw:
        t = time.perf_counter()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        start = time.perf_counter() - t
        if html:
            t = time.perf_counter()
            page.set_content(html, wait_until="load")
            c_pdf = page.pdf(format="A4", print_background=True)
            chrome_b = time.perf_counter() - t
        t = time.perf_counter()
        for h in htmls:
            page.set_content(h, wait_until="load")
            page.pdf(format="A4", print_background=True)
        chrome_sample = time.perf_counter() - t
        browser.close()
    chrome_p = chrome_sample * scale
    print(f"chromium: start {start:.2f} s")
    if html:
        print(f"chromium bulletin {chrome_b:.3f} s ({len(c_pdf):,} bytes)")
        print(f"bulletin render: typst {typst_s:.3f} s vs chromium {chrome_b:.3f} s — vs chromium: "
              f"{chrome_b / typst_s:.1f}x; pipeline (content + render): vs chromium: "
              f"{(content + chrome_b) / total:.1f}x (browser start excluded)")
    if docs:
        print(f"chromium {len(htmls)} briefs {chrome_sample:.2f} s → {len(docs)} briefs {chrome_p:.2f} s"
              f"{' (scaled linearly)' if scale != 1 else ''}")
        print(f"briefs render: typst {b_typst:.2f} s vs chromium {chrome_p:.2f} s — vs chromium: "
              f"{chrome_p / b_typst:.1f}x; pipeline: vs chromium: {(b_content + chrome_p) / b_total:.1f}x")
    print(f"load avg at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
