"""Per-mu evaluation (亩均论英雄): the Zhejiang composite and the Sichuan A/B/C banding.

Method (``docs/monitoring.md``; facts in ``/work/shared/reference/operations-facts.md`` §6.2):

* base facts per park and period from the ``indicator_values`` series: ``tax``,
  ``value_added``, ``land_area_mu``, ``energy_use``, ``emissions``, ``employment``,
  ``rd_spending``, ``output`` (main-business revenue);
* six terms (Zhejiang 规上 score, as published for 黄岩区 2022):
  tax / land (万元/亩) × 30, value added / land × 20, value added / energy × 20,
  value added / emissions × 10, value added / employment × 10, R&D spending / revenue × 10,
  each term divided by its benchmark (基准): ``score_k = weight_k × term_k / benchmark_k``
  and ``composite = Σ_k score_k``. Benchmarks are given in the configuration (the county
  values of the official scheme) or, by default, the mean of the term over the parks
  evaluated (the analogue of a county value for a programme of parks);
* missing data (the published rule for emissions, applied to every term except the land
  terms): a park without the data of a term gets the average score of that term over the
  parks that have it (flagged ``imputed``). A park without a positive land area, tax or
  value added cannot be rated per mu: it is listed as *unbanded* (只评价未分档) with the
  reason;
* bands (Sichuan, since 2020): at most 30 % of the rated units in A and at least 10 % in C,
  ranked by composite score; A = the first ⌊0.30 n⌋ (units tied with the first unit
  outside A move to B), C = the last ⌈0.10 n⌉ (units tied with the last C unit join C),
  B = the rest. The shares are configuration (``a_share_max``, ``c_share_min``) with their
  source; no score threshold is published, so none is used. D (serious violations) is
  not derived from these data and never assigned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import ConfigError, ValidationError
from parklink.vocab import PERMU_BAND_NAMES, PERMU_TERM_NAMES

#: (term, numerator indicator, denominator indicator, Zhejiang weight, unit)
TERMS: tuple[tuple[str, str, str, float, str], ...] = (
    ("tax_per_mu", "tax", "land_area_mu", 30.0, "万元/亩"),
    ("va_per_mu", "value_added", "land_area_mu", 20.0, "万元/亩"),
    ("va_per_energy", "value_added", "energy_use", 20.0, "万元/tce"),
    ("va_per_emission", "value_added", "emissions", 10.0, "万元/t"),
    ("labour_productivity", "value_added", "employment", 10.0, "万元/人"),
    ("rd_share", "rd_spending", "output", 10.0, "ratio"),
)
LAND_TERMS = ("tax_per_mu", "va_per_mu")
ZHEJIANG_SOURCE = ("https://www.chacewang.com/newsdetail/news430850.html ; "
                   "https://0477ly.com/newsdetail/news406070.html")
SICHUAN_SOURCE = ("http://www.mtdqdl.com/blog/_685524_317075.html ; "
                  "https://e993.com/caijing_8323d23303d233230323_mynmvha5374983")


@dataclass(frozen=True)
class PerMuConfig:
    """Configuration of :func:`per_mu`.

    ``period``: the period evaluated (``2024``; default: the latest period with land data).
    ``weights``: term → weight (default: Zhejiang 30/20/20/10/10/10). ``benchmarks``: term →
    benchmark value in the term's unit (default: the mean over the rated parks).
    ``a_share_max`` / ``c_share_min``: the Sichuan band shares (A ≤ 30 %, C ≥ 10 %; source
    :data:`SICHUAN_SOURCE`, secondary copies: confidence ``likely``).
    """

    period: str | None = None
    weights: Mapping[str, float] = field(default_factory=lambda: {t[0]: t[3] for t in TERMS})
    benchmarks: Mapping[str, float] | None = None
    a_share_max: float = 0.30
    c_share_min: float = 0.10
    band_source: str = SICHUAN_SOURCE

    def check(self) -> None:
        """Raise ConfigError for unknown terms, negative weights, non-positive benchmarks or
        shares outside [0, 1]."""
        known = {t[0] for t in TERMS}
        for name, table in (("weights", self.weights), ("benchmarks", self.benchmarks or {})):
            bad = sorted(set(table) - known)
            if bad:
                raise ConfigError(f"unknown per-mu term(s) in {name}: {', '.join(bad)} (未知的亩均指标)")
        if any(not math.isfinite(w) or w < 0 for w in self.weights.values()):
            raise ConfigError("per-mu weights must be finite and >= 0 (权重须为非负数)")
        if any(not math.isfinite(b) or b <= 0 for b in (self.benchmarks or {}).values()):
            raise ConfigError("per-mu benchmarks must be finite and > 0 (基准值须为正数)")
        if not (0 <= self.a_share_max <= 1 and 0 <= self.c_share_min <= 1):
            raise ConfigError("band shares must lie in [0, 1] (分档比例须在0到1之间)")


@dataclass(frozen=True, eq=False)
class PerMuResult:
    """Per-mu scores, ranks and bands of the parks of one period."""

    period: str
    table: pd.DataFrame = field(repr=False)
    benchmarks: Mapping[str, float | None]
    config: PerMuConfig
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per park: base facts, each term and its score, imputed terms, composite,
        rank and band (rated parks first, by rank)."""
        return self.table.copy()

    def explain(self) -> dict[str, pd.DataFrame]:
        """``terms``: each term's formula, weight, benchmark (and whether it is the default
        mean), unit and names; ``bands``: the band rule with its source."""
        rows = []
        for key, num, den, _w, unit in TERMS:
            zh, en = PERMU_TERM_NAMES[key]
            given = self.config.benchmarks is not None and key in self.config.benchmarks
            rows.append({"term": key, "name_zh": zh, "name_en": en, "formula": f"{num} / {den}", "unit": unit,
                         "weight": float(self.config.weights.get(key, 0.0)), "benchmark": self.benchmarks.get(key),
                         "benchmark_kind": "configured" if given else "mean of the rated parks",
                         "source": ZHEJIANG_SOURCE})
        bands = pd.DataFrame([
            {"band": b, "name_zh": PERMU_BAND_NAMES[b][0], "name_en": PERMU_BAND_NAMES[b][1], "rule": rule,
             "source": src}
            for b, rule, src in (
                ("A", f"first floor({self.config.a_share_max:g} n) by composite (A <= {self.config.a_share_max:.0%})",
                 self.config.band_source),
                ("B", "the rest", self.config.band_source),
                ("C", f"last ceil({self.config.c_share_min:g} n) by composite (C >= {self.config.c_share_min:.0%})",
                 self.config.band_source),
                ("unbanded", "no positive land area, tax or value added: not rated per mu", "parklink rule"),
            )])
        return {"terms": pd.DataFrame(rows), "bands": bands}

    def summary(self) -> dict[str, Any]:
        """Period, number of parks per band, mean composite of the rated parks."""
        t = self.table
        rated = t[t["band"] != "unbanded"]
        return {
            "period": self.period, "parks": len(t), "rated": len(rated),
            "bands": {b: int((t["band"] == b).sum()) for b in PERMU_BAND_NAMES},
            "mean_composite": float(rated["composite"].mean()) if len(rated) else None,
            "notes": list(self.notes),
        }


