"""The in-memory zone index of the park pages gives, for every park of the embedded
default (plus stated zones and partial members), what the SQL path gives and what the
pandas park rule of :mod:`parklink.programme.zones` gives."""

from __future__ import annotations

import pandas as pd

from parklink.datasets import chengyu
from parklink.programme.zones import park_zones
from parklink.programme.zones_sql import ZoneIndex, park_zone_ids
from parklink.store.db import session_scope, upgrade
from parklink.store.io import read_frame, write_frame


def _frames() -> dict[str, pd.DataFrame]:
    frames = {kind: chengyu.load(kind) for kind in ("regions", "zones", "parks")}
    parks = frames["parks"].copy()
    # a park stating a zone its district is not a member of, and one stating its own
    zone_ids = list(frames["zones"]["zone_id"])
    parks.loc[parks.index[0], "stated_zones"] = zone_ids[-1]
    parks.loc[parks.index[1], "stated_zones"] = ";".join(zone_ids[:2])
    frames["parks"] = parks
    return frames


def test_index_agrees_with_sql_and_the_pandas_rule(db_url: str) -> None:
    frames = _frames()
    upgrade(db_url)
    with session_scope(db_url) as s:
        for kind in ("regions", "zones", "parks"):
            write_frame(s, kind, frames[kind])
    with session_scope(db_url) as s:
        parks, zones, regions = read_frame(s, "parks"), read_frame(s, "zones"), read_frame(s, "regions")
        index = ZoneIndex(s)
        expected_rule = dict(zip(parks["park_id"], park_zones(parks, zones, regions), strict=True))
        partial_seen = 0
        for park_id, adcode in zip(parks["park_id"], parks["adcode"], strict=True):
            got = index.park_zone_ids(park_id, adcode)
            assert got == park_zone_ids(s, park_id, adcode), park_id
            assert got[0] == expected_rule[park_id], park_id
            partial_seen += bool(got[1])
        assert sum(bool(z) for z in expected_rule.values()) > 10  # the default places parks in zones
        assert partial_seen > 0  # and some in a district that is only partly a zone's member
        # an unknown region is its own chain (as in SQL): no zones, nothing raised
        assert index.park_zone_ids("nowhere", "000000") == park_zone_ids(s, "nowhere", "000000") == ([], [])
