"""Designation from dataset frames: candidates, scenario runs, comparison, historical check."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from parklink.designate.model import DesignationResult, designate
from parklink.designate.scenario import PROGRAMME_TARGETS, Scenario
from parklink.errors import Problem, ValidationError
from parklink.evaluate.indicators import park_zones
from parklink.evaluate.location import TravelTime


def existing_years(designations: pd.DataFrame) -> dict[str, int]:
    """Park id → programme year of its first designation (named members only)."""
    out: dict[str, int] = {}
    for members, year in zip(designations["members"], designations["year"], strict=True):
        if members is None or members is pd.NA or (isinstance(members, float) and pd.isna(members)):
            continue
        for p in str(members).split(";"):
            p = p.strip()
            if p:
                out[p] = min(int(year), out.get(p, 10_000))
    return out


def targets_from_frame(targets: pd.DataFrame) -> dict[int, int]:
    """Target year → cumulative parks from a ``targets`` table."""
    return {int(y): int(n) for y, n in zip(targets["year"], targets["cumulative_parks"], strict=True)}


def candidates_from_frames(
    parks: pd.DataFrame,
    scores: pd.Series,
    *,
    zones: pd.DataFrame,
    regions: pd.DataFrame,
    designations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The candidate table of the designation model: parks with a score, their zones
    (host district or city in the zone's members), area types, focus chains, kind and
    the year of an existing designation. Parks without a score are not candidates."""
    missing = [p for p in scores.index if p not in set(parks["park_id"])]
    if missing:
        raise ValidationError([Problem("scores", None, "park_id", p, "score for an unknown park") for p in missing])
    p = parks[parks["park_id"].isin(scores.index)].reset_index(drop=True)
    ex = existing_years(designations) if designations is not None else {}
    zone_kind = dict(zip(zones["zone_id"].astype(str), zones["kind"], strict=True))
    pz = park_zones(p, zones, regions)
    return pd.DataFrame(
        {
            "park_id": p["park_id"].astype(str),
            "name_zh": p["name_zh"].astype(str),
            "name_en": p["name_en"].astype(str),
            "province": p["province"].astype(str),
            "lon": p["lon"].astype(float),
            "lat": p["lat"].astype(float),
            "score": [float(scores[i]) for i in p["park_id"]],
            # polar cores are not "zones to represent"; keep economic zones and platforms
            "zones": [";".join(z for z in zs if zone_kind.get(z) != "polar_core") for zs in pz],
            "area_types": p["area_types"].astype("string").fillna(""),
            "focus_chains": p["focus_chains"].astype("string").fillna(""),
            "kind": p["kind"].astype(str),
            "existing_year": pd.array([ex.get(i) for i in p["park_id"]], dtype="Int64"),
        }
    )


def designate_from_frames(
    parks: pd.DataFrame,
    scores: pd.Series,
    *,
    zones: pd.DataFrame,
    regions: pd.DataFrame,
    designations: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    scenario: Scenario | None = None,
    travel_time: TravelTime | None = None,
    explain: bool = True,
    runner_ups: int = 10,
) -> DesignationResult:
    """Run the designation MILP on the dataset frames (targets from the ``targets`` table
    when no scenario is given). See :func:`parklink.designate.model.designate`."""
    cand = candidates_from_frames(parks, scores, zones=zones, regions=regions, designations=designations)
    sc = scenario
    if sc is None:
        sc = Scenario(targets=targets_from_frame(targets)) if targets is not None and len(targets) else Scenario()
    return designate(cand, sc, travel_time=travel_time, explain=explain, runner_ups=runner_ups)


def compare(a: DesignationResult, b: DesignationResult) -> pd.DataFrame:
    """Parks whose designation differs between two results.

    Columns: ``park_id``, ``name_zh``, ``name_en``, ``year_a``, ``year_b``, ``change``
    (``only_a``, ``only_b``, ``earlier_in_b``, ``later_in_b``).
    """
    pa = a.plan.set_index("park_id")
    pb = b.plan.set_index("park_id")
    ids = sorted(set(pa.index) | set(pb.index))
    year_a = {str(k): (None if pd.isna(v) else int(v)) for k, v in a.plan.set_index("park_id")["year"].items()}
    year_b = {str(k): (None if pd.isna(v) else int(v)) for k, v in b.plan.set_index("park_id")["year"].items()}
    rows = []
    for p in ids:
        ya = year_a.get(p)
        yb = year_b.get(p)
        if ya is None and yb is None:
            continue
        if yb is None:
            change = "only_a"
        elif ya is None:
            change = "only_b"
        elif yb < ya:
            change = "earlier_in_b"
        elif yb > ya:
            change = "later_in_b"
        else:
            continue
        src = pa if p in pa.index else pb
        rows.append((p, src.at[p, "name_zh"], src.at[p, "name_en"], pd.NA if ya is None else ya, pd.NA if yb is None else yb, change))
    df = pd.DataFrame(rows, columns=["park_id", "name_zh", "name_en", "year_a", "year_b", "change"])
    df["year_a"] = df["year_a"].astype("Int64")
    df["year_b"] = df["year_b"].astype("Int64")
    return df


