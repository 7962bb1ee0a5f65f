"""Chain explorer pages: ``/chains`` (the focal chains) and ``/chains/{chain}`` (one chain).

A chain page shows the registry's chain template as an upstream → downstream diagram
(server-side SVG: one column block per level — upstream, midstream, downstream — split
into sub-columns by the depth of a segment's inputs inside its level, enablers in a band
below; segments are links to their row of the details table, which is the accessible
alternative), the presence of every segment in a chosen scope with the gaps and their
action class (build / supplement / extend / strengthen), and the Sichuan↔Chongqing
purchase flows of the chain as a Sankey diagram. The diagnosis runs as a background job of
the jobs API (``POST /api/analyses/chains``), submitted and polled by ``static/chains.js``
when the analyses API is installed; otherwise it is computed here through the cached
:func:`parklink.web.park_analyses.chain_diagnosis` and embedded as JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

import igraph
import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from sqlalchemy import select
from starlette.routing import NoMatchFound

from parklink import tables as t
from parklink.errors import NotFoundError, ParklinkError
from parklink.store import models as m
from parklink.store.io import read_frame
from parklink.vocab import ACTION_NAMES, CHAIN_NAMES, SCOPE_KIND_NAMES, SEGMENT_LEVEL_NAMES
from parklink.web import park_analyses as pa
from parklink.web.deps import SessionDep
from parklink.web.rendering import page_lang, render
from parklink.web.rendering import page_principal as _principal

router = APIRouter(include_in_schema=False)

LEVEL_ORDER = ("up", "mid", "down")
LEVEL_NAMES = SEGMENT_LEVEL_NAMES

NODE_W, NODE_H = 158, 46
COL_GAP, ROW_GAP = 38, 10
PAD, HEAD = 12, 34


@dataclass(frozen=True, slots=True)
class DiagramNode:
    """A segment placed in the diagram: column (left → right), row, box corner (px)."""

    segment_id: str
    name_zh: str
    name_en: str
    level: str
    column: int
    row: int
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class ChainDiagram:
    """A laid-out chain template: nodes, input links (from → to) and the canvas size (px)."""

    nodes: tuple[DiagramNode, ...]
    edges: tuple[tuple[str, str], ...]
    columns: tuple[tuple[str, int], ...]  # level of each column (left → right) and its x
    width: float
    height: float

    def node(self, segment_id: str) -> DiagramNode:
        """The node of ``segment_id``."""
        for n in self.nodes:
            if n.segment_id == segment_id:
                return n
        raise KeyError(segment_id)


def chain_template(session: Any, chain: str) -> pd.DataFrame:
    """The registry's template of ``chain`` (``chain_segments`` rows, template order)."""
    tpl = read_frame(session, "chain_segments")
    return tpl[tpl["chain"] == chain].reset_index(drop=True)


def _inputs(tpl: pd.DataFrame) -> list[tuple[str, str]]:
    ids = set(tpl["segment_id"])
    return [(i, str(r.segment_id)) for r in tpl.itertuples() for i in t.split_list(r.inputs) if i in ids]


