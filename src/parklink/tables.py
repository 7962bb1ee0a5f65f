"""Canonical table schemas shared by the dataset, the generator, ingest, store and analyses.

Each kind of table has one declared :class:`TableSchema`: its columns, their types,
whether they are required, allowed values, ranges, uniqueness and foreign keys. The
embedded dataset is shipped in these shapes, the import validator checks user files
against them, and the store writes/reads frames of exactly these columns.

Units are part of the column names or documented in ``doc`` (km, km², hours, CNY).
List-valued columns are stored as text joined by ``;`` (e.g. ``"auto;electronics"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

ColumnType = Literal["str", "int", "float", "bool", "date", "list"]

PROVINCES = ("SC", "CQ")
REGION_LEVELS = ("province", "city", "district")
CONFIDENCE = ("confirmed", "likely", "unconfirmed", "synthetic")
PARK_LEVELS = ("national", "provincial", "other")
PARK_KINDS = (
    "new_area",  # national / provincial new area
    "etdz",  # economic-technological development zone
    "htz",  # high-tech industrial development zone
    "cbz",  # comprehensive bonded zone
    "edz",  # (provincial) economic development zone
    "industrial_park",
    "cooperation_area",  # cross-border cooperation area (e.g. Gaozhu)
    "other",
)
AREA_TYPES = ("critical_development", "transport_node", "adjacent")
CHAINS: tuple[str, ...] = ("auto", "moto", "electronics", "biomed")
SEGMENT_LEVELS = ("up", "mid", "down", "enabler")
CODE_QUALITY = ("E", "P", "A")
TRANSPORT_MODES = ("road", "rail", "water", "air", "transfer")
NODE_KINDS = ("airport", "rail_port", "river_port", "bonded_zone", "seat", "park", "junction")
SIZE_CLASSES = ("large", "medium", "small", "micro")
ZONE_KINDS = ("polar_core", "economic_zone", "platform")
COOPERATION_MODES = (
    "function_cobuild",
    "industry_cobuild",
    "supporting_industry",
    "resource_development",
    "enclave_economy",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table schema.

    ``ref`` names a foreign key as ``"kind.column"``; ``choices`` restricts values;
    ``minimum``/``maximum`` bound numbers (inclusive). Text (``str``/``list``) columns declare
    ``max_length``, the most characters a cell may hold (Unicode code points, as PostgreSQL's
    ``VARCHAR(n)`` counts them; columns with ``choices`` are bounded by their choices). No text
    cell may hold a control character (U+0000–U+001F, U+007F–U+009F), a lone surrogate or the
    noncharacters U+FFFE/U+FFFF, except that ``multiline`` columns (free text) also allow tab,
    line feed and carriage return. See :data:`FORBIDDEN_CHARACTERS`.
    """

    name: str
    type: ColumnType
    required: bool = True
    doc: str = ""
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    ref: str | None = None
    pattern: str | None = None
    max_length: int | None = None
    multiline: bool = False
    #: list columns of numbers: the elements must add up to this (e.g. shares to 100 %)
    list_sum: float | None = None
    #: int (a year) or date columns: no value after the current year / today
    not_future: bool = False
    #: list columns whose elements may repeat (numbers such as shares "50;50")
    repeats: bool = False


#: Characters no text cell may hold (a regular expression character class): C0 and C1
#: control characters, DEL, lone surrogates and the noncharacters U+FFFE/U+FFFF.
FORBIDDEN_CHARACTERS = "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
#: The same for ``multiline`` columns, which also allow tab, line feed and carriage return.
FORBIDDEN_CHARACTERS_MULTILINE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"


