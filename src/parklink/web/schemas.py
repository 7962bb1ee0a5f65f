"""Pydantic models of the API, generated from the canonical table schemas (``parklink.tables``).

For every registry kind three models are derived from its :class:`~parklink.tables.TableSchema`,
so the API can never drift from the import format:

* ``<Kind>Out``    every column; list columns as JSON arrays;
* ``<Kind>Create`` every column, required ones required, with the schema's choices (enums),
  ranges and patterns as JSON-schema constraints;
* ``<Kind>Update`` every non-key column optional (partial update, PATCH).

Write endpoints then run the import validator (``parklink.ingest.validate``) on the merged
record, which adds the checks a JSON schema cannot express (foreign keys, duplicate keys,
points inside Sichuan/Chongqing).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model

from parklink import tables as t
from parklink.store.models import ROLES

_PY: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "date": dt.date}
#: Request types: booleans are strict (``true``/``false`` only, never ``0``/``"false"``).
_PY_IN: dict[str, Any] = {**_PY, "bool": StrictBool}


def _utc(value: Any) -> Any:
    """Stored times are UTC; naive values (SQLite) get the UTC zone before serialisation."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _strict_query_bool(value: Any) -> Any:
    """Query-string booleans: exactly ``true`` or ``false`` (not ``1``, ``yes``, ``on``, ``True``)."""
    if isinstance(value, str):
        if value in ("true", "false"):
            return value == "true"
        raise ValueError("must be 'true' or 'false'")
    return value


#: A boolean query parameter, strict like the request bodies' booleans (anything else: 422).
QueryBool = Annotated[bool, BeforeValidator(_strict_query_bool)]


#: A timezone-aware time in responses (ISO 8601 with offset; stored times are UTC).
UtcDatetime = Annotated[dt.datetime, BeforeValidator(_utc)]


def _element_type(col: t.Column) -> Any:
    if col.choices:
        return Literal[col.choices]
    return str


def _field(col: t.Column, *, mode: Literal["out", "create", "update"]) -> tuple[Any, Any]:
    """(annotation, FieldInfo) of ``col`` for a model of ``mode``."""
    constrained = mode != "out"
    kw: dict[str, Any] = {"description": col.doc or None}
    if col.type == "list":
        typ: Any = list[_element_type(col) if constrained else str]  # type: ignore[misc]
    elif col.choices and constrained:
        typ = _element_type(col)
    else:
        typ = (_PY_IN if constrained else _PY)[col.type]
        if constrained and col.type in ("int", "float"):
            kw["ge"] = col.minimum
            kw["le"] = col.maximum
        if constrained and col.type == "str" and col.pattern:
            kw["pattern"] = col.pattern
        if constrained and col.type == "str":
            kw["min_length"] = 1
            kw["max_length"] = col.max_length or 2000
    required = mode == "create" and col.required
    if mode == "out":
        if col.type == "list":
            return typ, Field(default_factory=list, **kw)
        return (typ if col.required else typ | None), Field(default=None, **kw)
    if required:
        return typ, Field(..., **kw)
    return typ | None, Field(default=None, **kw)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _camel(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _models(
    kind: str, *, extra_out: dict[str, Any] | None = None, extra_update: dict[str, Any] | None = None
) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel], type[BaseModel]]:
    """(Out, Page of Out, Create, Update) models of ``kind``."""
    schema = t.schema(kind)
    name = _camel(kind)
    out_fields: dict[str, Any] = {c.name: _field(c, mode="out") for c in schema.columns} | (extra_out or {}) | {
        "row_version": (int | None, Field(default=None, description="version of the row (its ETag); send it "
                                          "back as If-Match to write only that version"))}
    create_fields: dict[str, Any] = {c.name: _field(c, mode="create") for c in schema.columns}
    update_fields: dict[str, Any] = {
        c.name: _field(c, mode="update") for c in schema.columns if c.name not in schema.key
    } | (extra_update or {})
    out = create_model(f"{name}Out", __base__=_Open, __doc__=schema.doc, **out_fields)
    page = create_model(
        f"{name}Page",
        __base__=_Open,
        __doc__=f"One page of {kind}.",
        items=(list[out], ...),  # type: ignore[valid-type]
        total=(int, Field(..., description="rows matching the filters")),
        page=(int, ...),
        page_size=(int, ...),
    )
    create = create_model(f"{name}Create", __base__=_Strict, __doc__=f"A new row of {kind}.", **create_fields)
    update = create_model(
        f"{name}Update", __base__=_Strict, __doc__=f"Changes to a row of {kind} (partial).", **update_fields
    )
    return out, page, create, update


_REVOKED: dict[str, Any] = {
    "revoked_year": (int | None, Field(default=None, ge=2000, le=2100, description="year the designation ended"))
}

_regions = _models("regions")
_zones = _models("zones")
_parks = _models("parks")
_designations = _models("designations", extra_out=_REVOKED, extra_update=_REVOKED)
_targets = _models("targets")
_enterprises = _models("enterprises")
_nodes = _models("transport_nodes")
_links = _models("transport_links")
_segments = _models("chain_segments")

