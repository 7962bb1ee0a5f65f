"""THE input path: the programme state every analysis reads, as one frozen bundle.

Every entry point — CLI commands (``evaluate``, ``designate``, ``chains``, ``route``,
``access``, ``sites``), the web pages, the API jobs and ``parklink plan`` — obtains its
inputs from :func:`read_inputs` (a database URL) or :func:`session_inputs` (an open
session, the web layer), and nothing else opens its own path to the registry tables.

The bundle (:class:`Inputs`) holds

* the registry frames by kind (:data:`parklink.store.io.LOAD_ORDER`: regions, zones with
  their member districts as the store gives them, parks, designations, targets, transport
  nodes, **imported transport links**, chain segments, enterprises) in the canonical
  columns of :mod:`parklink.tables`;
* the firm-level dataset (:class:`parklink.firmdata.FirmDataset`) when it exists;
* where the data came from (``source``: ``database`` or ``embedded``), a bilingual note,
  and the data version: ``db:<n>`` (:func:`parklink.store.version.data_version`, bumped by
  every write) or ``embedded:<digest>``;
* derived inputs computed once per bundle and shared by all analyses: the multimodal
  network (approximate network with the imported links replacing the modes they cover),
  network travel times, scope frames of the chain engine.

Fallback rule (the only one): when the database holds no regions and no parks — it is
empty, or the *default* database has not been created yet — the embedded Chengdu–Chongqing
dataset is used and the bundle says so (``source == "embedded"``, :attr:`Inputs.note`). An
explicitly given database that cannot be opened is an error, never a silent fallback.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pandas as pd

from parklink.firmdata import FirmDataset
from parklink.tables import SCHEMAS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from parklink.chains.scope import ScopeFrames
    from parklink.evaluate.location import TravelTime
    from parklink.logistics.network import Network
    from parklink.logistics.params import Parameters
    from parklink.promotion.pipeline import PromotionFrames

__all__ = ["KINDS", "Inputs", "embedded_inputs", "read_inputs", "session_inputs"]

#: Registry kinds in the bundle (foreign-key order of the store).
KINDS: tuple[str, ...] = (
    "regions", "zones", "parks", "designations", "targets", "transport_nodes", "transport_links",
    "chain_segments", "enterprises",
)
#: The promotion ledger's kinds (read with the registry; not in :data:`KINDS`, so they do not
#: enter the registry digest of the other analyses).
PROMOTION_KINDS: tuple[str, ...] = (
    "promotion_plans", "plan_goals", "plan_targets", "promotion_events", "projects", "stage_events",
    "project_funds",
)
Source = Literal["database", "embedded"]
SOURCE_NOTES: dict[str, tuple[str, str]] = {
    "database": ("数据库", "database"),
    "embedded": ("内置成渝数据集（数据库为空）",
                 "embedded Chengdu–Chongqing dataset (the database is empty; run `parklink db init`)"),
}
T = TypeVar("T")


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in SCHEMAS[kind].columns})


def _digest(frames: Mapping[str, pd.DataFrame]) -> str:
    """A content digest of the frames (kind, columns and every cell as text)."""
    h = hashlib.sha256()
    for kind in sorted(frames):
        frame = frames[kind]
        h.update(f"{kind}:{','.join(map(str, frame.columns))}:{len(frame)}\n".encode())
        if len(frame):
            text = frame.astype("string").fillna("\x00").to_csv(index=False, lineterminator="\n")
            h.update(text.encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Inputs:
    """The programme state one analysis reads (see the module docstring); immutable."""

    frames: Mapping[str, pd.DataFrame]
    source: Source
    data_version: str
    database: str
    firms: FirmDataset | None = None
    #: reads the promotion ledger's frames from the bundle's database on first use (None:
    #: embedded source or a database without them; see :meth:`promotion`)
    promotion_loader: Callable[[], Mapping[str, pd.DataFrame]] | None = None
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------------ identity
    @property
    def note(self) -> str:
        """Bilingual statement of where the data came from."""
        zh, en = SOURCE_NOTES[self.source]
        return f"{zh} {en}"

    @property
    def embedded(self) -> bool:
        """True when the embedded dataset stands in for an empty database."""
        return self.source == "embedded"

    def registry_digest(self) -> str:
        """Content digest of the registry frames (16 hex digits)."""
        return self._once("digest", lambda: _digest(self.frames))

    def firm_version(self) -> str:
        """Fingerprint of the firm-level dataset's files, ``"absent"`` without one."""
        return self.firms.version() if self.firms is not None else "absent"

    # ------------------------------------------------------------------ frames
    def frame(self, kind: str) -> pd.DataFrame:
        """The registry frame of ``kind`` (canonical columns; do not modify it in place)."""
        return self.frames[kind]

    def transport_links(self) -> pd.DataFrame | None:
        """Imported transport links, or None when none were imported."""
        links = self.frames.get("transport_links")
        return links if links is not None and len(links) else None

    def chain_template(self) -> pd.DataFrame | None:
        """The registry's chain-segment template, or None when empty (the engine's default)."""
        tpl = self.frames.get("chain_segments")
        return tpl if tpl is not None and not tpl.empty else None

    def require_firms(self) -> FirmDataset:
        """The firm-level dataset, or NotFoundError saying how to create it."""
        if self.firms is None:
            from parklink.errors import NotFoundError

            raise NotFoundError("no firm-level dataset (企业数据不存在); run 'parklink db init --firms' or "
                                "'parklink generate'")
        return self.firms.require()

    # ------------------------------------------------------------------ derived inputs
    def _once(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)  # type: ignore[no-any-return]

    def boundaries(self) -> dict[str, Any]:
        """District polygons (GeoJSON dict) of the embedded dataset, for network connectors."""
        from parklink.datasets import chengyu

        return self._once("boundaries", chengyu.boundaries)

    def network(self, params: Parameters | None = None) -> Network:
        """The multimodal network: the approximate network of regions, parks and transport
        nodes, with the imported transport links replacing the modes they cover
        (:func:`parklink.logistics.plan.network_from_frames`). Computed once per bundle."""
        from parklink.logistics.params import DEFAULT_PARAMETERS
        from parklink.logistics.plan import network_from_frames

        p = params or DEFAULT_PARAMETERS
        return self._once(("network", id(p)), lambda: network_from_frames(
            regions=self.frame("regions"), parks=self.frame("parks"),
            transport_nodes=self.frame("transport_nodes"), boundaries=self.boundaries(),
            transport_links=self.transport_links(), params=p))

    def travel_time(self, source: str = "network") -> TravelTime:
        """Point-to-point travel time (hours): ``network`` — over :meth:`network`
        (:func:`parklink.logistics.skim.network_travel_time`, container profile);
        ``geodesic`` — straight line × 1.3 at 60 km/h
        (:func:`parklink.evaluate.location.geodesic_travel_time`)."""
        if source == "geodesic":
            from parklink.evaluate.location import geodesic_travel_time

            return geodesic_travel_time
        if source != "network":
            from parklink.errors import ValidationError

            raise ValidationError.single("travel_time", "unknown travel-time source; expected network or geodesic",
                                         value=source)
        from parklink.logistics.skim import network_travel_time

        return self._once("travel_time", lambda: network_travel_time(self.network()))

    def scope_frames(self) -> ScopeFrames:
        """Regions, zones, parks and designations for scope resolution of the chain engine."""
        from parklink.chains.scope import ScopeFrames

        return self._once("scopes", lambda: ScopeFrames.from_frames(self.frames))

    def promotion(self) -> PromotionFrames:
        """The investment-promotion ledger with the registry frames that group it: the
        database's (empty when it has none), or for the embedded source the seeded synthetic
        pipeline and the sourced real projects of :mod:`parklink.promotion.synthetic`."""
        from parklink.promotion.pipeline import frames_of
        from parklink.promotion.synthetic import default_frames

        def compute() -> PromotionFrames:
            registry = {k: self.frames[k] for k in ("parks", "designations", "zones", "regions")}
            if self.promotion_loader is not None:
                return frames_of(self.promotion_loader(), registry)
            if self.embedded:
                return frames_of(default_frames(self.frames), registry)
            return frames_of({k: _empty(k) for k in PROMOTION_KINDS}, registry)

        return self._once("promotion", compute)

    def firm_population(self, *, n_firms: int = 20_000) -> tuple[pd.DataFrame | None, bool]:
        """Firms for the logistics analyses (``enterprise_id, province, lon, lat, chain,
        output_cny_m, synthetic``) and whether they are synthetic: the firm-level dataset
        when present, else a seeded synthetic population (settings seed)."""
        from parklink.logistics.plan import FIRM_COLUMNS

        def compute() -> tuple[pd.DataFrame | None, bool]:
            if self.firms is not None and self.firms.firms_path.is_file():
                firms = pd.read_parquet(self.firms.firms_path, columns=list(FIRM_COLUMNS))
                return firms, bool(firms["synthetic"].fillna(True).astype(bool).any())
            if not len(self.frame("regions")):
                return None, True
            from parklink.datasets import chengyu
            from parklink.datasets import synthetic as syn
            from parklink.settings import get_settings

            firms = syn.generate_firms(self.frame("regions"), chengyu.load("chain_segments"), n_firms=n_firms,
                                       seed=get_settings().seed, parks=self.frame("parks"))
            return firms, True

        return self._once(("firm_population", n_firms), compute)

    def enterprises(self, *, synthetic_firms: bool = False) -> pd.DataFrame:
        """The registry's enterprises; with ``synthetic_firms`` the firm-level population
        is appended (ValidationError when the firm dataset is missing)."""
        ent = self.frame("enterprises")
        if not synthetic_firms:
            return ent
        if self.firms is None or not self.firms.firms_path.is_file():
            from parklink.errors import ValidationError

            path = self.firms.firms_path if self.firms is not None else FirmDataset.default().firms_path
            raise ValidationError.single(str(path), "synthetic firm dataset not found; run `parklink db init --firms` first")
        firms = pd.read_parquet(self.firms.firms_path)
        return pd.concat([ent, firms], ignore_index=True).drop_duplicates("enterprise_id")


