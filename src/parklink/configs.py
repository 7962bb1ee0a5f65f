"""One frozen configuration object per analysis, with its defaults defined once, and the
inputs fingerprint every analysis result carries.

The CLI options, the API request models (:mod:`parklink.web.routers.analyses`), the web
pages and ``parklink plan`` all build their configuration from these classes, so with no
options they use the same configuration — e.g. :class:`EvaluationConfig` ``()`` is TOPSIS
on combined entropy+CRITIC weights over **network** travel times, 10 000 Monte Carlo
draws, P(top 20), seed 20200611 — and therefore show the same scores.

Fingerprint (:class:`Fingerprint`): the data version of the registry (``db:<n>`` or
``embedded:<digest>``) with a content digest of the registry frames, the firm-data
fingerprint (:meth:`parklink.firmdata.FirmDataset.version`, ``absent`` without one) and a
hash of the configuration (SHA-256 of its canonical JSON). Its ``digest`` combines the
content digest, the firm-data fingerprint and the configuration hash — what the result was
computed from — and not the data version, which says when the inputs were read (every
committed write moves it, also a write to data the analysis does not read). Two results with
equal digests were computed from the same inputs with the same configuration, so they are
equal (every analysis is deterministic given its seed); a result kept across an unrelated
write (e.g. the park page's table after a promotion write) and one computed after it carry
the same digest and different data versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from parklink.errors import Problem, ValidationError
from parklink.vocab import CARGOS, CHAIN_DETAILS, METHODS, TRAVEL_TIME_SOURCES, WEIGHTINGS

if TYPE_CHECKING:
    from parklink.inputs import Inputs

__all__ = [
    "DEFAULT_DRAWS", "DEFAULT_SEED", "DEFAULT_TOP_K", "CalibrationConfig", "ChainsConfig", "DesignationConfig", "EvaluationConfig",
    "Fingerprint", "LogisticsConfig", "RouteConfig", "config_hash", "fingerprint",
]

DEFAULT_SEED = 20200611
DEFAULT_DRAWS = 10_000
DEFAULT_TOP_K = 20
MAX_DRAWS = 10_000


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return round(value, 12)
    return value


def config_hash(kind: str, config: Any) -> str:
    """SHA-256 (16 hex digits) of ``kind`` and the canonical JSON of ``config.to_dict()``."""
    text = json.dumps({"kind": kind, "config": _canonical(config.to_dict())}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check(field_name: str, value: Any, allowed: tuple[Any, ...]) -> list[Problem]:
    if value in allowed:
        return []
    return [Problem("configuration", None, field_name, None if value is None else str(value),
                    f"unknown {field_name.replace('_', ' ')}; expected one of {', '.join(map(str, allowed))}")]


@dataclass(frozen=True)
class EvaluationConfig:
    """How parks are evaluated (:func:`parklink.runs.evaluate`).

    ``method`` MCDA method; ``weighting`` a named weighting, replaced by explicit
    ``weights`` (criterion → weight, normalised to sum 1; unlisted criteria get 0) when
    given; ``travel_time`` ``network`` (multimodal network incl. imported links) or
    ``geodesic`` (straight line × 1.3 at 60 km/h); ``draws`` Monte Carlo weight draws and
    ``top_k`` the k of P(top k) of the robustness report; ``seed`` its random seed;
    ``parks``/``province`` restrict the evaluated parks; ``synthetic_firms`` appends the
    synthetic firm population to the enterprises; ``ahp``/``indicators`` are digests of
    user files (AHP judgement matrix, user indicator table) that change the result.
    """

    method: str = "topsis"
    weighting: str = "combined"
    weights: tuple[tuple[str, float], ...] | None = None
    travel_time: str = "network"
    draws: int = DEFAULT_DRAWS
    top_k: int = DEFAULT_TOP_K
    seed: int = DEFAULT_SEED
    parks: tuple[str, ...] | None = None
    province: str | None = None
    synthetic_firms: bool = False
    ahp: str | None = None
    indicators: str | None = None

    def __post_init__(self) -> None:
        problems = _check("method", self.method, METHODS)
        problems += _check("weighting", self.weighting, (*WEIGHTINGS, "ahp", "given"))
        problems += _check("travel_time", self.travel_time, TRAVEL_TIME_SOURCES)
        if not 1 <= self.draws <= MAX_DRAWS:
            problems.append(Problem("configuration", None, "draws", str(self.draws), f"expected 1..{MAX_DRAWS}"))
        if self.top_k < 1:
            problems.append(Problem("configuration", None, "top_k", str(self.top_k), "expected ≥ 1"))
        if self.weights is not None:
            total = sum(w for _k, w in self.weights)
            if total <= 0 or any(w < 0 for _k, w in self.weights):
                problems.append(Problem("configuration", None, "weights", None,
                                        "weights must be ≥ 0 with at least one positive"))
            else:  # canonical: sorted, normalised, weighting 'given'
                norm = tuple((k, round(w / total, 12)) for k, w in sorted(self.weights))
                object.__setattr__(self, "weights", norm)
                object.__setattr__(self, "weighting", "given")
        if self.parks is not None:
            object.__setattr__(self, "parks", tuple(sorted(set(self.parks))) or None)
        if problems:
            raise ValidationError(problems)

    @property
    def weights_dict(self) -> dict[str, float] | None:
        """Explicit weights as a dict (None for a named weighting)."""
        return None if self.weights is None else dict(self.weights)

    @property
    def scoring(self) -> EvaluationConfig:
        """The part that determines the scores alone (no robustness, all parks)."""
        return EvaluationConfig(method=self.method, weighting=self.weighting, weights=self.weights,
                                travel_time=self.travel_time, synthetic_firms=self.synthetic_firms,
                                ahp=self.ahp, indicators=self.indicators)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d = asdict(self)
        d["weights"] = self.weights_dict
        d["parks"] = None if self.parks is None else list(self.parks)
        return d

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("evaluation", self)


@dataclass(frozen=True)
class DesignationConfig:
    """A designation run (:func:`parklink.runs.designate`): the scenario (its JSON dict,
    :meth:`parklink.designate.Scenario.to_dict`; default the built-in ``programme``), the
    scoring (an :class:`EvaluationConfig`, whose travel-time source also gives the pair
    hours), and whether to explain the choice (re-solve ``runner_ups`` forced in/out)."""

    scenario: str = "programme"
    scenario_params: tuple[tuple[str, str], ...] | None = None
    scoring: EvaluationConfig = field(default_factory=EvaluationConfig)
    explain: bool = False
    runner_ups: int = 3

    def scenario_object(self) -> Any:
        """The :class:`parklink.designate.Scenario` this configuration names."""
        from parklink.designate import BUILTIN_SCENARIOS, Scenario

        if self.scenario_params is None:
            if self.scenario not in BUILTIN_SCENARIOS:
                raise ValidationError.single("configuration", "unknown built-in scenario", column="scenario",
                                             value=self.scenario)
            return BUILTIN_SCENARIOS[self.scenario]
        return Scenario.from_dict({k: json.loads(v) for k, v in self.scenario_params}, source="scenario")

    @classmethod
    def from_scenario(cls, scenario: Any, **kw: Any) -> DesignationConfig:
        """A configuration carrying the full parameters of ``scenario`` (a Scenario)."""
        params = tuple(sorted((k, json.dumps(_canonical(v), sort_keys=True, ensure_ascii=False))
                              for k, v in scenario.to_dict().items()))
        return cls(scenario=scenario.name, scenario_params=params, **kw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the scenario as its full parameter dict)."""
        return {"scenario": self.scenario_object().to_dict(), "scoring": self.scoring.scoring.to_dict(),
                "explain": self.explain, "runner_ups": self.runner_ups if self.explain else 0}

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("designation", self)


