"""Import (validated, all-or-nothing) and export of every kind of table.

``import_file`` reads the whole file as text, validates it against the declared schema and
the registry (foreign keys, duplicate keys), compares it with the stored rows (a change
preview: added, changed field by field, unchanged, removed; see
:mod:`parklink.ingest.changes`) and only then writes it, with one history entry per change,
in one transaction (``parklink.store.session_scope``); a rejected file changes nothing, and
``dry_run`` computes and checks everything and then writes nothing. Transactions go to the
firm-level Parquet dataset instead, streamed in chunks (see
:mod:`parklink.ingest.transactions`). ``export_file`` writes the stored rows in the format of
the file extension, in the forms the importer reads back unchanged.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from parklink.errors import ConfigError, NotFoundError, Problem, ValidationError
from parklink.firmdata import FirmDataset, FirmKeys
from parklink.ingest.changes import ChangePreview
from parklink.ingest.csvsafe import neutralise_batch
from parklink.ingest.geo import ProvinceArea, default_area
from parklink.ingest.readers import TextTable, file_format, read_text_table
from parklink.ingest.transactions import import_transactions_file
from parklink.ingest.validate import Checked, validate_table
from parklink.ingest.writers import arrow_schema, write_frame_file
from parklink.tables import SCHEMAS, TRANSACTIONS, TableSchema

__all__ = [
    "ChangePreview",
    "ImportReport",
    "Mode",
    "export_file",
    "import_file",
    "validate_file",
    "write_problems",
]

Mode = Literal["append", "upsert", "replace"]
MODES: tuple[str, ...] = ("append", "upsert", "replace")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import wrote: ``rows`` rows of ``kind`` from ``file`` in ``seconds`` (wall time).

    For kinds stored in SQL ``preview`` is the change preview (added / changed / unchanged /
    removed) and ``rows`` the rows inserted, updated or deleted (0 for a dry run); for
    transactions (Parquet) ``preview`` is None and ``rows`` the rows appended or written.
    """

    kind: str
    file: str
    rows: int
    seconds: float
    preview: ChangePreview | None = None
    dry_run: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of the report."""
        return pd.DataFrame([{"kind": self.kind, "file": self.file, "rows": self.rows,
                              "seconds": self.seconds}])


def _schema(kind: str) -> TableSchema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise NotFoundError(
            f"unknown kind (未知表类型) {kind!r}; expected one of {', '.join(SCHEMAS)}"
        ) from None


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"mode must be 'append', 'upsert' or 'replace' (模式须为追加、更新或替换), "
                          f"not {mode!r}")


def _default_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _require_db(url: str | None) -> None:
    from parklink.store.db import database_url, is_initialised, redact

    if not is_initialised(url):
        raise ConfigError(
            f"database {redact(database_url(url))} is not initialised (数据库未初始化); "
            "run 'parklink db init' first"
        )


def validate_file(
    kind: str,
    path: Path,
    *,
    sheet: str | None = None,
    refs: Mapping[str, Iterable[str]] | None = None,
    existing_keys: Iterable[str] | None = None,
    area: ProvinceArea | None = None,
) -> Checked:
    """Read and validate ``path`` as ``kind`` without touching any store.

    ``refs`` maps ``"kind.column"`` foreign keys to the values that exist (other kinds are
    not checked when absent); ``existing_keys`` are keys already stored (append mode);
    ``area`` defaults to :func:`parklink.ingest.geo.default_area`. Raises
    :class:`ValidationError` listing every problem; returns the canonical typed frame.
    """
    schema = _schema(kind)
    table = read_text_table(Path(path), schema, sheet=sheet)
    checked = validate_table(
        table, schema,
        refs={k: set(v) for k, v in refs.items()} if refs is not None else None,
        existing_keys=set(existing_keys) if existing_keys is not None else None,
        area=area if area is not None else default_area(),
    )
    if checked.problems:
        raise ValidationError(checked.problems)
    return checked


def _store_refs(session: Any, schema: TableSchema, mode: Mode) -> dict[str, set[str]]:
    from parklink.store.io import key_values

    refs: dict[str, set[str]] = {}
    for col in schema.columns:
        if col.ref is None or col.ref in refs:
            continue
        ref_kind, ref_col = col.ref.split(".", 1)
        if ref_kind == schema.kind and mode == "replace":
            continue  # the stored rows are being replaced: only the file's own rows count
        refs[col.ref] = key_values(session, ref_kind, ref_col)
    return refs


def _save_region_boundaries(session: Any, table: TextTable, checked: Checked) -> None:
    """Keep the polygons of a regions GeoJSON import in ``Region.boundary_geojson``."""
    if table.geometries is None:
        return
    from sqlalchemy import update

    from parklink.store.models import Region

    for code, geom in zip(checked.frame["adcode"].tolist(), table.geometries, strict=True):
        if geom is not None and geom.get("type") in ("Polygon", "MultiPolygon"):
            session.execute(update(Region).where(Region.adcode == code)
                            .values(boundary_geojson=json.dumps(geom, ensure_ascii=False)))


def _enterprise_ids(dataset: FirmDataset, session_url: str | None,
                    firm_keys: FirmKeys | None = None) -> pd.Index:
    """Unique enterprise ids of the firms Parquet and the registry, as a pandas Index (hashed
    once, then probed chunk by chunk). ``firm_keys`` (the firms file's keys, when already
    read) supplies the firms file's ids."""
    import pyarrow.compute as pc

    parts: list[pa.Array] = []
    if firm_keys is not None:
        parts.append(firm_keys.ids)
    elif dataset.firms_path.is_file():
        col = pq.read_table(dataset.firms_path, columns=["enterprise_id"]).column(0)
        parts.append(pc.cast(col, pa.string()).combine_chunks())
    from parklink.store.db import is_initialised

    if is_initialised(session_url):
        from parklink.store import session_scope
        from parklink.store.io import key_values

        with session_scope(session_url) as session:
            parts.append(pa.array(sorted(key_values(session, "enterprises", "enterprise_id")),
                                  type=pa.string()))
    if not parts:
        return pd.Index([], dtype=object)
    ids = pc.unique(pc.drop_null(pa.concat_arrays(parts)))
    index: pd.Index = pd.Index(ids.to_numpy(zero_copy_only=False), dtype=object)
    return index


