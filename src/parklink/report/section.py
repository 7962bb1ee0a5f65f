"""The unit a domain contributes to the plan and its reports: a titled, bilingual section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True, slots=True)
class SectionTable:
    """A table shown in a plan section, with bilingual title, an optional note and a stable
    ``key`` (unique within its section; the slug of ``title_en`` when empty)."""

    title_zh: str
    title_en: str
    frame: pd.DataFrame
    note: str = ""
    key: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the plan (status, evaluation, designation, chains, logistics, ...).

    ``summary`` is JSON-serialisable (numbers, strings, lists, dicts) and goes into
    ``plan.json``; ``tables`` are rendered in the CLI, HTML and Excel outputs.
    ``synthetic`` is true when any figure in the section rests on synthetic data.
    """

    key: str
    title_zh: str
    title_en: str
    summary: dict[str, Any] = field(default_factory=dict)
    tables: tuple[SectionTable, ...] = ()
    notes: tuple[str, ...] = ()
    synthetic: bool = False
