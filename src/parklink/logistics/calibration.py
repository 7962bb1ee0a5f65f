"""Calibration of the ordinary-road layer against stated road times, and the validation table.

``datasets/chengyu/road_times.csv`` lists every stated road time or distance of the reference
(``shared/reference/freight-facts.md`` §2) with the network nodes standing for its end points,
optional forced waypoints (``via``: a figure stated for one named route), the year of the
network it describes (``as_of``) and its kind: ``target`` (compared), ``lower_bound``
(promotional figures implying speeds above the legal limit, or "≥" statements: the model must
not be faster) or ``not_modelled`` (outside the region, a difference between routes, an end
point without a sourced point).

**Model of a stated time.** Car speeds (stated times are car times), the network as of the
pair's year, the fastest road path between the two nodes (through the waypoints in order);
its time and length. Stated figures are often edge to edge (ring to ring, interchange to
city) while the model runs seat to seat (centre to centre), so the model is expected to be
somewhat longer; a stated range counts as met anywhere inside it.

**Fit.** Two parameters of the fallback layer, the ordinary-road speed ``v`` (km/h) and detour
factor ``d`` (road km per great-circle km), minimise the sum of squared log errors
``Σ log(t_model / t_stated)² + Σ log(km_model / km_stated)²`` over the training pairs (least
squares on log time and log distance): a grid over v ∈ [30, 90] km/h × d ∈ [1.05, 1.80]
refined by Nelder–Mead (:func:`scipy.optimize.minimize`). The target pairs are split by
origin–destination–route group with a seeded shuffle (seed 0): one third held out, never
seen by the fit. :data:`FITTED_ROAD` records the result used as the parameter defaults; a
test re-runs the fit and checks both agree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.csgraph import dijkstra

from parklink.logistics.expressways import read_dataset_csv
from parklink.logistics.netcore import Network, haversine_km, iter_rows
from parklink.logistics.network import build_network
from parklink.logistics.params import DEFAULT_PARAMETERS, Parameters

FloatArray = npt.NDArray[np.float64]
STATED_FILE = "road_times.csv"
SEED = 0
HOLDOUT_SHARE = 1.0 / 3.0
SPEED_BOUNDS = (30.0, 80.0)
DETOUR_BOUNDS = (1.10, 1.60)
FITTED_ROAD = {"speed_kmh": 62.9, "detour": 1.10}
"""Result of :func:`calibrate_roads` on the shipped data (rounded; the parameter defaults)."""


def load_stated() -> pd.DataFrame:
    """The stated road figures (``road_times.csv``), numbers as float."""
    f = read_dataset_csv(STATED_FILE)
    for col in ("as_of", "stated_h_low", "stated_h_high", "stated_km_low", "stated_km_high"):
        f[col] = pd.to_numeric(f[col], errors="coerce").astype(float)
    return f


def holdout_split(stated: pd.DataFrame, *, seed: int = SEED, share: float = HOLDOUT_SHARE) -> pd.Series:
    """``train`` / ``held-out`` per target row (``bound`` / ``not modelled`` otherwise).

    Rows with the same origin, destination and waypoints form one group (so a figure stated
    by two sources cannot sit on both sides); groups are shuffled with ``seed`` and the first
    ``round(share × groups)`` are held out.
    """
    split = pd.Series(np.where(stated["kind"] == "lower_bound", "bound", "not modelled"), index=stated.index)
    target = stated[stated["kind"] == "target"]
    keys = target["origin"].astype(str) + "|" + target["destination"].astype(str) + "|" + target["via"].fillna("").astype(str)
    groups = sorted(set(keys))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(groups))
    held = {groups[i] for i in order[: round(share * len(groups))]}
    split[target.index] = np.where(keys.isin(held), "held-out", "train")
    return split


def _interval_error(model: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """Relative error to a stated interval: 0 inside, else to the nearer bound."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(model < low, model / low - 1.0, np.where(model > high, model / high - 1.0, 0.0))


