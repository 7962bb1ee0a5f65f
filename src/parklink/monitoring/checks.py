"""Row checks of the monitoring kinds that the column checks cannot see."""

from __future__ import annotations

import pandas as pd

from parklink.errors import Problem


def value_key(park_id: str, indicator_id: str, period: str) -> str:
    """The key of one value: ``park_id:indicator_id:period``."""
    return f"{park_id}:{indicator_id}:{period}"


def check_indicator_values(values: pd.DataFrame, source: str = "indicator_values") -> list[Problem]:
    """A ``value_id`` must be ``park_id:indicator_id:period`` of its own row (so one park,
    indicator and period has exactly one value, and an upsert by key replaces it). Rows are
    numbered as in a file (first data row = 2)."""
    problems: list[Problem] = []
    cols = ("value_id", "park_id", "indicator_id", "period")
    if values.empty or not all(c in values.columns for c in cols):
        return problems
    for i, (vid, park, ind, period) in enumerate(values[list(cols)].itertuples(index=False, name=None)):
        if any(v is None or (isinstance(v, float) and v != v) for v in (vid, park, ind, period)):
            continue  # a missing required cell is reported by the column checks
        want = value_key(str(park), str(ind), str(period))
        if str(vid) != want:
            problems.append(Problem(source, i + 2, "value_id", str(vid),
                                    f"must be park_id:indicator_id:period, i.e. {want!r} "
                                    "(编号须为 园区:指标:期间)"))
    return problems
