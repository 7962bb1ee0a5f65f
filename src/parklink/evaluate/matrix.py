"""The typed decision matrix: alternatives × criteria with unit, direction, weight, provenance.

Modelled on scikit-criteria's ``DecisionMatrix`` (objectives carried with the data) and
kept immutable: every transformation returns a new object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from parklink.errors import Problem, ValidationError

Direction = Literal["benefit", "cost"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion (indicator) of a decision matrix.

    ``direction`` is ``benefit`` (more is better) or ``cost`` (less is better);
    ``group`` is the criteria group (e.g. ``resource``, ``location``, ``industry``);
    ``source`` says where the values come from and ``formula`` how they are computed.
    """

    key: str
    name_zh: str
    name_en: str
    unit: str
    direction: Direction = "benefit"
    group: str = ""
    weight: float | None = None
    source: str = ""
    formula: str = ""

    @property
    def label(self) -> str:
        """Bilingual display name ``中文 English (unit)``."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.name_zh} {self.name_en}{unit}"

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable form."""
        return {
            "key": self.key,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "unit": self.unit,
            "direction": self.direction,
            "group": self.group,
            "weight": self.weight,
            "source": self.source,
            "formula": self.formula,
        }


@dataclass(frozen=True, eq=False)
class DecisionMatrix:
    """Alternatives (rows) × criteria (columns) with typed criteria.

    ``values`` is a read-only float matrix without NaN; ``imputed`` marks cells that were
    filled in (see :meth:`from_frame`); ``labels`` are display names of alternatives.
    """

    alternatives: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    values: FloatArray = field(repr=False)
    labels: tuple[str, ...] = ()
    imputed: npt.NDArray[np.bool_] | None = field(default=None, repr=False)
    source: str = "decision matrix"

    def __post_init__(self) -> None:
        vals = np.array(self.values, dtype=np.float64)
        m, n = len(self.alternatives), len(self.criteria)
        problems: list[Problem] = []
        if vals.shape != (m, n):
            raise ValidationError.single(
                self.source, f"matrix has shape {vals.shape}, expected ({m}, {n}) alternatives × criteria"
            )
        if m == 0 or n == 0:
            raise ValidationError.single(self.source, "a decision matrix needs at least one alternative and one criterion")
        for dup in _duplicates(self.alternatives):
            problems.append(Problem(self.source, None, None, dup, "duplicate alternative id"))
        for dup in _duplicates(c.key for c in self.criteria):
            problems.append(Problem(self.source, None, dup, None, "duplicate criterion key"))
        for c in self.criteria:
            if c.direction not in ("benefit", "cost"):
                problems.append(Problem(self.source, None, c.key, str(c.direction), "direction must be 'benefit' or 'cost'"))
        bad = np.argwhere(~np.isfinite(vals))
        for i, j in bad[:50]:
            problems.append(
                Problem(self.source, int(i) + 2, self.criteria[int(j)].key, str(vals[i, j]), "missing or non-finite value")
            )
        if problems:
            raise ValidationError(problems)
        vals.setflags(write=False)
        object.__setattr__(self, "values", vals)
        if not self.labels:
            object.__setattr__(self, "labels", tuple(self.alternatives))
        if self.imputed is None:
            object.__setattr__(self, "imputed", np.zeros((m, n), dtype=bool))

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        criteria: Sequence[Criterion],
        *,
        id_column: str | None = None,
        label_column: str | None = None,
        impute: Literal["raise", "median", "worst"] = "raise",
        source: str = "decision matrix",
    ) -> DecisionMatrix:
        """Build from a frame with one column per criterion key.

        ``impute``: ``raise`` rejects missing cells (ValidationError naming row and
        column), ``median`` fills with the criterion's median, ``worst`` with its worst
        value (minimum for benefit, maximum for cost); filled cells are flagged in
        ``imputed``.
        """
        problems: list[Problem] = []
        for c in criteria:
            if c.key not in frame.columns:
                problems.append(Problem(source, None, c.key, None, "criterion column missing"))
        if id_column is not None and id_column not in frame.columns:
            problems.append(Problem(source, None, id_column, None, "id column missing"))
        if problems:
            raise ValidationError(problems)
        ids = frame[id_column].astype(str).tolist() if id_column else [str(i) for i in frame.index]
        labels = frame[label_column].astype(str).tolist() if label_column else ids
        cols = []
        for c in criteria:
            col = pd.to_numeric(frame[c.key], errors="coerce")
            bad = col.isna() & frame[c.key].notna()
            for pos in np.flatnonzero(bad.to_numpy()):
                problems.append(Problem(source, int(pos) + 2, c.key, str(frame[c.key].iloc[pos]), "not a number"))
            cols.append(col.to_numpy(dtype=np.float64))
        if problems:
            raise ValidationError(problems)
        vals = np.column_stack(cols) if cols else np.zeros((len(frame), 0))
        missing = ~np.isfinite(vals)
        if missing.any():
            if impute == "raise":
                raise ValidationError(
                    [
                        Problem(source, int(i) + 2, criteria[int(j)].key, None, "missing value")
                        for i, j in np.argwhere(missing)[:50]
                    ]
                )
            for j, c in enumerate(criteria):
                mj = missing[:, j]
                if not mj.any():
                    continue
                ok = vals[~mj, j]
                if ok.size == 0:
                    fill = 0.0
                elif impute == "median":
                    fill = float(np.median(ok))
                else:
                    fill = float(ok.min() if c.direction == "benefit" else ok.max())
                vals[mj, j] = fill
        return cls(tuple(ids), tuple(criteria), vals, tuple(labels), missing, source)

    @classmethod
    def from_array(
        cls,
        values: npt.ArrayLike,
        *,
        directions: Sequence[Direction] | None = None,
        alternatives: Sequence[str] | None = None,
        criteria: Sequence[str] | None = None,
        weights: Sequence[float] | None = None,
    ) -> DecisionMatrix:
        """Build from a plain matrix (criteria get generic names ``C1..Cn``)."""
        vals = np.atleast_2d(np.asarray(values, dtype=np.float64))
        m, n = vals.shape
        alts = tuple(alternatives) if alternatives is not None else tuple(f"A{i + 1}" for i in range(m))
        keys = tuple(criteria) if criteria is not None else tuple(f"C{j + 1}" for j in range(n))
        dirs = tuple(directions) if directions is not None else ("benefit",) * n
        ws: Sequence[float | None] = weights if weights is not None else (None,) * n
        crits = tuple(
            Criterion(k, k, k, "", d, weight=None if w is None else float(w)) for k, d, w in zip(keys, dirs, ws, strict=True)
        )
        return cls(alts, crits, vals)

    # ---------------------------------------------------------------- views
    @property
    def shape(self) -> tuple[int, int]:
        """(alternatives, criteria)."""
        return (len(self.alternatives), len(self.criteria))

    @property
    def keys(self) -> tuple[str, ...]:
        """Criterion keys in column order."""
        return tuple(c.key for c in self.criteria)

    @property
    def types(self) -> npt.NDArray[np.int64]:
        """pymcdm criterion types: +1 benefit, -1 cost."""
        return np.array([1 if c.direction == "benefit" else -1 for c in self.criteria], dtype=np.int64)

    @property
    def weights(self) -> FloatArray | None:
        """The criteria weights normalised to sum 1, or ``None`` if any is unset."""
        ws = [c.weight for c in self.criteria]
        if any(w is None for w in ws):
            return None
        arr = np.array(ws, dtype=np.float64)
        return arr / arr.sum() if arr.sum() > 0 else np.full(len(ws), 1.0 / len(ws))

    def with_weights(self, weights: npt.ArrayLike | Mapping[str, float]) -> DecisionMatrix:
        """A copy whose criteria carry ``weights`` (array in column order or key → weight)."""
        if isinstance(weights, Mapping):
            arr = np.array([float(weights[k]) for k in self.keys])
        else:
            arr = np.asarray(weights, dtype=np.float64)
        if arr.shape != (len(self.criteria),) or (arr < 0).any() or not np.isfinite(arr).all() or arr.sum() <= 0:
            raise ValidationError.single(self.source, "weights must be non-negative, finite, one per criterion, not all zero")
        arr = arr / arr.sum()
        crits = tuple(replace(c, weight=float(w)) for c, w in zip(self.criteria, arr, strict=True))
        return replace(self, criteria=crits)

    def select(self, alternatives: Iterable[str]) -> DecisionMatrix:
        """The sub-matrix of ``alternatives`` (in the given order)."""
        pos = {a: i for i, a in enumerate(self.alternatives)}
        idx = [pos[a] for a in alternatives]
        assert self.imputed is not None
        return replace(
            self,
            alternatives=tuple(self.alternatives[i] for i in idx),
            labels=tuple(self.labels[i] for i in idx),
            values=self.values[idx],
            imputed=self.imputed[idx],
        )

    def drop(self, alternatives: Iterable[str]) -> DecisionMatrix:
        """The matrix without ``alternatives``."""
        out = set(alternatives)
        return self.select([a for a in self.alternatives if a not in out])

    def append(self, alternative: str, row: npt.ArrayLike, *, label: str | None = None) -> DecisionMatrix:
        """The matrix with one more alternative."""
        r = np.asarray(row, dtype=np.float64).reshape(1, -1)
        assert self.imputed is not None
        return replace(
            self,
            alternatives=(*self.alternatives, alternative),
            labels=(*self.labels, label or alternative),
            values=np.vstack([self.values, r]),
            imputed=np.vstack([self.imputed, np.zeros_like(r, dtype=bool)]),
        )

    def criteria_frame(self) -> pd.DataFrame:
        """One row per criterion: key, names, unit, direction, group, weight, source, formula."""
        return pd.DataFrame([c.to_dict() for c in self.criteria])

    def to_frame(self) -> pd.DataFrame:
        """The values with alternatives as index and criterion keys as columns."""
        return pd.DataFrame(self.values, index=pd.Index(self.alternatives, name="alternative"), columns=list(self.keys))


def _duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for x in items:
        if x in seen and x not in dup:
            dup.append(x)
        seen.add(x)
    return dup
