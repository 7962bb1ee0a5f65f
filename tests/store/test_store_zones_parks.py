"""Partial zone members, member notes, parent parks (child rows before parents), stated
zones and shared points survive a store round trip on SQLite and PostgreSQL; bad rows are
refused naming row and column, with nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from parklink.errors import ValidationError
from parklink.store.db import head_revision, session_scope, upgrade
from parklink.store.io import COCON_KINDS, LOAD_ORDER, count_rows, read_frame, write_frame
from parklink.testing import assert_frames_equivalent, tiny_registry


def _frames() -> dict[str, pd.DataFrame]:
    frames = tiny_registry()
    zones = frames["zones"].copy()
    zones.loc[zones["zone_id"] == "test-platform", ["members", "partial_members", "member_notes"]] = [
        "510112", "500112", "500112: two towns only"]
    parks = frames["parks"].copy()
    # the child comes first in the file: the store inserts the parent before it
    parks.loc[parks["park_id"] == "sc-a", "parent_park_id"] = "cq-c"
    parks.loc[parks["park_id"] == "cq-c", "parent_park_id"] = "cq-b"
    parks.loc[parks["park_id"] == "cq-b", ["stated_zones", "shared_point"]] = ["test-platform", True]
    frames["zones"], frames["parks"] = zones, parks
    return frames


def _load(url: str, frames: dict[str, pd.DataFrame]) -> None:
    upgrade(url)
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])


def test_round_trip_of_the_new_columns(db_url: str) -> None:
    frames = _frames()
    _load(db_url, frames)
    with session_scope(db_url) as s:
        zones, parks = read_frame(s, "zones"), read_frame(s, "parks")
    assert_frames_equivalent(zones, frames["zones"], "zones")
    assert_frames_equivalent(parks, frames["parks"], "parks")
    z = zones.set_index("zone_id").loc["test-platform"]
    assert (z["members"], z["partial_members"], z["member_notes"]) == ("510112", "500112", "500112: two towns only")
    p = parks.set_index("park_id")
    assert p.loc["sc-a", "parent_park_id"] == "cq-c" and p.loc["cq-b", "stated_zones"] == "test-platform"


@pytest.mark.parametrize(
    ("kind", "column", "change"),
    [
        ("parks", "parent_park_id", {"cq-b": "cq-c", "cq-c": "cq-b"}),  # a cycle
        ("parks", "parent_park_id", {"cq-b": "cq-b"}),  # its own parent
        ("zones", "partial_members", {"test-platform": "510112"}),  # whole and partial
        ("zones", "member_notes", {"core-cq": "510112: not a member"}),
    ],
)
def test_bad_rows_are_refused_and_nothing_written(db_url: str, kind: str, column: str, change: dict[str, str]) -> None:
    frames = tiny_registry()
    upgrade(db_url)
    key = "park_id" if kind == "parks" else "zone_id"
    bad = frames[kind].copy()
    for k, v in change.items():
        bad.loc[bad[key] == k, column] = v
    frames[kind] = bad
    with pytest.raises(ValidationError) as err, session_scope(db_url) as s:
        for k in LOAD_ORDER:
            write_frame(s, k, frames[k], source=f"{k}.csv")
    problem = err.value.problems[0]
    assert problem.file == f"{kind}.csv" and problem.column == column and problem.row is not None
    with session_scope(db_url) as s:
        assert sum(count_rows(s).values()) == 0


def test_migration_0005_down_and_up_keeps_every_row(db_url: str) -> None:
    """Rebuilding the park table (SQLite batch mode) neither cascades nor loses dependent rows."""
    from alembic import command

    from parklink.store.db import alembic_config

    frames = _frames()
    _load(db_url, frames)
    with session_scope(db_url) as s:
        before = {k: read_frame(s, k) for k in LOAD_ORDER}
    command.downgrade(alembic_config(db_url), "0003")
    assert upgrade(db_url) == head_revision()
    with session_scope(db_url) as s:
        after = {k: read_frame(s, k) for k in LOAD_ORDER}
    new = {"zones": ["partial_members", "member_notes"], "parks": ["parent_park_id", "shared_point", "stated_zones"]}
    later = {"monitoring_indicators", "indicator_values"}  # tables of migration 0010: the downgrade drops them
    for kind in LOAD_ORDER:
        if kind in COCON_KINDS or kind in later:  # tables of migrations 0008/0010: dropped below, empty after
            assert after[kind].empty
            continue
        drop = new.get(kind, [])
        pd.testing.assert_frame_equal(after[kind].drop(columns=drop), before[kind].drop(columns=drop))
        assert after[kind][drop].isna().all().all()
