"""Next-batch planning from the programme's state: fixed history, counts in both units, the
plan with reasons and swaps (:func:`plan_next_batch`, :func:`plan_next_batch_from_frames`).

Model: :mod:`parklink.designate.nextbatch`; documentation: ``docs/designation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np
import pandas as pd

from parklink.designate.api import candidates_from_frames
from parklink.designate.next_explain import proposal_table, row_activity
from parklink.designate.nextbatch import (
    NextBatchRules,
    build_next_model,
    prepare_candidates,
    solve_next,
)
from parklink.errors import ValidationError
from parklink.evaluate.location import TravelTime

UNITS = ("parks", "designations")


@dataclass(frozen=True, eq=False)
class History:
    """Designations made before the planning year: member parks with their first year, and
    the counts in both units (unnamed members count as one park and one designation each)."""

    members: pd.DataFrame  # park_id, designation_id, batch, year
    parks: int
    designations: int
    last_batch_parks: int
    last_batch_designations: int


def history_before(designations: pd.DataFrame, year: int) -> History:
    """The fixed history: every designation announced for a programme year before ``year``.

    Parks = named members + ``unknown_members``; designations = rows with named members
    (a pair or a cooperation area is one designation) + ``unknown_members`` (pairing of
    unnamed members is unknown, so each counts as one: an upper estimate).
    """
    d = designations[pd.to_numeric(designations["year"]) < year]
    rows = []
    for did, batch, yr, cell in zip(d["designation_id"].astype(str), pd.to_numeric(d["batch"]).astype(int),
                                    pd.to_numeric(d["year"]).astype(int), d["members"].astype("string").fillna(""),
                                    strict=True):
        rows += [(m.strip(), did, int(batch), int(yr)) for m in str(cell).split(";") if m.strip()]
    mem = pd.DataFrame(rows, columns=["park_id", "designation_id", "batch", "year"])
    mem = mem.sort_values(["year", "park_id"]).drop_duplicates("park_id", ignore_index=True)
    unknown = pd.to_numeric(d.get("unknown_members", pd.Series(0, index=d.index))).fillna(0).astype(int)
    named_rows = d["members"].notna() & (d["members"].astype("string").str.strip() != "")

    def units(sel: pd.Series) -> tuple[int, int]:
        names = {m.strip() for v in d.loc[sel & named_rows, "members"] for m in str(v).split(";") if m.strip()}
        return len(names) + int(unknown[sel].sum()), int((sel & named_rows).sum()) + int(unknown[sel].sum())

    everything = pd.Series(True, index=d.index)
    parks, des = units(everything)
    last = pd.to_numeric(d["batch"]).max() if len(d) else None
    lp, ld = units(pd.to_numeric(d["batch"]) == last) if last is not None else (0, 0)
    return History(mem, parks, des, lp, ld)


def next_candidates(parks: pd.DataFrame, scores: pd.Series, *, zones: pd.DataFrame, regions: pd.DataFrame,
                    history: History) -> pd.DataFrame:
    """Candidate table of the next-batch model: every scored park, with district adcode,
    ``parent_park_id`` (when the parks table has it) and the fixed history flags."""
    cand = candidates_from_frames(parks, scores, zones=zones, regions=regions, designations=None)
    p = parks.set_index(parks["park_id"].astype(str))
    adcodes = p["adcode"].astype("string").fillna("") if "adcode" in p.columns else pd.Series("", index=p.index)
    cand["adcode"] = [str(adcodes.loc[i]) for i in cand["park_id"]]
    if "parent_park_id" in p.columns:
        cand["parent_park_id"] = [str(v) if pd.notna(v) else "" for v in p.loc[cand["park_id"], "parent_park_id"]]
    first = dict(zip(history.members["park_id"], history.members["year"], strict=True))
    cand["designated"] = cand["park_id"].isin(set(first))
    cand["designated_year"] = pd.array([first.get(i) for i in cand["park_id"]], dtype="Int64")
    cand["existing_year"] = cand["designated_year"]
    return cand


@dataclass(frozen=True, eq=False)
class NextBatchResult:
    """A proposed next batch: picks with reasons and swaps, history kept, counts in both units."""

    rules: NextBatchRules
    size: int
    size_basis: str
    status: str
    objective: float
    mip_gap: float
    seconds: float
    proposal: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    counts: pd.DataFrame = field(repr=False)
    rows: pd.DataFrame = field(repr=False)

    @property
    def proposed(self) -> list[str]:
        """Park ids proposed for the batch (best score first)."""
        return self.proposal["park_id"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The proposal: one row per proposed park with its reason (zh, en) and best swap."""
        return self.proposal

    def explain(self) -> dict[str, pd.DataFrame]:
        """Tables: proposal, fixed history, counts (both units), constraint rows, solver."""
        return {"proposal": self.proposal, "history": self.history, "counts": self.counts,
                "constraints": self.rows, "solver": pd.DataFrame([self.summary()]).drop(columns=["proposed"])}

    def summary(self) -> dict[str, object]:
        """JSON-serialisable key figures."""
        return {"year": self.rules.year, "count": self.rules.count, "size": self.size, "size_basis": self.size_basis,
                "status": self.status, "objective": self.objective, "mip_gap": self.mip_gap,
                "seconds": round(self.seconds, 3), "proposed": self.proposed}


