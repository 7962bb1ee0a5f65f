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
from parklink import tables_promotion as tp

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

# ---------------------------------------------------------------- reports
ReportKind = Literal["bulletin", "park", "designation", "next_batch"]
REPORT_KINDS: tuple[str, ...] = get_args(ReportKind)
REPORT_KIND_NAMES: dict[str, Label] = {
    "bulletin": ("项目通报", "Programme bulletin"), "park": ("园区简报", "Park brief"),
    "designation": ("示范单元简报", "Designation brief"), "next_batch": ("下一批方案简报", "Next-batch plan brief"),
}
PERIOD_KINDS: tuple[str, ...] = ("year", "quarter", "month")
PERIOD_KIND_NAMES: dict[str, Label] = {"year": ("年度", "annual"), "quarter": ("季度", "quarterly"),
                                       "month": ("月度", "monthly")}
# ---------------------------------------------------------------- co-construction (issue 15)
PIP_MODE_NAMES: dict[str, Label] = {
    "hq_base": ("总部+基地", "headquarters + base"),
    "rd_transformation": ("研发+转化", "R&D + transformation"),
    "terminal_support": ("终端产品+协作配套", "terminal products + collaborative support"),
}
PIP_STATUS_NAMES: dict[str, Label] = {
    "planned": ("规划中", "planned"), "under_construction": ("在建", "under construction"),
    "operating": ("运营中", "operating"), "unknown": ("未知", "unknown"),
}
SHARING_METRIC_NAMES: dict[str, Label] = {
    "tax": ("税收/收益", "tax / revenue"), "vat": ("增值税", "VAT"),
    "income_tax": ("企业所得税", "income tax"), "value_added": ("增加值/GDP", "value added / GDP"),
    "fixed_investment": ("固定资产投资", "fixed-asset investment"), "output": ("产值", "output"),
    "statistics": ("统计分算", "statistics attribution"), "equity": ("合资公司股权", "JV equity"),
}
SHARING_BASE_NAMES: dict[str, Label] = {
    "all": ("全部", "all"), "existing": ("存量", "existing"), "new": ("增量", "new"),
}
ATTRIBUTION_NAMES: dict[str, Label] = {
    "original_jurisdiction": ("归原行政辖区", "original jurisdiction"),
    "territorial": ("属地征管", "territorial collection"),
    "virtual_region_code": ("虚拟统计区划代码", "virtual statistical region code"),
    "report_marker": ("统计报表标识", "statistical report marker"),
    "manual": ("人工分算", "manual split"), "unknown": ("未知", "unknown"),
}
SMART_KIND_NAMES: dict[str, Label] = {
    "digital_workshop": ("数字化车间", "digital workshop"),
    "intelligent_factory": ("智能工厂", "intelligent factory"),
    "intelligent_park": ("智慧园区", "intelligent park"),
    "retrofit_project": ("智能化改造项目", "intelligent retrofit project"),
}
SMART_TIER_NAMES: dict[str, Label] = {
    "basic": ("基础级", "basic"), "advanced": ("先进级", "advanced"),
    "excellent": ("卓越级", "excellent"), "leading": ("领航级", "leading"),
}
LIST_LEVEL_NAMES: dict[str, Label] = {
    "national": ("国家级", "national"), "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
}
ASSESSOR_NAMES: dict[str, Label] = {
    "self": ("自评估", "self-assessed"), "third_party": ("第三方评估", "third-party"),
    "certified": ("认证", "certified"),
}
#: GB/T 39116-2020 maturity levels (codes are the level numbers as text).
MATURITY_LEVEL_NAMES: dict[str, Label] = {
    "1": ("一级 规划级", "1 planning"), "2": ("二级 规范级", "2 standardised"),
    "3": ("三级 集成级", "3 integrated"), "4": ("四级 优化级", "4 optimised"),
    "5": ("五级 引领级", "5 leading"),
}
PLATFORM_KIND_NAMES: dict[str, Label] = {
    "enterprise_tech_centre": ("企业技术中心", "enterprise technology centre"),
    "industrial_design_centre": ("工业设计中心", "industrial design centre"),
    "key_laboratory": ("重点实验室", "key laboratory"),
    "engineering_research_centre": ("工程研究中心", "engineering research centre"),
    "manufacturing_innovation_centre": ("制造业创新中心", "manufacturing innovation centre"),
    "pilot_base": ("中试基地", "pilot-scale base"),
    "public_testing_platform": ("公共检测平台", "public testing platform"),
}
PLATFORM_GAP_ACTION_NAMES: dict[str, Label] = {
    "build_or_share_platform": ("新建或共享平台", "build or share a platform"),
    "covered": ("已有平台覆盖", "covered by a platform"),
}
#: Co-construction layers of the programme map (``/api/map/layers/{layer}``).
COCON_MAP_LAYERS: tuple[str, ...] = ("pip", "smart", "platforms")
COCON_MAP_LAYER_NAMES: dict[str, Label] = {
    "pip": ("园中园", "Parks in the park"),
    "smart": ("智能制造认定", "Smart-manufacturing recognitions"),
    "platforms": ("研发与设计平台", "R&D and design platforms"),
}
#: A park in the park whose mode the source does not state.
PIP_MODE_UNSTATED: Label = ("模式未说明", "mode not stated")
COCON_VOCABULARIES: dict[str, tuple[Mapping[str, Label], tuple[str, ...]]] = {
    "map_layers": (COCON_MAP_LAYER_NAMES, COCON_MAP_LAYERS),
    "pip_modes": (PIP_MODE_NAMES, t.PIP_MODES),
    "pip_statuses": (PIP_STATUS_NAMES, t.PIP_STATUSES),
    "sharing_metrics": (SHARING_METRIC_NAMES, t.SHARING_METRICS),
    "sharing_bases": (SHARING_BASE_NAMES, t.SHARING_BASES),
    "attribution": (ATTRIBUTION_NAMES, t.ATTRIBUTION_METHODS),
    "smart_kinds": (SMART_KIND_NAMES, (*t.SMART_KINDS, "retrofit_project")),
    "smart_tiers": (SMART_TIER_NAMES, t.SMART_TIERS),
    "list_levels": (LIST_LEVEL_NAMES, t.LIST_LEVELS),
    "assessors": (ASSESSOR_NAMES, t.ASSESSORS),
    "maturity_levels": (MATURITY_LEVEL_NAMES, ("1", "2", "3", "4", "5")),
    "platform_kinds": (PLATFORM_KIND_NAMES, t.PLATFORM_KINDS),
    "platform_gap_actions": (PLATFORM_GAP_ACTION_NAMES, ("build_or_share_platform", "covered")),
}
# ---------------------------------------------------------------- investment promotion
STAGE_NAMES: dict[str, Label] = {
    "lead": ("线索", "lead"),
    "negotiating": ("在谈", "negotiating"),
    "signed": ("签约", "signed"),
    "construction_started": ("开工", "construction started"),
    "in_production": ("投产", "in production"),
    "at_capacity": ("达产", "at capacity"),
    "terminated": ("终止", "terminated"),
}
TERMINATION_REASON_NAMES: dict[str, Label] = {
    "investor_withdrew": ("投资方撤回", "investor withdrew"),
    "financing": ("资金不到位", "financing failed"),
    "land": ("用地未落实", "land not secured"),
    "approval": ("审批未通过", "approval refused"),
    "relocated": ("转投他地", "went elsewhere"),
    "market": ("市场变化", "market changed"),
    "other": ("其他", "other"),
}
PLAN_SCOPE_KIND_NAMES: dict[str, Label] = {
    "designation": ("示范园区（园区组）", "demonstration park (group)"),
    "park_pair": ("结对园区", "park pair"),
    "park": ("园区", "park"),
    "zone": ("合作区域", "zone"),
}
PLAN_STATUS_NAMES: dict[str, Label] = {
    "draft": ("草拟", "draft"), "active": ("执行中", "active"), "closed": ("已结束", "closed"),
}
TARGET_STATUS_NAMES: dict[str, Label] = {
    "ranked": ("模型推荐", "ranked by the engine"),
    "added": ("人工添加", "added by hand"),
    "dropped": ("已剔除", "dropped"),
}
PROJECT_MODE_NAMES: dict[str, Label] = {
    "new": ("新建", "new investment"),
    "expansion": ("增资扩产", "expansion"),
    "relocation": ("产业转移", "relocation"),
    # the three park-in-the-park modes, labelled from the co-construction vocabulary
    **{f"pip_{k}": (f"园中园：{zh}", f"park in the park: {en}") for k, (zh, en) in PIP_MODE_NAMES.items()},
}
FUND_USE_NAMES: dict[str, Label] = {
    "fixed_assets": ("固定资产", "fixed assets"),
    "working_capital": ("流动资金", "working capital"),
    "unknown": ("未分类", "unclassified"),
}

