"""The GB/T 39116-2020 capability model as versioned data (``maturity_domains.csv``).

Rows with ``status = public_description`` are stated by public descriptions of the standard
(the 4 elements: personnel, technology, resources, manufacturing); rows with ``status =
configurable`` (the 12 capability domains) come from the literature and were not checked
against the standard text: they are the default domain codes of ``domain_levels`` and may be
replaced by a programme office. No sub-domain and no score is shipped.
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files

import pandas as pd

from parklink.errors import NotFoundError
from parklink.tables import split_list

__all__ = ["DEFAULT_VERSION", "maturity_domains", "unknown_domains"]

DEFAULT_VERSION = "gbt39116-2020"


@cache
def _text() -> str:
    return (files("parklink.coconstruction") / "maturity_domains.csv").read_text(encoding="utf-8")


def maturity_domains(version: str = DEFAULT_VERSION) -> pd.DataFrame:
    """Elements and capability domains of ``version`` (code, kind, parent, names, status, source)."""
    frame = pd.read_csv(io.StringIO(_text()), dtype=str, keep_default_na=False)
    out = frame[frame["version"] == version].reset_index(drop=True)
    if out.empty:
        raise NotFoundError(f"unknown maturity model version {version!r} (成熟度模型版本不存在); "
                            f"known: {', '.join(sorted(set(frame['version'])))}")
    return out


def unknown_domains(assessments: pd.DataFrame) -> pd.DataFrame:
    """Assessment rows naming a domain code that is not a domain of their model version
    (columns assessment_id, model_version, domain)."""
    rows = []
    known: dict[str, set[str]] = {}
    for r in assessments.itertuples(index=False):
        ver = str(r.model_version)
        if ver not in known:
            try:
                d = maturity_domains(ver)
                known[ver] = set(d.loc[d["kind"] == "domain", "code"])
            except NotFoundError:
                known[ver] = set()
        for item in split_list(r.domain_levels):
            code = item.partition(":")[0]
            if code not in known[ver]:
                rows.append({"assessment_id": str(r.assessment_id), "model_version": ver, "domain": code})
    return pd.DataFrame(rows, columns=["assessment_id", "model_version", "domain"])
