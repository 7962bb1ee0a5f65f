"""Writing the synthetic SME default into the registry (through the generic change path)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from parklink.ingest.changes import apply_changes
from parklink.tables import SME_KINDS


def write_sme_frames(session: Any, frames: dict[str, pd.DataFrame], *, actor: str,
                     label: str = "synthetic SME default") -> dict[str, int]:
    """Upsert the canonical frames of the SME kinds in one transaction (the caller's), with
    history entries naming ``actor``; returns rows written per kind."""
    out: dict[str, int] = {}
    for kind in SME_KINDS:
        frame = frames.get(kind)
        if frame is None or frame.empty:
            continue
        preview = apply_changes(session, kind, frame.reset_index(drop=True), list(range(2, len(frame) + 2)),
                                file=f"<{label}: {kind}>", mode="upsert", actor=actor)
        out[kind] = preview.rows_written
    return out
