"""What a report reads: the inputs bundle, the optional registries, the period, the fingerprint.

:class:`ReportInputs` is the inputs bundle of :mod:`parklink.inputs` (the one input path)
plus the optional registries the bundle does not carry yet — investment promotion (project
ledger, stage events, funds in place) and co-construction (parks in the park, smart
manufacturing, platforms) — read in the **same transaction** when the database has their
tables. A registry that is absent or empty gives "暂无数据 / no data" in the report, never
an error. They are recognised by their columns (the KPI inputs of
:func:`parklink.promotion.kpi.compute_kpis`) and by the store module of their model.

:class:`Period` is the bulletin's period: a year ``2025``, a quarter ``2025Q3`` or a month
``2025-09``; figures are computed as of its last day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.configs import Fingerprint, config_hash
from parklink.errors import ValidationError
from parklink.inputs import KINDS, Inputs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["Period", "ReportConfig", "ReportInputs", "parse_period", "read_report_inputs", "report_inputs"]

PROJECT_COLUMNS = frozenset({"project_id", "signed_investment_cny_m", "planned_start"})
EVENT_COLUMNS = frozenset({"project_id", "stage", "on"})
FUND_COLUMNS = frozenset({"project_id", "on", "amount_cny_m"})


def _dated(columns: frozenset[str]) -> frozenset[str]:
    return frozenset(c if c != "on" else "on_date" for c in columns)


def _on(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its date column named ``on`` (as the KPI engine reads it)."""
    if "on" in frame.columns or "on_date" not in frame.columns:
        return frame
    return frame.rename(columns={"on_date": "on"}).assign(on=lambda f: pd.to_datetime(f["on"].astype(str)))


@dataclass(frozen=True)
class Period:
    """A reporting period: ``kind`` year | quarter | month, first and last day, label."""

    kind: str
    start: dt.date
    end: dt.date
    label: str

    @property
    def year(self) -> int:
        """The calendar year of the period."""
        return self.end.year

    def previous_end(self) -> dt.date:
        """The last day before the period (the comparison point of "in the period")."""
        return self.start - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    """``2025`` → the year, ``2025Q3`` → July–September, ``2025-09`` → September 2025."""
    s = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})", s):
        y = int(m[1])
        return Period("year", dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y}")
    if m := re.fullmatch(r"(\d{4})Q([1-4])", s):
        y, q = int(m[1]), int(m[2])
        last = 3 * q
        return Period("quarter", dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1]), f"{y}Q{q}")
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            return Period("month", dt.date(y, mo, 1), dt.date(y, mo, calendar.monthrange(y, mo)[1]), f"{y}-{mo:02d}")
    raise ValidationError.single("--period", "expected a year (2025), a quarter (2025Q3) or a month (2025-09) "
                                 "(报告期格式：2025、2025Q3 或 2025-09)", value=text, column="period")


@dataclass(frozen=True)
class ReportConfig:
    """What one report is: its kind, the period (bulletins) and the object (briefs)."""

    kind: str
    period: str = ""
    target: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "period": self.period, "target": self.target}

    def hash(self) -> str:
        """Hash of the configuration (part of the fingerprint)."""
        return config_hash("report", self)