@dataclass(eq=False)
class RoadModel:
    """The road layers of the network at the years of the stated pairs, for fast re-weighting.

    Built once with the car vehicle class; :meth:`evaluate` recomputes ordinary-road and
    connector links for a speed ``v`` and detour ``d`` exactly as :func:`build_network` does
    and returns the fastest-path time (h) and length (km) of every modelled pair.
    """

    stated: pd.DataFrame
    frames: Mapping[str, Any]
    params: Parameters
    _years: dict[int, tuple[Network, dict[str, FloatArray]]] = field(default_factory=dict)

    def network(self, year: int | None) -> Network:
        """The car network as of ``year`` (0 = today's) at the base parameters."""
        return self._year(year)[0]

    def _year(self, year: int | None) -> tuple[Network, dict[str, FloatArray]]:
        key = 0 if year is None else int(year)
        if key not in self._years:
            net = build_network(**self.frames, params=self.params, as_of=None if key == 0 else key)
            road = net.links[net.links["mode"] == "road"].reset_index(drop=True)
            idx = net.node_index()
            a = np.array([idx[str(x)] for x in road["from_node"]], np.int64)
            b = np.array([idx[str(x)] for x in road["to_node"]], np.int64)
            lon, lat = net.nodes["lon"].to_numpy(float), net.nodes["lat"].to_numpy(float)
            ids = road["link_id"].astype(str)
            fast = ids.str.startswith("expressway.").to_numpy(bool)
            seat_pair = (road["from_node"].astype(str).str.startswith("seat.")
                         & road["to_node"].astype(str).str.startswith("seat.")).to_numpy(bool)
            ordinary = ~fast & seat_pair & ~ids.str.startswith("road.local.").to_numpy(bool)
            self._years[key] = (net, {
                "a": a.astype(float), "b": b.astype(float), "gc": haversine_km(lon[a], lat[a], lon[b], lat[b]),
                "fast": fast.astype(float), "ordinary": ordinary.astype(float),
                "km": road["distance_km"].to_numpy(float), "h": road["time_h"].to_numpy(float),
            })
        return self._years[key]

    def link_arrays(self, year: int | None, speed: float, detour: float) -> tuple[FloatArray, FloatArray]:
        """(km, hours) of every road link of the ``year`` network at ordinary speed and detour."""
        _, arr = self._year(year)
        p = self.params
        fast, ordinary = arr["fast"] > 0, arr["ordinary"] > 0
        km = np.where(fast, arr["km"], np.where(ordinary, arr["gc"] * detour,
                                                np.maximum(arr["gc"] * detour, p.min_connector_km)))
        km = np.maximum(km, 0.01)
        hours = np.where(fast, arr["h"], np.where(ordinary, km / speed, km / p.connector_speed_kmh))
        return km, hours

    def evaluate(self, speed: float, detour: float) -> pd.DataFrame:
        """Fastest-path time (h) and length (km) of every modelled pair at ``speed``, ``detour``."""
        model_h = np.full(len(self.stated), np.nan)
        model_km = np.full(len(self.stated), np.nan)
        rows = self.stated[self.stated["kind"] != "not_modelled"]
        for year, grp in rows.groupby(rows["as_of"].fillna(0).astype(int), sort=True):
            net, arr = self._year(year)
            km, hours = self.link_arrays(year, speed, detour)
            n = len(net.nodes)
            a, b = arr["a"].astype(np.int64), arr["b"].astype(np.int64)
            r = np.concatenate([a, b])
            c = np.concatenate([b, a])
            h2 = np.concatenate([hours, hours])
            k2 = np.concatenate([km, km])
            order = np.lexsort((h2, c, r))  # parallel arcs: keep the fastest
            r, c, h2, k2 = r[order], c[order], h2[order], k2[order]
            first = np.ones(len(r), bool)
            first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
            r, c, h2, k2 = r[first], c[first], h2[first], k2[first]
            csr = sp.csr_matrix((h2, (r, c)), shape=(n, n))
            kcsr = sp.csr_matrix((k2, (r, c)), shape=(n, n))
            idx = net.node_index()
            legs: list[tuple[int, int, int]] = []
            positions = self.stated.index.get_indexer(grp.index)
            for pos, row in zip(positions, iter_rows(grp), strict=True):
                via = [] if pd.isna(row.via) else [x for x in str(row.via).split(";") if x]
                stops = [str(row.origin), *via, str(row.destination)]
                nodes = [idx[x if "." in x else f"seat.{x}"] for x in stops]
                legs.extend((int(pos), u, v) for u, v in itertools.pairwise(nodes))
            sources = sorted({u for _, u, _ in legs})
            dist, pred = dijkstra(csr, indices=sources, return_predecessors=True)
            where = {u: i for i, u in enumerate(sources)}
            for i, u, v in legs:
                row_i = where[u]
                total_km = 0.0
                w = v
                while w != u:
                    q = int(pred[row_i, w])
                    total_km += float(kcsr[q, w])
                    w = q
                model_h[i] = (0.0 if np.isnan(model_h[i]) else model_h[i]) + float(dist[row_i, v])
                model_km[i] = (0.0 if np.isnan(model_km[i]) else model_km[i]) + total_km
        return pd.DataFrame({"model_h": model_h, "model_km": model_km}, index=self.stated.index)


