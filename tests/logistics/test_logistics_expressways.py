"""The expressway layer, the calibrated ordinary roads and the validation against stated road times."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from parklink.errors import ValidationError
from parklink.logistics.calibration import (
    FITTED_ROAD,
    RoadModel,
    calibrate_roads,
    holdout_split,
    load_stated,
    validation_markdown,
    validation_table,
)
from parklink.logistics.cli import register
from parklink.logistics.expressways import check_expressways, load_expressways, stop_node
from parklink.logistics.network import Network, build_network
from parklink.logistics.params import DEFAULT_PARAMETERS, Parameters

DOC = Path(__file__).resolve().parents[2] / "docs" / "logistics.md"


def test_every_link_is_sourced_and_every_stop_is_a_seat_or_hub(dataset: dict[str, object]) -> None:
    fast = load_expressways()
    regions = dataset["regions"]
    hubs = set(dataset["transport_nodes"]["node_id"].astype(str))  # type: ignore[index]
    seats = set(regions.loc[regions["level"] == "district", "adcode"].astype(str))  # type: ignore[index]
    for stop in pd.concat([fast["from_stop"], fast["to_stop"]]).astype(str):
        assert stop in seats or stop in hubs, stop
    assert fast["source"].notna().all() and fast["confidence"].isin(["confirmed", "likely", "unconfirmed"]).all()
    assert fast["approximate"].all()  # a seat stands for the interchange: always flagged
    years = fast["opened"].dropna()
    assert ((years >= 1990) & (years <= 2026)).all()


def test_bad_expressway_rows_are_reported_with_row_and_column() -> None:
    bad = load_expressways().astype(object)
    bad.loc[0, "status"] = "rumoured"
    bad.loc[1, "seq"] = 7
    with pytest.raises(ValidationError) as err:
        check_expressways(bad)
    text = str(err.value)
    assert "status" in text and "seq" in text and "row 2" in text.replace(",", "")


def test_network_as_of_year(dataset: dict[str, object]) -> None:
    counts = {}
    for year in (1996, 2012, 2017, 2020, None):
        net = build_network(**dataset, as_of=year)  # type: ignore[arg-type]
        ids = set(net.links.loc[net.links["link_id"].str.startswith("expressway."), "link_id"])
        counts[year] = ids
    assert counts[1996] <= counts[2012] <= counts[2017] <= counts[2020] <= counts[None]
    assert not any(i.startswith("expressway.g5013.") for i in counts[2012])  # Yurong opened 2013-2017
    assert {f"expressway.g5013.{k}" for k in range(1, 9)} <= counts[2017]
    assert any(i.startswith("expressway.yuxiang2.") for i in counts[None] - counts[2020])  # opened 2025
    assert any(i.startswith("expressway.chengyu1995.") for i in counts[1996])


def test_vehicle_speeds_and_stated_lengths(chengyu_network: Network) -> None:
    e = chengyu_network.explain["expressways"]
    assert (e["speed_kmh"] <= 100.0).all()  # trucks at most 100 km/h on expressways
    fast = load_expressways()
    assert (e["car_kmh"].to_numpy() == np.where(fast["design_kmh"].notna(), fast["design_kmh"], 100.0)).all()
    # a route whose stated length spans its stops adds up to it (seats on or off the line)
    for route, stated in (("chengyu1995", 318.6), ("g5013", 251.0), ("yuxiang2", 280.0), ("luyong", 63.3)):
        assert e.loc[e["route"] == route, "km"].sum() == pytest.approx(stated, abs=0.05)
    links = chengyu_network.links.set_index("link_id")
    row = e.set_index("link_id").loc["expressway.g5013.1"]
    assert links.loc["expressway.g5013.1", "time_h"] == pytest.approx(links.loc["expressway.g5013.1", "distance_km"] / 100.0)
    assert links.loc["expressway.g5013.1", "distance_km"] == pytest.approx(row["km"], abs=0.01)
    assert row["car_kmh"] == 120.0 and stop_node("500106") == row["from_node"]


def test_fast_reweighting_equals_the_builder(dataset: dict[str, object]) -> None:
    stated = load_stated()
    model = RoadModel(stated, dataset, DEFAULT_PARAMETERS.replace(vehicle="car"))
    km, hours = model.link_arrays(2017, 47.0, 1.37)
    p = DEFAULT_PARAMETERS.replace(vehicle="car", speed_kmh={**DEFAULT_PARAMETERS.speed_kmh, "road": 47.0},
                                   detour={**DEFAULT_PARAMETERS.detour, "road": 1.37})
    net = build_network(**dataset, params=p, as_of=2017)  # type: ignore[arg-type]
    road = net.links[net.links["mode"] == "road"].reset_index(drop=True)
    np.testing.assert_allclose(km, road["distance_km"].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(hours, road["time_h"].to_numpy(float), rtol=1e-9)


def test_split_is_seeded_and_groupwise() -> None:
    stated = load_stated()
    a, b = holdout_split(stated), holdout_split(stated)
    assert a.equals(b)
    target = stated["kind"] == "target"
    key = stated["origin"].astype(str) + stated["destination"].astype(str) + stated["via"].fillna("").astype(str)
    for _, grp in a[target].groupby(key[target]):
        assert grp.nunique() == 1  # duplicates of one pair never straddle the split
    groups = key[target].nunique()
    assert (a == "held-out").groupby(key).any().sum() == round(groups / 3)


@pytest.fixture(scope="module")
def validation(dataset: dict[str, object]) -> pd.DataFrame:
    """Modelled vs stated figures at the shipped (fitted) parameters."""
    assert DEFAULT_PARAMETERS.speed_kmh["road"] == FITTED_ROAD["speed_kmh"]
    assert DEFAULT_PARAMETERS.detour["road"] == FITTED_ROAD["detour"]
    stated = load_stated()
    model = RoadModel(stated, dataset, DEFAULT_PARAMETERS.replace(vehicle="car"))
    return validation_table(stated, model.evaluate(FITTED_ROAD["speed_kmh"], FITTED_ROAD["detour"]),
                            holdout_split(stated))


def test_held_out_times_within_tolerance(validation: pd.DataFrame) -> None:
    # Stated figures run edge to edge (ring to ring, interchange to town) and are often
    # forecasts or promotional; the model runs seat to seat. Hence 20 % on the median and
    # 50 % on any single pair rather than a tight tolerance.
    held = validation[(validation["split"] == "held-out") & validation["err_h"].notna()]
    assert len(held) >= 6
    assert held["err_h"].abs().median() <= 0.20
    target = validation[(validation["kind"] == "target") & validation["err_h"].notna()]
    assert target["err_h"].abs().max() <= 0.50
    assert validation.loc[validation["kind"] == "target", "err_km"].abs().max() <= 0.50
    # promotional times are lower bounds: the model is never much faster
    bounds = validation[validation["kind"] == "lower_bound"]
    assert (bounds["model_h"] >= 0.9 * bounds["stated_h_low"]).all()
    assert validation.loc[validation["kind"] == "not_modelled", "model_h"].isna().all()


def test_validation_table_in_the_docs(validation: pd.DataFrame) -> None:
    text = DOC.read_text(encoding="utf-8")
    for line in validation_markdown(validation).splitlines():
        assert line in text, f"stale validation row: {line}"


@pytest.mark.slow
def test_refit_reproduces_the_shipped_parameters(dataset: dict[str, object]) -> None:
    cal = calibrate_roads(dataset)
    assert cal.speed_kmh == pytest.approx(FITTED_ROAD["speed_kmh"], abs=0.05)
    assert cal.detour == pytest.approx(FITTED_ROAD["detour"], abs=0.005)
    assert cal.held_out_summary()["median_abs_err_h"] <= 0.20


app = typer.Typer()
register(app)


@app.callback()
def _root() -> None:
    """Test app."""


def _route(*args: str) -> tuple[float, float]:
    res = CliRunner().invoke(app, ["route", *args])
    assert res.exit_code == 0, res.output
    hours = float(re.search(r"time:\s*([\d.,]+)\s*h", res.output).group(1).replace(",", ""))  # type: ignore[union-attr]
    km = float(re.search(r"distance:\s*([\d.,]+)\s*km", res.output).group(1).replace(",", ""))  # type: ignore[union-attr]
    return hours, km


def test_route_command_within_stated_ranges() -> None:
    # Rongchang HTZ → central Chongqing (Yuzhong): about 1–1.5 h (issue 18; no sourced figure)
    hours, km = _route("cq-rongchang-htz", "500103")
    assert 1.0 <= hours <= 1.5 and 80 <= km <= 130
    # central Chongqing → central Chengdu: 250 km and 2.5 h ring to ring (freight facts §2);
    # centre to centre by truck (≤ 100 km/h) adds the in-city legs: 2.5–3.25 h, 250–300 km
    hours, km = _route("500103", "510105")
    assert 2.5 <= hours <= 3.25 and 250 <= km <= 300


def test_parameters_validate_vehicle() -> None:
    with pytest.raises(Exception, match="vehicle"):
        Parameters(vehicle="bicycle").check()


def test_regions_without_expressway_stops(dataset: dict[str, object]) -> None:
    regions = dataset["regions"]
    few = regions[regions["adcode"].astype(str).isin(["510104", "510105", "500103"])]  # type: ignore[index]
    net = build_network(regions=few)
    assert not net.links["link_id"].str.startswith("expressway.").any()
    assert net.explain["expressways"]["included"].sum() == 0
