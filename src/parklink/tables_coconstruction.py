"""Canonical table schemas of the co-construction registries (issue 15): parks in the park
(园中园) and their benefit-sharing agreements, smart-manufacturing recognitions, maturity
assessments and published totals, R&D and industrial-design platforms.

Registered in :data:`parklink.tables.SCHEMAS` (and re-exported by :mod:`parklink.tables`), so
the generic import/export, upsert/dry-run, row-level errors and history apply to them. See
``docs/coconstruction.md``.
"""

from __future__ import annotations

from parklink.tables import _SOURCE, CHAINS, SCHEMAS, Column, TableSchema

#: The programme's three "parks in the park" (园中园) modes (2020 notice).
PIP_MODES = ("hq_base", "rd_transformation", "terminal_support")
PIP_STATUSES = ("planned", "under_construction", "operating", "unknown")
SHARING_METRICS = ("tax", "vat", "income_tax", "value_added", "fixed_investment", "output",
                   "statistics", "equity")
SHARING_BASES = ("all", "existing", "new")
ATTRIBUTION_METHODS = ("original_jurisdiction", "territorial", "virtual_region_code",
                       "report_marker", "manual", "unknown")
SMART_KINDS = ("digital_workshop", "intelligent_factory", "intelligent_park")
SMART_TIERS = ("basic", "advanced", "excellent", "leading")
LIST_LEVELS = ("national", "provincial", "municipal")
ASSESSORS = ("self", "third_party", "certified")
COUNT_QUALIFIERS = ("exact", "at_least", "about")
PLATFORM_KINDS = ("enterprise_tech_centre", "industrial_design_centre", "key_laboratory",
                  "engineering_research_centre", "manufacturing_innovation_centre", "pilot_base",
                  "public_testing_platform")
_AS_OF = Column("as_of", "date", required=False, not_future=True,
                doc="date the source states the facts for (or was read)")
_ID = r"^[a-z0-9_.-]+$"

