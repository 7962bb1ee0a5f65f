r"""Park-level smart-manufacturing indicators from the recognition and assessment registries.

Per park ``p`` (a record belongs to the park it names; an assessment without a park takes
the park of its enterprise in the registry or firm data):

* ``digital_workshops`` / ``intelligent_factories`` / ``intelligent_parks`` — recognitions of
  each kind (all list levels and years up to ``ref_year``); ``tier_<t>`` — recognitions on the
  national ladder tier ``t`` (basic / advanced / excellent / leading);
* ``above_scale`` — firms in the park with annual output ≥ 20 million CNY (output stands in
  for the 20 million CNY main-business revenue threshold of 规上 industry);
  ``share_assessed`` = above-scale firms with a maturity assessment / ``above_scale``;
* ``mean_level`` — mean GB/T 39116 overall level of the latest assessment of each assessed
  firm; ``level_<n>`` — firms whose latest level is ``n``;
* ``trend`` — least-squares slope (recognitions per year per year) of the yearly recognition
  counts from the park's first recognition year to ``ref_year`` (years without any = 0);
  empty with fewer than two years.

Parks with no recognition and no assessment have empty values (unknown, not zero).
Published aggregates (:data:`parklink.tables.SMART_AGGREGATES`) are programme facts: they are
shown as they are and never spread over parks or firms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from parklink.results import frozen_tables
from parklink.tables import SMART_KINDS, SMART_TIERS, split_list

if TYPE_CHECKING:
    from parklink.evaluate.indicators import IndicatorTable
    from parklink.inputs import Inputs

__all__ = ["ABOVE_SCALE_CNY_M", "SmartIndicators", "registry_indicator_table", "smart_indicator_table",
           "smart_indicators"]

#: Annual output (million CNY) from which a firm counts as above designated size (规上).
ABOVE_SCALE_CNY_M = 20.0
_KIND_COL = {"digital_workshop": "digital_workshops", "intelligent_factory": "intelligent_factories",
             "intelligent_park": "intelligent_parks"}


@dataclass(frozen=True, eq=False)
class SmartIndicators:
    """Result of :func:`smart_indicators`: ``table`` per park, ``domains`` (mean level per
    park × capability domain from ``domain_levels``), ``yearly`` recognitions per park × year."""

    table: pd.DataFrame = field(repr=False)
    domains: pd.DataFrame = field(repr=False)
    yearly: pd.DataFrame = field(repr=False)
    ref_year: int

    def to_frame(self) -> pd.DataFrame:
        """One row per park with any record (id: park_id)."""
        return self.table.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only ``indicators``, ``domains`` and ``yearly`` tables."""
        return frozen_tables({"indicators": self.table, "domains": self.domains,
                              "yearly": self.yearly})

    def summary(self) -> dict[str, Any]:
        """Totals over parks: recognitions by kind, assessed firms, mean level."""
        t = self.table
        out: dict[str, Any] = {"parks": len(t), "ref_year": self.ref_year}
        for col in _KIND_COL.values():
            out[col] = int(t[col].sum()) if len(t) else 0
        out["assessed_firms"] = int(t["assessed"].sum()) if len(t) else 0
        return out


def _park_of(assessments: pd.DataFrame, firms: pd.DataFrame | None) -> pd.Series:
    park = assessments["park_id"].astype("string")
    if firms is not None and len(firms) and park.isna().any():
        where = firms.dropna(subset=["park_id"]).drop_duplicates("enterprise_id")
        lookup = dict(zip(where["enterprise_id"].astype(str), where["park_id"].astype(str), strict=True))
        park = park.fillna(assessments["enterprise_id"].astype(str).map(lookup).astype("string"))
    return park


def _slope(counts: pd.Series) -> float:
    if len(counts) < 2:
        return float("nan")
    x = counts.index.to_numpy(dtype=float)
    return float(np.polyfit(x - x.mean(), counts.to_numpy(dtype=float), 1)[0])


