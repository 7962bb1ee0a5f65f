# ruff: noqa: N803, N806  (matrix names follow the maths: K, L, W, Z, ...)
"""Synthetic supplier → buyer transactions (:func:`generate_transactions`): the
sampling plan, blocked seeded sampling and the streamed Arrow output.

Part of :mod:`parklink.datasets.synthetic` (the model is described there)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from parklink.datasets.synthetic.common import (
    _HEAVY_RATIO,
    _IN_CIRCLE,
    _ROUNDS,
    BLOCK_ROWS,
    DEFAULT_PARAMS,
    BoolArray,
    FloatArray,
    IntArray,
    SyntheticParams,
    _bad,
    _check_common,
    _haversine_km,
    _parse_template,
    _require_columns,
    _Template,
)
from parklink.datasets.synthetic.hidden import Hidden, make_hidden
from parklink.firmdata import BUYER_KEY, SUPPLIER_KEY
from parklink.tables import split_list as _split_list


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything the per-block sampler needs (arrays over firms, groups, segments)."""

    ids: pa.Array
    n: int
    years: tuple[int, ...]
    seg: IntArray  # firm -> segment index (-1 = none)
    group: IntArray  # firm -> location group
    size: FloatArray
    leading: BoolArray
    in_circle: BoolArray
    active: BoolArray  # (Y, n)
    m: IntArray  # (Y, n) suppliers per buyer-year
    budget: FloatArray  # (Y, n) thousand CNY
    seg_cum: list[FloatArray]  # per year: (K * Kin) flat cumulative with row offsets
    kin_seg: IntArray  # input-segment slot -> segment index
    grp_cum: list[FloatArray]  # per year: (Kin * L * L) flat cumulative
    n_groups: int
    cell_order: IntArray  # firms sorted by cell
    cell_cum: list[FloatArray]  # per year, aligned with cell_order
    cell_start: IntArray  # (K * L + 1)
    keep_p: FloatArray  # (Y,) survival probability of a link from year t-1 into t
    blocks: tuple[tuple[int, int], ...]
    params: SyntheticParams
    weight: FloatArray  # (Y, n) supplier weights w_s
    log_q: list[FloatArray]  # per year (K, Kin) log input-segment probabilities
    log_z: list[FloatArray]  # per year (Kin, L) log normaliser of the group stage
    log_decay: FloatArray  # (L g, L h) log max(d, d0)^-zeta
    n_cand: IntArray  # (K,) candidate suppliers of a buyer segment (all firms of its inputs)
    hidden: Hidden | None = None  # version-2 hidden drivers (acceptance of each draw)
    acc_mean: float = 1.0  # mean acceptance of a draw (scales the rejection rounds)


