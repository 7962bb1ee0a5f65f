"""One call from dataset frames to a ranked, explained and robustness-checked park evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy.typing as npt
import pandas as pd

from parklink.errors import ValidationError
from parklink.evaluate.indicators import IndicatorTable, compute_indicators
from parklink.evaluate.location import TravelTime
from parklink.evaluate.matrix import DecisionMatrix
from parklink.evaluate.methods import MCDAResult, run_method
from parklink.evaluate.robustness import RobustnessReport, robustness
from parklink.evaluate.weights import (
    AHPResult,
    Weights,
    ahp_weights,
    compute_weights,
    hierarchical_weights,
)
from parklink.results import frozen_tables
from parklink.vocab import METHOD_NAMES


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A park evaluation: matrix, weights, the primary ranking and its robustness report."""

    matrix: DecisionMatrix = field(repr=False)
    weights: Weights
    result: MCDAResult
    robustness: RobustnessReport = field(repr=False)
    ahp: AHPResult | None = None
    notes: tuple[str, ...] = ()
    synthetic: bool = False

    def to_frame(self) -> pd.DataFrame:
        """Ranking with robustness: rank, alternative, label, score, rank range over all
        method × weighting combinations, P(top k) and the 5–95 % Monte Carlo rank interval."""
        base = self.result.to_frame()
        rob = self.robustness.to_frame().set_index("alternative")
        k = self.robustness.monte_carlo.top_k
        cols = ["rank_min", "rank_max", f"p_top_{k}", "rank_p05", "rank_p95"]
        return base.join(rob[cols], on="alternative")

    def scores(self) -> pd.Series:
        """Alternative id → primary score (for the designation model; higher is better)."""
        s = pd.Series(self.result.scores, index=pd.Index(self.result.alternatives, name="park_id"), name="score")
        return s if self.result.higher_is_better else 1.0 - s

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """All intermediate tables (read-only copies): criteria, values, weights, method
        tables, robustness tables."""
        out: dict[str, pd.DataFrame] = {
            "criteria": self.matrix.criteria_frame(),
            "values": self.matrix.to_frame(),
            "weights": self.weights.to_frame(),
        }
        out.update({f"weights_{k}": v for k, v in self.weights.explain().items()})
        out.update({f"{self.result.method}_{k}": v for k, v in self.result.explain().items()})
        out.update({f"robustness_{k}": v for k, v in self.robustness.explain().items()})
        return frozen_tables(out)

    def summary(self) -> dict[str, object]:
        """JSON-serialisable key figures."""
        zh, en = METHOD_NAMES.get(self.result.method, (self.result.method, self.result.method))
        return {
            "method": self.result.method,
            "method_label": f"{zh} {en}",
            "weighting": self.weights.method,
            "alternatives": self.matrix.shape[0],
            "criteria": list(self.matrix.keys),
            "weights": self.weights.as_dict(),
            "top": self.result.top(10),
            "ahp_cr": None if self.ahp is None else self.ahp.cr,
            "robustness": self.robustness.summary(),
            "notes": list(self.notes),
            "synthetic": self.synthetic,
        }


def evaluate_matrix(
    dm: DecisionMatrix,
    *,
    method: str = "topsis",
    weighting: str = "combined",
    ahp: AHPResult | npt.ArrayLike | pd.DataFrame | None = None,
    programme: Weights | None = None,
    draws: int = 10_000,
    concentration: float = 100.0,
    top_k: int = 20,
    seed: int = 20200611,
    notes: tuple[str, ...] = (),
    synthetic: bool = False,
) -> Evaluation:
    """Weight, rank and robustness-check ``dm``.

    ``weighting``: entropy, critic, std, equal, ahp, given or combined (linear mean of
    entropy and CRITIC, plus AHP when given). ``ahp`` may be an :class:`AHPResult` or a
    pairwise matrix (CR > 0.1 raises) over ``dm``'s criteria, or over its criteria *groups*
    (a frame whose columns are the group names, e.g. resource / location / industry): then
    the group weights are split inside each group by entropy (:func:`hierarchical_weights`).
    ``programme`` (weights fitted to the programme's first batch, see
    :mod:`parklink.evaluate.calibration`) enables ``weighting="programme"`` and adds it to the
    robustness report. The robustness report is always computed (``draws`` Monte Carlo draws, Dirichlet concentration ``concentration``).
    """
    ahp_res: AHPResult | None
    if ahp is None or isinstance(ahp, AHPResult):
        ahp_res = ahp
    else:
        ahp_res = ahp_weights(ahp, criteria=None if isinstance(ahp, pd.DataFrame) else list(dm.keys))
    groups = {c.group for c in dm.criteria}
    if ahp_res is not None and tuple(ahp_res.weights.criteria) != dm.keys and set(ahp_res.weights.criteria) == groups:
        # a group-level judgement matrix: AHP between groups, entropy inside each group
        hw = hierarchical_weights(dm, ahp_res, within="entropy")
        ahp_res = AHPResult(hw, ahp_res.lambda_max, ahp_res.ci, ahp_res.ri, ahp_res.cr, ahp_res.judgements)
    w = compute_weights(dm, weighting, ahp=ahp_res, programme=programme)
    res = run_method(dm, method, weights=w)
    rob = robustness(
        dm,
        base_method=method,
        base_weighting=weighting,
        ahp=ahp_res,
        programme=programme,
        draws=draws,
        concentration=concentration,
        top_k=top_k,
        seed=seed,
    )
    return Evaluation(dm, w, res, rob, ahp_res, notes + w.notes, synthetic)


