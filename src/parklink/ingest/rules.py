"""Column rules beyond type, range and choice: years/dates not in the future, list sums.

Declared on :class:`parklink.tables.Column` (``not_future``, ``list_sum``) and applied by
:func:`parklink.ingest.validate.validate_table` to every import, API write and dataset load,
so a row breaking them is reported with its row and column like any other problem.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from parklink.tables import Column

__all__ = ["in_future", "list_sum_reason", "list_sum_violations"]


def in_future(col: Column, values: pd.Series[Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Rows of a ``not_future`` column after the current year (``int`` columns hold years)
    or after today (``date`` columns); other types and empty cells are never in the future."""
    today = dt.date.today()
    if col.type == "int":
        num = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        return np.asarray(num > today.year, dtype=bool)
    if col.type == "date":
        return np.asarray([isinstance(v, dt.date) and _day(v) > today for v in values.tolist()],
                          dtype=bool)
    return np.zeros(len(values), dtype=bool)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def list_sum_violations(col: Column, elements: pd.DataFrame,
                        ok: np.ndarray[Any, Any]) -> list[tuple[int, float]]:
    """(row index, total) of the rows whose numeric list elements (``elements``: columns ``i``
    row index, ``e`` element text) do not add up to ``col.list_sum`` within 1e-6; rows not
    ``ok`` (already rejected) are skipped."""
    if elements.empty or col.list_sum is None:
        return []
    nums = pd.to_numeric(elements["e"], errors="coerce")
    totals = nums.groupby(elements["i"].to_numpy()).sum(min_count=1)
    out = []
    for i, total in totals.items():
        k = int(i)  # type: ignore[call-overload]
        if ok[k] and pd.notna(total) and abs(float(total) - col.list_sum) > 1e-6:
            out.append((k, float(total)))
    return out


def list_sum_reason(expected: float, total: float) -> str:
    """The problem text of a list of numbers that does not add up to ``expected``."""
    return (f"the elements add up to {total:g}, not {expected:g} "
            f"(各项之和应为{expected:g}，实为{total:g})")
