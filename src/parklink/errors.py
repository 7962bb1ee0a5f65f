"""The project's exceptions and warnings, in one place.

Every error a user can cause derives from :class:`ParklinkError`; the CLI and the
API turn these into clear messages (never a traceback).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class ParklinkWarning(UserWarning):
    """Base class of warnings issued by parklink (tests turn these into errors)."""


class ParklinkError(Exception):
    """Base class of every error parklink raises on purpose."""


class ConfigError(ParklinkError):
    """A setting (environment variable or TOML file) is missing or invalid."""


class NotFoundError(ParklinkError):
    """A named entity (park, region, scenario, ...) does not exist."""


class InfeasibleError(ParklinkError):
    """An optimisation model has no feasible solution.

    ``conflicts`` names the constraint groups that, relaxed, restore feasibility.
    """

    def __init__(self, message: str, conflicts: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.conflicts: tuple[str, ...] = tuple(conflicts)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input file: where it is and why it is wrong.

    ``row`` is the 1-based data row as a person sees it in a spreadsheet (the
    header is row 1, the first data row is row 2); ``None`` for file-level problems.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{where}: {self.reason}{shown}"


@dataclass
class ValidationError(ParklinkError):
    """Input was rejected; ``problems`` lists every problem found (file, row, column, reason)."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @classmethod
    def single(
        cls,
        file: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> ValidationError:
        """Build an error carrying one problem."""
        shown = None if value is None else str(value)
        return cls([Problem(file, row, column, shown, reason)])

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ValidationError:
        """Build an error from several problems."""
        return cls(list(problems))

    def summary(self, limit: int = 20) -> str:
        """A human-readable multi-line summary of at most ``limit`` problems."""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
        lines = [head] + [f"  - {p}" for p in self.problems[:limit]]
        if n > limit:
            lines.append(f"  ... and {n - limit} more (use --errors FILE to write them all)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class ConflictError(ParklinkError):
    """A write lost a race: the record changed since the writer read it (optimistic locking).

    ``kind`` and ``key`` name the record, ``stored`` its version now (None when unknown),
    ``expected`` the version the writer had read. Nothing was written; read it again.
    """

    def __init__(self, kind: str, key: str, *, stored: int | None, expected: int | None,
                 detail: str = "") -> None:
        self.kind, self.key, self.stored, self.expected = kind, key, stored, expected
        at = f" is at version {stored}, not {expected}" if stored is not None else " changed meanwhile"
        super().__init__(f"{kind} {key!r}{at}: someone else changed it since you read it; nothing was "
                         f"written — read it again (记录已被他人修改，请重新读取){': ' + detail if detail else ''}")
