"""Writing a whole synthetic dataset (:func:`write_dataset`) with its report.

Part of :mod:`parklink.datasets.synthetic` (the model is described there)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parklink.datasets.synthetic.calibration import _Calibrator
from parklink.datasets.synthetic.common import (
    DEFAULT_PARAMS,
    FloatArray,
    IntArray,
    SyntheticParams,
    _bad,
    _check_common,
)
from parklink.datasets.synthetic.firms import generate_firms
from parklink.datasets.synthetic.transactions import _build_plan, _iter_blocks, _rechunk, _to_table
from parklink.errors import ParklinkError, ValidationError
from parklink.firmdata import BUYER_KEY, SUPPLIER_KEY, key_firms, with_keys_metadata


@dataclass(frozen=True)
class GenerationReport:
    """What :func:`write_dataset` produced: counts, timings, memory and calibration."""

    root: Path
    seed: int
    years: tuple[int, ...]
    n_firms: int
    n_leaders: int
    n_transactions: int
    n_parts: int
    bytes_written: int
    seconds: float
    seconds_firms: float
    seconds_transactions: float
    peak_rss_bytes: int
    params: SyntheticParams = field(compare=False, repr=False)
    calibration: pd.DataFrame = field(compare=False, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: ``metric, name_zh, name_en, value``."""
        items = [
            ("root", "输出目录", "output directory", str(self.root)),
            ("seed", "随机种子", "seed", self.seed),
            ("years", "年份", "years", ",".join(map(str, self.years))),
            ("n_firms", "企业数", "firms", self.n_firms),
            ("n_leaders", "链主数", "leading enterprises", self.n_leaders),
            ("n_transactions", "交易数", "transactions", self.n_transactions),
            ("n_parts", "Parquet 分片数", "Parquet parts", self.n_parts),
            ("bytes_written", "写入字节", "bytes written", self.bytes_written),
            ("seconds", "总耗时(秒)", "total seconds", round(self.seconds, 3)),
            ("seconds_firms", "企业生成耗时(秒)", "firms seconds", round(self.seconds_firms, 3)),
            ("seconds_transactions", "交易生成耗时(秒)", "transactions seconds",
             round(self.seconds_transactions, 3)),
            ("peak_rss_bytes", "峰值内存(字节)", "peak RSS bytes", self.peak_rss_bytes),
        ]
        return pd.DataFrame(items, columns=["metric", "name_zh", "name_en", "value"])

    def explain(self) -> dict[str, pd.DataFrame]:
        """Intermediate tables: the summary, the calibration and the parameters used."""
        params = pd.DataFrame(
            [(k, repr(v)) for k, v in asdict(self.params).items()], columns=["parameter", "value"]
        )
        return {"summary": self.to_frame(), "calibration": self.calibration, "params": params}


def _embedded(kind: str) -> pd.DataFrame:
    import importlib

    module = importlib.import_module("parklink.datasets.chengyu")
    frame = module.load(kind)
    if not isinstance(frame, pd.DataFrame):
        raise ParklinkError(f"embedded dataset returned no table for {kind!r}")
    return frame


def _optional_embedded(kind: str) -> pd.DataFrame | None:
    try:
        return _embedded(kind)
    except (ParklinkError, FileNotFoundError, ImportError, AttributeError):
        return None


