"""Configurable thresholds and weights of the chain diagnosis (documented in docs/chains.md).

Every default is an expert default, not fitted on data: the chain-methods note (§1.2,
§3.3) proposes the rules, and users can override each value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from parklink.vocab import ACTION_NAMES as ACTION_NAMES
from parklink.vocab import GAP_NAMES as GAP_NAMES

GAP_TYPES = ("missing", "break_risk", "single_point", "weak")
ACTIONS = ("build", "supplement", "extend", "strengthen")


LQ_RTOL = 1e-9
"""Relative tolerance of the ``weak`` LQ test (:class:`GapRules`): an LQ within
``1e-9·weak_lq_below`` below the threshold is rounding, not weakness."""


def lq_below(lq: pd.Series, threshold: float) -> pd.Series:
    """``lq < threshold`` with the relative rounding tolerance :data:`LQ_RTOL` (NaN → 0)."""
    return lq.fillna(0.0) < threshold * (1.0 - LQ_RTOL)


@dataclass(frozen=True, slots=True)
class GapRules:
    """Thresholds of the gap typology and of the action classes.

    Gap types (a segment may carry several; chain-methods §1.2):

    * ``missing``: ``n_k(R) = 0``.
    * ``single_point``: ``n_k(R) <= single_point_max_firms``, or the HHI of local
      suppliers' sales of *k* to local buyers ``> hhi_above``, or one local firm supplies
      more than ``top_share_above`` of local demand for *k*.
    * ``weak``: ``LQ_k(R) < weak_lq_below`` while local demand exists, or the segment's
      local supply share (local supply / local demand) ``< weak_lsr_below``. The LQ test
      allows a relative rounding tolerance :data:`LQ_RTOL` (``LQ < weak_lq_below·(1 − 1e-9)``):
      the whole circle's LQ against itself is 1 up to floating-point rounding (sums in a
      different order give 0.9999999999999999) and must not count as weak.
    * ``break_risk``: a chain leader in *R* sources *k* from exactly one supplier, and that
      supplier lies outside *R*.

    Action classes (first matching rule wins, in this order):

    1. ``build`` (建链): the segment is missing and the chain's presence completeness in
       *R* is below ``build_completeness_below`` (the chain is essentially absent).
    2. ``supplement`` (补链): missing, and local buyers already purchase *k*
       (local demand ``> min_local_demand_kcny``), or a chain leader has a break risk on *k*.
    3. ``extend`` (延链): missing and adjacent in the template to a present segment
       (one of its inputs, or a segment it is input to, is present in *R*).
    4. ``build`` (建链): missing otherwise (isolated from what exists locally).
    5. ``strengthen`` (强链): present with a single-point, weak or break-risk gap.
    """

    single_point_max_firms: int = 1
    hhi_above: float = 0.5
    top_share_above: float = 0.5
    weak_lq_below: float = 1.0
    weak_lsr_below: float = 0.3
    build_completeness_below: float = 0.25
    min_local_demand_kcny: float = 0.0
    severity: dict[str, float] = field(default_factory=lambda: {
        "missing": 1.0, "break_risk": 0.8, "single_point": 0.6, "weak": 0.4,
    })


@dataclass(frozen=True, slots=True)
class TargetWeights:
    """Weights of the investment-target score (chain-methods §3.3; expert defaults, unvalidated).

    ``score = w_value·f_value + w_fit·f_fit + w_distance·f_distance + w_size·f_size + w_tie·f_tie``
    with ``f_value = v_c / max v`` (value sold into the scope), ``f_fit`` = segment fit
    (1 / number of segments the firm is assigned to), ``f_distance = exp(−d / distance_km0)``,
    ``f_size = log(1 + output) / max log(1 + output)`` and ``f_tie = 1`` when the firm already
    supplies a chain leader of the scope.
    """

    value: float = 0.35
    fit: float = 0.15
    distance: float = 0.15
    size: float = 0.15
    tie: float = 0.20
    distance_km0: float = 300.0
