"""Park evaluation: indicator system, typed decision matrix, weights, MCDA methods, robustness.

Main entry points::

    from parklink.evaluate import evaluate_parks, evaluate_matrix, DecisionMatrix
    ev = evaluate_parks(parks, regions=..., zones=..., transport_nodes=..., enterprises=...)
    ev.to_frame(); ev.explain(); ev.robustness.to_frame(); ev.scores()
"""

from parklink.evaluate.api import (
    Evaluation,
    evaluate_matrix,
    evaluate_parks,
    score_parks,
    weights_table,
)
from parklink.evaluate.indicators import (
    DEFAULT_INDICATORS,
    IndicatorTable,
    compute_indicators,
    read_indicator_table,
)
from parklink.evaluate.location import TravelTime, geodesic_travel_time, make_travel_time
from parklink.evaluate.matrix import Criterion, DecisionMatrix
from parklink.evaluate.methods import MCDAResult, promethee_ii, rank_scores, topsis, vikor
from parklink.evaluate.plan import evaluation_section, plan_section, ranking_geojson
from parklink.evaluate.robustness import RobustnessReport, monte_carlo, rank_reversal, robustness
from parklink.evaluate.weights import (
    AHPResult,
    Weights,
    ahp_weights,
    combine_weights,
    compute_weights,
    critic_weights,
    entropy_weights,
    hierarchical_weights,
    std_weights,
)

__all__ = [
    "DEFAULT_INDICATORS",
    "AHPResult",
    "Criterion",
    "DecisionMatrix",
    "Evaluation",
    "IndicatorTable",
    "MCDAResult",
    "RobustnessReport",
    "TravelTime",
    "Weights",
    "ahp_weights",
    "combine_weights",
    "compute_indicators",
    "compute_weights",
    "critic_weights",
    "entropy_weights",
    "evaluate_matrix",
    "evaluate_parks",
    "evaluation_section",
    "geodesic_travel_time",
    "hierarchical_weights",
    "make_travel_time",
    "monte_carlo",
    "plan_section",
    "promethee_ii",
    "rank_reversal",
    "rank_scores",
    "ranking_geojson",
    "read_indicator_table",
    "robustness",
    "score_parks",
    "std_weights",
    "topsis",
    "vikor",
    "weights_table",
]
