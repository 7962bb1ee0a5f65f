"""The firm-level dataset: firms and transactions as Parquet, read through Ibis.

Layout of a dataset root::

    ROOT/firms.parquet            one row per firm, columns of tables.ENTERPRISES
    ROOT/transactions/*.parquet   supplier -> buyer purchases, columns of tables.TRANSACTIONS

The same Ibis expressions run on DuckDB (default, embedded, no extensions fetched) and
on Spark (``PARKLINK_ENGINE=spark``, master ``PARKLINK_SPARK_MASTER``, default ``local[2]``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parklink.errors import ConfigError, NotFoundError
from parklink.settings import Settings, get_settings

if TYPE_CHECKING:
    import ibis.expr.types as ir


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
        """Glob matching every transactions part."""
        return str(self.transactions_dir / "*.parquet")

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
    source = dataset.transactions_glob if name == "duckdb" else str(dataset.transactions_dir)
    transactions = con.read_parquet(source, table_name="transactions")
    return firms, transactions
