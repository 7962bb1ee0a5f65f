"""Row checks of the co-construction kinds that look at two columns of a row.

Run by :func:`parklink.store.io.write_frame` (imports, dataset load) and by the API's record
validation; single-column rules (choices, ranges, shares adding up to 100 %, years not in the
future) are declared on the table schemas (:mod:`parklink.tables`). Rows are numbered as in
a file with a header line (first data row = 2).
"""

from __future__ import annotations

import pandas as pd

from parklink.errors import Problem
from parklink.tables import split_list

__all__ = ["check_pip_rows", "check_sharing_rows"]


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


def check_sharing_rows(frame: pd.DataFrame, source: str = "benefit_sharing") -> list[Problem]:
    """A split must give one share per party (same order as ``parties``)."""
    problems: list[Problem] = []
    for i, (parties, split) in enumerate(zip(frame["parties"], frame["split_pct"], strict=True)):
        shares = split_list(split)
        names = split_list(parties)
        if shares and len(shares) != len(names):
            problems.append(Problem(
                source, i + 2, "split_pct", _text(split),
                f"{len(shares)} shares for {len(names)} parties (分成比例数与参与方数不一致)"))
    return problems


def check_pip_rows(frame: pd.DataFrame, source: str = "parks_in_park") -> list[Problem]:
    """The partner park must differ from the host park."""
    problems: list[Problem] = []
    for i, (host, partner) in enumerate(zip(frame["host_park_id"], frame["partner_park_id"],
                                            strict=True)):
        if _text(host) is not None and _text(host) == _text(partner):
            problems.append(Problem(source, i + 2, "partner_park_id", _text(partner),
                                    "partner park is the host park (合作园区不能是所在园区)"))
    return problems
