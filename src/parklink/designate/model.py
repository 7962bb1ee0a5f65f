"""The demonstration-park designation MILP (HiGHS via :mod:`parklink.optim`).

Decision: ``x[p,t] = 1`` if park *p* is designated by target year *t* (cumulative), and
``y[e] ∈ [0, 1]`` the pairing of a cross-border park pair *e = (p, q)* in the final year
(only when the synergy weight λ > 0).

Maximise ``Σ_t Σ_p s_p x[p,t] + λ Σ_e σ_e y[e]`` (score of designated parks in every
target year — earlier designation counts more often — plus the synergy ``σ_e`` of the
final-year pairs) subject to the constraint groups

============================  ===============================================================
``cumulative_count``          ``Σ_p x[p,t] = N_t`` for every target year
``monotonicity``              ``x[p,t] ≤ x[p,t+1]`` (designated stays designated)
``province_min:<P>``          ``Σ_{p∈P} x[p,t] ≥ max(⌈share·N_t⌉, floor_P if t final)``
``zone:<id>``                 at least one designated park in the zone by the final year
``area_type:<a>``             ``Σ_{p of type a} x[p,t] ≥ ⌈share_a·N_t⌉``
``pairing``                   ``x[p,t] ≤ Σ_{q∈N(p)} x[q,t]``: a designated partner across the
                              border within the maximum travel time (N(p): partner candidates)
``pair_capacity``             ``y_e ≤ x_a``, ``y_e ≤ x_b``, ``Σ_{e∋p} y_e ≤ b·x_p`` (defines y;
                              never relaxed)
``forced_in`` / ``forced_out``  user lists (final year / all years)
``existing``                  actual designations fixed from their programme year on
============================  ===============================================================

``y`` may be continuous: for fixed ``x`` the pair rows form a bipartite b-matching
(SC × CQ) with a totally unimodular matrix, so the LP optimum is integral. Pair synergy is
``σ = ½·chain affinity + ½·closeness`` with the Jaccard index of the parks' focus chains
and ``closeness = 1 − time / max time`` (a stated proxy until the chain engine supplies
segment complementarity; a ``pair_synergy`` frame overrides it). The reported pairs are
the synergy matching (``basis = synergy``) plus, for a designated park outside it, its
nearest designated partner within reach (``basis = nearest``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from parklink.designate.scenario import Scenario
from parklink.errors import InfeasibleError, Problem, ValidationError
from parklink.evaluate.location import TravelTime, geodesic_travel_time_within
from parklink.optim import Model, Solution
from parklink.results import frozen_tables
from parklink.tables import split_list as _split

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CANDIDATE_COLUMNS = (
    "park_id",
    "name_zh",
    "name_en",
    "province",
    "lon",
    "lat",
    "score",
    "zones",
    "area_types",
    "focus_chains",
    "kind",
    "existing_year",
)
GROUP_LABELS = {
    "cumulative_count": ("累计数量目标", "cumulative count targets"),
    "monotonicity": ("认定后保持", "designated stays designated"),
    "province_min": ("省份最少数量", "minimum per province"),
    "zone": ("区域覆盖", "zone represented"),
    "area_type": ("区域类型比例", "area-type share"),
    "pairing": ("跨省结对", "cross-border pairing"),
    "pair_capacity": ("结对容量", "pairing capacity"),
    "forced_in": ("指定入选", "forced in"),
    "forced_out": ("指定排除", "forced out"),
    "existing": ("已认定园区", "existing designations"),
}
PROTECTED = ("pair_capacity", "monotonicity")
_EXPL_COLUMNS = ("park_id", "designated", "test", "objective", "delta", "status", "conflict")


def validate_candidates(frame: pd.DataFrame, *, source: str = "candidates") -> pd.DataFrame:
    """Check and normalise a candidate table (columns :data:`CANDIDATE_COLUMNS`).

    Required: ``park_id``, ``province`` (SC/CQ), ``lon``, ``lat``, ``score``; the others
    default to empty. List columns may be ';'-joined text or Python lists.
    """
    problems: list[Problem] = []
    for col in ("park_id", "province", "lon", "lat", "score"):
        if col not in frame.columns:
            problems.append(Problem(source, None, col, None, "required column missing"))
    if problems:
        raise ValidationError(problems)
    df = frame.reset_index(drop=True).copy()
    for col in ("name_zh", "name_en"):
        if col not in df.columns:
            df[col] = df["park_id"]
    for col in ("zones", "area_types", "focus_chains"):
        df[col] = [_split(v) for v in df[col]] if col in df.columns else [[] for _ in range(len(df))]
    if "kind" not in df.columns:
        df["kind"] = "other"
    if "existing_year" not in df.columns:
        df["existing_year"] = pd.NA
    df["park_id"] = df["park_id"].astype(str)
    for i, row in enumerate(df.itertuples(index=False)):
        if row.province not in ("SC", "CQ"):
            problems.append(Problem(source, i + 2, "province", str(row.province), "must be SC or CQ"))
        for col in ("lon", "lat", "score"):
            v = getattr(row, col)
            try:
                ok = math.isfinite(float(v))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problems.append(Problem(source, i + 2, col, str(v), "must be a finite number"))
    dup = df["park_id"][df["park_id"].duplicated()].tolist()
    problems += [Problem(source, None, "park_id", d, "duplicate park id") for d in dup]
    if problems:
        raise ValidationError(problems)
    df["score"] = df["score"].astype(float)
    df["existing_year"] = pd.to_numeric(df["existing_year"], errors="coerce").astype("Int64")
    return df[list(CANDIDATE_COLUMNS)]


@dataclass(frozen=True, eq=False)
class _Built:
    model: Model
    x: IntArray  # n × T
    y: IntArray  # E (final-year pairs; empty without a synergy term)
    edges: pd.DataFrame
    years: tuple[int, ...]


def pair_edges(
    cand: pd.DataFrame,
    *,
    max_hours: float,
    per_park: int,
    travel_time: TravelTime | None = None,
    pair_synergy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cross-border partner candidates: for every park the ``per_park`` nearest parks of the
    other province within ``max_hours`` (union over both sides).

    Columns: ``a``, ``b`` (row positions, a in SC), ``park_a``, ``park_b``, ``hours``,
    ``affinity`` (Jaccard of focus chains), ``closeness``, ``synergy``.
    """
    sc = np.flatnonzero((cand["province"] == "SC").to_numpy())
    cq = np.flatnonzero((cand["province"] == "CQ").to_numpy())
    cols = ["a", "b", "park_a", "park_b", "hours", "affinity", "closeness", "synergy"]
    if len(sc) == 0 or len(cq) == 0:
        return pd.DataFrame(columns=cols)
    xy = cand[["lon", "lat"]].to_numpy(dtype=np.float64)
    if travel_time is None:
        hours = geodesic_travel_time_within(xy[sc], xy[cq], max_hours)
    else:
        hours = np.asarray(travel_time(xy[sc], xy[cq]), dtype=np.float64)
    ok = hours <= max_hours
    keep = np.zeros_like(ok)
    k1 = min(per_park, len(cq))
    if k1 > 0:
        nn = np.argpartition(hours, k1 - 1, axis=1)[:, :k1]
        keep[np.arange(len(sc))[:, None], nn] = True
    k2 = min(per_park, len(sc))
    if k2 > 0:
        nn2 = np.argpartition(hours, k2 - 1, axis=0)[:k2, :]
        keep[nn2, np.arange(len(cq))[None, :]] = True
    ii, jj = np.nonzero(keep & ok)
    a, b = sc[ii], cq[jj]
    h = hours[ii, jj]
    chains = [set(c) for c in cand["focus_chains"]]
    aff = np.array(
        [len(chains[i] & chains[j]) / len(chains[i] | chains[j]) if chains[i] | chains[j] else 0.0 for i, j in zip(a, b, strict=True)]
    )
    close = 1.0 - h / max_hours
    ids = cand["park_id"].to_numpy()
    df = pd.DataFrame(
        {"a": a, "b": b, "park_a": ids[a], "park_b": ids[b], "hours": h, "affinity": aff, "closeness": close}
    )
    df["synergy"] = 0.5 * df["affinity"] + 0.5 * df["closeness"]
    if pair_synergy is not None and len(df):
        ov = {
            (str(a_), str(b_)): float(s_)
            for a_, b_, s_ in zip(pair_synergy["park_a"], pair_synergy["park_b"], pair_synergy["synergy"], strict=True)
        }
        ov.update({(b_, a_): v for (a_, b_), v in list(ov.items())})
        df["synergy"] = [ov.get((pa, pb), s) for pa, pb, s in zip(df["park_a"], df["park_b"], df["synergy"], strict=True)]
    return df[cols].reset_index(drop=True)


