"""The compared methods of an evaluation table, built in one place (比较方法列表).

Every honest evaluation of parklink (investment targets: ``parklink chains-eval``; leader ↔
supplier matching: ``parklink match --evaluate``) compares its model(s) with the same simple
baselines and, on generated data, the oracle. :func:`standard_methods` builds that list:
models first (the first one is the one tested against the best baseline), then the
:data:`BASELINES` (in this order, which also breaks ties when choosing the best baseline),
then any extra baselines, then the oracle. Names come from :mod:`parklink.vocab`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from parklink.errors import ValidationError
from parklink.rankeval.table import Method
from parklink.vocab import RANKEVAL_METHOD_NAMES, Label

#: The simple baselines every evaluation reports (docs/rankeval.md): seeded random order,
#: popularity by size and by degree, same segment, nearest, last period.
BASELINES: tuple[str, ...] = ("random", "popularity_size", "popularity_degree", "same_segment", "nearest",
                              "last_period")


def standard_methods(columns: Mapping[str, str], *, models: Sequence[str] = ("learned",),
                     extra_baselines: Sequence[str] = (), oracle: bool = True,
                     names: Mapping[str, Label] | None = None) -> list[Method]:
    """Models, :data:`BASELINES`, ``extra_baselines`` and (``oracle=True``) the oracle as
    :class:`Method` rows. ``columns`` maps each method name to its score column in the
    candidate frame (a method missing from it scores by its own name's column); ``names``
    overrides :data:`parklink.vocab.RANKEVAL_METHOD_NAMES` for some methods."""
    if not models:
        raise ValidationError.single("models", "an evaluation needs at least one model")
    labels = {**RANKEVAL_METHOD_NAMES, **dict(names or {})}
    spec = [*((m, "model") for m in models), *((b, "baseline") for b in (*BASELINES, *extra_baselines)),
            *((("oracle", "oracle"),) if oracle else ())]
    missing = [m for m, _ in spec if m not in labels]
    if missing:
        raise ValidationError.single("methods", f"no bilingual name for {missing[0]} (parklink.vocab)",
                                     value=missing[0])
    return [Method(m, columns.get(m, m), kind, *labels[m]) for m, kind in spec]
