"""Canonical frames in and out of the registry.

``write_frame`` stores a frame whose columns are those of ``tables.SCHEMAS[kind]``;
``read_frame`` gives the same shape back (list columns ';'-joined, order preserved), so
export -> import is lossless. Both work inside the caller's session/transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.errors import Problem, ValidationError
from parklink.programme.parks import check_parents
from parklink.programme.zones import check_zone_rows
from parklink.store import models as m
from parklink.tables import split_list as split_list  # re-exported for callers of store.io
from parklink.vocab import CHAIN_NAMES as CHAIN_NAMES
from parklink.vocab import ROLE_NAMES as ROLE_NAMES


@dataclass(frozen=True, slots=True)
class ListLink:
    """How a list column of a canonical table maps to an association table."""

    model: type[m.Base]
    owner: str  # column in the association table holding the owner key
    item: str  # column holding the list element
    encode: Callable[[str], dict[str, Any]] | None = None
    decode: Callable[[Any], str] | None = None


def _code_encode(text: str) -> dict[str, Any]:
    code, _, quality = text.partition(":")
    return {"code": code.strip(), "quality": (quality or "A").strip()}


@dataclass(frozen=True, slots=True)
class KindMap:
    """The main ORM model of a kind and its list columns."""

    model: type[m.Base]
    lists: dict[str, ListLink]
    renames: dict[str, str]  # canonical column -> model attribute
    #: problems the column checks cannot see (rows numbered as in a file)
    check: Callable[[pd.DataFrame, str], list[Problem]] | None = None
    #: rows are only ever added (an import may not change or remove a stored row)
    append_only: bool = False
    #: problems against the stored rows, checked by an import before it writes:
    #: ``(session, frame, file rows, file) -> problems``
    db_check: Callable[[Session, pd.DataFrame, list[int], str], list[Problem]] | None = None
    #: also run ``check`` on the rows of an import (append/upsert/replace)
    check_on_import: bool = False


def _cocon_kinds() -> dict[str, KindMap]:
    """The co-construction registries (issue 15; models in ``models_coconstruction``)."""
    from parklink.coconstruction.checks import check_pip_rows, check_sharing_rows
    from parklink.store import models_coconstruction as mc

    return {
        "parks_in_park": KindMap(mc.CoconPip, {
            "leader_ids": ListLink(mc.CoconPipLeader, "pip_id", "enterprise_id"),
            "member_firms": ListLink(mc.CoconPipMember, "pip_id", "enterprise_id"),
        }, {}, check=check_pip_rows),
        "benefit_sharing": KindMap(mc.CoconSharing, {}, {}, check=check_sharing_rows),
        "sharing_realised": KindMap(mc.CoconSharingRealised, {}, {}),
        "smart_recognitions": KindMap(mc.CoconSmartRecognition, {}, {}),
        "maturity_assessments": KindMap(mc.CoconMaturity, {}, {}),
        "smart_aggregates": KindMap(mc.CoconSmartAggregate, {}, {}),
        "platforms": KindMap(mc.CoconPlatform, {
            "segments": ListLink(mc.CoconPlatformSegment, "platform_id", "segment_id"),
        }, {}),
    }


#: Co-construction kinds in foreign-key order (after enterprises and chain segments).
COCON_KINDS = ("parks_in_park", "benefit_sharing", "sharing_realised", "smart_recognitions",
               "maturity_assessments", "smart_aggregates", "platforms")

KINDS: dict[str, KindMap] = {
    "regions": KindMap(m.Region, {}, {}),
    "zones": KindMap(
        m.Zone,
        {
            "members": ListLink(m.ZoneMember, "zone_id", "adcode"),
            "partial_members": ListLink(m.ZonePartialMember, "zone_id", "adcode"),
        },
        {},
        check=check_zone_rows,
    ),
    "parks": KindMap(
        m.Park,
        {
            "area_types": ListLink(m.ParkAreaType, "park_id", "area_type"),
            "focus_chains": ListLink(m.ParkFocusChain, "park_id", "chain"),
            "stated_zones": ListLink(m.ParkStatedZone, "park_id", "zone_id"),
        },
        {},
        check=check_parents,
    ),
    "designations": KindMap(
        m.Designation,
        {
            "members": ListLink(m.DesignationMember, "designation_id", "park_id"),
            "theme_chains": ListLink(m.DesignationChain, "designation_id", "chain"),
        },
        {},
    ),
    "targets": KindMap(m.Target, {}, {}),
    "transport_nodes": KindMap(
        m.TransportNode, {"modes": ListLink(m.TransportNodeMode, "node_id", "mode")}, {}
    ),
    "transport_links": KindMap(m.TransportLink, {}, {}),
    "chain_segments": KindMap(
        m.Segment,
        {
            "gbt4754": ListLink(m.SegmentCode, "segment_id", "code", encode=_code_encode),
            "inputs": ListLink(m.SegmentLink, "to_segment", "from_segment"),
        },
        {},
    ),
    "enterprises": KindMap(
        m.Enterprise, {"segments": ListLink(m.EnterpriseSegment, "enterprise_id", "segment_id")}, {}
    ),
    **_cocon_kinds(),
}
# monitoring indicators and their per-park time series (issue 17; parklink.monitoring)
from parklink.monitoring.checks import check_indicator_values  # noqa: E402

KINDS["monitoring_indicators"] = KindMap(m.MonitoringIndicator, {}, {})
KINDS["indicator_values"] = KindMap(m.IndicatorValue, {}, {}, check=check_indicator_values)

# SMEs, services and supply–demand items (issue 16; parklink.sme); not in LOAD_ORDER
# because the embedded dataset has none (their synthetic default: `parklink sme seed`)
from parklink.sme.registry import check_sme_rows, check_supply_demand_rows  # noqa: E402

KINDS.update({
    "sme_profiles": KindMap(m.SmeProfile, {}, {}, check=check_sme_rows, check_on_import=True),
    "service_providers": KindMap(m.ServiceProvider, {}, {}),
    "service_offers": KindMap(m.ServiceOffer, {}, {}),
    "supply_demand": KindMap(m.SupplyDemandItem, {}, {}, check=check_supply_demand_rows,
                             check_on_import=True),
})
SME_KINDS = t.SME_KINDS

#: Kinds in an order that satisfies foreign keys when loading.
LOAD_ORDER = (
    "regions",
    "zones",
    "parks",
    "designations",
    "targets",
    "transport_nodes",
    "transport_links",
    "chain_segments",
    "enterprises",
    *COCON_KINDS,
    "monitoring_indicators",
    "indicator_values",
)


#: The investment-promotion ledger's kinds in foreign-key order (issue 14; not part of the
#: embedded dataset's LOAD_ORDER: the seed path loads their synthetic pipeline itself).
PROMOTION_ORDER = (
    "promotion_plans", "plan_goals", "plan_targets", "promotion_events", "projects", "stage_events",
    "project_funds",
)


def _promotion_kinds() -> dict[str, KindMap]:
    from parklink.promotion import checks
    from parklink.store import models_promotion as mp

    return {
        "promotion_plans": KindMap(mp.PromotionPlan, {}, {}),
        "plan_goals": KindMap(mp.PlanGoal, {}, {}, db_check=checks.check_goals),
        "plan_targets": KindMap(mp.PlanTarget, {}, {}, db_check=checks.check_targets),
        "promotion_events": KindMap(mp.PromotionEvent, {}, {}),
        "projects": KindMap(mp.Project, {}, {}),
        "stage_events": KindMap(mp.StageEvent, {}, {}, append_only=True, db_check=checks.check_stage_events),
        "project_funds": KindMap(mp.ProjectFund, {}, {}, db_check=checks.check_funds),
    }


KINDS.update(_promotion_kinds())


def stored_kinds() -> tuple[str, ...]:
    """Kinds kept in the SQL registry (transactions live as Parquet)."""
    return LOAD_ORDER + PROMOTION_ORDER
    return (*LOAD_ORDER, *SME_KINDS)


def _kind(kind: str) -> KindMap:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(
            f"kind {kind!r} is not stored in the database; expected one of {', '.join(KINDS)}"
        ) from None


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def ensure_reference_rows(session: Session) -> None:
    """Insert the fixed chain and role rows when missing (idempotent)."""
    have = set(session.scalars(select(m.Chain.chain_id)))
    for chain_id, (zh, en) in CHAIN_NAMES.items():
        if chain_id not in have:
            session.add(m.Chain(chain_id=chain_id, name_zh=zh, name_en=en))
    roles = set(session.scalars(select(m.Role.name)))
    for name, (zh, en) in ROLE_NAMES.items():
        if name not in roles:
            session.add(m.Role(name=name, name_zh=zh, name_en=en))
    session.flush()


def write_frame(
    session: Session,
    kind: str,
    frame: pd.DataFrame,
    *,
    mode: Literal["append", "replace"] = "append",
    source: str = "<frame>",
) -> int:
    """Insert the canonical rows of ``kind``; ``replace`` first deletes the kind's rows.

    Runs in the caller's transaction. A constraint violation raises ValidationError
    (naming ``source``) and leaves the transaction for the caller to roll back.
    Returns the number of rows written.
    """
    spec = _kind(kind)
    schema = t.schema(kind)
    missing = [c for c in schema.names if c not in frame.columns]
    if missing:
        raise ValidationError.single(source, f"missing columns: {', '.join(missing)}")
    if spec.check is not None and (problems := spec.check(frame, source)):
        raise ValidationError(problems)
    ensure_reference_rows(session)
    if mode == "replace":
        _delete_kind(session, spec)
    key = schema.key[0]
    frame = dependency_order(frame, schema)
    main_rows: list[dict[str, Any]] = []
    link_rows: dict[str, list[dict[str, Any]]] = {col: [] for col in spec.lists}
    main_cols = [c for c in schema.names if c not in spec.lists]
    for record in frame[list(schema.names)].to_dict("records"):
        main_rows.append({spec.renames.get(c, c): _clean(record[c]) for c in main_cols})
        for col, link in spec.lists.items():
            for pos, item in enumerate(split_list(record[col])):
                row = {link.owner: record[key], "position": pos}
                row.update(link.encode(item) if link.encode else {link.item: item})
                link_rows[col].append(row)
    try:
        with session.begin_nested():
            if main_rows:
                session.execute(insert(spec.model), main_rows)
            for col, rows in link_rows.items():
                if rows:
                    session.execute(insert(spec.lists[col].model), rows)
    except IntegrityError as exc:
        raise ValidationError(
            [Problem(source, None, None, None, f"rejected by the database: {exc.orig}")]
        ) from exc
    return len(main_rows)


def dependency_order(frame: pd.DataFrame, schema: t.TableSchema) -> pd.DataFrame:
    """``frame`` with every row after the row its scalar self reference names (a region
    after its parent region), so the rows can be inserted in one pass with foreign keys
    checked row by row. Stable otherwise; rows in a reference loop keep their order (the
    validator rejects loops)."""
    key = schema.key[0]
    cols = [c.name for c in schema.columns
            if c.type != "list" and c.ref == f"{schema.kind}.{key}"]
    if not cols or len(frame) < 2:
        return frame
    keys = [str(k) for k in frame[key].tolist()]
    position = {k: i for i, k in enumerate(keys)}
    parents = [[position.get(str(p)) for p in frame[c].tolist()] for c in cols]
    depth: list[int | None] = [None] * len(keys)

    def level(i: int) -> int:
        chain: list[int] = []
        node: int | None = i
        while node is not None and depth[node] is None and node not in chain:
            chain.append(node)
            ups = [p[node] for p in parents if p[node] is not None]
            node = ups[0] if ups else None
        known = depth[node] if node is not None else None
        base = known if known is not None else -1
        for j in reversed(chain):
            base += 1
            depth[j] = base
        return int(depth[i] or 0)

    order = sorted(range(len(keys)), key=lambda i: (level(i), i))
    return frame.iloc[order]


def _delete_kind(session: Session, spec: KindMap) -> None:
    try:
        with session.begin_nested():
            for link in spec.lists.values():
                session.execute(delete(link.model))
            session.execute(delete(spec.model))
    except IntegrityError as exc:
        raise ValidationError(
            [
                Problem(
                    "<database>",
                    None,
                    None,
                    None,
                    "cannot replace: other records still refer to these rows "
                    f"({exc.orig}); remove or replace those first",
                )
            ]
        ) from exc


def _joined(session: Session, link: ListLink) -> dict[str, str]:
    cols = [getattr(link.model, link.owner), getattr(link.model, link.item)]
    if link.encode is _code_encode:
        cols.append(link.model.quality)  # type: ignore[attr-defined]
    rows = session.execute(select(*cols).order_by(cols[0], link.model.position))  # type: ignore[attr-defined]
    out: dict[str, list[str]] = {}
    for row in rows:
        text = f"{row[1]}:{row[2]}" if len(row) == 3 else str(row[1])
        out.setdefault(row[0], []).append(text)
    return {k: ";".join(v) for k, v in out.items()}


def read_frame(session: Session, kind: str) -> pd.DataFrame:
    """All rows of ``kind`` as a canonical frame (schema columns, typed, sorted by key)."""
    spec = _kind(kind)
    schema = t.schema(kind)
    key = schema.key[0]
    main_cols = [c for c in schema.names if c not in spec.lists]
    attrs = [getattr(spec.model, spec.renames.get(c, c)) for c in main_cols]
    rows = session.execute(select(*attrs).order_by(getattr(spec.model, key))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=main_cols)
    for col, link in spec.lists.items():
        joined = _joined(session, link)
        frame[col] = frame[key].map(joined) if len(frame) else pd.Series(dtype=object)
    return coerce_frame(frame[list(schema.names)], kind)


def coerce_frame(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Cast a frame to the schema's pandas dtypes (nullable types; dates as ``date``)."""
    schema = t.schema(kind)
    out = frame.copy()
    for col in schema.columns:
        if col.name not in out.columns:
            continue
        series = out[col.name]
        if col.type in ("str", "list"):
            out[col.name] = series.astype("string")
        elif col.type == "int":
            out[col.name] = pd.to_numeric(series).astype("Int64")
        elif col.type == "float":
            out[col.name] = pd.to_numeric(series).astype("Float64")
        elif col.type == "bool":
            out[col.name] = series.astype("boolean")
        elif col.type == "date":
            out[col.name] = series.map(_to_date).astype(object)
    return out.reset_index(drop=True)


def _to_date(value: Any) -> dt.date | None:
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def key_values(session: Session, kind: str, column: str) -> set[str]:
    """Existing values of ``column`` of ``kind`` (for foreign-key checks of imports)."""
    spec = _kind(kind)
    attr = getattr(spec.model, spec.renames.get(column, column))
    return {str(v) for v in session.scalars(select(attr)) if v is not None}


def count_rows(session: Session, kinds: Iterable[str] = LOAD_ORDER) -> dict[str, int]:
    """Number of rows per kind."""
    from sqlalchemy import func

    return {k: int(session.scalar(select(func.count()).select_from(_kind(k).model)) or 0) for k in kinds}