PARKS_IN_PARK = TableSchema(
    "parks_in_park",
    (
        Column("pip_id", "str", pattern=_ID, max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("host_region", "str", ref="regions.adcode", max_length=6,
               doc="district/county hosting the park in the park"),
        Column("host_park_id", "str", required=False, ref="parks.park_id", max_length=64,
               doc="registered park it lies in (empty when the source names none)"),
        Column("mode", "str", required=False, choices=PIP_MODES,
               doc="headquarters + base / R&D + transformation / terminal products + "
                   "collaborative support; empty = not stated by the source"),
        Column("leaders", "str", required=False, max_length=1000,
               doc="leading enterprise(s) as the source names them"),
        Column("leader_ids", "list", required=False, ref="enterprises.enterprise_id",
               max_length=2000, doc="leading enterprises in the registry"),
        Column("partner_region", "str", required=False, ref="regions.adcode", max_length=6),
        Column("partner_park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("partner_name", "str", required=False, max_length=300,
               doc="partner region/park/organisation on the other side, as the source names it"),
        Column("area_km2", "float", required=False, minimum=0.0),
        Column("investment_cny_m", "float", required=False, minimum=0.0,
               doc="investment in place, million CNY"),
        Column("start_year", "int", required=False, minimum=1990, maximum=2100, not_future=True),
        Column("member_firms", "list", required=False, ref="enterprises.enterprise_id",
               max_length=4000, doc="member firms in the registry"),
        Column("n_member_firms", "int", required=False, minimum=0,
               doc="member firms as the source counts them"),
        Column("output_cny_m", "float", required=False, minimum=0.0, doc="annual output, million CNY"),
        Column("jobs", "int", required=False, minimum=0),
        Column("status", "str", choices=PIP_STATUSES),
        Column("note", "str", required=False, max_length=4000, multiline=True),
        *_SOURCE,
        _AS_OF,
    ),
    key=("pip_id",),
    doc="Parks in the park (园中园) and co-built parks led by enterprises or partner regions.",
)

BENEFIT_SHARING = TableSchema(
    "benefit_sharing",
    (
        Column("agreement_id", "str", pattern=_ID, max_length=64),
        Column("pip_id", "str", required=False, ref="parks_in_park.pip_id", max_length=64),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("area_name", "str", max_length=300, doc="co-built area as the source names it"),
        Column("parties", "list", max_length=1000, doc="parties in split order, ';'-joined"),
        Column("metric", "str", choices=SHARING_METRICS),
        Column("base", "str", choices=SHARING_BASES,
               doc="all revenue, existing (存量) or new (增量) over the base year"),
        Column("split_pct", "list", required=False, pattern=r"^[0-9]+(\.[0-9]+)?$", list_sum=100.0,
               max_length=200, repeats=True, doc="share of each party in %, same order as parties; sums to 100"),
        Column("scope", "str", required=False, max_length=500,
               doc="firms covered (all / referred by a party …)"),
        Column("start_year", "int", required=False, minimum=1990, maximum=2100),
        Column("duration_years", "int", required=False, minimum=0, maximum=100),
        Column("floor_cny_m", "float", required=False, minimum=0.0,
               doc="guaranteed floor per year, million CNY"),
        Column("floor_beneficiary", "str", required=False, max_length=300),
        Column("attribution", "str", choices=ATTRIBUTION_METHODS,
               doc="how revenue/statistics are attributed"),
        Column("note", "str", required=False, max_length=4000, multiline=True),
        *_SOURCE,
        _AS_OF,
    ),
    key=("agreement_id",),
    doc="Benefit-sharing agreements of co-built parks as data (metric × base × split …).",
)

SHARING_REALISED = TableSchema(
    "sharing_realised",
    (
        Column("record_id", "str", pattern=_ID, max_length=80),
        Column("agreement_id", "str", ref="benefit_sharing.agreement_id", max_length=64),
        Column("year", "int", minimum=1990, maximum=2100, not_future=True),
        Column("total_cny_m", "float", minimum=0.0, doc="revenue under the agreement, million CNY"),
        Column("received_cny_m", "list", pattern=r"^[0-9]+(\.[0-9]+)?$", max_length=500, repeats=True,
               doc="amount each party received, million CNY, same order as the agreement's parties"),
        *_SOURCE,
        _AS_OF,
    ),
    key=("record_id",),
    doc="Revenue figures per agreement and year (what each party actually received).",
)

SMART_RECOGNITIONS = TableSchema(
    "smart_recognitions",
    (
        Column("recognition_id", "str", pattern=_ID, max_length=64),
        Column("enterprise_id", "str", required=False, ref="enterprises.enterprise_id",
               max_length=64),
        Column("enterprise_name", "str", max_length=300, doc="as the list names it"),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("kind", "str", choices=SMART_KINDS),
        Column("tier", "str", required=False, choices=SMART_TIERS,
               doc="national smart-factory ladder since 2024 (empty for other lists)"),
        Column("list_level", "str", choices=LIST_LEVELS),
        Column("year", "int", minimum=2000, maximum=2100, not_future=True),
        Column("batch", "str", required=False, max_length=100),
        Column("issuing_body", "str", max_length=300),
        Column("project", "str", required=False, max_length=500),
        *_SOURCE,
        _AS_OF,
    ),
    key=("recognition_id",),
    doc="Smart-manufacturing recognitions: digital workshops, intelligent factories and parks.",
)

MATURITY_ASSESSMENTS = TableSchema(
    "maturity_assessments",
    (
        Column("assessment_id", "str", pattern=_ID, max_length=64),
        Column("enterprise_id", "str", ref="enterprises.enterprise_id", max_length=64),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("assessed_on", "date", not_future=True),
        Column("assessor", "str", choices=ASSESSORS),
        Column("model_version", "str", max_length=32,
               doc="domain list version (coconstruction/maturity_domains.csv)"),
        Column("overall_level", "int", minimum=1, maximum=5,
               doc="GB/T 39116-2020 level: 1 planning … 5 leading"),
        Column("score", "float", required=False, minimum=0.0, maximum=5.0,
               doc="overall score as the assessment reports it"),
        Column("domain_levels", "list", required=False, pattern=r"^[a-z_]+:[1-5]$", max_length=2000,
               doc="per capability domain DOMAIN:LEVEL, ';'-joined"),
        *_SOURCE,
        _AS_OF,
    ),
    key=("assessment_id",),
    doc="Smart-manufacturing capability maturity assessments (GB/T 39116/39117-2020).",
)

SMART_AGGREGATES = TableSchema(
    "smart_aggregates",
    (
        Column("aggregate_id", "str", pattern=_ID, max_length=64),
        Column("region", "str", required=False, ref="regions.adcode", max_length=6,
               doc="region the figure is for (empty = national)"),
        Column("kind", "str", choices=(*SMART_KINDS, "retrofit_project")),
        Column("tier", "str", required=False, choices=SMART_TIERS),
        Column("measure", "str", choices=("cumulative", "annual")),
        Column("year", "int", minimum=2000, maximum=2100, not_future=True),
        Column("count", "int", minimum=0),
        Column("qualifier", "str", choices=COUNT_QUALIFIERS),
        Column("note", "str", required=False, max_length=2000, multiline=True),
        *_SOURCE,
        _AS_OF,
    ),
    key=("aggregate_id",),
    doc="Published programme totals (never spread over firms).",
)

PLATFORMS = TableSchema(
    "platforms",
    (
        Column("platform_id", "str", pattern=_ID, max_length=64),
        Column("name_zh", "str", max_length=300),
        Column("name_en", "str", max_length=300),
        Column("kind", "str", choices=PLATFORM_KINDS),
        Column("level", "str", choices=LIST_LEVELS),
        Column("host_park_id", "str", ref="parks.park_id", max_length=64),
        Column("owner", "str", required=False, max_length=300, doc="enterprise or institution"),
        Column("enterprise_id", "str", required=False, ref="enterprises.enterprise_id",
               max_length=64),
        Column("chains", "list", required=False, choices=CHAINS, max_length=200),
        Column("segments", "list", required=False, ref="chain_segments.segment_id",
               max_length=4000, doc="segments served; empty = every segment of its chains"),
        Column("services", "str", required=False, max_length=2000, doc="services offered"),
        Column("year_recognised", "int", required=False, minimum=1980, maximum=2100,
               not_future=True),
        *_SOURCE,
        _AS_OF,
    ),
    key=("platform_id",),
    doc="R&D and industrial-design platforms and the chains/segments they serve.",
    geometry=None,
)

COCONSTRUCTION_SCHEMAS = (PARKS_IN_PARK, BENEFIT_SHARING, SHARING_REALISED, SMART_RECOGNITIONS,
                          MATURITY_ASSESSMENTS, SMART_AGGREGATES, PLATFORMS)

SCHEMAS.update({s.kind: s for s in COCONSTRUCTION_SCHEMAS})
