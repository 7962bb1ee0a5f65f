"""Scope resolution from the dataset frames."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from parklink.chains.scope import ScopeFrames, resolve_scope
from parklink.errors import NotFoundError

from .conftest import firms_frame


def test_forms(frames: ScopeFrames) -> None:
    assert resolve_scope("circle", frames).provinces == {"SC", "CQ"}
    assert resolve_scope("川渝", frames).scope_id == "circle"
    assert resolve_scope("四川", frames).provinces == {"SC"}
    assert resolve_scope("province:CQ", frames).home_province == "CQ"
    p1 = resolve_scope("park:p1", frames)
    assert p1.park_ids == {"p1"} and p1.home_province == "SC" and p1.lon == 104.27
    assert resolve_scope("p1", frames) == p1
    assert resolve_scope("Longquan Auto Park", frames) == p1
    d1 = resolve_scope("designation:d1", frames)
    assert d1.park_ids == {"p1", "p2"} and d1.home_province is None
    city = resolve_scope("city:510100", frames)
    assert city.adcodes == {"510100", "510112", "510116"}
    assert resolve_scope("510100", frames) == city
    assert resolve_scope("510000", frames).provinces == {"SC"}
    z = resolve_scope("zone:z1", frames)
    assert z.adcodes == city.adcodes and z.home_province == "SC"
    assert "/" in p1.label


def test_unknown_scope_names_the_forms(frames: ScopeFrames) -> None:
    with pytest.raises(NotFoundError, match="park:ID"):
        resolve_scope("nowhere", frames)
    with pytest.raises(NotFoundError):
        resolve_scope("park:zz", frames)
    with pytest.raises(NotFoundError):
        resolve_scope("province:XX", frames)


def test_membership_mask_nests(frames: ScopeFrames) -> None:
    f = firms_frame()
    masks = [resolve_scope(s, frames).contains_mask(f)
             for s in ("park:p1", "city:510100", "SC", "circle")]
    for inner, outer in itertools.pairwise(masks):
        assert not (inner & ~outer).any()
    assert list(f.loc[masks[0], "enterprise_id"]) == ["F1", "F2", "F8"]


def test_chain_data_rejects_bad_inputs() -> None:
    from parklink.chains.data import ChainData, check_template
    from parklink.errors import ValidationError

    from .conftest import firms_frame, template_frame, tx_frame

    with pytest.raises(ValidationError, match="missing columns"):
        ChainData.from_frames(firms_frame().drop(columns=["segments"]), tx_frame(),
                              template_frame())
    bad = template_frame()
    bad.loc[2, "weight"] = -1.0
    with pytest.raises(ValidationError) as err:
        check_template(bad)
    assert err.value.problems[0].row == 4 and err.value.problems[0].column == "weight"
    with pytest.raises(ValidationError, match="duplicate"):
        check_template(pd.concat([template_frame(), template_frame().head(1)]))