def layout(tpl: pd.DataFrame) -> ChainDiagram:
    """Lay out a chain template upstream → downstream.

    Columns: the levels up, mid, down in that order; inside a level, the longest path of
    inputs within the level gives the sub-column (so every input link inside a level points
    right). Rows: the order of the Sugiyama layering of igraph (crossing reduction by the
    barycentre heuristic; Sugiyama, Tagawa & Toda 1981, *IEEE SMC* 11(2):109–125) over
    those columns. Enablers (level ``enabler``) sit in a band below.
    """
    ids = [str(s) for s in tpl["segment_id"]]
    level = dict(zip(ids, tpl["level"].astype(str), strict=True))
    main = [s for s in ids if level[s] in LEVEL_ORDER]
    enablers = [s for s in ids if level[s] not in LEVEL_ORDER]
    links = _inputs(tpl)
    idx = {s: i for i, s in enumerate(main)}
    rank = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    intra = [(idx[a], idx[b]) for a, b in links if a in idx and b in idx and level[a] == level[b]]
    g_intra = igraph.Graph(n=len(main), edges=intra, directed=True)
    if not g_intra.is_dag():
        g_intra.delete_edges(g_intra.feedback_arc_set())
    depth = [0] * len(main)
    for v in g_intra.topological_sorting():
        for u in g_intra.predecessors(v):
            depth[v] = max(depth[v], depth[u] + 1)
    offset: dict[str, int] = {}
    col = 0
    columns: list[tuple[str, int]] = []
    for lv in LEVEL_ORDER:
        ds = [d for s, d in zip(main, depth, strict=True) if level[s] == lv]
        if not ds:
            continue
        offset[lv] = col
        for _ in range(max(ds) + 1):
            columns.append((lv, PAD + col * (NODE_W + COL_GAP)))
            col += 1
    layer = [offset[level[s]] + d for s, d in zip(main, depth, strict=True)]
    forward = [(idx[a], idx[b]) for a, b in links if a in idx and b in idx
               and (rank[level[a]] < rank[level[b]] or (level[a] == level[b] and layer[idx[a]] < layer[idx[b]]))]
    rows: dict[int, list[tuple[float, int]]] = {}
    if main:
        coords = igraph.Graph(n=len(main), edges=forward, directed=True).layout_sugiyama(layers=layer).coords
        for i, (x, _y) in enumerate(coords[: len(main)]):
            rows.setdefault(layer[i], []).append((float(x), i))
    nodes: list[DiagramNode] = []
    name = tpl.set_index("segment_id")
    max_rows = max((len(v) for v in rows.values()), default=0)
    for c, members in rows.items():
        for r, (_x, i) in enumerate(sorted(members)):
            s = main[i]
            nodes.append(DiagramNode(s, str(name.at[s, "name_zh"]), str(name.at[s, "name_en"]), level[s], c, r,
                                     PAD + c * (NODE_W + COL_GAP), HEAD + r * (NODE_H + ROW_GAP)))
    band_y = HEAD + max_rows * (NODE_H + ROW_GAP) + (HEAD if enablers else 0)
    per_row = max(1, len(columns))
    for k, s in enumerate(enablers):
        c, r = k % per_row, k // per_row
        nodes.append(DiagramNode(s, str(name.at[s, "name_zh"]), str(name.at[s, "name_en"]), level[s], c,
                                 max_rows + 1 + r, PAD + c * (NODE_W + COL_GAP),
                                 band_y + r * (NODE_H + ROW_GAP)))
    n_cols = max(len(columns), 1)
    width = 2 * PAD + n_cols * NODE_W + (n_cols - 1) * COL_GAP
    extra_rows = math.ceil(len(enablers) / per_row) if enablers else 0
    height = (band_y + extra_rows * (NODE_H + ROW_GAP)) if enablers else band_y
    return ChainDiagram(tuple(nodes), tuple(links), tuple(columns), float(width), float(height + PAD))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def diagram_svg(d: ChainDiagram, lang: str, *, title: str) -> Markup:
    """The diagram as inline SVG: each segment is a link (keyboard-focusable) to its row
    ``#seg-<id>`` of the details table; input links are arrows (dashed from enablers)."""
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    pos = {n.segment_id: n for n in d.nodes}
    out = [f'<svg class="chain-svg" id="chain-svg" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {d.width:.0f} {d.height:.0f}" width="{d.width:.0f}" height="{d.height:.0f}" '
           f'role="group" aria-labelledby="chain-svg-title">',
           f'<title id="chain-svg-title">{escape(title)}</title>',
           '<defs><marker id="chain-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    seen: set[str] = set()
    for lv, x in d.columns:
        if lv in seen:
            continue
        seen.add(lv)
        zh, en = LEVEL_NAMES[lv]
        label = f"{zh} {en}" if lang == "zh" else f"{en} {zh}"
        out.append(f'<text class="lvl" x="{x}" y="{HEAD - 14}">{escape(label)}</text>')
    band = [n for n in d.nodes if n.level not in LEVEL_ORDER]
    if band:
        zh, en = LEVEL_NAMES["enabler"]
        y0 = min(n.y for n in band)
        out.append(f'<text class="lvl" x="{PAD}" y="{y0 - 14:.0f}">'
                   f'{escape(f"{zh} {en}" if lang == "zh" else f"{en} {zh}")}</text>')
    out.append('<g class="edges">')
    for a, b in d.edges:
        s, e = pos[a], pos[b]
        cls = "edge enabler" if s.level not in LEVEL_ORDER else ("edge back" if s.x >= e.x else "edge")
        if s.level not in LEVEL_ORDER:
            x1, y1 = s.x + NODE_W / 2, s.y
            x2, y2 = e.x + NODE_W / 2, e.y + NODE_H
            path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 - 40:.0f} {x2:.0f},{y2 + 40:.0f} {x2:.0f},{y2:.0f}"
        elif s.x < e.x:
            x1, y1, x2, y2 = s.x + NODE_W, s.y + NODE_H / 2, e.x, e.y + NODE_H / 2
            mx = (x1 + x2) / 2
            path = f"M{x1:.0f},{y1:.0f} C{mx:.0f},{y1:.0f} {mx:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        else:
            x1, y1, x2, y2 = s.x, s.y + NODE_H / 2, e.x + NODE_W, e.y + NODE_H / 2
            path = (f"M{x1:.0f},{y1:.0f} C{x1 - 60:.0f},{y1 + 30:.0f} {x2 + 60:.0f},{y2 + 30:.0f} "
                    f"{x2:.0f},{y2:.0f}")
        out.append(f'<path class="{cls}" data-from="{escape(a)}" data-to="{escape(b)}" d="{path}" '
                   'marker-end="url(#chain-arrow)"/>')
    out.append("</g>")
    for n in sorted(d.nodes, key=lambda n: (n.column if n.level in LEVEL_ORDER else 99, n.row)):
        one, two = getattr(n, first), getattr(n, second)
        lv_zh, lv_en = LEVEL_NAMES.get(n.level, (n.level, n.level))
        aria = f"{n.name_zh} {n.name_en} ({lv_zh} {lv_en})"
        out.append(
            f'<a class="seg lvl-{escape(n.level)}" href="#seg-{escape(n.segment_id)}" '
            f'data-segment="{escape(n.segment_id)}" data-level="{escape(n.level)}" data-column="{n.column}" '
            f'aria-label="{escape(aria)}">'
            f'<title>{escape(n.name_zh)} / {escape(n.name_en)}</title>'
            f'<rect x="{n.x:.0f}" y="{n.y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="5"/>'
            f'<text x="{n.x + 7:.0f}" y="{n.y + 18:.0f}" class="n1">{escape(_short(one, 11 if lang == "zh" else 21))}</text>'
            f'<text x="{n.x + 7:.0f}" y="{n.y + 36:.0f}" class="n2">{escape(_short(two, 25 if lang == "zh" else 11))}</text>'
            f'<text x="{n.x + NODE_W - 6:.0f}" y="{n.y + 18:.0f}" class="cnt" text-anchor="end"></text>'
            "</a>")
    out.append("</svg>")
    return Markup("".join(out))


