"""store/history.py: canonical text, field diffs, entries, versions of re-created records."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from parklink.store import models as m
from parklink.store.db import session_scope, upgrade
from parklink.store.history import (
    ChangeSet,
    FieldChange,
    RecordChange,
    canonical_row,
    canonical_text,
    diff_rows,
    next_row_version,
    read_history,
    record,
    typed_value,
)


@pytest.mark.parametrize(
    ("col_type", "value", "expected"),
    [
        ("float", 104.06, "104.06"),
        ("float", float("104.0600"), "104.06"),
        ("float", np.float64(3.0), "3.0"),
        ("float", pd.NA, None),
        ("float", float("nan"), None),
        ("float", -0.0, "0.0"),
        ("int", np.int64(2020), "2020"),
        ("int", 12.0, "12"),
        ("bool", np.bool_(True), "true"),
        ("bool", False, "false"),
        ("date", dt.date(2020, 3, 24), "2020-03-24"),
        ("date", pd.Timestamp("2020-03-24").to_pydatetime(), "2020-03-24"),
        ("list", "auto; electronics", "auto;electronics"),
        ("list", ["auto", "moto"], "auto;moto"),
        ("list", [], None),
        ("list", pd.NA, None),
        ("str", "", None),
        ("str", "两江新区", "两江新区"),
        ("str", None, None),
    ],
)
def test_canonical_text(col_type: str, value: object, expected: str | None) -> None:
    assert canonical_text(col_type, value) == expected


@pytest.mark.parametrize(("col_type", "text"), [("float", "104.06"), ("int", "7"), ("bool", "false"),
                                                 ("date", "2021-01-02"), ("str", "x")])
def test_typed_value_inverts_canonical_text(col_type: str, text: str) -> None:
    assert canonical_text(col_type, typed_value(col_type, text)) == text


def test_rows_from_a_file_and_from_the_api_compare_equal() -> None:
    """A read_frame-style record (';'-joined, pandas NA) and a web row (Python lists, None)
    of the same park are equal; one changed field is the only difference."""
    stored = {"park_id": "p", "area_km2": 10.5, "area_types": "adjacent;transport_node",
              "focus_chains": pd.NA, "location_approximate": np.bool_(False), "industries": None}
    web = {"park_id": "p", "area_km2": 10.50, "area_types": ["adjacent", "transport_node"],
           "focus_chains": [], "location_approximate": False, "industries": ""}
    assert diff_rows(canonical_row("parks", stored), canonical_row("parks", web)) == []
    web["area_types"] = ["transport_node", "adjacent"]  # order is data
    assert diff_rows(canonical_row("parks", stored), canonical_row("parks", web)) == [
        FieldChange("area_types", "adjacent;transport_node", "transport_node;adjacent")]
    designation = canonical_row("designations", {"designation_id": "d", "revoked_year": np.int64(2024)})
    assert designation == {"designation_id": "d", "revoked_year": "2024"}


def test_record_and_read_history(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    old = {"year": "2030", "cumulative_parks": "40", "note": None, "source_url": "s", "confidence": "likely"}
    new = {**old, "cumulative_parks": "45", "note": "raised", "confidence": "confirmed"}
    cs = ChangeSet("tester", "test")
    with session_scope(sqlite_url) as s:
        assert next_row_version(s, "targets", 2030) == 1
        n = record(s, cs, [RecordChange.between("targets", 2030, None, old, row_version=1),
                           RecordChange.between("targets", 2030, old, new, row_version=2),
                           RecordChange.between("targets", 2030, new, new, row_version=3),  # no change
                           RecordChange.between("targets", 2030, new, None, row_version=2)])
        assert n == 1 + 3 + 1
    with session_scope(sqlite_url) as s:
        entries = read_history(s, "targets", "2030")
        assert next_row_version(s, "targets", "2030") == 3
        assert s.query(m.HistoryEntry).count() == 5
    assert [(e["action"], e["field"]) for e in entries] == [
        ("delete", None), ("update", "confidence"), ("update", "note"), ("update", "cumulative_parks"),
        ("insert", None)]
    assert json.loads(entries[-1]["new"]) == old and json.loads(entries[0]["old"]) == new
    assert {e["change_set"] for e in entries} == {cs.id}
    assert entries[1]["source_url"] == "s" and entries[1]["confidence"] == "confirmed"
    assert dt.datetime.fromisoformat(entries[0]["at"]).utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="unknown kind"), session_scope(sqlite_url) as s:
        read_history(s, "planets", "x")