def evaluate_parks(
    parks: pd.DataFrame,
    *,
    regions: pd.DataFrame,
    zones: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    indicators: IndicatorTable | None = None,
    replace_indicators: bool = False,
    travel_time: TravelTime | None = None,
    designations: pd.DataFrame | None = None,
    min_coverage: float = 0.5,
    method: str = "topsis",
    weighting: str = "combined",
    ahp: AHPResult | npt.ArrayLike | pd.DataFrame | None = None,
    draws: int = 10_000,
    top_k: int = 20,
    seed: int = 20200611,
) -> Evaluation:
    """Evaluate the parks of the dataset frames with the default indicator system.

    ``indicators`` (from :func:`~parklink.evaluate.indicators.read_indicator_table`) extend
    the default set, or replace it with ``replace_indicators``. ``designations`` decide
    which of a park and its parent is ranked (see :func:`compute_indicators`), and
    ``weighting="programme"`` fits the weights to the programme's first batch in them
    (:func:`~parklink.evaluate.calibration.programme_weights`). See :func:`evaluate_matrix`.
    """
    table = compute_indicators(
        parks,
        regions=regions,
        zones=zones,
        transport_nodes=transport_nodes,
        enterprises=enterprises,
        travel_time=travel_time,
        designations=designations,
    )
    if indicators is not None:
        table = table.extend(indicators, replace=replace_indicators)
    _crits, dropped = table.usable(min_coverage=min_coverage)
    dm = table.matrix(parks, min_coverage=min_coverage, source="park indicators")
    programme = _programme(dm, weighting, designations, seed=seed)
    return evaluate_matrix(
        dm,
        method=method,
        weighting=weighting,
        ahp=ahp,
        programme=programme,
        draws=draws,
        top_k=top_k,
        seed=seed,
        notes=table.notes + dropped,
        synthetic=table.synthetic,
    )


def _programme(dm: DecisionMatrix, weighting: str, designations: pd.DataFrame | None, *,
               seed: int = 20200611) -> Weights | None:
    """The programme weights when ``weighting`` asks for them (fitted to the first batch)."""
    if weighting != "programme":
        return None
    if designations is None:
        raise ValidationError.single("weights", "weighting 'programme' needs the designations (the first batch)")
    from parklink.evaluate.calibration import programme_weights

    return programme_weights(dm, designations, seed=seed)


def score_parks(
    parks: pd.DataFrame,
    *,
    regions: pd.DataFrame,
    zones: pd.DataFrame,
    transport_nodes: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    travel_time: TravelTime | None = None,
    min_coverage: float = 0.5,
    method: str = "topsis",
    weighting: str = "combined",
    designations: pd.DataFrame | None = None,
) -> pd.Series:
    """Park id → score (higher is better) of the default indicator system, without the
    robustness report — the input the designation model needs. Same defaults as
    :func:`evaluate_parks`; VIKOR's Q is turned into ``1 − Q``. ``weighting="programme"``
    needs ``designations`` (the weights are fitted to the first batch)."""
    table = compute_indicators(
        parks, regions=regions, zones=zones, transport_nodes=transport_nodes, enterprises=enterprises,
        travel_time=travel_time, designations=designations,
    )
    dm = table.matrix(parks, min_coverage=min_coverage, source="park indicators")
    res = run_method(dm, method, weights=compute_weights(dm, weighting, programme=_programme(dm, weighting, designations)))
    s = pd.Series(res.scores, index=pd.Index(res.alternatives, name="park_id"), name="score")
    return s if res.higher_is_better else 1.0 - s


def weights_table(evaluation: Evaluation) -> pd.DataFrame:
    """Criteria with bilingual names, group, direction, unit and the weight in force."""
    crit = evaluation.matrix.criteria_frame().drop(columns=["weight"])
    w: Mapping[str, float] = evaluation.weights.as_dict()
    crit["weight"] = [w[k] for k in crit["key"]]
    return crit
