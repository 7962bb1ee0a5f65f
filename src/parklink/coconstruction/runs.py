"""Co-construction analyses as runs: (Inputs, config) → frozen result with a fingerprint.

The CLI, the API, the park page, the dashboard and ``parklink plan`` call these, so the same
question gives the same numbers everywhere (see :mod:`parklink.runs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from parklink.coconstruction.gaps import PlatformGaps, platform_gaps
from parklink.coconstruction.scorecard import Scorecard, scorecard
from parklink.coconstruction.smart import SmartIndicators, smart_indicators
from parklink.configs import Fingerprint, config_hash, fingerprint
from parklink.errors import ValidationError
from parklink.inputs import Inputs
from parklink.results import frozen_tables

__all__ = ["CocoRun", "PlatformGapConfig", "ScorecardConfig", "SmartConfig", "chain_gaps_of_parks",
           "run_platform_gaps", "run_scorecard", "run_smart"]


def _year(value: int | None) -> int:
    return int(value) if value is not None else dt.date.today().year


@dataclass(frozen=True)
class PlatformGapConfig:
    """Platform gaps (:func:`run_platform_gaps`): service standard ``max_hours`` (h, default
    2), ``p`` new platforms, travel-time source, candidate sites (``all`` parks or the
    ``designated`` ones), chain-diagnosis year (default latest)."""

    max_hours: float = 2.0
    p: int = 1
    travel_time: Literal["network", "geodesic"] = "network"
    candidates: Literal["all", "designated"] = "all"
    year: int | None = None

    def __post_init__(self) -> None:
        if not (0 < self.max_hours <= 24):
            raise ValidationError.single("configuration", "max_hours must lie in (0, 24] hours",
                                         column="max_hours", value=str(self.max_hours))
        if not (1 <= self.p <= 10):
            raise ValidationError.single("configuration", "p must lie in 1..10", column="p",
                                         value=str(self.p))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash."""
        return config_hash("platform_gaps", self)


@dataclass(frozen=True)
class ScorecardConfig:
    """Co-built park scorecard (:func:`run_scorecard`) in ``ref_year`` (default this year)."""

    ref_year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash."""
        return config_hash("cocon_scorecard", self)


@dataclass(frozen=True)
class SmartConfig:
    """Park smart-manufacturing indicators (:func:`run_smart`) up to ``ref_year``; with
    ``firms`` the firm data gives the above-scale denominator."""

    ref_year: int | None = None
    firms: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def hash(self) -> str:
        """The configuration hash."""
        return config_hash("cocon_smart", self)


@dataclass(frozen=True, eq=False)
class CocoRun:
    """A co-construction result with its configuration, fingerprint and data source."""

    result: PlatformGaps | Scorecard | SmartIndicators
    config: Any
    fingerprint: Fingerprint
    meta: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The result's main table."""
        return self.result.to_frame()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """The result's intermediate tables (read-only)."""
        return frozen_tables(dict(self.result.explain()))

    def summary(self) -> dict[str, Any]:
        """Key figures with fingerprint, configuration and data source."""
        return {**self.result.summary(), **self.meta}


def _meta(inputs: Inputs, fp: Fingerprint, config: Any) -> MappingProxyType[str, Any]:
    return MappingProxyType({"fingerprint": fp.to_dict(), "config": config.to_dict(),
                             "source": inputs.source, "source_note": inputs.note})


def chain_gaps_of_parks(inputs: Inputs, *, year: int | None = None) -> pd.DataFrame:
    """Chain gaps of every designated member park for its focal chains (the designation's
    theme chains, else the parks' focus chains, else all), from the chain engine on the
    firm dataset: columns park_id, chain, segment_id, name_zh, name_en, gap_type, action."""
    from parklink.chains import ChainData, diagnose
    from parklink.chains.plan import designation_scopes

    scopes, links = designation_scopes(inputs.scope_frames())
    parks = links[links["role"] == "park"]
    keep = {s.scope_id: s for s in scopes if s.scope_id in set(parks["scope_id"])}
    if not keep:
        return pd.DataFrame(columns=["park_id", "chain", "segment_id", "name_zh", "name_en",
                                     "gap_type", "action"])
    data = ChainData.from_dataset(inputs.require_firms(), template=inputs.chain_template())
    res = diagnose(data, list(keep.values()), year=year, top_n=0)  # gaps only: no targets ranked, no model fitted
    focal = parks.assign(chain=parks["chains"].str.split(";")).explode("chain")[["scope_id", "chain"]]
    gaps = res.gaps.merge(focal.drop_duplicates(), on=["scope_id", "chain"])
    gaps["park_id"] = gaps["scope_id"].map({sid: next(iter(s.park_ids)) for sid, s in keep.items()})
    return gaps[["park_id", "chain", "segment_id", "name_zh", "name_en", "gap_type", "action"]] \
        .drop_duplicates(["park_id", "chain", "segment_id"]).reset_index(drop=True)


def run_platform_gaps(inputs: Inputs, config: PlatformGapConfig | None = None, *,
                      gaps: pd.DataFrame | None = None) -> CocoRun:
    """Platform gaps of the designated parks (:func:`parklink.coconstruction.gaps.platform_gaps`)
    on the chain gaps of :func:`chain_gaps_of_parks` (or ``gaps`` given) and the network
    travel times of ``inputs``."""
    cfg = config or PlatformGapConfig()
    g = gaps if gaps is not None else chain_gaps_of_parks(inputs, year=cfg.year)
    parks = inputs.frame("parks")
    cands = None
    if cfg.candidates == "designated":
        from parklink.tables import split_list

        cands = sorted({m for v in inputs.frame("designations")["members"] for m in split_list(v)})
    res = platform_gaps(g, parks, inputs.frame("platforms"), inputs.travel_time(cfg.travel_time),
                        max_hours=cfg.max_hours, p=cfg.p, candidates=cands)
    fp = fingerprint(inputs, cfg)
    return CocoRun(res, cfg, fp, _meta(inputs, fp, cfg))


def run_scorecard(inputs: Inputs, config: ScorecardConfig | None = None) -> CocoRun:
    """The co-built park scorecard and promised vs realised shares of ``inputs``."""
    cfg = config or ScorecardConfig()
    res = scorecard(inputs.frame("parks_in_park"), inputs.frame("benefit_sharing"),
                    inputs.frame("sharing_realised"), ref_year=_year(cfg.ref_year))
    fp = fingerprint(inputs, cfg)
    return CocoRun(res, cfg, fp, _meta(inputs, fp, cfg))


def run_smart(inputs: Inputs, config: SmartConfig | None = None) -> CocoRun:
    """Park smart-manufacturing indicators of ``inputs`` (registry enterprises, plus the
    firm data with ``config.firms``)."""
    cfg = config or SmartConfig()
    firms = inputs.enterprises(synthetic_firms=cfg.firms)
    res = smart_indicators(inputs.frame("smart_recognitions"), inputs.frame("maturity_assessments"),
                           firms, ref_year=_year(cfg.ref_year))
    fp = fingerprint(inputs, cfg)
    return CocoRun(res, cfg, fp, _meta(inputs, fp, cfg))
