"""The result protocol every analysis result follows (evaluate, designate, chains, logistics).

* ``to_frame()`` — the main table; its rows carry ids (``park_id``, ``segment_id`` …);
* ``explain()`` — the intermediate tables by name, **read-only**: a mapping that cannot be
  changed, holding copies, so a caller cannot alter the result it explains;
* ``summary()`` — JSON-ready key figures (for runs of :mod:`parklink.runs` including the
  inputs fingerprint, the configuration and the data source).

``tests/inputs/test_result_protocol.py`` enforces it over the result classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import pandas as pd

__all__ = ["Result", "frozen_tables"]


@runtime_checkable
class Result(Protocol):
    """The protocol of every analysis result."""

    def to_frame(self) -> pd.DataFrame:
        """The main table (rows carry ids)."""

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Intermediate tables, read-only."""

    def summary(self) -> dict[str, Any]:
        """JSON-ready key figures."""


def frozen_tables(tables: Mapping[str, pd.DataFrame]) -> Mapping[str, pd.DataFrame]:
    """A read-only mapping of copies of ``tables`` (changing a copy leaves the result intact)."""
    return MappingProxyType({k: v.copy() for k, v in tables.items()})