def _firms(firm_root: Path | None) -> FirmDataset | None:
    ds = FirmDataset(firm_root) if firm_root is not None else FirmDataset.default()
    return ds if ds.exists() else None


def embedded_inputs(*, firm_root: Path | None = None) -> Inputs:
    """The embedded Chengdu–Chongqing dataset as a bundle (``source == "embedded"``)."""
    from parklink.datasets import chengyu

    have = set(chengyu.available_kinds())
    frames = {k: chengyu.load(k) if k in have else _empty(k) for k in KINDS}
    return Inputs(MappingProxyType(frames), "embedded", f"embedded:{_digest(frames)}", "embedded",
                  _firms(firm_root))


def session_inputs(session: Session, *, firm_root: Path | None = None) -> Inputs:
    """The bundle read in ``session`` (one transaction: frames and data version agree);
    the embedded dataset when the database holds no regions and no parks."""
    from sqlalchemy import func, inspect, select

    from parklink.store import models as m
    from parklink.store.db import redact
    from parklink.store.io import read_frame
    from parklink.store.version import data_version

    if not inspect(session.connection()).has_table(m.Region.__tablename__):
        return embedded_inputs(firm_root=firm_root)  # schema not created yet: an empty database
    n = (session.scalar(select(func.count()).select_from(m.Region)) or 0) + (
        session.scalar(select(func.count()).select_from(m.Park)) or 0)
    if not n:
        return embedded_inputs(firm_root=firm_root)
    version = data_version(session)
    frames = {k: read_frame(session, k) for k in KINDS}
    # the store's extra column of designations: the year a designation ended (None = active)
    revoked = {d: r for d, r in session.execute(select(m.Designation.designation_id, m.Designation.revoked_year))}
    des = frames["designations"]
    frames["designations"] = des.assign(revoked_year=des["designation_id"].map(revoked).astype("Float64"))
    url = redact(str(session.get_bind().engine.url.render_as_string(hide_password=False)))
    loader = (_promotion_loader(session.get_bind())
              if inspect(session.connection()).has_table(m.Project.__tablename__) else None)
    return Inputs(MappingProxyType(frames), "database", f"db:{version}", url, _firms(firm_root), loader)


