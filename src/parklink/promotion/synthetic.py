"""The embedded default's SYNTHETIC promotion pipeline (合成招商数据), seeded and labelled.

For every designation with named member parks: one promotion plan (2021–2025, yearly
goals), two joint promotion events a year (2021–2025), the projects signed on site at each
event and the leads it generated, their stage-event logs and their funds in place — every
row ``synthetic = true``, ``confidence = synthetic`` and a ``source_url`` naming this
generator and its calibration source. Nothing here is a fact about a real event or firm.

**Calibration** (:data:`CALIBRATION`): the cohort of projects *signed at an event*, measured
12 months after the event (:data:`HORIZON_DAYS`), reproduces the rates reported for the
signed projects of the 10th Western China International Fair (第十届西博会) under provincial
priority supervision (Sichuan, 2010): 履约率 95 %, 开工率 86 %, 投产率 30 %, 资金到位率
about 30 % (``operations-facts.md`` §1.1, http://www.scspc.gov.cn/html/zhyw_11/2010/0719/55208.html).
Method: each project draws a uniform ``u``; the first ``86 %`` of the unit interval start
within the horizon (delay spread over 20–330 days), the next ``9 %`` perform without
starting (funds arrive within the horizon), the rest neither; of the starters, a share
``30 / 86`` reaches production within the horizon. Funds by the horizon are drawn per
project and rescaled so that Σ funds / Σ signed investment of all on-site signings is
exactly 30 %. Later events (production, capacity, further funds, terminations of
non-performing projects) follow after the horizon, up to :data:`SYNTHETIC_AS_OF`.

A few **real** projects are added separately (:func:`real_projects`) with their sources,
``synthetic = false``: never mixed without the label.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from parklink.tables import split_list

__all__ = ["CALIBRATION", "CALIBRATION_SOURCE", "HORIZON_DAYS", "SYNTHETIC_AS_OF", "default_frames",
           "generate_pipeline", "real_projects"]

#: Published cohort rates the generator reproduces (share of signed projects).
CALIBRATION: dict[str, float] = {"performance_rate": 0.95, "start_rate": 0.86, "production_rate": 0.30,
                                 "funds_rate": 0.30}
CALIBRATION_SOURCE = "http://www.scspc.gov.cn/html/zhyw_11/2010/0719/55208.html"
#: The cohort is measured this many days after its event.
HORIZON_DAYS = 365
#: No synthetic event is dated after this day (the data are reproducible, not "today").
SYNTHETIC_AS_OF = dt.date(2026, 6, 30)
_NOTE = (f"synthetic:parklink.promotion.synthetic (seeded); cohort rates calibrated to the 10th Western China "
         f"Fair's signed projects {CALIBRATION_SOURCE}")
_CITIES = (("成都", "CN"), ("重庆", "CN"), ("深圳", "CN"), ("上海", "CN"), ("北京", "CN"), ("杭州", "CN"),
           ("苏州", "CN"), ("新加坡", "Singapore"), ("法兰克福", "Germany"), ("东京", "Japan"))
_ORIGINS = (("广东", "CN", 0.22), ("浙江", "CN", 0.14), ("江苏", "CN", 0.12), ("上海", "CN", 0.10),
            ("北京", "CN", 0.07), ("重庆", "CN", 0.10), ("四川", "CN", 0.10), ("福建", "CN", 0.05),
            (None, "Germany", 0.03), (None, "Japan", 0.03), (None, "Singapore", 0.04))
_MODES = (("new", 0.55), ("expansion", 0.2), ("relocation", 0.15), ("pip_hq_base", 0.04),
          ("pip_rd_transformation", 0.03), ("pip_terminal_support", 0.03))
_REASONS = ("investor_withdrew", "financing", "land", "approval", "relocated", "market")
_SYN = {"synthetic": True, "source_url": _NOTE, "confidence": "synthetic"}


def _day(d: dt.date, n: float) -> dt.date:
    return d + dt.timedelta(days=round(n))


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.projects: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.funds: list[dict[str, Any]] = []
        self.fund_at: dict[str, dict[str, Any]] = {}
        self.pending: list[tuple[str, dt.date, float, float, float]] = []
        self.onsite: list[int] = []  # project indexes of on-site signings with a complete horizon

    def choice(self, items: tuple[Any, ...], weights: tuple[float, ...] | None = None) -> Any:
        p = None if weights is None else np.asarray(weights) / np.sum(weights)
        return items[int(self.rng.choice(len(items), p=p))]

    def stage(self, pid: str, stage: str, on: dt.date, reason: str | None = None) -> None:
        if on <= SYNTHETIC_AS_OF:
            self.events.append({"stage_event_id": f"{pid}:{stage}", "project_id": pid, "stage": stage, "on_date": on,
                                "recorded_by": "synthetic", "source": "synthetic pipeline", "reason": reason,
                                "note": None})

    def fund(self, pid: str, on: dt.date, amount: float) -> None:
        if on <= SYNTHETIC_AS_OF and amount > 0:
            fid = f"{pid}:{on.isoformat()}"
            if fid in self.fund_at:
                self.fund_at[fid]["amount_cny_m"] = round(self.fund_at[fid]["amount_cny_m"] + amount, 6)
                return
            self.fund_at[fid] = {"fund_id": fid, "project_id": pid, "on_date": on, "amount_cny_m": round(amount, 6),
                               "use": self.choice(("fixed_assets", "working_capital"), (0.75, 0.25)),
                               "source": "synthetic pipeline"}
            self.funds.append(self.fund_at[fid])


def _project(g: _Gen, pid: str, park: str, chains: list[str], event_id: str | None, plan_id: str | None,
             signed: dt.date | None) -> dict[str, Any]:
    prov, ctry, _w = g.choice(_ORIGINS, tuple(o[2] for o in _ORIGINS))
    inv = float(np.round(g.rng.lognormal(np.log(300.0), 0.9), 1))
    planned_start = _day(signed, g.rng.uniform(60, 300)) if signed else None
    planned_prod = _day(planned_start, g.rng.uniform(240, 540)) if planned_start else None
    n = int(pid.rsplit("-", 1)[1])
    return {"project_id": pid, "name_zh": f"合成项目 {pid}", "name_en": f"synthetic project {pid}",
            "investor_id": None, "investor_name": f"合成投资方 {n:05d} (synthetic investor)",
            "origin_province": prov, "origin_country": ctry, "park_id": park,
            "chain": g.choice(tuple(chains)) if chains else None, "segment_id": None,
            "mode": g.choice(tuple(m for m, _ in _MODES), tuple(w for _, w in _MODES)),
            "signed_investment_cny_m": inv, "jobs": int(inv * g.rng.uniform(0.4, 1.2)),
            "expected_output_cny_m": round(inv * g.rng.uniform(1.0, 2.5), 1),
            "expected_tax_cny_m": round(inv * g.rng.uniform(0.04, 0.12), 2),
            "planned_sign": None, "planned_start": planned_start, "planned_production": planned_prod,
            "planned_capacity": _day(planned_prod, 365) if planned_prod else None,
            "event_id": event_id, "plan_id": plan_id, "rec_rank": None, "rec_score": None, "rec_reason": None,
            "rec_model_version": None, "rec_scope_id": None, **_SYN}


def _after_signing(g: _Gen, pid: str, signed: dt.date, inv: float) -> None:
    """Stage events of a signed project; its funds are settled by :func:`_settle_funds`."""
    h = HORIZON_DAYS
    u = g.rng.uniform()
    c = CALIBRATION
    share = 0.0
    if u < c["start_rate"]:
        start = g.rng.uniform(20, h - 35)
        g.stage(pid, "construction_started", _day(signed, start))
        share = g.rng.uniform(0.1, 0.6)
        if g.rng.uniform() < c["production_rate"] / c["start_rate"]:
            prod = g.rng.uniform(start + 15, h - 1)
        else:
            prod = h + g.rng.uniform(30, 700)
        g.stage(pid, "in_production", _day(signed, prod))
        if g.rng.uniform() < 0.45:
            g.stage(pid, "at_capacity", _day(signed, prod + g.rng.uniform(300, 700)))
        first = g.rng.uniform(max(start - 60, 1), start + 10)
    elif u < c["performance_rate"]:
        share = g.rng.uniform(0.05, 0.25)
        first = g.rng.uniform(10, h - 10)
        if g.rng.uniform() < 0.6:
            g.stage(pid, "construction_started", _day(signed, h + g.rng.uniform(20, 300)))
    else:
        if g.rng.uniform() < 0.6:
            g.stage(pid, "terminated", _day(signed, h + g.rng.uniform(1, 400)), g.choice(_REASONS))
        return
    g.pending.append((pid, signed, first, share, inv))


def _settle_funds(g: _Gen) -> None:
    """Rescale the by-horizon shares so Σ funds / Σ signed investment of the on-site
    cohort equals the calibration rate, then write the tranches (before and after the
    horizon)."""
    pending = g.pending
    onsite = {g.projects[i]["project_id"] for i in g.onsite}
    inv_all = sum(g.projects[i]["signed_investment_cny_m"] for i in g.onsite)
    got = sum(share * inv for pid, _sd, _f, share, inv in pending if pid in onsite)
    scale = CALIBRATION["funds_rate"] * inv_all / got if got > 0 else 1.0
    for pid, signed, first, share, inv in pending:
        by_h = min(share * scale, 1.0) * inv
        n = int(g.rng.integers(1, 4))
        days = np.sort(g.rng.uniform(first, HORIZON_DAYS - 1, size=n))
        days[0] = first
        parts = g.rng.dirichlet(np.ones(n)) * by_h
        for d, a in zip(days, parts, strict=True):
            g.fund(pid, _day(signed, d), float(a))
        later = (1.0 - min(share * scale, 1.0)) * inv * g.rng.uniform(0.2, 0.8)
        if later > 0:
            g.fund(pid, _day(signed, HORIZON_DAYS + g.rng.uniform(30, 500)), later)


def generate_pipeline(frames: Mapping[str, pd.DataFrame], *, seed: int = 20200611) -> dict[str, pd.DataFrame]:
    """The synthetic pipeline for the designations of ``frames`` (``parks``,
    ``designations``): canonical frames of the promotion kinds (see the module docstring)."""
    g = _Gen(seed)
    parks = frames["parks"]
    focus = dict(zip(parks["park_id"].astype(str), parks["focus_chains"], strict=True))
    des = frames["designations"]
    plans: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    n = 0
    for d in des.sort_values("designation_id").to_dict("records"):
        members = [m for m in split_list(d.get("members")) if m in focus]
        if not members:
            continue
        did = str(d["designation_id"])
        chains = split_list(d.get("theme_chains")) or sorted({c for m in members for c in split_list(focus[m])})
        plan_id = f"syn-plan-{did}"
        plans.append({"plan_id": plan_id, "name_zh": f"合成招商计划 {did}", "name_en": f"synthetic plan {did}",
                      "scope_kind": "designation", "scope_id": did, "period_start": 2021, "period_end": 2025,
                      "focal_chains": ";".join(chains) or None, "focal_segments": None, "status": "active",
                      "note": "合成数据 synthetic", **_SYN})
        for year in range(2021, 2026):
            goals.append({"goal_id": f"{plan_id}:{year}", "plan_id": plan_id, "year": year,
                          "projects": int(g.rng.integers(6, 14)),
                          "signed_investment_cny_m": float(g.rng.integers(20, 60) * 100),
                          "funds_in_place_cny_m": float(g.rng.integers(6, 18) * 100)})
            for half in (0, 1):
                held = dt.date(year, 4 + 6 * half, 1) + dt.timedelta(days=int(g.rng.integers(0, 60)))
                city, country = g.choice(_CITIES)
                eid = f"syn-ev-{did}-{year}{'ab'[half]}"
                signed_n = int(g.rng.poisson(3)) + 2
                leads_n = int(g.rng.poisson(4)) + 1
                events.append({
                    "event_id": eid, "name_zh": f"合成联合招商推介会 {did} {year}{'上下'[half]}半年",
                    "name_en": f"synthetic joint promotion event {did} {year} H{half + 1}", "held_on": held,
                    "city": city, "country": country, "organisers_sc": "合成：四川侧园区管委会 (synthetic)",
                    "organisers_cq": "合成：重庆侧园区管委会 (synthetic)", "chains": ";".join(chains) or None,
                    "invited_firms": int(g.rng.integers(40, 120)), "attending_firms": int(g.rng.integers(20, 40)),
                    "leads_generated": leads_n, "signed_on_site": signed_n, "signed_on_site_cny_m": 0.0, **_SYN})
                for _ in range(signed_n):
                    n += 1
                    pid = f"SYN-{n:05d}"
                    p = _project(g, pid, g.choice(tuple(members)), chains, eid, plan_id, held)
                    g.projects.append(p)
                    g.stage(pid, "lead", _day(held, -g.rng.uniform(60, 200)))
                    g.stage(pid, "negotiating", _day(held, -g.rng.uniform(10, 50)))
                    g.stage(pid, "signed", held)
                    events[-1]["signed_on_site_cny_m"] += p["signed_investment_cny_m"]
                    _after_signing(g, pid, held, p["signed_investment_cny_m"])
                    if _day(held, HORIZON_DAYS) <= SYNTHETIC_AS_OF:
                        g.onsite.append(len(g.projects) - 1)
                for _ in range(leads_n):
                    n += 1
                    pid = f"SYN-{n:05d}"
                    u = g.rng.uniform()
                    signed = _day(held, g.rng.uniform(60, 300)) if u < 0.35 else None
                    p = _project(g, pid, g.choice(tuple(members)), chains, eid, plan_id, signed)
                    if signed is None:
                        p["signed_investment_cny_m"] = None
                    g.projects.append(p)
                    g.stage(pid, "lead", held)
                    if u < 0.6:
                        g.stage(pid, "negotiating", _day(held, g.rng.uniform(10, 55)))
                    if signed is not None:
                        g.stage(pid, "signed", signed)
                        _after_signing(g, pid, signed, p["signed_investment_cny_m"])
                    elif u > 0.85:
                        g.stage(pid, "terminated", _day(held, g.rng.uniform(60, 400)), g.choice(_REASONS))
                events[-1]["signed_on_site_cny_m"] = round(events[-1]["signed_on_site_cny_m"], 1)
    _settle_funds(g)
    from parklink.tables import SCHEMAS

    out = {"promotion_plans": plans, "plan_goals": goals, "plan_targets": [], "promotion_events": events,
           "projects": g.projects, "stage_events": g.events, "project_funds": g.funds}
    return {k: pd.DataFrame(v, columns=list(SCHEMAS[k].names)) for k, v in out.items()}


def real_projects(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Real, sourced projects of the designated parks (``synthetic = false``), from
    ``programme-facts.md``: only facts the sources state (unknown amounts and dates stay
    empty). Parks missing from ``frames`` leave their projects out."""
    from parklink.tables import SCHEMAS

    parks = set(frames["parks"]["park_id"].astype(str))
    src = ("https://sichuan.scol.com.cn/dwzw/202106/58187413.html ; https://www.hkcd.com/content_p/2021-06/17/"
           "content_117449.html")
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if "sc-yibin-sanjiang-new-area" in parks:
        rows.append({
            "project_id": "REAL-CATL-YIBIN", "name_zh": "四川时代动力电池项目", "name_en": "Sichuan CATL power-battery "
            "project (phases 1–6 signed since Sep 2019: > 30 bn CNY in total, about 3,000 mu)",
            "investor_id": None, "investor_name": "宁德时代新能源科技股份有限公司 CATL", "origin_province": "福建",
            "origin_country": "CN", "park_id": "sc-yibin-sanjiang-new-area", "chain": "auto", "segment_id": None,
            "mode": "new", "signed_investment_cny_m": None, "jobs": None, "expected_output_cny_m": None,
            "expected_tax_cny_m": None, "planned_sign": None, "planned_start": None, "planned_production": None,
            "planned_capacity": None, "event_id": None, "plan_id": None, "rec_rank": None, "rec_score": None,
            "rec_reason": None, "rec_model_version": None, "rec_scope_id": None, "synthetic": False,
            "source_url": src, "confidence": "confirmed"})
        events.append({"stage_event_id": "REAL-CATL-YIBIN:in_production", "project_id": "REAL-CATL-YIBIN",
                       "stage": "in_production", "on_date": dt.date(2021, 6, 17), "recorded_by": "programme-facts.md",
                       "source": "phase 1 in operation 17 Jun 2021; " + src, "reason": None,
                       "note": "signing dates of the phases not recorded (sources give only 'since Sep 2019')"})
    return {"projects": pd.DataFrame(rows, columns=list(SCHEMAS["projects"].names)),
            "stage_events": pd.DataFrame(events, columns=list(SCHEMAS["stage_events"].names))}


def default_frames(frames: Mapping[str, pd.DataFrame], *, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """The embedded default's promotion ledger: the synthetic pipeline (settings seed by
    default) plus the sourced real projects, each row labelled by ``synthetic``."""
    from parklink.settings import get_settings

    syn = generate_pipeline(frames, seed=get_settings().seed if seed is None else seed)
    real = real_projects(frames)
    for kind, extra in real.items():
        if len(extra):
            syn[kind] = pd.concat([syn[kind], extra], ignore_index=True) if len(syn[kind]) else extra
    return syn
