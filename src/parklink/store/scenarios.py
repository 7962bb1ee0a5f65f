"""Named analysis scenarios (parameter sets as JSON) kept in the registry."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from parklink.store import models as m
from parklink.store.db import is_initialised, session_scope


def save_scenario(
    name: str, params_json: str, *, kind: str = "designation", published: bool = False, url: str | None = None
) -> None:
    """Insert or replace the scenario ``name`` (``params_json`` is the scenario's JSON)."""
    with session_scope(url) as session:
        session.merge(m.Scenario(name=name, kind=kind, params_json=params_json, published=published))


def scenario_json(name: str, *, kind: str = "designation", url: str | None = None) -> str | None:
    """The stored JSON of scenario ``name`` of ``kind`` (None when absent or no database)."""
    if not is_initialised(url):
        return None
    with session_scope(url) as session:
        return session.scalar(
            select(m.Scenario.params_json).where(m.Scenario.name == name, m.Scenario.kind == kind)
        )


def list_scenarios(*, url: str | None = None) -> pd.DataFrame:
    """All stored scenarios: name, kind, published, created_at."""
    with session_scope(url) as session:
        rows = session.execute(
            select(m.Scenario.name, m.Scenario.kind, m.Scenario.published, m.Scenario.created_at).order_by(
                m.Scenario.name
            )
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["name", "kind", "published", "created_at"])
