"""Designation scenarios: named, JSON-serialisable parameter sets.

A :class:`Scenario` holds every editable parameter of the designation model. It
round-trips through ``to_dict`` / ``from_dict`` (plain JSON types; ``from_dict`` rejects
unknown keys and bad values with a :class:`~parklink.errors.ValidationError`), so the store
can persist it as a JSON column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from parklink.errors import Problem, ValidationError
from parklink.tables import AREA_TYPES, PROVINCES

PROGRAMME_TARGETS: dict[int, int] = {2020: 10, 2022: 15, 2025: 20}
"""Cumulative demonstration-park targets of the 11 June 2020 notice (programme-facts §0)."""


@dataclass(frozen=True)
class Scenario:
    """Parameters of one designation run.

    Attributes
    ----------
    name, description:
        Identification (the name is the key in the store).
    targets:
        Target year → cumulative number of designated parks (exact count).
    min_province_share:
        Each province holds at least ``ceil(share × target)`` designated parks in every
        target year; ``min_per_province`` (province → count, final year) adds absolute floors.
    require_zones:
        Zone ids that must each contain a designated park by the final year; ``None`` means
        every zone of kind ``economic_zone`` or ``platform`` that has a candidate.
    area_type_min_share:
        Area type → minimum share of designated parks of that type in every target year.
    max_pair_hours:
        Maximum travel time (hours) between paired parks across the border.
    pair_candidates:
        Partner candidates kept per park (nearest first) to keep the model small.
    max_partners:
        Partners a park may be paired with in one year.
    require_pairing:
        Every designated park needs a designated partner in the other province within
        ``max_pair_hours`` (a ``cooperation_area`` straddling the border pairs itself).
    synergy_weight:
        Weight λ of pairing synergy in the objective relative to the score.
    forced_in, forced_out:
        Park ids that must (not) be designated by the final year.
    fix_existing:
        Fix actual designations from their programme year on.
    time_limit, mip_gap:
        HiGHS options (seconds; relative gap, 0 = prove optimality).
    """

    name: str = "programme"
    description: str = "Programme targets 10/15/20 (2020/2022/2025), ex-ante selection"
    targets: dict[int, int] = field(default_factory=lambda: dict(PROGRAMME_TARGETS))
    min_province_share: float = 0.4
    min_per_province: dict[str, int] = field(default_factory=dict)
    require_zones: tuple[str, ...] | None = None
    area_type_min_share: dict[str, float] = field(
        default_factory=lambda: {"critical_development": 0.2, "transport_node": 0.2, "adjacent": 0.2}
    )
    max_pair_hours: float = 3.0
    pair_candidates: int = 6
    max_partners: int = 2
    require_pairing: bool = True
    synergy_weight: float = 0.1
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    fix_existing: bool = False
    time_limit: float = 30.0
    mip_gap: float = 0.0

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise ValidationError(problems)

    @property
    def years(self) -> tuple[int, ...]:
        """Target years in order."""
        return tuple(sorted(self.targets))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (year keys as strings)."""
        d = asdict(self)
        d["targets"] = {str(k): v for k, v in sorted(self.targets.items())}
        d["require_zones"] = None if self.require_zones is None else list(self.require_zones)
        d["forced_in"] = list(self.forced_in)
        d["forced_out"] = list(self.forced_out)
        return d

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Build from :meth:`to_dict` output (missing keys take defaults; unknown keys are rejected)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError([Problem(source, None, k, None, "unknown scenario parameter") for k in unknown])
        kw: dict[str, Any] = dict(data)
        try:
            if "targets" in kw:
                kw["targets"] = {int(k): int(v) for k, v in dict(kw["targets"]).items()}
            if "min_per_province" in kw:
                kw["min_per_province"] = {str(k): int(v) for k, v in dict(kw["min_per_province"]).items()}
            if "area_type_min_share" in kw:
                kw["area_type_min_share"] = {str(k): float(v) for k, v in dict(kw["area_type_min_share"]).items()}
            for key in ("forced_in", "forced_out"):
                if key in kw:
                    kw[key] = tuple(str(v) for v in kw[key])
            if kw.get("require_zones") is not None:
                kw["require_zones"] = tuple(str(v) for v in kw["require_zones"])
            for key in ("min_province_share", "max_pair_hours", "synergy_weight", "time_limit", "mip_gap"):
                if key in kw:
                    kw[key] = float(kw[key])
            for key in ("pair_candidates", "max_partners"):
                if key in kw:
                    kw[key] = int(kw[key])
            for key in ("require_pairing", "fix_existing"):
                if key in kw and not isinstance(kw[key], bool):
                    raise ValueError(f"{key} must be true or false")
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValidationError.single(source, f"invalid scenario value: {exc}") from None
        return cls(**kw)

    @classmethod
    def from_json(cls, text: str, *, source: str = "scenario") -> Scenario:
        """Build from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError.single(source, f"not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValidationError.single(source, "a scenario must be a JSON object")
        return cls.from_dict(data, source=source)

    def with_(self, **changes: Any) -> Scenario:
        """A copy with some parameters changed (validated)."""
        return replace(self, **changes)


def _check(s: Scenario) -> list[Problem]:
    src = f"scenario {s.name!r}"
    out: list[Problem] = []
    if not s.name:
        out.append(Problem(src, None, "name", "", "a scenario needs a name"))
    if not s.targets:
        out.append(Problem(src, None, "targets", None, "at least one target year is needed"))
    prev = -1
    for year in sorted(s.targets):
        n = s.targets[year]
        if not 2000 <= year <= 2100:
            out.append(Problem(src, None, "targets", str(year), "target year must be within 2000–2100"))
        if n < 0:
            out.append(Problem(src, None, "targets", f"{year}: {n}", "target count must be non-negative"))
        if n < prev:
            out.append(Problem(src, None, "targets", f"{year}: {n}", "cumulative targets must not decrease"))
        prev = n
    if not 0.0 <= s.min_province_share <= 0.5:
        out.append(Problem(src, None, "min_province_share", str(s.min_province_share), "must be within 0–0.5"))
    for prov, k in s.min_per_province.items():
        if prov not in PROVINCES:
            out.append(Problem(src, None, "min_per_province", prov, f"province must be one of {PROVINCES}"))
        if k < 0:
            out.append(Problem(src, None, "min_per_province", f"{prov}: {k}", "must be non-negative"))
    for at, share in s.area_type_min_share.items():
        if at not in AREA_TYPES:
            out.append(Problem(src, None, "area_type_min_share", at, f"area type must be one of {AREA_TYPES}"))
        if not 0.0 <= share <= 1.0:
            out.append(Problem(src, None, "area_type_min_share", f"{at}: {share}", "share must be within 0–1"))
    if not (s.max_pair_hours > 0 and math.isfinite(s.max_pair_hours)):
        out.append(Problem(src, None, "max_pair_hours", str(s.max_pair_hours), "must be a positive number of hours"))
    if s.pair_candidates < 1:
        out.append(Problem(src, None, "pair_candidates", str(s.pair_candidates), "must be at least 1"))
    if s.max_partners < 1:
        out.append(Problem(src, None, "max_partners", str(s.max_partners), "must be at least 1"))
    if s.synergy_weight < 0:
        out.append(Problem(src, None, "synergy_weight", str(s.synergy_weight), "must be non-negative"))
    both = set(s.forced_in) & set(s.forced_out)
    for p in sorted(both):
        out.append(Problem(src, None, "forced_in", p, "park is both forced in and forced out"))
    if s.time_limit <= 0:
        out.append(Problem(src, None, "time_limit", str(s.time_limit), "must be positive (seconds)"))
    if not 0.0 <= s.mip_gap < 1.0:
        out.append(Problem(src, None, "mip_gap", str(s.mip_gap), "must be within [0, 1)"))
    return out


BUILTIN_SCENARIOS: dict[str, Scenario] = {
    "programme": Scenario(),
    "programme_no_pairing": Scenario(
        name="programme_no_pairing",
        description="Programme targets without the cross-border pairing requirement",
        require_pairing=False,
    ),
    "programme_tight_pairs": Scenario(
        name="programme_tight_pairs",
        description="Programme targets, partners within 2 h",
        max_pair_hours=2.0,
    ),
}
"""Scenarios shipped with parklink (the store may hold more)."""
