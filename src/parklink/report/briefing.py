"""The plan read as a briefing: executive-summary findings written from the data, and table
views that fit a 1280 px screen and a 390 px phone.

:func:`findings` turns the sections' summaries and tables into 5–8 sentences in Chinese and
English (each names its section, so the page links to the evidence, and says when a figure
rests on synthetic data). Every sentence is built only from numbers present in the plan;
a finding whose inputs are missing is left out, never guessed.

:func:`table_view` decides how a section table is shown in the body of ``plan.html``: at most
``max_cols`` columns (``name_zh``/``name_en`` folded into one bilingual name column, id
columns kept) and ``max_rows`` rows; a table that does not fit is shown cut, with its full
form in the appendix (:func:`appendix_view`, up to ``APPENDIX_ROWS`` rows; every row of every
table is in ``plan.json``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from parklink.report.plan import Lang, Plan, table_key
from parklink.report.section import Section, SectionTable

__all__ = ["APPENDIX_ROWS", "Finding", "TableView", "anchor", "appendix_view", "findings", "table_view"]

APPENDIX_ROWS = 200
MAX_TEXT = 140


@dataclass(frozen=True, slots=True)
class Finding:
    """One executive-summary sentence in both languages, the section it comes from and
    whether it rests on synthetic data."""

    zh: str
    en: str
    section: str
    synthetic: bool = False

    def text(self, lang: Lang) -> tuple[str, str]:
        """(first, second) in the reading order of ``lang``."""
        return (self.zh, self.en) if lang == "zh" else (self.en, self.zh)


@dataclass(frozen=True, slots=True)
class TableView:
    """A table as shown: headers, rows of (text, is-number, full text) cells, and what was left out."""

    anchor: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[tuple[str, str], ...], ...]
    total_rows: int
    total_cols: int
    hidden_cols: tuple[str, ...]

    @property
    def cut(self) -> bool:
        """True when rows or columns were left out (the appendix has the full table)."""
        return self.total_rows > len(self.rows) or bool(self.hidden_cols)


def anchor(section: Section, table: SectionTable | None = None, *, appendix: bool = False) -> str:
    """The HTML id of a section (``s-<key>``), of a table (``t-<section>-<table>``) or of its
    appendix copy (``a-…``)."""
    if table is None:
        return "s-" + _slug(section.key)
    key = table_key(section, table).replace(".", "-")
    return ("a-" if appendix else "t-") + _slug(key)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "x"


def cell_text(value: Any) -> str:
    """A cell as text: thousands separators, up to 3 decimals, ``—`` for missing, ✓/✗ for booleans."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, list | tuple):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _display_frame(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Fold each ``<base>_zh``/``<base>_en`` pair into one bilingual column (``name`` pairs
    become ``名称 name``, others ``<base>_label``), in the reading order of ``lang``."""
    out = frame.copy()
    for zh_col in [str(c) for c in frame.columns if str(c).endswith("_zh")]:
        base = zh_col[:-3]
        en_col = base + "_en"
        if en_col not in out.columns or zh_col not in out.columns:
            continue
        first, second = (out[zh_col], out[en_col]) if lang == "zh" else (out[en_col], out[zh_col])
        a = first.astype("string").fillna("")
        b = second.astype("string").fillna("")
        merged = (a + " · " + b).where((a != "") & (b != "") & (a != b), a.where(a != "", b))
        pos = list(out.columns).index(zh_col)
        out = out.drop(columns=[zh_col, en_col])
        out.insert(pos, "名称 name" if base == "name" else f"{base}_label", merged.astype(object))
    return out


#: The columns the body of plan.html shows for the wide tables (display names, after the
#: zh/en folding); the appendix has every column. Columns missing from a table are skipped
#: and the rest is filled by :func:`_priority`.
SUMMARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "evaluation.park_ranking_with_robustness": ("rank", "label", "score", "rank_min", "rank_max", "p_top_20",
                                                "rank_p05", "rank_p95"),
    "calibration.holdout": ("名称 name", "recall_at_k", "auc", "auc_lo", "auc_hi", "ap", "auc_p_vs_random"),
    "calibration.weights": ("名称 name", "direction", "beta", "beta_lo", "beta_hi", "weight", "weight_lo",
                            "weight_hi"),
    "chains.overview": ("示范园区 designation", "范围 scope", "产业链 chain", "完整度 completeness",
                        "本省配套率 LSR own province", "川渝配套率 LSR circle", "跨省贡献 ΔLSR",
                        "数据覆盖 data coverage"),
    "chains.gaps": ("scope", "chain", "名称 name", "gap_zh", "action_zh", "n_firms", "local_demand_kcny",
                    "priority"),
    "chains.targets": ("scope", "segment_id", "rank", "enterprise_id", "province", "score", "reason"),
    "accessibility.park_accessibility": ("名称 name", "time_core_chengdu_h", "time_core_chongqing_h",
                                         "time_airport_h", "time_rail_port_h", "time_river_port_h",
                                         "firms_within_2h", "gravity_access"),
    "accessibility.transport_node_areas_with_evidence": ("名称 name", "transport_node", "hub_name_label",
                                                         "hub_kind", "road_time_h", "hubs_within",
                                                         "declared_transport_node", "agrees_with_declared"),
    "logistics.recommended_logistics_sites": ("function_label", "名称 name", "p_median", "mclp",
                                              "demand_assigned_cny_m", "mean_gc_cny_per_t",
                                              "demand_within_service_cny_m"),
}


def _priority(columns: Sequence[str]) -> list[str]:
    """Columns in display priority: names and labels, then the first id when there is no
    name, then the rest in their order, other ids last."""
    named = [c for c in columns if c in ("名称 name", "label") or c.endswith("_label")]
    ids = [c for c in columns if c.endswith("_id") or c == "id"]
    first = named or ids[:1]
    return first + [c for c in columns if c not in first and c not in ids] + [c for c in ids if c not in first]


def _view(frame: pd.DataFrame, anchor_id: str, *, lang: Lang, max_cols: int | None, max_rows: int,
          key: str = "") -> TableView:
    shown = _display_frame(frame, lang)
    cols = [str(c) for c in shown.columns]
    if max_cols is not None and len(cols) > max_cols:
        listed = [c for c in SUMMARY_COLUMNS.get(key, ()) if c in cols][:max_cols]
        rest = [c for c in _priority(cols) if c not in listed]
        keep = set(listed + rest[: max_cols - len(listed)])
        chosen = [c for c in cols if c in keep]
    else:
        chosen = cols
    hidden = tuple(c for c in cols if c not in chosen)
    sub = shown.loc[:, chosen].head(max_rows)
    numeric = tuple(bool(len(sub)) and all(_is_number(v) or cell_text(v) == "—" for v in sub[c])
                    and any(_is_number(v) for v in sub[c]) for c in chosen)
    rows = []
    for rec in sub.itertuples(index=False):
        cells = []
        for v in rec:
            full = cell_text(v)
            short = full if max_cols is None or len(full) <= MAX_TEXT else full[: MAX_TEXT - 1] + "…"
            cells.append((short, full))
        rows.append(tuple(cells))
    return TableView(anchor_id, tuple(chosen), numeric, tuple(rows), len(frame), len(cols), hidden)


def table_view(section: Section, table: SectionTable, *, lang: Lang = "zh", max_cols: int = 8,
               max_rows: int = 12) -> TableView:
    """The table as shown in the body: ≤ ``max_cols`` columns, ≤ ``max_rows`` rows, long text
    cut at ``MAX_TEXT`` characters (the full text is the cell's tooltip and in the appendix)."""
    return _view(table.frame, anchor(section, table), lang=lang, max_cols=max_cols, max_rows=max_rows,
                 key=table_key(section, table))


def appendix_view(section: Section, table: SectionTable, *, lang: Lang = "zh") -> TableView:
    """The full table for the appendix: every column, up to ``APPENDIX_ROWS`` rows, text uncut."""
    return _view(table.frame, anchor(section, table, appendix=True), lang=lang, max_cols=None,
                 max_rows=APPENDIX_ROWS)


# ------------------------------------------------------------------------------ findings
def _section(plan: Plan, key: str) -> Section | None:
    return next((s for s in plan.sections if s.key == key), None)


def _names(plan: Plan) -> dict[str, tuple[str, str]]:
    """park_id → (zh, en) from any plan table that carries both names."""
    out: dict[str, tuple[str, str]] = {}
    for s in plan.sections:
        for tb in s.tables:
            f = tb.frame
            if {"park_id", "name_zh", "name_en"} <= set(f.columns):
                for pid, zh, en in f[["park_id", "name_zh", "name_en"]].itertuples(index=False):
                    if isinstance(pid, str) and isinstance(zh, str):
                        out.setdefault(pid, (zh, en if isinstance(en, str) else zh))
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _status(plan: Plan) -> Finding | None:
    s = _section(plan, "status")
    latest = (s.summary.get("latest") if s else None) or {}
    if not s or "designated_parks" not in latest:
        return None
    year, des, named = latest.get("year"), latest["designated_parks"], latest.get("named_parks")
    target, gap = latest.get("target_parks"), latest.get("gap_parks") or 0
    zh = f"截至{year}年，已认定示范园区{des}个（具名{named}个）"
    en = f"By {year}, {des} demonstration parks are designated ({named} named)"
    if target:
        zh += f"，目标{target}个，" + ("已达标。" if latest.get("met") else f"尚差{gap}个。")
        en += f" against a target of {target}: " + ("met." if latest.get("met") else f"{gap} short.")
    else:
        zh, en = zh + "。", en + "."
    if latest.get("designations"):
        zh += f"共{latest['designations']}个认定单元。"
        en += f" They form {latest['designations']} designations."
    return Finding(zh, en, s.key, s.synthetic)


def _evaluation(plan: Plan, names: Mapping[str, tuple[str, str]]) -> Finding | None:
    s = _section(plan, "evaluation")
    if not s or not s.summary.get("top"):
        return None
    top = [p for p in s.summary["top"][:3]]
    zh_names = "、".join(names.get(p, (p, p))[0] for p in top)
    en_names = "; ".join(names.get(p, (p, p))[1] for p in top)
    n = s.summary.get("alternatives")
    zh = f"在{n}个可比园区的综合评价中，得分最高的是{zh_names}。"
    en = f"Of {n} comparable parks, the evaluation ranks highest {en_names}."
    rob = s.summary.get("robustness") or {}
    if "mean_spearman" in rob and "min_spearman" in rob:
        zh += f"换用其他方法与赋权，排名的平均秩相关为{rob['mean_spearman']:.2f}（最低{rob['min_spearman']:.2f}）。"
        en += (f" Across other methods and weightings the ranking's mean rank correlation is "
               f"{rob['mean_spearman']:.2f} (lowest {rob['min_spearman']:.2f}).")
    return Finding(zh, en, s.key, s.synthetic)


def _designation(plan: Plan) -> Finding | None:
    s = _section(plan, "designation")
    if not s or s.summary.get("status") in (None, "infeasible"):
        if s and s.summary.get("status") == "infeasible":
            return Finding("认定方案在当前约束下无可行解，见冲突约束表。",
                           "The designation plan is infeasible under the current constraints; see the conflicts.",
                           s.key, s.synthetic)
        return None
    n = len(s.summary.get("designated") or [])
    zh = f"优化方案（{s.summary.get('scenario')}情景，求解状态{s.summary['status']}）选出{n}个示范园区。"
    en = f"The optimised plan ({s.summary.get('scenario')} scenario, {s.summary['status']}) selects {n} parks."
    hist = s.summary.get("historical_check") or {}
    if "overlap_milp" in hist and "actual_named" in hist:
        zh += f"回测：重算结果覆盖第一批{hist['actual_named']}个具名园区中的{hist['overlap_milp']}个。"
        en += (f" Back-test: the re-run recovers {hist['overlap_milp']} of the {hist['actual_named']} "
               "named first-batch parks.")
    return Finding(zh, en, s.key, s.synthetic)


def _calibration(plan: Plan) -> Finding | None:
    s = _section(plan, "calibration")
    if not s or "loo_auc" not in s.summary:
        return None
    p = s.summary.get("calibrated_auc_p_vs_random")
    beats = s.summary.get("calibrated_beats_all_baselines")
    zh = f"按第一批认定校准的评价，留一法AUC为{s.summary['loo_auc']:.2f}"
    en = f"The evaluation calibrated on the first batch has a leave-one-out AUC of {s.summary['loo_auc']:.2f}"
    if p is not None:
        zh += f"，第二批留出检验相对随机排序 p = {p:.3f}"
        en += f"; on the batch-2 hold-out its AUC against random rankings has p = {p:.3f}"
    zh += "，" + ("优于全部基线。" if beats else "并非优于全部基线。")
    en += ", " + ("beating every baseline." if beats else "not beating every baseline.")
    zh += f"样本小（第二批具名{s.summary.get('n_holdout_positive')}个），结论需谨慎。"
    en += f" The sample is small ({s.summary.get('n_holdout_positive')} named batch-2 members)."
    return Finding(zh, en, s.key, s.synthetic)


def _chains(plan: Plan) -> Finding | None:
    s = _section(plan, "chains")
    des = (s.summary.get("designations") if s else None) or {}
    deltas: list[tuple[float, str, str]] = []
    build = 0
    for did, scopes in des.items():
        for scope_id, body in (scopes or {}).items():
            if not str(scope_id).startswith("designation:"):
                continue
            for chain, vals in ((body or {}).get("chains") or {}).items():
                d = vals.get("delta_lsr")
                if isinstance(d, int | float) and math.isfinite(d):
                    deltas.append((float(d), str(did), str(chain)))
                build += int(((vals.get("gaps") or {}).get("build")) or 0)
    if not s or not deltas:
        return None
    from parklink.vocab import CHAIN_NAMES

    mean = sum(d for d, *_ in deltas) / len(deltas)
    best = max(deltas)
    czh, cen = CHAIN_NAMES.get(best[2], (best[2], best[2]))
    zh = (f"{len(deltas)}个“认定单元×产业链”的跨省配套贡献（ΔLSR）平均为{_pct(mean)}，最高为{best[1]}的{czh}"
          f"（{_pct(best[0])}）；需“建链”的环节共{build}个。")
    en = (f"Across {len(deltas)} designation × chain pairs the cross-border contribution to local supporting "
          f"rates (ΔLSR) averages {_pct(mean)}, highest for {best[1]} in {cen} ({_pct(best[0])}); "
          f"{build} segments call for building the chain.")
    return Finding(zh, en, s.key, s.synthetic)


def _access(plan: Plan) -> Finding | None:
    s = _section(plan, "accessibility")
    sm = s.summary if s else {}
    if not s or "median_time_core_chengdu_h" not in sm:
        return None
    zh = (f"园区到成都、重庆中心城区的中位时间分别为{sm['median_time_core_chengdu_h']:.1f}小时和"
          f"{sm['median_time_core_chongqing_h']:.1f}小时；{sm.get('transport_node_parks')}个园区在"
          f"{sm.get('transport_node_threshold_h')}小时内可达物流枢纽。")
    en = (f"The median park is {sm['median_time_core_chengdu_h']:.1f} h from central Chengdu and "
          f"{sm['median_time_core_chongqing_h']:.1f} h from central Chongqing; {sm.get('transport_node_parks')} "
          f"parks reach a logistics hub within {sm.get('transport_node_threshold_h')} h.")
    return Finding(zh, en, s.key, s.synthetic)


def _logistics(plan: Plan, names: Mapping[str, tuple[str, str]]) -> Finding | None:
    s = _section(plan, "logistics")
    funcs = (s.summary.get("functions") if s else None) or {}
    parts_zh, parts_en = [], []
    for f in funcs.values():
        sites = f.get("p_median_sites") or []
        if not sites:
            continue
        parts_zh.append(f"{f.get('name_zh')}：" + "、".join(names.get(p, (p, p))[0] for p in sites))
        parts_en.append(f"{f.get('name_en')}: " + "; ".join(names.get(p, (p, p))[1] for p in sites))
    if not s or not parts_zh:
        return None
    return Finding("物流选址推荐（p-中位）——" + "；".join(parts_zh[:3]) + "。",
                   "Recommended logistics sites (p-median) — " + " | ".join(parts_en[:3]) + ".", s.key, s.synthetic)


def findings(plan: Plan) -> list[Finding]:
    """The executive summary: 5–8 findings from the plan's sections (those whose data are present)."""
    names = _names(plan)
    out = [_status(plan), _evaluation(plan, names), _designation(plan), _calibration(plan), _chains(plan),
           _access(plan), _logistics(plan, names)]
    found = [f for f in out if f is not None]
    overview = _section(plan, "overview")
    counts = (overview.summary.get("counts") if overview else None) or {}
    if overview and counts.get("parks"):
        firms = overview.summary.get("firms")
        zh = (f"登记册含园区{counts['parks']}个、认定单元{counts.get('designations', 0)}个、物流枢纽"
              f"{counts.get('transport_nodes', 0)}个；")
        en = (f"The registry holds {counts['parks']} parks, {counts.get('designations', 0)} designations and "
              f"{counts.get('transport_nodes', 0)} transport nodes; ")
        if isinstance(firms, int):
            zh += f"企业层数据{firms:,}家" + ("（合成）。" if overview.synthetic else "。")
            en += f"the firm-level data has {firms:,} firms" + (" (synthetic)." if overview.synthetic else ".")
        else:
            zh, en = zh + "尚无企业层数据。", en + "there is no firm-level data yet."
        found.append(Finding(zh, en, overview.key, overview.synthetic))
    return found[:8]
