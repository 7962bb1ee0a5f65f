"""Validate a text table against its declared schema and coerce it to canonical types.

Checks, column by column and vectorised over rows (pandas): missing and unknown columns,
required values, types (int, float, bool incl. 是/否 true/false 1/0 yes/no, ISO dates),
choices, inclusive ranges, regular-expression patterns, list columns element by element,
foreign keys (against the store's keys and, for self references, the file's own rows),
duplicate keys (within the file and against the store), and points outside Sichuan and
Chongqing. Every problem is collected (not just the first) as a
:class:`parklink.errors.Problem` with the spreadsheet row number and the original text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parklink.errors import Problem
from parklink.ingest.geo import ProvinceArea
from parklink.ingest.readers import TextTable
from parklink.ingest.rules import in_future, list_sum_reason, list_sum_violations
from parklink.tables import (
    FORBIDDEN_CHARACTERS,
    FORBIDDEN_CHARACTERS_MULTILINE,
    Column,
    TableSchema,
)

__all__ = [
    "BOOL_VALUES",
    "Checked",
    "canonical_dtypes",
    "reasons",
    "validate_table",
]

BOOL_VALUES: dict[str, bool] = {
    "true": True, "false": False, "1": True, "0": False, "是": True, "否": False,
    "yes": True, "no": False,
}

#: Numbers are ASCII only: ``[0-9]``, never ``\\d`` (which also matches full-width ``１２`` and
#: Arabic-Indic ``١٢`` digits); no hexadecimal, no ``inf``/``nan``, no digit separators.
_INT_RE = r"^[+-]?[0-9]{1,18}(?:\.0*)?$"
_FLOAT_RE = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T]00:00(?::00)?)?$"
#: Longest value text quoted in a problem (longer values are cut with an ellipsis).
SHOWN_CHARS = 200


class reasons:  # noqa: N801 - a namespace of message builders
    """The texts of every problem reason (English with Chinese in brackets)."""

    MISSING_COLUMN = "required column is missing (缺少必填列)"
    REQUIRED = "required value is missing (必填值为空)"
    NOT_INT = "not an integer (不是整数)"
    NOT_NUMBER = "not a number (不是数字)"
    NOT_BOOL = "not a yes/no value: use true/false, 1/0 or 是/否 (不是有效的是/否值)"
    NOT_DATE = "not a date: use YYYY-MM-DD (日期格式应为YYYY-MM-DD)"
    OUTSIDE = "point lies outside Sichuan and Chongqing (坐标不在川渝范围内)"
    HEADER_ONLY = "file has a header but no data rows (只有表头，没有数据行)"
    IN_STORE = "duplicate key: already in the database (与数据库中已有记录重复)"
    CONTROL = ("holds a control character (e.g. NUL, a line break) or another character not "
               "allowed in text (含不允许的控制字符)")
    SELF_REF = "refers to its own row (不能引用本行自身)"
    CYCLE = "the chain of references loops back to this row (引用形成循环)"
    REPEATED = "appears more than once in the list (列表元素重复)"
    FUTURE = "lies in the future (不能晚于当前年份/日期)"

    @staticmethod
    def too_long(max_length: int, length: int) -> str:
        """Text longer than the column allows."""
        return (f"text is {length} characters long; at most {max_length} allowed "
                f"(文本过长，最多{max_length}个字符)")

    @staticmethod
    def same_as(other: str) -> str:
        """Two columns of one row that must differ are equal."""
        return f"must differ from column {other!r} (不能与{other}相同)"

    @staticmethod
    def unknown_column(name: str, known: Collection[str]) -> str:
        """Unknown column, with the closest declared name when there is one."""
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown column (未知列){hint}"

    @staticmethod
    def choice(choices: Collection[str]) -> str:
        """Value outside the allowed set."""
        return f"not one of: {', '.join(choices)} (不在允许值中)"

    @staticmethod
    def below(minimum: float) -> str:
        """Number under the inclusive minimum."""
        return f"below the minimum {minimum:g} (小于最小值)"

    @staticmethod
    def above(maximum: float) -> str:
        """Number over the inclusive maximum."""
        return f"above the maximum {maximum:g} (大于最大值)"

    @staticmethod
    def pattern(pattern: str) -> str:
        """Text not matching the column's regular expression."""
        return f"does not match the pattern {pattern} (格式不符)"

    @staticmethod
    def duplicate(first_row: int) -> str:
        """Second (or later) occurrence of a key within the file."""
        return f"duplicate key: same as row {first_row} (与第{first_row}行重复)"

    @staticmethod
    def unknown_ref(ref: str) -> str:
        """Foreign key with no target."""
        return f"unknown {ref}: not in the database nor in this file (引用的记录不存在)"

    @staticmethod
    def element(element: str, reason: str) -> str:
        """A problem with one element of a ';'-separated list cell."""
        return f"list element {element!r}: {reason}"


