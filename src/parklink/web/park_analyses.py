"""Cached analyses behind the park page and the chain explorer (the web layer only calls them).

Every function reads the programme state through the one input path,
:func:`web_inputs` (:func:`parklink.inputs.session_inputs`, cached per database, data
version and firm-dataset fingerprint), runs the analysis through :mod:`parklink.runs` with
the default configuration of :mod:`parklink.configs` — the same as ``parklink evaluate``,
``parklink plan`` and the API with no options — and caches the result under its inputs
fingerprint, so a cached figure never outlives the data it was computed from:

* :func:`park_evaluation` — :func:`parklink.runs.evaluate` (network travel times);
  :func:`evaluation_view` picks one park's score, rank, explain rows and the fingerprint;
* :func:`park_accessibility` — :func:`parklink.logistics.access.accessibility` on the
  bundle's network (imported ``transport_links`` replace the approximate modes they cover);
  :func:`accessibility_view`;
* :func:`chain_diagnosis` — :func:`parklink.runs.diagnose_chains` of one scope;
  :func:`diagnosis_view` is its JSON form for the pages' script.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy.orm import Session

from parklink.chains.diagnosis import ChainDiagnosis
from parklink.chains.scope import Scope, ScopeFrames, resolve_scope
from parklink.configs import ChainsConfig, EvaluationConfig, fingerprint
from parklink.errors import NotFoundError
from parklink.firmdata import FirmDataset
from parklink.inputs import Inputs, session_inputs
from parklink.logistics.access import HUB_KINDS, POLAR_CORES, Accessibility, accessibility
from parklink.runs import ChainsRun, EvaluationRun, diagnose_chains, evaluate
from parklink.store.version import data_version
from parklink.tables import CHAINS
from parklink.vocab import METHOD_NAMES
from parklink.web.cache import SingleFlightMemo
from parklink.web.table_views import LSR_COLUMNS, TARGET_COLUMNS

T = TypeVar("T")
_MAX_ENTRIES = 32
_memo = SingleFlightMemo(_MAX_ENTRIES)


def _db_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def cached(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """The value cached under ``key``, computed once (one computation per key at a time:
    :class:`~parklink.web.cache.SingleFlightMemo`).

    Least-recently-used entries beyond 32 are dropped; keys carry the data version, so
    entries of older versions simply age out.
    """
    return _memo.get(key, compute)


def is_cached(key: tuple[Any, ...]) -> bool:
    """Whether :func:`cached` holds a value under ``key`` (no computation, no LRU change)."""
    return key in _memo


def clear_cache() -> None:
    """Forget every cached analysis (tests; a restart does the same)."""
    from parklink.web import park_precompute

    _memo.clear()
    park_precompute.clear()


def web_inputs(session: Session) -> Inputs:
    """The inputs bundle (:func:`parklink.inputs.session_inputs`) of the session's database,
    cached by data version and firm-dataset fingerprint (one bundle — and one network — per
    version, shared by the pages and the API jobs)."""
    firm_version = FirmDataset.default().version()
    key = ("inputs", _db_key(session), data_version(session), firm_version)
    return cached(key, lambda: session_inputs(session))


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# --------------------------------------------------------------------------- evaluation

def park_evaluation(session: Session) -> EvaluationRun | None:
    """The default park evaluation (:class:`parklink.configs.EvaluationConfig` ``()``: the
    configuration of ``parklink evaluate``, ``parklink plan`` and the planner's default run),
    cached by inputs fingerprint. None when the registry has no parks or regions."""
    inputs = web_inputs(session)
    if len(inputs.frame("parks")) < 2 or inputs.frame("regions").empty:
        return None
    config = EvaluationConfig()
    key = ("evaluation", _db_key(session), fingerprint(inputs, config).digest)
    return cached(key, lambda: evaluate(inputs, config))


def evaluation_view(run: EvaluationRun, park_id: str) -> dict[str, Any] | None:
    """One park's evaluation: score, rank among all parks, robustness interval, and one row
    per criterion with the raw value, the method's normalised and weighted values, the
    weight and (TOPSIS) the ideal / anti-ideal points, and the inputs fingerprint. None when
    the park was not evaluated."""
    ev = run.evaluation
    frame = ev.to_frame()
    hit = frame[frame["alternative"].astype(str) == park_id]
    if hit.empty:
        return None
    row = hit.iloc[0]
    explain = ev.explain()
    method = ev.result.method
    crit = explain["criteria"].set_index("key")
    values = explain["values"]
    norm = explain.get(f"{method}_normalised")
    weighted = explain.get(f"{method}_weighted")
    ideal = explain.get(f"{method}_ideal")
    ideal_t = ideal.set_index("criterion") if ideal is not None and "criterion" in ideal else None
    weights = ev.weights.as_dict()
    rows = []
    for k in crit.index:
        c = crit.loc[k]
        rows.append({
            "key": k, "name_zh": c["name_zh"], "name_en": c["name_en"], "group": c["group"],
            "direction": c["direction"], "unit": c["unit"], "formula": c.get("formula"),
            "value": _finite(values.at[park_id, k]) if k in values.columns and park_id in values.index else None,
            "normalised": _finite(norm.at[park_id, k]) if norm is not None and k in norm.columns
            and park_id in norm.index else None,
            "weight": _finite(weights.get(k)),
            "weighted": _finite(weighted.at[park_id, k]) if weighted is not None and k in weighted.columns
            and park_id in weighted.index else None,
            "ideal": _finite(ideal_t.at[k, "ideal"]) if ideal_t is not None and k in ideal_t.index else None,
            "anti_ideal": _finite(ideal_t.at[k, "anti_ideal"]) if ideal_t is not None and k in ideal_t.index
            else None,
        })
    dist = explain.get(f"{method}_distances")
    distances: dict[str, float | None] = {}
    if dist is not None and "alternative" in dist:
        d = dist[dist["alternative"].astype(str) == park_id]
        if len(d):
            distances = {c: _finite(d.iloc[0][c]) for c in dist.columns if c != "alternative"}
    k_top = ev.robustness.monte_carlo.top_k
    zh, en = METHOD_NAMES.get(method, (method, method))
    return {
        "score": float(row["score"]), "rank": int(row["rank"]), "n": len(frame),
        "rank_min": int(row["rank_min"]), "rank_max": int(row["rank_max"]),
        "rank_p05": _finite(row["rank_p05"]), "rank_p95": _finite(row["rank_p95"]),
        "p_top": _finite(row[f"p_top_{k_top}"]), "top_k": k_top, "draws": ev.robustness.monte_carlo.draws,
        "method": method, "method_zh": zh, "method_en": en, "weighting": ev.weights.method,
        "higher_is_better": bool(ev.result.higher_is_better), "criteria": rows, "distances": distances,
        "notes": list(ev.notes), "synthetic": bool(ev.synthetic),
        "fingerprint": run.fingerprint.digest, "travel_time": run.config.travel_time,
    }


# --------------------------------------------------------------------------- accessibility

@dataclass(frozen=True)
class ParkAccess:
    """The accessibility table of every park and the names of the network's nodes."""

    result: Accessibility
    node_names: dict[str, tuple[str, str]]


def park_accessibility(session: Session) -> ParkAccess | None:
    """Accessibility of every park (hours to the polar cores and the nearest hub of each
    kind over the container profile; :func:`parklink.logistics.access.accessibility`), on
    the network of the inputs bundle (imported links included), cached by data version."""
    inputs = web_inputs(session)
    if inputs.frame("parks").empty or inputs.frame("regions").empty:
        return None

    def compute() -> ParkAccess:
        net = inputs.network()
        names = {str(r.node_id): (str(r.name_zh), str(r.name_en))
                 for r in net.nodes[["node_id", "name_zh", "name_en"]].itertuples()}
        return ParkAccess(accessibility(net), names)

    return cached(("accessibility", _db_key(session), inputs.data_version, inputs.registry_digest()), compute)


def accessibility_view(acc: ParkAccess, park_id: str) -> dict[str, Any] | None:
    """One park's rows: time (h) to each polar core and to the nearest hub of each kind
    (``None`` = unreachable). None when the park is not in the network."""
    t = acc.result.table
    hit = t[t["park_id"].astype(str) == park_id]
    if hit.empty:
        return None
    r = hit.iloc[0]
    cores = [{"key": k, "name_zh": zh, "name_en": en, "time_h": _finite(r[f"time_core_{k}_h"])}
             for k, (zh, en, _lon, _lat) in POLAR_CORES.items() if f"time_core_{k}_h" in t.columns]
    hubs = []
    for k, (zh, en) in HUB_KINDS.items():
        if f"time_{k}_h" not in t.columns:
            continue
        node = r.get(f"nearest_{k}")
        node_id = None if node is None or (isinstance(node, float) and math.isnan(node)) else str(node)
        hub_zh, hub_en = acc.node_names.get(node_id or "", (None, None))
        hubs.append({"kind": k, "name_zh": zh, "name_en": en, "hub_id": node_id, "hub_zh": hub_zh,
                     "hub_en": hub_en, "time_h": _finite(r[f"time_{k}_h"])})
    return {"cores": cores, "hubs": hubs, "cargo": acc.result.cargo}


# --------------------------------------------------------------------------- chains

SCOPE_KINDS = ("park", "designation", "zone", "city", "province", "circle")


def scope_frames(session: Session) -> ScopeFrames:
    """Regions, zones, parks and designations of the inputs bundle, for scope resolution."""
    return web_inputs(session).scope_frames()


def scope_options(session: Session) -> list[dict[str, Any]]:
    """Every scope a user can pick, grouped by kind: ``{kind, spec, name_zh, name_en}``
    (the circle, the two provinces, cities, zones, designations with named members, parks)."""
    frames = scope_frames(session)
    out: list[dict[str, Any]] = [{"kind": "circle", "spec": "circle", "name_zh": "川渝全域",
                                  "name_en": "Sichuan + Chongqing (circle)"}]
    out += [{"kind": "province", "spec": code, "name_zh": zh, "name_en": en}
            for code, (zh, en) in (("SC", ("四川省", "Sichuan")), ("CQ", ("重庆市", "Chongqing")))]
    r = frames.regions
    if not r.empty:
        for row in r[r["level"] == "city"].sort_values("adcode").itertuples():
            out.append({"kind": "city", "spec": f"city:{row.adcode}", "name_zh": row.name_zh,
                        "name_en": row.name_en})
    z = frames.zones
    for row in z.sort_values("zone_id").itertuples() if not z.empty else ():
        out.append({"kind": "zone", "spec": f"zone:{row.zone_id}", "name_zh": row.name_zh, "name_en": row.name_en})
    d = frames.designations
    for row in d.sort_values("designation_id").itertuples() if not d.empty else ():
        try:
            s = resolve_scope(f"designation:{row.designation_id}", frames)
        except NotFoundError:
            continue  # members not named: no scope
        out.append({"kind": "designation", "spec": s.scope_id, "name_zh": s.name_zh, "name_en": s.name_en})
    p = frames.parks
    for row in p.sort_values(["province", "park_id"]).itertuples() if not p.empty else ():
        out.append({"kind": "park", "spec": f"park:{row.park_id}", "name_zh": row.name_zh, "name_en": row.name_en})
    return out


def firm_dataset() -> FirmDataset:
    """The configured firm-level dataset (``PARKLINK_DATA_DIR/firms``)."""
    return FirmDataset.default()


def chain_diagnosis(session: Session, scope: str, *, chain: str | None = None,
                    year: int | None = None) -> ChainsRun:
    """:func:`parklink.runs.diagnose_chains` of one scope (``park:ID``, ``designation:ID``,
    ``zone:ID``, ``city:ADCODE``, ``SC``/``CQ``, ``circle``) on the inputs bundle, for
    ``chain`` (default: all) and ``year`` (default: latest).

    Cached by inputs fingerprint. Raises NotFoundError when the scope is unknown or the
    firm dataset is missing.
    """
    if chain is not None and chain not in CHAINS:
        raise NotFoundError(f"unknown chain {chain!r} (产业链不存在)")
    inputs = web_inputs(session)
    sc: Scope = resolve_scope(scope, inputs.scope_frames())
    config = ChainsConfig(scope=sc.scope_id, chain=chain, year=year)
    key = ("chains", _db_key(session), fingerprint(inputs, config).digest)
    return cached(key, lambda: diagnose_chains(inputs, config))


def _records(frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    have = [c for c in cols if c in frame.columns]
    out = []
    for rec in frame[have].to_dict("records"):
        clean: dict[str, Any] = {}
        for key, v in rec.items():
            k = str(key)
            if isinstance(v, float):
                clean[k] = v if math.isfinite(v) else None
            elif v is None or v is pd.NA or (not isinstance(v, str | bool) and pd.isna(v)):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out


def _lsr(result: ChainDiagnosis, sid: str, chains: list[str]) -> pd.DataFrame:
    from parklink.web.table_views import lsr_table

    t = lsr_table(result, sid)
    return t[t["chain"].isin(chains)]


def _targets(result: ChainDiagnosis, sid: str) -> pd.DataFrame:
    from parklink.web.table_views import targets_table

    return targets_table(result, sid)


SEGMENT_FIELDS = ["segment_id", "chain", "name_zh", "name_en", "level", "n_firms", "n_leaders", "output",
                  "present", "lq_circle", "depth", "local_demand_kcny", "local_supply_share", "gap_type",
                  "action", "action_zh"]
GAP_FIELDS = ["segment_id", "chain", "name_zh", "name_en", "level", "gap_type", "gap_zh", "action", "action_zh",
              "n_firms", "local_demand_kcny", "priority"]
COMPLETENESS_FIELDS = ["chain", "n_segments", "n_present", "completeness", "completeness_depth"]
FLOW_FIELDS = ["year", "direction", "chain", "segment_id", "value_kcny", "n_tx"]


def diagnosis_view(run: ChainsRun | ChainDiagnosis, *, chain: str | None = None,
                   targets: bool = False) -> dict[str, Any]:
    """The JSON the pages render from a diagnosis of one scope: presence per segment,
    completeness per chain, gaps with their action class, and the cross-border
    (Sichuan↔Chongqing) flows by supplier segment for every year (the Sankey's input), and
    the inputs fingerprint; the local supporting rates per chain and, with ``targets``, the
    first three investment targets per gap (:mod:`parklink.web.table_views`)."""
    result = run.diagnosis if isinstance(run, ChainsRun) else run
    scope = result.scopes[0]
    sid = scope.scope_id
    chains = [chain] if chain else list(result.chains)
    segs = result.segments[(result.segments["scope_id"] == sid) & result.segments["chain"].isin(chains)]
    comp = result.completeness[(result.completeness["scope_id"] == sid) & result.completeness["chain"].isin(chains)]
    gaps = result.gaps[(result.gaps["scope_id"] == sid) & result.gaps["chain"].isin(chains)]
    fl = result.flows[result.flows["cross_border"].astype(bool) & result.flows["chain"].isin(chains)]
    return {
        "scope": {"scope_id": sid, "kind": scope.kind, "name_zh": scope.name_zh, "name_en": scope.name_en},
        "chains": chains, "year": int(result.year), "engine": result.engine, "synthetic": bool(result.synthetic),
        "segments": _records(segs, SEGMENT_FIELDS),
        "completeness": _records(comp, COMPLETENESS_FIELDS),
        "gaps": _records(gaps, GAP_FIELDS),
        "flows": _records(fl, FLOW_FIELDS),
        "flow_years": sorted({int(y) for y in fl["year"]}) if len(fl) else [],
        # local supporting rates and (firm-level, office only) investment targets: the tables of `parklink chains`
        "lsr": _records(_lsr(result, sid, chains), list(LSR_COLUMNS)),
        "targets": _records(_targets(result, sid), list(TARGET_COLUMNS)) if targets else None,
        "fingerprint": run.fingerprint.digest if isinstance(run, ChainsRun) else None,
    }
