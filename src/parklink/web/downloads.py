"""Download buttons: every table a page shows as CSV (UTF-8 with BOM, opens in Excel) or XLSX.

``GET /downloads/{table}.{csv|xlsx}`` rebuilds the table from the same cached analysis the
page rendered (:mod:`parklink.web.park_analyses`, :mod:`parklink.web.table_views`, the
programme status) — never from the HTML. Text cells that a spreadsheet would run as a
formula are neutralised (:func:`parklink.ingest.csvsafe.neutralise`). The XLSX (XlsxWriter)
has the table on sheet ``data`` and the bilingual title, parameters, inputs fingerprint and
generation time on sheet ``about``. :func:`download_links` gives the pages their hrefs.

Tables: ``route`` (origin, destination, cargo), ``access``, ``sites`` (function; once
computed), ``chain-lsr`` (scope), ``chain-targets`` (scope; programme office only — firm
level), ``park-evaluation`` / ``park-access`` (park), ``parks``, ``status-by-year``,
``status-by-province``, ``status-by-zone``, ``status-by-area-type``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from parklink.errors import NotFoundError
from parklink.ingest.csvsafe import neutralise
from parklink.web.deps import SessionDep

router = APIRouter(include_in_schema=False)
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Table = tuple[pd.DataFrame, tuple[str, str], dict[str, Any]]
Provider = Callable[[Request, Any, Mapping[str, str]], Table]


def download_links(table: str, **params: Any) -> dict[str, str]:
    """``{"csv": href, "xlsx": href}`` of a table with its parameters (None values left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return {fmt: f"/downloads/{table}.{fmt}" + (f"?{query}" if query else "") for fmt in FORMATS}


def _need(params: Mapping[str, str], key: str) -> str:
    value = params.get(key)
    if not value:
        raise HTTPException(422, f"missing query parameter {key!r} (缺少参数)")
    return value


def _route(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web.pages_logistics import plan_route

    run = plan_route(session, _need(params, "origin"), _need(params, "destination"), params.get("cargo") or "container")
    from parklink.web.table_views import route_legs_table

    return (route_legs_table(run.route.legs), ("路线路段", "Route legs"),
            {"origin": run.route.origin, "destination": run.route.destination, "cargo": run.route.cargo,
             "fingerprint": run.fingerprint.digest})


def _access(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web import park_analyses as pa
    from parklink.web.table_views import access_table

    acc = pa.park_accessibility(session)
    if acc is None:
        raise NotFoundError("no parks to compute accessibility for (没有园区)")
    return access_table(acc.result.table), ("园区可达性", "Park accessibility"), {"cargo": acc.result.cargo}


def _sites(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web.pages_logistics import site_recommendation
    from parklink.web.table_views import sites_table

    function = _need(params, "function")
    state, rec = site_recommendation(session, function, start=False)
    if rec is None:
        raise HTTPException(409, f"the site recommendation is {state}; reload the logistics page (选址计算中)")
    return sites_table(rec.sites), ("物流选址建议", "Logistics-site recommendation"), {"function": function,
                                                                                   "p": rec.p}


def _chain(session: Any, params: Mapping[str, str]) -> Any:
    from parklink.web import park_analyses as pa

    return pa.chain_diagnosis(session, _need(params, "scope"), chain=params.get("chain") or None)


def _chain_lsr(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web.table_views import lsr_table

    run = _chain(session, params)
    return (lsr_table(run.diagnosis), ("本地配套率（按金额）", "Local supporting rates (value)"),
            {"scope": run.scope_id, "year": int(run.diagnosis.year), "synthetic": bool(run.diagnosis.synthetic),
             "fingerprint": run.fingerprint.digest})


def _chain_targets(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web.rendering import page_principal
    from parklink.web.table_views import targets_table

    principal = page_principal(request, session)
    if not principal.is_office:
        raise HTTPException(403, "investment targets are firm-level: programme office only (招商目标仅限示范园区办公室)")
    run = _chain(session, params)
    return (targets_table(run.diagnosis), ("招商目标（每缺口前三）", "Investment targets (top 3 per gap)"),
            {"scope": run.scope_id, "year": int(run.diagnosis.year), "synthetic": bool(run.diagnosis.synthetic),
             "fingerprint": run.fingerprint.digest})


def _park_evaluation(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web import park_analyses as pa

    park = _need(params, "park")
    ev = pa.park_evaluation(session)
    view = None if ev is None else pa.evaluation_view(ev, park)
    if view is None:
        raise NotFoundError(f"park {park!r} was not evaluated (未评价)")
    frame = pd.DataFrame(view["criteria"]).drop(columns=["formula"], errors="ignore")
    return frame, ("指标、标准化值与权重", "Criteria, normalised values and weights"), {
        "park": park, "score": view["score"], "rank": view["rank"], "method": view["method"],
        "fingerprint": view["fingerprint"]}


def _park_access(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web import park_analyses as pa

    park = _need(params, "park")
    acc = pa.park_accessibility(session)
    view = None if acc is None else pa.accessibility_view(acc, park)
    if view is None:
        raise NotFoundError(f"park {park!r} is not in the network (不在网络中)")
    rows = [{"to": f"core_{c['key']}", "name_zh": c["name_zh"], "name_en": c["name_en"], "hub_id": None,
             "time_h": c["time_h"]} for c in view["cores"]]
    rows += [{"to": h["kind"], "name_zh": h["name_zh"], "name_en": h["name_en"], "hub_id": h["hub_id"],
              "time_h": h["time_h"]} for h in view["hubs"]]
    return pd.DataFrame(rows), ("可达性", "Accessibility"), {"park": park, "cargo": view["cargo"]}


def _parks(request: Request, session: Any, params: Mapping[str, str]) -> Table:
    from parklink.web.park_analyses import web_inputs

    inputs = web_inputs(session)
    return inputs.frame("parks").copy(), ("园区", "Parks"), {"data_version": inputs.data_version}


def _status(part: str) -> Provider:
    def provide(request: Request, session: Any, params: Mapping[str, str]) -> Table:
        from parklink.web.status import current_status

        frame = getattr(current_status(session), part)
        labels = {"by_year": ("按年份", "By year"), "by_province": ("按省市", "By province"),
                  "by_zone": ("按片区", "By zone"), "by_area_type": ("按区域类型", "By area type")}
        return frame.copy(), labels[part], {}

    return provide


PROVIDERS: dict[str, Provider] = {
    "route": _route, "access": _access, "sites": _sites, "chain-lsr": _chain_lsr, "chain-targets": _chain_targets,
    "park-evaluation": _park_evaluation, "park-access": _park_access, "parks": _parks,
    "status-by-year": _status("by_year"), "status-by-province": _status("by_province"),
    "status-by-zone": _status("by_zone"), "status-by-area-type": _status("by_area_type"),
}


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({str(c): [_cell(v) for v in frame[c]] for c in frame.columns}, index=range(len(frame)))


def to_csv(frame: pd.DataFrame) -> bytes:
    """The table as CSV text, UTF-8 with BOM (Excel opens it with the Chinese intact)."""
    return _clean(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, title: tuple[str, str], meta: Mapping[str, Any]) -> bytes:
    """The table as an XLSX workbook (XlsxWriter): sheet ``data`` and sheet ``about``."""
    import importlib

    xlsxwriter = importlib.import_module("xlsxwriter")  # untyped package

    buf = io.BytesIO()
    clean = _clean(frame)
    with xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "nan_inf_to_errors": True}) as wb:
        bold = wb.add_format({"bold": True, "bg_color": "#EDF2F7"})
        ws = wb.add_worksheet("data")
        for j, col in enumerate(clean.columns):
            ws.write_string(0, j, str(col), bold)
            width = max([len(str(col))] + [len(str(v)) for v in clean[col].head(200) if v is not None])
            ws.set_column(j, j, min(max(width + 2, 8), 60))
        for i, row in enumerate(clean.itertuples(index=False), start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                elif isinstance(v, int | float):
                    ws.write_number(i, j, float(v))
                else:
                    ws.write_string(i, j, str(v))
        ws.freeze_panes(1, 0)
        about = wb.add_worksheet("about")
        about.write_string(0, 0, "标题 title", bold)
        about.write_string(0, 1, f"{title[0]} {title[1]}")
        about.write_string(1, 0, "生成时间 generated (UTC)", bold)
        about.write_string(1, 1, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        for i, (k, v) in enumerate(meta.items(), start=2):
            about.write_string(i, 0, str(k), bold)
            about.write_string(i, 1, str(v))
        about.set_column(0, 0, 26)
        about.set_column(1, 1, 60)
    return buf.getvalue()


@router.get("/downloads/{table}.{fmt}")
def download(
    request: Request, table: str, fmt: str, session: SessionDep,
    scope: Annotated[str | None, Query(max_length=120)] = None,
    chain: Annotated[str | None, Query(max_length=32)] = None,
    park: Annotated[str | None, Query(max_length=64)] = None,
    origin: Annotated[str | None, Query(max_length=200)] = None,
    destination: Annotated[str | None, Query(max_length=200)] = None,
    cargo: Annotated[str | None, Query(max_length=32)] = None,
    function: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One table of a page as CSV or XLSX, from the same cached analysis the page shows."""
    if table not in PROVIDERS or fmt not in FORMATS:
        raise NotFoundError(f"no downloadable table {table}.{fmt} (没有该表格)")
    params = {k: v for k, v in {"scope": scope, "chain": chain, "park": park, "origin": origin,
                                "destination": destination, "cargo": cargo, "function": function}.items() if v}
    frame, title, meta = PROVIDERS[table](request, session, params)
    stem = "-".join([table, *[str(v).replace(":", "_").replace("/", "_") for v in params.values()]])[:120]
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return Response(to_csv(frame), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(to_xlsx(frame, title, {**params, **meta}), media_type=XLSX_TYPE, headers=headers)