@dataclass(frozen=True)
class ChainsConfig:
    """A chain diagnosis (:func:`parklink.runs.diagnose_chains`): scope spec (``circle``,
    ``SC``, ``CQ``, ``park:ID``, ``designation:ID``, ``zone:ID``, ``city:ADCODE`` or a name,
    resolved to its scope id by the run), one chain or all, a year or the latest, and the
    investment-target ranking (learned or hand weights)."""

    scope: str = "circle"
    chain: str | None = None
    year: int | None = None
    #: investment-target ranking: ``learned`` (fitted on past years; docs/rankeval.md) or
    #: ``hand`` (the expert weights of ``TargetWeights``, kept as a named baseline)
    ranking: str = "learned"

    def __post_init__(self) -> None:
        from parklink.tables import CHAINS

        if self.chain is not None and self.chain not in CHAINS:
            raise ValidationError(_check("chain", self.chain, CHAINS))
        if self.ranking not in ("learned", "hand"):
            raise ValidationError(_check("ranking", self.ranking, ("learned", "hand")))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("chains", self)


#: What a chain diagnosis result shows: aggregate tables (everybody) or firm-level too.
CHAIN_DETAIL_LEVELS = CHAIN_DETAILS


@dataclass(frozen=True)
class RouteConfig:
    """A least generalised-cost route (:func:`parklink.runs.find_route`) of one tonne of
    ``cargo`` between two places (park id, hub id, adcode, IATA code or name), on the
    network with the default :class:`parklink.logistics.params.Parameters`."""

    origin: str
    destination: str
    cargo: str = "container"

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", self.origin.strip())
        object.__setattr__(self, "destination", self.destination.strip())
        if self.cargo not in CARGOS:
            raise ValidationError(_check("cargo", self.cargo, CARGOS))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("route", self)


