"""Co-construction pages: one registry page each (parks in the park, smart manufacturing,
platforms), a page per park in the park, and the park page's co-construction section. Pages
only read the registries and call the analyses (:mod:`parklink.coconstruction.runs`); the
promotion projects of each mode pass through the project visibility rule
(:func:`parklink.web.policy.project_for`, via :func:`parklink.web.promotion_data.visible_projects`)
before anything is counted or shown."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from parklink.coconstruction.domains import maturity_domains
from parklink.coconstruction.projects import linked_projects, projects_by_mode
from parklink.store.io import read_frame
from parklink.vocab import (
    LIST_LEVEL_NAMES,
    PIP_MODE_NAMES,
    PIP_STATUS_NAMES,
    PLATFORM_GAP_ACTION_NAMES,
    PLATFORM_KIND_NAMES,
    SHARING_BASE_NAMES,
    SHARING_METRIC_NAMES,
    SMART_KIND_NAMES,
    SMART_TIER_NAMES,
    STAGE_NAMES,
    Label,
)
from parklink.web.deps import ANONYMOUS, Principal, SessionDep
from parklink.web.rendering import page_principal, render

router = APIRouter(include_in_schema=False)

#: The registry pages: path segment -> (title zh, title en).
PAGES = ("parks-in-park", "smart", "platforms")


def _labelled(frame: pd.DataFrame, column: str, names: dict[str, Label]) -> pd.DataFrame:
    if column in frame.columns:
        frame = frame.copy()
        labels: list[Any] = [names.get(str(v), (str(v), str(v))) if pd.notna(v) else None
                             for v in frame[column]]
        frame[column] = pd.Series(labels, index=frame.index, dtype=object)
    return frame


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v)
             for k, v in r.items()} for r in frame.astype(object).to_dict("records")]


def _table(title: tuple[str, str], frame: pd.DataFrame, note: tuple[str, str] | None = None) -> dict[str, Any]:
    return {"title": title, "columns": [str(c) for c in frame.columns], "rows": _rows(frame), "note": note}


def _of_park(frame: pd.DataFrame, column: str, park: str | None) -> pd.DataFrame:
    return frame[frame[column].astype(str) == park] if park else frame


#: Columns of a linked-project table (projects of a park in the park).
PROJECT_COLUMNS = ["project_id", "name_zh", "investor_name", "stage", "signed_investment_cny_m",
                   "funds_in_place_cny_m"]
PROJECT_NOTE = ("按园区与模式关联（项目所在园区=园中园所在园区，且项目模式=园中园模式）；签约前的项目不公开，未公开项目的投资方名称隐去",
                "linked by park and mode (the project's park is the host park and its mode the park in the "
                "park's mode); projects before signing are not public, investors of unpublished projects are hidden")


def visible_pip_projects(session: Session, principal: Principal, park_id: str | None = None) -> pd.DataFrame:
    """The park-in-the-park projects (mode ``pip_*``) ``principal`` may see, as they may see
    them (:func:`parklink.web.promotion_data.visible_projects`: hidden before signing, investor
    fields blanked when unpublished and not theirs), with ``funds_in_place_cny_m`` (Σ funds
    entries, million CNY); of one park when ``park_id`` is given."""
    from sqlalchemy import func, select

    from parklink.store import models_promotion as mp
    from parklink.web.promotion_data import ProjectFilters, visible_projects

    shown, _hidden = visible_projects(session, principal, ProjectFilters(park=park_id))
    rows = [r for r in shown if str(r.get("mode") or "").startswith("pip_")]
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*PROJECT_COLUMNS, "park_id", "mode", "redacted"])))
    ids = frame["project_id"].astype(str).tolist()
    funds = dict(session.execute(select(mp.ProjectFund.project_id, func.sum(mp.ProjectFund.amount_cny_m))
                                 .where(mp.ProjectFund.project_id.in_(ids))
                                 .group_by(mp.ProjectFund.project_id)).all()) if ids else {}
    frame["funds_in_place_cny_m"] = [float(funds.get(i, 0.0) or 0.0) for i in ids]
    return frame


def _project_table(title: tuple[str, str], projects: pd.DataFrame, extra: list[str] | None = None) -> dict[str, Any]:
    shown = projects.copy()
    hidden: list[Any] = [("未公开", "not published") if bool(r) else None for r in shown.get("redacted", [])]
    for col in ("name_zh", "investor_name"):
        if col in shown.columns and len(hidden):
            shown[col] = pd.Series([h if h is not None else v for h, v in zip(hidden, shown[col], strict=True)],
                                   index=shown.index, dtype=object)
    return _table(title, _labelled(shown[[*(extra or []), *PROJECT_COLUMNS]], "stage", STAGE_NAMES), PROJECT_NOTE)


def _mode_projects_table(projects: pd.DataFrame) -> dict[str, Any]:
    by_mode = projects_by_mode(projects, tuple(STAGE_NAMES))
    return _table(("各模式的招商项目", "Projects of each mode"), _labelled(by_mode, "mode", PIP_MODE_NAMES),
                  PROJECT_NOTE)


def smart_indicators_of(session: Session, park_id: str) -> pd.DataFrame:
    """One park's smart-manufacturing indicators (:func:`parklink.coconstruction.runs.run_smart`
    with the default configuration, on the inputs bundle of the one input path, cached by
    fingerprint); empty when the park has no recognition or assessment (unknown, not zero).

    The bundle is only asked for when some recognition names the park or some assessment names
    the park or no park (then the firm's park counts): a park without records — most of them —
    never builds it on the request."""
    from sqlalchemy import or_, select

    from parklink.coconstruction.runs import SmartConfig, run_smart
    from parklink.configs import fingerprint
    from parklink.store import models_coconstruction as mc
    from parklink.web.park_analyses import cached, web_inputs

    rec, ass = mc.CoconSmartRecognition, mc.CoconMaturity
    any_rec = session.scalar(select(rec.recognition_id).where(rec.park_id == park_id).limit(1))
    any_ass = session.scalar(select(ass.assessment_id).where(or_(ass.park_id == park_id, ass.park_id.is_(None)))
                             .limit(1))
    if any_rec is None and any_ass is None:
        return pd.DataFrame()
    inputs = web_inputs(session)
    cfg = SmartConfig()
    run = cached(("cocon_smart", str(session.get_bind().engine.url), fingerprint(inputs, cfg).digest),
                 lambda: run_smart(inputs, cfg))
    frame = run.to_frame()
    cols = [c for c in ("digital_workshops", "intelligent_factories", "intelligent_parks", "tier_basic",
                        "tier_advanced", "tier_excellent", "tier_leading", "above_scale", "assessed",
                        "share_assessed", "mean_level", "trend") if c in frame.columns]
    return frame.loc[frame["park_id"].astype(str) == park_id, cols]


def park_cocon(session: Session, park_id: str, principal: Principal = ANONYMOUS) -> list[dict[str, Any]]:
    """The co-construction tables of one park's page (empty tables are left out); the
    projects of its parks in the park as ``principal`` may see them."""
    tables = park_cocon_registry(session, park_id)
    projects = park_pip_projects(session, park_id, principal)
    if projects is not None:
        tables.insert(1 if tables else 0, projects)
    return tables


def park_pip_projects(session: Session, park_id: str, principal: Principal = ANONYMOUS) -> dict[str, Any] | None:
    """The promotion projects of the park's parks in the park (their ``pip_*`` mode in the
    host park) as ``principal`` may see them, or None without any (reads the promotion data:
    not cacheable with the co-construction registry alone)."""
    pip = _of_park(read_frame(session, "parks_in_park"), "host_park_id", park_id)
    if not len(pip):
        return None
    projects = visible_pip_projects(session, principal, park_id)
    linked = [linked_projects(r, projects).assign(pip_id=r["pip_id"]) for _, r in pip.iterrows()]
    merged = pd.concat(linked, ignore_index=True) if linked else pd.DataFrame()
    if not len(merged):
        return None
    merged = merged.merge(projects[["project_id", "redacted"]], on="project_id", how="left")
    return _project_table(("园中园招商项目", "Projects of the parks in the park"), merged, ["pip_id"])


def park_cocon_registry(session: Session, park_id: str) -> list[dict[str, Any]]:
    """The park page's co-construction registry tables (no projects; the same for every
    viewer, so cacheable per co-construction data version); empty tables left out."""
    pip = _of_park(read_frame(session, "parks_in_park"), "host_park_id", park_id)
    sharing = read_frame(session, "benefit_sharing")
    sharing = sharing[(sharing["park_id"].astype(str) == park_id) | sharing["pip_id"].isin(pip["pip_id"])]
    rec = _of_park(read_frame(session, "smart_recognitions"), "park_id", park_id)
    ass = _of_park(read_frame(session, "maturity_assessments"), "park_id", park_id)
    plat = _of_park(read_frame(session, "platforms"), "host_park_id", park_id)
    out = [
        _table(("园中园", "Parks in the park"), _labelled(
            pip[["pip_id", "name_zh", "mode", "leaders", "partner_name", "status", "source_url", "confidence"]],
            "mode", PIP_MODE_NAMES)),
        _table(("利益分享规则", "Benefit-sharing rules"), _labelled(_labelled(
            sharing[["agreement_id", "metric", "base", "parties", "split_pct", "floor_cny_m", "source_url",
                     "confidence"]], "metric", SHARING_METRIC_NAMES), "base", SHARING_BASE_NAMES)),
        _table(("智能制造认定", "Smart-manufacturing recognitions"), _labelled(_labelled(
            rec[["recognition_id", "enterprise_name", "kind", "tier", "year", "source_url", "confidence"]],
            "kind", SMART_KIND_NAMES), "tier", SMART_TIER_NAMES)),
        _table(("园区智能制造指标", "Park smart-manufacturing indicators"), smart_indicators_of(session, park_id),
               ("share_assessed=已评估规上企业占比；mean_level=各企业最近一次评估的平均等级；trend=年度认定数的最小二乘斜率",
                "share_assessed = share of above-scale firms assessed; mean_level = mean of each firm's latest "
                "level; trend = least-squares slope of yearly recognitions")),
        _table(("成熟度评估", "Maturity assessments"),
               ass[["assessment_id", "enterprise_id", "assessed_on", "assessor", "overall_level", "confidence"]]),
        _table(("研发与设计平台", "R&D and design platforms"), _labelled(
            plat[["platform_id", "name_zh", "kind", "level", "segments", "source_url", "confidence"]],
            "kind", PLATFORM_KIND_NAMES)),
    ]
    return [t for t in out if t["rows"]]


def _gap_table(gaps: dict[str, Any]) -> dict[str, Any]:
    """The platform-gap rows of the dashboard's job (:func:`parklink.web.cocon_gaps.park_gap_rows`)."""
    notes = {"computing": ("计算中……请稍后刷新", "computing… reload in a moment"),
             "no_firms": ("没有企业数据，无法诊断产业链缺口", "no firm dataset: chain gaps cannot be diagnosed"),
             "failed": ("无法计算", "could not be computed")}
    frame = pd.DataFrame(gaps["rows"], columns=["park_id", "chain", "segment_id", "name_zh", "name_en", "gap_type",
                                                "covered", "platform_id", "hours", "action"])
    frame = _labelled(frame, "action", PLATFORM_GAP_ACTION_NAMES)
    note = notes.get(gaps["state"], ("各示范园区重点产业链缺口环节：2小时内是否有服务该环节的平台",
                                     "chain-gap segments of the designated parks: is a platform serving the "
                                     "segment within 2 h?"))
    return _table(("平台缺口（与产业链缺口并列）", "Platform gaps (beside the chain gaps)"), frame, note)


