"""The one bilingual vocabulary of parklink: every code a person reads, with its zh/en label.

Codes are the enumerations of :mod:`parklink.tables` (chains, provinces, area types,
cooperation modes, transport modes, park levels and kinds, confidence) and of the analyses
(MCDA methods, weightings, indicator groups, gap types, chain actions, segment levels,
scope kinds, cargo profiles, roles). Each vocabulary is a ``dict`` code → ``(zh, en)``;
the enumerations the CLI, the API request models and the pages validate against are the
``Literal`` types and tuples defined here (the tuple is ``typing.get_args`` of the
``Literal``, so the two cannot drift). No other module defines a label table for these
codes; modules that used to re-export one (``store.io.CHAIN_NAMES``,
``logistics.params.MODE_NAMES`` …) import it from here.

Note the two kinds of "mode": :data:`COOPERATION_MODE_NAMES` (how two parks cooperate, the
``designations.mode`` column) and :data:`TRANSPORT_MODE_NAMES` (road, rail, water, air).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from parklink import tables as t

Label = tuple[str, str]

# ---------------------------------------------------------------- analysis enumerations
MethodName = Literal["topsis", "vikor", "promethee_ii"]
WeightingName = Literal["entropy", "critic", "std", "equal", "combined", "programme"]
TravelTimeSource = Literal["network", "geodesic"]
ChainName = Literal["auto", "moto", "electronics", "biomed"]
ProvinceCode = Literal["SC", "CQ"]
AreaType = Literal["critical_development", "transport_node", "adjacent"]
CargoName = Literal["bulk", "container", "electronics", "vehicles"]
ChainDetail = Literal["aggregate", "firm"]

METHODS: tuple[str, ...] = get_args(MethodName)
#: Named weightings a user may choose (``ahp`` needs a judgement matrix, ``given`` explicit weights).
WEIGHTINGS: tuple[str, ...] = get_args(WeightingName)
TRAVEL_TIME_SOURCES: tuple[str, ...] = get_args(TravelTimeSource)
CARGOS: tuple[str, ...] = get_args(CargoName)
CHAIN_DETAILS: tuple[str, ...] = get_args(ChainDetail)

METHOD_NAMES: dict[str, Label] = {
    "topsis": ("逼近理想解排序法", "TOPSIS"),
    "vikor": ("多准则妥协解排序法", "VIKOR"),
    "promethee_ii": ("偏好顺序结构评估法", "PROMETHEE II"),
}
WEIGHTING_NAMES: dict[str, Label] = {
    "combined": ("组合赋权（熵权+CRITIC）", "combined (entropy + CRITIC)"),
    "entropy": ("熵权法", "entropy"),
    "critic": ("CRITIC法", "CRITIC"),
    "std": ("标准差法", "standard deviation"),
    "equal": ("等权", "equal"),
    "programme": ("按实际认定校准", "calibrated to the programme's first batch"),
    "ahp": ("层次分析法", "AHP"),
    "given": ("自定义权重", "explicit weights"),
}
TRAVEL_TIME_NAMES: dict[str, Label] = {
    "network": ("多式联运网络时间", "multimodal network travel times"),
    "geodesic": ("直线距离×绕行系数÷车速", "straight line × detour factor ÷ speed"),
}
INDICATOR_GROUP_NAMES: dict[str, Label] = {
    "resource": ("资源禀赋", "resource endowment"),
    "location": ("区位条件", "location conditions"),
    "industry": ("产业基础", "industrial foundation"),
}

# ---------------------------------------------------------------- registry enumerations
CHAIN_NAMES: dict[str, Label] = {
    "auto": ("汽车（含新能源汽车）", "Automobiles (incl. NEV)"),
    "moto": ("摩托车", "Motorcycles"),
    "electronics": ("电子信息", "Electronic information"),
    "biomed": ("生物医药", "Biomedicine"),
}
PROVINCE_NAMES: dict[str, Label] = {"SC": ("四川省", "Sichuan"), "CQ": ("重庆市", "Chongqing")}
CIRCLE_NAME: Label = ("成渝地区双城经济圈（川渝全域）", "Chengdu–Chongqing circle (both provinces)")
AREA_TYPE_NAMES: dict[str, Label] = {
    "critical_development": ("重点发展区域", "Critical development area"),
    "transport_node": ("交通节点区域", "Transport node area"),
    "adjacent": ("毗邻地区", "Area adjacent to the border"),
}
COOPERATION_MODE_NAMES: dict[str, Label] = {
    "function_cobuild": ("功能共建", "Function co-building"),
    "industry_cobuild": ("产业共建", "Industry co-building"),
    "supporting_industry": ("产业配套", "Supporting industry"),
    "resource_development": ("资源开发", "Resource development"),
    "enclave_economy": ("飞地经济", "Enclave economy"),
    "unknown": ("未知", "unknown"),
}
TRANSPORT_MODE_NAMES: dict[str, Label] = {
    "road": ("公路", "road"),
    "rail": ("铁路", "rail"),
    "water": ("水运", "inland waterway"),
    "air": ("航空", "air"),
    "transfer": ("换装", "transfer"),
}
CARGO_NAMES: dict[str, Label] = {
    "bulk": ("散货", "bulk"),
    "container": ("集装箱", "container"),
    "electronics": ("高值电子产品", "high-value electronics"),
    "vehicles": ("商品车", "finished vehicles"),
}
PARK_LEVEL_NAMES: dict[str, Label] = {
    "national": ("国家级", "National"), "provincial": ("省级", "Provincial"), "other": ("其他", "Other"),
}
PARK_KIND_NAMES: dict[str, Label] = {
    "new_area": ("新区", "New area"),
    "etdz": ("经济技术开发区", "Economic-technological development zone"),
    "htz": ("高新技术产业开发区", "High-tech industrial development zone"),
    "cbz": ("综合保税区", "Comprehensive bonded zone"),
    "edz": ("经济开发区", "Economic development zone"),
    "industrial_park": ("工业园区", "Industrial park"),
    "cooperation_area": ("合作园区", "Cooperation area"),
    "other": ("其他", "Other"),
}
CONFIDENCE_NAMES: dict[str, Label] = {
    "confirmed": ("已证实", "confirmed"), "likely": ("较可信", "likely"),
    "unconfirmed": ("未证实", "unconfirmed"), "synthetic": ("合成", "synthetic"),
}
SEGMENT_LEVEL_NAMES: dict[str, Label] = {
    "up": ("上游", "Upstream"), "mid": ("中游", "Midstream"), "down": ("下游", "Downstream"),
    "enabler": ("支撑环节", "Enablers"),
}

# ---------------------------------------------------------------- chains
GAP_NAMES: dict[str, Label] = {
    "missing": ("缺链", "missing"),
    "break_risk": ("断链风险", "break risk"),
    "single_point": ("单点/薄弱", "single point"),
    "weak": ("弱链", "weak"),
}
ACTION_NAMES: dict[str, Label] = {
    "build": ("建链", "build"),
    "supplement": ("补链", "supplement"),
    "extend": ("延链", "extend"),
    "strengthen": ("强链", "strengthen"),
    "none": ("无", "none"),
}
SCOPE_KIND_NAMES: dict[str, Label] = {
    "circle": ("川渝全域", "Circle"), "province": ("省市", "Province"), "city": ("城市", "City"),
    "zone": ("合作区域", "Zone"), "designation": ("示范园区（园区组）", "Demonstration park (group)"),
    "park": ("园区", "Park"),
}

# ---------------------------------------------------------------- people
ROLE_NAMES: dict[str, Label] = {
    "programme_office": ("示范园区办公室", "Programme office"),
    "park_manager": ("园区管委会", "Park management committee"),
    "enterprise": ("企业", "Enterprise"),
    "public": ("公众", "Public"),
}

#: Every vocabulary with the enumeration of :mod:`parklink.tables` (or of this module) it
#: labels; :func:`check` verifies that each enumeration has exactly one label per code.
VOCABULARIES: dict[str, tuple[Mapping[str, Label], tuple[str, ...]]] = {
    "methods": (METHOD_NAMES, METHODS),
    "weightings": (WEIGHTING_NAMES, (*WEIGHTINGS, "ahp", "given")),
    "travel_time": (TRAVEL_TIME_NAMES, TRAVEL_TIME_SOURCES),
    "chains": (CHAIN_NAMES, t.CHAINS),
    "provinces": (PROVINCE_NAMES, t.PROVINCES),
    "area_types": (AREA_TYPE_NAMES, t.AREA_TYPES),
    "cooperation_modes": (COOPERATION_MODE_NAMES, t.COOPERATION_MODES),
    "transport_modes": (TRANSPORT_MODE_NAMES, t.TRANSPORT_MODES),
    "cargo": (CARGO_NAMES, CARGOS),
    "park_levels": (PARK_LEVEL_NAMES, t.PARK_LEVELS),
    "park_kinds": (PARK_KIND_NAMES, t.PARK_KINDS),
    "confidence": (CONFIDENCE_NAMES, t.CONFIDENCE),
    "segment_levels": (SEGMENT_LEVEL_NAMES, t.SEGMENT_LEVELS),
    "gap_types": (GAP_NAMES, ("missing", "break_risk", "single_point", "weak")),
    "actions": (ACTION_NAMES, ("build", "supplement", "extend", "strengthen", "none")),
    "scope_kinds": (SCOPE_KIND_NAMES, ("circle", "province", "city", "zone", "designation", "park")),
    "roles": (ROLE_NAMES, ("programme_office", "park_manager", "enterprise", "public")),
}


def label(vocabulary: Mapping[str, Label], code: str, lang: str | None = None) -> str:
    """The label of ``code``: ``"zh en"`` (both), or one language with ``lang="zh"|"en"``;
    an unknown code is returned as it is."""
    zh, en = vocabulary.get(code, (code, code))
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return zh if zh == en else f"{zh} {en}"


def check() -> list[str]:
    """Mismatches between each vocabulary and its enumeration (empty when consistent)."""
    out = []
    for name, (names, codes) in VOCABULARIES.items():
        missing = [c for c in codes if c not in names]
        extra = [c for c in names if c not in codes]
        if missing or extra:
            out.append(f"{name}: missing {missing}, extra {extra}")
    if get_args(ChainName) != t.CHAINS:
        out.append("ChainName differs from tables.CHAINS")
    if get_args(ProvinceCode) != t.PROVINCES:
        out.append("ProvinceCode differs from tables.PROVINCES")
    if get_args(AreaType) != t.AREA_TYPES:
        out.append("AreaType differs from tables.AREA_TYPES")
    return out


# --------------------------------------------------------------------------- monitoring (issue 17)
#: Terms of the per-mu (亩均论英雄) composite, in the published Zhejiang order.
PERMU_TERM_NAMES: dict[str, Label] = {
    "tax_per_mu": ("亩均税收", "tax per mu"),
    "va_per_mu": ("亩均增加值", "value added per mu"),
    "va_per_energy": ("单位能耗增加值", "value added per unit of energy"),
    "va_per_emission": ("单位排放增加值", "value added per unit of emissions"),
    "labour_productivity": ("全员劳动生产率", "labour productivity"),
    "rd_share": ("R&D经费占主营业务收入比重", "R&D spending / main-business revenue"),
}
#: Bands of the per-mu evaluation (Sichuan A/B/C; D is not assigned from data).
PERMU_BAND_NAMES: dict[str, Label] = {
    "A": ("A类", "band A"),
    "B": ("B类", "band B"),
    "C": ("C类", "band C"),
    "unbanded": ("只评价未分档", "rated, not banded"),
}
#: Frequencies of a monitoring indicator.
MONITORING_FREQUENCY_NAMES: dict[str, Label] = {
    "monthly": ("月度", "monthly"), "quarterly": ("季度", "quarterly"), "annual": ("年度", "annual"),
}
#: The per-mu composite as an indicator of the park evaluation.
PERMU_SCORE_NAME: Label = ("亩均综合评价得分", "per-mu composite score")
