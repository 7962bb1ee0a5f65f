"""Import modes upsert / replace, the change preview, dry runs and the record history.

The round trip of the issue: export a kind -> edit two rows -> ``import --mode upsert
--dry-run`` shows exactly those two rows as changed and writes nothing; applying it writes
exactly one history entry per changed field; a file with one bad row writes nothing — for
every kind stored in SQL. Expectations are computed independently from the edited cells.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from parklink.errors import ValidationError
from parklink.ingest.api import export_file, import_file
from parklink.ingest.cli import register
from parklink.store import models as m
from parklink.store import session_scope
from parklink.store.db import upgrade
from parklink.store.history import read_history
from parklink.store.io import COCON_KINDS, LOAD_ORDER, read_frame, write_frame
from parklink.store.version import data_version
from parklink.tables import schema
from parklink.testing import tiny_registry

#: The field edited per kind, and how: text gets a suffix, numbers grow by one.
EDITED = {
    "regions": "name_en",
    "zones": "name_en",
    "parks": "name_en",
    "designations": "theme",
    "targets": "note",
    "transport_nodes": "name_en",
    "transport_links": "distance_km",
    "chain_segments": "name_en",
    "enterprises": "name_en",
    "monitoring_indicators": "name_en",
    "indicator_values": "value",
}

LINKS = """link_id,from_node,to_node,mode,distance_km,time_h,cost_cny_per_t,bidirectional,approximate,source_url,confidence
t-1,{a},{b},road,10.5,0.25,3.0,true,true,,synthetic
t-2,{b},{c},road,20.0,0.5,6.0,true,true,,synthetic
t-3,{a},{c},rail,30.0,1.0,4.5,false,true,,synthetic
"""


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _edit(frame: pd.DataFrame, kind: str, rows: list[int]) -> pd.DataFrame:
    col = EDITED[kind]
    out = frame.copy()
    for i in rows:
        if schema(kind).column(col).type == "float":
            out.loc[i, col] = repr(float(out.loc[i, col]) + 1.0)
        else:
            out.loc[i, col] = (out.loc[i, col] or "x") + " (edited)"
    return out


def _snapshot(url: str) -> dict[str, object]:
    with session_scope(url) as s:
        frames = {k: read_frame(s, k).to_json() for k in LOAD_ORDER}
        frames["history"] = int(s.scalar(select(func.count()).select_from(m.HistoryEntry)) or 0)
        frames["data_version"] = data_version(s)
        frames["versions"] = [tuple(r) for r in s.execute(select(m.Park.park_id, m.Park.row_version)
                                                          .order_by(m.Park.park_id))]
    return frames


def _with_links(url: str, tmp_path: Path) -> None:
    with session_scope(url) as s:
        nodes = sorted(read_frame(s, "transport_nodes")["node_id"])[:3]
    path = tmp_path / "links.csv"
    path.write_text(LINKS.format(a=nodes[0], b=nodes[1], c=nodes[2]), encoding="utf-8")
    report = import_file("transport_links", path, session_url=url)
    assert report.preview is not None and len(report.preview.added) == 3


def _with_monitoring(url: str, tmp_path: Path) -> None:
    """The embedded monitoring definitions and three values (the seeded registry has none)."""
    from parklink.monitoring.defaults import DEFAULTS_FILE

    import_file("monitoring_indicators", DEFAULTS_FILE, session_url=url, mode="upsert")
    path = tmp_path / "values.csv"
    path.write_text("value_id,park_id,indicator_id,period,value,confidence\n" + "".join(
        f"sc-chengdu-htz:tax:{y},sc-chengdu-htz,tax,{y},{100 + y % 10}.5,synthetic\n" for y in (2022, 2023, 2024)),
        encoding="utf-8")
    import_file("indicator_values", path, session_url=url, mode="upsert")


@pytest.mark.parametrize("kind", [k for k in LOAD_ORDER if k not in COCON_KINDS])  # cocon: own test
def test_export_edit_two_rows_upsert(kind: str, seeded_url: str, tmp_path: Path) -> None:
    if kind == "transport_links":
        _with_links(seeded_url, tmp_path)
    if kind in ("monitoring_indicators", "indicator_values"):
        _with_monitoring(seeded_url, tmp_path)
    exported = tmp_path / f"{kind}.csv"
    n = export_file(kind, exported, session_url=seeded_url)
    assert n >= 3
    original = _read(exported)
    edited = _write(_edit(original, kind, [0, 2]), tmp_path / f"{kind}-edited.csv")
    key = schema(kind).key[0]
    keys = [original.loc[0, key], original.loc[2, key]]
    before = _snapshot(seeded_url)

    dry = import_file(kind, edited, session_url=seeded_url, mode="upsert", dry_run=True, actor="tester")
    assert dry.dry_run and dry.rows == 0 and dry.preview is not None
    assert sorted(c.key for c in dry.preview.changed) == sorted(keys)
    assert [len(c.changes) for c in dry.preview.changed] == [1, 1]
    assert {c.changes[0].field for c in dry.preview.changed} == {EDITED[kind]}
    assert dry.preview.added == () and dry.preview.removed == ()
    assert dry.preview.unchanged == n - 2
    assert _snapshot(seeded_url) == before  # the dry run wrote nothing

    # append refuses exactly the two changed rows (not the n - 2 unchanged ones)
    with pytest.raises(ValidationError) as err:
        import_file(kind, edited, session_url=seeded_url, mode="append")
    assert sorted(p.value for p in err.value.problems) == sorted(keys)
    assert [p.row for p in err.value.problems] == [2, 4]
    assert _snapshot(seeded_url) == before

    done = import_file(kind, edited, session_url=seeded_url, mode="upsert", actor="tester")
    assert done.preview is not None and done.preview.applied and done.rows == 2
    assert done.preview.history == 2
    with session_scope(seeded_url) as s:
        entries = s.execute(select(m.HistoryEntry)).scalars().all()
        assert len(entries) == before["history"] + 2  # type: ignore[operator]
        fresh = [e for e in entries if e.actor == "tester"]
        assert len(fresh) == 2 and len({e.change_set for e in fresh}) == 1
        for e in fresh:
            row = original[original[key] == e.record_key].iloc[0]
            assert (e.action, e.field, e.row_version) == ("update", EDITED[kind], 2)
            col_type = schema(kind).column(EDITED[kind]).type
            old = float(row[EDITED[kind]]) if col_type == "float" else row[EDITED[kind]]
            if col_type == "float":
                assert (float(e.old_value), float(e.new_value)) == (old, old + 1.0)
            else:
                assert (e.old_value, e.new_value) == (old or None, (old or "x") + " (edited)")
            assert e.confidence == (row["confidence"] or None)
            assert e.at.tzinfo is not None or s.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
        after = read_frame(s, kind)
    # exactly the two cells changed: compare with the edited file read back canonically
    again = tmp_path / f"{kind}-again.csv"
    export_file(kind, again, session_url=seeded_url)
    assert _read(again).drop(columns=[EDITED[kind]]).equals(original.drop(columns=[EDITED[kind]]))
    assert len(after) == n
    # importing the same file again: everything unchanged, nothing written, no error
    same = import_file(kind, edited, session_url=seeded_url, mode="upsert")
    assert same.preview is not None and same.preview.unchanged == n and same.rows == 0
    same_append = import_file(kind, edited, session_url=seeded_url, mode="append")
    assert same_append.preview is not None and same_append.rows == 0


@pytest.mark.parametrize("kind", [k for k in LOAD_ORDER if k not in COCON_KINDS])  # cocon: own test
def test_failed_upsert_writes_nothing(kind: str, seeded_url: str, tmp_path: Path) -> None:
    if kind == "transport_links":
        _with_links(seeded_url, tmp_path)
    if kind in ("monitoring_indicators", "indicator_values"):
        _with_monitoring(seeded_url, tmp_path)
    exported = tmp_path / f"{kind}.csv"
    export_file(kind, exported, session_url=seeded_url)
    frame = _edit(_read(exported), kind, [0, 1])
    bad_col = "confidence" if "confidence" in frame.columns else EDITED[kind]
    frame.loc[2, bad_col] = "certain-ish"  # one bad row: not an allowed confidence
    path = _write(frame, tmp_path / f"{kind}-bad.csv")
    before = _snapshot(seeded_url)
    with pytest.raises(ValidationError) as err:
        import_file(kind, path, session_url=seeded_url, mode="upsert")
    assert [(p.row, p.column) for p in err.value.problems] == [(4, bad_col)]
    assert _snapshot(seeded_url) == before


def test_upsert_adds_and_changes_in_one_transaction(seeded_url: str, tmp_path: Path) -> None:
    exported = tmp_path / "targets.csv"
    export_file("targets", exported, session_url=seeded_url)
    frame = _read(exported)
    frame.loc[0, "cumulative_parks"] = str(int(frame.loc[0, "cumulative_parks"]) + 1)
    frame = pd.concat([frame, pd.DataFrame([{"year": "2030", "cumulative_parks": "40", "note": "",
                                             "source_url": "", "confidence": "synthetic"}])])
    report = import_file("targets", _write(frame, tmp_path / "t.csv"), session_url=seeded_url,
                         mode="upsert", actor="tester")
    assert report.preview is not None
    assert report.preview.added == ("2030",) and len(report.preview.changed) == 1
    with session_scope(seeded_url) as s:
        created = read_history(s, "targets", 2030)
        assert [(e["action"], e["field"], e["actor"]) for e in created] == [("insert", None, "tester")]
        assert json.loads(created[0]["new"])["cumulative_parks"] == "40"
        changed = read_history(s, "targets", frame.iloc[0]["year"])
        assert [(e["field"], e["old"], e["new"]) for e in changed] == [
            ("cumulative_parks", str(int(frame.iloc[0]["cumulative_parks"]) - 1),
             frame.iloc[0]["cumulative_parks"])]


def test_replace_refuses_dependants_and_names_each(seeded_url: str, tmp_path: Path) -> None:
    exported = tmp_path / "parks.csv"
    export_file("parks", exported, session_url=seeded_url)
    with session_scope(seeded_url) as s:
        member = s.execute(select(m.DesignationMember.park_id, m.DesignationMember.designation_id)
                           .order_by(m.DesignationMember.park_id)).first()
        assert member is not None
        park_id, designation_id = member
        n_refs = len(s.execute(select(m.DesignationMember).where(m.DesignationMember.park_id == park_id)).all()) \
            + len(s.execute(select(m.Enterprise).where(m.Enterprise.park_id == park_id)).all()) \
            + len(s.execute(select(m.Project).where(m.Project.park_id == park_id)).all())  # seeded pipeline
    frame = _read(exported)
    path = _write(frame[frame["park_id"] != park_id], tmp_path / "fewer.csv")
    before = _snapshot(seeded_url)
    dry = import_file("parks", path, session_url=seeded_url, mode="upsert", dry_run=True)
    assert dry.preview is not None and dry.preview.removed == (park_id,)  # listed, not removed
    with pytest.raises(ValidationError) as err:
        import_file("parks", path, session_url=seeded_url, mode="replace")
    problems = err.value.problems
    assert len(problems) == n_refs
    assert all(p.value == park_id and p.column == "park_id" for p in problems)
    assert any(f"designations {designation_id} (list members)" in p.reason for p in problems)
    assert _snapshot(seeded_url) == before


def test_replace_removes_rows_nobody_refers_to(seeded_url: str, tmp_path: Path) -> None:
    exported = tmp_path / "targets.csv"
    export_file("targets", exported, session_url=seeded_url)
    frame = _read(exported)
    gone = frame.iloc[-1]["year"]
    report = import_file("targets", _write(frame.iloc[:-1], tmp_path / "t.csv"), session_url=seeded_url,
                         mode="replace", actor="tester")
    assert report.preview is not None and report.preview.removed == (gone,) and report.rows == 1
    with session_scope(seeded_url) as s:
        assert gone not in set(read_frame(s, "targets")["year"].astype(str))
        [entry] = read_history(s, "targets", gone)
        assert entry["action"] == "delete" and json.loads(entry["old"])["year"] == gone


def test_recreated_record_continues_its_version(seeded_url: str, tmp_path: Path) -> None:
    """A record deleted and imported again never reuses a version (an old ETag cannot match)."""
    exported = tmp_path / "targets.csv"
    export_file("targets", exported, session_url=seeded_url)
    frame = _read(exported)
    year = int(frame.iloc[-1]["year"])
    edited = frame.copy()
    edited.loc[edited.index[-1], "note"] = "v2"
    import_file("targets", _write(edited, tmp_path / "a.csv"), session_url=seeded_url, mode="upsert")
    import_file("targets", _write(frame.iloc[:-1], tmp_path / "b.csv"), session_url=seeded_url, mode="replace")
    import_file("targets", _write(frame, tmp_path / "c.csv"), session_url=seeded_url, mode="upsert")
    with session_scope(seeded_url) as s:
        assert s.get(m.Target, year).row_version == 3  # type: ignore[union-attr]


def test_upsert_inserts_parents_before_children(seeded_url: str, tmp_path: Path) -> None:
    header = "adcode,name_zh,name_en,level,parent_adcode,province,seat_lon,seat_lat,seat_approximate," \
             "area_km2,source_url,confidence"
    path = tmp_path / "regions.csv"
    path.write_text(f"{header}\n519902,子区,Child,district,519901,SC,104.1,30.6,false,,,synthetic\n"
                    f"519901,父市,Parent,city,510000,SC,104.0,30.5,false,,,synthetic\n", encoding="utf-8")
    report = import_file("regions", path, session_url=seeded_url, mode="upsert")
    assert report.preview is not None and sorted(report.preview.added) == ["519901", "519902"]


@pytest.mark.parametrize("kind", ["parks", "designations"])
def test_upsert_on_both_databases(kind: str, db_url: str, tmp_path: Path) -> None:
    frames = tiny_registry()
    upgrade(db_url)
    with session_scope(db_url) as s:
        for k in LOAD_ORDER:
            write_frame(s, k, frames[k])
    exported = tmp_path / f"{kind}.csv"
    export_file(kind, exported, session_url=db_url)
    frame = _read(exported)
    rows = [0, len(frame) - 1] if len(frame) > 1 else [0]
    edited = _write(_edit(frame, kind, rows), tmp_path / "e.csv")
    before = _snapshot(db_url)
    dry = import_file(kind, edited, session_url=db_url, mode="upsert", dry_run=True)
    assert dry.preview is not None and len(dry.preview.changed) == len(rows)
    assert _snapshot(db_url) == before
    frame.loc[0, "confidence"] = "sure"
    with pytest.raises(ValidationError):
        import_file(kind, _write(_edit(frame, kind, rows), tmp_path / "bad.csv"), session_url=db_url,
                    mode="upsert")
    assert _snapshot(db_url) == before
    done = import_file(kind, edited, session_url=db_url, mode="upsert", actor="tester")
    assert done.preview is not None and done.preview.history == len(rows)
    with session_scope(db_url) as s:
        history = read_history(s, kind, frame.iloc[0][schema(kind).key[0]])
        assert [(e["action"], e["field"]) for e in history] == [("update", EDITED[kind])]
        assert history[0]["at"].endswith("+00:00")


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_preview_dry_run_and_history(seeded_url: str, tmp_path: Path,
                                         counts: Callable[[str], dict[str, int]]) -> None:
    exported = tmp_path / "parks.csv"
    export_file("parks", exported, session_url=seeded_url)
    frame = _read(exported)
    first, third = frame.loc[0, "park_id"], frame.loc[2, "park_id"]
    edited = _write(_edit(frame, "parks", [0, 2]), tmp_path / "parks-edited.csv")
    runner = CliRunner()
    before = _snapshot(seeded_url)
    dry = runner.invoke(_app(), ["import", "parks", str(edited), "--mode", "upsert", "--dry-run",
                                 "-d", seeded_url], env={"COLUMNS": "80"})
    assert dry.exit_code == 0, dry.output
    assert "修改 changed" in dry.output and "Dry run" in dry.output
    assert first in dry.output and third in dry.output
    assert max(len(line) for line in dry.output.splitlines()) <= 80
    assert _snapshot(seeded_url) == before
    ok = runner.invoke(_app(), ["import", "parks", str(edited), "--mode", "upsert", "-d", seeded_url])
    assert ok.exit_code == 0, ok.output
    assert "2 changed" in ok.output and "2 history entries" in ok.output
    shown = runner.invoke(_app(), ["history", "park", first, "-d", seeded_url, "--json"])
    assert shown.exit_code == 0, shown.output
    items = json.loads(shown.output)["items"]
    assert [(i["field"], i["new"]) for i in items] == [("name_en", frame.loc[0, "name_en"] + " (edited)")]
    table = runner.invoke(_app(), ["history", "parks", first, "-d", seeded_url], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and "name_en" in table.output
    missing = runner.invoke(_app(), ["history", "park", "no-such-park", "-d", seeded_url])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    bad_kind = runner.invoke(_app(), ["history", "planet", "x", "-d", seeded_url])
    assert bad_kind.exit_code == 1 and "unknown kind" in bad_kind.output
    assert counts(seeded_url)["parks"] == len(frame)


def test_transactions_refuse_upsert_and_dry_run(tmp_path: Path, seeded_url: str) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("supplier_id,buyer_id,year,value_kcny\n", encoding="utf-8")
    from parklink.errors import ConfigError

    with pytest.raises(ConfigError, match="Parquet"):
        import_file("transactions", path, session_url=seeded_url, mode="upsert")
    with pytest.raises(ConfigError, match="Parquet"):
        import_file("transactions", path, session_url=seeded_url, dry_run=True)
