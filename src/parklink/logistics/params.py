"""The one parameter table of the freight network: speeds, tariffs, handling, value of time.

Every number the network builder and the generalised-cost router use lives here, in
:class:`Parameters`, and is listed with its unit, source and confidence by
:meth:`Parameters.to_frame` (shown in ``docs/logistics.md`` and in the plan's
logistics section). Where no public figure was available to us the value is marked
``assumption`` and carries the reasoning instead of a source: replace them with local
tariffs (``Parameters.replace(...)``) before using the figures for decisions.

Generalised cost of moving one tonne along a path (Ortúzar & Willumsen 2011,
*Modelling Transport*, 4th ed., §15.2; freight value of time: Zamparini & Reggiani
2007, *Transport Reviews* 27(5):621–636)::

    GC = sum_links  rate[mode, cargo] * km  +  sum_transfers handling_cost[mode, cargo]
         + VoT[cargo] * (sum_links km / speed[mode]  +  sum_transfers handling_time[mode])

The value of time per tonne-hour is derived as inventory carrying cost:
``VoT = value_density * carrying_rate / 8760 (+ value_density * obsolescence / 168)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from parklink.errors import ConfigError

Mode = Literal["road", "rail", "water", "air"]
LINK_MODES: tuple[str, ...] = ("road", "rail", "water", "air")
CARGO_PROFILES: tuple[str, ...] = ("bulk", "container", "electronics", "vehicles")
REFERENCE_CARGO = "container"
"""Imported links carry one ``cost_cny_per_t``; it is read as the container-profile cost."""

_ASSUME = "assumption"
_FACTS = "shared/reference/freight-facts.md"
_CALIBRATED = (
    "calibrated: least squares on log time and log distance against the stated road figures "
    "(parklink.logistics.calibration; freight facts §2), a third of the pairs held out"
)
_BALLOU = (
    "Ballou, Rahardja & Sakai (2002), Selected country circuity factors for road travel "
    "distance estimation, Transportation Research A 36(9):843-848 (range 1.1-1.6); "
    "value chosen for hilly Sichuan-Chongqing terrain"
)
_TRUCK_LIMIT = (
    "道路交通安全法实施条例 (State Council Decree 405, 2004) art. 78: trucks at most 100 km/h "
    "on expressways; 60 km/h door-to-door average is an assumption (mixed expressway and "
    "national/provincial roads, mountainous)"
)


_ROAD_RATES = {"bulk": 0.35, "container": 0.45, "electronics": 0.80, "vehicles": 0.60}
_RAIL_RATES = {"bulk": 0.10, "container": 0.155, "electronics": 0.25, "vehicles": 0.25}
WATER_SHARE_OF_RAIL = 0.55
WATER_SHARE_OF_ROAD = 0.135
"""Midpoints of the stated ranges "water costs 50–60% of rail and 12–15% of road" (freight facts §5)."""


def water_rate(rail: float, road: float) -> float:
    """Water tariff derived from the rail and road tariffs: mean of 55% of rail and 13.5% of road."""
    return round((WATER_SHARE_OF_RAIL * rail + WATER_SHARE_OF_ROAD * road) / 2.0, 3)


def _rates() -> dict[str, dict[str, float]]:
    return {
        "road": dict(_ROAD_RATES),
        "rail": dict(_RAIL_RATES),
        "water": {c: water_rate(_RAIL_RATES[c], _ROAD_RATES[c]) for c in _ROAD_RATES},
        "air": {"electronics": 2.00},
    }


def _allowed() -> dict[str, tuple[str, ...]]:
    return {
        "bulk": ("road", "rail", "water"),
        "container": ("road", "rail", "water"),
        "electronics": ("road", "rail", "water", "air"),
        "vehicles": ("road", "rail", "water"),
    }


@dataclass(frozen=True, slots=True)
class Parameters:
    """All parameters of the multimodal freight network (see the module docstring).

    Units: speeds km/h; ``detour`` network km per great-circle km; ``rate`` CNY per
    tonne-km by mode and cargo profile (a missing entry means the mode does not carry
    that cargo); ``handling_*`` per transfer into or out of a mode at a terminal (hours,
    CNY per tonne; a transfer between two non-road modes pays the larger of the two);
    ``value_density`` CNY per tonne; ``carrying_rate`` per year; ``obsolescence`` per
    week; ``connector_*`` for the park/hub-to-seat and firm-to-network access legs.
    """

    speed_kmh: dict[str, float] = field(
        default_factory=lambda: {"road": 62.9, "rail": 35.0, "air": 500.0}
    )
    water_speed_down_kmh: float = 14.0
    water_speed_up_kmh: float = 9.0
    detour: dict[str, float] = field(
        default_factory=lambda: {"road": 1.10, "rail": 1.25, "water": 1.35, "air": 1.05}
    )
    rate: dict[str, dict[str, float]] = field(default_factory=_rates)
    allowed_modes: dict[str, tuple[str, ...]] = field(default_factory=_allowed)
    handling_time_h: dict[str, float] = field(
        default_factory=lambda: {"rail": 6.0, "water": 10.0, "air": 3.0}
    )
    handling_cost_cny_per_t: dict[str, float] = field(
        default_factory=lambda: {"rail": 25.0, "water": 20.0, "air": 150.0}
    )
    handling_factor: dict[str, float] = field(
        default_factory=lambda: {"bulk": 0.6, "container": 1.0, "electronics": 1.5, "vehicles": 1.2}
    )
    value_density_cny_per_t: dict[str, float] = field(
        default_factory=lambda: {
            "bulk": 500.0,
            "container": 20_000.0,
            "electronics": 2_000_000.0,
            "vehicles": 100_000.0,
        }
    )
    carrying_rate_per_year: float = 0.20
    obsolescence_per_week: dict[str, float] = field(
        default_factory=lambda: {"electronics": 0.01}
    )
    vehicle: str = "truck"
    expressway_truck_kmh: float = 100.0
    expressway_default_kmh: float = 100.0
    connector_speed_kmh: float = 30.0
    min_connector_km: float = 1.0
    local_radius_km: float = 15.0
    transport_node_threshold_h: float = 0.5

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some fields replaced (the object itself is immutable)."""
        return dataclasses.replace(self, **changes)

    def check(self) -> None:
        """Raise :class:`ConfigError` when a parameter is missing or not positive."""
        for mode in ("road", "rail", "air"):
            if self.speed_kmh.get(mode, 0.0) <= 0:
                raise ConfigError(f"speed of mode {mode!r} must be positive")
        if self.vehicle not in ("truck", "car"):
            raise ConfigError(f"vehicle must be 'truck' or 'car'; got {self.vehicle!r}")
        if self.expressway_truck_kmh <= 0 or self.expressway_default_kmh <= 0:
            raise ConfigError("expressway speeds must be positive")
        if self.water_speed_down_kmh <= 0 or self.water_speed_up_kmh <= 0:
            raise ConfigError("barge speeds must be positive")
        for cargo in CARGO_PROFILES:
            if cargo not in self.allowed_modes or "road" not in self.allowed_modes[cargo]:
                raise ConfigError(f"cargo profile {cargo!r} must allow road")
            for mode in self.allowed_modes[cargo]:
                if self.rate.get(mode, {}).get(cargo) is None:
                    raise ConfigError(f"no tariff for mode {mode!r} and cargo {cargo!r}")
            if cargo not in self.value_density_cny_per_t:
                raise ConfigError(f"no value density for cargo {cargo!r}")

    def value_of_time(self, cargo: str) -> float:
        """Value of time of one tonne of ``cargo`` in CNY per tonne-hour (carrying cost)."""
        check_cargo(cargo)
        value = self.value_density_cny_per_t[cargo]
        vot = value * self.carrying_rate_per_year / 8760.0
        vot += value * self.obsolescence_per_week.get(cargo, 0.0) / 168.0
        return vot

    def carries(self, mode: str, cargo: str) -> bool:
        """Whether ``mode`` carries ``cargo`` (``transfer`` always does)."""
        return mode == "transfer" or mode in self.allowed_modes.get(cargo, ())

    def cost_factor(self, mode: str, cargo: str) -> float:
        """Tariff of ``cargo`` relative to the container tariff of the same mode."""
        rates = self.rate.get(mode, {})
        ref = rates.get(REFERENCE_CARGO) or max(rates.values(), default=1.0)
        return rates.get(cargo, ref) / ref

    def handling(self, mode_a: str, mode_b: str, cargo: str) -> tuple[float, float]:
        """(hours, CNY per tonne) of one transfer from ``mode_a`` to ``mode_b`` for ``cargo``."""
        modes = [m for m in (mode_a, mode_b) if m != "road"]
        hours = max((self.handling_time_h.get(m, 0.0) for m in modes), default=0.0)
        cost = max((self.handling_cost_cny_per_t.get(m, 0.0) for m in modes), default=0.0)
        return hours, cost * self.handling_factor.get(cargo, 1.0)

    def digest(self) -> str:
        """A short stable hash of every parameter (used as part of cache keys)."""
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_frame(self) -> pd.DataFrame:
        """The documented parameter table: parameter, mode, cargo, value, unit, source, confidence."""
        rows: list[tuple[str, str, str, str, float, str, str, str]] = []

        def add(
            zh: str, en: str, mode: str, cargo: str, value: float, unit: str, src: str, conf: str
        ) -> None:
            rows.append((zh, en, mode, cargo, float(value), unit, src, conf))

        # source and confidence of each mode's speed (mode → (source, confidence))
        speed_src: dict[str, tuple[str, str]] = {}
        speed_src["road"] = ("ordinary roads (fallback layer between neighbouring seats); " + _CALIBRATED, "calibrated")
        speed_src["rail"] = ("assumption: average commercial speed of freight trains incl. stops and marshalling; checked "
                     f"against {_FACTS} §3b: Chengdu–Qinzhou 1,669 km in ~55 h (30 km/h, confirmed), Chongqing–"
                     "Duisburg 11,179 km in 11–12 days (39–42 km/h, likely)", _ASSUME)
        speed_src["air"] = ("assumption: block speed of short regional sectors", _ASSUME)
        for mode, v in self.speed_kmh.items():
            src, conf = speed_src.get(mode, (_ASSUME, _ASSUME))
            add("速度", "speed", mode, "*", v, "km/h", src, conf)
        add("高速公路货车限速", "expressway truck speed cap", "road", "*", self.expressway_truck_kmh, "km/h",
            _TRUCK_LIMIT, "likely")
        add("高速公路缺省设计速度", "expressway default design speed", "road", "*", self.expressway_default_kmh,
            "km/h", "assumption: used where the reference gives no design speed (listed in the expressway "
            "explain table)", _ASSUME)
        add("下水航速", "barge speed downstream", "water", "*", self.water_speed_down_kmh, "km/h",
            "assumption: laden barge/container ship with the Yangtze current (no freight barge speed found; "
            f"{_FACTS} §4: the Wanzhou–Shanghai liner takes 10 days for > 1,893 km, roughly 8–10 km/h door to "
            "door incl. the Three Gorges locks)", _ASSUME)
        add("上水航速", "barge speed upstream", "water", "*", self.water_speed_up_kmh, "km/h",
            "assumption: laden barge/container ship against the current (Three Gorges reservoir); the "
            f"Zhoushan–Wanzhou river-sea ship took ~16 days upstream ({_FACTS} §4, likely)", _ASSUME)
        for mode, v in self.detour.items():
            if mode == "road":
                add("绕行系数", "detour factor", mode, "*", v, "km/km",
                    "ordinary roads; " + _CALIBRATED + "; fit bounded to 1.1–1.6 (" + _BALLOU + ")", "calibrated")
            else:
                add("绕行系数", "detour factor", mode, "*", v, "km/km",
                    "assumption: network km per great-circle km", _ASSUME)
        for mode, by_cargo in self.rate.items():
            for cargo, v in by_cargo.items():
                src, conf = _tariff_source(mode, cargo)
                add("运价", "tariff", mode, cargo, v, "CNY/(t·km)", src, conf)
        for mode, v in self.handling_time_h.items():
            add("换装时间", "handling time per transfer", mode, "*", v, "h",
                "assumption: terminal dwell incl. customs-free transshipment", _ASSUME)
        for mode, v in self.handling_cost_cny_per_t.items():
            add("换装费用", "handling cost per transfer", mode, "container", v, "CNY/t",
                "assumption: terminal handling charge", _ASSUME)
        for cargo, v in self.handling_factor.items():
            add("换装费用系数", "handling cost factor", "transfer", cargo, v, "×",
                "assumption: relative care/equipment per cargo", _ASSUME)
        for cargo, v in self.value_density_cny_per_t.items():
            add("货值密度", "value density", "*", cargo, v, "CNY/t",
                "assumption: typical goods of the profile (e.g. a 2 kg, 4,000 CNY notebook = 2 M CNY/t)", _ASSUME)
        add("资金占用率", "inventory carrying rate", "*", "*", self.carrying_rate_per_year, "1/year",
            "Zamparini & Reggiani (2007) Transport Reviews 27(5) (method); value an assumption", _ASSUME)
        for cargo, v in self.obsolescence_per_week.items():
            add("贬值率", "obsolescence", "*", cargo, v, "1/week",
                "assumption: consumer-electronics price erosion", _ASSUME)
        for cargo in CARGO_PROFILES:
            add("时间价值", "value of time (derived)", "*", cargo, round(self.value_of_time(cargo), 4),
                "CNY/(t·h)", "derived: value_density × carrying_rate / 8760 + obsolescence", "derived")
        add("接驳速度", "connector / local access speed", "road", "*", self.connector_speed_kmh, "km/h",
            "assumption: urban and local roads", _ASSUME)
        add("本地接驳半径", "local connector radius", "road", "*", self.local_radius_km, "km",
            "assumption: parks/hubs are linked by local roads to parks, hubs and seats this close", _ASSUME)
        add("交通节点阈值", "transport-node-area threshold", "road", "*",
            self.transport_node_threshold_h, "h",
            "assumption: road time from a park to a multimodal hub (rail/water/air)", _ASSUME)
        return pd.DataFrame(
            rows,
            columns=["name_zh", "name_en", "mode", "cargo", "value", "unit", "source", "confidence"],
        )


