"""Domain versions: a write moves the version of exactly the domains of the tables it wrote
(to the new global data version); other domains keep theirs; restores move every domain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import update

from parklink.promotion import service
from parklink.store import models as m
from parklink.store.backup import backup, restore
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, write_frame
from parklink.store.version import data_version, domain_versions, domains, table_domain
from parklink.testing import tiny_registry

ALL = domains()


def _state(url: str) -> tuple[int, dict[str, int]]:
    with session_scope(url) as s:
        return data_version(s), dict(zip(ALL, domain_versions(s, ALL), strict=True))


@pytest.fixture
def loaded(db_url: str) -> str:
    upgrade(db_url)
    frames = tiny_registry()
    with session_scope(db_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return db_url


def _promotion_write(url: str) -> None:
    with session_scope(url) as s:
        service.create_project(s, {"project_id": "P1", "name_zh": "甲项目", "name_en": "Project A",
                                   "investor_name": "甲公司 A Co", "origin_country": "CN", "origin_province": "CQ",
                                   "mode": "new", "chain": "auto", "park_id": "sc-a"},
                               actor="test", via="test", stage="lead", on=dt.date(2025, 1, 10))


def test_domains_follow_the_model_modules() -> None:
    assert {"registry", "promotion", "sme", "coconstruction", "monitoring"} <= set(ALL)
    assert table_domain("park") == table_domain("designation_member") == table_domain("transport_link") == "registry"
    assert table_domain("project") == table_domain("stage_event") == "promotion"
    assert table_domain("sme_profile") == "sme"
    assert table_domain("cocon_platform") == "coconstruction"
    assert table_domain("indicator_value") == "monitoring"


def test_registry_load_sets_registry_to_the_global_version(loaded: str) -> None:
    version, by_domain = _state(loaded)
    assert version == 1
    assert by_domain["registry"] == 1
    assert by_domain["promotion"] == 0 and by_domain["sme"] == 0  # never written


def test_promotion_write_leaves_the_registry_version(loaded: str) -> None:
    _, before = _state(loaded)
    _promotion_write(loaded)
    version, after = _state(loaded)
    assert version == 2
    assert after["promotion"] == 2
    assert after["registry"] == before["registry"] == 1  # park caches stay valid
    assert after["sme"] == before["sme"] and after["coconstruction"] == before["coconstruction"]


def test_park_write_moves_the_registry_version_only(loaded: str) -> None:
    _promotion_write(loaded)
    _, before = _state(loaded)
    with session_scope(loaded) as s:
        park = s.get(m.Park, "sc-a")
        assert park is not None
        park.name_en = "Renamed"
    version, after = _state(loaded)
    assert after["registry"] == version == 3
    assert after["promotion"] == before["promotion"] == 2
    with session_scope(loaded) as s:  # a Core update through the session counts the same way
        s.execute(update(m.Park).where(m.Park.park_id == "sc-a").values(area_km2=3.5))
    version, again = _state(loaded)
    assert again["registry"] == version == 4 and again["promotion"] == 2


def test_reads_and_rollbacks_move_nothing(loaded: str) -> None:
    before = _state(loaded)
    with pytest.raises(RuntimeError), session_scope(loaded) as s:
        s.execute(update(m.Park).where(m.Park.park_id == "sc-a").values(area_km2=99.0))
        raise RuntimeError("abort")
    with session_scope(loaded) as s:
        s.get(m.Park, "sc-a")
    assert _state(loaded) == before


def test_domain_versions_never_repeat_after_a_restore(loaded: str, tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    backup(archive, url=loaded, firm_root=tmp_path / "no-firms")
    _promotion_write(loaded)
    with session_scope(loaded) as s:
        park = s.get(m.Park, "sc-a")
        assert park is not None
        park.name_en = "Renamed"
    seen_version, seen = _state(loaded)
    restore(archive, url=loaded, firm_root=tmp_path / "no-firms")
    version, after = _state(loaded)
    assert version > seen_version
    # every domain moved past every value it had (its restored row named the backup's past)
    assert all(after[d] == version for d in ALL)
    assert all(after[d] > seen[d] for d in ALL)
