"""Registry helpers for SMEs and supply–demand items: row checks and derived columns.

The row checks run on every import and registry write of ``sme_profiles`` and
``supply_demand`` (through :data:`parklink.store.io.KINDS`), after the column checks of the
validator; rows are numbered as in a file with a header line (first data row = 2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from parklink.errors import Problem
from parklink.sme.classification import classify, classify_many

#: A 专精特新 recognition is valid for three years (优质中小企业梯度培育管理暂行办法).
TIER_VALID_YEARS = 3


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value) \
        or (isinstance(value, str) and not value.strip())


def check_sme_rows(frame: pd.DataFrame, source: str = "sme_profiles") -> list[Problem]:
    """Problems the column checks cannot see: a tier without its recognition year (or a year
    without a tier), a validity end before the recognition, a declared size class that
    contradicts the classification of the employees and revenue given, a capacity without
    its unit."""
    out: list[Problem] = []
    for i, row in enumerate(frame.to_dict("records")):
        r = i + 2
        tier, year = row.get("tier"), row.get("tier_year")
        if tier != "none" and _missing(year):
            out.append(Problem(source, r, "tier_year", None,
                               f"tier {tier} needs its recognition year (认定年份必填)"))
        if tier == "none" and not _missing(year):
            out.append(Problem(source, r, "tier_year", str(year),
                               "a recognition year without a tier (未认定梯度却填写了认定年份)"))
        until = row.get("tier_valid_until")
        if not _missing(year) and not _missing(until) and pd.Timestamp(until).year < int(year):  # type: ignore[arg-type]
            out.append(Problem(source, r, "tier_valid_until", str(until),
                               "validity ends before the recognition year (有效期早于认定年份)"))
        declared = row.get("size_class")
        if not _missing(declared) and declared != "unknown":
            computed = classify(str(row.get("industry")), row.get("employees"),  # type: ignore[arg-type]
                                row.get("revenue_cny_m"))  # type: ignore[arg-type]
            if computed != "unknown" and computed != declared:
                out.append(Problem(source, r, "size_class", str(declared),
                                   f"contradicts the classification of 工信部联企业〔2011〕300号 for "
                                   f"these employees and revenue: {computed} (与划型标准不符)"))
        if not _missing(row.get("capacity")) and _missing(row.get("capacity_unit")):
            out.append(Problem(source, r, "capacity_unit", None,
                               "a capacity needs its unit (产能需注明单位)"))
    return out


def check_supply_demand_rows(frame: pd.DataFrame, source: str = "supply_demand") -> list[Problem]:
    """Problems of 供需清单 rows: the poster's id missing (an enterprise item needs
    ``enterprise_id``, a park item ``park_id``), an offer posted by a park, a quantity without
    its unit, a date needed before the date posted."""
    out: list[Problem] = []
    for i, row in enumerate(frame.to_dict("records")):
        r = i + 2
        if row.get("poster") == "enterprise" and _missing(row.get("enterprise_id")):
            out.append(Problem(source, r, "enterprise_id", None,
                               "an enterprise item needs enterprise_id (企业发布需填写企业编号)"))
        if row.get("poster") == "park" and _missing(row.get("park_id")):
            out.append(Problem(source, r, "park_id", None, "a park item needs park_id (园区发布需填写园区编号)"))
        if row.get("poster") == "park" and row.get("direction") == "offer":
            out.append(Problem(source, r, "direction", "offer",
                               "offers are posted by enterprises, not parks (供给由企业发布)"))
        if not _missing(row.get("quantity")) and _missing(row.get("quantity_unit")):
            out.append(Problem(source, r, "quantity_unit", None, "a quantity needs its unit (数量需注明单位)"))
        posted, needed = row.get("posted"), row.get("needed_by")
        if not _missing(posted) and not _missing(needed) and pd.Timestamp(needed) < pd.Timestamp(posted):  # type: ignore[arg-type]
            out.append(Problem(source, r, "needed_by", str(needed),
                               "needed before it was posted (需求日期早于发布日期)"))
    return out


def tier_valid_until(tier_year: object, valid_until: object) -> dt.date | None:
    """End of validity of a recognition: the recorded date, else 31 December of
    ``tier_year`` + 3 (a recognition is valid three years); None without a recognition."""
    if not _missing(valid_until):
        return pd.Timestamp(valid_until).date()  # type: ignore[arg-type]
    if _missing(tier_year):
        return None
    return dt.date(int(tier_year) + TIER_VALID_YEARS, 12, 31)  # type: ignore[call-overload]


def sme_view(profiles: pd.DataFrame, *, on: dt.date | None = None) -> pd.DataFrame:
    """SME profiles with derived columns: ``size_computed`` (the classification of the
    employees and revenue), ``size`` (declared, else computed), ``valid_until`` and
    ``tier_active`` (the tier on date ``on``, default today; ``none`` once expired)."""
    on = on or dt.date.today()
    out = profiles.copy()
    if out.empty:
        for col in ("size_computed", "size", "valid_until", "tier_active"):
            out[col] = pd.Series(dtype=object)
        return out
    out["size_computed"] = classify_many(out["industry"], out["employees"], out["revenue_cny_m"])
    declared = out["size_class"].astype(object)
    out["size"] = [d if not _missing(d) and d != "unknown" else c
                   for d, c in zip(declared, out["size_computed"], strict=True)]
    out["valid_until"] = [tier_valid_until(y, u) for y, u in
                          zip(out["tier_year"].astype(object), out["tier_valid_until"], strict=True)]
    out["tier_active"] = [t if t != "none" and u is not None and u >= on else "none"
                          for t, u in zip(out["tier"], out["valid_until"], strict=True)]
    return out


def sme_table(inputs: Any, *, tier: list[str] | None = None, park: str | None = None,
              size: str | None = None, active: bool = False) -> pd.DataFrame:
    """SME profiles of an inputs bundle with the derived columns of :func:`sme_view`,
    filtered by tiers, park and size class (``active``: filter on the tier still valid today)."""
    view = sme_view(inputs.frame("sme_profiles"))
    tier_col = "tier_active" if active else "tier"
    if tier:
        view = view[view[tier_col].isin(tier)]
    if park:
        view = view[view["park_id"] == park]
    if size:
        view = view[view["size"] == size]
    return view.reset_index(drop=True)