def _segment_rows(session: Any, tpl: pd.DataFrame, d: ChainDiagram) -> list[dict[str, Any]]:
    names = {str(r.segment_id): (str(r.name_zh), str(r.name_en)) for r in tpl.itertuples()}
    inputs: dict[str, list[str]] = {}
    for a, b in d.edges:
        inputs.setdefault(b, []).append(a)
    order = {n.segment_id: (n.column if n.level in LEVEL_ORDER else 99, n.row) for n in d.nodes}
    rows: list[tuple[tuple[int, int], dict[str, Any]]] = []
    for r in tpl.itertuples():
        s = str(r.segment_id)
        rows.append((order[s], {
            "segment_id": s, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.level,
            "level_name": LEVEL_NAMES.get(str(r.level), (r.level, r.level)), "stage": r.stage,
            "weight": r.weight, "codes": t.split_list(r.gbt4754), "confidence": r.confidence,
            "inputs": [(i, names[i]) for i in inputs.get(s, [])],
        }))
    rows.sort(key=lambda x: x[0])
    return [row for _, row in rows]


def analyses_api_available(request: Request) -> bool:
    """True when the jobs API for chain diagnoses (``POST /api/analyses/chains``, endpoint
    ``run_chains`` of :mod:`parklink.web.routers.analyses`) is mounted on the app."""
    try:
        return str(request.app.url_path_for("run_chains")) == "/api/analyses/chains"
    except NoMatchFound:
        return False


