"""Industry-chain engine (产业链诊断): chain diagnostics on Ibis (DuckDB by default, Spark when
configured), input–output linkages and relatedness density.

Public API::

    ChainData.from_dataset(dataset=None, *, settings=None, template=None, con=None)
    ChainData.from_frames(firms, transactions, template, *, con=None)
    resolve_scope(spec, frames) -> Scope          # park:ID, designation:ID, zone:ID, city:ADCODE, SC, CQ, circle
    diagnose(data, scopes, *, chains=None, year=None, rules=None, weights=None, ...) -> ChainDiagnosis
    Linkages.from_flows(Z, x, *, exports=None, imports=None)   # Leontief/Ghosh, Rasmussen, upstreamness
    Relatedness.from_matrix(X, *, threshold=1.0, include_self=True)   # RCA, proximity, density
    plan_section(inputs) -> Section | None        # plan hook; chain_section(data, frames)

Formulas: ``docs/chains.md``.
"""

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import ChainDiagnosis, diagnose
from parklink.chains.linkages import Linkages
from parklink.chains.relatedness import Relatedness
from parklink.chains.rules import GapRules, TargetWeights
from parklink.chains.scope import Scope, ScopeFrames, circle_scope, province_scope, resolve_scope

__all__ = [
    "ChainData",
    "ChainDiagnosis",
    "GapRules",
    "Linkages",
    "Relatedness",
    "Scope",
    "ScopeFrames",
    "TargetWeights",
    "circle_scope",
    "diagnose",
    "province_scope",
    "resolve_scope",
]
