"""Each mode's projects: promotion projects linked to the parks in the park.

A promotion project (:mod:`parklink.promotion`, kind ``projects``) carries a ``mode``; the
codes ``pip_<mode>`` (``pip_hq_base``, ``pip_rd_transformation``, ``pip_terminal_support``)
say it is a park-in-the-park project of that mode. A project is linked to a park in the park
when it lies in the park in the park's host park and has its mode::

    linked(project, pip) = project.park_id = pip.host_park_id ∧ project.mode = "pip_" + pip.mode

(a park in the park without a host park or without a stated mode links no project; two parks
in the park of one mode in one host park share its projects).

Per mode: projects (count), signed investment (Σ ``signed_investment_cny_m``, million CNY),
funds in place (Σ of the project's funds entries, million CNY) and projects per stage (the
stage derived from the project's stage log). These functions take the projects a caller may
see — the web layer passes them through the public visibility rule first
(:func:`parklink.web.policy.project_for`) — and never look at hidden ones.
"""

from __future__ import annotations

import pandas as pd

from parklink.tables import PIP_MODES

__all__ = ["PIP_PROJECT_PREFIX", "linked_projects", "mode_of", "projects_by_mode"]

PIP_PROJECT_PREFIX = "pip_"
_COLUMNS = ["project_id", "name_zh", "investor_name", "park_id", "mode", "stage", "signed_investment_cny_m",
            "funds_in_place_cny_m"]


def mode_of(project_mode: object) -> str | None:
    """The park-in-the-park mode of a project's ``mode`` (``pip_hq_base`` → ``hq_base``), else None."""
    text = str(project_mode) if isinstance(project_mode, str) else ""
    mode = text[len(PIP_PROJECT_PREFIX):] if text.startswith(PIP_PROJECT_PREFIX) else None
    return mode if mode in PIP_MODES else None


def _pip_rows(projects: pd.DataFrame) -> pd.DataFrame:
    if projects.empty:
        return pd.DataFrame(columns=[*_COLUMNS, "pip_mode"])
    p = projects.copy()
    for col in _COLUMNS:
        if col not in p.columns:
            p[col] = None
    p["pip_mode"] = p["mode"].map(mode_of)
    return p[p["pip_mode"].notna()]


def linked_projects(pip: pd.Series | dict[str, object], projects: pd.DataFrame) -> pd.DataFrame:
    """The projects linked to one park in the park (module docstring), by project id, with
    columns project_id, name_zh, investor_name, park_id, mode, stage, signed_investment_cny_m,
    funds_in_place_cny_m."""
    p = _pip_rows(projects)
    host, mode = pip.get("host_park_id"), pip.get("mode")
    if not isinstance(host, str) or not isinstance(mode, str) or p.empty:
        return pd.DataFrame(columns=_COLUMNS)
    out = p[(p["park_id"].astype(str) == host) & (p["pip_mode"] == mode)]
    return out[_COLUMNS].sort_values("project_id").reset_index(drop=True)


def projects_by_mode(projects: pd.DataFrame, stages: tuple[str, ...]) -> pd.DataFrame:
    """Per park-in-the-park mode (all three, zero when none): ``projects``,
    ``signed_investment_cny_m``, ``funds_in_place_cny_m`` and one column per stage of
    ``stages`` (projects in that stage)."""
    p = _pip_rows(projects)
    rows = []
    for mode in PIP_MODES:
        sub = p[p["pip_mode"] == mode]
        row: dict[str, object] = {
            "mode": mode, "projects": len(sub),
            "signed_investment_cny_m": float(pd.to_numeric(sub["signed_investment_cny_m"]).fillna(0).sum()),
            "funds_in_place_cny_m": float(pd.to_numeric(sub["funds_in_place_cny_m"]).fillna(0).sum()),
        }
        counts = sub["stage"].value_counts()
        row.update({s: int(counts.get(s, 0)) for s in stages})
        rows.append(row)
    return pd.DataFrame(rows, columns=["mode", "projects", "signed_investment_cny_m", "funds_in_place_cny_m",
                                       *stages])
