"""Canonical table schemas of SMEs, service providers and offers, and supply–demand lists
(供需清单) (issue 16; labels in :mod:`parklink.vocab`, size-class thresholds in
:mod:`parklink.sme.classification`).

Registered in :data:`parklink.tables.SCHEMAS` (and re-exported by :mod:`parklink.tables`).
"""

from __future__ import annotations

from parklink.tables import _SOURCE, SCHEMAS, Column, TableSchema

# (issue 16; labels in parklink.vocab, size-class thresholds in parklink.sme.classification)
SME_INDUSTRIES = ("industry", "software_it", "transport", "warehousing", "other")
SME_SIZE_CLASSES = ("large", "medium", "small", "micro", "unknown")
SME_TIERS = ("none", "innovative", "specialised", "little_giant")
PROCESSES = (
    "machining", "casting", "forging", "stamping", "injection_moulding", "welding",
    "heat_treatment", "surface_treatment", "pcb_assembly", "electronic_assembly", "assembly",
    "wiring_harness", "precision_moulds", "chemical_synthesis", "formulation", "sterile_filling",
    "software", "testing",
)
CERTIFICATIONS = ("iso9001", "iatf16949", "iso14001", "iso13485", "gmp", "iso27001", "ul", "ccc")
CAPACITY_UNITS = ("pieces", "sets", "tonnes", "kcny")
PROVIDER_KINDS = ("technical", "financial", "outsourcing")
SERVICES = (
    "testing", "design", "rnd", "digital", "loan", "guarantee", "fund", "ip_pledge",
    "contract_manufacturing",
)
SD_DIRECTIONS = ("need", "offer")
SD_POSTERS = ("enterprise", "park")
SD_STATUSES = ("open", "matched", "closed")

_ENT_ID = r"^[A-Za-z0-9_.-]+$"

SME_PROFILES = TableSchema(
    "sme_profiles",
    (
        Column("enterprise_id", "str", pattern=_ENT_ID, max_length=64,
               doc="the enterprise (registry enterprise or firm of the firm dataset)"),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("adcode", "str", required=False, ref="regions.adcode", max_length=6,
               doc="host district (travel times are taken between district seats)"),
        Column("industry", "str", choices=SME_INDUSTRIES,
               doc="industry of the national SME classification (工信部联企业〔2011〕300号)"),
        Column("employees", "int", required=False, minimum=0, doc="从业人员, persons"),
        Column("revenue_cny_m", "float", required=False, minimum=0.0,
               doc="营业收入 of the last year, million CNY"),
        Column("size_class", "str", required=False, choices=SME_SIZE_CLASSES,
               doc="declared size class; empty = computed from employees and revenue"),
        Column("tier", "str", choices=SME_TIERS, doc="专精特新 ladder tier (none = not recognised)"),
        Column("tier_year", "int", required=False, minimum=2000, maximum=2100,
               doc="year of recognition of the tier"),
        Column("tier_valid_until", "date", required=False,
               doc="end of validity; empty = 31 Dec of tier_year + 3 (valid 3 years)"),
        Column("segments", "list", required=False, ref="chain_segments.segment_id", max_length=4000),
        Column("processes", "list", required=False, choices=PROCESSES, max_length=1000),
        Column("products", "str", required=False, max_length=4000, multiline=True,
               doc="main products as free text (Chinese and/or English)"),
        Column("certifications", "list", required=False, choices=CERTIFICATIONS, max_length=400),
        Column("capacity", "float", required=False, minimum=0.0, doc="annual capacity"),
        Column("capacity_unit", "str", required=False, choices=CAPACITY_UNITS),
        Column("synthetic", "bool"),
        *_SOURCE,
    ),
    key=("enterprise_id",),
    doc="SME attributes of enterprises: size class, 专精特新 tier, capabilities, park, segments.",
)

SERVICE_PROVIDERS = TableSchema(
    "service_providers",
    (
        Column("provider_id", "str", pattern=r"^[a-z0-9_.-]+$", max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("kind", "str", choices=PROVIDER_KINDS),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("platform", "str", required=False, max_length=200,
               doc="the public service platform the provider belongs to, if any"),
        Column("adcode", "str", required=False, ref="regions.adcode", max_length=6),
        Column("synthetic", "bool"),
        *_SOURCE,
    ),
    key=("provider_id",),
    doc="Providers of technical, financial and outsourcing services to SMEs.",
)

SERVICE_OFFERS = TableSchema(
    "service_offers",
    (
        Column("offer_id", "str", pattern=r"^[a-z0-9_.-]+$", max_length=64),
        Column("provider_id", "str", ref="service_providers.provider_id", max_length=64),
        Column("service", "str", choices=SERVICES),
        Column("title_zh", "str", max_length=200),
        Column("title_en", "str", max_length=300),
        Column("description", "str", required=False, max_length=4000, multiline=True),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64,
               doc="only for enterprises of this park; empty = all parks"),
        Column("eligible_tiers", "list", required=False, choices=SME_TIERS, max_length=200,
               doc="tiers eligible; empty = any"),
        Column("eligible_sizes", "list", required=False, choices=SME_SIZE_CLASSES, max_length=200,
               doc="size classes eligible; empty = any"),
        Column("segments", "list", required=False, ref="chain_segments.segment_id", max_length=4000,
               doc="segments served; empty = any"),
        Column("max_amount_cny_m", "float", required=False, minimum=0.0,
               doc="financial offers: largest amount, million CNY"),
        Column("valid_until", "date", required=False),
        Column("synthetic", "bool"),
        *_SOURCE,
    ),
    key=("offer_id",),
    doc="Service offers of providers, per park or platform, with eligibility.",
)

SUPPLY_DEMAND = TableSchema(
    "supply_demand",
    (
        Column("item_id", "str", pattern=r"^[a-z0-9_.-]+$", max_length=64),
        Column("direction", "str", choices=SD_DIRECTIONS),
        Column("poster", "str", choices=SD_POSTERS),
        Column("enterprise_id", "str", required=False, pattern=_ENT_ID, max_length=64,
               doc="posting enterprise (poster = enterprise)"),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64,
               doc="posting park (poster = park), or the enterprise's park"),
        Column("title_zh", "str", max_length=200),
        Column("title_en", "str", max_length=300),
        Column("part", "str", required=False, max_length=400, doc="part or product wanted/offered"),
        Column("processes", "list", required=False, choices=PROCESSES, max_length=1000),
        Column("segment_id", "str", required=False, ref="chain_segments.segment_id", max_length=80),
        Column("quantity", "float", required=False, minimum=0.0, doc="annual quantity"),
        Column("quantity_unit", "str", required=False, choices=CAPACITY_UNITS),
        Column("certifications", "list", required=False, choices=CERTIFICATIONS, max_length=400,
               doc="quality level: certifications required (need) or held (offer)"),
        Column("needed_by", "date", required=False),
        Column("posted", "date"),
        Column("status", "str", choices=SD_STATUSES),
        Column("synthetic", "bool"),
        *_SOURCE,
    ),
    key=("item_id",),
    doc="供需清单 items: needs posted by leading enterprises or parks, offers by SMEs.",
)

SME_KINDS = ("sme_profiles", "service_providers", "service_offers", "supply_demand")
SCHEMAS.update({s.kind: s for s in (SME_PROFILES, SERVICE_PROVIDERS, SERVICE_OFFERS, SUPPLY_DEMAND)})