def canonical_dtypes(schema: TableSchema) -> dict[str, str]:
    """pandas dtype of each canonical column: str/list/date → object, int → Int64,
    float → float64, bool → boolean."""
    mapping = {"str": "object", "list": "object", "date": "object", "int": "Int64",
               "float": "float64", "bool": "boolean"}
    return {c.name: mapping[c.type] for c in schema.columns}


@dataclass(frozen=True)
class Checked:
    """The result of validation: canonical ``frame`` (schema columns and dtypes), the
    spreadsheet ``rows`` of its rows, and every ``problems`` found (empty when valid)."""

    frame: pd.DataFrame
    rows: np.ndarray[Any, np.dtype[np.int64]]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


class _Collector:
    def __init__(self, file: str, rows: np.ndarray[Any, np.dtype[np.int64]], order: dict[str, int]):
        self.file = file
        self.rows = rows
        self.order = order
        self.items: list[tuple[int, int, Problem]] = []

    def add(self, row: int | None, column: str | None, value: str | None, reason: str) -> None:
        key = (row or 0, self.order.get(column or "", -1))
        if value is not None and len(value) > SHOWN_CHARS:
            value = value[:SHOWN_CHARS] + "…"
        self.items.append((*key, Problem(self.file, row, column, value, reason)))

    def mask(self, mask: np.ndarray[Any, Any] | pd.Series[Any], column: str,
             values: pd.Series[Any], reason: str | pd.Series[Any]) -> None:
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        idx = np.flatnonzero(m)
        vals = values.iloc[idx].tolist()
        texts = (reason.iloc[idx].tolist() if isinstance(reason, pd.Series)
                 else [reason] * len(idx))
        for i, v, r in zip(idx, vals, texts, strict=True):
            self.add(int(self.rows[i]), column, None if _isna(v) else str(v), str(r))

    def sorted(self) -> list[Problem]:
        return [p for *_, p in sorted(self.items, key=lambda t: (t[0], t[1]))]


