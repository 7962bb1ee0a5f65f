"""The schema: migrations, constraints and frame round trips, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import IntegrityError

from parklink.errors import ValidationError
from parklink.store import models as m
from parklink.store.db import current_revision, get_engine, head_revision, session_scope, upgrade
from parklink.store.io import LOAD_ORDER, count_rows, key_values, read_frame, write_frame
from parklink.testing import assert_frames_equivalent, tiny_registry


def load_tiny(url: str) -> dict[str, pd.DataFrame]:
    frames = tiny_registry()
    upgrade(url)
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return frames


def test_migrations_create_every_model_table(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade(db_url) == head_revision()
    tables = set(inspect(get_engine(db_url)).get_table_names())
    expected = {t.name for t in m.Base.metadata.sorted_tables}
    assert expected <= tables
    # Idempotent: a second upgrade changes nothing.
    assert upgrade(db_url) == head_revision()


def test_migration_matches_models(db_url: str) -> None:
    """Autogenerate finds no difference between the migrated schema and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []


@pytest.mark.parametrize("kind", LOAD_ORDER)
def test_frame_round_trip(db_url: str, kind: str) -> None:
    frames = load_tiny(db_url)
    with session_scope(db_url) as s:
        back = read_frame(s, kind)
    assert_frames_equivalent(back, frames[kind], kind)


def test_list_order_is_preserved(db_url: str) -> None:
    load_tiny(db_url)
    with session_scope(db_url) as s:
        zones = read_frame(s, "zones").set_index("zone_id")
        # written as "510112;500112": the order survives although it is not sorted
        assert zones.loc["test-platform", "members"] == "510112;500112"
        segs = read_frame(s, "chain_segments").set_index("segment_id")
        assert segs.loc["auto.castings", "gbt4754"] == "3391:E;3392:E"


def test_counts_and_key_values(db_url: str) -> None:
    load_tiny(db_url)
    with session_scope(db_url) as s:
        counts = count_rows(s)
        assert counts["regions"] == 5
        assert counts["parks"] == 3
        assert key_values(s, "regions", "adcode") >= {"510112", "500112"}


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        # level outside the enum
        ("INSERT INTO region (adcode, name_zh, name_en, level, province, seat_approximate, confidence)"
         " VALUES (:a, 'x', 'x', 'planet', 'SC', false, 'likely')", {"a": "510199"}),
        # province outside the enum
        ("INSERT INTO region (adcode, name_zh, name_en, level, province, seat_approximate, confidence)"
         " VALUES (:a, 'x', 'x', 'district', 'BJ', false, 'likely')", {"a": "510199"}),
        # adcode of wrong length
        ("INSERT INTO region (adcode, name_zh, name_en, level, province, seat_approximate, confidence)"
         " VALUES (:a, 'x', 'x', 'district', 'SC', false, 'likely')", {"a": "5101"}),
        # latitude outside the check range
        ("INSERT INTO park (park_id, name_zh, name_en, province, adcode, lon, lat, location_approximate,"
         " level, kind, confidence) VALUES (:a, 'x', 'x', 'SC', '510112', 104.0, 60.0, false, 'other',"
         " 'other', 'likely')", {"a": "p-x"}),
        # unknown region (foreign key)
        ("INSERT INTO park (park_id, name_zh, name_en, province, adcode, lon, lat, location_approximate,"
         " level, kind, confidence) VALUES (:a, 'x', 'x', 'SC', '519999', 104.0, 30.0, false, 'other',"
         " 'other', 'likely')", {"a": "p-y"}),
        # duplicate primary key
        ("INSERT INTO park (park_id, name_zh, name_en, province, adcode, lon, lat, location_approximate,"
         " level, kind, confidence) VALUES (:a, 'x', 'x', 'SC', '510112', 104.0, 30.0, false, 'other',"
         " 'other', 'likely')", {"a": "sc-a"}),
        # negative count
        ("INSERT INTO target (year, cumulative_parks, confidence) VALUES (:a, -1, 'likely')", {"a": 2030}),
        # confidence outside the enum
        ("INSERT INTO target (year, cumulative_parks, confidence) VALUES (:a, 3, 'sure')", {"a": 2031}),
        # segment linked to itself
        ("INSERT INTO segment_link (to_segment, from_segment, position) VALUES (:a, :a, 0)",
         {"a": "auto.castings"}),
    ],
)
def test_constraints_reject_bad_rows(db_url: str, statement: str, params: dict[str, object]) -> None:
    load_tiny(db_url)
    with pytest.raises(IntegrityError), get_engine(db_url).begin() as conn:
        conn.execute(text(statement), params)


def test_write_frame_violation_is_a_validation_error_and_writes_nothing(db_url: str) -> None:
    load_tiny(db_url)
    bad = tiny_registry()["parks"].copy()
    bad["park_id"] = ["new-1", "new-2", "new-3"]
    bad.loc[2, "adcode"] = "519999"  # unknown region
    with pytest.raises(ValidationError, match="rejected by the database"), session_scope(db_url) as s:
        write_frame(s, "parks", bad, source="parks.csv")
    with session_scope(db_url) as s:
        assert count_rows(s, ["parks"])["parks"] == 3


def test_replace_refuses_when_rows_are_referenced(db_url: str) -> None:
    frames = load_tiny(db_url)
    with pytest.raises(ValidationError, match="other records still refer"), session_scope(db_url) as s:
        write_frame(s, "regions", frames["regions"], mode="replace")
    with session_scope(db_url) as s:
        assert count_rows(s, ["regions"])["regions"] == 5


def test_replace_swaps_rows(db_url: str) -> None:
    frames = load_tiny(db_url)
    new_targets = frames["targets"].copy()
    new_targets["cumulative_parks"] = [11, 16, 21]
    with session_scope(db_url) as s:
        write_frame(s, "targets", new_targets, mode="replace")
    with session_scope(db_url) as s:
        assert list(read_frame(s, "targets")["cumulative_parks"]) == [11, 16, 21]


def test_designation_history_check(db_url: str) -> None:
    load_tiny(db_url)
    with pytest.raises(IntegrityError), session_scope(db_url) as s:
        s.execute(
            insert(m.Designation),
            [{"designation_id": "x", "batch": 2, "year": 2022, "announced": dt.date(2023, 3, 24),
              "unknown_members": 0, "mode": "unknown", "confidence": "likely", "revoked_year": 2021}],
        )


def test_downgrade_and_upgrade_again(db_url: str) -> None:
    """Every revision after the first can be rolled back and re-applied with the data kept."""
    from alembic import command

    from parklink.store.db import alembic_config

    load_tiny(db_url)
    command.downgrade(alembic_config(db_url), "0001")
    assert current_revision(db_url) == "0001"
    assert upgrade(db_url) == head_revision()
    with session_scope(db_url) as s:
        assert count_rows(s, ["parks"])["parks"] == 3
