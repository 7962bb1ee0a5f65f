"""Export -> import is lossless for every kind and every format (real SQLite registries)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from parklink.errors import ValidationError
from parklink.firmdata import FirmDataset
from parklink.ingest import export_file, import_file
from parklink.store import session_scope
from parklink.store.io import LOAD_ORDER, read_frame, write_frame
from parklink.tables import SCHEMAS

FORMATS = ("csv", "xlsx", "parquet", "geojson")

LINKS = pd.DataFrame({
    "link_id": ["l1", "l2"],
    "from_node": [None, None],
    "to_node": [None, None],
    "mode": ["rail", "road"],
    "distance_km": [312.5, 0.1 + 0.2],
    "time_h": [4.25, 1e-3],
    "cost_cny_per_t": [88.0, 0.0],
    "bidirectional": [True, False],
    "approximate": [False, True],
    "source_url": ["https://example.org/synthetic", None],
    "confidence": ["synthetic", "synthetic"],
})


def _add_links(url: str) -> None:
    with session_scope(url) as session:
        nodes = read_frame(session, "transport_nodes")["node_id"].tolist()
        links = LINKS.copy()
        links["from_node"] = [nodes[0], nodes[1]]
        links["to_node"] = [nodes[1], nodes[2]]
        write_frame(session, "transport_links", links)


def _snapshot(url: str) -> dict[str, pd.DataFrame]:
    with session_scope(url) as session:
        return {k: read_frame(session, k) for k in LOAD_ORDER}


def _add_monitoring(url: str, tmp_path: Path) -> None:
    """The embedded monitoring definitions and two values (the seeded registry has none)."""
    from parklink.monitoring.defaults import DEFAULTS_FILE

    import_file("monitoring_indicators", DEFAULTS_FILE, session_url=url, mode="upsert")
    values = tmp_path / "values.csv"
    values.write_text("value_id,park_id,indicator_id,period,value,as_of,confidence\n"
                      "sc-chengdu-htz:tax:2024,sc-chengdu-htz,tax,2024,1200.5,2025-03-31,synthetic\n"
                      "sc-chengdu-htz:land_area_mu:2024Q4,sc-chengdu-htz,land_area_mu,2024Q4,300,,synthetic\n",
                      encoding="utf-8")
    import_file("indicator_values", values, session_url=url, mode="upsert")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_round_trips(fmt: str, seeded_url: str, empty_url: str, tmp_path: Path) -> None:
    _add_links(seeded_url)
    _add_monitoring(seeded_url, tmp_path)
    before = _snapshot(seeded_url)
    # co-construction kinds the default ships empty round-trip in tests/coconstruction
    empty = {"sharing_realised", "smart_recognitions", "maturity_assessments", "platforms"}
    assert all(len(f) for k, f in before.items() if k not in empty)
    for kind in LOAD_ORDER:
        if kind in empty:
            continue
        ext = fmt if (fmt != "geojson" or SCHEMAS[kind].geometry) else "parquet"
        path = tmp_path / f"{kind}.{ext}"
        assert export_file(kind, path, session_url=seeded_url) == len(before[kind])
        report = import_file(kind, path, session_url=empty_url)
        assert report.rows == len(before[kind])
    after = _snapshot(empty_url)
    for kind in LOAD_ORDER:
        assert_frame_equal(after[kind], before[kind], obj=kind)


def test_csv_export_has_a_bom_and_chinese(seeded_url: str, tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    export_file("regions", path, session_url=seeded_url)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "重庆市" in raw.decode("utf-8-sig")


def test_region_polygons_round_trip_through_geojson(seeded_url: str, empty_url: str,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "regions.geojson"
    export_file("regions", path, session_url=seeded_url)
    doc = json.loads(path.read_text(encoding="utf-8"))
    kinds = {f["geometry"]["type"] for f in doc["features"]}
    assert kinds <= {"Polygon", "MultiPolygon"}
    import_file("regions", path, session_url=empty_url)
    from sqlalchemy import select

    from parklink.store.models import Region

    def boundaries(url: str) -> dict[str, object]:
        with session_scope(url) as s:
            return {a: json.loads(b) for a, b in s.execute(select(Region.adcode, Region.boundary_geojson))}

    assert boundaries(empty_url) == boundaries(seeded_url)


def test_replace_mode_replaces(seeded_url: str, tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("year,cumulative_parks,note,source_url,confidence\n2030,40,,,synthetic\n",
                    encoding="utf-8")
    import_file("targets", path, session_url=seeded_url, mode="replace")
    with session_scope(seeded_url) as session:
        frame = read_frame(session, "targets")
    assert frame["year"].tolist() == [2030]


def _firms(root: Path, ids: list[str]) -> FirmDataset:
    ds = FirmDataset(root)
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"enterprise_id": ids}), ds.firms_path)
    return ds


@pytest.mark.parametrize("fmt", ("csv", "xlsx", "parquet"))
def test_transactions_round_trip(fmt: str, tmp_path: Path, empty_url: str) -> None:
    src = _firms(tmp_path / "a", ["f1", "f2", "f3"])
    frame = pd.DataFrame({"supplier_id": ["f1", "f2", "f3"], "buyer_id": ["f2", "f3", "f1"],
                          "year": [2020, 2021, 2022], "value_kcny": [0.1 + 0.2, 1e-9, 12345.5]})
    src.transactions_dir.mkdir()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                   src.transactions_dir / "p0.parquet")
    path = tmp_path / f"tx.{fmt}"
    assert export_file("transactions", path, firm_root=src.root) == 3
    dst = _firms(tmp_path / "b", ["f1", "f2", "f3"])
    report = import_file("transactions", path, firm_root=dst.root, session_url=empty_url)
    assert report.rows == 3
    back = pq.read_table(dst.transactions_dir).to_pandas()
    assert_frame_equal(back.sort_values("year", ignore_index=True), frame, check_dtype=False)


def test_geojson_rejected_for_kinds_without_geometry(seeded_url: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="has no geometry"):
        export_file("targets", tmp_path / "t.geojson", session_url=seeded_url)
