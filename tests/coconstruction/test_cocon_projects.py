"""Linking promotion projects to parks in the park (host park × mode) and totals per mode,
checked by hand."""

from __future__ import annotations

import pandas as pd

from parklink.coconstruction.projects import linked_projects, mode_of, projects_by_mode

PROJECTS = pd.DataFrame([
    {"project_id": "a", "park_id": "p1", "mode": "pip_hq_base", "stage": "signed", "signed_investment_cny_m": 10.0,
     "funds_in_place_cny_m": 4.0},
    {"project_id": "b", "park_id": "p1", "mode": "pip_hq_base", "stage": "in_production",
     "signed_investment_cny_m": None, "funds_in_place_cny_m": 1.5},
    {"project_id": "c", "park_id": "p2", "mode": "pip_hq_base", "stage": "signed", "signed_investment_cny_m": 7.0,
     "funds_in_place_cny_m": 0.0},
    {"project_id": "d", "park_id": "p1", "mode": "pip_terminal_support", "stage": "signed",
     "signed_investment_cny_m": 3.0, "funds_in_place_cny_m": None},
    {"project_id": "e", "park_id": "p1", "mode": "new", "stage": "signed", "signed_investment_cny_m": 100.0,
     "funds_in_place_cny_m": 100.0},
    {"project_id": "f", "park_id": "p1", "mode": "pip_bogus", "stage": "signed", "signed_investment_cny_m": 1.0,
     "funds_in_place_cny_m": 1.0},
])


def test_mode_codes() -> None:
    assert mode_of("pip_rd_transformation") == "rd_transformation"
    assert mode_of("new") is None and mode_of("pip_bogus") is None and mode_of(None) is None


def test_linked_by_host_park_and_mode() -> None:
    pip = {"pip_id": "x", "host_park_id": "p1", "mode": "hq_base"}
    assert linked_projects(pip, PROJECTS)["project_id"].tolist() == ["a", "b"]
    assert linked_projects({**pip, "mode": "terminal_support"}, PROJECTS)["project_id"].tolist() == ["d"]
    assert linked_projects({**pip, "mode": None}, PROJECTS).empty  # mode not stated: no link
    assert linked_projects({**pip, "host_park_id": None}, PROJECTS).empty
    assert linked_projects(pip, PROJECTS.iloc[0:0]).empty


def test_totals_per_mode() -> None:
    out = projects_by_mode(PROJECTS, ("signed", "in_production")).set_index("mode")
    assert out.loc["hq_base"].tolist() == [3, 17.0, 5.5, 2, 1]
    assert out.loc["terminal_support"].tolist() == [1, 3.0, 0.0, 1, 0]
    assert out.loc["rd_transformation"].tolist() == [0, 0.0, 0.0, 0, 0]
    assert list(out.index) == ["hq_base", "rd_transformation", "terminal_support"]
