"""Migration 0011: the old ``park_in_park`` rows move into the parks-in-the-park registry
(documented mapping), get a history entry, bump the data version, and the old table is
dropped; the downgrade moves them back. Run on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pandas as pd
from alembic import command
from sqlalchemy import inspect, text

from parklink.store import models as m
from parklink.store.db import alembic_config, get_engine, session_scope, upgrade
from parklink.store.io import LOAD_ORDER, read_frame, write_frame
from parklink.store.version import data_version
from parklink.testing import tiny_registry

MIGRATION = (Path(__file__).parents[2] / "src/parklink/store/migrations/versions/"
             "0011_one_parks_in_park_registry.py")


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mig0011", MIGRATION)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _at_0010_with_old_rows(url: str) -> None:
    assert upgrade(url, "0010") == "0010"
    frames = tiny_registry()
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    with get_engine(url).begin() as conn:
        conn.execute(text(
            "INSERT INTO park_in_park (id, enterprise_id, host_park_id, mode, since_year, source_url, confidence) "
            "VALUES (7, 'E1', 'sc-a', 'headquarters_base', 2021, 'https://example.org/a', 'likely'), "
            "(8, 'E2', 'cq-b', 'terminal_collaboration', NULL, NULL, 'synthetic')"))


def test_upgrade_moves_old_rows_into_the_registry(db_url: str) -> None:
    _at_0010_with_old_rows(db_url)
    with session_scope(db_url) as s:
        before = data_version(s)
    assert upgrade(db_url) == "0011"
    assert "park_in_park" not in inspect(get_engine(db_url)).get_table_names()
    with session_scope(db_url) as s:
        pip = read_frame(s, "parks_in_park").set_index("pip_id")
        assert data_version(s) == before + 1
        hist = s.execute(text("SELECT record_key, action, actor, via, new_value FROM history "
                              "WHERE kind = 'parks_in_park' AND actor = 'migration' ORDER BY record_key")).all()
    assert sorted(pip.index) == ["pip-1", "pip-cq-b-e2", "pip-sc-a-e1"]  # pip-1: the registry's own row
    a = pip.loc["pip-sc-a-e1"]
    assert (a["host_park_id"], a["host_region"], a["mode"], a["start_year"], a["status"]) == \
        ("sc-a", "510112", "hq_base", 2021, "unknown")
    assert (a["leader_ids"], a["leaders"], a["source_url"], a["confidence"]) == \
        ("E1", "甲汽车", "https://example.org/a", "likely")
    assert a["name_zh"] == "甲汽车园中园" and a["note"].endswith("old id 7")
    b = pip.loc["pip-cq-b-e2"]
    assert (b["mode"], b["host_region"], b["confidence"]) == ("terminal_support", "500112", "synthetic")
    assert pd.isna(b["start_year"])
    assert [(h.record_key, h.action, h.via) for h in hist] == [
        ("pip-cq-b-e2", "insert", "migration 0011 from park_in_park"),
        ("pip-sc-a-e1", "insert", "migration 0011 from park_in_park")]
    row = json.loads(hist[1].new_value)
    assert row["mode"] == "hq_base" and row["leader_ids"] == "E1" and row["start_year"] == "2021"
    assert not hasattr(m, "ParkInPark")


def test_downgrade_moves_them_back(sqlite_url: str) -> None:
    _at_0010_with_old_rows(sqlite_url)
    upgrade(sqlite_url)
    command.downgrade(alembic_config(sqlite_url), "0010")
    with get_engine(sqlite_url).connect() as conn:
        old = conn.execute(text("SELECT id, enterprise_id, host_park_id, mode, since_year FROM park_in_park "
                                "ORDER BY id")).all()
        left = conn.execute(text("SELECT pip_id FROM cocon_park_in_park ORDER BY pip_id")).scalars().all()
    assert [tuple(r) for r in old] == [(7, "E1", "sc-a", "headquarters_base", 2021),
                                       (8, "E2", "cq-b", "terminal_collaboration", None)]
    assert left == ["pip-1"]


def test_upgrade_without_old_rows_keeps_the_version(sqlite_url: str) -> None:
    upgrade(sqlite_url, "0010")
    with session_scope(sqlite_url) as s:
        before = data_version(s)
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as s:
        assert data_version(s) == before


def test_new_ids_are_valid_and_unique() -> None:
    mig = _migration()
    assert mig.new_pip_id("sc-a", "E1", 7, set()) == "pip-sc-a-e1"
    assert mig.new_pip_id("sc-a", "E1", 7, {"pip-sc-a-e1"}) == "pip-sc-a-e1-7"
    assert mig.new_pip_id("sc-a", "Firm 甲", 3, set()) == "pip-sc-a-firm--"
    long = mig.new_pip_id("p" * 60, "e" * 20, 12345, {"pip-" + "p" * 60})
    assert len(long) == 64 and long.endswith("-12345")
    assert set(mig.MODE_MAP.values()) == {"hq_base", "rd_transformation", "terminal_support"}