def _peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def write_dataset(
    root: Path,
    *,
    n_firms: int,
    n_transactions: int,
    seed: int,
    years: Sequence[int] = (2021, 2022, 2023),
    progress: bool = True,
    chunk_rows: int = 2_000_000,
    regions: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    leaders: pd.DataFrame | None = None,
    params: SyntheticParams = DEFAULT_PARAMS,
    overwrite: bool = False,
) -> GenerationReport:
    """Generate and write a synthetic firm-level dataset under ``root`` (all or nothing).

    Writes ``root/firms.parquet`` (``tables.ENTERPRISES``) and
    ``root/transactions/part-00000.parquet …`` (``tables.TRANSACTIONS``, ``chunk_rows`` rows
    per part) into a temporary sibling directory renamed into place at the end; on any
    error nothing is left behind. Frames not given come from the embedded dataset
    (``parklink.datasets.chengyu``: regions, chain_segments, parks, leading enterprises).
    Returns a :class:`GenerationReport` with timings, peak RSS (``getrusage``) and the
    :func:`calibration` statistics measured while streaming. The files carry integer firm
    keys (firms sorted by id, ``firm_key``; ``supplier_key``/``buyer_key`` in every part;
    see :mod:`parklink.firmdata`).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    root = Path(root)
    embedded = regions is None and segments is None and parks is None and leaders is None
    if root.exists() and any(root.iterdir()) and not overwrite:
        raise ValidationError.single(str(root), "output directory exists and is not empty "
                                     "(输出目录非空); choose another or allow overwrite")
    regions = _embedded("regions") if regions is None else regions
    segments = _embedded("chain_segments") if segments is None else segments
    parks = _optional_embedded("parks") if parks is None else parks
    if leaders is None:
        ent = _optional_embedded("enterprises")
        leaders = ent[ent["leading"].fillna(False).astype(bool)] if ent is not None and "leading" in ent else None
    years = tuple(int(y) for y in years)
    t0 = time.perf_counter()
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        firms = generate_firms(regions, segments, n_firms=n_firms, seed=seed, parks=parks,
                               leaders=leaders, params=params)
        keyed_firms, key_of, fingerprint = key_firms(firms)
        pq.write_table(with_keys_metadata(pa.Table.from_pandas(keyed_firms, preserve_index=False),
                                          fingerprint), tmp / "firms.parquet")
        t1 = time.perf_counter()
        _check_common(n_transactions, "n_transactions", seed)
        if chunk_rows < 1:
            raise _bad("arguments", "chunk_rows must be at least 1", column="chunk_rows", value=chunk_rows)
        plan = _build_plan(firms, segments, n_transactions=n_transactions, years=years, seed=seed,
                           params=params)
        cal = _Calibrator(firms, len(years), params)
        (tmp / "transactions").mkdir()
        expected = int(plan.m.sum())
        n_rows = 0
        n_parts = 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, disable=not progress, transient=False) as bar:
            task = bar.add_task("交易 transactions", total=expected)

            def observed() -> Iterator[tuple[IntArray, IntArray, IntArray, FloatArray]]:
                for blk in _iter_blocks(plan, seed):
                    cal.add(*blk)
                    bar.advance(task, int(blk[0].size))
                    yield blk

            for s, b, t, v in _rechunk(observed(), chunk_rows):
                pq.write_table(with_keys_metadata(_to_table(plan, s, b, t, v, key_of), fingerprint),
                               tmp / "transactions" / f"part-{n_parts:05d}.parquet")
                n_parts += 1
                n_rows += int(s.size)
            bar.update(task, completed=expected)
        if n_parts == 0:
            empty = pa.table({c: pa.array([], type=ty) for c, ty in (
                ("supplier_id", pa.string()), ("buyer_id", pa.string()), ("year", pa.int64()),
                ("value_kcny", pa.float64()), (SUPPLIER_KEY, pa.int32()), (BUYER_KEY, pa.int32()))})
            pq.write_table(with_keys_metadata(empty, fingerprint),
                           tmp / "transactions" / "part-00000.parquet")
            n_parts = 1
        from parklink.datasets.synthetic.oracle import GENERATION_FILE, generation_record

        record = generation_record(seed=seed, n_firms=n_firms, n_transactions=n_transactions,
                                   years=years, params=params, embedded=embedded)
        (tmp / GENERATION_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
        t2 = time.perf_counter()
        written = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
        if root.exists():
            old = root.with_name(f".{root.name}.old-{os.getpid()}")
            root.rename(old)
            tmp.rename(root)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return GenerationReport(
        root=root, seed=int(seed), years=years, n_firms=len(firms),
        n_leaders=int(firms["leading"].sum()), n_transactions=n_rows, n_parts=n_parts,
        bytes_written=written, seconds=t2 - t0, seconds_firms=t1 - t0, seconds_transactions=t2 - t1,
        peak_rss_bytes=_peak_rss_bytes(), params=params, calibration=cal.result(),
    )
