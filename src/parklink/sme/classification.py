"""The national SME size classification as versioned data: 中小企业划型标准规定.

Source: 工业和信息化部、国家统计局、国家发展和改革委员会、财政部《关于印发中小企业划型标准规定的
通知》(工信部联企业〔2011〕300号), 2011-06-18, https://www.gov.cn/zwgk/2011-07/04/content_1898747.htm.
The thresholds below are those of the notice for the four industries parklink's profiles can
name (工业 industry, 软件和信息技术服务业 software and IT services, 交通运输业 transport, 仓储业
warehousing). The notice is **not** in the project's shared reference folder and its official
page could not be read offline; all 24 numbers were cross-checked (:data:`VERIFICATION`) against
two public reproductions of the notice's article 4 text (third-party pages, not the official
one) and agree. Because no primary text was read, the confidence stays ``likely`` (parklink
marks ``confirmed`` only from official or primary sources). Every other industry of the notice
(agriculture, construction, wholesale, retail, accommodation, catering, information
transmission, postal, real estate, property management, leasing and business services, other)
is not encoded — the profile schema has no code for them, and construction, real estate and
leasing classify by total assets, which profiles do not hold — and classifies as ``unknown``;
parklink never guesses a threshold.

Rule of the notice for each industry (employees = 从业人员, revenue = 营业收入, 10k CNY):
an enterprise is an SME when employees < E_max **or** revenue < R_max; among SMEs it is
*medium* when employees ≥ E_medium **and** revenue ≥ R_medium, *small* when employees ≥
E_small **and** revenue ≥ R_small, else *micro* (employees < E_small **or** revenue < R_small).
Revenue is given to :func:`classify` in million CNY (1 million = 100 × 10k CNY).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

VERSION = "2011"
SOURCE = "工信部联企业〔2011〕300号 中小企业划型标准规定"
SOURCE_URL = "https://www.gov.cn/zwgk/2011-07/04/content_1898747.htm"
CONFIDENCE = "likely"
#: How the encoded numbers were checked (shown by ``parklink sme thresholds``).
VERIFICATION = ("2026-12-07: E_max/R_max/E_medium/R_medium/E_small/R_small of the four industries "
                "agree with two public third-party reproductions of article 4 of the notice; the "
                "official gov.cn text was not available offline (confidence stays likely)")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Thresholds of one industry (employees in persons, revenue in 10k CNY as the notice)."""

    industry: str
    employees_max: int
    revenue_max_10k: float
    employees_medium: int
    revenue_medium_10k: float
    employees_small: int
    revenue_small_10k: float
    version: str = VERSION
    source: str = SOURCE
    source_url: str = SOURCE_URL
    confidence: str = CONFIDENCE
    verification: str = VERIFICATION


#: Encoded industries; industries of ``tables.SME_INDUSTRIES`` not here are ``unknown``.
THRESHOLDS: dict[str, Thresholds] = {
    "industry": Thresholds("industry", 1000, 40000, 300, 2000, 20, 300),
    "software_it": Thresholds("software_it", 300, 10000, 100, 1000, 10, 50),
    "transport": Thresholds("transport", 1000, 30000, 300, 3000, 20, 200),
    "warehousing": Thresholds("warehousing", 200, 30000, 100, 1000, 20, 100),
}


def thresholds_frame() -> pd.DataFrame:
    """The encoded thresholds as a table (one row per industry, with version and source)."""
    return pd.DataFrame([{
        "industry": th.industry, "employees_max": th.employees_max,
        "revenue_max_10k_cny": th.revenue_max_10k, "employees_medium": th.employees_medium,
        "revenue_medium_10k_cny": th.revenue_medium_10k, "employees_small": th.employees_small,
        "revenue_small_10k_cny": th.revenue_small_10k, "version": th.version,
        "source": th.source, "source_url": th.source_url, "confidence": th.confidence,
        "verification": th.verification,
    } for th in THRESHOLDS.values()])


def classify(industry: str, employees: float | None, revenue_cny_m: float | None) -> str:
    """Size class (large / medium / small / micro / unknown) of one enterprise by the notice.

    ``revenue_cny_m`` is last year's revenue in million CNY. A missing metric gives
    ``unknown`` unless the other metric alone decides (e.g. fewer employees than the micro
    bound makes the firm micro whatever its revenue); an industry without encoded thresholds
    is ``unknown``.
    """
    th = THRESHOLDS.get(industry)
    if th is None:
        return "unknown"
    e = None if employees is None or pd.isna(employees) else float(employees)
    r = None if revenue_cny_m is None or pd.isna(revenue_cny_m) else float(revenue_cny_m) * 100.0
    # micro when either metric is below the small bound (an "or" rule)
    if (e is not None and e < th.employees_small) or (r is not None and r < th.revenue_small_10k):
        return "micro"
    if e is None or r is None:
        return "unknown"
    if e >= th.employees_max and r >= th.revenue_max_10k:
        return "large"
    if e >= th.employees_medium and r >= th.revenue_medium_10k:
        return "medium"
    return "small"


def classify_many(industry: pd.Series, employees: pd.Series, revenue_cny_m: pd.Series
                  ) -> npt.NDArray[np.object_]:
    """:func:`classify` for aligned columns (an object array of size classes)."""
    return np.array([classify(str(i), e, r) for i, e, r in zip(
        industry.tolist(), employees.astype(object).tolist(), revenue_cny_m.astype(object).tolist(),
        strict=True)], dtype=object)
