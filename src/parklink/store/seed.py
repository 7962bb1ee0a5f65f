"""Create a database with the embedded default dataset (Chengdu–Chongqing) and its firm data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from parklink.errors import ParklinkError
from parklink.store import models as m
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, ensure_reference_rows, write_frame

#: Size of the default synthetic firm population written by ``parklink db init``.
DEFAULT_FIRMS = 20_000
DEFAULT_TRANSACTIONS = 500_000


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What ``init_default`` did: rows per kind, and whether firm data was generated."""

    revision: str
    rows: dict[str, int]
    created: bool
    firms_generated: bool


def has_data(url: str | None = None) -> bool:
    """True when the registry already holds regions (the dataset was loaded)."""
    with session_scope(url) as session:
        return bool(session.scalar(select(func.count()).select_from(m.Region)))


def init_default(
    url: str | None = None,
    *,
    firm_root: Path | None = None,
    n_firms: int = DEFAULT_FIRMS,
    n_transactions: int = DEFAULT_TRANSACTIONS,
    seed: int = 20200611,
    progress: bool = True,
) -> SeedReport:
    """Upgrade the schema and, if empty, load the embedded dataset; then ensure firm data.

    Loading is one transaction (all or nothing). The synthetic firm dataset (seeded,
    labelled synthetic) is written under ``firm_root`` when it does not exist yet.
    """
    from parklink.datasets import chengyu

    revision = upgrade(url)
    rows: dict[str, int] = {}
    created = False
    if not has_data(url):
        with session_scope(url) as session:
            ensure_reference_rows(session)
            available = set(chengyu.available_kinds())
            for kind in LOAD_ORDER:
                if kind in available:
                    rows[kind] = write_frame(
                        session, kind, chengyu.load(kind), source=f"datasets/chengyu/{kind}.csv"
                    )
            for feature in chengyu.boundaries().get("features", []):
                adcode = str(feature.get("properties", {}).get("adcode", ""))
                session.execute(
                    update(m.Region)
                    .where(m.Region.adcode == adcode)
                    .values(boundary_geojson=json.dumps(feature["geometry"], separators=(",", ":")))
                )
            _seed_promotion(session, rows)
            session.merge(m.Meta(key="dataset", value="chengyu"))
        created = True
    firms_generated = False
    if firm_root is not None:
        from parklink.firmdata import FirmDataset

        if not FirmDataset(firm_root).exists():
            firms_generated = generate_default_firms(
                firm_root, n_firms=n_firms, n_transactions=n_transactions, seed=seed, progress=progress
            )
    return SeedReport(revision, rows, created, firms_generated)


def _seed_promotion(session: Session, rows: dict[str, int]) -> None:
    """Load the embedded default's promotion ledger (the seeded synthetic pipeline, labelled
    synthetic, and the sourced real projects) from the rows just written."""
    from parklink.promotion.synthetic import default_frames
    from parklink.store.io import PROMOTION_ORDER, read_frame

    frames = default_frames({k: read_frame(session, k) for k in ("parks", "designations")})
    for kind in PROMOTION_ORDER:
        if len(frames[kind]):
            rows[kind] = write_frame(session, kind, frames[kind], source="parklink.promotion.synthetic")


def generate_default_firms(
    firm_root: Path, *, n_firms: int, n_transactions: int, seed: int, progress: bool
) -> bool:
    """Write the seeded synthetic firm population and transactions under ``firm_root``."""
    try:
        from parklink.datasets import synthetic
    except ImportError as exc:  # pragma: no cover - packaging error
        raise ParklinkError(f"synthetic generator unavailable: {exc}") from exc
    # overwrite: a partial folder left by an interrupted run is replaced (write_dataset
    # itself renames a complete temporary folder into place, so nothing half-written stays)
    synthetic.write_dataset(
        firm_root,
        n_firms=n_firms,
        n_transactions=n_transactions,
        seed=seed,
        progress=progress,
        overwrite=True,
    )
    return True