def build_model(
    cand: pd.DataFrame,
    scenario: Scenario,
    *,
    edges: pd.DataFrame,
    zones: Sequence[str] = (),
) -> _Built:
    """Assemble the MILP for validated candidates (see module doc for the groups)."""
    n = len(cand)
    years = scenario.years
    nt = len(years)
    m = Model(f"designation[{scenario.name}]", sense="max")
    score = cand["score"].to_numpy(dtype=np.float64)
    x = m.add_binaries(n * nt, name="x", obj=np.repeat(score, nt)).reshape(n, nt)
    ne = len(edges)
    syn = edges["synergy"].to_numpy(dtype=np.float64) if ne else np.zeros(0)
    use_y = scenario.synergy_weight > 0 and ne > 0
    y = m.add_vars(ne if use_y else 0, name="y", lb=0.0, ub=1.0, obj=scenario.synergy_weight * syn if use_y else 0.0)
    nv = m.num_vars
    rows_n = np.arange(n)

    def row_matrix(entries: list[tuple[IntArray, IntArray, FloatArray]], k: int) -> sp.csr_matrix:
        if not entries:
            return sp.csr_matrix((k, nv))
        r = np.concatenate([e[0] for e in entries])
        c = np.concatenate([e[1] for e in entries])
        v = np.concatenate([e[2] for e in entries])
        return sp.csr_matrix((v, (r, c)), shape=(k, nv))

    # cumulative counts
    target = np.array([scenario.targets[t] for t in years], dtype=np.float64)
    cnt = row_matrix([(np.full(n, k), x[:, k], np.ones(n)) for k in range(nt)], nt)
    m.add_rows("cumulative_count", rows=cnt, lb=target, ub=target, names=[f"count {t} = {int(v)}" for t, v in zip(years, target, strict=True)])
    # monotonicity
    if nt > 1:
        k = n * (nt - 1)
        r = np.repeat(np.arange(k), 2)
        c = np.stack([x[:, :-1].ravel(), x[:, 1:].ravel()], axis=1).ravel()
        v = np.tile([1.0, -1.0], k)
        m.add_rows("monotonicity", rows=sp.csr_matrix((v, (r, c)), shape=(k, nv)), ub=0.0)
    # provinces
    for prov in ("SC", "CQ"):
        members = np.flatnonzero((cand["province"] == prov).to_numpy())
        need = np.array([math.ceil(scenario.min_province_share * N - 1e-9) for N in target], dtype=np.float64)
        need[-1] = max(need[-1], scenario.min_per_province.get(prov, 0))
        if need.max() <= 0:
            continue
        mat = row_matrix([(np.full(len(members), kk), x[members, kk], np.ones(len(members))) for kk in range(nt)], nt)
        m.add_rows(f"province_min:{prov}", rows=mat, lb=need, names=[f"{prov} {t} ≥ {int(v)}" for t, v in zip(years, need, strict=True)])
    # zones (final year)
    zone_sets = [set(z) for z in cand["zones"]]
    for z in zones:
        members = np.array([i for i in range(n) if z in zone_sets[i]], dtype=np.int64)
        m.add_row(f"zone:{z}", x[members, -1] if len(members) else np.zeros(0, np.int64), 1.0, lb=1.0, name=f"zone {z} ≥ 1")
    # area types
    at_sets = [set(a) for a in cand["area_types"]]
    for at, share in scenario.area_type_min_share.items():
        if share <= 0:
            continue
        members = np.array([i for i in range(n) if at in at_sets[i]], dtype=np.int64)
        need = np.array([math.ceil(share * N - 1e-9) for N in target], dtype=np.float64)
        mat = row_matrix([(np.full(len(members), kk), x[members, kk], np.ones(len(members))) for kk in range(nt)], nt)
        m.add_rows(f"area_type:{at}", rows=mat, lb=need, names=[f"{at} {t} ≥ {int(v)}" for t, v in zip(years, need, strict=True)])
    # pairing: a designated park needs a designated partner across the border within reach
    a_idx = edges["a"].to_numpy(dtype=np.int64) if ne else np.zeros(0, np.int64)
    b_idx = edges["b"].to_numpy(dtype=np.int64) if ne else np.zeros(0, np.int64)
    self_paired = (cand["kind"] == "cooperation_area").to_numpy()
    pid = cand["park_id"].astype(str).tolist()
    if scenario.require_pairing:
        needy = np.flatnonzero(~self_paired)
        slot = np.full(n, -1, dtype=np.int64)
        slot[needy] = np.arange(len(needy))
        k = len(needy)
        cov_entries = []
        # neighbour incidence both ways: (park, neighbour)
        own = np.concatenate([a_idx, b_idx])
        nbr = np.concatenate([b_idx, a_idx])
        sel = slot[own] >= 0
        for kk in range(nt):
            cov_entries.append((kk * k + slot[needy], x[needy, kk], np.ones(k)))
            cov_entries.append((kk * k + slot[own[sel]], x[nbr[sel], kk], -np.ones(int(sel.sum()))))
        m.add_rows(
            "pairing",
            rows=row_matrix(cov_entries, k * nt),
            ub=0.0,
            names=[f"pair {pid[needy[i % k]]} {years[i // k]}" for i in range(k * nt)],
        )
    if use_y:
        # synergy of final-year pairs: y_e ≤ x_a, y_e ≤ x_b, Σ_{e∋p} y_e ≤ b·x_p (a bipartite
        # b-matching for fixed x: totally unimodular, so y is integral at the optimum)
        e = np.arange(ne)
        entries = [
            (e, y, np.ones(ne)), (e, x[a_idx, -1], -np.ones(ne)),
            (ne + e, y, np.ones(ne)), (ne + e, x[b_idx, -1], -np.ones(ne)),
        ]
        inc_r = np.concatenate([a_idx, b_idx])
        entries.append((2 * ne + inc_r, np.concatenate([y, y]), np.ones(2 * ne)))
        entries.append((2 * ne + rows_n, x[:, -1], np.full(n, -float(scenario.max_partners))))
        m.add_rows("pair_capacity", rows=row_matrix(entries, 2 * ne + n), ub=0.0)
    # forced lists
    pos = {p: i for i, p in enumerate(cand["park_id"])}
    for p in scenario.forced_in:
        m.add_row("forced_in", x[pos[p], -1], 1.0, lb=1.0, name=f"in {p}")
    for p in scenario.forced_out:
        m.add_row("forced_out", x[pos[p], :], np.ones(nt), ub=0.0, name=f"out {p}")
    # existing designations
    if scenario.fix_existing:
        ex = cand["existing_year"].tolist()
        pid_ex = cand["park_id"].astype(str).tolist()
        for i in range(n):
            if ex[i] is None or ex[i] is pd.NA:
                continue
            yr = int(ex[i])
            cols = [x[i, kk] for kk, t in enumerate(years) if t >= yr]
            if cols:
                m.add_rows(
                    "existing",
                    rows=sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), cols)), shape=(len(cols), nv)),
                    lb=1.0,
                    names=[f"existing {pid_ex[i]} {t}" for t in years if t >= yr],
                )
    return _Built(m, x, y, edges, years)