def import_file(
    kind: str,
    path: Path | str,
    *,
    session_url: str | None = None,
    mode: Mode = "append",
    sheet: str | None = None,
    firm_root: Path | None = None,
    dry_run: bool = False,
    actor: str | None = None,
) -> ImportReport:
    """Validate the whole file at ``path`` as ``kind`` and store it, all or nothing.

    Formats by extension: .csv (UTF-8, UTF-8 with BOM or GBK/GB18030), .xlsx (``sheet``,
    default the first), .parquet, .geojson (kinds with geometry). Modes (SQL kinds):
    ``"append"`` adds new rows (a row stored with exactly these values is skipped; a key
    stored with other values is a problem naming the differing fields); ``"upsert"`` adds new
    rows and updates changed ones (only their changed fields); ``"replace"`` also deletes the
    stored rows the file does not contain, and refuses, naming each one, while other records
    refer to them. Every problem found is raised together in one :class:`ValidationError`,
    and then nothing was written. ``dry_run`` computes the change preview and every check,
    writes nothing. History entries name ``actor`` (default ``cli:<login>``).

    Transactions go to the firm dataset at ``firm_root`` (default: the configured data dir),
    streamed with bounded memory; they are Parquet, not SQL: modes append and replace only,
    no preview, no dry run, no history.
    """
    _check_mode(mode)
    schema = _schema(kind)
    path = Path(path)
    t0 = time.perf_counter()
    if kind == TRANSACTIONS.kind:
        if mode == "upsert" or dry_run:
            raise ConfigError("transactions are stored as Parquet, not in the database: modes "
                              "'append' and 'replace' only, no --dry-run (交易数据仅支持追加或替换)")
        dataset = FirmDataset(Path(firm_root)) if firm_root else FirmDataset.default()
        keys = dataset.firm_keys()
        ids = _enterprise_ids(dataset, session_url, keys)
        try:
            rows, _ = import_transactions_file(path, dataset.transactions_dir, ids, mode=mode,
                                               sheet=sheet, file=path.name, firm_keys=keys)
        except OSError as exc:
            raise ValidationError.single(path.name, f"cannot write the dataset: {exc} "
                                         "(无法写入企业数据)") from exc
        return ImportReport(kind, path.name, rows, time.perf_counter() - t0)
    from parklink.ingest.changes import apply_changes
    from parklink.store import session_scope

    _require_db(session_url)
    table = read_text_table(path, schema, sheet=sheet)
    area = default_area()
    with session_scope(session_url) as session:
        refs = _store_refs(session, schema, mode)
        # stored keys are not problems here: the change preview sorts them into unchanged
        # and changed rows (a changed row is a problem in append mode only)
        checked = validate_table(table, schema, refs=refs, existing_keys=None, area=area)
        if checked.problems:
            raise ValidationError(checked.problems)
        preview = apply_changes(session, kind, checked.frame, checked.rows.tolist(), file=table.file,
                                mode=mode, actor=actor or _default_actor(), dry_run=dry_run)
        if kind == "regions" and not dry_run:
            _save_region_boundaries(session, table, checked)
    return ImportReport(kind, path.name, 0 if dry_run else preview.rows_written,
                        time.perf_counter() - t0, preview, dry_run)