def _latest_period(values: pd.DataFrame) -> str:
    land = values[values["indicator_id"] == "land_area_mu"]
    periods = sorted(set((land if len(land) else values)["period"].astype(str)))
    if not periods:
        raise ValidationError.single("indicator_values", "no monitoring values to evaluate per mu (没有监测数据)")
    return periods[-1]


def per_mu(values: pd.DataFrame, config: PerMuConfig | None = None) -> PerMuResult:
    """The per-mu evaluation of every park with values in ``config.period`` (see the module
    docstring for the method). ``values``: the ``indicator_values`` frame (``park_id``,
    ``indicator_id``, ``period``, ``value``)."""
    cfg = config or PerMuConfig()
    cfg.check()
    period = cfg.period or _latest_period(values)
    v = values[values["period"].astype(str) == period]
    facts = (v.pivot_table(index="park_id", columns="indicator_id", values="value", aggfunc="first")
             if len(v) else pd.DataFrame())
    needed = sorted({t[1] for t in TERMS} | {t[2] for t in TERMS})
    facts = facts.reindex(columns=needed).astype(float).sort_index()
    facts.index = facts.index.astype(str)
    notes: list[str] = []
    land, tax, va = facts["land_area_mu"], facts["tax"], facts["value_added"]
    ratable = (land > 0) & tax.notna() & va.notna()
    reason = pd.Series("", index=facts.index, dtype=object)
    reason[~(land > 0)] = "no positive land area (无有效用地面积)"
    reason[(land > 0) & (tax.isna() | va.isna())] = "tax or value added missing (税收或增加值缺失)"
    out = facts.copy()
    benchmarks: dict[str, float | None] = {}
    imputed: dict[str, list[str]] = {p: [] for p in facts.index}
    scores = pd.DataFrame(index=facts.index)
    for key, num, den, _w, _unit in TERMS:
        top, d = facts[num], facts[den]
        ratio = (top / d).where((d > 0) & top.notna() & d.notna())
        out[key] = ratio
        have = ratio[ratable].dropna()
        if cfg.benchmarks is not None and key in cfg.benchmarks:
            bench: float | None = float(cfg.benchmarks[key])
        else:
            bench = float(have.mean()) if len(have) and have.mean() > 0 else None
        benchmarks[key] = bench
        weight = float(cfg.weights.get(key, 0.0))
        if bench is None:
            notes.append(f"{key}: no rated park has the data and no benchmark is configured: the term counts 0 "
                         "for every park")
            scores[key] = 0.0
            continue
        s = weight * ratio / bench
        fill = float(s[ratable].dropna().mean()) if s[ratable].notna().any() else 0.0
        missing = ratable & s.isna()
        for p in s.index[missing]:
            imputed[p].append(key)
        scores[key] = s.where(~missing, fill)
        if missing.any():
            notes.append(f"{key}: {int(missing.sum())} park(s) without the data take the average score "
                         f"{fill:.4g} of the term (Zhejiang missing-data rule)")
    for key, *_ in TERMS:
        out[f"score_{key}"] = scores[key].where(ratable)
    out["imputed"] = [";".join(imputed[p]) for p in out.index]
    composite = scores.sum(axis=1).where(ratable)
    out["composite"] = composite
    out["reason"] = reason
    out = out.reset_index().rename(columns={"index": "park_id"})
    out["band"] = "unbanded"
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    rated = out[ratable.to_numpy()].sort_values(["composite", "park_id"], ascending=[False, True])
    n = len(rated)
    if n:
        ranks = rated["composite"].rank(method="min", ascending=False).astype(int)
        out.loc[rated.index, "rank"] = ranks.to_numpy()
        n_a, n_c = math.floor(cfg.a_share_max * n + 1e-9), math.ceil(cfg.c_share_min * n - 1e-9)
        n_c = min(n_c, n - n_a)
        comp = rated["composite"].to_numpy()
        bands = np.array(["B"] * n, dtype=object)
        if n_a:
            cut = comp[n_a] if n_a < n else -np.inf  # the first unit outside A
            bands[:n_a] = np.where(comp[:n_a] > cut, "A", "B")
        if n_c:
            last = comp[n - n_c]  # the best unit inside C
            bands[(comp <= last) & (bands != "A")] = "C"
        out.loc[rated.index, "band"] = bands
    order = out.assign(_rated=out["band"] != "unbanded").sort_values(
        ["_rated", "composite", "park_id"], ascending=[False, False, True]).drop(columns="_rated")
    return PerMuResult(period, order.reset_index(drop=True), benchmarks, cfg, tuple(notes))
