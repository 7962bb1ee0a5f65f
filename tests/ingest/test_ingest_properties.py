"""Property tests: random valid tables of every kind survive write -> read -> validate in every
format unchanged; a random corruption of one cell is reported at that row and column."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parklink.errors import ValidationError
from parklink.ingest import ProvinceArea, validate_file
from parklink.ingest.writers import python_value, write_frame_file
from parklink.tables import SCHEMAS, Column, TableSchema

# Letters, digits, CJK and punctuation; no ';' (list separator), no control characters.
_ALPHABET = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters=";\u3000"
)
_TEXT = st.text(_ALPHABET, min_size=1, max_size=12).map(str.strip).filter(bool)
_TOKEN = st.from_regex(r"[a-z0-9_.-]{1,10}", fullmatch=True)


def _value(col: Column) -> st.SearchStrategy[Any]:
    if col.list_sum is not None:  # shares adding up to the declared total
        return st.sampled_from(["100", "50;50", "60;40", "30;30;40"])
    if col.type == "int":
        lo = int(col.minimum) if col.minimum is not None else -(10**12)
        hi = int(col.maximum) if col.maximum is not None else 10**12
        if col.not_future:
            hi = min(hi, dt.date.today().year)
        return st.integers(lo, hi)
    if col.type == "float":
        lo = col.minimum if col.minimum is not None else -1e12
        hi = col.maximum if col.maximum is not None else 1e12
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if col.type == "bool":
        return st.booleans()
    if col.type == "date":
        return st.dates(dt.date(1950, 1, 1),
                        dt.date.today() if col.not_future else dt.date(2100, 12, 31))
    if col.type == "list":
        if col.choices:
            item = st.sampled_from(col.choices)
        elif col.pattern:
            item = st.from_regex(col.pattern, fullmatch=True)
        else:
            item = _TOKEN
        # list elements are unique (gbt4754 by code): a repeated element is a problem
        return st.lists(item, min_size=1, max_size=3,
                        unique_by=lambda e: e.split(":")[0]).map(";".join)
    if col.choices:
        return st.sampled_from(col.choices)
    if col.pattern:
        return st.from_regex(col.pattern, fullmatch=True)
    if col.max_length is not None and col.max_length < 12:
        return st.text(_ALPHABET, min_size=1, max_size=col.max_length).map(str.strip).filter(bool)
    return _TEXT


def _free(schema: TableSchema, col: Column) -> bool:
    """Columns filled freely (references to other rows are left empty)."""
    return col.ref is None


@st.composite
def frames(draw: st.DrawFn, schema: TableSchema) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    cols: dict[str, list[Any]] = {}
    for col in schema.columns:
        if col.ref is not None and not col.required:
            cols[col.name] = [None] * n
            continue
        strategy = _value(col)
        if not col.required:
            strategy = st.none() | strategy
        if col.name in schema.key and len(schema.key) == 1:
            cols[col.name] = draw(st.lists(strategy.filter(lambda v: v is not None),
                                           min_size=n, max_size=n, unique=True))
        else:
            cols[col.name] = [draw(strategy) for _ in range(n)]
    if schema.kind == "regions":  # a seat point is both coordinates or neither
        for i in range(n):
            if cols["seat_lon"][i] is None or cols["seat_lat"][i] is None:
                cols["seat_lon"][i] = cols["seat_lat"][i] = None
    if schema.kind == "transport_links":  # a link joins two different nodes
        cols["to_node"] = [t if t != f else f + "x"
                           for f, t in zip(cols["from_node"], cols["to_node"], strict=True)]
    if schema.kind == "indicator_values":  # the key spells park_id:indicator_id:period
        for c in ("park_id", "indicator_id"):
            cols[c] = [str(v).replace(":", "_") for v in cols[c]]
        cols["value_id"] = [f"{p}:{i}:{per}" for p, i, per in
                            zip(cols["park_id"], cols["indicator_id"], cols["period"], strict=True)]
    frame = pd.DataFrame(cols)
    if schema.kind == "indicator_values":
        frame = frame.drop_duplicates(subset=["value_id"], ignore_index=True)
    if len(schema.key) > 1:
        frame = frame.drop_duplicates(subset=list(schema.key), ignore_index=True)
    return frame


def _python(frame: pd.DataFrame, schema: TableSchema) -> list[list[Any]]:
    return [[python_value(v, c.type) for v in frame[c.name].tolist()] for c in schema.columns]


# kinds whose required columns reference other kinds cannot be validated without a store
# only through the references; refs=None leaves those unchecked, so every kind is usable.
KINDS = list(SCHEMAS)
_BOX = ProvinceArea(box=(-180.0, -90.0, 180.0, 90.0))  # the property is about formats, not places


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_valid_frames_round_trip(kind: str, data: st.DataObject) -> None:
    schema = SCHEMAS[kind]
    frame = data.draw(frames(schema))
    formats = ["csv", "xlsx", "parquet"] + (["geojson"] if schema.geometry else [])
    fmt = data.draw(st.sampled_from(formats))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{fmt}"
        write_frame_file(frame, schema, path)
        checked = validate_file(kind, path, area=_BOX)
    assert _python(checked.frame, schema) == _python(frame, schema)


def _bad_text(col: Column) -> str | None:
    if col.type == "int":
        return "12x"
    if col.type == "float":
        return "1,5"
    if col.type == "bool":
        return "perhaps"
    if col.type == "date":
        return "2021-13-01"
    if col.choices:
        return "not_a_choice" if col.type != "list" else f"{col.choices[0]};not_a_choice"
    if col.pattern:
        return "Bad Value!"
    if col.required:
        return ""
    return None


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_corruption_is_caught_at_its_row(kind: str, data: st.DataObject) -> None:
    schema = SCHEMAS[kind]
    frame = data.draw(frames(schema))
    corruptible = [c for c in schema.columns if _bad_text(c) is not None]
    col = data.draw(st.sampled_from(corruptible))
    i = data.draw(st.integers(0, len(frame) - 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.csv"
        write_frame_file(frame, schema, path)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        rows[i + 1][schema.names.index(col.name)] = _bad_text(col) or ""
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # as exported: with BOM
            csv.writer(fh).writerows(rows)
        with pytest.raises(ValidationError) as info:
            validate_file(kind, path, area=_BOX)
    problems = info.value.problems
    assert {(p.row, p.column) for p in problems} == {(i + 2, col.name)}