def _batch_designations(nm_cand: pd.DataFrame, chosen: list[int], hours: np.ndarray, sc_pos: np.ndarray,
                        cq_pos: np.ndarray, max_hours: float) -> int:
    """New designations of a batch of new parks: parks − a maximum matching of new SC–CQ
    pairs within reach (two new parks paired together are one designation)."""
    sc_index = {int(p): k for k, p in enumerate(sc_pos)}
    cq_index = {int(p): k for k, p in enumerate(cq_pos)}
    g = nx.Graph()
    left = [c for c in chosen if c in sc_index and nm_cand["kind"].iloc[c] != "cooperation_area"]
    right = [c for c in chosen if c in cq_index and nm_cand["kind"].iloc[c] != "cooperation_area"]
    g.add_nodes_from(left)
    g.add_nodes_from(right)
    for a in left:
        for b in right:
            if hours[sc_index[a], cq_index[b]] <= max_hours:
                g.add_edge(a, b)
    matching = nx.bipartite.hopcroft_karp_matching(g, top_nodes=left) if g.number_of_edges() else {}
    return len(chosen) - len(matching) // 2


def plan_next_batch(cand: pd.DataFrame, rules: NextBatchRules, *, history: History | None = None,
                    travel_time: TravelTime | None = None, lifts: pd.DataFrame | None = None,
                    lift_labels: Mapping[str, tuple[str, str]] | None = None, explain: bool = True,
                    swaps: int = 5, threads: int | None = None) -> NextBatchResult:
    """Plan the next batch among ``cand`` (already designated parks flagged ``designated``).

    The batch size is ``rules.size``; when it is ``None`` it is the gap to ``rules.target``
    in the ``rules.count`` unit, or the size of the last batch when the target is already met
    (or unknown). Raises :class:`~parklink.designate.nextbatch.NextBatchInfeasibleError` with
    the smallest relaxation when no batch satisfies the rules.
    """
    c = prepare_candidates(cand)
    fixed_parks = int(c["designated"].sum()) if history is None else history.parks
    fixed_des = fixed_parks if history is None else history.designations
    before = {"parks": fixed_parks, "designations": fixed_des}
    target = rules.target
    size, basis = rules.size, "given (--size)"
    if size is None:
        last = {"parks": history.last_batch_parks if history else 0,
                "designations": history.last_batch_designations if history else 0}[rules.count]
        gap = None if target is None else target - before[rules.count]
        if gap is not None and gap > 0:
            size, basis = gap, f"gap to the cumulative target {target} ({rules.count})"
        else:
            size = last
            basis = (f"target {target} already met ({before[rules.count]} {rules.count}); size of the last batch"
                     if target is not None else "no target; size of the last batch")
    if size <= 0:
        raise ValidationError.single("next-batch rules", f"batch size must be at least 1 (got {size}: {basis})",
                                     column="size")
    rules = replace(rules, size=size)
    nm = build_next_model(c, rules, size=size, travel_time=travel_time)
    model, sol = solve_next(nm, threads=threads)
    xv = sol.value(nm.x) > 0.5
    chosen = nm.free[xv].tolist()
    new_parks = len(chosen)
    new_des = _batch_designations(c, chosen, nm.hours, nm.sc_pos, nm.cq_pos, rules.max_pair_hours)
    if rules.count == "designations" and len(nm.y):
        new_des = round(new_parks - float(sol.value(nm.y).sum()))
    batch = {"parks": new_parks, "designations": new_des}
    counts = pd.DataFrame({
        "unit": list(UNITS),
        "unit_zh": ["园区", "示范（对）"],
        "counted": [u == rules.count for u in UNITS],
        "before": [before[u] for u in UNITS],
        "batch": [batch[u] for u in UNITS],
        "after": [before[u] + batch[u] for u in UNITS],
        "target": [target if target is not None else pd.NA] * 2,
    })
    counts["target"] = counts["target"].astype("Int64")
    counts["met"] = [bool(target is not None and a >= target) for a in counts["after"]]
    proposal = (proposal_table(nm, model, sol, lifts=lifts, lift_labels=dict(lift_labels or {}),
                               swaps=swaps if explain else 0, threads=threads))
    hist = history.members if history is not None else c.loc[c["designated"], ["park_id"]].reset_index(drop=True)
    return NextBatchResult(rules=rules, size=size, size_basis=basis, status=sol.status, objective=sol.objective,
                           mip_gap=sol.mip_gap, seconds=sol.seconds, proposal=proposal, history=hist,
                           counts=counts, rows=row_activity(nm, sol))


