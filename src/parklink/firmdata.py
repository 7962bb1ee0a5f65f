"""The firm-level dataset: firms and transactions as Parquet, read through Ibis.

Layout of a dataset root::

    ROOT/firms.parquet            one row per firm, columns of tables.ENTERPRISES
    ROOT/transactions/*.parquet   supplier -> buyer purchases, columns of tables.TRANSACTIONS

``ROOT/transactions`` is either a folder or, once a transactions import has published, a
symbolic link to the current generation ``ROOT/.transactions.gen/<id>/``: an import writes a
whole new generation (the parts kept, hard-linked, plus its own) and switches the link with
one atomic rename, so readers see the old set or the new set, never a part of it. Imports
serialise on :func:`publish_lock`.

Integer firm keys (optional, an index written with the data): ``firms.parquet`` may carry
``firm_key`` (int32, the row's position, firms sorted by ``enterprise_id``) and every
transactions part ``supplier_key`` / ``buyer_key`` (the firm_key of each side, null when
that firm is not in ``firms.parquet``). Each file's Parquet key-value metadata holds
``parklink.firm_keys``, a fingerprint of the firm ids in key order; the keys are used only
when the firms file and every part carry the same fingerprint (:meth:`FirmDataset.keyed`),
so replacing ``firms.parquet`` can never pair transactions with the wrong firms. Writers:
``parklink generate`` / ``db init`` and the transactions import. Without valid keys the
chain engine joins on the string ids (same results, slower).

The same Ibis expressions run on DuckDB (default, embedded, no extensions fetched) and
on Spark (``PARKLINK_ENGINE=spark``, master ``PARKLINK_SPARK_MASTER``, default ``local[2]``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parklink.errors import ConfigError, NotFoundError
from parklink.settings import Settings, get_settings

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

FIRM_KEY = "firm_key"
SUPPLIER_KEY = "supplier_key"
BUYER_KEY = "buyer_key"
KEYS_META = b"parklink.firm_keys"
"""Parquet metadata entry holding the firm-key fingerprint (see module docstring)."""


def keys_fingerprint(sorted_ids: pa.Array | pa.ChunkedArray) -> str:
    """Fingerprint of the firm ids in key order: SHA-256 of the count, the UTF-8 lengths and
    the bytes of the ids (independent of how the array is chunked or sliced in memory)."""
    import numpy as np
    import pyarrow as pa

    arr = sorted_ids.combine_chunks() if isinstance(sorted_ids, pa.ChunkedArray) else sorted_ids
    arr = arr.cast(pa.large_string())
    n = len(arr)
    digest = hashlib.sha256(n.to_bytes(8, "little"))
    _, offsets_buf, data_buf = arr.buffers()
    if n and offsets_buf is not None:
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset:arr.offset + n + 1]
        start, end = int(offsets[0]), int(offsets[-1])
        digest.update((offsets - start).astype("<i8").tobytes())
        if data_buf is not None:
            digest.update(memoryview(data_buf)[start:end])
    return "sha256:" + digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FirmKeys:
    """The firm ids of a keyed ``firms.parquet`` in key order, and their fingerprint."""

    ids: pa.Array
    fingerprint: str

    def lookup(self, ids: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The int32 key of each id (null when the id is not a keyed firm)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.index_in(ids, value_set=self.ids).cast(pa.int32())



def key_firms(firms: pd.DataFrame) -> tuple[pd.DataFrame, npt.NDArray[np.int32], str]:
    """Key a firms frame: the frame sorted by ``enterprise_id`` with ``firm_key`` = row (int32),
    the key of each row of ``firms`` in its given order, and the key fingerprint.

    Raises ValueError on duplicate or missing ids (they cannot be keyed).
    """
    import numpy as np
    import pyarrow as pa

    ids = firms["enterprise_id"].astype("string")
    if ids.isna().any() or ids.duplicated().any():
        raise ValueError("firm ids must be unique and not null to be keyed")
    values = ids.to_numpy(dtype=object)
    order = np.argsort(values, kind="stable")
    key_of = np.empty(len(values), dtype=np.int32)
    key_of[order] = np.arange(len(values), dtype=np.int32)
    out = firms.iloc[order].reset_index(drop=True)
    out[FIRM_KEY] = np.arange(len(out), dtype=np.int32)
    return out, key_of, keys_fingerprint(pa.array(values[order], type=pa.string()))


def with_keys_metadata(table: pa.Table, fingerprint: str) -> pa.Table:
    """``table`` with the firm-key fingerprint added to its schema metadata."""
    meta = dict(table.schema.metadata or {})
    meta[KEYS_META] = fingerprint.encode()
    return table.replace_schema_metadata(meta)


@contextmanager
def publish_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive publish lock of the firm dataset whose root is ``folder``.

    An advisory ``flock`` on the folder itself (no lock file is written, so a rejected import
    leaves the folder byte for byte as it was); released when the block ends or the process
    dies. Transactions imports hold it from their duplicate check against the published
    parts until their parts are published; a restore holds it while swapping the folder.
    Blocks until the lock is free. On systems without ``fcntl`` it is a no-op.

    A restore swaps the folder by renaming while it holds the lock, so a writer that was
    waiting would wake holding the lock of the folder that was moved away. After taking the
    lock the descriptor's inode is therefore compared with what ``folder`` names now; on a
    mismatch the lock is dropped and taken again on the current folder (the classic
    lock-then-verify loop), so the lock held is always the lock of the live folder.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        folder.mkdir(parents=True, exist_ok=True)
        yield
        return
    while True:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                live = os.stat(folder)
            except FileNotFoundError:
                live = None
        except BaseException:
            os.close(fd)
            raise
        if live is not None and (held.st_dev, held.st_ino) == (live.st_dev, live.st_ino):
            break
        os.close(fd)  # the folder was swapped while we waited: lock the live one
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _fingerprint_of(path: Path, *key_columns: str) -> str | None:
    """The key fingerprint in the footer of ``path`` when it also has ``key_columns``."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    value = (schema.metadata or {}).get(KEYS_META)
    if not value or any(c not in schema.names for c in key_columns):
        return None
    return bytes(value).decode()