def _firm_arrays(firms: pd.DataFrame, template: _Template, params: SyntheticParams
                 ) -> tuple[IntArray, FloatArray, BoolArray, BoolArray, IntArray, FloatArray, FloatArray]:
    """Per-firm segment, size, leader/in-circle flags and location groups."""
    _require_columns(firms, "firms", ("enterprise_id", "province", "lon", "lat", "chain", "segments",
                                      "output_cny_m", "leading"))
    n = len(firms)
    index = template.index
    seg_cells = firms["segments"].to_numpy(dtype=object)
    chain_cells = firms["chain"].to_numpy(dtype=object)
    seg = np.full(n, -1, dtype=np.int64)
    # fast path: single known segment id per cell
    mapped = pd.Series(seg_cells).map(index)
    ok = mapped.notna().to_numpy()
    seg[ok] = mapped[ok].astype(np.int64).to_numpy()
    for i in np.flatnonzero(~ok):
        items = [s for s in _split_list(seg_cells[i]) if s in index]
        if items:
            seg[i] = index[items[0]]
        elif str(chain_cells[i]) in template.final:
            seg[i] = template.final[str(chain_cells[i])][0]
    leading = firms["leading"].fillna(False).astype(bool).to_numpy()
    size = pd.to_numeric(firms["output_cny_m"], errors="coerce").to_numpy(np.float64)
    missing = ~np.isfinite(size) | (size <= 0)
    fill = np.nanmedian(size[~missing]) if (~missing).any() else params.size_min_cny_m
    size = np.where(missing, np.where(leading, params.leader_default_output_cny_m, fill), size)
    province = firms["province"].astype(str).to_numpy(dtype=object)
    in_circle = np.isin(province, np.array(_IN_CIRCLE, dtype=object))
    lon = firms["lon"].to_numpy(np.float64)
    lat = firms["lat"].to_numpy(np.float64)
    adcode = (firms["adcode"].astype(object) if "adcode" in firms.columns
              else pd.Series([None] * n, dtype=object))
    key = adcode.where(adcode.notna(), None).to_numpy(dtype=object, copy=True)
    miss = np.flatnonzero(pd.isna(key))
    if miss.size:  # no adcode (out of region): 0.5° grid cells
        gx = (np.floor(lon[miss] * 2) / 2).astype(str).astype(object)
        gy = (np.floor(lat[miss] * 2) / 2).astype(str).astype(object)
        key[miss] = "g" + gx + "_" + gy
    group, _ = pd.factorize(pd.Series(key, dtype=object).astype(str), sort=True)
    g = group.astype(np.int64)
    n_groups = int(g.max()) + 1 if n else 0
    cnt = np.bincount(g, minlength=n_groups).astype(np.float64)
    glon = np.bincount(g, weights=lon, minlength=n_groups) / np.maximum(cnt, 1)
    glat = np.bincount(g, weights=lat, minlength=n_groups) / np.maximum(cnt, 1)
    return seg, size, leading, in_circle, g, glon, glat


def _lifetimes(n: int, n_years: int, leading: BoolArray, params: SyntheticParams, seed: int) -> BoolArray:
    """Active[t, i]: entry/exit with constant yearly rates (leaders always active)."""
    rng = np.random.default_rng([int(seed), 3])
    e, x = params.entry_rate, params.exit_rate
    growth = 1.0 - x + e
    later = np.array([e * growth ** (t - 1) for t in range(1, n_years)], dtype=np.float64)
    probs = np.concatenate([[1.0], later])
    probs = probs / probs.sum()
    start = rng.choice(n_years, size=n, p=probs) if n_years > 1 else np.zeros(n, dtype=np.int64)
    duration = rng.geometric(min(max(x, 1e-9), 1.0), size=n) if x > 0 else np.full(n, n_years)
    end = start + duration - 1
    start = np.where(leading, 0, start)
    end = np.where(leading, n_years, end)
    t = np.arange(n_years)[:, None]
    return np.asarray((start[None, :] <= t) & (t <= end[None, :]), dtype=bool)


def _water_fill(lam: FloatArray, cap: FloatArray, total: float) -> FloatArray:
    """Scale ``lam`` to sum ``total`` with lam_i ≤ cap_i, redistributing capped mass."""
    out = lam.copy()
    for _ in range(50):
        s = out.sum()
        if s <= 0:
            break
        out *= total / s
        over = out > cap
        if not over.any():
            break
        out[over] = cap[over]
        free = ~over & (out > 0) & (out < cap)
        if not free.any():
            break
        need = total - out.sum()
        if need <= 1e-9:
            break
        out[free] += need * out[free] / out[free].sum()
        if (out <= cap + 1e-9).all():
            break
    return np.minimum(out, cap)


