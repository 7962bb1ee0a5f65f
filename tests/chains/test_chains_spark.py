"""DuckDB and Spark (local[2]) give identical diagnoses on the same Parquet dataset."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from parklink.chains.data import ChainData
from parklink.chains.diagnosis import diagnose
from parklink.chains.scope import circle_scope, resolve_scope

from .conftest import scope_frames, template_frame, write_dataset, write_keyed_dataset

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,  # ~2 min on 2 cores: run with `pytest -m spark tests/chains`
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark is not installed (pip install 'parklink[spark]')"),
]


@pytest.fixture(scope="module")
def spark_con() -> Iterator[Any]:
    import ibis
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("parklink-test")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    for c in f.columns:
        if f[c].dtype == object or str(f[c].dtype).startswith(("string", "str")):
            f[c] = f[c].astype(object).where(f[c].notna(), None)
        elif f[c].dtype.kind in "iub":
            f[c] = f[c].astype("float64")
    keys = [c for c in f.columns if f[c].dtype == object]
    return f.sort_values(keys + [c for c in f.columns if c not in keys]).reset_index(drop=True)


@pytest.mark.parametrize("keyed", [False, True], ids=["string-ids", "integer-keys"])
def test_duckdb_and_spark_agree(tmp_path: Path, spark_con: Any, keyed: bool) -> None:
    """Spark on the dataset (string-id joins, or integer firm keys) equals DuckDB on the
    unkeyed copy."""
    ds = (write_keyed_dataset if keyed else write_dataset)(tmp_path / "firms")
    plain = write_dataset(tmp_path / "plain") if keyed else ds
    frames = scope_frames()
    scopes = [resolve_scope(s, frames) for s in ("park:p1", "designation:d1", "SC")]
    scopes.append(circle_scope())
    assert ds.keyed() is keyed
    duck = diagnose(ChainData.from_dataset(plain, template=template_frame(),
                                           con=__import__("ibis").duckdb.connect()), scopes)
    spark = diagnose(ChainData.from_dataset(ds, template=template_frame(), con=spark_con), scopes)
    assert spark.engine == "pyspark"
    assert duck.year == spark.year
    for name, a in duck.tables().items():
        b = spark.tables()[name]
        assert list(a.columns) == list(b.columns), name
        pd.testing.assert_frame_equal(_norm(a), _norm(b), check_dtype=False, rtol=1e-9,
                                      obj=name)
