"""Plotly figures of the pages (built server-side, drawn by the locally served plotly.js).

The map draws the 221 districts of Sichuan and Chongqing from the embedded boundaries
(``parklink.datasets.chengyu.boundaries``) as a choropleth on a ``geo`` subplot with the
base map hidden and ``fitbounds="locations"``, so no world topojson is needed (the page
defines an empty ``window.PlotlyGeoAssets`` before plotly.js loads: nothing is fetched
from a CDN). Parks, hubs and designation pairs are drawn on top.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parklink.programme.status import ProgrammeStatus
from parklink.store import models as m

INDICATORS: dict[str, tuple[str, str]] = {
    "parks": ("园区数", "Parks"),
    "designated": ("示范园区数", "Designated parks"),
    "national": ("国家级园区数", "National-level parks"),
    "area_km2": ("面积（平方公里）", "Area (km²)"),
}
HUB_KINDS = ("airport", "rail_port", "river_port", "bonded_zone")
FONT = "system-ui, -apple-system, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def bi(zh: str, en: str) -> str:
    """A bilingual label, Chinese first."""
    return f"{zh} {en}"


@lru_cache(maxsize=1)
def district_geojson() -> dict[str, Any]:
    """The district/county polygons of the embedded boundaries (FeatureCollection, ``adcode`` ids)."""
    from parklink.datasets import chengyu

    collection = chengyu.boundaries()
    features = [f for f in collection["features"] if (f.get("properties") or {}).get("level") == "district"]
    return {"type": "FeatureCollection", "features": features}


def _district_values(session: Session, indicator: str) -> dict[str, float]:
    if indicator == "area_km2":
        rows = session.execute(select(m.Region.adcode, m.Region.area_km2).where(m.Region.level == "district"))
        return {a: float(v) for a, v in rows if v is not None}
    stmt = select(m.Park.adcode, func.count()).group_by(m.Park.adcode)
    if indicator == "national":
        stmt = stmt.where(m.Park.level == "national")
    elif indicator == "designated":
        members = select(m.DesignationMember.park_id).join(
            m.Designation, m.Designation.designation_id == m.DesignationMember.designation_id
        ).where(m.Designation.revoked_year.is_(None))
        stmt = stmt.where(m.Park.park_id.in_(members))
    return {a: float(n) for a, n in session.execute(stmt)}


def map_figure(session: Session, indicator: str = "parks", *, max_parks: int = 5000) -> go.Figure:
    """The programme map: districts coloured by ``indicator``, parks, hubs, designation pairs."""
    geo = district_geojson()
    codes = [f["properties"]["adcode"] for f in geo["features"]]
    names = {f["properties"]["adcode"]: bi(f["properties"].get("name_zh", ""), f["properties"].get("name_en", ""))
             for f in geo["features"]}
    values = _district_values(session, indicator)
    zh, en = INDICATORS[indicator]
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=geo, featureidkey="properties.adcode", locations=codes,
        z=[values.get(c, 0.0) for c in codes], text=[names[c] for c in codes],
        hovertemplate="%{text}<br>" + bi(zh, en) + ": %{z}<extra></extra>",
        colorscale="Blues", marker_line_color="#6b7280", marker_line_width=0.4,
        colorbar={"title": {"text": bi(zh, en)}, "thickness": 12}, name=bi("区县", "Districts"), meta="districts",
    ))
    parks = session.execute(
        select(m.Park.park_id, m.Park.name_zh, m.Park.name_en, m.Park.lon, m.Park.lat, m.Park.level)
        .order_by(m.Park.park_id).limit(max_parks)
    ).all()
    members = session.execute(
        select(m.DesignationMember.designation_id, m.DesignationMember.park_id, m.Park.lon, m.Park.lat, m.Park.province)
        .join(m.Park, m.Park.park_id == m.DesignationMember.park_id)
        .join(m.Designation, m.Designation.designation_id == m.DesignationMember.designation_id)
        .where(m.Designation.revoked_year.is_(None))
        .order_by(m.DesignationMember.designation_id, m.DesignationMember.position)
    ).all()
    groups: dict[str, list[tuple[float, float, str]]] = {}
    for d, _p, lon, lat, prov in members:
        groups.setdefault(d, []).append((lon, lat, prov))
    lons: list[float | None] = []
    lats: list[float | None] = []
    for pts in groups.values():
        if len(pts) < 2 or len({p[2] for p in pts}) < 2:
            continue  # draw only designations that cross the border
        for a, b in itertools.pairwise(pts):
            lons += [a[0], b[0], None]
            lats += [a[1], b[1], None]
    fig.add_trace(go.Scattergeo(
        lon=lons, lat=lats, mode="lines", line={"width": 1.6, "color": "#c2410c"},
        name=bi("跨省示范园区", "Cross-border designations"), hoverinfo="skip", meta="pairs",
    ))
    hubs = session.execute(
        select(m.TransportNode.node_id, m.TransportNode.name_zh, m.TransportNode.name_en, m.TransportNode.lon,
               m.TransportNode.lat).where(m.TransportNode.kind.in_(HUB_KINDS))
    ).all()
    fig.add_trace(go.Scattergeo(
        lon=[h.lon for h in hubs], lat=[h.lat for h in hubs], text=[bi(h.name_zh, h.name_en) for h in hubs],
        mode="markers", marker={"symbol": "diamond", "size": 9, "color": "#7c3aed"},
        name=bi("物流枢纽", "Hubs"), hovertemplate="%{text}<extra></extra>", meta="hubs",
    ))
    designated = {p for _d, p, *_ in members}
    # parks at one point (host-district seats; parks.shared_point): each hover names the others
    at_point: dict[tuple[float, float], list[str]] = {}
    for p in parks:
        at_point.setdefault((round(p.lon, 5), round(p.lat, 5)), []).append(p.name_zh)
    texts = []
    for p in parks:
        others = [n for n in at_point[(round(p.lon, 5), round(p.lat, 5))] if n != p.name_zh]
        shared = "<br>" + bi("共用位置点", "shares its point with") + ": " + "、".join(others) if others else ""
        texts.append(bi(p.name_zh, p.name_en) + shared)
    fig.add_trace(go.Scattergeo(
        lon=[p.lon for p in parks], lat=[p.lat for p in parks], customdata=[p.park_id for p in parks],
        text=texts, mode="markers",
        marker={"size": [9 if p.park_id in designated else 6 for p in parks],
                "color": ["#dc2626" if p.park_id in designated else "#111827" for p in parks],
                "line": {"width": 0.5, "color": "white"}},
        name=bi("园区（红：示范园区）", "Parks (red: designated)"),
        hovertemplate="%{text}<br>%{customdata}<extra></extra>", meta="parks",
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=620, font={"family": FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 0.0, "x": 0.0, "bgcolor": "rgba(255,255,255,0.8)"},
        dragmode="pan",
    )
    return fig


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}}, height=height, font={"family": FONT},
        margin={"l": 50, "r": 10, "t": 45, "b": 40}, legend={"orientation": "h", "y": -0.2},
        barmode="group", plot_bgcolor="white",
    )
    fig.update_yaxes(gridcolor="#e5e7eb", rangemode="tozero")
    return fig


def status_figures(status: ProgrammeStatus) -> dict[str, go.Figure]:
    """Dashboard charts: status vs targets by year, province, zone and area type."""
    y = status.by_year
    years = [str(v) for v in y["year"]]
    by_year = go.Figure()
    by_year.add_bar(x=years, y=y["named_parks"].tolist(), name=bi("已具名园区", "Named parks"), marker_color="#2563eb")
    by_year.add_bar(x=years, y=y["unnamed_parks"].tolist(), name=bi("未具名园区", "Unnamed parks"), marker_color="#93c5fd")
    tgt = y[y["target_parks"].notna()]
    by_year.add_scatter(x=[str(v) for v in tgt["year"]], y=tgt["target_parks"].tolist(), mode="lines+markers",
                        name=bi("累计目标", "Cumulative target"), line={"color": "#dc2626", "dash": "dash"})
    _layout(by_year, bi("示范园区累计数与目标", "Designated parks vs targets (cumulative)"))
    by_year.update_layout(barmode="stack")
    by_year.update_xaxes(type="category")

    p = status.by_province
    by_prov = go.Figure()
    labels = [bi(a, b) for a, b in zip(p["name_zh"], p["name_en"], strict=True)]
    by_prov.add_bar(x=labels, y=p["candidate_parks"].tolist(), name=bi("园区", "Parks"), marker_color="#9ca3af")
    by_prov.add_bar(x=labels, y=p["designated_parks"].tolist(), name=bi("示范园区", "Designated"),
                    marker_color="#2563eb")
    _layout(by_prov, bi("按省市", "By province"))

    z = status.by_zone
    by_zone = go.Figure()
    zl = [bi(a, b) for a, b in zip(z["name_zh"], z["name_en"], strict=True)]
    by_zone.add_bar(y=zl, x=z["parks"].tolist(), orientation="h", name=bi("园区", "Parks"), marker_color="#9ca3af")
    by_zone.add_bar(y=zl, x=z["designated_parks"].tolist(), orientation="h", name=bi("示范园区", "Designated"),
                    marker_color="#2563eb")
    _layout(by_zone, bi("按片区", "By zone"), height=max(340, 40 + 34 * len(z)))
    by_zone.update_layout(margin={"l": 260})
    by_zone.update_yaxes(autorange="reversed")

    a = status.by_area_type
    by_area = go.Figure()
    al = [bi(x, y_) for x, y_ in zip(a["name_zh"], a["name_en"], strict=True)]
    by_area.add_bar(y=al, x=a["parks"].tolist(), orientation="h", name=bi("园区", "Parks"), marker_color="#9ca3af")
    by_area.add_bar(y=al, x=a["designated_parks"].tolist(), orientation="h", name=bi("示范园区", "Designated"),
                    marker_color="#2563eb")
    _layout(by_area, bi("按区域类型", "By area type"))
    by_area.update_layout(margin={"l": 230})
    by_area.update_yaxes(autorange="reversed")
    return {"by_year": by_year, "by_province": by_prov, "by_zone": by_zone, "by_area_type": by_area}