@dataclass(frozen=True)
class LogisticsConfig:
    """The logistics sections of the plan: sites per function (``p``) and the firm count
    of the synthetic stand-in population when no firm dataset exists."""

    p: int = 3
    n_firms: int = 20_000

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("logistics", self)


@dataclass(frozen=True)
class CalibrationConfig:
    """The programme calibration (:func:`parklink.runs.calibrate`): the indicator scoring it
    fits on (an :class:`EvaluationConfig`: travel-time source and firms), the batch it fits
    on and the batch it checks, k of recall@k, bootstrap sizes and the seed (see
    :mod:`parklink.evaluate.calibration`)."""

    scoring: EvaluationConfig = field(default_factory=EvaluationConfig)
    train_batch: int = 1
    holdout_batch: int = 2
    k: int = 15
    bootstrap: int = 1000
    weight_bootstrap: int = 200

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if self.train_batch == self.holdout_batch:
            problems.append(Problem("configuration", None, "holdout_batch", str(self.holdout_batch),
                                    "the hold-out batch must differ from the batch fitted on"))
        for name in ("k", "bootstrap", "weight_bootstrap"):
            if getattr(self, name) < (1 if name == "k" else 0):
                problems.append(Problem("configuration", None, name, str(getattr(self, name)), "out of range"))
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"scoring": self.scoring.scoring.to_dict(), "train_batch": self.train_batch,
                "holdout_batch": self.holdout_batch, "k": self.k, "bootstrap": self.bootstrap,
                "weight_bootstrap": self.weight_bootstrap, "seed": self.scoring.seed}

    def hash(self) -> str:
        """The configuration hash (:func:`config_hash`)."""
        return config_hash("calibration", self)


@dataclass(frozen=True)
class Fingerprint:
    """The inputs fingerprint of one analysis result (see the module docstring)."""

    data_version: str
    registry: str
    firms: str
    config: str

    @property
    def digest(self) -> str:
        """One string for what the result was computed from: SHA-256 (16 hex digits) of the
        registry content digest, the firm-data fingerprint and the configuration hash (not
        the data version: see the module docstring)."""
        text = f"{self.registry}|{self.firms}|{self.config}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form, with the combined digest."""
        return {"digest": self.digest, "data_version": self.data_version, "registry": self.registry,
                "firms": self.firms, "config": self.config}

    def __str__(self) -> str:
        return self.digest


def fingerprint(inputs: Inputs, config: Any) -> Fingerprint:
    """The fingerprint of an analysis with ``config`` on ``inputs``."""
    return Fingerprint(inputs.data_version, inputs.registry_digest(), inputs.firm_version(), config.hash())