def _build_plan(firms: pd.DataFrame, segments: pd.DataFrame, *, n_transactions: int,
                years: Sequence[int], seed: int, params: SyntheticParams) -> _Plan:
    template = _parse_template(segments)
    ys = tuple(int(y) for y in years)
    if not ys or len(set(ys)) != len(ys) or any(y < 2000 or y > 2100 for y in ys):
        raise _bad("arguments", "years must be distinct integers in 2000..2100", column="years", value=list(years))
    if firms["enterprise_id"].duplicated().any():
        dup = firms.loc[firms["enterprise_id"].duplicated(), "enterprise_id"].iloc[0]
        raise _bad("firms", "duplicate enterprise_id", column="enterprise_id", value=dup)
    p = params
    seg, size, leading, in_circle, group, glon, glat = _firm_arrays(firms, template, p)
    n, Y, K, L = len(firms), len(ys), len(template.ids), len(glon)
    active = _lifetimes(n, Y, leading, p, seed) & (seg >= 0)[None, :]

    kin_seg = np.array(sorted({i for ins in template.inputs for i in ins}), dtype=np.int64)
    if kin_seg.size == 0:
        raise _bad("chain_segments", "no segment has inputs; cannot generate transactions", column="inputs")
    slot = np.full(K, -1, dtype=np.int64)
    slot[kin_seg] = np.arange(kin_seg.size)
    Kin = kin_seg.size
    coef = np.zeros((K, Kin))
    for k, ins in enumerate(template.inputs):
        for i in ins:
            coef[k, slot[i]] = template.weight[i]

    dist = _haversine_km(glon[:, None], glat[:, None], glon[None, :], glat[None, :])
    decay = np.maximum(dist, p.self_distance_km) ** (-p.zeta)  # (L supplier g, L buyer h)

    # cells: firms with a segment, sorted by (segment, group)
    valid = np.flatnonzero(seg >= 0)
    cell_of = seg[valid] * L + group[valid]
    order_local = np.argsort(cell_of, kind="stable")
    cell_order = valid[order_local]
    sorted_cells = cell_of[order_local]
    cell_start = np.searchsorted(sorted_cells, np.arange(K * L + 1)).astype(np.int64)

    size_alpha = size ** p.alpha
    size_beta = size ** p.buyer_exponent
    T_year = n_transactions / Y
    m = np.zeros((Y, n), dtype=np.int64)
    budget = np.zeros((Y, n))
    seg_cums: list[FloatArray] = []
    grp_cums: list[FloatArray] = []
    cell_cums: list[FloatArray] = []
    weights = np.zeros((Y, n))
    degree_by_year: list[FloatArray] = []
    log_qs: list[FloatArray] = []
    log_zs: list[FloatArray] = []

    def supplier_weights(w: FloatArray) -> FloatArray:
        """W[k', g]: summed supplier weight per input slot and location group."""
        W = np.bincount(seg[valid] * L + group[valid], weights=w[valid], minlength=K * L)
        return np.asarray(W.reshape(K, L)[kin_seg], dtype=np.float64)

    def supplier_tables(w: FloatArray, Win: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Group cumulative table (rows kin*L + h, with row offsets) and the cell table."""
        A = np.empty((Kin, L, L))
        np.multiply(Win[:, None, :], decay.T[None, :, :], out=A)  # (Kin, h, g)
        np.cumsum(A, axis=2, out=A)
        tot = A[:, :, -1:].copy()
        A /= np.where(tot > 0, tot, 1.0)  # empty rows stay 0 and are never sampled (q = 0)
        A += np.arange(Kin * L, dtype=np.float64).reshape(Kin, L, 1)
        grp = A.reshape(-1)
        ws = w[cell_order]
        cs = np.cumsum(ws)
        before = np.concatenate([[0.0], cs])[cell_start[sorted_cells]]
        csum = np.bincount(sorted_cells, weights=ws, minlength=K * L)[sorted_cells]
        within = np.where(csum > 0, (cs - before) / np.where(csum > 0, csum, 1.0), 1.0)
        cell = sorted_cells.astype(np.float64) + np.minimum(within, 1.0)
        return grp, cell

    def expected_degree(w: FloatArray, Win: FloatArray, mt: IntArray, q: FloatArray) -> FloatArray:
        """Mean-field expected customer degree of each firm given weights and m."""
        Mb = np.bincount(seg[valid] * L + group[valid], weights=mt[valid].astype(np.float64),
                         minlength=K * L).reshape(K, L)
        Mk = q.T @ Mb  # (Kin, h): draws wanted from slot kin by buyers in group h
        Z = Win @ decay  # (Kin, h)
        ratio = np.where(Z > 0, Mk / np.where(Z > 0, Z, 1.0), 0.0)
        E = Win * (ratio @ decay.T)  # (Kin, g)
        per_w = np.where(Win > 0, E / np.where(Win > 0, Win, 1.0), 0.0)
        out = np.zeros(n)
        sl = slot[seg[valid]]
        has = sl >= 0
        vv = valid[has]
        out[vv] = per_w[sl[has], group[vv]] * w[vv]
        return out

    # burn-in degree from size-only weights
    k_prev: FloatArray | None = None
    for t in range(Y):
        act = active[t]
        base = size_alpha * act
        n_act_seg = np.bincount(seg[act & (seg >= 0)], minlength=K).astype(np.float64)
        avail = n_act_seg[kin_seg] > 0
        q = coef * avail[None, :]
        qs = q.sum(axis=1)
        q = np.where(qs[:, None] > 0, q / np.where(qs > 0, qs, 1.0)[:, None], 0.0)
        eligible = act & (seg >= 0)
        eligible[eligible] = qs[seg[eligible]] > 0
        supply = (coef > 0).astype(np.float64) @ n_act_seg[kin_seg] if Kin else np.zeros(K)
        cap = np.minimum(p.max_suppliers_per_buyer, np.floor(p.cap_fraction * supply))
        cap_b = np.where(eligible, np.maximum(cap[np.maximum(seg, 0)], 1.0), 0.0)
        lam = _water_fill(size_beta * eligible, cap_b, T_year)
        rng_m = np.random.default_rng([int(seed), 4, t])
        if lam.sum() > 0:
            m[t] = rng_m.multinomial(round(T_year), lam / lam.sum())
            np.minimum(m[t], cap_b.astype(np.int64), out=m[t])
        if t == 0:  # burn-in: the "previous year" of the first year is the first year itself
            k_prev = expected_degree(base, supplier_weights(base), m[0], q)
        w = base * (1.0 + (k_prev if k_prev is not None else 0.0)) ** p.pa_exponent
        Win = supplier_weights(w)
        grp, cell = supplier_tables(w, Win)
        weights[t] = w
        with np.errstate(divide="ignore"):
            log_qs.append(np.log(q))
            log_zs.append(np.log(Win @ decay))
        degree_by_year.append(expected_degree(w, Win, m[t], q))
        # preferential attachment acts on last year's mean-field degree under the size-only
        # weights (one step, not compounded year over year)
        k_prev = expected_degree(base, supplier_weights(base), m[t], q)
        seg_cum = np.cumsum(q, axis=1)
        tot = seg_cum[:, -1:]
        seg_cum = np.where(tot > 0, seg_cum / np.where(tot > 0, tot, 1.0), 1.0)
        seg_cums.append((seg_cum + np.arange(K, dtype=np.float64)[:, None]).ravel())
        grp_cums.append(grp)
        cell_cums.append(cell)
        # budgets (thousand CNY); leaders scaled to hold leader_purchase_share in-circle
        spend = m[t] > 0
        bud = np.where(spend, p.purchase_ratio * size * 1000.0, 0.0)
        lead_in = spend & leading & in_circle
        other_in = spend & ~leading & in_circle
        L_sum, O_sum = bud[lead_in].sum(), bud[other_in].sum()
        share = p.leader_purchase_share
        if L_sum > 0 and O_sum > 0 and 0.0 < share < 1.0:
            bud[leading] *= share * O_sum / ((1.0 - share) * L_sum)
        budget[t] = bud

    # link survival: (1 - churn) / P(both ends still active), estimated from the plan
    keep_p = np.ones(Y)
    for t in range(1, Y):
        mb = m[t - 1].astype(np.float64)
        surv_b = float((mb * active[t]).sum() / mb.sum()) if mb.sum() > 0 else 1.0
        kw = degree_by_year[t - 1]
        surv_s = float((kw * active[t]).sum() / kw.sum()) if kw.sum() > 0 else 1.0
        keep_p[t] = min(1.0, (1.0 - p.link_churn) / max(surv_b * surv_s, 1e-9))
    rows_per_buyer = m.sum(axis=0)
    csum = np.cumsum(rows_per_buyer)
    blocks: list[tuple[int, int]] = []
    start = 0
    while start < n:
        limit = (csum[start - 1] if start else 0) + BLOCK_ROWS
        stop = int(np.searchsorted(csum, limit, side="right"))
        stop = max(stop, start + 1)
        blocks.append((start, stop))
        start = stop
    ids = pa.array(firms["enterprise_id"].astype(str).to_numpy(dtype=object), type=pa.string())
    seg_size = np.diff(cell_start[:: L])[:K] if L else np.zeros(K, dtype=np.int64)
    n_cand = ((coef > 0).astype(np.int64) @ seg_size[kin_seg]).astype(np.int64)
    hidden = make_hidden(n, firms["province"].astype(str).to_numpy(dtype=object), ys, seed, p)
    acc_mean = 1.0
    if hidden is not None and n > 1:
        rs = np.random.default_rng([int(seed), 13])
        a, b = rs.integers(0, n, 4096), rs.integers(0, n, 4096)
        acc_mean = float(hidden.acceptance(a, b, Y - 1).mean())
    return _Plan(ids, n, ys, seg, group, size, leading, in_circle, active, m, budget, seg_cums,
                 kin_seg, grp_cums, L, cell_order, cell_cums, cell_start, keep_p, tuple(blocks), p,
                 weights, log_qs, log_zs, np.log(decay), n_cand, hidden, acc_mean)


def _dedupe(buyer: IntArray, supplier: IntArray, n: int, cap: IntArray, n_block: int = 0) -> IntArray:
    """Positions to keep: first occurrence of each (buyer, supplier), at most cap[buyer] per buyer.

    The first ``n_block`` entries are blockers: pairs that may not be drawn again (links
    dropped by churn); they are never returned themselves.
    """
    if buyer.size == 0:
        return np.zeros(0, dtype=np.int64)
    key = buyer * np.int64(n) + supplier
    _, first = np.unique(key, return_index=True)
    first = first[first >= n_block]
    b = buyer[first]
    order = np.argsort(b * np.int64(buyer.size) + first)  # by buyer, then by priority (position)
    bs = b[order]
    starts = np.searchsorted(bs, bs, side="left")
    rank = np.arange(bs.size) - starts
    return np.asarray(first[order[rank < cap[bs]]], dtype=np.int64)


def _sorted_search(table: FloatArray, keys: FloatArray) -> IntArray:
    """``searchsorted(table, keys, 'right')`` computed on sorted keys (cache-friendly)."""
    order = np.argsort(keys)
    out = np.empty(keys.size, dtype=np.int64)
    out[order] = np.searchsorted(table, keys[order], side="right")
    return out


def _sample_suppliers(plan: _Plan, t: int, buyers: IntArray, rng: np.random.Generator) -> IntArray:
    """One supplier draw per entry of ``buyers`` (global firm indices); -1 = no valid draw.

    Three inverse-CDF stages: input segment | buyer segment, location group | (segment, buyer
    group) ∝ W·d^-ζ, firm | (segment, group) ∝ w_s.
    """
    L = plan.n_groups
    Kin = plan.kin_seg.size
    kb = plan.seg[buyers]
    u = rng.random((3, buyers.size))
    pos = np.searchsorted(plan.seg_cum[t], kb + u[0], side="right")  # small table: no sort
    kin = np.clip(pos - kb * Kin, 0, Kin - 1)
    r = kin * L + plan.group[buyers]
    pos = _sorted_search(plan.grp_cum[t], r + u[1])
    g = np.clip(pos - r * L, 0, L - 1)
    cell = plan.kin_seg[kin] * L + g
    lo = plan.cell_start[cell]
    hi = plan.cell_start[cell + 1]
    pos = _sorted_search(plan.cell_cum[t], cell + u[2])
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
    ok = hi > lo
    s = np.where(ok, plan.cell_order[np.minimum(pos, plan.cell_order.size - 1)], -1)
    good = (s >= 0) & (s != buyers)
    good[good] = plan.active[t, s[good]]
    return np.where(good, s, -1)


def _top_k_batch(plan: _Plan, t: int, buyers: IntArray, k: IntArray, ex_b: IntArray, ex_s: IntArray,
                 rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """``k[j]`` distinct suppliers for each ``buyers[j]`` by Gumbel top-k over all candidates.

    Equivalent in distribution to drawing with the three-stage sampler until ``k[j]``
    distinct suppliers are found (successive sampling without replacement; Gumbel-top-k,
    Vieira 2014; Kool, van Hoof & Welling 2019), excluding the pairs (``ex_b``, ``ex_s``).
    Vectorised per buyer segment over a (buyers × candidates) key matrix, O(candidates)
    per buyer; used for buyers the rejection rounds cannot serve cheaply.
    """
    L = plan.n_groups
    out_b: list[IntArray] = []
    out_s: list[IntArray] = []
    kb_all = plan.seg[buyers]
    for kb in np.unique(kb_all).tolist():
        rows = np.flatnonzero(kb_all == kb)
        slots = np.flatnonzero(np.isfinite(plan.log_q[t][kb]))
        if slots.size == 0:
            continue
        ranges = [(int(plan.cell_start[plan.kin_seg[sl] * L]), int(plan.cell_start[(plan.kin_seg[sl] + 1) * L]))
                  for sl in slots]
        cand = np.concatenate([plan.cell_order[a:z] for a, z in ranges])
        slot_of = np.repeat(slots, [z - a for a, z in ranges])
        with np.errstate(divide="ignore"):
            base = plan.log_q[t][kb, slot_of] + np.log(plan.weight[t, cand])
        gc = plan.group[cand]
        pos = np.full(plan.n, -1, dtype=np.int64)
        pos[cand] = np.arange(cand.size)
        step = max(1, (1 << 22) // max(cand.size, 1))
        for lo in range(0, rows.size, step):
            sub = rows[lo:lo + step]
            gb = plan.group[buyers[sub]]
            keys = (base[None, :] + plan.log_decay[gc][:, gb].T - plan.log_z[t][slot_of][:, gb].T
                    + rng.gumbel(size=(sub.size, cand.size)))
            if plan.hidden is not None:
                keys += plan.hidden.log_acceptance_matrix(cand, buyers[sub], t)
            me = pos[buyers[sub]]
            keys[np.arange(sub.size)[me >= 0], me[me >= 0]] = -np.inf
            row_of = np.full(plan.n, -1, dtype=np.int64)
            row_of[buyers[sub]] = np.arange(sub.size)
            sel = (row_of[ex_b] >= 0) & (pos[ex_s] >= 0)
            keys[row_of[ex_b[sel]], pos[ex_s[sel]]] = -np.inf
            kk = k[sub]
            kmax = int(min(kk.max(), cand.size))
            if kmax <= 0:
                continue
            top = np.argpartition(-keys, kmax - 1, axis=1)[:, :kmax]
            tk = np.take_along_axis(keys, top, axis=1)
            order = np.argsort(-tk, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            tk = np.take_along_axis(tk, order, axis=1)
            keep = (np.arange(kmax)[None, :] < kk[:, None]) & np.isfinite(tk)
            r_idx, c_idx = np.nonzero(keep)
            out_b.append(buyers[sub][r_idx])
            out_s.append(cand[top[r_idx, c_idx]])
    if not out_b:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    return np.concatenate(out_b).astype(np.int64), np.concatenate(out_s).astype(np.int64)


def _generate_block(plan: _Plan, block_id: int, seed: int) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """All links (supplier, buyer, year index, value kCNY) of the buyers in one block."""
    b0, b1 = plan.blocks[block_id]
    p = plan.params
    rng = np.random.default_rng([int(seed), 5, block_id])
    out_s: list[IntArray] = []
    out_b: list[IntArray] = []
    out_t: list[IntArray] = []
    out_v: list[FloatArray] = []
    prev_s = np.zeros(0, dtype=np.int64)
    prev_b = np.zeros(0, dtype=np.int64)
    prev_r = np.zeros(0)
    nb = b1 - b0
    for t in range(len(plan.years)):
        m_loc = plan.m[t, b0:b1]
        if plan.hidden is None:
            keep = rng.random(prev_s.size) < plan.keep_p[t]
        else:
            keep = rng.random(prev_s.size) < plan.hidden.keep_probability(plan.keep_p[t], prev_s, prev_b)
        if prev_s.size:
            keep &= plan.active[t, prev_s] & plan.active[t, prev_b]
        cur_s, cur_b, cur_r = prev_s[keep], prev_b[keep], prev_r[keep]
        sel = _dedupe(cur_b - b0, cur_s, plan.n, m_loc)
        cur_s, cur_b, cur_r = cur_s[sel], cur_b[sel], cur_r[sel]
        # links dropped by churn are not redrawn this year (else measured churn falls short)
        blk_s, blk_b = prev_s[~keep], prev_b[~keep]
        # buyers that need a sizeable share of their candidates: exact top-k right away
        have = np.bincount(cur_b - b0, minlength=nb)
        deficit = np.maximum(m_loc - have, 0)
        heavy = np.flatnonzero((deficit > 0) & (deficit * _HEAVY_RATIO > plan.n_cand[np.maximum(plan.seg[b0:b1], 0)]))
        if heavy.size:
            new_b, new_s = _top_k_batch(plan, t, b0 + heavy, deficit[heavy], np.concatenate([cur_b, blk_b]),
                                        np.concatenate([cur_s, blk_s]), rng)
            new_r = plan.size[new_s] ** p.value_supplier_exponent * rng.lognormal(0.0, p.value_sigma, new_s.size)
            cur_s = np.concatenate([cur_s, new_s])
            cur_b = np.concatenate([cur_b, new_b])
            cur_r = np.concatenate([cur_r, new_r])
        for round_ in range(_ROUNDS):
            have = np.bincount(cur_b - b0, minlength=nb)
            deficit = np.maximum(m_loc - have, 0)
            if not deficit.any():
                break
            over = p.oversample / plan.acc_mean
            draws = np.where(deficit > 0, np.ceil(deficit * over * 2.0**round_).astype(np.int64) + 1, 0)
            buyers = np.repeat(np.arange(b0, b1, dtype=np.int64), draws)
            s = _sample_suppliers(plan, t, buyers, rng)
            ok = s >= 0
            if plan.hidden is not None:  # rejection on the hidden acceptance probability
                u = rng.random(s.size)
                ok[ok] = u[ok] < plan.hidden.acceptance(s[ok], buyers[ok], t)
            new_s, new_b = s[ok], buyers[ok]
            new_r = plan.size[new_s] ** p.value_supplier_exponent * rng.lognormal(0.0, p.value_sigma, new_s.size)
            all_s = np.concatenate([blk_s, cur_s, new_s])
            all_b = np.concatenate([blk_b, cur_b, new_b])
            all_r = np.concatenate([np.zeros(blk_s.size), cur_r, new_r])
            sel = _dedupe(all_b - b0, all_s, plan.n, m_loc, n_block=blk_s.size)
            cur_s, cur_b, cur_r = all_s[sel], all_b[sel], all_r[sel]
        # whoever is still short after the rounds keeps fewer suppliers (reported as a shortfall;
        # an exact top-k here would cost O(candidates) per buyer and dominate at scale)
        if cur_s.size:
            o = np.lexsort((cur_s, cur_b))
            cur_s, cur_b, cur_r = cur_s[o], cur_b[o], cur_r[o]
            tot = np.bincount(cur_b - b0, weights=cur_r, minlength=nb)
            value = plan.budget[t, cur_b] * cur_r / tot[cur_b - b0]
            out_s.append(cur_s)
            out_b.append(cur_b)
            out_t.append(np.full(cur_s.size, t, dtype=np.int64))
            out_v.append(np.round(value, 3))
        prev_s, prev_b, prev_r = cur_s, cur_b, cur_r
    if not out_s:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, np.zeros(0)
    return (np.concatenate(out_s), np.concatenate(out_b), np.concatenate(out_t), np.concatenate(out_v))


def _iter_blocks(plan: _Plan, seed: int) -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
    for block_id in range(len(plan.blocks)):
        yield _generate_block(plan, block_id, seed)


def _to_table(plan: _Plan, s: IntArray, b: IntArray, t: IntArray, v: FloatArray,
              key_of: npt.NDArray[np.int32] | None = None) -> pa.Table:
    years = np.asarray(plan.years, dtype=np.int64)[t]
    cols: dict[str, Any] = {
        "supplier_id": plan.ids.take(pa.array(s)),
        "buyer_id": plan.ids.take(pa.array(b)),
        "year": pa.array(years, type=pa.int64()),
        "value_kcny": pa.array(v, type=pa.float64()),
    }
    if key_of is not None:
        cols[SUPPLIER_KEY] = pa.array(key_of[s], type=pa.int32())
        cols[BUYER_KEY] = pa.array(key_of[b], type=pa.int32())
    return pa.table(cols)


def _rechunk(blocks: Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]], chunk_rows: int
             ) -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
    """Re-cut a stream of blocks into pieces of exactly ``chunk_rows`` rows (last one shorter)."""
    buf: list[tuple[IntArray, IntArray, IntArray, FloatArray]] = []
    have = 0
    for blk in blocks:
        if blk[0].size == 0:
            continue
        buf.append(blk)
        have += int(blk[0].size)
        if have < chunk_rows:
            continue
        s, b, t, v = (np.concatenate([x[i] for x in buf]) for i in range(4))
        off = 0
        while have - off >= chunk_rows:
            sl = slice(off, off + chunk_rows)
            yield s[sl], b[sl], t[sl], v[sl]
            off += chunk_rows
        buf = [(s[off:], b[off:], t[off:], v[off:])] if have > off else []
        have -= off
    if have:
        s, b, t, v = (np.concatenate([x[i] for x in buf]) for i in range(4))
        yield s, b, t, v


def generate_transactions(
    firms: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    n_transactions: int,
    years: Sequence[int],
    seed: int,
    chunk_rows: int = 2_000_000,
    params: SyntheticParams = DEFAULT_PARAMS,
) -> Iterator[pd.DataFrame]:
    """Synthetic supplier -> buyer transactions among ``firms``, in frames of ``chunk_rows`` rows.

    Columns ``tables.TRANSACTIONS`` (value in thousand CNY); about ``n_transactions`` rows
    over ``years`` (≈ 97–99 % of it: fewer when buyers' input segments cannot supply enough
    distinct suppliers within the sampling rounds, or a buyer hits its cap). Every supplier's segment is an input of its buyer's segment in the
    template; (supplier, buyer, year) is unique; no self-loops. Memory is bounded by the
    firm count and ``chunk_rows`` whatever ``n_transactions`` is; the concatenated output
    does not depend on ``chunk_rows``. Model: module docstring.
    """
    _check_common(n_transactions, "n_transactions", seed)
    if chunk_rows < 1:
        raise _bad("arguments", "chunk_rows must be at least 1", column="chunk_rows", value=chunk_rows)
    plan = _build_plan(firms, segments, n_transactions=n_transactions, years=years, seed=seed, params=params)
    for s, b, t, v in _rechunk(_iter_blocks(plan, seed), chunk_rows):
        yield _to_table(plan, s, b, t, v).to_pandas()