def smart_indicators(recognitions: pd.DataFrame, assessments: pd.DataFrame,
                     firms: pd.DataFrame | None = None, *, ref_year: int) -> SmartIndicators:
    """The park indicators of the module docstring. ``firms`` (enterprise_id, park_id,
    output_cny_m) gives the above-scale denominator and the park of unplaced assessments."""
    rec = recognitions[recognitions["park_id"].notna()
                       & (recognitions["year"].astype(float) <= ref_year)].copy()
    rec["park_id"] = rec["park_id"].astype(str)
    ass = assessments.copy()
    ass["park_id"] = _park_of(ass, firms)
    ass = ass[ass["park_id"].notna()]
    ass = ass[pd.to_datetime(ass["assessed_on"]).dt.year <= ref_year]
    latest = (ass.assign(_d=pd.to_datetime(ass["assessed_on"]))
              .sort_values(["enterprise_id", "_d", "assessment_id"])
              .groupby("enterprise_id", as_index=False).tail(1))
    parks = sorted(set(rec["park_id"]) | set(latest["park_id"].astype(str)))
    t = pd.DataFrame({"park_id": parks})
    for kind in SMART_KINDS:
        n = rec[rec["kind"] == kind].groupby("park_id").size()
        t[_KIND_COL[kind]] = t["park_id"].map(n).fillna(0).astype(int)
    for tier in SMART_TIERS:
        n = rec[rec["tier"] == tier].groupby("park_id").size()
        t[f"tier_{tier}"] = t["park_id"].map(n).fillna(0).astype(int)
    lat = latest.assign(park_id=latest["park_id"].astype(str))
    t["assessed"] = t["park_id"].map(lat.groupby("park_id").size()).fillna(0).astype(int)
    t["mean_level"] = t["park_id"].map(lat.groupby("park_id")["overall_level"].mean().astype(float))
    for lv in range(1, 6):
        n = lat[lat["overall_level"].astype(int) == lv].groupby("park_id").size()
        t[f"level_{lv}"] = t["park_id"].map(n).fillna(0).astype(int)
    if firms is not None and len(firms):
        big = firms[firms["park_id"].notna() & (firms["output_cny_m"].astype(float) >= ABOVE_SCALE_CNY_M)]
        big_ids = big.assign(park_id=big["park_id"].astype(str))
        t["above_scale"] = t["park_id"].map(big_ids.groupby("park_id").size()).fillna(0).astype(int)
        assessed_big = lat[lat["enterprise_id"].astype(str).isin(set(big_ids["enterprise_id"].astype(str)))]
        n_ab = t["park_id"].map(assessed_big.groupby("park_id").size()).fillna(0)
        t["share_assessed"] = np.where(t["above_scale"] > 0, n_ab / t["above_scale"].clip(lower=1), np.nan)
    else:
        t["above_scale"] = pd.array([pd.NA] * len(t), dtype="Int64")
        t["share_assessed"] = np.nan
    yearly = (rec.groupby(["park_id", rec["year"].astype(int)]).size().rename("recognitions")
              .reset_index())
    trend = {}
    for park, sub in yearly.groupby("park_id"):
        years = range(int(sub["year"].min()), ref_year + 1)
        counts = sub.set_index("year")["recognitions"].reindex(years, fill_value=0)
        trend[park] = _slope(counts)
    t["trend"] = t["park_id"].map(trend).astype(float)
    drows: list[dict[str, Any]] = []
    for r in lat.itertuples(index=False):
        for item in split_list(r.domain_levels):
            code, _, level = item.partition(":")
            drows.append({"park_id": str(r.park_id), "domain": code, "level": int(level)})
    dom = pd.DataFrame(drows, columns=["park_id", "domain", "level"])
    domains = (dom.groupby(["park_id", "domain"], as_index=False)
               .agg(mean_level=("level", "mean"), firms=("level", "size")))
    return SmartIndicators(t, domains, yearly, int(ref_year))


def smart_indicator_table(result: SmartIndicators, parks: pd.DataFrame) -> IndicatorTable | None:
    """Optional evaluation indicators (group ``industry``): ``smart_recognised`` (digital
    workshops + intelligent factories + intelligent parks) and ``smart_mean_level``; ``None``
    when the registries hold no record, so the default evaluation is unchanged. Parks without
    records are unknown (NaN); the evaluation leaves out an indicator known for < 50 % of
    the parks (:meth:`IndicatorTable.usable`)."""
    from parklink.evaluate.indicators import IndicatorTable
    from parklink.evaluate.matrix import Criterion

    t = result.table
    if t.empty:
        return None
    vals = pd.DataFrame({"park_id": parks["park_id"].astype(str)})
    rec = t.set_index("park_id")
    total = rec["digital_workshops"] + rec["intelligent_factories"] + rec["intelligent_parks"]
    vals["smart_recognised"] = vals["park_id"].map(total.astype(float))
    vals["smart_mean_level"] = vals["park_id"].map(rec["mean_level"])
    crits = (
        Criterion("smart_recognised", "智能制造认定数", "smart-manufacturing recognitions", "count",
                  "benefit", "industry", source="smart_recognitions",
                  formula="digital workshops + intelligent factories + intelligent parks recognised in the park"),
        Criterion("smart_mean_level", "智能制造成熟度均值", "mean smart-manufacturing maturity level",
                  "level 1–5", "benefit", "industry", source="maturity_assessments",
                  formula="mean GB/T 39116 level of the latest assessment of each assessed firm"),
    )
    return IndicatorTable(vals, crits, ("smart-manufacturing indicators from the co-construction registries",))


def registry_indicator_table(inputs: Inputs, parks: pd.DataFrame) -> IndicatorTable | None:
    """:func:`smart_indicator_table` of the registries in ``inputs`` (this year), or ``None``
    when they hold no recognition and no assessment (the evaluation is then unchanged)."""
    import datetime as dt

    rec = inputs.frame("smart_recognitions") if "smart_recognitions" in inputs.frames else None
    ass = inputs.frame("maturity_assessments") if "maturity_assessments" in inputs.frames else None
    if rec is None or ass is None or (rec.empty and ass.empty):
        return None
    res = smart_indicators(rec, ass, inputs.frame("enterprises"), ref_year=dt.date.today().year)
    return smart_indicator_table(res, parks)