@dataclass(frozen=True, slots=True)
class TableSchema:
    """The declared shape of one kind of table."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    geometry: Literal["point", "polygon", "line", None] = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in declared order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if absent)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_SOURCE: tuple[Column, ...] = (
    Column("source_url", "str", required=False, max_length=2000,
           doc="where the facts of this row come from"),
    Column("confidence", "str", choices=CONFIDENCE, doc="confirmed / likely / unconfirmed / synthetic"),
)
_LON = Column("lon", "float", minimum=97.0, maximum=111.0, doc="longitude, WGS84 degrees")
_LAT = Column("lat", "float", minimum=26.0, maximum=35.0, doc="latitude, WGS84 degrees")

REGIONS = TableSchema(
    "regions",
    (
        Column("adcode", "str", pattern=r"^[0-9]{6}$", doc="GB/T 2260 code", max_length=6),
        Column("name_zh", "str", max_length=100),
        Column("name_en", "str", max_length=200),
        Column("level", "str", choices=REGION_LEVELS),
        Column("parent_adcode", "str", required=False, ref="regions.adcode", max_length=6),
        Column("province", "str", choices=PROVINCES),
        Column("seat_lon", "float", required=False, minimum=97.0, maximum=111.0),
        Column("seat_lat", "float", required=False, minimum=26.0, maximum=35.0),
        Column("seat_approximate", "bool", doc="true when the seat point is a polygon representative point"),
        Column("area_km2", "float", required=False, minimum=0.0),
        *_SOURCE,
    ),
    key=("adcode",),
    doc="Provinces, prefecture-level cities and districts/counties with seat points.",
    geometry="polygon",
)

ZONES = TableSchema(
    "zones",
    (
        Column("zone_id", "str", pattern=r"^[a-z0-9_-]+$", max_length=64),
        Column("name_zh", "str", max_length=100),
        Column("name_en", "str", max_length=200),
        Column("kind", "str", choices=ZONE_KINDS),
        Column("members", "list", required=False, ref="regions.adcode", max_length=4000,
               doc="region adcodes wholly inside the zone, joined by ';' (a city or province code "
                   "stands for all its districts)"),
        Column("partial_members", "list", required=False, ref="regions.adcode", max_length=4000,
               doc="region adcodes only partly inside the zone (not also in members); a park there "
                   "is in the zone only when parks.stated_zones says so"),
        Column("member_notes", "list", required=False, max_length=4000,
               pattern=r"^[0-9]{6}: [^;\s\x00-\x1f\x7f-\x9f]([^;\x00-\x1f\x7f-\x9f]*[^;\s\x00-\x1f\x7f-\x9f])?$",
               doc="notes on members as 'ADCODE: text' (text without ';'), e.g. which towns of a "
                   "partial member lie inside"),
        *_SOURCE,
    ),
    key=("zone_id",),
    doc="Named cooperation zones, adjacent-area platforms and the two polar cores.",
)

PARKS = TableSchema(
    "parks",
    (
        Column("park_id", "str", pattern=r"^[a-z0-9_-]+$", max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("province", "str", choices=PROVINCES),
        Column("adcode", "str", ref="regions.adcode", doc="host district/county", max_length=6),
        _LON,
        _LAT,
        Column("location_approximate", "bool", doc="true when the point is the host seat, not the park"),
        Column("area_km2", "float", required=False, minimum=0.0),
        Column("level", "str", choices=PARK_LEVELS),
        Column("kind", "str", choices=PARK_KINDS),
        Column("area_types", "list", required=False, choices=AREA_TYPES, max_length=200),
        Column("focus_chains", "list", required=False, choices=CHAINS, max_length=200),
        Column("industries", "str", required=False, doc="main industries as the source states them",
               max_length=4000, multiline=True),
        Column("parent_park_id", "str", required=False, ref="parks.park_id", max_length=64,
               doc="the park this one lies inside (e.g. a sub-park of a new area); counts and "
                   "evaluation never take a park and its parent both"),
        Column("shared_point", "bool", required=False,
               doc="true when the point is shared with another park (no source gives distinct "
                   "points); empty = false"),
        Column("stated_zones", "list", required=False, ref="zones.zone_id", max_length=1000,
               doc="zones a source places the park in beyond those its host district lies wholly "
                   "in (needed where the district is only a partial member)"),
        *_SOURCE,
    ),
    key=("park_id",),
    doc="Industrial parks and development zones (candidates and designated ones).",
    geometry="point",
)

DESIGNATIONS = TableSchema(
    "designations",
    (
        Column("designation_id", "str", pattern=r"^[a-z0-9_-]+$", max_length=64),
        Column("batch", "int", minimum=1, maximum=99),
        Column("year", "int", minimum=2000, maximum=2100, doc="programme year counted against targets"),
        Column("announced", "date", required=False),
        Column("members", "list", required=False, ref="parks.park_id",
               doc="member park ids; unnamed members are counted in unknown_members", max_length=4000),
        Column("unknown_members", "int", minimum=0, maximum=20,
               doc="members the sources do not name (recorded, never invented)"),
        Column("theme_chains", "list", required=False, choices=CHAINS, max_length=200),
        Column("theme", "str", required=False, doc="cooperation direction as the source states it",
               max_length=4000, multiline=True),
        Column("mode", "str", choices=COOPERATION_MODES),
        *_SOURCE,
    ),
    key=("designation_id",),
    doc="Demonstration-park designations: one or more parks (usually across the border), by batch.",
)

TARGETS = TableSchema(
    "targets",
    (
        Column("year", "int", minimum=2000, maximum=2100),
        Column("cumulative_parks", "int", minimum=0),
        Column("note", "str", required=False, max_length=4000, multiline=True),
        *_SOURCE,
    ),
    key=("year",),
    doc="Cumulative number of demonstration parks the programme aims for by each year.",
)

TRANSPORT_NODES = TableSchema(
    "transport_nodes",
    (
        Column("node_id", "str", pattern=r"^[a-z0-9_.-]+$", max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("kind", "str", choices=NODE_KINDS),
        Column("modes", "list", choices=TRANSPORT_MODES, doc="modes served at this node", max_length=200),
        Column("adcode", "str", required=False, ref="regions.adcode", max_length=6),
        _LON,
        _LAT,
        Column("location_approximate", "bool"),
        Column("code", "str", required=False, doc="IATA code or other identifier", max_length=16),
        *_SOURCE,
    ),
    key=("node_id",),
    doc="Airports, rail ports, river ports and other nodes of the freight network.",
    geometry="point",
)

TRANSPORT_LINKS = TableSchema(
    "transport_links",
    (
        Column("link_id", "str", max_length=80),
        Column("from_node", "str", ref="transport_nodes.node_id", max_length=64),
        Column("to_node", "str", ref="transport_nodes.node_id", max_length=64),
        Column("mode", "str", choices=TRANSPORT_MODES),
        Column("distance_km", "float", minimum=0.0),
        Column("time_h", "float", minimum=0.0),
        Column("cost_cny_per_t", "float", minimum=0.0),
        Column("bidirectional", "bool"),
        Column("approximate", "bool"),
        *_SOURCE,
    ),
    key=("link_id",),
    doc="Directed (or bidirectional) links of the multimodal freight network.",
    geometry="line",
)

CHAIN_SEGMENTS = TableSchema(
    "chain_segments",
    (
        Column("segment_id", "str", pattern=r"^[a-z0-9_.-]+$", doc="'chain.segment'", max_length=80),
        Column("chain", "str", choices=CHAINS),
        Column("version", "str", max_length=16),
        Column("name_zh", "str", max_length=100),
        Column("name_en", "str", max_length=200),
        Column("level", "str", choices=SEGMENT_LEVELS),
        Column("stage", "str", required=False, doc="sub-level label, e.g. 'materials', 'systems'",
               max_length=100),
        Column("weight", "float", minimum=0.0, doc="relative weight (cost share; 1 when unknown)"),
        Column("gbt4754", "list", required=False, pattern=r"^[0-9]{4}:[EPA]$",
               doc="GB/T 4754-2017 codes as CODE:Q (Q in E/P/A), ';'-joined", max_length=4000),
        Column("keywords_include", "list", required=False, max_length=4000),
        Column("keywords_exclude", "list", required=False, max_length=4000),
        Column("inputs", "list", required=False, ref="chain_segments.segment_id",
               doc="segments that are inputs to this one", max_length=4000),
        Column("source_refs", "str", required=False, max_length=4000, multiline=True),
        Column("confidence", "str", choices=CONFIDENCE),
    ),
    key=("segment_id",),
    doc="Versioned chain templates: segments, levels, inputs, GB/T 4754-2017 codes, keywords.",
)

ENTERPRISES = TableSchema(
    "enterprises",
    (
        Column("enterprise_id", "str", pattern=r"^[A-Za-z0-9_.-]+$", max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("province", "str", choices=(*PROVINCES, "OUT"), doc="OUT = outside the circle"),
        Column("adcode", "str", required=False, ref="regions.adcode", max_length=6),
        Column("park_id", "str", required=False, ref="parks.park_id", max_length=64),
        Column("lon", "float", minimum=70.0, maximum=140.0),
        Column("lat", "float", minimum=15.0, maximum=55.0),
        Column("chain", "str", required=False, choices=CHAINS),
        Column("segments", "list", required=False, ref="chain_segments.segment_id", max_length=4000),
        Column("size_class", "str", choices=SIZE_CLASSES),
        Column("employees", "int", required=False, minimum=0),
        Column("output_cny_m", "float", required=False, minimum=0.0, doc="annual output, million CNY"),
        Column("leading", "bool", doc="chain leader (链主) on an official or sourced list"),
        Column("synthetic", "bool"),
        *_SOURCE,
    ),
    key=("enterprise_id",),
    doc="Enterprises: real named ones (with sources) and the synthetic firm population.",
    geometry="point",
)

TRANSACTIONS = TableSchema(
    "transactions",
    (
        Column("supplier_id", "str", ref="enterprises.enterprise_id", max_length=64),
        Column("buyer_id", "str", ref="enterprises.enterprise_id", max_length=64),
        Column("year", "int", minimum=2000, maximum=2100),
        Column("value_kcny", "float", minimum=0.0, doc="purchase value, thousand CNY"),
    ),
    key=("supplier_id", "buyer_id", "year"),
    doc="Supplier -> buyer purchase values by year (firm-level; stored as Parquet).",
)

SCHEMAS: dict[str, TableSchema] = {
    s.kind: s
    for s in (
        REGIONS,
        ZONES,
        PARKS,
        DESIGNATIONS,
        TARGETS,
        TRANSPORT_NODES,
        TRANSPORT_LINKS,
        CHAIN_SEGMENTS,
        ENTERPRISES,
        TRANSACTIONS,
    )
}

# the co-construction registries (issue 15) live in tables_coconstruction, which adds them
# to SCHEMAS; their names are re-exported here
from parklink.tables_coconstruction import ASSESSORS as ASSESSORS  # noqa: E402
from parklink.tables_coconstruction import ATTRIBUTION_METHODS as ATTRIBUTION_METHODS  # noqa: E402
from parklink.tables_coconstruction import BENEFIT_SHARING as BENEFIT_SHARING  # noqa: E402
from parklink.tables_coconstruction import COCONSTRUCTION_SCHEMAS as COCONSTRUCTION_SCHEMAS  # noqa: E402
from parklink.tables_coconstruction import COUNT_QUALIFIERS as COUNT_QUALIFIERS  # noqa: E402
from parklink.tables_coconstruction import LIST_LEVELS as LIST_LEVELS  # noqa: E402
from parklink.tables_coconstruction import MATURITY_ASSESSMENTS as MATURITY_ASSESSMENTS  # noqa: E402
from parklink.tables_coconstruction import PARKS_IN_PARK as PARKS_IN_PARK  # noqa: E402
from parklink.tables_coconstruction import PIP_MODES as PIP_MODES  # noqa: E402
from parklink.tables_coconstruction import PIP_STATUSES as PIP_STATUSES  # noqa: E402
from parklink.tables_coconstruction import PLATFORM_KINDS as PLATFORM_KINDS  # noqa: E402
from parklink.tables_coconstruction import PLATFORMS as PLATFORMS  # noqa: E402
from parklink.tables_coconstruction import SHARING_BASES as SHARING_BASES  # noqa: E402
from parklink.tables_coconstruction import SHARING_METRICS as SHARING_METRICS  # noqa: E402
from parklink.tables_coconstruction import SHARING_REALISED as SHARING_REALISED  # noqa: E402
from parklink.tables_coconstruction import SMART_AGGREGATES as SMART_AGGREGATES  # noqa: E402
from parklink.tables_coconstruction import SMART_KINDS as SMART_KINDS  # noqa: E402
from parklink.tables_coconstruction import SMART_RECOGNITIONS as SMART_RECOGNITIONS  # noqa: E402
from parklink.tables_coconstruction import SMART_TIERS as SMART_TIERS  # noqa: E402

# --------------------------------------------------------------------------- monitoring (issue 17)
#: Reporting frequencies of a monitoring indicator.
MONITORING_FREQUENCIES = ("monthly", "quarterly", "annual")
#: Direction of a monitoring indicator (more is better / less is better / neither).
MONITORING_DIRECTIONS = ("benefit", "cost", "neutral")
#: A reporting period: a year (2024), a quarter (2024Q3) or a month (2024-07).
PERIOD_PATTERN = r"^(19|20)[0-9]{2}(Q[1-4]|-(0[1-9]|1[0-2]))?$"

MONITORING_INDICATORS = TableSchema(
    "monitoring_indicators",
    (
        Column("indicator_id", "str", pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
        Column("name_zh", "str", max_length=200),
        Column("name_en", "str", max_length=300),
        Column("formula", "str", max_length=2000, multiline=True, doc="口径: how the value is defined"),
        Column("unit", "str", max_length=40, doc="e.g. 万元, 亩, tce, 人"),
        Column("frequency", "str", choices=MONITORING_FREQUENCIES),
        Column("direction", "str", choices=MONITORING_DIRECTIONS),
        Column("as_of", "date", required=False, doc="date of the definition's source"),
        *_SOURCE,
    ),
    key=("indicator_id",),
    doc="Monitoring indicators: definition (formula, unit, frequency) with the source of the definition.",
)

INDICATOR_VALUES = TableSchema(
    "indicator_values",
    (
        Column("value_id", "str", max_length=200, pattern=r"^[^:]+:[^:]+:[^:]+$",
               doc="park_id:indicator_id:period (one value per park, indicator and period)"),
        Column("park_id", "str", ref="parks.park_id", max_length=64),
        Column("indicator_id", "str", ref="monitoring_indicators.indicator_id", max_length=64),
        Column("period", "str", pattern=PERIOD_PATTERN, max_length=7, doc="2024, 2024Q3 or 2024-07"),
        Column("value", "float", doc="in the indicator's unit"),
        Column("as_of", "date", required=False, doc="date the value was reported"),
        Column("note", "str", required=False, max_length=2000, multiline=True),
        *_SOURCE,
    ),
    key=("value_id",),
    doc="Per-park time series of the monitoring indicators (one value per park, indicator and period).",
)

SCHEMAS.update({s.kind: s for s in (MONITORING_INDICATORS, INDICATOR_VALUES)})


def split_list(value: object) -> list[str]:
    """Elements of a list cell: ``'a;b'`` text (items stripped, empties dropped), a Python
    list/tuple/set/array of items, or empty (None, NaN, NA) -> ``[]``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple | set | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def schema(kind: str) -> TableSchema:
    """The schema of ``kind`` (one of :data:`SCHEMAS`); ValueError naming the kinds otherwise."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}") from None


# the investment-promotion ledger (issue 14): its kinds live in tables_promotion, which adds
# them to SCHEMAS when imported
import parklink.tables_promotion  # noqa: E402,F401
from parklink.tables_sme import CAPACITY_UNITS as CAPACITY_UNITS  # noqa: E402
from parklink.tables_sme import CERTIFICATIONS as CERTIFICATIONS  # noqa: E402
from parklink.tables_sme import PROCESSES as PROCESSES  # noqa: E402
from parklink.tables_sme import PROVIDER_KINDS as PROVIDER_KINDS  # noqa: E402
from parklink.tables_sme import SD_DIRECTIONS as SD_DIRECTIONS  # noqa: E402
from parklink.tables_sme import SD_POSTERS as SD_POSTERS  # noqa: E402
from parklink.tables_sme import SD_STATUSES as SD_STATUSES  # noqa: E402
from parklink.tables_sme import SERVICE_OFFERS as SERVICE_OFFERS  # noqa: E402
from parklink.tables_sme import SERVICE_PROVIDERS as SERVICE_PROVIDERS  # noqa: E402
from parklink.tables_sme import SERVICES as SERVICES  # noqa: E402

# SMEs, services and supply–demand lists (issue 16) live in tables_sme (adds them to SCHEMAS)
from parklink.tables_sme import SME_INDUSTRIES as SME_INDUSTRIES  # noqa: E402
from parklink.tables_sme import SME_KINDS as SME_KINDS  # noqa: E402
from parklink.tables_sme import SME_PROFILES as SME_PROFILES  # noqa: E402
from parklink.tables_sme import SME_SIZE_CLASSES as SME_SIZE_CLASSES  # noqa: E402
from parklink.tables_sme import SME_TIERS as SME_TIERS  # noqa: E402
from parklink.tables_sme import SUPPLY_DEMAND as SUPPLY_DEMAND  # noqa: E402
