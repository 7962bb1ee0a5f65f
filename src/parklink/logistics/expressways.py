"""The expressway layer: sourced alignments as links between district seats, as of a year.

``datasets/chengyu/expressways.csv`` holds one row per link of an expressway alignment as
stated by the reference (``shared/reference/freight-facts.md`` §1): the ordered towns of each
route become links between the seats of their districts (or a sourced hub point such as the
Tianfu airport), each with the route's code, opening year, design speed, posted limit where
stated, the route's stated length, source and confidence. Every link is ``approximate``: a
district seat stands for the interchange, and the ``note`` says where an end point was mapped.

Link length: the great-circle length between the two stops times a per-route factor. When a
route's stated length spans its listed stops the factor is ``stated length / Σ great-circle
lengths``, so the route's links add up to the stated length. A factor below 1 means the seats
lie off the alignment (the route passes the district, not its seat, or the stated length runs
between interchanges): the seat then stands for the interchange and the in-town leg from seat
to interchange is not modelled — the layer is edge to edge like the stated figures (the
explain table flags these routes). The factor is floored at :data:`MIN_FACTOR` (0.8): a lower
ratio means the listed stops are districts crossed rather than points on the line (Chengmian
expansion and second line, Chengyi, Danei). Without a spanning length the factor is the median factor
of the spanning routes whose seats lie on the alignment (factor ≥ 1).

Speed by vehicle class: a car drives at the stated design speed, else at
``Parameters.expressway_default_kmh`` (an assumption); a truck at
most ``Parameters.expressway_truck_kmh`` (100 km/h: Road Traffic Safety Law Implementing
Regulations art. 78). Links open in year Y (``opened`` ≤ Y) are in the network "as of Y";
links whose opening year is not in the reference are treated as open in every year (the
explain table lists them); ``status = planned`` links are never included.
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import Problem, ValidationError
from parklink.logistics.netcore import haversine_km
from parklink.logistics.params import Parameters

FloatArray = npt.NDArray[np.float64]
EXPRESSWAY_FILE = "expressways.csv"
EXPRESSWAY_COLUMNS: tuple[str, ...] = (
    "route", "code", "name_zh", "name_en", "seq", "from_stop", "to_stop", "from_name", "to_name", "opened",
    "design_kmh", "limit_kmh", "route_length_km", "status", "approximate", "confidence", "source", "note",
)
VEHICLES: tuple[str, ...] = ("truck", "car")
MIN_FACTOR = 0.8
"""Lowest length factor: below it the listed stops are districts the route crosses (a zigzag
list), not points on the line, and shorter links would make partial trips implausibly short."""
STATUSES: tuple[str, ...] = ("open", "planned")
CONFIDENCES: tuple[str, ...] = ("confirmed", "likely", "unconfirmed")


@cache
def _dataset_text(name: str) -> str:
    return (files("parklink.datasets.chengyu") / name).read_text(encoding="utf-8-sig")


def read_dataset_csv(name: str) -> pd.DataFrame:
    """A CSV shipped in ``parklink.datasets.chengyu`` as an all-text frame (empty cells = NA)."""
    frame = pd.read_csv(io.StringIO(_dataset_text(name)), dtype=str, keep_default_na=False)
    return frame.replace("", pd.NA)


def check_expressways(frame: pd.DataFrame, *, file: str = EXPRESSWAY_FILE) -> pd.DataFrame:
    """Validate an expressway link table and return it typed (numbers as float, ``seq`` int).

    Every problem (missing column, bad number, unknown status or confidence, a route whose
    ``seq`` is not 1..n) is raised at once as :class:`ValidationError` (row = spreadsheet row).
    """
    problems: list[Problem] = []
    for col in EXPRESSWAY_COLUMNS:
        if col not in frame.columns:
            problems.append(Problem(file, None, col, None, "required column is missing"))
    if problems:
        raise ValidationError.from_problems(problems)
    out = frame.reset_index(drop=True).copy()
    for col in ("seq", "opened", "design_kmh", "limit_kmh", "route_length_km"):
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna()
        bad |= num.notna() & (num <= 0)
        for i in np.flatnonzero(bad.to_numpy()).tolist():
            problems.append(Problem(file, i + 2, col, str(out[col].iat[i]), "not a positive number"))
        out[col] = num.astype(float)
    for col, allowed in (("status", STATUSES), ("confidence", CONFIDENCES)):
        for i, v in enumerate(out[col].tolist()):
            if v not in allowed:
                problems.append(Problem(file, i + 2, col, None if v is pd.NA else str(v),
                                        f"not one of {', '.join(allowed)}"))
    for col in ("route", "from_stop", "to_stop", "source"):
        for i in np.flatnonzero(out[col].isna().to_numpy()).tolist():
            problems.append(Problem(file, i + 2, col, None, "required value is empty"))
    if out["seq"].notna().all():
        for route, grp in out.groupby("route", sort=False):
            if sorted(grp["seq"].astype(int)) != list(range(1, len(grp) + 1)):
                problems.append(Problem(file, int(grp.index[0]) + 2, "seq", str(route), "seq must run 1..n per route"))
    if problems:
        raise ValidationError.from_problems(problems)
    out["seq"] = out["seq"].astype(int)
    out["approximate"] = out["approximate"].astype(str).str.lower().isin(["true", "1", "yes"])
    return out


def load_expressways() -> pd.DataFrame:
    """The shipped expressway link table (validated; see the module docstring)."""
    return check_expressways(read_dataset_csv(EXPRESSWAY_FILE))


def stop_node(stop: str) -> str:
    """Network node id of a stop: an adcode is a district seat (``seat.<adcode>``), else a hub node id."""
    s = str(stop).strip()
    return f"seat.{s}" if s.isdigit() else s


def car_speed(frame: pd.DataFrame, params: Parameters) -> FloatArray:
    """Car speed (km/h) per link: the stated design speed, else ``params.expressway_default_kmh``.

    Posted limits (``limit_kmh``) are kept for information only: they may exceed the design
    speed (e.g. Leyi: 80 design, 120 limit), and a door-to-door average stays below either.
    """
    design = frame["design_kmh"].to_numpy(float)
    return np.where(np.isfinite(design), design, params.expressway_default_kmh)


def vehicle_speed(frame: pd.DataFrame, params: Parameters, vehicle: str | None = None) -> FloatArray:
    """Speed (km/h) per link for ``vehicle`` (``params.vehicle`` by default): trucks capped."""
    v = vehicle or params.vehicle
    if v not in VEHICLES:
        raise ValueError(f"unknown vehicle class {v!r}; expected one of {', '.join(VEHICLES)}")
    speed = car_speed(frame, params)
    return np.minimum(speed, params.expressway_truck_kmh) if v == "truck" else speed


def route_factors(frame: pd.DataFrame, coords: pd.DataFrame) -> pd.DataFrame:
    """Per route: Σ great-circle km of its links, stated length, raw and applied length factor.

    ``coords`` is indexed by node id with ``lon``/``lat``. Links whose stops are not in
    ``coords`` are left out (their route then counts no spanning length).
    """
    f = frame.assign(a=frame["from_stop"].map(stop_node), b=frame["to_stop"].map(stop_node))
    known = f["a"].isin(coords.index) & f["b"].isin(coords.index)
    f = f[known]
    gc = haversine_km(coords.loc[f["a"], "lon"].to_numpy(float), coords.loc[f["a"], "lat"].to_numpy(float),
                      coords.loc[f["b"], "lon"].to_numpy(float), coords.loc[f["b"], "lat"].to_numpy(float))
    f = f.assign(gc_km=gc)
    complete = frame.groupby("route", sort=False).size()
    rows = []
    for route, grp in f.groupby("route", sort=False):
        stated = float(grp["route_length_km"].iloc[0])
        total = float(grp["gc_km"].sum())
        spans = bool(np.isfinite(stated)) and len(grp) == int(complete[route]) and total > 0
        raw = stated / total if spans else np.nan
        rows.append({"route": route, "code": grp["code"].iloc[0], "links": len(grp), "gc_km": round(total, 1),
                     "stated_km": stated, "raw_factor": raw})
    out = pd.DataFrame(rows, columns=["route", "code", "links", "gc_km", "stated_km", "raw_factor"])
    ok = out["raw_factor"].to_numpy(float)
    on_line = ok[np.isfinite(ok) & (ok >= 1.0)]
    default = float(np.median(on_line)) if len(on_line) else 1.2
    out["factor"] = np.where(np.isfinite(ok), np.maximum(ok, MIN_FACTOR), default)
    out["factor_source"] = np.where(
        ~np.isfinite(ok), f"median of spanning routes with seats on the line ({default:.3f})",
        np.where(ok < MIN_FACTOR, f"floored at {MIN_FACTOR:g}: the stops are districts crossed, not points on the line",
                 np.where(ok < 1.0, "stated length / great-circle sum (< 1: seats off the alignment stand for "
                          "its interchanges)", "stated length / great-circle sum")))
    out["modelled_km"] = (out["gc_km"] * out["factor"]).round(1)
    return out


def expressway_links(
    coords: pd.DataFrame,
    params: Parameters,
    *,
    as_of: int | None = None,
    frame: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expressway links (``TRANSPORT_LINKS`` columns, mode ``road``) and the per-link explain table.

    ``coords``: node id → ``lon``/``lat`` of the seats and hubs present in the network.
    ``as_of``: keep links opened in or before that year (unknown opening years count as open);
    ``None`` keeps every open link. Vehicle class, speeds and tariff come from ``params``.
    """
    f = load_expressways() if frame is None else check_expressways(frame)
    factors = route_factors(f, coords).set_index("route")
    f = f.assign(a=f["from_stop"].map(stop_node), b=f["to_stop"].map(stop_node))
    present = f["a"].isin(coords.index) & f["b"].isin(coords.index)
    opened = f["opened"].to_numpy(float)
    in_year = np.ones(len(f), bool) if as_of is None else (~np.isfinite(opened) | (opened <= as_of))
    keep = present.to_numpy(bool) & (f["status"] == "open").to_numpy(bool) & in_year
    gc = np.full(len(f), np.nan)
    if present.any():
        p = f[present]
        gc[present.to_numpy(bool)] = haversine_km(
            coords.loc[p["a"], "lon"].to_numpy(float), coords.loc[p["a"], "lat"].to_numpy(float),
            coords.loc[p["b"], "lon"].to_numpy(float), coords.loc[p["b"], "lat"].to_numpy(float))
    factor = f["route"].map(factors["factor"]).to_numpy(float)
    km = np.maximum(gc * factor, 0.01)
    speed = vehicle_speed(f, params)
    rate = params.rate.get("road", {})
    ref = rate.get("container", max(rate.values(), default=0.0))
    explain = pd.DataFrame({
        "link_id": [f"expressway.{r}.{s}" for r, s in zip(f["route"], f["seq"], strict=True)],
        "route": f["route"], "code": f["code"], "from_name": f["from_name"], "to_name": f["to_name"],
        "from_node": f["a"], "to_node": f["b"], "opened": f["opened"], "gc_km": np.round(gc, 2),
        "factor": factor, "km": np.round(km, 2), "car_kmh": car_speed(f, params),
        "speed_kmh": speed, "included": keep, "opening_known": np.isfinite(opened),
        "confidence": f["confidence"], "note": f["note"],
    })
    links = pd.DataFrame({
        "link_id": explain["link_id"], "from_node": f["a"], "to_node": f["b"], "mode": "road",
        "distance_km": km, "time_h": km / speed, "cost_cny_per_t": km * ref, "bidirectional": True,
        "approximate": f["approximate"].to_numpy(bool), "source_url": f["source"], "confidence": f["confidence"],
    })[keep].reset_index(drop=True)
    return links, explain


__all__ = [
    "EXPRESSWAY_COLUMNS",
    "VEHICLES",
    "car_speed",
    "check_expressways",
    "expressway_links",
    "load_expressways",
    "read_dataset_csv",
    "route_factors",
    "stop_node",
    "vehicle_speed",
]
