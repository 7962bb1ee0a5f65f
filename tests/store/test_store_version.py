"""The data version: bumped once per committed write, not by reads or bookkeeping, exact across sessions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, insert, update

from parklink.firmdata import FirmDataset
from parklink.store import models as m
from parklink.store.backup import backup, restore
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, read_frame, write_frame
from parklink.store.version import data_version
from parklink.testing import tiny_registry


def _version(url: str) -> int:
    with session_scope(url) as s:
        return data_version(s)


@pytest.fixture
def loaded(db_url: str) -> str:
    upgrade(db_url)
    frames = tiny_registry()
    with session_scope(db_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    return db_url


def test_bulk_load_bumps_once_and_reads_do_not(loaded: str) -> None:
    assert _version(loaded) == 1  # one transaction of Core inserts = one bump
    with session_scope(loaded) as s:
        read_frame(s, "parks")
    assert _version(loaded) == 1


def test_orm_change_core_update_and_delete_each_bump(loaded: str) -> None:
    with session_scope(loaded) as s:
        park = s.get(m.Park, "sc-a")
        assert park is not None
        park.name_en = "Renamed park"
    assert _version(loaded) == 2
    with session_scope(loaded) as s:
        s.execute(update(m.Park).where(m.Park.park_id == "sc-a").values(area_km2=12.5))
    assert _version(loaded) == 3
    with session_scope(loaded) as s:
        s.execute(delete(m.ParkFocusChain).where(m.ParkFocusChain.park_id == "sc-a"))
    assert _version(loaded) == 4


def test_rolled_back_write_does_not_bump(loaded: str) -> None:
    with pytest.raises(RuntimeError), session_scope(loaded) as s:
        s.execute(update(m.Park).where(m.Park.park_id == "sc-a").values(area_km2=99.0))
        raise RuntimeError("abort")
    assert _version(loaded) == 1
    with session_scope(loaded) as s:  # the next, unrelated read-only session is clean
        read_frame(s, "zones")
    assert _version(loaded) == 1


def test_bookkeeping_writes_do_not_bump(loaded: str) -> None:
    with session_scope(loaded) as s:
        s.execute(insert(m.AuditEntry), [{"actor": "office", "action": "update", "entity": "park",
                                         "entity_id": "sc-a", "before_json": "{}", "after_json": "{}",
                                         "at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)}])
        s.add(m.User(username="u1", display_name="U", password_hash="x", role="public",
                     created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)))
    assert _version(loaded) == 1


def test_restore_never_repeats_a_version(loaded: str, tmp_path: Path) -> None:
    archive = backup(tmp_path / "b.zip", url=loaded, firm_root=None)
    for area in (1.0, 2.0, 3.0):
        with session_scope(loaded) as s:
            s.execute(update(m.Park).where(m.Park.park_id == "sc-a").values(area_km2=area))
    assert _version(loaded) == 4
    restore(archive.path, url=loaded, firm_root=None)
    assert _version(loaded) == 5  # not the backup's 1 (which named other data)


def test_firm_dataset_version_changes_with_files(tmp_path: Path) -> None:
    ds = FirmDataset(tmp_path / "firms")
    assert ds.version() == "absent"
    ds.transactions_dir.mkdir(parents=True)
    pd.DataFrame({"a": [1]}).to_parquet(ds.firms_path)
    pd.DataFrame({"v": [1.0]}).to_parquet(ds.transactions_dir / "part-00000.parquet")
    first = ds.version()
    assert first == ds.version()
    pd.DataFrame({"v": [1.0, 2.0]}).to_parquet(ds.transactions_dir / "part-00001.parquet")
    assert ds.version() != first


def test_analysis_jobs_are_bookkeeping_and_not_backed_up(loaded: str, tmp_path: Path) -> None:
    import zipfile

    from sqlalchemy import func, select

    with session_scope(loaded) as s:
        s.add(m.AnalysisJob(job_id="j1", kind="route", params_hash="h", params_json="{}",
                            data_version=1, status="done", owner="office",
                            created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)))
    assert _version(loaded) == 1  # a job row is not data
    archive = backup(tmp_path / "b.zip", url=loaded, firm_root=None)
    with zipfile.ZipFile(archive.path) as zf:
        assert "tables/analysis_job.jsonl" not in zf.namelist()
        assert "tables/park.jsonl" in zf.namelist()
    restore(archive.path, url=loaded, firm_root=None)
    with session_scope(loaded) as s:  # cached results do not survive a restore
        assert s.scalar(select(func.count()).select_from(m.AnalysisJob)) == 0