def _residuals(model: pd.DataFrame, stated: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> FloatArray:
    s = stated[mask]
    m = model[mask]
    parts = []
    for kind in ("h", "km"):
        low = s[f"stated_{kind}_low"].to_numpy(float)
        high = s[f"stated_{kind}_high"].to_numpy(float)
        val = m[f"model_{kind}"].to_numpy(float)
        ok = np.isfinite(low)
        parts.append(np.log1p(_interval_error(val[ok], low[ok], high[ok])))
    return np.concatenate(parts)


@dataclass(frozen=True, eq=False)
class RoadCalibration:
    """Fitted ordinary-road speed and detour, the split, and the validation table."""

    speed_kmh: float
    detour: float
    sse_train: float
    table: pd.DataFrame
    grid: pd.DataFrame = field(repr=False)

    def held_out_summary(self) -> dict[str, float]:
        """Median and maximum absolute relative time error on the held-out pairs, and counts."""
        t = self.table
        held = t[(t["split"] == "held-out") & t["err_h"].notna()]
        target = t[(t["kind"] == "target") & t["err_h"].notna()]
        return {"held_out_pairs": float(len(held)), "median_abs_err_h": float(held["err_h"].abs().median()),
                "max_abs_err_h_held_out": float(held["err_h"].abs().max()),
                "max_abs_err_h_all_targets": float(target["err_h"].abs().max()),
                "median_abs_err_h_train": float(t[(t["split"] == "train") & t["err_h"].notna()]["err_h"].abs().median())}


def validation_table(stated: pd.DataFrame, model: pd.DataFrame, split: pd.Series) -> pd.DataFrame:
    """Modelled vs stated time and distance for every stated pair (errors relative to the stated interval)."""
    t = stated[["pair_id", "origin_name", "destination_name", "as_of", "kind", "measured_between",
                "confidence", "source", "note", "stated_h_low", "stated_h_high", "stated_km_low", "stated_km_high"]].copy()
    t["split"] = split
    t["model_h"] = model["model_h"].astype(float)
    t["model_km"] = model["model_km"].astype(float)
    t["err_h"] = _interval_error(t["model_h"].to_numpy(float), t["stated_h_low"].to_numpy(float),
                                 t["stated_h_high"].to_numpy(float))
    t["err_km"] = _interval_error(t["model_km"].to_numpy(float), t["stated_km_low"].to_numpy(float),
                                  t["stated_km_high"].to_numpy(float))
    for col in ("err_h", "err_km"):
        t.loc[t["kind"] == "not_modelled", col] = np.nan
    bound = t["kind"] == "lower_bound"
    low_ok = t["model_h"] >= t["stated_h_low"] * 0.999
    t["bound_met"] = pd.Series(low_ok, index=t.index).where(bound)
    return t


def calibrate_roads(
    frames: Mapping[str, Any],
    *,
    stated: pd.DataFrame | None = None,
    params: Parameters = DEFAULT_PARAMETERS,
    seed: int = SEED,
) -> RoadCalibration:
    """Fit the ordinary-road speed and detour (module docstring) on the dataset ``frames``.

    ``frames``: the keyword arguments of :func:`build_network` (regions, parks, transport
    nodes, boundaries). Returns the fit, the grid of the search and the validation table at
    the fitted values (every stated pair; train / held-out / bound / not modelled).
    """
    stated = load_stated() if stated is None else stated.reset_index(drop=True)
    split = holdout_split(stated, seed=seed)
    model = RoadModel(stated, frames, params.replace(vehicle="car"))
    train = (split == "train").to_numpy(bool)

    def sse(theta: FloatArray) -> float:
        v, d = float(theta[0]), float(theta[1])
        if not (SPEED_BOUNDS[0] <= v <= SPEED_BOUNDS[1] and DETOUR_BOUNDS[0] <= d <= DETOUR_BOUNDS[1]):
            return math.inf
        r = _residuals(model.evaluate(v, d), stated, train)
        return float(np.sum(r * r))

    rows = [(v, d, sse(np.array([v, d])))
            for v in np.arange(SPEED_BOUNDS[0], SPEED_BOUNDS[1] + 0.01, 5.0)
            for d in np.arange(DETOUR_BOUNDS[0], DETOUR_BOUNDS[1] + 0.001, 0.05)]
    grid = pd.DataFrame(rows, columns=["speed_kmh", "detour", "sse"])
    best = grid.iloc[int(np.argmin(grid["sse"].to_numpy(float)))]
    res = minimize(sse, np.array([best["speed_kmh"], best["detour"]]), method="Nelder-Mead",
                   options={"xatol": 0.01, "fatol": 1e-6, "initial_simplex": np.array([
                       [best["speed_kmh"], best["detour"]], [best["speed_kmh"] + 4, best["detour"]],
                       [best["speed_kmh"], best["detour"] + 0.04]])})
    v, d = (float(res.x[0]), float(res.x[1])) if res.fun <= best["sse"] else (float(best["speed_kmh"]), float(best["detour"]))
    table = validation_table(stated, model.evaluate(v, d), split)
    return RoadCalibration(v, d, float(min(res.fun, best["sse"])), table, grid)


def validation_markdown(table: pd.DataFrame) -> str:
    """The validation table as the Markdown rows shipped in ``docs/logistics.md``."""
    def fmt(x: float, spec: str) -> str:
        return "—" if not np.isfinite(x) else format(x, spec)

    def interval(lo: float, hi: float, spec: str) -> str:
        if not np.isfinite(lo):
            return "—"
        return fmt(lo, spec) if lo == hi else f"{fmt(lo, spec)}–{fmt(hi, spec)}"

    lines = ["| pair | year | kind / split | stated h | model h | error h | stated km | model km | error km | measured between | confidence |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in iter_rows(table):
        split = r.kind if r.kind != "target" else r.split
        if r.kind == "lower_bound":
            split += " (met)" if bool(r.bound_met) else " (NOT met)"
        year = "today" if not np.isfinite(r.as_of) else str(int(r.as_of))
        lines.append(
            f"| {r.pair_id}: {r.origin_name} ↔ {r.destination_name} | {year} | {split} | "
            f"{interval(r.stated_h_low, r.stated_h_high, '.2f')} | {fmt(r.model_h, '.2f')} | {fmt(r.err_h, '+.0%')} | "
            f"{interval(r.stated_km_low, r.stated_km_high, '.0f')} | {fmt(r.model_km, '.0f')} | {fmt(r.err_km, '+.0%')} | "
            f"{r.measured_between} | {r.confidence} |")
    return "\n".join(lines)


def _main() -> None:  # pragma: no cover - documentation helper
    from parklink.datasets import chengyu

    frames = {"regions": chengyu.load("regions"), "parks": chengyu.load("parks"),
              "transport_nodes": chengyu.load("transport_nodes"), "boundaries": chengyu.boundaries()}
    cal = calibrate_roads(frames)
    print(f"speed {cal.speed_kmh:.3f} km/h, detour {cal.detour:.4f}, SSE {cal.sse_train:.4f}")
    print(cal.held_out_summary())
    print(validation_markdown(cal.table))


if __name__ == "__main__":  # pragma: no cover
    _main()


__all__ = ["FITTED_ROAD", "RoadCalibration", "RoadModel", "calibrate_roads", "holdout_split", "load_stated",
           "validation_markdown", "validation_table"]
