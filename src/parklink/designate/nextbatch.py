"""Next-batch planning (下一批示范园区): propose the next batch from the programme's real state.

The designations made so far are **fixed history**: their parks are not decisions of the
model, they only satisfy rules (a partner across the border, a zone already represented, a
district already holding parks). The model chooses the new parks of one batch.

Decision ``x_p ∈ {0,1}`` for every candidate *p* not yet designated; with
``count = "designations"`` also ``y_e ∈ {0,1}`` for a cross-border pair *e* of two new
parks designated together (one designation). Maximise ``Σ_p s_p x_p`` (evaluation score)
subject to the constraint groups below (each optional except ``size``; formulas in
``docs/designation.md``):

=======================  ==================================================================
``size``                 ``Σ x = S`` (parks) or ``Σ x − Σ y = S`` (designations)
``pair_matching``        ``Σ_{e∋p} y_e ≤ x_p`` (defines y; never relaxed)
``province_share:<P>``   ``Σ_{p∈P} x_p ≥ share · Σ x``
``province_min:<P>``     ``Σ_{p∈P} x_p ≥ m_P``
``pairing``              ``x_p ≤ Σ_{q∈N(p)} x_q`` unless *p* already has a designated partner
                         within reach (or is a cross-border cooperation area)
``area_type:<a>``        ``Σ_{p of type a} x_p ≥ share_a · Σ x``
``zone``                 ``Σ_{p∈z} x_p ≥ 1`` for each required zone without a designated park
``district_cap`` / ``city_cap``  ``Σ_{p∈d} x_p ≤ max(0, N − designated parks in d)``
``parent_child``         a park and its parent never both (``x_p + x_q ≤ 1``; ``x_p = 0``
                         when the other is already designated)
``focal_chain:<g>``      ``Σ_{p serves g} x_p ≥ 1`` (autos & motorcycles, electronics, biomedicine)
``forced_in`` / ``forced_out``  ``x_p = 1`` / ``x_p = 0``
=======================  ==================================================================

**Infeasibility.** When the model has no solution, the *elastic* model adds to every row
(except ``pair_matching``) nonnegative slacks ``s⁻, s⁺`` with ``lb ≤ a·x + s⁻ − s⁺ ≤ ub``
and maximises ``Σ s_p x_p − M Σ (s⁻ + s⁺)`` with ``M = 1 + Σ|s_p|``: the total slack is
minimal first (the smallest relaxation, in parks), the score second. The nonzero slacks
say which rules conflict and by how much (:class:`NextBatchInfeasibleError`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from parklink.errors import InfeasibleError, Problem, ValidationError
from parklink.evaluate.location import TravelTime, geodesic_travel_time_within
from parklink.optim import Model, Solution
from parklink.vocab import PROVINCE_NAMES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Count = Literal["parks", "designations"]

#: Focal-chain groups of the programme: key → (chains that serve it, zh, en).
FOCAL_GROUPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "auto_moto": (("auto", "moto"), "汽车摩托车", "autos & motorcycles"),
    "electronics": (("electronics",), "电子信息", "electronics"),
    "biomed": (("biomed",), "生物医药", "biomedicine"),
}
NEXT_GROUP_LABELS: dict[str, tuple[str, str]] = {
    "size": ("批次规模", "batch size"),
    "pair_matching": ("结对定义", "pair definition"),
    "province_share": ("川渝比例", "Sichuan/Chongqing share"),
    "province_min": ("省份最少数量", "minimum per province"),
    "pairing": ("跨省结对", "cross-border pairing"),
    "area_type": ("区域类型比例", "area-type share"),
    "zone": ("区域覆盖", "zone represented"),
    "district_cap": ("区县上限", "at most N per district"),
    "city_cap": ("市上限", "at most N per city"),
    "parent_child": ("母子园区不重复", "parent and child park never both"),
    "focal_chain": ("重点产业链覆盖", "focal chain served"),
    "forced_in": ("指定入选", "forced in"),
    "forced_out": ("指定排除", "forced out"),
}


def next_group_label(group: str, lang: str = "both") -> str:
    """Label of a constraint group such as ``province_share:SC`` (zh, en or both)."""
    fam, _, item = group.partition(":")
    zh, en = NEXT_GROUP_LABELS.get(fam, (fam, fam))
    text = {"zh": zh, "en": en}.get(lang, f"{zh} {en}")
    return text + (f" ({item})" if item else "")


@dataclass(frozen=True)
class NextBatchRules:
    """The rules a programme office states for the next batch (all optional but ``size``).

    ``size`` counts new parks (``count="parks"``) or new designations
    (``count="designations"``: two new parks paired together are one designation); ``None``
    lets :func:`parklink.designate.next_api.plan_next_batch_from_frames` derive it from the
    cumulative target. Shares apply to the new parks of the batch; ``max_pair_hours`` is the
    pairing radius (h); ``pair_candidates`` the partners kept per park (nearest first);
    ``max_per_district`` / ``max_per_city`` cap designated parks (history included).
    """

    year: int = 2025
    size: int | None = None
    count: Count = "parks"
    target: int | None = None
    min_province_share: float = 0.4
    min_per_province: dict[str, int] = field(default_factory=dict)
    require_pairing: bool = True
    pair_with_existing: bool = True
    max_pair_hours: float = 3.0
    pair_candidates: int = 8
    area_type_min_share: dict[str, float] = field(
        default_factory=lambda: {"critical_development": 0.2, "transport_node": 0.2, "adjacent": 0.2})
    zone_coverage: bool = True
    require_zones: tuple[str, ...] | None = None
    max_per_district: int | None = None
    max_per_city: int | None = None
    focal_chains: tuple[str, ...] = ("auto_moto", "electronics", "biomed")
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    time_limit: float = 60.0
    mip_gap: float = 0.0

    def __post_init__(self) -> None:
        p: list[Problem] = []
        src = "next-batch rules"
        if self.count not in ("parks", "designations"):
            p.append(Problem(src, None, "count", str(self.count), "must be parks or designations"))
        if self.size is not None and self.size < 0:
            p.append(Problem(src, None, "size", str(self.size), "must be ≥ 0"))
        for name in ("min_province_share",):
            v = getattr(self, name)
            if not 0.0 <= v <= 0.5:
                p.append(Problem(src, None, name, str(v), "must be within [0, 0.5]"))
        for k, v in self.area_type_min_share.items():
            if not 0.0 <= v <= 1.0:
                p.append(Problem(src, None, f"area_type_min_share.{k}", str(v), "must be within [0, 1]"))
        for k in self.min_per_province:
            if k not in PROVINCE_NAMES:
                p.append(Problem(src, None, "min_per_province", k, "province must be SC or CQ"))
        bad = [g for g in self.focal_chains if g not in FOCAL_GROUPS]
        p += [Problem(src, None, "focal_chains", g, f"unknown group; use {', '.join(FOCAL_GROUPS)}") for g in bad]
        if not (self.max_pair_hours > 0 and math.isfinite(self.max_pair_hours)):
            p.append(Problem(src, None, "max_pair_hours", str(self.max_pair_hours), "must be a positive number"))
        for name in ("max_per_district", "max_per_city"):
            v = getattr(self, name)
            if v is not None and v < 1:
                p.append(Problem(src, None, name, str(v), "must be ≥ 1"))
        if p:
            raise ValidationError(p)


@dataclass(frozen=True, eq=False)
class Rows:
    """The constraint rows of one next-batch model, kept for explanations and swap checks."""

    group: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    entries: list[tuple[IntArray, FloatArray]] = field(default_factory=list)

    def add(self, group: str, name: str, cols: Sequence[int] | IntArray, coefs: Sequence[float] | FloatArray,
            *, lb: float = -math.inf, ub: float = math.inf) -> None:
        """Append one row ``lb ≤ Σ coefs · var[cols] ≤ ub``."""
        self.group.append(group)
        self.name.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.entries.append((np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=np.float64)))

    def matrix(self, nv: int) -> sp.csr_matrix:
        """The rows as a sparse matrix over ``nv`` variables."""
        if not self.entries:
            return sp.csr_matrix((0, nv))
        r = np.concatenate([np.full(len(c), i) for i, (c, _v) in enumerate(self.entries)])
        c = np.concatenate([c for c, _v in self.entries])
        v = np.concatenate([v for _c, v in self.entries])
        return sp.csr_matrix((v, (r, c)), shape=(len(self.entries), nv))


@dataclass(frozen=True, eq=False)
class NextBatchModel:
    """A built next-batch model: candidates, fixed history, variables, rows and edges."""

    cand: pd.DataFrame  # every candidate (fixed ones included), positional index
    free: IntArray  # candidate positions that are decisions (not yet designated)
    fixed: IntArray  # candidate positions already designated
    x: IntArray  # variable index per free candidate
    y: IntArray  # variable index per row of ``ypairs`` (designations count only)
    edges: pd.DataFrame  # new–new partner edges: a, b (candidate positions), hours
    ypairs: pd.DataFrame  # the edges that may merge two new parks into one designation
    hours: FloatArray  # hours[i, j] for i in SC rows, j in CQ rows of cand (see sc_pos/cq_pos)
    sc_pos: IntArray
    cq_pos: IntArray
    rows: Rows
    rules: NextBatchRules
    size: int
    nv: int


def prepare_candidates(frame: pd.DataFrame, *, source: str = "candidates") -> pd.DataFrame:
    """Check and normalise a next-batch candidate table.

    Required columns: ``park_id``, ``province`` (SC/CQ), ``lon``, ``lat``, ``score``;
    optional: ``name_zh``, ``name_en``, ``zones``, ``area_types``, ``focus_chains`` (lists or
    ';'-text), ``kind`` (``cooperation_area`` pairs itself), ``adcode`` (district),
    ``parent_park_id``, ``designated`` (bool: already designated, fixed history),
    ``designated_year``.
    """
    from parklink.designate.model import validate_candidates

    cand = validate_candidates(frame, source=source)
    f = frame.reset_index(drop=True)
    cand["adcode"] = f["adcode"].astype("string").fillna("").to_numpy() if "adcode" in f else ""
    parent = f["parent_park_id"].astype("string").fillna("") if "parent_park_id" in f else pd.Series([""] * len(f))
    cand["parent_park_id"] = parent.to_numpy()
    if "designated" in f:
        cand["designated"] = f["designated"].fillna(False).astype(bool).to_numpy()
    else:
        cand["designated"] = cand["existing_year"].notna().to_numpy()
    years = f["designated_year"] if "designated_year" in f else cand["existing_year"]
    cand["designated_year"] = pd.to_numeric(years, errors="coerce").astype("Int64").to_numpy()
    return cand


def _hours(cand: pd.DataFrame, travel_time: TravelTime | None,
           max_hours: float) -> tuple[FloatArray, IntArray, IntArray]:
    """Hours between every SC (rows) and CQ (columns) candidate; with the default geodesic
    times, pairs beyond ``max_hours`` are ``inf`` (only reach matters to the model)."""
    sc = np.flatnonzero((cand["province"] == "SC").to_numpy())
    cq = np.flatnonzero((cand["province"] == "CQ").to_numpy())
    xy = cand[["lon", "lat"]].to_numpy(dtype=np.float64)
    if len(sc) == 0 or len(cq) == 0:
        return np.zeros((len(sc), len(cq))), sc.astype(np.int64), cq.astype(np.int64)
    if travel_time is None:
        h = geodesic_travel_time_within(xy[sc], xy[cq], max_hours)
    else:
        h = np.asarray(travel_time(xy[sc], xy[cq]), dtype=np.float64)
    return h, sc.astype(np.int64), cq.astype(np.int64)


def build_next_model(cand: pd.DataFrame, rules: NextBatchRules, *, size: int,
                     travel_time: TravelTime | None = None) -> NextBatchModel:
    """Assemble the next-batch rows for prepared candidates (:func:`prepare_candidates`)."""
    n = len(cand)
    designated = cand["designated"].to_numpy(dtype=bool)
    ids = cand["park_id"].astype(str).tolist()
    pos = {p: i for i, p in enumerate(ids)}
    unknown = [p for p in (*rules.forced_in, *rules.forced_out) if p not in pos]
    if unknown:
        raise ValidationError([Problem("next-batch rules", None, "forced_in/forced_out", p,
                                       "not a candidate park id") for p in unknown])
    clash = [p for p in rules.forced_out if designated[pos[p]]]
    if clash:
        raise ValidationError([Problem("next-batch rules", None, "forced_out", p,
                                       "already designated (history is fixed)") for p in clash])
    free = np.flatnonzero(~designated).astype(np.int64)
    fixed = np.flatnonzero(designated).astype(np.int64)
    xcol = np.full(n, -1, dtype=np.int64)
    xcol[free] = np.arange(len(free))
    hours, sc_pos, cq_pos = _hours(cand, travel_time, rules.max_pair_hours)
    reach = hours <= rules.max_pair_hours
    # partner structure: per free park, fixed partners in reach, and nearest free partners
    k = max(int(rules.pair_candidates), 1)
    edges_a: list[int] = []
    edges_b: list[int] = []
    edges_h: list[float] = []
    has_fixed_partner = np.zeros(n, dtype=bool)
    free_sc = designated[sc_pos] == 0
    free_cq = designated[cq_pos] == 0
    if hours.size:
        fixed_near_sc = (reach & ~free_cq[None, :]).any(axis=1)
        fixed_near_cq = (reach & ~free_sc[:, None]).any(axis=0)
        has_fixed_partner[sc_pos] = fixed_near_sc
        has_fixed_partner[cq_pos] = fixed_near_cq
        keep = np.zeros_like(reach)
        hf = np.where(reach & free_sc[:, None] & free_cq[None, :], hours, np.inf)
        k1 = min(k, hf.shape[1])
        nn = np.argpartition(hf, k1 - 1, axis=1)[:, :k1]
        keep[np.arange(hf.shape[0])[:, None], nn] = True
        k2 = min(k, hf.shape[0])
        nn2 = np.argpartition(hf, k2 - 1, axis=0)[:k2, :]
        keep[nn2, np.arange(hf.shape[1])[None, :]] = True
        ii, jj = np.nonzero(keep & np.isfinite(hf))
        edges_a, edges_b, edges_h = sc_pos[ii].tolist(), cq_pos[jj].tolist(), hf[ii, jj].tolist()
    edges = pd.DataFrame({"a": edges_a, "b": edges_b, "hours": edges_h}, dtype=object)
    edges = edges.astype({"a": np.int64, "b": np.int64, "hours": np.float64})
    use_y = rules.count == "designations"
    coop = (cand["kind"] == "cooperation_area").to_numpy()
    # a cross-border cooperation area is one designation by itself: never merged into a pair
    ypairs = edges[~coop[edges["a"].to_numpy()] & ~coop[edges["b"].to_numpy()]].reset_index(drop=True)
    ne = len(ypairs) if use_y else 0
    nx = len(free)
    nv = nx + ne
    x = np.arange(nx, dtype=np.int64)
    y = np.arange(nx, nx + ne, dtype=np.int64)
    rows = Rows()
    allx = x
    ones = np.ones(nx)
    # size
    if use_y:
        rows.add("size", f"new designations = {size}", np.concatenate([x, y]),
                 np.concatenate([ones, -np.ones(ne)]), lb=size, ub=size)
        a_cols = xcol[ypairs["a"].to_numpy()]
        b_cols = xcol[ypairs["b"].to_numpy()]
        inc = sp.csr_matrix((np.ones(2 * ne), (np.concatenate([a_cols, b_cols]), np.tile(np.arange(ne), 2))),
                            shape=(nx, ne))
        for p in np.flatnonzero(np.diff(inc.indptr)):
            e_idx = inc.indices[inc.indptr[p]:inc.indptr[p + 1]]
            rows.add("pair_matching", f"pairs of {ids[free[p]]} ≤ 1", np.concatenate([y[e_idx], [x[p]]]),
                     np.concatenate([np.ones(len(e_idx)), [-1.0]]), ub=0.0)
    else:
        rows.add("size", f"new parks = {size}", allx, ones, lb=size, ub=size)
    prov = cand["province"].to_numpy()[free]
    # province balance
    for pv in ("SC", "CQ"):
        mem = prov == pv
        if rules.min_province_share > 0:
            coef = np.where(mem, 1.0 - rules.min_province_share, -rules.min_province_share)
            rows.add(f"province_share:{pv}", f"{pv} ≥ {rules.min_province_share:g} × new parks", allx, coef, lb=0.0)
        m = rules.min_per_province.get(pv, 0)
        if m > 0:
            rows.add(f"province_min:{pv}", f"{pv} new parks ≥ {m}", x[mem], np.ones(int(mem.sum())), lb=float(m))
    # pairing
    self_paired = (cand["kind"] == "cooperation_area").to_numpy()
    if rules.require_pairing:
        nbrs: list[list[int]] = [[] for _ in range(n)]
        for a, b in zip(edges["a"], edges["b"], strict=True):
            nbrs[int(a)].append(int(b))
            nbrs[int(b)].append(int(a))
        for i in free:
            if self_paired[i] or (rules.pair_with_existing and has_fixed_partner[i]):
                continue
            cols = [int(xcol[i]), *(int(xcol[q]) for q in nbrs[i])]
            rows.add("pairing", f"partner for {ids[i]}", cols, [1.0] + [-1.0] * (len(cols) - 1), ub=0.0)
    # area types
    at_sets = [set(a) for a in cand["area_types"]]
    for at, share in rules.area_type_min_share.items():
        if share <= 0:
            continue
        mem = np.array([at in at_sets[i] for i in free], dtype=bool)
        rows.add(f"area_type:{at}", f"{at} ≥ {share:g} × new parks", allx, np.where(mem, 1.0 - share, -share), lb=0.0)
    # zones
    zsets = [set(z) for z in cand["zones"]]
    if rules.zone_coverage:
        zones = rules.require_zones if rules.require_zones is not None else sorted({z for zs in zsets for z in zs})
        for z in zones:
            if any(z in zsets[i] for i in fixed):
                continue
            mem = np.array([z in zsets[i] for i in free], dtype=bool)
            rows.add("zone", f"zone {z} ≥ 1", x[mem], np.ones(int(mem.sum())), lb=1.0)
    # district / city caps (history included)
    adc = cand["adcode"].astype(str).to_numpy()
    for grp, cap, key in (("district_cap", rules.max_per_district, adc),
                          ("city_cap", rules.max_per_city, np.array([a[:4] + "00" if a else "" for a in adc]))):
        if cap is None:
            continue
        for d in sorted(set(key[free]) - {""}):
            room = max(0, cap - int((key[fixed] == d).sum()))
            mem = key[free] == d
            if int(mem.sum()) > room:
                rows.add(grp, f"{d} ≤ {room} new", x[mem], np.ones(int(mem.sum())), ub=float(room))
    # parent / child
    par = cand["parent_park_id"].astype(str).tolist()
    for ci in range(n):
        q = pos.get(par[ci]) if par[ci] else None
        if q is None or q == ci:
            continue
        if designated[ci] and designated[q]:
            continue
        if designated[ci] or designated[q]:
            c = q if designated[ci] else ci
            rows.add("parent_child", f"{ids[c]} not with designated {ids[ci if c == q else q]}", [xcol[c]], [1.0],
                     ub=0.0)
        else:
            rows.add("parent_child", f"{ids[ci]} or parent {ids[q]}", [xcol[ci], xcol[q]], [1.0, 1.0], ub=1.0)
    # focal chains (served by the new batch)
    chain_sets = [set(c) for c in cand["focus_chains"]]
    for g in rules.focal_chains:
        chains = set(FOCAL_GROUPS[g][0])
        mem = np.array([bool(chains & chain_sets[i]) for i in free], dtype=bool)
        rows.add(f"focal_chain:{g}", f"{g} served ≥ 1", x[mem], np.ones(int(mem.sum())), lb=1.0)
    # forced lists
    for pin in rules.forced_in:
        if not designated[pos[pin]]:
            rows.add("forced_in", f"in {pin}", [xcol[pos[pin]]], [1.0], lb=1.0)
    for pout in rules.forced_out:
        rows.add("forced_out", f"out {pout}", [xcol[pos[pout]]], [1.0], ub=0.0)
    return NextBatchModel(cand=cand, free=free, fixed=fixed, x=x, y=y, edges=edges, ypairs=ypairs, hours=hours,
                          sc_pos=sc_pos, cq_pos=cq_pos, rows=rows, rules=rules, size=size, nv=nv)


def to_highs(nm: NextBatchModel, *, elastic: bool = False) -> tuple[Model, IntArray, IntArray]:
    """The HiGHS model of ``nm`` (:mod:`parklink.optim`); with ``elastic`` every row but
    ``pair_matching`` gets penalised slacks. Returns the model and the slack columns
    (``s⁻`` raising the row activity, ``s⁺`` lowering it; one per row, −1 where none)."""
    score = nm.cand["score"].to_numpy(dtype=np.float64)[nm.free]
    m = Model(f"next-batch {nm.rules.year}", sense="max")
    m.add_binaries(len(nm.x), name="x", obj=score)
    if len(nm.y):
        m.add_binaries(len(nm.y), name="y")
    nr = len(nm.rows.group)
    lo = np.full(nr, -1, dtype=np.int64)
    hi = np.full(nr, -1, dtype=np.int64)
    mat = nm.rows.matrix(nm.nv)
    if elastic:
        big = 1.0 + float(np.abs(score).sum())
        soft = np.array([g != "pair_matching" for g in nm.rows.group], dtype=bool)
        has_lb = soft & np.isfinite(np.array(nm.rows.lb))
        has_ub = soft & np.isfinite(np.array(nm.rows.ub))
        nlo, nhi = int(has_lb.sum()), int(has_ub.sum())
        slo = m.add_vars(nlo, name="slack_lo", lb=0.0, obj=-big)
        shi = m.add_vars(nhi, name="slack_hi", lb=0.0, obj=-big)
        lo[has_lb] = slo
        hi[has_ub] = shi
        extra = sp.csr_matrix(
            (np.concatenate([np.ones(nlo), -np.ones(nhi)]),
             (np.concatenate([np.flatnonzero(has_lb), np.flatnonzero(has_ub)]), np.concatenate([slo, shi]))),
            shape=(nr, m.num_vars))
        mat = sp.hstack([mat, sp.csr_matrix((nr, m.num_vars - nm.nv))]).tocsr() + extra
    lb = np.array(nm.rows.lb)
    ub = np.array(nm.rows.ub)
    groups = np.array(nm.rows.group, dtype=object)
    for g in dict.fromkeys(nm.rows.group):
        sel = np.flatnonzero(groups == g)
        m.add_rows(g, rows=mat[sel], lb=lb[sel], ub=ub[sel], names=[nm.rows.name[i] for i in sel])
    return m, lo, hi


class NextBatchInfeasibleError(InfeasibleError):
    """No next batch satisfies the rules; ``relaxation`` is the smallest relaxation found by
    the elastic model (one row per relaxed constraint: group, row, bound, slack, text)."""

    def __init__(self, message: str, conflicts: Sequence[str], relaxation: pd.DataFrame) -> None:
        super().__init__(message, conflicts)
        self.relaxation = relaxation


def solve_next(nm: NextBatchModel, *, threads: int | None = None) -> tuple[Model, Solution]:
    """Solve the hard model; on infeasibility solve the elastic model and raise
    :class:`NextBatchInfeasibleError` with its slacks."""
    from parklink.designate.next_explain import relaxation_table

    m, _lo, _hi = to_highs(nm)
    sol = m.solve(time_limit=nm.rules.time_limit, mip_gap=nm.rules.mip_gap, threads=threads)
    if sol.feasible:
        return m, sol
    if sol.status in ("time_limit", "iteration_limit", "interrupted"):
        raise InfeasibleError(
            f"下一批方案在时限内未找到可行解 next batch: no feasible plan within {nm.rules.time_limit:g} s "
            f"(status {sol.status}); raise the time limit", conflicts=())
    em, lo, hi = to_highs(nm, elastic=True)
    es = em.solve(time_limit=nm.rules.time_limit, mip_gap=nm.rules.mip_gap, threads=threads)
    table = relaxation_table(nm, em, es, lo, hi)
    groups = tuple(dict.fromkeys(table["group"])) if len(table) else ()
    lines = "; ".join(f"{t}" for t in table["text_en"].head(8))
    zh = "；".join(f"{t}" for t in table["text_zh"].head(8))
    total = float(table["slack"].sum()) if len(table) else 0.0
    msg = (f"下一批方案不可行：{zh}。最小放宽共 {total:g}。 Next batch {nm.rules.year} is infeasible: {lines}. "
           f"Smallest relaxation: {total:g} in total (units: parks).")
    raise NextBatchInfeasibleError(msg, groups, table)
