"""Backup and restore: lossless round trips, across database kinds, all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select

from parklink.errors import ValidationError
from parklink.store import models as m
from parklink.store.backup import backup, restore
from parklink.store.db import session_scope, upgrade
from parklink.store.io import LOAD_ORDER, count_rows, write_frame
from parklink.testing import tiny_registry


def populate(url: str) -> None:
    upgrade(url)
    frames = tiny_registry()
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
        s.execute(insert(m.User), [{"username": "office", "display_name": "办公室 Office",
                                   "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$abc$def",
                                   "role": "programme_office",
                                   "created_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)}])
        s.execute(insert(m.AuditEntry), [{"actor": "office", "action": "update", "entity": "park",
                                         "entity_id": "sc-a", "before_json": '{"a": 1}', "after_json": '{"a": 2}',
                                         "at": dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC)}])
        s.execute(insert(m.Scenario), [{"name": "base", "kind": "designation",
                                       "params_json": json.dumps({"targets": {"2025": 20}}), "published": True,
                                       "created_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)}])


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    with session_scope(url) as s:
        for table in m.Base.metadata.sorted_tables:
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(_norm(v) for v in r) for r in rows
                               if not (table.name == "meta" and str(r[0]).startswith("data_version"))]
    return out  # the data versions (global and per domain) are deliberately not restored (test_store_version.py)


def _norm(v: object) -> object:
    if isinstance(v, dt.datetime):  # SQLite drops tzinfo; compare the UTC wall time
        return v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


def write_firms(root: Path) -> None:
    (root / "transactions").mkdir(parents=True)
    pd.DataFrame({"enterprise_id": ["E1"]}).to_parquet(root / "firms.parquet")
    pd.DataFrame({"supplier_id": ["E2"], "buyer_id": ["E1"], "year": [2021], "value_kcny": [1.5]}).to_parquet(
        root / "transactions" / "part-00000.parquet")


def test_backup_restore_round_trip(db_url: str, tmp_path: Path, sqlite_url: str) -> None:
    populate(db_url)
    firms = tmp_path / "firms"
    write_firms(firms)
    before = snapshot(db_url)
    report = backup(tmp_path / "b.zip", url=db_url, firm_root=firms)
    assert report.rows["park"] == 3 and report.firm_files == 2
    # restore into a fresh database of the other kind too (SQLite <-> PostgreSQL)
    target_firms = tmp_path / "firms2"
    restore(tmp_path / "b.zip", url=sqlite_url, firm_root=target_firms)
    assert snapshot(sqlite_url) == before
    assert pd.read_parquet(target_firms / "transactions" / "part-00000.parquet")["value_kcny"].tolist() == [1.5]
    # and over the original after a change: the change is undone
    with session_scope(db_url) as s:
        s.execute(m.Park.__table__.update().values(name_en="changed"))
    restore(tmp_path / "b.zip", url=db_url)
    assert snapshot(db_url) == before


def test_restore_of_a_broken_backup_changes_nothing(db_url: str, tmp_path: Path) -> None:
    populate(db_url)
    before = snapshot(db_url)
    good = tmp_path / "good.zip"
    backup(good, url=db_url)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        park = src.read("tables/park.jsonl").replace(b'"510112"', b'"519999"')  # unknown region: FK
        manifest = json.loads(src.read("manifest.json"))
        manifest["sha256"]["tables/park.jsonl"] = hashlib.sha256(park).hexdigest()  # consistent, yet invalid
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/park.jsonl":
                data = park
            elif item.filename == "manifest.json":
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(ValidationError, match="violates the schema"):
        restore(broken, url=db_url)
    assert snapshot(db_url) == before


def test_restore_rejects_non_backup(tmp_path: Path, sqlite_url: str) -> None:
    bogus = tmp_path / "x.zip"
    with zipfile.ZipFile(bogus, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError, match="not a parklink backup"):
        restore(bogus, url=sqlite_url)
    with pytest.raises(ValidationError, match="cannot open backup"):
        restore(tmp_path / "missing.zip", url=sqlite_url)


def test_restore_rejects_other_revision(tmp_path: Path, sqlite_url: str) -> None:
    populate(sqlite_url)
    path = tmp_path / "b.zip"
    backup(path, url=sqlite_url)
    edited = tmp_path / "e.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["revision"] = "9999"
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(ValidationError, match="revision 9999"):
        restore(edited, url=sqlite_url)
    with session_scope(sqlite_url) as s:
        assert count_rows(s, ["parks"])["parks"] == 3