#: Alerts of the promotion pipeline (parklink.promotion.kpi.overdue_alerts).
PROMOTION_ALERT_NAMES: dict[str, Label] = {
    "start_overdue": ("开工逾期", "start overdue"),
    "production_overdue": ("投产逾期", "production overdue"),
    "stalled": ("停滞", "stalled"),
}
# ---------------------------------------------------------------- SMEs, services, matching (issue 16)
SME_INDUSTRY_NAMES: dict[str, Label] = {
    "industry": ("工业", "industry"),
    "software_it": ("软件和信息技术服务业", "software and IT services"),
    "transport": ("交通运输业", "transport"),
    "warehousing": ("仓储业", "warehousing"),
    "other": ("其他行业（未编码划型标准）", "other (thresholds not encoded)"),
}
SME_SIZE_NAMES: dict[str, Label] = {
    "large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
    "micro": ("微型", "micro"), "unknown": ("未知", "unknown"),
}
SME_TIER_NAMES: dict[str, Label] = {
    "none": ("未认定", "not recognised"),
    "innovative": ("创新型中小企业", "innovative SME"),
    "specialised": ("专精特新中小企业", "specialised-and-innovative SME"),
    "little_giant": ("专精特新“小巨人”", "“little giant”"),
}
PROCESS_NAMES: dict[str, Label] = {
    "machining": ("机加工", "machining"), "casting": ("铸造", "casting"),
    "forging": ("锻造", "forging"), "stamping": ("冲压", "stamping"),
    "injection_moulding": ("注塑", "injection moulding"), "welding": ("焊接", "welding"),
    "heat_treatment": ("热处理", "heat treatment"), "surface_treatment": ("表面处理", "surface treatment"),
    "pcb_assembly": ("电路板贴装", "PCB assembly"), "electronic_assembly": ("电子组装", "electronic assembly"),
    "assembly": ("总成装配", "assembly"), "wiring_harness": ("线束加工", "wiring harness"),
    "precision_moulds": ("精密模具", "precision moulds"), "chemical_synthesis": ("化学合成", "chemical synthesis"),
    "formulation": ("制剂", "formulation"), "sterile_filling": ("无菌灌装", "sterile filling"),
    "software": ("软件开发", "software development"), "testing": ("检验检测", "testing"),
}
CERTIFICATION_NAMES: dict[str, Label] = {
    "iso9001": ("ISO 9001 质量管理体系", "ISO 9001"),
    "iatf16949": ("IATF 16949 汽车质量管理体系", "IATF 16949"),
    "iso14001": ("ISO 14001 环境管理体系", "ISO 14001"),
    "iso13485": ("ISO 13485 医疗器械质量管理体系", "ISO 13485"),
    "gmp": ("药品GMP", "GMP"),
    "iso27001": ("ISO/IEC 27001 信息安全", "ISO/IEC 27001"),
    "ul": ("UL认证", "UL"),
    "ccc": ("中国强制性产品认证（3C）", "CCC"),
}
CAPACITY_UNIT_NAMES: dict[str, Label] = {
    "pieces": ("件/年", "pieces/year"), "sets": ("台套/年", "sets/year"),
    "tonnes": ("吨/年", "tonnes/year"), "kcny": ("千元/年", "thousand CNY/year"),
}
PROVIDER_KIND_NAMES: dict[str, Label] = {
    "technical": ("技术服务", "technical services"),
    "financial": ("金融服务", "financial services"),
    "outsourcing": ("外协加工", "outsourcing / contract manufacturing"),
}
SERVICE_NAMES: dict[str, Label] = {
    "testing": ("检验检测", "testing"), "design": ("工业设计", "design"),
    "rnd": ("研发服务", "R&D"), "digital": ("数字化转型", "digital transformation"),
    "loan": ("贷款", "loans"), "guarantee": ("融资担保", "guarantees"),
    "fund": ("产业基金", "funds"), "ip_pledge": ("知识产权质押融资", "IP-pledge finance"),
    "contract_manufacturing": ("外协加工", "contract manufacturing"),
}
SD_DIRECTION_NAMES: dict[str, Label] = {"need": ("需求", "need"), "offer": ("供给", "offer")}
SD_POSTER_NAMES: dict[str, Label] = {"enterprise": ("企业", "enterprise"), "park": ("园区", "park")}
SD_STATUS_NAMES: dict[str, Label] = {
    "open": ("征集中", "open"), "matched": ("已对接", "matched"), "closed": ("已关闭", "closed"),
}
MatchKind = Literal["need_offer", "leader_supplier", "sme_service"]
MATCH_KINDS: tuple[str, ...] = get_args(MatchKind)
MATCH_KIND_NAMES: dict[str, Label] = {
    "need_offer": ("需求—供给", "need ↔ offer"),
    "leader_supplier": ("链主—配套企业", "leader ↔ supplier"),
    "sme_service": ("中小企业—服务", "SME ↔ service"),
}
#: Score components of the matcher (parklink.sme.match), labelled in explanations.
MATCH_COMPONENT_NAMES: dict[str, Label] = {
    "text": ("文本相似", "text similarity"),
    "segment": ("产业链环节", "chain segment"),
    "certification": ("资质认证", "certifications"),
    "travel": ("货运时间", "freight travel time"),
    "capacity": ("产能匹配", "capacity fit"),
    "tie": ("既有合作", "existing tie"),
    "network": ("网络关联", "network signal"),
}
#: Features of the learned matcher (parklink.sme.evaluation): the components and three
#: supplier features.
MATCH_FEATURES: tuple[str, ...] = ("text", "segment", "certification", "travel", "capacity", "tie",
                                   "network", "log_degree", "log_size", "last_period")