def diagnosis_config(request: Request, session: Any, scope: str, chain: str | None,
                     year: int | None, *, top_gaps: int | None = None, office: bool = False) -> dict[str, Any]:
    """What ``chains.js`` needs to show a diagnosis: the jobs API to call, or (without the
    jobs API) the diagnosis computed here (cached) as :func:`park_analyses.diagnosis_view`
    JSON, or the reason it is unavailable. ``top_gaps``: show only the first gaps of each
    chain (by priority); ``office``: the caller is the programme office (the firm-level
    investment targets are included)."""
    has_firms = pa.firm_dataset().exists()  # what the inputs bundle would find, without reading it
    cfg: dict[str, Any] = {"scope": scope, "chain": chain, "year": year, "firm_data": has_firms,
                           "top_gaps": top_gaps}
    if not has_firms:
        cfg["error"] = ("没有企业级数据集，无法诊断（parklink generate 生成合成数据） / no firm-level dataset: "
                        "the diagnosis needs one (parklink generate creates a synthetic one)")
        return cfg
    if office:  # firm-level investment targets: programme office only
        cfg["detail"] = "firm"
    if analyses_api_available(request):
        cfg["submit"] = "/api/analyses/chains"
        cfg["jobs"] = "/api/jobs/"
        return cfg
    try:
        cfg["view"] = pa.diagnosis_view(pa.chain_diagnosis(session, scope, chain=chain, year=year), chain=chain,
                                        targets=office)
    except ParklinkError as exc:
        cfg["error"] = str(exc)
    return cfg


def json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</`` sequence)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _chain_or_404(session: Any, chain: str) -> m.Chain:
    row = session.get(m.Chain, chain) if chain in t.CHAINS else None
    if row is None:
        raise NotFoundError(f"chain {chain!r} not found (未找到产业链)")
    return row  # type: ignore[no-any-return]