def _isna(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA


def _strings(s: pd.Series[Any]) -> pa.Array | None:
    """The column as an Arrow string array, or None when a cell cannot be (a lone surrogate)."""
    try:
        return pa.array(s, from_pandas=True, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None


def _fullmatch(s: pd.Series[Any], pattern: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which cells match ``pattern`` in full (missing cells: False). Arrow's RE2 when the
    column converts, else Python's ``re`` with ``re.ASCII`` (the patterns are ASCII-only
    either way: ``[0-9]``, ``[a-z]``)."""
    arr = _strings(s)
    if arr is not None:
        hit = pc.fill_null(pc.match_substring_regex(arr, f"^(?:{pattern})$"), False)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=np.bool_)
    return np.asarray(s.astype(object).str.fullmatch(pattern, flags=re.ASCII)
                      .fillna(False), dtype=np.bool_)


def _cast(s: pd.Series[Any], ok: np.ndarray[Any, Any], typ: pa.DataType,
          strip: str | None = None) -> pa.Array:
    """Arrow cast of the cells where ``ok`` (the others null); ``strip`` removes a regex first."""
    arr = _strings(s.astype(object).where(ok, None))
    if arr is None:  # pragma: no cover - cells that passed the ASCII patterns always convert
        raise AssertionError("unconvertible cell passed a number pattern")
    if strip is not None:
        arr = pc.replace_substring_regex(arr, strip, "")
    return pc.cast(arr, typ)


def _coerce(col: Column, s: pd.Series[Any], present: np.ndarray[Any, Any]
            ) -> tuple[pd.Series[Any], np.ndarray[Any, Any], str]:
    """(typed values, mask of present-but-malformed cells, reason) for one scalar column.

    Numbers must match :data:`_INT_RE` / :data:`_FLOAT_RE` (ASCII digits) before Arrow casts
    them, so Arrow's own leniency (``0x10`` → 16) never applies."""
    n = len(s)
    if col.type == "int":
        ok = _fullmatch(s, _INT_RE) & present
        fast = _cast(s, ok, pa.int64(), strip=r"^\+|\.0*$")
        typed = pd.Series(fast.to_pandas(types_mapper=pd.ArrowDtype), index=s.index).astype("Int64")
        return typed, present & ~ok, reasons.NOT_INT
    if col.type == "float":
        shaped = _fullmatch(s, _FLOAT_RE) & present
        arr = np.asarray(_cast(s, shaped, pa.float64()).to_numpy(zero_copy_only=False),
                         dtype=float)
        ok = shaped & np.isfinite(arr)
        typed = pd.Series(np.where(ok, arr, np.nan), index=s.index, dtype="float64")
        return typed, present & ~ok, reasons.NOT_NUMBER
    if col.type == "bool":
        mapped = s.astype(object).str.lower().map(BOOL_VALUES)
        ok = mapped.notna().to_numpy(dtype=bool)
        return mapped.astype("boolean"), present & ~ok, reasons.NOT_BOOL
    if col.type == "date":
        shaped = _fullmatch(s, _DATE_RE) & present
        parsed = pd.to_datetime(s.astype(object).where(shaped).str.slice(0, 10),
                                format="%Y-%m-%d", errors="coerce")
        ok = parsed.notna().to_numpy(dtype=bool)
        values = [d.date() if okk else None for d, okk in zip(parsed, ok, strict=True)]
        return pd.Series(values, index=s.index, dtype=object), present & ~ok, reasons.NOT_DATE
    typed = s.astype(object).where(present, None)
    return typed, np.zeros(n, dtype=bool), ""


def _text_problems(col: Column, s: pd.Series[Any], present: np.ndarray[Any, Any]
                   ) -> list[tuple[np.ndarray[Any, Any], str | pd.Series[Any]]]:
    """(mask, reason) pairs for the text rules of a str/list column: allowed characters and
    ``max_length`` (see :class:`parklink.tables.Column`)."""
    out: list[tuple[np.ndarray[Any, Any], str | pd.Series[Any]]] = []
    if not present.any():
        return out
    obj = s.astype(object)
    forbidden = FORBIDDEN_CHARACTERS_MULTILINE if col.multiline else FORBIDDEN_CHARACTERS
    bad = np.asarray(obj.str.contains(forbidden, regex=True).fillna(False), dtype=bool) & present
    out.append((bad, reasons.CONTROL))
    if col.max_length is not None:
        lengths = obj.str.len().fillna(0).to_numpy(dtype=np.int64)
        long = present & ~bad & (lengths > col.max_length)
        if long.any():
            why = pd.Series([reasons.too_long(col.max_length, int(k)) for k in lengths],
                            dtype=object)
            out.append((long, why))
    return out


def _text(s: pd.Series[Any]) -> pd.Series[Any]:
    """Cells as stripped text with '' turned into missing."""
    if len(s) == 0:
        return s.astype(object)
    t = s.astype("str").str.strip()
    return t.mask(t == "")


def validate_table(
    table: TextTable,
    schema: TableSchema,
    *,
    refs: Mapping[str, Collection[str]] | None = None,
    existing_keys: Collection[str] | None = None,
    area: ProvinceArea | None = None,
    require_rows: bool = True,
    check_keys: bool = True,
) -> Checked:
    """Validate ``table`` against ``schema`` and return the canonical typed frame and problems.

    ``refs`` maps a foreign key ``"kind.column"`` to the values that exist in the store (a set,
    or a unique ``pandas.Index`` for large key sets validated chunk by chunk); with
    ``refs=None`` references to *other* kinds are not checked (self references, e.g.
    ``regions.parent_adcode``, are always checked against the file). ``existing_keys`` are
    the store's keys for append mode (single-column keys, as text). ``area`` checks that
    points lie in Sichuan or Chongqing (rows with ``province == 'OUT'`` are exempt).
    ``require_rows=False`` accepts a table without rows and ``check_keys=False`` skips the
    duplicate-key checks (both for chunks of a stream, which are checked as a whole).
    """
    file = table.file
    order = {c.name: i for i, c in enumerate(schema.columns)}
    out = _Collector(file, table.rows, order)
    out.items.extend((0, -1, p) for p in table.problems)
    frame = table.frame
    declared = set(schema.names)
    if table.header_checked:
        for name in frame.columns:
            if name not in declared:
                out.add(1, str(name), None, reasons.unknown_column(str(name), schema.names))
        for c in schema.columns:
            if c.required and c.name not in frame.columns:
                out.add(1, c.name, None, reasons.MISSING_COLUMN)
        if require_rows and len(frame) == 0:
            out.add(None, None, None, reasons.HEADER_ONLY)
    n = len(frame)
    typed: dict[str, pd.Series[Any]] = {}
    valid: dict[str, np.ndarray[Any, Any]] = {}
    texts: dict[str, pd.Series[Any]] = {}
    elements: dict[str, pd.DataFrame] = {}
    for col in schema.columns:
        if col.name not in frame.columns:
            texts[col.name] = pd.Series([None] * n, dtype=object)
            typed[col.name] = pd.Series([None] * n, dtype=object)
            valid[col.name] = np.zeros(n, dtype=bool)
            continue
        s = _text(frame[col.name]).reset_index(drop=True)
        texts[col.name] = s
        present = s.notna().to_numpy(dtype=bool)
        text_bad = np.zeros(n, dtype=bool)
        if col.type in ("str", "list"):
            for mask, why in _text_problems(col, s, present):
                out.mask(mask, col.name, s, why)
                text_bad |= mask
        if col.type == "list":
            parts = s.str.split(";").explode()
            parts = parts.astype("string").str.strip()
            parts = parts[parts.notna() & (parts != "")]
            el = pd.DataFrame({"i": parts.index.to_numpy(dtype=np.int64),
                               "e": parts.astype(object).to_numpy()})
            joined = el.groupby("i")["e"].agg(";".join)
            values = pd.Series([None] * n, dtype=object)
            values.iloc[joined.index.to_numpy()] = joined.to_numpy()
            present = values.notna().to_numpy(dtype=bool)
            bad = np.zeros(n, dtype=bool)
            if col.choices is not None:
                wrong = ~el["e"].isin(col.choices).to_numpy(dtype=bool)
                bad |= _mark(n, el["i"].to_numpy()[wrong])
                for i, e in zip(el["i"].to_numpy()[wrong], el["e"].to_numpy()[wrong], strict=True):
                    out.add(int(table.rows[i]), col.name, str(s.iloc[i]),
                            reasons.element(str(e), reasons.choice(col.choices)))
            if col.pattern is not None:
                wrong = ~el["e"].str.fullmatch(col.pattern).fillna(False).to_numpy(dtype=bool)
                bad |= _mark(n, el["i"].to_numpy()[wrong])
                for i, e in zip(el["i"].to_numpy()[wrong], el["e"].to_numpy()[wrong], strict=True):
                    out.add(int(table.rows[i]), col.name, str(s.iloc[i]),
                            reasons.element(str(e), reasons.pattern(col.pattern)))
            ident = el["e"].str.split(":").str[0] if col.name in _CODED_LISTS else el["e"]
            repeated = pd.DataFrame({"i": el["i"], "e": ident}).duplicated().to_numpy(dtype=bool) \
                & (not col.repeats)
            bad |= _mark(n, el["i"].to_numpy()[repeated])
            for i, e in zip(el["i"].to_numpy()[repeated], el["e"].to_numpy()[repeated],
                            strict=True):
                out.add(int(table.rows[i]), col.name, str(s.iloc[i]),
                        reasons.element(str(e), reasons.REPEATED))
            if col.list_sum is not None:
                for i, total in list_sum_violations(col, el, present & ~bad & ~text_bad):
                    bad[i] = True
                    out.add(int(table.rows[i]), col.name, str(s.iloc[i]),
                            list_sum_reason(col.list_sum, total))
            elements[col.name] = el
            typed[col.name] = values
            valid[col.name] = present & ~bad & ~text_bad
            if col.required:
                out.mask(~present, col.name, s, reasons.REQUIRED)
            continue
        if col.required:
            out.mask(~present, col.name, s, reasons.REQUIRED)
        values, malformed, why = _coerce(col, s, present)
        out.mask(malformed, col.name, s, why)
        ok = present & ~malformed & ~text_bad
        if col.choices is not None:
            wrong = ok & ~s.isin(col.choices).to_numpy(dtype=bool)
            out.mask(wrong, col.name, s, reasons.choice(col.choices))
            ok &= ~wrong
        if col.pattern is not None:
            wrong = ok & ~s.str.fullmatch(col.pattern).fillna(False).to_numpy(dtype=bool)
            out.mask(wrong, col.name, s, reasons.pattern(col.pattern))
            ok &= ~wrong
        if col.type in ("int", "float"):
            num = values.astype("float64").to_numpy(dtype=float, na_value=np.nan)
            if col.minimum is not None:
                wrong = ok & (num < col.minimum)
                out.mask(wrong, col.name, s, reasons.below(col.minimum))
                ok &= ~wrong
            if col.maximum is not None:
                wrong = ok & (num > col.maximum)
                out.mask(wrong, col.name, s, reasons.above(col.maximum))
                ok &= ~wrong
        if col.not_future:
            wrong = ok & in_future(col, values)
            out.mask(wrong, col.name, s, reasons.FUTURE)
            ok &= ~wrong
        typed[col.name] = values
        valid[col.name] = ok
    _check_own_row(schema, out, texts, typed, valid, elements, table.rows)
    _check_refs(schema, out, texts, typed, valid, elements, refs, table.rows)
    if check_keys:
        _check_keys(schema, out, texts, typed, valid, existing_keys, table.rows)
    if area is not None:
        _check_area(schema, out, texts, typed, valid, area)
    result = pd.DataFrame({c.name: typed[c.name] for c in schema.columns})
    result = result.astype(canonical_dtypes(schema))
    return Checked(result, table.rows, out.sorted())


#: List columns whose elements are ``KEY:QUALIFIER``: an element repeats when its key does.
_CODED_LISTS = frozenset({"gbt4754"})

#: Pairs of columns that must differ within a row, by kind (a link from a node to itself).
DISTINCT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "transport_links": (("from_node", "to_node"),),
}


def _check_own_row(
    schema: TableSchema, out: _Collector, texts: dict[str, pd.Series[Any]],
    typed: dict[str, pd.Series[Any]], valid: dict[str, np.ndarray[Any, Any]],
    elements: dict[str, pd.DataFrame], rows: np.ndarray[Any, Any],
) -> None:
    """Rules within one row: a self reference may not name the row itself (a region as its
    own parent, a segment as its own input); :data:`DISTINCT_COLUMNS` must differ; and
    scalar self references may not loop (A's parent is B, B's parent is A)."""
    key = schema.key[0] if len(schema.key) == 1 else None
    for first, second in DISTINCT_COLUMNS.get(schema.kind, ()):
        both = valid[first] & valid[second]
        same = both & (_key_text(typed[first]) == _key_text(typed[second])).to_numpy(dtype=bool)
        out.mask(same, second, texts[second], reasons.same_as(first))
        valid[second] &= ~same
    if key is None or key not in typed:
        return
    own = _key_text(typed[key])
    for col in schema.columns:
        if col.ref != f"{schema.kind}.{key}":
            continue
        if col.type == "list":
            el = elements.get(col.name)
            if el is None or el.empty:
                continue
            hit = (el["e"].to_numpy() == own.iloc[el["i"].to_numpy()].to_numpy()) & \
                valid[key][el["i"].to_numpy()]
            for i, e in zip(el["i"].to_numpy()[hit], el["e"].to_numpy()[hit], strict=True):
                out.add(int(rows[i]), col.name, str(texts[col.name].iloc[i]),
                        reasons.element(str(e), reasons.SELF_REF))
            valid[col.name] &= ~_mark(len(own), el["i"].to_numpy()[hit])
            continue
        ok = valid[col.name] & valid[key]
        same = ok & (_key_text(typed[col.name]) == own).to_numpy(dtype=bool)
        out.mask(same, col.name, texts[col.name], reasons.SELF_REF)
        valid[col.name] &= ~same
        _check_cycles(out, col.name, texts[col.name], own, _key_text(typed[col.name]),
                      valid[col.name] & valid[key])


def _check_cycles(out: _Collector, column: str, shown: pd.Series[Any], own: pd.Series[Any],
                  parent: pd.Series[Any], ok: np.ndarray[Any, Any]) -> None:
    """Rows whose chain of parents (within the file) returns to themselves."""
    up = {str(k): str(p) for k, p, o in zip(own, parent, ok, strict=True) if o}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    looping: set[str] = set()
    for start in up:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in up and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = up[node]
        if node is not None and state.get(node) == 1:
            looping.update(path[path.index(node):])
        for p in path:
            state[p] = 2
    if looping:
        mask = own.astype(object).isin(looping).to_numpy(dtype=bool) & ok
        out.mask(mask, column, shown, reasons.CYCLE)


def _mark(n: int, idx: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    m = np.zeros(n, dtype=bool)
    m[idx] = True
    return m


def _key_text(typed: pd.Series[Any]) -> pd.Series[Any]:
    """Canonical text of key values (ints without '.0', booleans lower case)."""
    if str(typed.dtype) == "Int64":
        return typed.astype("string").astype(object)
    return typed.astype(object)


def _member(values: pd.Series[Any], allowed: Collection[str]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which ``values`` are in ``allowed``. A unique ``pandas.Index`` is probed through its
    cached hash table (cost per call proportional to ``values`` only — use it for large key
    sets checked chunk after chunk); other collections go through ``Series.isin``."""
    if isinstance(allowed, pd.Index):  # must be unique (get_indexer raises otherwise)
        return np.asarray(allowed.get_indexer(pd.Index(values.astype(object))) >= 0,
                          dtype=np.bool_)
    return np.asarray(values.isin(list(allowed) if not isinstance(allowed, set | frozenset)
                                  else allowed), dtype=np.bool_)


def _check_refs(
    schema: TableSchema, out: _Collector, texts: dict[str, pd.Series[Any]],
    typed: dict[str, pd.Series[Any]], valid: dict[str, np.ndarray[Any, Any]],
    elements: dict[str, pd.DataFrame], refs: Mapping[str, Collection[str]] | None,
    rows: np.ndarray[Any, Any],
) -> None:
    for col in schema.columns:
        if col.ref is None:
            continue
        ref_kind, ref_col = col.ref.split(".", 1)
        allowed: Collection[str] = frozenset()
        checkable = False
        if refs is not None and col.ref in refs:
            allowed = refs[col.ref]
            checkable = True
        if ref_kind == schema.kind and ref_col in typed:
            own = _key_text(typed[ref_col])[valid[ref_col]]
            allowed = {str(v) for v in allowed} | {str(v) for v in own}
            checkable = True
        if not checkable:
            continue
        if col.type == "list":
            el = elements.get(col.name)
            if el is None or el.empty:
                continue
            wrong = ~_member(el["e"], allowed)
            for i, e in zip(el["i"].to_numpy()[wrong], el["e"].to_numpy()[wrong], strict=True):
                out.add(int(rows[i]), col.name, str(texts[col.name].iloc[i]),
                        reasons.element(str(e), reasons.unknown_ref(col.ref)))
            continue
        ok = valid[col.name]
        wrong = ok & ~_member(_key_text(typed[col.name]), allowed)
        out.mask(wrong, col.name, texts[col.name], reasons.unknown_ref(col.ref))
        valid[col.name] = ok & ~wrong


def _check_keys(
    schema: TableSchema, out: _Collector, texts: dict[str, pd.Series[Any]],
    typed: dict[str, pd.Series[Any]], valid: dict[str, np.ndarray[Any, Any]],
    existing_keys: Collection[str] | None, rows: np.ndarray[Any, Any],
) -> None:
    key = list(schema.key)
    if not key or any(k not in typed for k in key):
        return
    ok = np.logical_and.reduce([valid[k] for k in key])
    if not ok.any():
        return
    keys = pd.DataFrame({k: _key_text(typed[k]) for k in key})[ok]
    sub_rows = pd.Series(rows[ok], index=keys.index)
    first = sub_rows.groupby([keys[k] for k in key], sort=False).transform("first")
    dup = (first != sub_rows).to_numpy()
    last = key[-1]
    if dup.any():
        dup_mask = np.zeros(len(rows), dtype=bool)
        dup_mask[keys.index.to_numpy()[dup]] = True
        reason = pd.Series([""] * len(rows), dtype=object)
        for pos, r in zip(keys.index.to_numpy()[dup], first[dup], strict=True):
            reason.iloc[int(pos)] = reasons.duplicate(int(r))
        out.mask(dup_mask, last, texts[last], reason)
    if existing_keys and len(key) == 1:
        existing = {str(v) for v in existing_keys}
        clash = keys[key[0]].isin(existing).to_numpy()
        if clash.any():
            mask = np.zeros(len(rows), dtype=bool)
            mask[keys.index.to_numpy()[clash]] = True
            out.mask(mask, key[0], texts[key[0]], reasons.IN_STORE)


def _check_area(
    schema: TableSchema, out: _Collector, texts: dict[str, pd.Series[Any]],
    typed: dict[str, pd.Series[Any]], valid: dict[str, np.ndarray[Any, Any]], area: ProvinceArea,
) -> None:
    pairs = [("lon", "lat"), ("seat_lon", "seat_lat")]
    for lon_c, lat_c in pairs:
        if lon_c not in typed or lat_c not in typed:
            continue
        ok = valid[lon_c] & valid[lat_c]
        if "province" in typed:
            ok &= (typed["province"].astype(object) != "OUT").to_numpy(dtype=bool)
        if not ok.any():
            continue
        lon = typed[lon_c].to_numpy(dtype=float, na_value=np.nan)[ok]
        lat = typed[lat_c].to_numpy(dtype=float, na_value=np.nan)[ok]
        outside = np.zeros(len(ok), dtype=bool)
        outside[np.flatnonzero(ok)] = area.outside(lon, lat)
        shown = texts[lon_c].astype(object).str.cat(texts[lat_c].astype(object), sep=",")
        out.mask(outside, lon_c, shown, reasons.OUTSIDE)