def _registry_tables(session: Session, page: str, park: str | None,
                     principal: Principal = ANONYMOUS, gaps: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from parklink.coconstruction.runs import ScorecardConfig, SmartConfig, run_scorecard, run_smart
    from parklink.web.park_analyses import web_inputs

    if page == "parks-in-park":
        pip = _of_park(read_frame(session, "parks_in_park"), "host_park_id", park)
        card = run_scorecard(web_inputs(session), ScorecardConfig())
        return [
            _table(("园中园登记", "Parks in the park"), _labelled(_labelled(
                pip[["pip_id", "name_zh", "name_en", "host_region", "host_park_id", "mode", "leaders",
                     "partner_name", "start_year", "n_member_firms", "status", "source_url", "confidence",
                     "as_of"]], "mode", PIP_MODE_NAMES), "status", PIP_STATUS_NAMES)),
            _table(("利益分享规则（数据）", "Benefit-sharing rules (as data)"), _labelled(_labelled(
                read_frame(session, "benefit_sharing")[["agreement_id", "area_name", "parties", "metric", "base",
                                                        "split_pct", "duration_years", "floor_cny_m",
                                                        "floor_beneficiary", "attribution", "source_url",
                                                        "confidence", "as_of"]],
                "metric", SHARING_METRIC_NAMES), "base", SHARING_BASE_NAMES)),
            _mode_projects_table(visible_pip_projects(session, principal, park)),
            _table(("共建园区评分", "Co-built park scorecard"),
                   card.to_frame()[["rank", "pip_id", "score", "coverage", "investment_cny_m", "firms",
                                    "output_cny_m", "jobs", "years_running", "shares_realised"]],
                   ("得分=各指标最小-最大标准化后的均值；coverage=已知指标占比",
                    "score = mean of min–max scaled indicators; coverage = share of indicators known")),
            _table(("承诺与实际分成", "Promised vs realised shares"), card.explain()["shares"]),
        ]
    if page == "smart":
        inputs = web_inputs(session)
        ind = run_smart(inputs, SmartConfig()).to_frame()
        return [
            _table(("智能制造认定", "Recognitions"), _labelled(_labelled(_labelled(
                _of_park(read_frame(session, "smart_recognitions"), "park_id", park)[
                    ["recognition_id", "enterprise_name", "park_id", "kind", "tier", "list_level", "year",
                     "issuing_body", "source_url", "confidence"]],
                "kind", SMART_KIND_NAMES), "tier", SMART_TIER_NAMES), "list_level", LIST_LEVEL_NAMES)),
            _table(("成熟度评估（GB/T 39116/39117-2020）", "Maturity assessments (GB/T 39116/39117-2020)"),
                   _of_park(read_frame(session, "maturity_assessments"), "park_id", park)),
            _table(("园区指标", "Park indicators"), _of_park(ind, "park_id", park)),
            _table(("公布的总数（项目事实，不分摊到企业）", "Published totals (programme facts, not spread over firms)"),
                   _labelled(read_frame(session, "smart_aggregates"), "kind", SMART_KIND_NAMES)),
            _table(("能力模型（版本化数据）", "Capability model (versioned data)"),
                   maturity_domains()[["code", "kind", "parent", "name_zh", "name_en", "status", "source"]],
                   ("configurable = 文献给出、未与标准文本核对", "configurable = from the literature, not checked "
                                                              "against the standard text")),
        ]
    plat = _of_park(read_frame(session, "platforms"), "host_park_id", park)
    gap_tables = [_gap_table(gaps)] if gaps is not None else []
    return [*gap_tables, _table(("研发与工业设计平台", "R&D and industrial-design platforms"), _labelled(_labelled(
        plat[["platform_id", "name_zh", "name_en", "kind", "level", "host_park_id", "owner", "chains",
              "segments", "services", "source_url", "confidence"]], "kind", PLATFORM_KIND_NAMES),
        "level", LIST_LEVEL_NAMES),
        ("平台缺口分析：parklink platforms gaps 或 /api/coconstruction/analyses/platform-gaps",
         "platform gaps: `parklink platforms gaps` or /api/coconstruction/analyses/platform-gaps"))]


TITLES: dict[str, tuple[str, str]] = {
    "parks-in-park": ("园中园与利益分享", "Parks in the park and benefit sharing"),
    "smart": ("智能制造", "Smart manufacturing"),
    "platforms": ("研发与工业设计平台", "R&D and industrial-design platforms"),
}


@router.get("/coconstruction/{page}", response_class=HTMLResponse)
def registry_page(request: Request, page: str, session: SessionDep) -> HTMLResponse:
    """A co-construction registry page (``?park=ID`` restricts it to one park)."""
    if page not in PAGES:
        raise HTTPException(404, "page not found (页面不存在)")
    park = request.query_params.get("park") or None
    principal = page_principal(request, session)
    gaps = None
    if page == "platforms":
        from parklink.web.cocon_gaps import park_gap_rows

        gaps = park_gap_rows(request, session, park)
    tables = _registry_tables(session, page, park, principal, gaps)
    return render(request, "coconstruction/registry.html",
                  {"title": TITLES[page], "tables": tables, "pages": [(p, TITLES[p]) for p in PAGES],
                   "current": page, "park": park}, principal=principal)


@router.get("/coconstruction/parks-in-park/{pip_id}", response_class=HTMLResponse)
def pip_page(request: Request, pip_id: str, session: SessionDep) -> HTMLResponse:
    """One park in the park: its record, its benefit-sharing rules and its mode's projects
    in its host park (as the caller may see them)."""
    from parklink.web import registry

    principal = page_principal(request, session)
    row = registry.get_row(session, "parks_in_park", pip_id)  # 404 when unknown
    fields = [(k, (", ".join(map(str, v)) if isinstance(v, list) else v)) for k, v in row.items()
              if k != "row_version"]
    record = pd.DataFrame(fields, columns=["field", "value"])
    record["value"] = [PIP_MODE_NAMES.get(str(v), (str(v), str(v))) if f == "mode" and v else v
                       for f, v in fields]
    sharing = read_frame(session, "benefit_sharing")
    sharing = sharing[sharing["pip_id"].astype(str) == pip_id]
    projects = visible_pip_projects(session, principal, row.get("host_park_id"))
    linked = linked_projects(row, projects).merge(projects[["project_id", "redacted"]], on="project_id", how="left")
    tables = [
        _table(("园中园登记", "Record"), record),
        _project_table(("本模式在所在园区的招商项目", "Projects of its mode in its host park"), linked),
        _table(("利益分享规则（数据）", "Benefit-sharing rules (as data)"), _labelled(_labelled(
            sharing[["agreement_id", "parties", "metric", "base", "split_pct", "duration_years", "floor_cny_m",
                     "floor_beneficiary", "attribution", "source_url", "confidence"]],
            "metric", SHARING_METRIC_NAMES), "base", SHARING_BASE_NAMES)),
    ]
    return render(request, "coconstruction/registry.html",
                  {"title": (str(row["name_zh"]), str(row["name_en"])), "tables": tables,
                   "pages": [(p, TITLES[p]) for p in PAGES], "current": "parks-in-park",
                   "park": row.get("host_park_id")}, principal=principal)


def dashboard_tables(session: Session) -> list[dict[str, Any]]:
    """The dashboard's co-construction section: parks in the park by mode and leader,
    recognitions by park and level, published totals, platforms per kind (cheap reads; the
    platform coverage of chain gaps, which runs the chain engine, comes from the background job
    of :func:`parklink.web.cocon_gaps.dashboard_coverage`)."""
    from parklink.coconstruction.plan import mode_table, smart_table

    pip = read_frame(session, "parks_in_park")
    rec = read_frame(session, "smart_recognitions")
    plat = read_frame(session, "platforms")
    modes = mode_table(pip)
    out = [
        _table(("园中园（按模式与龙头企业）", "Parks in the park by mode and leader"),
               modes[["mode_zh", "mode_en", "leader", "parks"]]),
        _table(("智能制造认定（按园区与等级）", "Recognitions by park and level"),
               smart_table(rec)[["park_id", "kind_zh", "tier_zh", "count"]]),
        _table(("公布的智能制造总数（项目事实）", "Published smart-manufacturing totals (programme facts)"),
               _labelled(read_frame(session, "smart_aggregates")[["region", "kind", "year", "count", "qualifier",
                                                                  "confidence"]], "kind", SMART_KIND_NAMES)),
        _table(("研发与设计平台（按类型）", "Platforms by kind"),
               _labelled(plat.groupby("kind", as_index=False).size().rename(columns={"size": "platforms"}),
                         "kind", PLATFORM_KIND_NAMES)),
    ]
    return out