def score_group_lifts(parks: pd.DataFrame, *, regions: pd.DataFrame, zones: pd.DataFrame,
                      transport_nodes: pd.DataFrame, enterprises: pd.DataFrame | None = None,
                      travel_time: TravelTime | None = None, weighting: str = "combined",
                      min_coverage: float = 0.5) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Per park and indicator group: ``Σ_{c∈g} w_c (z_pc − mean_c)`` with direction-aware
    min–max values ``z`` and the weights of ``weighting`` — how far the group lifts the park
    above the average park. Returns the table (index park_id) and the groups' (zh, en) names."""
    from parklink.evaluate.indicators import compute_indicators
    from parklink.evaluate.weights import compute_weights, minmax
    from parklink.vocab import INDICATOR_GROUP_NAMES

    table = compute_indicators(parks, regions=regions, zones=zones, transport_nodes=transport_nodes,
                               enterprises=enterprises, travel_time=travel_time)
    dm = table.matrix(parks, min_coverage=min_coverage, source="park indicators")
    w = compute_weights(dm, weighting).values
    z = minmax(np.asarray(dm.values, dtype=np.float64), dm.types)
    contrib = (z - z.mean(axis=0)) * w
    groups = sorted({c.group for c in dm.criteria})
    out = pd.DataFrame({g: contrib[:, [c.group == g for c in dm.criteria]].sum(axis=1) for g in groups},
                       index=pd.Index(dm.alternatives, name="park_id"))
    return out, {g: INDICATOR_GROUP_NAMES.get(g, (g, g)) for g in groups}


def plan_next_batch_from_frames(frames: Mapping[str, pd.DataFrame], rules: NextBatchRules | None = None, *,
                                method: str = "topsis", weighting: str = "combined",
                                travel_time: TravelTime | None = None, explain: bool = True,
                                swaps: int = 5, scores: pd.Series | None = None) -> NextBatchResult:
    """Plan the next batch from dataset frames keyed by kind (``parks``, ``regions``,
    ``zones``, ``transport_nodes``, ``enterprises``, ``designations``, ``targets``): scores
    by :func:`parklink.evaluate.api.score_parks`, history before ``rules.year``, target of
    that year from ``targets`` (``cumulative_parks``) unless ``rules.target`` is set.
    ``scores`` (park id → score) given by the caller are used as they are: the CLI and the web
    API go through :func:`parklink.runs.next_batch`, which passes the scores of
    :func:`parklink.runs.park_scores` so the next batch ranks parks exactly as ``evaluate`` does."""
    from parklink.evaluate.api import score_parks

    rules = rules or NextBatchRules()
    parks, regions, zones = frames["parks"], frames["regions"], frames["zones"]
    nodes = frames["transport_nodes"]
    ent = frames.get("enterprises")
    if scores is None:
        scores = score_parks(parks, regions=regions, zones=zones, transport_nodes=nodes, enterprises=ent,
                             travel_time=travel_time, method=method, weighting=weighting,
                             designations=frames.get("designations"))
    history = history_before(frames["designations"], rules.year)
    if rules.target is None:
        t = frames.get("targets")
        if t is not None and len(t):
            hit = t[pd.to_numeric(t["year"]) == rules.year]
            if len(hit):
                rules = replace(rules, target=int(hit["cumulative_parks"].iloc[0]))
    cand = next_candidates(parks, scores, zones=zones, regions=regions, history=history)
    lifts, labels = score_group_lifts(parks, regions=regions, zones=zones, transport_nodes=nodes, enterprises=ent,
                                      travel_time=travel_time, weighting=weighting)
    return plan_next_batch(cand, rules, history=history, travel_time=travel_time, lifts=lifts, lift_labels=labels,
                           explain=explain, swaps=swaps)


__all__ = ["History", "NextBatchResult", "history_before", "next_candidates", "plan_next_batch",
           "plan_next_batch_from_frames", "score_group_lifts"]
