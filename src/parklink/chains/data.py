"""The inputs of the chain engine: firms and transactions as Ibis tables, plus a chain template.

The same :class:`ChainData` runs on DuckDB (default) and on Spark: it holds Ibis table
expressions and the backend they belong to; every heavy step of the diagnosis is an Ibis
expression over them.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.errors import NotFoundError, ValidationError
from parklink.firmdata import FirmDataset, connect, firm_tables
from parklink.settings import Settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

FIRM_COLUMNS = ("enterprise_id", "province", "adcode", "park_id", "lon", "lat", "chain",
                "segments", "output_cny_m", "leading")
TRANSACTION_COLUMNS = ("supplier_id", "buyer_id", "year", "value_kcny")
TEMPLATE_COLUMNS = ("segment_id", "chain", "name_zh", "name_en", "level", "weight")


def load_template() -> pd.DataFrame:
    """The shipped chain templates (``datasets/chengyu/chain_segments.csv``)."""
    try:
        chengyu = importlib.import_module("parklink.datasets.chengyu")
    except ImportError as exc:
        raise NotFoundError("the embedded chain templates are not installed (链模板缺失)") from exc
    frame: pd.DataFrame = chengyu.load("chain_segments")
    return frame


def check_template(template: pd.DataFrame, *, file: str = "chain_segments") -> pd.DataFrame:
    """Validate and normalise a template frame (``tables.CHAIN_SEGMENTS`` columns)."""
    missing = [c for c in TEMPLATE_COLUMNS if c not in template.columns]
    if missing:
        raise ValidationError.single(file, f"missing columns {', '.join(missing)}")
    out = template.copy()
    if "inputs" not in out:
        out["inputs"] = ""
    out["inputs"] = out["inputs"].fillna("").astype(str)
    out["weight"] = pd.to_numeric(out["weight"], errors="coerce")
    bad = out["weight"].isna() | (out["weight"] < 0)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ValidationError.single(file, "weight must be a number >= 0", row=i + 2,
                                     column="weight", value=template["weight"].iloc[i])
    if out["segment_id"].duplicated().any():
        dup = out.loc[out["segment_id"].duplicated(), "segment_id"].iloc[0]
        raise ValidationError.single(file, "duplicate segment_id", column="segment_id",
                                     value=dup)
    return out.reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class ChainData:
    """Firms and transactions (Ibis tables on backend ``con``) and the chain template."""

    con: Any
    firms: ir.Table
    transactions: ir.Table
    template: pd.DataFrame
    synthetic: bool = False
    keyed: bool = False
    """The dataset carries valid integer firm keys (:meth:`FirmDataset.keyed`)."""
    version: str | None = None
    """Fingerprint of the firms and transactions these tables were opened on, for caches
    (:meth:`data_version`): ``dataset:<root>:<FirmDataset.version()>`` or
    ``frames:<content digest>``; None when unknown."""
    origin: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)
    """The (firms, transactions) tables ``version`` was computed for."""

    def data_version(self) -> str | None:
        """The data fingerprint when the tables are still the ones it was computed for, else
        None: a copy with other tables (``dataclasses.replace(data, transactions=...)``, e.g.
        the evaluation's data up to a year) has no known version, so nothing is cached for it."""
        if self.version is None or self.origin is None:
            return None
        if self.origin[0] is not self.firms or self.origin[1] is not self.transactions:
            return None
        return self.version

    @property
    def persistent(self) -> bool:
        """True when the data is a Parquet dataset on disk (its fingerprint survives the
        process, so results keyed by it may be stored under the data directory)."""
        v = self.data_version()
        return v is not None and v.startswith("dataset:")

    @property
    def engine(self) -> str:
        """Name of the backend (``duckdb`` or ``pyspark``)."""
        return str(getattr(self.con, "name", "duckdb"))

    @classmethod
    def from_dataset(
        cls,
        dataset: FirmDataset | None = None,
        *,
        settings: Settings | None = None,
        template: pd.DataFrame | None = None,
        con: Any = None,
    ) -> ChainData:
        """Open a Parquet firm dataset on the configured engine (DuckDB or Spark)."""
        ds = (dataset or FirmDataset.default(settings)).require()
        con = con if con is not None else connect(settings)
        version = f"dataset:{ds.root.resolve()}:{ds.version()}"
        firms, tx = firm_tables(con, ds)
        return cls._checked(con, firms, tx, template, keyed=ds.keyed(), version=version)

    @classmethod
    def from_frames(
        cls,
        firms: pd.DataFrame,
        transactions: pd.DataFrame,
        template: pd.DataFrame,
        *,
        con: Any = None,
    ) -> ChainData:
        """Wrap in-memory frames (``tables.ENTERPRISES`` / ``TRANSACTIONS`` columns) as Ibis tables."""
        import ibis

        con = con if con is not None else ibis.duckdb.connect()
        version = f"frames:{frames_digest(firms, transactions)}"
        return cls._checked(con, ibis.memtable(firms), ibis.memtable(transactions), template,
                            version=version)

    @classmethod
    def _checked(cls, con: Any, firms: ir.Table, tx: ir.Table,
                 template: pd.DataFrame | None, *, keyed: bool = False,
                 version: str | None = None) -> ChainData:
        for table, cols, name in ((firms, FIRM_COLUMNS, "firms"),
                                  (tx, TRANSACTION_COLUMNS, "transactions")):
            missing = [c for c in cols if c not in table.columns]
            if missing:
                raise ValidationError.single(name, f"missing columns {', '.join(missing)}")
        tpl = check_template(template if template is not None else load_template())
        synthetic = False
        if "synthetic" in firms.columns:
            synthetic = bool(con.execute(firms.synthetic.fill_null(False).any()))
        return cls(con, firms, tx, tpl, synthetic, keyed, version, (firms, tx))


def frames_digest(*frames: pd.DataFrame) -> str:
    """SHA-256 (16 hex digits) of the column names, dtypes and values of ``frames``
    (``pandas.util.hash_pandas_object`` per column, index ignored)."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(f"{len(frame)}|{list(map(str, frame.columns))}|{list(map(str, frame.dtypes))}\n"
                      .encode())
        for col in frame.columns:
            values = frame[col]
            try:
                hashed = pd.util.hash_pandas_object(values, index=False)
            except TypeError:  # unhashable cells (lists): hash their text
                hashed = pd.util.hash_pandas_object(values.astype(str), index=False)
            digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()[:16]
