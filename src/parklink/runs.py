"""The analyses as runs: one inputs bundle + one configuration → one result with a fingerprint.

Every entry point (CLI, API jobs, web pages, ``parklink plan``) calls these functions, so
the same question gives the same number everywhere:

* :func:`evaluate` — park evaluation (:func:`parklink.evaluate.api.evaluate_parks`, or
  explicit weights through :func:`~parklink.evaluate.api.evaluate_matrix`);
* :func:`park_scores` — the scores alone (the designation model's input);
* :func:`designate` — the designation MILP (:func:`parklink.designate.designate_from_frames`);
* :func:`diagnose_chains` — chain diagnosis of one scope (:func:`parklink.chains.diagnose`);
* :func:`find_route` — least generalised-cost route (:func:`parklink.logistics.routing.route`).

Each result follows one protocol (:class:`Result`): ``to_frame()`` (the main table with
ids), ``explain()`` (read-only mapping of intermediate tables) and ``summary()``
(JSON-ready key figures, including ``fingerprint``, ``config`` and ``source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.configs import (
    CalibrationConfig,
    ChainsConfig,
    DesignationConfig,
    EvaluationConfig,
    Fingerprint,
    RouteConfig,
    fingerprint,
)
from parklink.errors import ValidationError
from parklink.inputs import Inputs
from parklink.results import Result, frozen_tables

if TYPE_CHECKING:
    from parklink.chains.diagnosis import ChainDiagnosis
    from parklink.designate.model import DesignationResult
    from parklink.evaluate.api import Evaluation
    from parklink.evaluate.calibration import ProgrammeCalibration
    from parklink.evaluate.indicators import IndicatorTable
    from parklink.logistics.network import Network
    from parklink.logistics.routing import Route

__all__ = [
    "CalibrationRun", "ChainsRun", "DesignationRun", "EvaluationRun", "Result", "RouteRun", "calibrate", "designate", "diagnose_chains",
    "evaluate", "find_route", "frozen_tables", "next_batch", "park_scores",
]


def _meta(inputs: Inputs, fp: Fingerprint, config: Any) -> dict[str, Any]:
    return {"fingerprint": fp.to_dict(), "config": config.to_dict(), "source": inputs.source,
            "source_note": inputs.note}


# ---------------------------------------------------------------------------- evaluation
@dataclass(frozen=True, eq=False)
class EvaluationRun:
    """A park evaluation with the inputs it was computed from."""

    evaluation: Evaluation
    config: EvaluationConfig
    fingerprint: Fingerprint
    parks: pd.DataFrame
    meta: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Ranking per ``park_id``: rank, score, names, province, robustness columns."""
        df = self.evaluation.to_frame()
        names = self.parks.set_index(self.parks["park_id"].astype(str))[["name_zh", "name_en", "province"]]
        df = df.join(names, on="alternative")
        df.insert(1, "park_id", df["alternative"].astype(str))
        return df

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Criteria, values, weights, method and robustness tables (read-only)."""
        return frozen_tables(self.evaluation.explain())

    def summary(self) -> dict[str, Any]:
        """Key figures of the evaluation with fingerprint, configuration and data source."""
        return {**self.evaluation.summary(), **self.meta}

    def scores_json(self) -> dict[str, Any]:
        """The machine-readable result: fingerprint, configuration and score/rank per park."""
        df = self.to_frame()
        return {
            **self.meta,
            "method": self.evaluation.result.method, "weighting": self.evaluation.weights.method,
            "synthetic": bool(self.evaluation.synthetic),
            "parks": [{"park_id": str(pid), "rank": int(rank), "score": float(score)}
                      for pid, rank, score in zip(df["park_id"], df["rank"], df["score"], strict=True)],
        }


def _parks(inputs: Inputs, config: EvaluationConfig) -> pd.DataFrame:
    parks = inputs.frame("parks")
    if config.parks:
        parks = parks[parks["park_id"].astype(str).isin(config.parks)]
    if config.province:
        parks = parks[parks["province"].astype(str) == config.province]
    if len(parks) < 2:
        raise ValidationError.single("parks", "an evaluation needs at least two parks (至少需要两个园区)",
                                     column="parks")
    return parks.reset_index(drop=True)


def _indicator_kw(inputs: Inputs, config: EvaluationConfig) -> dict[str, Any]:
    return {"regions": inputs.frame("regions"), "zones": inputs.frame("zones"),
            "transport_nodes": inputs.frame("transport_nodes"),
            "enterprises": inputs.enterprises(synthetic_firms=config.synthetic_firms),
            "travel_time": inputs.travel_time(config.travel_time)}


def _with_per_mu(inputs: Inputs, parks: pd.DataFrame, indicators: IndicatorTable | None,
                 replace: bool) -> tuple[IndicatorTable | None, bool]:
    """Add the per-mu composite (:mod:`parklink.monitoring.evaluation`) when the registry has
    monitoring series with land areas; unchanged otherwise (the default data)."""
    from parklink.monitoring.evaluation import per_mu_indicator

    extra = per_mu_indicator(inputs.frame("indicator_values"), parks)
    if extra is None:
        return indicators, replace
    if indicators is None:
        return extra, False
    return indicators.extend(extra), replace


def evaluate(inputs: Inputs, config: EvaluationConfig | None = None, *, indicators: IndicatorTable | None = None,
             replace_indicators: bool = False, ahp: Any = None) -> EvaluationRun:
    """Evaluate the parks of ``inputs`` with ``config`` (default :class:`EvaluationConfig`).

    ``indicators``/``ahp`` are user files of the CLI (their digests belong in
    ``config.indicators``/``config.ahp``). Explicit ``config.weights`` replace the named
    weighting (criteria outside the matrix are ignored with a note).
    """
    from parklink.evaluate import evaluate_matrix, evaluate_parks
    from parklink.evaluate.indicators import compute_indicators

    cfg = config or EvaluationConfig()
    parks = _parks(inputs, cfg)
    kw = _indicator_kw(inputs, cfg)
    if indicators is None:  # optional smart-manufacturing indicators, only when records exist
        from parklink.coconstruction.smart import registry_indicator_table

        indicators = registry_indicator_table(inputs, parks)
    indicators, replace_indicators = _with_per_mu(inputs, parks, indicators, replace_indicators)
    if cfg.weights is None:
        ev = evaluate_parks(parks, **kw, indicators=indicators, replace_indicators=replace_indicators,
                            method=cfg.method, weighting=cfg.weighting, ahp=ahp, draws=cfg.draws, top_k=cfg.top_k,
                            seed=cfg.seed, designations=inputs.frame("designations"))
    else:
        table = compute_indicators(parks, **kw)
        if indicators is not None:
            table = table.extend(indicators, replace=replace_indicators)
        dm = table.matrix(parks, source="park indicators")
        given = dict(cfg.weights)
        dm = dm.with_weights({k: float(given.get(k, 0.0)) for k in dm.keys})
        _kept, dropped = table.usable()
        ignored = tuple(f"weight of {k} ignored: the indicator is left out of the matrix"
                        for k in given if k not in dm.keys)
        ev = evaluate_matrix(dm, method=cfg.method, weighting="given", draws=cfg.draws, top_k=cfg.top_k,
                             seed=cfg.seed, notes=table.notes + dropped + ignored, synthetic=table.synthetic)
    fp = fingerprint(inputs, cfg)
    return EvaluationRun(ev, cfg, fp, parks, MappingProxyType(_meta(inputs, fp, cfg)))


def park_scores(inputs: Inputs, config: EvaluationConfig | None = None) -> tuple[pd.Series, bool]:
    """Park id → score (higher is better) of every park, and whether synthetic firms were
    used; the primary ranking of :func:`evaluate` without the robustness report."""
    from parklink.evaluate import score_parks
    from parklink.evaluate.indicators import compute_indicators
    from parklink.evaluate.methods import run_method

    cfg = (config or EvaluationConfig()).scoring
    parks = inputs.frame("parks")
    kw = _indicator_kw(inputs, cfg)
    if cfg.weights is None:
        scores = score_parks(parks, **kw, method=cfg.method, weighting=cfg.weighting,
                             designations=inputs.frame("designations"))
        ent = kw["enterprises"]
        synthetic = bool(ent is not None and "synthetic" in ent.columns
                         and ent["synthetic"].fillna(False).astype(bool).any())
        return scores, synthetic
    table = compute_indicators(parks, **kw)
    dm = table.matrix(parks, source="park indicators")
    given = dict(cfg.weights)
    dm = dm.with_weights({k: float(given.get(k, 0.0)) for k in dm.keys})
    from parklink.evaluate.weights import compute_weights

    res = run_method(dm, cfg.method, weights=compute_weights(dm, "given"))
    s = pd.Series(res.scores, index=pd.Index(res.alternatives, name="park_id"), name="score")
    return (s if res.higher_is_better else 1.0 - s), bool(table.synthetic)


def next_batch(inputs: Inputs, rules: Any, config: EvaluationConfig | None = None, *,
               explain: bool = True, swaps: int = 5) -> Any:
    """The next batch (:class:`parklink.designate.nextbatch.NextBatchResult`) of ``inputs``
    under ``rules`` (:class:`~parklink.designate.nextbatch.NextBatchRules`), scored by
    :func:`park_scores` with ``config`` — the same scores as :func:`evaluate` — and with the
    same travel times for the pairing rule and the group lifts. Raises
    ``NextBatchInfeasibleError`` (with the smallest relaxation) when the rules cannot hold."""
    from parklink.designate.next_api import plan_next_batch_from_frames

    cfg = config or EvaluationConfig()
    scores, _ = park_scores(inputs, cfg)
    return plan_next_batch_from_frames(dict(inputs.frames), rules, method=cfg.method, weighting=cfg.weighting,
                                       travel_time=inputs.travel_time(cfg.travel_time), explain=explain,
                                       swaps=swaps, scores=scores)


# ---------------------------------------------------------------------------- calibration
@dataclass(frozen=True, eq=False)
class CalibrationRun:
    """The programme calibration (weights fitted to batch 1, checked on batch 2) with the
    inputs it was computed from."""

    calibration: ProgrammeCalibration
    config: CalibrationConfig
    fingerprint: Fingerprint
    meta: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The hold-out table: one row per ranking rule (recall@k, AUC, AP with intervals)."""
        return self.calibration.to_frame()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Hold-out, fitted coefficients and weights, leave-one-out (read-only)."""
        return frozen_tables(self.calibration.explain())

    def summary(self) -> dict[str, Any]:
        """Key figures with fingerprint, configuration and data source."""
        return {**self.calibration.summary(), **self.meta}


def calibrate(inputs: Inputs, config: CalibrationConfig | None = None) -> CalibrationRun:
    """Fit the ``programme`` weighting to the first batch of ``inputs``' designations and check
    it on the second (:func:`parklink.evaluate.calibration.calibrate_to_programme`), on the
    indicator matrix of ``config.scoring`` (same travel times and firms as the evaluation)."""
    from parklink.evaluate.calibration import calibrate_to_programme
    from parklink.evaluate.indicators import compute_indicators

    cfg = config or CalibrationConfig()
    parks = inputs.frame("parks")
    # the same evaluation units as the evaluation (a designated park stands for its family)
    table = compute_indicators(parks, **_indicator_kw(inputs, cfg.scoring), designations=inputs.frame("designations"))
    dm = table.matrix(parks, source="park indicators")
    cal = calibrate_to_programme(dm, inputs.frame("designations"), parks=parks, train_batch=cfg.train_batch,
                                 holdout_batch=cfg.holdout_batch, k=cfg.k, bootstrap=cfg.bootstrap,
                                 weight_bootstrap=cfg.weight_bootstrap, seed=cfg.scoring.seed)
    fp = fingerprint(inputs, cfg)
    return CalibrationRun(cal, cfg, fp, MappingProxyType(_meta(inputs, fp, cfg)))


# ---------------------------------------------------------------------------- designation
@dataclass(frozen=True, eq=False)
class DesignationRun:
    """A solved designation scenario with the inputs it was computed from."""

    result: DesignationResult
    config: DesignationConfig
    fingerprint: Fingerprint
    scores: pd.Series
    synthetic: bool
    meta: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The plan: one row per ``park_id`` (designated flag, year, score, partners)."""
        return self.result.plan.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Pairs, binding constraints, explanations and the scores (read-only)."""
        return frozen_tables({"pairs": self.result.pairs, "binding": self.result.binding,
                              "explanations": self.result.explanations,
                              "scores": self.scores.rename("score").reset_index()})

    def summary(self) -> dict[str, Any]:
        """Key figures of the solution with fingerprint, configuration and data source."""
        return {**self.result.summary(), **self.meta}

    def designated(self) -> list[dict[str, Any]]:
        """Designated parks: ``park_id`` and ``year``, sorted (the comparable answer)."""
        plan = self.result.plan
        d = plan[plan["designated"].astype(bool)]
        out: list[dict[str, Any]] = [{"park_id": str(pid), "year": None if pd.isna(year) else int(year)}
                                     for pid, year in zip(d["park_id"], d["year"], strict=True)]
        return sorted(out, key=lambda x: str(x["park_id"]))


def designate(inputs: Inputs, config: DesignationConfig | None = None, *,
              scores: tuple[pd.Series, bool] | None = None) -> DesignationRun:
    """Solve the designation scenario of ``config`` on ``inputs`` (pair hours over the
    scoring's travel-time source). Raises InfeasibleError naming the conflicting groups.
    ``scores`` reuses :func:`park_scores` of the same scoring configuration."""
    from parklink.designate import designate_from_frames

    cfg = config or DesignationConfig()
    s, synthetic = scores if scores is not None else park_scores(inputs, cfg.scoring)
    res = designate_from_frames(
        inputs.frame("parks"), s, zones=inputs.frame("zones"), regions=inputs.frame("regions"),
        designations=inputs.frame("designations"), scenario=cfg.scenario_object(),
        travel_time=inputs.travel_time(cfg.scoring.travel_time), explain=cfg.explain, runner_ups=cfg.runner_ups)
    fp = fingerprint(inputs, cfg)
    return DesignationRun(res, cfg, fp, s, synthetic, MappingProxyType(_meta(inputs, fp, cfg)))


# ---------------------------------------------------------------------------- chains
@dataclass(frozen=True, eq=False)
class ChainsRun:
    """A chain diagnosis of one scope with the inputs it was computed from."""

    diagnosis: ChainDiagnosis
    config: ChainsConfig
    fingerprint: Fingerprint
    meta: Mapping[str, Any]

    @property
    def scope_id(self) -> str:
        """The resolved scope id."""
        return str(self.diagnosis.scopes[0].scope_id)

    def to_frame(self) -> pd.DataFrame:
        """Segments of the scope (presence, depth, gap type and action per ``segment_id``)."""
        return self.diagnosis.segments.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Every table of the diagnosis (read-only)."""
        return frozen_tables(self.diagnosis.tables())

    def summary(self) -> dict[str, Any]:
        """Key figures of the scope with fingerprint, configuration and data source."""
        import json

        s = json.loads(json.dumps(self.diagnosis.summary(self.scope_id), default=str))
        return {**s, "year": int(self.diagnosis.year), "engine": self.diagnosis.engine,
                "synthetic": bool(self.diagnosis.synthetic), **self.meta}


def diagnose_chains(inputs: Inputs, config: ChainsConfig) -> ChainsRun:
    """Diagnose the chains of ``config.scope`` on the firm-level dataset of ``inputs`` with
    the registry's chain template. The configuration is recorded with the resolved scope id
    (``park:X`` and the park's name give the same fingerprint)."""
    from parklink.chains import ChainData, diagnose, resolve_scope

    frames = inputs.scope_frames()
    sc = resolve_scope(config.scope, frames)
    cfg = ChainsConfig(scope=sc.scope_id, chain=config.chain, year=config.year,
                       ranking=config.ranking)
    data = ChainData.from_dataset(inputs.require_firms(), template=inputs.chain_template())
    res = diagnose(data, sc, chains=[cfg.chain] if cfg.chain else None, year=cfg.year,
                   ranking="hand" if cfg.ranking == "hand" else "learned")
    fp = fingerprint(inputs, cfg)
    return ChainsRun(res, cfg, fp, MappingProxyType(_meta(inputs, fp, cfg)))


# ---------------------------------------------------------------------------- route
@dataclass(frozen=True, eq=False)
class RouteRun:
    """A least generalised-cost route with the inputs it was computed from."""

    route: Route
    config: RouteConfig
    fingerprint: Fingerprint
    meta: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The legs (``from_node``/``to_node`` ids, mode, km, hours, CNY/t)."""
        return self.route.to_frame()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """The legs with their geometry (read-only)."""
        return frozen_tables({"legs": self.route.legs})

    def summary(self) -> dict[str, Any]:
        """Route totals with fingerprint, configuration and data source."""
        return {**self.route.summary(), **self.meta}


def find_route(inputs: Inputs, config: RouteConfig, *, network: Network | None = None) -> RouteRun:
    """Route of ``config`` on the network of ``inputs`` (imported links included). A
    ``network`` given explicitly (the CLI's ``--links FILE``) is used instead and marks the
    fingerprint's configuration as such."""
    from parklink.logistics.routing import route

    net = network if network is not None else inputs.network()
    r = route(net, config.origin, config.destination, cargo=config.cargo)
    fp = fingerprint(inputs, config)
    if network is not None:
        fp = Fingerprint(fp.data_version, fp.registry, fp.firms, f"{fp.config}+links")
    return RouteRun(r, config, fp, MappingProxyType(_meta(inputs, fp, config)))
