"""The per-mu composite as an optional indicator of the park evaluation.

When the registry holds monitoring series with land areas (``indicator_values``), the
evaluation (:func:`parklink.runs.evaluate`) gains the criterion ``per_mu_score``: the
composite of :func:`parklink.monitoring.permu.per_mu` for the latest period with land data
(benefit; parks not rated per mu are missing and imputed like any missing value, and the
criterion is left out below the evaluation's coverage threshold, 50 % of the parks). With no
series — the default data — nothing changes.
"""

from __future__ import annotations

import pandas as pd

from parklink.errors import ConfigError, ValidationError
from parklink.evaluate.indicators import IndicatorTable
from parklink.evaluate.matrix import Criterion
from parklink.monitoring.permu import ZHEJIANG_SOURCE, per_mu
from parklink.vocab import PERMU_SCORE_NAME

KEY = "per_mu_score"


def per_mu_indicator(values: pd.DataFrame, parks: pd.DataFrame) -> IndicatorTable | None:
    """An :class:`IndicatorTable` with ``per_mu_score`` for ``parks``, or None when the series
    hold no land area (nothing to rate per mu)."""
    if values is None or values.empty or not (values["indicator_id"] == "land_area_mu").any():
        return None
    try:
        result = per_mu(values)
    except (ValidationError, ConfigError):
        return None
    t = result.to_frame()
    rated = t[t["band"] != "unbanded"].set_index("park_id")["composite"]
    if rated.empty:
        return None
    ids = parks["park_id"].astype(str)
    table = pd.DataFrame({"park_id": ids.to_numpy(), KEY: ids.map(rated).astype(float).to_numpy()})
    synthetic = bool((values.get("confidence", pd.Series(dtype=object)) == "synthetic").any())
    zh, en = PERMU_SCORE_NAME
    crit = Criterion(KEY, zh, en, "points", "benefit", group="efficiency",
                     source=f"indicator_values {result.period}; method: {ZHEJIANG_SOURCE}",
                     formula="Σ weight_k × term_k / benchmark_k (Zhejiang 30/20/20/10/10/10; docs/monitoring.md)")
    note = (f"per-mu composite (亩均) of {result.period} for {len(rated)} of {len(ids)} parks "
            "from the monitoring series" + (" (synthetic values)" if synthetic else ""))
    return IndicatorTable(table, (crit,), (note,), synthetic)