def _extras_digest(extras: Mapping[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for kind in sorted(extras):
        f = extras[kind]
        h.update(f"{kind}:{len(f)}\n".encode())
        if len(f):
            h.update(f.astype("string").fillna("\x00").to_csv(index=False, lineterminator="\n").encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """The inputs bundle and the optional registries read with it (see the module docstring)."""

    inputs: Inputs
    extras: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    groups: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # kind → store module domain

    def fingerprint(self, config: ReportConfig) -> Fingerprint:
        """The report's fingerprint: data version, registry digest (optional registries
        included), firm data and the report configuration."""
        reg = self.inputs.registry_digest()
        if self.extras:
            reg = hashlib.sha256(f"{reg}|{_extras_digest(self.extras)}".encode()).hexdigest()[:16]
        return Fingerprint(self.inputs.data_version, reg, self.inputs.firm_version(), config.hash())

    def find(self, columns: frozenset[str]) -> pd.DataFrame | None:
        """The optional registry whose columns include ``columns`` (None when absent or empty)."""
        for kind in sorted(self.extras):
            frame = self.extras[kind]
            if columns <= set(frame.columns) and len(frame):
                return frame
        return None

    def promotion(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None] | None:
        """Project ledger, stage events (``project_id, stage, on``) and funds in place
        (``project_id, on, amount_cny_m``), or None when there is no ledger (no project).

        The bundle's own ledger when it carries one (``Inputs.promotion()`` of the promotion
        data model: the database's, or the seeded synthetic pipeline of the embedded
        dataset); otherwise the optional registries with the KPI input columns (a stage or
        fund date column named ``on`` or ``on_date``)."""
        own = getattr(self.inputs, "promotion", None)
        if callable(own):
            ledger: Any = own()
            projects = ledger["projects"]
            if not len(projects):
                return None
            return projects, ledger.events_frame(), ledger.funds_frame()
        projects = self.find(PROJECT_COLUMNS)
        events = self.find(EVENT_COLUMNS) if self.find(EVENT_COLUMNS) is not None else self.find(_dated(EVENT_COLUMNS))
        if projects is None or events is None:
            return None
        funds = self.find(FUND_COLUMNS) if self.find(FUND_COLUMNS) is not None else self.find(_dated(FUND_COLUMNS))
        return projects, _on(events), None if funds is None else _on(funds)

    def domain_counts(self, domain: str) -> dict[str, int]:
        """Rows per registry of one store domain (e.g. ``coconstruction``), empty ones included."""
        return {k: len(self.extras[k]) for k in sorted(self.extras) if self.groups.get(k) == domain}


def _read_extras(session: Session) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every stored kind outside the bundle whose table exists, read in ``session``; a kind
    whose rows cannot be read as its schema is left out (its section says "no data")."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    import parklink.inputs as bundle_module
    from parklink.store import io

    insp = inspect(session.connection())
    frames: dict[str, pd.DataFrame] = {}
    groups: dict[str, str] = {}
    in_bundle = set(KINDS) | set(getattr(bundle_module, "PROMOTION_KINDS", ()))  # the bundle reads those
    for kind, spec in sorted(io.KINDS.items()):
        if kind in in_bundle:
            continue
        table = getattr(spec.model, "__tablename__", None)
        if table is None or not insp.has_table(table):
            continue
        try:
            with session.begin_nested():
                frames[kind] = io.read_frame(session, kind)
        except (SQLAlchemyError, ValueError, KeyError):
            continue
        groups[kind] = spec.model.__module__.rsplit(".", 1)[-1].removeprefix("models_")
    return frames, groups


def report_inputs(inputs: Inputs, session: Session | None = None) -> ReportInputs:
    """The report inputs of a bundle; with ``session`` (the same transaction as the bundle)
    the optional registries are read too."""
    if session is None or inputs.embedded:
        return ReportInputs(inputs)
    frames, groups = _read_extras(session)
    return ReportInputs(inputs, MappingProxyType(frames), MappingProxyType(groups))


def read_report_inputs(url: str | None = None, *, firm_root: Path | None = None) -> ReportInputs:
    """The bundle of the database ``url`` (:func:`parklink.inputs.read_inputs`, same fallback
    to the embedded dataset) and its optional registries, read in one transaction."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from parklink.errors import ConfigError
    from parklink.inputs import session_inputs
    from parklink.store.db import database_url, redact, session_scope

    resolved = database_url(url)
    if url is None:
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            from parklink.inputs import embedded_inputs

            return ReportInputs(embedded_inputs(firm_root=firm_root))
    try:
        with session_scope(resolved) as session:
            bundle = session_inputs(session, firm_root=firm_root)
            return report_inputs(bundle, session)
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot read the database {redact(resolved)} (数据库无法读取; run 'parklink db init'): "
                          f"{type(exc).__name__}") from None
