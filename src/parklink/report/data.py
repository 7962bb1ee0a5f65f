"""What a report reads: the inputs bundle, the promotion ledger, the period, the fingerprint.

:class:`ReportInputs` is the inputs bundle of :mod:`parklink.inputs` (the one input path; it
carries the co-construction registries too) plus the investment-promotion ledger
(:class:`parklink.promotion.pipeline.PromotionFrames`: projects, stage events, funds in
place, plans, events) read **in the same transaction** by the promotion code's own reader
(:func:`parklink.promotion.service.ledger`). For the embedded dataset (no database) the
ledger is the bundle's own (``Inputs.promotion()`` of the promotion data model: the seeded
synthetic pipeline), when the bundle provides one. A ledger without projects gives
"暂无数据 / no data" in the report, never an error.

:class:`Period` is the bulletin's period: a year ``2025``, a quarter ``2025Q3`` or a month
``2025-09``; figures are computed as of its last day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from parklink.configs import Fingerprint, config_hash
from parklink.errors import ValidationError
from parklink.inputs import Inputs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from parklink.promotion.pipeline import PromotionFrames

__all__ = ["Period", "ReportConfig", "ReportInputs", "parse_period", "read_report_inputs", "report_inputs"]

T = TypeVar("T")

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


#: Years a reporting period may name.
MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_period(text: str) -> Period:
    """``2025`` → the year, ``2025Q3`` → July–September, ``2025-09`` → September 2025."""
    s = text.strip().upper()
    y4 = re.fullmatch(r"([0-9]{4}).*", s)
    if y4 is None or not MIN_YEAR <= int(y4[1]) <= MAX_YEAR:
        raise ValidationError.single("--period", f"expected a year {MIN_YEAR}–{MAX_YEAR}, a quarter (2025Q3) or a "
                                     "month (2025-09) (报告期格式：2025、2025Q3 或 2025-09)", value=text, column="period")
    if m := re.fullmatch(r"([0-9]{4})", s):
        y = int(m[1])
        return Period("year", dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y}")
    if m := re.fullmatch(r"([0-9]{4})Q([1-4])", s):
        y, q = int(m[1]), int(m[2])
        last = 3 * q
        return Period("quarter", dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1]), f"{y}Q{q}")
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", s):
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


#: The ledger's kinds that enter the report's fingerprint (what its figures are computed from).
LEDGER_KINDS = ("projects", "stage_events", "project_funds", "promotion_events")


def _ledger_digest(ledger: PromotionFrames) -> str:
    h = hashlib.sha256()
    for kind in LEDGER_KINDS:
        f = ledger.frames.get(kind)
        if f is None:
            continue
        h.update(f"{kind}:{len(f)}\n".encode())
        if len(f):
            h.update(f.astype("string").fillna("\x00").to_csv(index=False, lineterminator="\n").encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """The inputs bundle and the promotion ledger read with it (see the module docstring)."""

    inputs: Inputs
    ledger: PromotionFrames | None = None
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def once(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` at most once per report inputs (values this report's requests use
        alone, e.g. an open DuckDB connection; values safe to share across requests are
        memoised on the bundle, ``Inputs._once``)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)  # type: ignore[no-any-return]

    def fingerprint(self, config: ReportConfig) -> Fingerprint:
        """The report's fingerprint: data version, registry digest (promotion ledger
        included), firm data and the report configuration."""
        reg = self.inputs.registry_digest()
        if self.ledger is not None:
            ledger = self.ledger
            digest = self.once("ledger_digest", lambda: _ledger_digest(ledger))
            reg = hashlib.sha256(f"{reg}|{digest}".encode()).hexdigest()[:16]
        return Fingerprint(self.inputs.data_version, reg, self.inputs.firm_version(), config.hash())

    def promotion(self) -> PromotionFrames | None:
        """The promotion ledger, or None when it holds no project."""
        if self.ledger is None or not len(self.ledger["projects"]):
            return None
        return self.ledger


def _stored_ledger(session: Session) -> PromotionFrames | None:
    """The promotion ledger of the database (:func:`parklink.promotion.service.ledger`), None
    when its tables do not exist (a database older than the promotion migration)."""
    from sqlalchemy import inspect

    from parklink.promotion.service import ledger
    from parklink.store.models_promotion import Project

    if not inspect(session.connection()).has_table(Project.__tablename__):
        return None
    return ledger(session)


def report_inputs(inputs: Inputs, session: Session | None = None) -> ReportInputs:
    """The report inputs of a bundle: with ``session`` (the same transaction as the bundle)
    the stored promotion ledger; without, for the embedded source, the bundle's own
    ledger (``Inputs.promotion()``, the seeded synthetic pipeline) when it has one."""
    if session is not None and not inputs.embedded:
        return ReportInputs(inputs, _stored_ledger(session))
    own = getattr(inputs, "promotion", None)  # the embedded pipeline of the promotion data model
    return ReportInputs(inputs, own() if callable(own) else None)


def read_report_inputs(url: str | None = None, *, firm_root: Path | None = None) -> ReportInputs:
    """The bundle of the database ``url`` (:func:`parklink.inputs.read_inputs`, same fallback
    to the embedded dataset) and its promotion ledger, read in one transaction."""
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

            return report_inputs(embedded_inputs(firm_root=firm_root))
    try:
        with session_scope(resolved) as session:
            bundle = session_inputs(session, firm_root=firm_root)
            return report_inputs(bundle, session)
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot read the database {redact(resolved)} (数据库无法读取; run 'parklink db init'): "
                          f"{type(exc).__name__}") from None