if TYPE_CHECKING:  # the generated classes, as the type checker sees them
    RegionOut: TypeAlias = BaseModel
    RegionPage: TypeAlias = BaseModel
    ZoneOut: TypeAlias = BaseModel
    ZonePage: TypeAlias = BaseModel
    ZoneCreate: TypeAlias = BaseModel
    ZoneUpdate: TypeAlias = BaseModel
    ParkOut: TypeAlias = BaseModel
    ParkPage: TypeAlias = BaseModel
    ParkCreate: TypeAlias = BaseModel
    ParkUpdate: TypeAlias = BaseModel
    DesignationOut: TypeAlias = BaseModel
    DesignationPage: TypeAlias = BaseModel
    DesignationCreate: TypeAlias = BaseModel
    DesignationUpdate: TypeAlias = BaseModel
    TargetOut: TypeAlias = BaseModel
    TargetPage: TypeAlias = BaseModel
    TargetCreate: TypeAlias = BaseModel
    TargetUpdate: TypeAlias = BaseModel
    EnterpriseOut: TypeAlias = BaseModel
    EnterprisePage: TypeAlias = BaseModel
    EnterpriseUpdate: TypeAlias = BaseModel
    TransportNodeOut: TypeAlias = BaseModel
    TransportNodePage: TypeAlias = BaseModel
    TransportLinkOut: TypeAlias = BaseModel
    TransportLinkPage: TypeAlias = BaseModel
    SegmentOut: TypeAlias = BaseModel
    SegmentPage: TypeAlias = BaseModel
else:
    RegionOut, RegionPage = _regions[:2]
    ZoneOut, ZonePage, ZoneCreate, ZoneUpdate = _zones
    ParkOut, ParkPage, ParkCreate, ParkUpdate = _parks
    DesignationOut, DesignationPage, DesignationCreate, DesignationUpdate = _designations
    TargetOut, TargetPage, TargetCreate, TargetUpdate = _targets
    EnterpriseOut, EnterprisePage, _, EnterpriseUpdate = _enterprises
    TransportNodeOut, TransportNodePage = _nodes[:2]
    TransportLinkOut, TransportLinkPage = _links[:2]
    SegmentOut, SegmentPage = _segments[:2]

GENERATED: dict[str, tuple[type[BaseModel], type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    "regions": _regions,
    "zones": _zones,
    "parks": _parks,
    "designations": _designations,
    "targets": _targets,
    "enterprises": _enterprises,
    "transport_nodes": _nodes,
    "transport_links": _links,
    "chain_segments": _segments,
}

Role = Literal["programme_office", "park_manager", "enterprise", "public"]
assert set(ROLES) == {"programme_office", "park_manager", "enterprise", "public"}


class FieldProblem(BaseModel):
    """One rejected field: its name (dotted path), the reason and the value sent."""

    field: str | None = Field(description="the field (column) concerned; null for the whole record")
    reason: str
    value: str | None = None


class ErrorBody(BaseModel):
    """The body of every error response: a message and, for 422, the rejected fields."""

    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class TokenRequest(_Strict):
    """Credentials exchanged for an API bearer token."""

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    """A bearer token for the API (send as ``Authorization: Bearer <token>``)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class UserCreate(_Strict):
    """A new user; park managers name their parks, enterprise users their enterprise."""

    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=10, max_length=1000)
    role: Role
    display_name: str | None = Field(default=None, max_length=200)
    parks: list[str] = Field(default_factory=list, description="parks a park manager may edit")
    enterprise_id: str | None = Field(default=None, description="the enterprise of an enterprise user")


class UserUpdate(_Strict):
    """Changes to a user (programme office only)."""

    active: StrictBool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    parks: list[str] | None = None


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    username: str
    display_name: str | None
    role: Role
    active: bool
    parks: list[str]
    enterprise_id: str | None


class AuditOut(BaseModel):
    """One audit entry: who changed what, when, before and after (JSON)."""

    id: int
    at: UtcDatetime | None
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    """One page of audit entries (newest first)."""

    items: list[AuditOut]
    total: int
    page: int
    page_size: int


class ScenarioIn(_Strict):
    """A named parameter set of an analysis (stored, optionally published)."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["designation", "evaluation", "logistics", "chains"]
    params: dict[str, Any] = Field(default_factory=dict)
    published: StrictBool = False


class ScenarioUpdate(_Strict):
    """Changes to a scenario."""

    params: dict[str, Any] | None = None
    published: StrictBool | None = None


class ScenarioOut(BaseModel):
    """A stored scenario."""

    name: str
    kind: str
    params: dict[str, Any]
    published: bool
    created_at: UtcDatetime | None


class ChainOut(BaseModel):
    """A focal industry chain with its bilingual names."""

    chain_id: str
    name_zh: str
    name_en: str
    segments: int


class HistoryItem(BaseModel):
    """One recorded change of a registry record (``parklink.store.history``)."""

    id: int
    change_set: str = Field(description="groups the entries of one import or edit")
    at: str = Field(description="when (ISO 8601, UTC)")
    actor: str | None = Field(description="who (shown to logged-in users only)")
    via: str = Field(description="through what: api, web form, import FILE (mode)")
    action: Literal["insert", "update", "delete"]
    field: str | None = Field(description="the changed field (null: the whole row, insert/delete)")
    old: str | None = Field(description="value before (canonical text; JSON of the row for a delete)")
    new: str | None = Field(description="value after (canonical text; JSON of the row for an insert)")
    source_url: str | None = Field(description="source of the record after the change")
    confidence: str | None = Field(description="confidence of the record after the change")
    row_version: int | None = Field(description="the record's version after the change")


class HistoryOut(BaseModel):
    """The history of one registry record, newest first."""

    kind: str
    key: str
    items: list[HistoryItem]


class StatusOut(BaseModel):
    """Programme status vs targets (``parklink.programme.status``) as row lists."""

    by_year: list[dict[str, Any]]
    by_province: list[dict[str, Any]]
    by_zone: list[dict[str, Any]]
    by_area_type: list[dict[str, Any]]