def _geometries(session: Any, kind: str) -> dict[str, Any] | None:
    """GeoJSON geometries by key for regions (stored polygons) and links (node to node)."""
    from sqlalchemy import select

    if kind == "regions":
        from parklink.store.models import Region

        out: dict[str, Any] = {}
        for code, text in session.execute(select(Region.adcode, Region.boundary_geojson)):
            if text:
                doc = json.loads(text)
                out[str(code)] = doc.get("geometry", doc) if doc.get("type") == "Feature" else doc
        return out
    if kind == "transport_links":
        from parklink.store.io import read_frame

        nodes = read_frame(session, "transport_nodes")
        where = {str(n): [float(x), float(y)] for n, x, y in
                 zip(nodes["node_id"], nodes["lon"], nodes["lat"], strict=True)}
        links = read_frame(session, "transport_links")
        return {str(lid): {"type": "LineString", "coordinates": [where[str(a)], where[str(b)]]}
                for lid, a, b in zip(links["link_id"], links["from_node"], links["to_node"],
                                     strict=True)
                if str(a) in where and str(b) in where}
    return None


def export_file(
    kind: str,
    path: Path | str,
    *,
    session_url: str | None = None,
    firm_root: Path | None = None,
) -> int:
    """Write every stored row of ``kind`` to ``path`` (format by extension); return the count.

    .csv is UTF-8 with a byte-order mark (Excel opens Chinese correctly), .xlsx one sheet
    named after the kind, .parquet typed columns, .geojson for kinds with geometry (points,
    region polygons when stored, else seat points; link lines from node coordinates).
    Transactions are streamed from the firm dataset's Parquet parts.
    """
    schema = _schema(kind)
    path = Path(path)
    file_format(path)
    if kind == TRANSACTIONS.kind:
        dataset = FirmDataset(Path(firm_root)) if firm_root else FirmDataset.default()
        return _export_transactions(dataset, path)
    from parklink.store import session_scope
    from parklink.store.io import read_frame

    _require_db(session_url)
    with session_scope(session_url) as session:
        frame = read_frame(session, kind)
        geoms = _geometries(session, kind) if path.suffix.lower() in (".geojson", ".json") \
            else None
    write_frame_file(frame, schema, path, geometries=geoms)
    return len(frame)


def _export_transactions(dataset: FirmDataset, path: Path) -> int:
    target = arrow_schema(TRANSACTIONS)
    parts = sorted(dataset.transactions_dir.glob("*.parquet"))
    fmt = file_format(path)
    if fmt == "geojson":
        raise ValidationError.single(path.name, "transactions have no geometry; export to .csv, "
                                     ".xlsx or .parquet (交易数据没有几何)")

    def batches() -> Iterable[pa.RecordBatch]:
        for p in parts:
            for b in pq.ParquetFile(p).iter_batches(batch_size=250_000,
                                                    columns=list(target.names)):
                yield pa.Table.from_batches([b]).cast(target).to_batches()[0] \
                    if b.num_rows else pa.RecordBatch.from_pylist([], schema=target)

    count = 0
    if fmt == "csv":
        with path.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            with pacsv.CSVWriter(fh, target) as writer:
                for b in batches():
                    writer.write_batch(neutralise_batch(b))
                    count += b.num_rows
        return count
    if fmt == "parquet":
        with pq.ParquetWriter(path, target) as pw:
            for b in batches():
                pw.write_batch(b)
                count += b.num_rows
        return count
    frames = [b.to_pandas() for b in batches()]
    frame = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame({n: [] for n in target.names})
    write_frame_file(frame, TRANSACTIONS, path)
    return len(frame)


def write_problems(problems: Iterable[Problem], path: Path | str) -> int:
    """Write problems as CSV (UTF-8 with BOM): file, row, column, value, reason; return count."""
    n = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row", "column", "value", "reason"])
        for p in problems:
            writer.writerow([p.file, "" if p.row is None else p.row, p.column or "",
                             "" if p.value is None else p.value, p.reason])
            n += 1
    return n

