"""Explanations of a next-batch plan: the relaxation table of an infeasible model, and per
proposed park a one-sentence bilingual reason and the best park left out (swap).

See :mod:`parklink.designate.nextbatch` for the model and ``docs/designation.md``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.designate.nextbatch import (
    FOCAL_GROUPS,
    NextBatchModel,
    next_group_label,
)
from parklink.optim import Model, Solution
from parklink.vocab import PROVINCE_NAMES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
RELAXATION_COLUMNS = ("group", "row", "lb", "ub", "activity", "slack", "label", "text_zh", "text_en")
_TOL = 1e-6


def _activities(nm: NextBatchModel, values: FloatArray) -> FloatArray:
    mat = nm.rows.matrix(nm.nv)
    return np.asarray(mat @ values[: nm.nv], dtype=np.float64)


def _eligible(nm: NextBatchModel, province: str) -> int:
    """Free candidates of ``province`` that can meet the pairing rule at all."""
    r = nm.rules
    free = nm.free
    prov = nm.cand["province"].to_numpy()
    pairing_rows = {nm.rows.name[i].removeprefix("partner for ") for i, g in enumerate(nm.rows.group)
                    if g == "pairing" and len(nm.rows.entries[i][0]) <= 1}
    ids = nm.cand["park_id"].astype(str).to_numpy()
    ok = [i for i in free if prov[i] == province and not (r.require_pairing and ids[i] in pairing_rows)]
    return len(ok)


def relaxation_table(nm: NextBatchModel, em: Model, es: Solution, lo: IntArray, hi: IntArray) -> pd.DataFrame:
    """The rows the elastic solution ``es`` of model ``em`` relaxes (slack columns ``lo`` /
    ``hi`` per row, −1 where none), with the slack and a plain sentence (zh, en)."""
    if not es.feasible:
        return pd.DataFrame(columns=list(RELAXATION_COLUMNS))
    vals = es.value(np.arange(em.num_vars))
    act = _activities(nm, vals)
    xv = vals[nm.x] > 0.5
    chosen = nm.free[xv]
    prov = nm.cand["province"].to_numpy()
    r = nm.rules
    unit_zh, unit_en = ("个示范（对）", "designations") if r.count == "designations" else ("个园区", "parks")
    out = []
    for i, g in enumerate(nm.rows.group):
        s = (vals[lo[i]] if lo[i] >= 0 else 0.0) + (vals[hi[i]] if hi[i] >= 0 else 0.0)
        if s <= _TOL:
            continue
        fam, _, item = g.partition(":")
        name = nm.rows.name[i]
        n_new = len(chosen)
        if fam == "size":
            zh = f"需要新增 {nm.size} {unit_zh}，在其他规则下最多 {act[i]:g} 个"
            en = f"needs {nm.size} new {unit_en}; the other rules allow only {act[i]:g}"
        elif fam in ("province_share", "province_min"):
            pz, pe = PROVINCE_NAMES[item]
            got = int((prov[chosen] == item).sum())
            need = (math.ceil(r.min_province_share * n_new - 1e-9) if fam == "province_share"
                    else r.min_per_province.get(item, 0))
            other = PROVINCE_NAMES["CQ" if item == "SC" else "SC"]
            el = _eligible(nm, item)
            zh = f"{pz}需要至少 {need} 个新园区，仅得 {got} 个（差 {max(need - got, 0)}）"
            en = f"needs at least {need} new {pe} parks, gets {got} (short by {max(need - got, 0)})"
            if r.require_pairing:
                zh += f"；{pz}只有 {el} 个候选园区在 {r.max_pair_hours:g} 小时内有{other[0]}伙伴"
                en += f"; only {el} {pe} candidates have a {other[1]} partner within {r.max_pair_hours:g} h"
        elif fam == "pairing":
            p = name.removeprefix("partner for ")
            zh = f"{p} 在 {r.max_pair_hours:g} 小时内没有已选或已认定的省外伙伴"
            en = f"{p} has no partner across the border within {r.max_pair_hours:g} h among chosen or designated parks"
        elif fam == "area_type":
            share = r.area_type_min_share.get(item, 0.0)
            need = math.ceil(share * n_new - 1e-9)
            got = int(sum(item in set(nm.cand["area_types"].iloc[c]) for c in chosen))
            zh = f"区域类型 {item} 需要至少 {need} 个新园区，仅得 {got} 个（差 {max(need - got, 0)}）"
            en = f"area type {item} needs at least {need} of the new parks, gets {got} (short by {max(need - got, 0)})"
        elif fam == "zone":
            z = name.removeprefix("zone ").removesuffix(" ≥ 1")
            zh = f"区域 {z} 无法由新园区代表"
            en = f"zone {z} cannot be represented by a new park"
        elif fam == "focal_chain":
            _c, gz, ge = FOCAL_GROUPS[item]
            zh = f"没有可选的新园区服务{gz}产业链"
            en = f"no new park serving {ge} can be chosen"
        elif fam in ("district_cap", "city_cap"):
            zh = f"{name}：超出上限 {s:g}"
            en = f"{name}: over the cap by {s:g}"
        else:
            zh = f"{next_group_label(g, 'zh')}：{name} 放宽 {s:g}"
            en = f"{next_group_label(g, 'en')}: {name} relaxed by {s:g}"
        out.append((g, name, nm.rows.lb[i], nm.rows.ub[i], act[i], s, next_group_label(g), zh, en))
    return pd.DataFrame(out, columns=list(RELAXATION_COLUMNS))


def row_activity(nm: NextBatchModel, sol: Solution) -> pd.DataFrame:
    """Every row of the solved model: group, name, bounds, activity and whether it binds."""
    act = _activities(nm, sol.value(np.arange(nm.nv)))
    lb, ub = np.array(nm.rows.lb), np.array(nm.rows.ub)
    binding = (np.isfinite(lb) & (np.abs(act - lb) <= _TOL)) | (np.isfinite(ub) & (np.abs(act - ub) <= _TOL))
    return pd.DataFrame({"group": nm.rows.group, "row": nm.rows.name, "lb": lb, "ub": ub, "activity": act,
                         "binding": binding, "label": [next_group_label(g) for g in nm.rows.group]})


def needed_by(nm: NextBatchModel, values: FloatArray, col: int) -> list[str]:
    """Groups whose row would be violated if variable ``col`` were 0 (the rest unchanged);
    the size row is left out (every pick is needed by it)."""
    act = _activities(nm, values)
    out: list[str] = []
    for i, (cols, coefs) in enumerate(nm.rows.entries):
        g = nm.rows.group[i]
        if g in ("size", "pair_matching"):
            continue
        hit = np.flatnonzero(cols == col)
        if not len(hit):
            continue
        a = act[i] - float(coefs[hit].sum())
        if a < nm.rows.lb[i] - _TOL or a > nm.rows.ub[i] + _TOL:
            out.append(g)
    return list(dict.fromkeys(out))


def _partner(nm: NextBatchModel, i: int, on: set[int]) -> tuple[str, float]:
    """The nearest chosen or designated park across the border within reach of ``i``."""
    prov = nm.cand["province"].to_numpy()
    if nm.cand["kind"].iloc[i] == "cooperation_area":
        return "", 0.0
    if prov[i] == "SC":
        row = nm.hours[int(np.searchsorted(nm.sc_pos, i))]
        others = nm.cq_pos
    else:
        row = nm.hours[:, int(np.searchsorted(nm.cq_pos, i))]
        others = nm.sc_pos
    mask = np.array([o in on for o in others], dtype=bool) & (row <= nm.rules.max_pair_hours)
    if not mask.any():
        return "", math.nan
    j = int(np.argmin(np.where(mask, row, np.inf)))
    return str(nm.cand["park_id"].iloc[int(others[j])]), float(row[j])


def proposal_table(nm: NextBatchModel, model: Model, sol: Solution, *, lifts: pd.DataFrame | None = None,
                   lift_labels: dict[str, tuple[str, str]] | None = None, swaps: int = 5,
                   threads: int | None = None) -> pd.DataFrame:
    """One row per proposed park: score, rank among the free candidates, partner, the groups
    that needed it, the best park left out with the objective change if swapped (re-solved
    with the pick forced out and that park forced in; the ``swaps`` best-scored left-out
    parks that can be chosen at all are tried; empty when none of them gives a feasible batch)
    and a one-sentence reason in Chinese and English."""
    vals = sol.value(np.arange(nm.nv))
    xv = vals[nm.x] > 0.5
    cand = nm.cand
    score = cand["score"].to_numpy(dtype=np.float64)
    free_scores = score[nm.free]
    order = np.argsort(-free_scores, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    on = set(nm.free[xv].tolist()) | set(nm.fixed.tolist())
    forced_out = set(nm.rules.forced_out)
    ids = cand["park_id"].astype(str).to_numpy()
    # parks that can never be chosen (no partner within reach under the pairing rule) are not tried
    lonely = {nm.rows.name[r].removeprefix("partner for ") for r, g in enumerate(nm.rows.group)
              if g == "pairing" and len(nm.rows.entries[r][0]) <= 1}
    left = [int(k) for k in order if not xv[k] and ids[nm.free[k]] not in forced_out | lonely]
    rows = []
    for k in np.flatnonzero(xv):
        i = int(nm.free[k])
        partner, hours = _partner(nm, i, on)
        needs = needed_by(nm, vals, int(nm.x[k]))
        best_q, best_delta = "", math.nan
        if swaps > 0:
            for q in left[:swaps]:
                s2 = model.solve(time_limit=nm.rules.time_limit, mip_gap=nm.rules.mip_gap, threads=threads,
                                 fix={int(nm.x[k]): 0.0, int(nm.x[q]): 1.0})
                if s2.feasible and (not best_q or s2.objective - sol.objective > best_delta):
                    best_q, best_delta = str(ids[nm.free[q]]), s2.objective - sol.objective
        group_zh = group_en = ""
        if lifts is not None and ids[i] in lifts.index and lifts.shape[1]:
            g = str(lifts.loc[ids[i]].astype(float).idxmax())
            group_zh, group_en = (lift_labels or {}).get(g, (g, g))
        zh, en = _reason(nm, i, int(rank[k]), partner, hours, needs, group_zh, group_en)
        rows.append((ids[i], str(cand["name_zh"].iloc[i]), str(cand["name_en"].iloc[i]), str(cand["province"].iloc[i]),
                     float(score[i]), int(rank[k]), partner, hours, ";".join(needs), group_zh, group_en, best_q,
                     best_delta, zh, en))
    cols = ["park_id", "name_zh", "name_en", "province", "score", "rank", "partner", "partner_hours", "needed_by",
            "lift_zh", "lift_en", "best_left_out", "swap_delta", "reason_zh", "reason_en"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["score", "park_id"], ascending=[False, True], ignore_index=True)


def _reason(nm: NextBatchModel, i: int, rank: int, partner: str, hours: float, needs: list[str],
            group_zh: str, group_en: str) -> tuple[str, str]:
    """One sentence in Chinese and in English: score and rank, the score group that lifts the
    park, its partner across the border, the rules that needed it."""
    cand = nm.cand
    ids = cand["park_id"].astype(str).tolist()
    score = float(cand["score"].iloc[i])
    n_free = len(nm.free)
    zh = f"{cand['name_zh'].iloc[i]}：评分 {score:.3f}（{n_free} 个候选中第 {rank}）"
    en = f"{cand['name_en'].iloc[i]}: score {score:.3f} (rank {rank} of {n_free} candidates)"
    if group_zh:
        zh += f"，{group_zh}最突出"
        en += f", strongest in {group_en}"
    if partner:
        j = ids.index(partner)
        zh += f"；跨省伙伴 {cand['name_zh'].iloc[j]}（{hours:.1f} 小时）"
        en += f"; partner {cand['name_en'].iloc[j]} ({hours:.1f} h)"
    elif cand["kind"].iloc[i] == "cooperation_area":
        zh += "；跨省合作区自身即结对"
        en += "; a cross-border cooperation area pairs itself"
    if needs:
        zh += "；满足" + "、".join(next_group_label(g, "zh") for g in needs) + "所需"
        en += "; needed for " + ", ".join(next_group_label(g, "en") for g in needs)
    return zh + "。", en + "."
