"""The embedded default indicator definitions (data: ``monitoring/data/indicators.csv``).

Output, tax, investment, R&D spending, land area (mu), energy use, employment, value added and
emissions — the base facts of the per-mu evaluation and of the programme dashboard — each with
its formula (口径), unit, frequency and the source of the definition (``likely``: secondary
copies of the official Zhejiang / Sichuan notices; ``unconfirmed`` and no source where the
reference material gives none).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

DEFAULTS_FILE = Path(str(resources.files("parklink.monitoring") / "data" / "indicators.csv"))


def default_indicators() -> pd.DataFrame:
    """The default definitions as a ``monitoring_indicators`` frame (text cells; empty = None)."""
    frame = pd.read_csv(DEFAULTS_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.replace({"": None})