@dataclass(frozen=True, slots=True)
class FirmDataset:
    """Paths of one firm-level dataset (firms + transactions Parquet)."""

    root: Path

    @property
    def firms_path(self) -> Path:
        """Parquet file of firms (``tables.ENTERPRISES`` columns)."""
        return self.root / "firms.parquet"

    @property
    def transactions_dir(self) -> Path:
        """Directory of Parquet parts of transactions (``tables.TRANSACTIONS`` columns)."""
        return self.root / "transactions"

    @property
    def transactions_glob(self) -> str:
        """Glob matching every transactions part, in the current generation: the link
        ``transactions`` is resolved once, so a reader sees one published set even if an
        import publishes the next generation meanwhile (``ingest.transactions``)."""
        return str(self.transactions_dir.resolve() / "*.parquet")

    def exists(self) -> bool:
        """True when both the firms file and at least one transactions part exist."""
        return self.firms_path.is_file() and any(self.transactions_dir.glob("*.parquet"))

    def require(self) -> FirmDataset:
        """Return self, or raise NotFoundError saying how to create the dataset."""
        if not self.exists():
            raise NotFoundError(
                f"no firm-level dataset at {self.root} (企业数据不存在); "
                "run 'parklink db init' or 'parklink generate --out DIR'"
            )
        return self

    def version(self) -> str:
        """A fingerprint of the dataset's files (names, sizes, modification times), for cache keys.

        Publishing new Parquet files (import, generate, restore) replaces or adds files, so
        the fingerprint changes; ``"absent"`` when the dataset does not exist.
        """
        if not self.exists():
            return "absent"
        files = [self.firms_path, *sorted(self.transactions_dir.glob("*.parquet"))]
        digest = hashlib.sha256()
        for path in files:
            st = path.stat()
            digest.update(f"{path.relative_to(self.root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def firm_keys(self) -> FirmKeys | None:
        """The keys of ``firms.parquet`` when it is keyed (sorted ids, ``firm_key`` = row)."""
        import pyarrow.parquet as pq

        fp = _fingerprint_of(self.firms_path, FIRM_KEY) if self.firms_path.is_file() else None
        if fp is None:
            return None
        ids = pq.read_table(self.firms_path, columns=["enterprise_id"]).column(0)
        return FirmKeys(ids.combine_chunks().cast("string"), fp)

    def keyed(self) -> bool:
        """True when the firms file and every transactions part carry the same key fingerprint
        (reads Parquet footers only)."""
        if not self.exists():
            return False
        fp = _fingerprint_of(self.firms_path, FIRM_KEY)
        return fp is not None and all(
            _fingerprint_of(part, SUPPLIER_KEY, BUYER_KEY) == fp
            for part in self.transactions_dir.glob("*.parquet"))

    @classmethod
    def default(cls, settings: Settings | None = None) -> FirmDataset:
        """The dataset under the configured data directory."""
        return cls((settings or get_settings()).firm_dir)


def connect(settings: Settings | None = None) -> Any:
    """An Ibis backend for firm-level analytics: DuckDB in-process, or Spark when configured.

    DuckDB is given no extensions beyond its built-ins (parquet), so it works offline.
    For Spark a local session is created (or reused) with ``spark_master``.
    """
    settings = settings or get_settings()
    import ibis

    if settings.engine == "duckdb":
        # results are sorted explicitly wherever order matters; not preserving insertion
        # order lets DuckDB materialise and aggregate large tables in parallel with less memory
        return ibis.duckdb.connect(preserve_insertion_order=False)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ConfigError(
            "PARKLINK_ENGINE=spark needs the 'spark' extra: pip install 'parklink[spark]'"
        ) from exc
    session = (
        SparkSession.builder.master(settings.spark_master)
        .appName("parklink")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def firm_tables(con: Any, dataset: FirmDataset) -> tuple[ir.Table, ir.Table]:
    """The (firms, transactions) Ibis tables of ``dataset`` on backend ``con``."""
    dataset.require()
    firms = con.read_parquet(str(dataset.firms_path), table_name="firms")
    name = con.name if hasattr(con, "name") else "duckdb"
    source = dataset.transactions_glob if name == "duckdb" else str(dataset.transactions_dir.resolve())
    # parts written before and after keys existed may differ in columns: match them by name
    kwargs = {"union_by_name": True} if name == "duckdb" else {}
    transactions = con.read_parquet(source, table_name="transactions", **kwargs)
    return firms, transactions