@dataclass(frozen=True, eq=False)
class DesignationResult:
    """A solved designation scenario: the plan, pairs, binding constraints and explanations."""

    scenario: Scenario
    status: str
    objective: float
    mip_gap: float
    seconds: float
    time_limit: float
    mip_gap_target: float
    plan: pd.DataFrame = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)
    binding: pd.DataFrame = field(repr=False)
    explanations: pd.DataFrame = field(repr=False)
    groups: tuple[str, ...] = ()

    @property
    def designated(self) -> list[str]:
        """Park ids designated by the final target year (ordered by year, then score)."""
        d = self.plan[self.plan["designated"]]
        return d["park_id"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The plan: one row per candidate with ``year`` (first designated year or NA)."""
        return self.plan

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Tables (read-only copies): plan, pairs, binding constraints, forced in/out
        explanations, solver summary."""
        return frozen_tables({
            "plan": self.plan,
            "pairs": self.pairs,
            "binding": self.binding,
            "explanations": self.explanations,
            "solver": pd.DataFrame([self.summary()]).drop(columns=["scenario", "designated"]),
        })

    def summary(self) -> dict[str, object]:
        """JSON-serialisable key figures."""
        by_year = {
            str(t): int((self.plan["year"].notna() & (self.plan["year"] <= t)).sum()) for t in self.scenario.years
        }
        return {
            "scenario": self.scenario.name,
            "status": self.status,
            "objective": self.objective,
            "mip_gap": self.mip_gap,
            "seconds": round(self.seconds, 3),
            "time_limit": self.time_limit,
            "mip_gap_target": self.mip_gap_target,
            "designated": self.designated,
            "count_by_year": by_year,
        }


def designate(
    candidates: pd.DataFrame,
    scenario: Scenario | None = None,
    *,
    zones: Sequence[str] | None = None,
    travel_time: TravelTime | None = None,
    pair_synergy: pd.DataFrame | None = None,
    explain: bool = True,
    runner_ups: int = 10,
    threads: int | None = None,
) -> DesignationResult:
    """Solve the designation MILP for ``candidates`` under ``scenario`` (default: programme).

    ``zones`` are the zone ids that must be represented (default: ``scenario.require_zones``,
    else every zone any candidate belongs to). With ``explain``, every designated park and
    the ``runner_ups`` best-scored others are re-solved forced out / in and the objective
    change reported. Raises :class:`InfeasibleError` naming the conflicting constraint
    groups (bilingual) when no plan satisfies the scenario.
    """
    sc = scenario or Scenario()
    cand = validate_candidates(candidates)
    ids = set(cand["park_id"])
    unknown = [p for p in (*sc.forced_in, *sc.forced_out) if p not in ids]
    if unknown:
        raise ValidationError(
            [Problem(f"scenario {sc.name!r}", None, "forced_in/forced_out", p, "not a candidate park id") for p in unknown]
        )
    if zones is None:
        zones = sc.require_zones if sc.require_zones is not None else sorted({z for zs in cand["zones"] for z in zs})
    edges = pair_edges(
        cand, max_hours=sc.max_pair_hours, per_park=sc.pair_candidates, travel_time=travel_time, pair_synergy=pair_synergy
    )
    built = build_model(cand, sc, edges=edges, zones=zones)
    m = built.model
    sol = m.solve(time_limit=sc.time_limit, mip_gap=sc.mip_gap, threads=threads)
    if not sol.feasible:
        if sol.status in ("time_limit", "iteration_limit", "interrupted"):
            raise InfeasibleError(
                f"designation[{sc.name}]: no feasible plan found within the time limit of {sc.time_limit} s "
                f"(status {sol.status}); raise time_limit",
                conflicts=(),
            )
        why = m.explain_infeasibility(protected=PROTECTED, time_limit=sc.time_limit)
        raise InfeasibleError(_infeasible_message(sc, why.conflict, why.single_relaxations), conflicts=why.conflict)
    plan, pairs = _plan(cand, built, sol)
    binding = _binding(sol)
    expl = _explanations(cand, built, sol, plan, sc, runner_ups, threads) if explain else pd.DataFrame(columns=[*_EXPL_COLUMNS])
    return DesignationResult(
        scenario=sc,
        status=sol.status,
        objective=sol.objective,
        mip_gap=sol.mip_gap,
        seconds=sol.seconds,
        time_limit=sol.time_limit,
        mip_gap_target=sol.mip_gap_target,
        plan=plan,
        pairs=pairs,
        binding=binding,
        explanations=expl,
        groups=m.groups,
    )


def group_label(group: str) -> str:
    """Bilingual label of a constraint group such as ``zone:wanda_kai``."""
    fam, _, item = group.partition(":")
    zh, en = GROUP_LABELS.get(fam, (fam, fam))
    return f"{zh} {en}" + (f" ({item})" if item else "")


def _infeasible_message(sc: Scenario, conflict: Sequence[str], singles: Sequence[str]) -> str:
    parts = "; ".join(group_label(g) for g in conflict)
    msg = f"方案不可行 designation scenario {sc.name!r} is infeasible. 冲突约束 Conflicting constraints: {parts}."
    if singles:
        msg += " 放宽其中任一项即可 Relaxing any one of: " + "; ".join(group_label(g) for g in singles) + "."
    return msg


def _plan(cand: pd.DataFrame, built: _Built, sol: Solution) -> tuple[pd.DataFrame, pd.DataFrame]:
    xv = np.rint(sol.value(built.x.ravel())).reshape(built.x.shape).astype(bool)
    years = np.array(built.years)
    first = np.where(xv.any(axis=1), years[np.argmax(xv, axis=1)], -1)
    plan = cand[["park_id", "name_zh", "name_en", "province", "score"]].copy()
    plan["year"] = pd.array([int(v) if v > 0 else pd.NA for v in first], dtype="Int64")
    plan["designated"] = xv[:, -1]
    plan["existing_year"] = cand["existing_year"]
    e = built.edges
    cols = ["park_a", "park_b", "hours", "affinity", "synergy", "basis"]
    pairs = pd.DataFrame(columns=cols)
    partners: dict[str, list[str]] = {p: [] for p in plan["park_id"]}
    if len(e):
        on = set(plan.loc[plan["designated"], "park_id"])
        both = e[e["park_a"].isin(on) & e["park_b"].isin(on)].sort_values(["hours", "park_a", "park_b"])
        matched = e[sol.value(built.y) > 0.5] if len(built.y) else e.iloc[0:0]
        covered = set(matched["park_a"]) | set(matched["park_b"])
        # parks outside the synergy matching: their nearest designated partner within reach
        extra = set()
        for side in ("park_a", "park_b"):
            nearest = both.drop_duplicates(side)
            extra |= set(nearest.index[~nearest[side].isin(covered)])
        sel = pd.concat(
            [matched.assign(basis="synergy"), both.loc[sorted(extra - set(matched.index))].assign(basis="nearest")]
        )
        if len(sel):
            pairs = sel[cols].reset_index(drop=True)
            for a, b in zip(pairs["park_a"], pairs["park_b"], strict=True):
                partners[a].append(b)
                partners[b].append(a)
    plan["partners"] = [";".join(partners[p]) for p in plan["park_id"]]
    plan = plan.sort_values(["designated", "year", "score", "park_id"], ascending=[False, True, False, True], kind="stable", ignore_index=True)
    return plan, pairs


def _binding(sol: Solution) -> pd.DataFrame:
    b = sol.binding()
    b = b[~b["group"].isin(["monotonicity", "pair_capacity", "pairing"])].copy()
    b["label"] = [group_label(g) for g in b["group"]]
    return b.reset_index(drop=True)


def _explanations(
    cand: pd.DataFrame,
    built: _Built,
    sol: Solution,
    plan: pd.DataFrame,
    sc: Scenario,
    runner_ups: int,
    threads: int | None,
    explain_limit: int = 300,
) -> pd.DataFrame:
    pos = {p: i for i, p in enumerate(cand["park_id"])}
    chosen = plan.loc[plan["designated"], "park_id"].tolist()
    others = plan.loc[~plan["designated"]].sort_values(["score", "park_id"], ascending=[False, True])["park_id"].head(runner_ups).tolist()
    rows: list[tuple[object, ...]] = []
    for p, test in [*((p, "forced_out") for p in chosen), *((p, "forced_in") for p in others)]:
        i = pos[p]
        fix: Mapping[int, float]
        if test == "forced_out":
            fix = {int(v): 0.0 for v in built.x[i, :]}
        else:
            fix = {int(built.x[i, -1]): 1.0}
        s2 = built.model.solve(time_limit=sc.time_limit, mip_gap=sc.mip_gap, threads=threads, fix=fix)
        if s2.feasible:
            rows.append((p, test == "forced_out", test, s2.objective, s2.objective - sol.objective, s2.status))
        elif s2.status == "time_limit":
            rows.append((p, test == "forced_out", test, math.nan, math.nan, s2.status, ""))
            continue
        else:
            reason = ""
            if len(cand) <= explain_limit:
                why = built.model.explain_infeasibility(protected=PROTECTED, fix=fix, time_limit=sc.time_limit)
                reason = "; ".join(group_label(g) for g in why.conflict)
            rows.append((p, test == "forced_out", test, math.nan, math.nan, "infeasible", reason))
            continue
        rows[-1] = (*rows[-1], "")
    return pd.DataFrame(rows, columns=[*_EXPL_COLUMNS])