@router.get("/chains", response_class=HTMLResponse)
def chains_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The focal chains with the size of their templates."""
    principal = _principal(request, session)
    tpl = read_frame(session, "chain_segments")
    rows = []
    for c in session.scalars(select(m.Chain).order_by(m.Chain.chain_id)):
        sub = tpl[tpl["chain"] == c.chain_id]
        rows.append({"chain_id": c.chain_id, "name_zh": c.name_zh, "name_en": c.name_en, "segments": len(sub),
                     "links": len(_inputs(sub)),
                     "levels": {lv: int((sub["level"] == lv).sum()) for lv in (*LEVEL_ORDER, "enabler")}})
    return render(request, "chains.html", {"chains": rows, "level_names": LEVEL_NAMES}, principal=principal)


@router.get("/chains/{chain}", response_class=HTMLResponse)
def chain_page(
    request: Request,
    chain: str,
    session: SessionDep,
    scope: Annotated[str, Query(max_length=120)] = "circle",
    year: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    """One chain: template diagram, presence and gaps in a scope, SC↔CQ flows (Sankey).

    ``year`` may be empty (the form's "latest"); a value outside 1990–2100 is ignored.
    """
    principal = _principal(request, session)
    row = _chain_or_404(session, chain)
    year_n = int(year) if year and year.strip().isascii() and year.strip().isdigit() and 1990 <= int(year) <= 2100 else None
    lang = page_lang(request)
    tpl = chain_template(session, chain)
    d = layout(tpl)
    options = pa.scope_options(session)
    specs = {o["spec"] for o in options}
    if scope not in specs:
        scope = "circle"
    title = (f"{row.name_zh}产业链模板（上游 → 下游） {row.name_en} chain template (upstream → downstream)"
             if lang == "zh" else
             f"{row.name_en} chain template (upstream → downstream) {row.name_zh}产业链模板（上游 → 下游）")
    groups: dict[str, list[dict[str, Any]]] = {}
    for o in options:
        groups.setdefault(o["kind"], []).append(o)
    cfg = (diagnosis_config(request, session, scope, chain, year_n, office=principal.is_office) if len(tpl)
           else {"error": "empty template"})
    return render(request, "chains_detail.html", {
        "chain": row, "chain_names": CHAIN_NAMES, "svg": diagram_svg(d, lang, title=title) if len(tpl) else None,
        "segments": _segment_rows(session, tpl, d), "scope": scope, "year": year_n, "scope_groups": groups,
        "scope_kind_names": SCOPE_KIND_NAMES, "action_names": ACTION_NAMES, "level_names": LEVEL_NAMES,
        "config": json_script(cfg), "labels": json_script(JS_LABELS),
        "chain_names_json": json_script(CHAIN_NAMES),
    }, principal=principal)


JS_LABELS: dict[str, tuple[str, str]] = {
    "queued": ("排队中", "queued"), "running": ("计算中", "running"), "done": ("完成", "done"),
    "failed": ("失败", "failed"), "segment": ("环节", "Segment"), "level": ("层级", "Level"),
    "firms": ("企业数", "Firms"), "leaders": ("链主", "Leaders"), "present": ("存在", "Present"),
    "lq": ("区位商", "LQ (circle)"), "lsr": ("本地配套率", "Local supply share"), "gap": ("缺口", "Gap"),
    "action": ("行动", "Action"), "priority": ("优先度", "Priority"), "demand": ("本地需求（千元）", "Local demand (k CNY)"),
    "yes": ("是", "yes"), "no": ("否", "no"), "chain": ("产业链", "Chain"),
    "completeness": ("完整度", "Completeness"), "depth": ("深度完整度", "Depth completeness"),
    "n_present": ("已有环节", "Segments present"), "n_segments": ("环节数", "Segments"),
    "synthetic": ("合成数据：企业与交易为按固定种子生成的合成数据，仅用于演示方法，不是事实。",
                  "Synthetic data: firms and transactions are generated with a fixed seed; they illustrate the "
                  "method and are not facts."),
    "no_gaps": ("无缺口", "No gaps"), "no_flows": ("该年份无川渝跨省流量", "No Sichuan↔Chongqing flows in that year"),
    "sc_sup": ("四川供应", "Sichuan suppliers"), "cq_sup": ("重庆供应", "Chongqing suppliers"),
    "sc_buy": ("四川采购", "Sichuan buyers"), "cq_buy": ("重庆采购", "Chongqing buyers"),
    "flow_title": ("川渝跨省采购流量（按供应环节，千元）", "Sichuan↔Chongqing purchases by supplier segment (k CNY)"),
    "year": ("年份", "Year"), "scope": ("范围", "Scope"), "engine": ("引擎", "Engine"),
    "error": ("诊断不可用", "Diagnosis unavailable"), "value": ("金额（千元）", "Value (k CNY)"),
    "direction": ("方向", "Direction"), "tx": ("交易数", "Transactions"),
    "lsr_scope": ("范围内配套率", "LSR in scope"), "lsr_own": ("本省配套率", "LSR own province"),
    "lsr_circle": ("川渝配套率", "LSR circle"), "delta_lsr": ("跨省贡献 ΔLSR", "ΔLSR (circle − own province)"),
    "coverage": ("数据覆盖", "Data coverage"), "rank": ("名次", "Rank"), "firm": ("企业", "Firm"),
    "province": ("省份", "Province"), "score": ("得分", "Score"), "reason": ("理由", "Reason"),
}