def _promotion_loader(bind: Any) -> Callable[[], Mapping[str, pd.DataFrame]]:
    """Read the promotion ledger from ``bind`` (an engine or connection's engine) when first
    asked: most analyses never need it, and it is the largest part of the registry."""
    def load() -> Mapping[str, pd.DataFrame]:
        from sqlalchemy.orm import Session

        from parklink.store.io import read_frame

        with Session(bind=getattr(bind, "engine", bind)) as session:
            return MappingProxyType({k: read_frame(session, k) for k in PROMOTION_KINDS})

    return load


def read_inputs(url: str | None = None, *, firm_root: Path | None = None) -> Inputs:
    """The bundle of the database ``url`` (default: the configured one) and the firm dataset
    under ``firm_root`` (default: ``PARKLINK_DATA_DIR/firms``).

    Falls back to the embedded dataset when the database is empty (no regions and no parks,
    or no tables yet), or when no ``url`` was given and the default SQLite file does not
    exist; a database that cannot be read raises ConfigError.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from parklink.errors import ConfigError
    from parklink.store.db import database_url, redact, session_scope

    resolved = database_url(url)
    if url is None:
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            return embedded_inputs(firm_root=firm_root)  # the default database was never created
    try:
        with session_scope(resolved) as session:
            return session_inputs(session, firm_root=firm_root)
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot read the database {redact(resolved)} (数据库无法读取; run 'parklink db init'): "
                          f"{type(exc).__name__}") from None