MATCH_FEATURE_NAMES: dict[str, Label] = {
    **MATCH_COMPONENT_NAMES,
    "log_degree": ("供货客户数（对数）", "log supplier degree"),
    "log_size": ("企业规模（对数）", "log firm size"),
    "last_period": ("上年新增客户数", "buyers gained last year"),
}
# ---------------------------------------------------------------- ranking evaluation (rankeval)
RANKEVAL_METHOD_NAMES: dict[str, Label] = {
    "learned": ("学习排序（逻辑回归）", "learned ranking (logistic)"),
    "random": ("随机", "random (seeded)"),
    "popularity_size": ("规模", "popularity: size"),
    "popularity_degree": ("客户数", "popularity: degree"),
    "same_segment": ("同环节专注", "same segment (focus)"),
    "nearest": ("最近", "nearest (distance)"),
    "last_period": ("上期新增", "last period (new buyers in T−1)"),
    "hand_weights": ("专家权重", "hand weights 0.35/0.15/0.15/0.15/0.20"),
    "oracle": ("生成器真值（上限）", "oracle (generator's link intensity; upper bound)"),
}
#: The two models of the matching evaluation (``parklink match --evaluate``); its baselines
#: and oracle use :data:`RANKEVAL_METHOD_NAMES`.
MATCH_METHOD_NAMES: dict[str, Label] = {
    "learned": ("学习型匹配（逻辑回归）", "learned matcher (logistic)"),
    "hand": ("人工权重匹配", "hand-weighted matcher"),
}
RANKEVAL_FEATURE_NAMES: dict[str, Label] = {
    "log_size": ("规模（对数产值）", "log output"),
    "log_degree_last": ("上年客户数（对数）", "log buyers in t−1"),
    "active_last": ("上年活跃", "active in t−1"),
    "log_distance": ("距离（对数）", "log distance to scope"),
    "segment_fit": ("环节专注度", "segment focus 1/#segments"),
    "same_province": ("同省", "same province"),
    "in_circle": ("圈内", "inside the circle"),
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
    "report_kinds": (REPORT_KIND_NAMES, REPORT_KINDS),
    "period_kinds": (PERIOD_KIND_NAMES, PERIOD_KINDS),
    **COCON_VOCABULARIES,
    "stages": (STAGE_NAMES, tp.STAGES),
    "termination_reasons": (TERMINATION_REASON_NAMES, tp.TERMINATION_REASONS),
    "plan_scope_kinds": (PLAN_SCOPE_KIND_NAMES, tp.PLAN_SCOPE_KINDS),
    "plan_statuses": (PLAN_STATUS_NAMES, tp.PLAN_STATUSES),
    "target_statuses": (TARGET_STATUS_NAMES, tp.TARGET_STATUSES),
    "project_modes": (PROJECT_MODE_NAMES, tp.PROJECT_MODES),
    "fund_uses": (FUND_USE_NAMES, tp.FUND_USES),
    "promotion_alerts": (PROMOTION_ALERT_NAMES, ("start_overdue", "production_overdue", "stalled")),
    "sme_industries": (SME_INDUSTRY_NAMES, t.SME_INDUSTRIES),
    "sme_sizes": (SME_SIZE_NAMES, t.SME_SIZE_CLASSES),
    "sme_tiers": (SME_TIER_NAMES, t.SME_TIERS),
    "processes": (PROCESS_NAMES, t.PROCESSES),
    "certifications": (CERTIFICATION_NAMES, t.CERTIFICATIONS),
    "capacity_units": (CAPACITY_UNIT_NAMES, t.CAPACITY_UNITS),
    "provider_kinds": (PROVIDER_KIND_NAMES, t.PROVIDER_KINDS),
    "services": (SERVICE_NAMES, t.SERVICES),
    "sd_directions": (SD_DIRECTION_NAMES, t.SD_DIRECTIONS),
    "sd_posters": (SD_POSTER_NAMES, t.SD_POSTERS),
    "sd_statuses": (SD_STATUS_NAMES, t.SD_STATUSES),
    "match_kinds": (MATCH_KIND_NAMES, MATCH_KINDS),
    "match_components": (MATCH_COMPONENT_NAMES, ("text", "segment", "certification", "travel",
                                                 "capacity", "tie", "network")),
    "match_features": (MATCH_FEATURE_NAMES, MATCH_FEATURES),
    "rankeval_methods": (RANKEVAL_METHOD_NAMES, tuple(RANKEVAL_METHOD_NAMES)),
    "rankeval_features": (RANKEVAL_FEATURE_NAMES, tuple(RANKEVAL_FEATURE_NAMES)),
    "match_methods": (MATCH_METHOD_NAMES, tuple(MATCH_METHOD_NAMES)),
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

# ---------------------------------------------------------------- maps
NODE_KIND_NAMES: dict[str, Label] = {
    "airport": ("机场", "airport"),
    "rail_port": ("铁路港", "rail port"),
    "river_port": ("港口", "river port"),
    "bonded_zone": ("综合保税区", "bonded zone"),
    "seat": ("行政中心", "administrative seat"),
    "park": ("园区", "park"),
    "junction": ("节点", "junction"),
}
#: Layers of the programme map (:mod:`parklink.report.mapsvg`) and their legend labels.
MAP_LAYERS: tuple[str, ...] = ("sichuan", "chongqing", "park", "designated_park", "designation", "hub",
                                "leg", "focus")
MAP_LAYER_NAMES: dict[str, Label] = {
    "sichuan": ("四川省区县", "Sichuan districts"),
    "chongqing": ("重庆市区县", "Chongqing districts"),
    "park": ("园区", "Park"),
    "designated_park": ("示范园区", "Demonstration park"),
    "designation": ("示范园区配对", "Designation (paired parks)"),
    "hub": ("物流枢纽", "Logistics hub"),
    "leg": ("线路区段", "Route leg"),
    "focus": ("关注对象", "In focus"),
}
VOCABULARIES["node_kinds"] = (NODE_KIND_NAMES, t.NODE_KINDS)
VOCABULARIES["map_layers"] = (MAP_LAYER_NAMES, MAP_LAYERS)
#: Park accessibility measures shown on the logistics page (columns of
#: :func:`parklink.logistics.access.accessibility`).
ACCESS_MEASURES: tuple[str, ...] = ("time_core_chengdu_h", "time_core_chongqing_h", "time_airport_h",
                                    "time_rail_port_h", "time_river_port_h", "gravity_access")
ACCESS_MEASURE_NAMES: dict[str, Label] = {
    "time_core_chengdu_h": ("至成都中心城区（小时）", "to central Chengdu (h)"),
    "time_core_chongqing_h": ("至重庆中心城区（小时）", "to central Chongqing (h)"),
    "time_airport_h": ("至最近机场（小时）", "to the nearest airport (h)"),
    "time_rail_port_h": ("至最近铁路港（小时）", "to the nearest rail port (h)"),
    "time_river_port_h": ("至最近港口（小时）", "to the nearest river port (h)"),
    "gravity_access": ("重力可达性", "gravity accessibility"),
}
VOCABULARIES["access_measures"] = (ACCESS_MEASURE_NAMES, ACCESS_MEASURES)

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


# ---------------------------------------------------------------- registry kinds
#: Every kind of table of :data:`parklink.tables.SCHEMAS` (import/export, history, overview).
TABLE_KIND_NAMES: dict[str, Label] = {
    "regions": ("行政区", "Regions"), "zones": ("合作区域", "Zones"), "parks": ("园区", "Parks"),
    "designations": ("示范园区认定", "Designations"), "targets": ("目标", "Targets"),
    "transport_nodes": ("交通枢纽", "Transport hubs"), "transport_links": ("交通线路", "Transport links"),
    "chain_segments": ("产业链环节", "Chain segments"),
    "enterprises": ("企业名录（真实）", "Enterprise registry (named)"),
    "transactions": ("企业间交易", "Firm transactions"),
    "parks_in_park": ("园中园", "Parks in the park"), "benefit_sharing": ("利益分享规则", "Benefit-sharing rules"),
    "sharing_realised": ("分成实绩", "Realised shares"),
    "smart_recognitions": ("智能制造认定", "Smart-manufacturing recognitions"),
    "maturity_assessments": ("成熟度评估", "Maturity assessments"),
    "smart_aggregates": ("智能制造公布总数", "Published smart-manufacturing totals"),
    "platforms": ("研发与设计平台", "R&D and design platforms"),
    "monitoring_indicators": ("监测指标", "Monitoring indicators"),
    "indicator_values": ("监测数据", "Monitoring series"),
    "promotion_plans": ("招商计划", "Promotion plans"), "plan_goals": ("计划目标", "Plan goals"),
    "plan_targets": ("招商目标企业", "Plan targets"), "promotion_events": ("联合招商活动", "Joint promotion events"),
    "projects": ("招商线索与项目", "Leads and projects"), "stage_events": ("项目阶段记录", "Stage events"),
    "project_funds": ("到位资金", "Funds in place"),
    "sme_profiles": ("中小企业画像", "SME profiles"), "service_providers": ("服务机构", "Service providers"),
    "service_offers": ("服务产品", "Service offers"), "supply_demand": ("供需清单", "Supply and demand lists"),
}
VOCABULARIES["table_kinds"] = (TABLE_KIND_NAMES, tuple(t.SCHEMAS))


# ---------------------------------------------------------------- promotion form fields
#: Labels of the fields of the promotion forms (project, funds, event, plan, goal, target):
#: the form labels and the field names in their error messages.
PROMOTION_FIELD_NAMES: dict[str, Label] = {
    "project_id": ("项目编号", "project id"), "name_zh": ("中文名称", "name (Chinese)"),
    "name_en": ("英文名称", "name (English)"), "investor_id": ("投资方（名录企业编号）", "investor (registry enterprise id)"),
    "investor_name": ("投资方名称", "investor name"), "origin_province": ("来源省份", "origin province"),
    "origin_country": ("来源国家", "origin country"), "park_id": ("落地园区", "park"),
    "chain": ("产业链", "chain"), "segment_id": ("产业链环节", "chain segment"), "mode": ("投资方式", "mode"),
    "signed_investment_cny_m": ("协议投资额（百万元）", "signed investment (M CNY)"), "jobs": ("就业人数", "jobs"),
    "expected_output_cny_m": ("预计年产值（百万元）", "expected annual output (M CNY)"),
    "expected_tax_cny_m": ("预计年税收（百万元）", "expected annual tax (M CNY)"),
    "planned_sign": ("计划签约日期", "planned signing"), "planned_start": ("计划开工日期", "planned start"),
    "planned_production": ("计划投产日期", "planned production"),
    "planned_capacity": ("计划达产日期", "planned capacity"), "event_id": ("招商活动", "promotion event"),
    "plan_id": ("招商计划编号", "promotion plan id"), "source_url": ("来源链接", "source URL"),
    "stage": ("阶段", "stage"), "on_date": ("日期", "date"), "reason": ("原因", "reason"),
    "source": ("依据", "source / evidence"), "amount_cny_m": ("金额（百万元）", "amount (M CNY)"),
    "use": ("用途", "use"), "held_on": ("举办日期", "date held"), "city": ("城市", "city"),
    "country": ("国家", "country"), "organisers_sc": ("四川方主办单位", "Sichuan-side organisers"),
    "organisers_cq": ("重庆方主办单位", "Chongqing-side organisers"), "chains": ("产业链", "chains"),
    "invited_firms": ("邀请企业数", "firms invited"), "attending_firms": ("参会企业数", "firms attending"),
    "leads_generated": ("形成线索数", "leads generated"), "signed_on_site": ("现场签约项目数", "projects signed on site"),
    "signed_on_site_cny_m": ("现场签约金额（百万元）", "investment signed on site (M CNY)"),
    "scope_kind": ("计划主体类型", "owner kind"), "scope_id": ("计划主体", "owner"),
    "period_start": ("起始年份", "first year"), "period_end": ("结束年份", "last year"),
    "focal_chains": ("重点产业链", "focal chains"), "focal_segments": ("重点环节", "focal segments"),
    "status": ("状态", "status"), "note": ("备注", "note"), "year": ("年份", "year"),
    "projects": ("签约项目目标", "signed projects goal"),
    "funds_in_place_cny_m": ("到位资金目标（百万元）", "funds in place goal (M CNY)"),
    "enterprise_id": ("企业编号", "enterprise id"), "enterprise_name": ("企业名称", "enterprise name"),
    "drop_reason": ("剔除原因", "reason for dropping"), "target_id": ("目标", "target"),
    "row_version": ("版本", "version"),
}