def _tariff_source(mode: str, cargo: str) -> tuple[str, str]:
    """(source, confidence) of one tariff."""
    if mode == "rail" and cargo == "container":
        return (f"{_FACTS} §5: national average rail basic freight price 0.1551 CNY/t·km (2016, ipoipo.cn)", "likely")
    if mode == "water":
        return (f"derived: mean of {WATER_SHARE_OF_RAIL:.0%} of the rail and {WATER_SHARE_OF_ROAD:.1%} of the road "
                f"tariff ({_FACTS} §5: water costs 50–60% of rail and 12–15% of road; CCTV 2023, likely)", "derived")
    if mode == "road":
        return ("assumption: no road freight rate found; consistent with 'rail price is less than 25% of the road "
                f"price' ({_FACTS} §5, c. 2009: rail 0.1031 → road > 0.41 CNY/t·km)", _ASSUME)
    return ("assumption: order of magnitude of market rates; replace with local tariffs", _ASSUME)


def check_cargo(cargo: str) -> str:
    """Return ``cargo`` if it is a known profile; raise :class:`ConfigError` naming them otherwise."""
    if cargo not in CARGO_PROFILES:
        raise ConfigError(f"unknown cargo profile {cargo!r}; expected one of {', '.join(CARGO_PROFILES)}")
    return cargo


DEFAULT_PARAMETERS = Parameters()