def compare_summary(a: DesignationResult, b: DesignationResult) -> dict[str, object]:
    """Objective and membership differences of two results (JSON-serialisable)."""
    sa, sb = set(a.designated), set(b.designated)
    return {
        "scenario_a": a.scenario.name,
        "scenario_b": b.scenario.name,
        "objective_a": a.objective,
        "objective_b": b.objective,
        "objective_change": b.objective - a.objective,
        "common": len(sa & sb),
        "only_a": sorted(sa - sb),
        "only_b": sorted(sb - sa),
    }


@dataclass(frozen=True, eq=False)
class HistoricalCheck:
    """How a re-run selection overlaps the actual first batch (a figure, not a target)."""

    k: int
    actual: tuple[str, ...]
    unnamed_actual: int
    selected: tuple[str, ...]
    top_by_score: tuple[str, ...]
    overlap_selected: tuple[str, ...]
    overlap_top: tuple[str, ...]
    result: DesignationResult = field(repr=False)

    def summary(self) -> dict[str, object]:
        """Overlap counts and shares (of the named actual members)."""
        n = len(self.actual)
        return {
            "k": self.k,
            "actual_named": n,
            "actual_unnamed": self.unnamed_actual,
            "overlap_milp": len(self.overlap_selected),
            "overlap_milp_share": len(self.overlap_selected) / n if n else 0.0,
            "overlap_top_score": len(self.overlap_top),
            "overlap_top_score_share": len(self.overlap_top) / n if n else 0.0,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per park in any of the three sets: in_actual, in_milp, in_top_score."""
        ids = sorted(set(self.actual) | set(self.selected) | set(self.top_by_score))
        return pd.DataFrame(
            {
                "park_id": ids,
                "in_actual": [i in self.actual for i in ids],
                "in_milp": [i in self.selected for i in ids],
                "in_top_score": [i in self.top_by_score for i in ids],
            }
        )


def historical_check(
    parks: pd.DataFrame,
    scores: pd.Series,
    *,
    designations: pd.DataFrame,
    zones: pd.DataFrame,
    regions: pd.DataFrame,
    batch: int = 1,
    scenario: Scenario | None = None,
    travel_time: TravelTime | None = None,
) -> HistoricalCheck:
    """Re-run the selection of batch ``batch`` among all parks (actual members included as
    candidates, nothing fixed) for as many parks as the batch had, and report the overlap
    of the computed set and of the plain top-k by score with the batch's named members.

    Indicators describe today's data, not the data of the batch year; read the overlap as
    a plausibility figure.
    """
    d = designations[designations["batch"] == batch]
    if d.empty:
        raise ValidationError.single("designations", f"no designation of batch {batch}", column="batch")
    named = tuple(sorted(existing_years(d)))
    unnamed = int(d["unknown_members"].fillna(0).sum())
    k = len(named) + unnamed
    year = int(d["year"].min())
    base = scenario or Scenario(name=f"historical_batch_{batch}", description="historical check")
    sc = base.with_(
        name=f"historical_batch_{batch}",
        targets={year: k},
        fix_existing=False,
        forced_in=(),
        forced_out=(),
    )
    cand = candidates_from_frames(parks, scores, zones=zones, regions=regions, designations=None)
    res = designate(cand, sc, travel_time=travel_time, explain=False)
    selected = tuple(res.designated)
    ranked = sorted(scores.items(), key=lambda kv: (-float(kv[1]), str(kv[0])))
    top = tuple(str(i) for i, _v in ranked[:k])
    return HistoricalCheck(
        k=k,
        actual=named,
        unnamed_actual=unnamed,
        selected=selected,
        top_by_score=top,
        overlap_selected=tuple(sorted(set(named) & set(selected))),
        overlap_top=tuple(sorted(set(named) & set(top))),
        result=res,
    )


__all__ = [
    "PROGRAMME_TARGETS",
    "HistoricalCheck",
    "candidates_from_frames",
    "compare",
    "compare_summary",
    "designate_from_frames",
    "existing_years",
    "historical_check",
    "targets_from_frame",
]
