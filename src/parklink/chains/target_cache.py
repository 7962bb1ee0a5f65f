"""Cache of the learned investment-target model (招商目标排序模型缓存).

Fitting the ranker of :mod:`parklink.chains.target_model` reads two years of transactions,
builds every candidate of every (scope, segment) query and fits a logistic regression —
about 10 s at circle scope on the default data. The fit is a pure function of

* the firm and transaction data (:meth:`parklink.chains.data.ChainData.data_version`: the
  Parquet dataset's fingerprint — file names, sizes, modification times — or a digest of
  in-memory frames),
* the scopes (every field of each :class:`~parklink.chains.scope.Scope`),
* the year and the seed,
* the code that computes it (a digest of the source of the modules below),

so :func:`target_model` keys the fitted model by all of them. Two levels:

1. **in process** — a bounded LRU (:data:`MEMORY_SIZE` entries, thread-safe);
2. **on disk** for Parquet datasets — the fitted coefficients as JSON (no pickle) under
   ``<data_dir>/cache/target_model/<key>.json`` (at most :data:`DISK_SIZE` files, the oldest
   removed). Publishing new firm data (import, ``generate``, ``db init``, restore) changes
   the dataset fingerprint and hence the key: the next diagnosis refits. "No fit possible"
   (too few new links) is cached too.

Data without a known fingerprint (e.g. ``dataclasses.replace(data, transactions=...)``) is
fitted every time, as without the cache. JSON keeps every float exactly (``repr``
round-trip), so a cached model scores exactly as the freshly fitted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from parklink.chains.scope import Scope
from parklink.chains.target_model import TargetModel, fit_target_model
from parklink.rankeval.learn import LogisticRanker

#: Entries of the in-process cache.
MEMORY_SIZE = 16
#: Files kept in the on-disk cache directory.
DISK_SIZE = 64
#: Format of the JSON files (bump to ignore older files).
FORMAT = 1
#: Modules whose source determines the fitted model (their digest is part of the key).
_CODE_MODULES = ("parklink.chains.target_model", "parklink.chains.eval_features",
                 "parklink.rankeval.learn", "parklink.chains.scope",
                 "parklink.datasets.synthetic.common")

Source = Literal["fitted", "memory", "disk", "uncached"]

_lock = threading.Lock()
_memory: OrderedDict[str, TargetModel | None] = OrderedDict()
_code: str | None = None


def _code_digest() -> str:
    global _code
    if _code is None:
        import importlib

        digest = hashlib.sha256()
        for name in _CODE_MODULES:
            path = getattr(importlib.import_module(name), "__file__", None)
            digest.update(name.encode())
            if path:
                digest.update(Path(path).read_bytes())
        _code = digest.hexdigest()[:16]
    return _code


def _scope_record(s: Scope) -> dict[str, Any]:
    return {"scope_id": s.scope_id, "kind": s.kind, "name_zh": s.name_zh, "name_en": s.name_en,
            "provinces": sorted(s.provinces), "adcodes": sorted(s.adcodes),
            "park_ids": sorted(s.park_ids), "home_province": s.home_province,
            "lon": None if s.lon is None else repr(float(s.lon)),
            "lat": None if s.lat is None else repr(float(s.lat))}


def cache_key(data_version: str, scopes: Sequence[Scope], year: int, seed: int) -> str:
    """The cache key (SHA-256, 32 hex digits) of a fit: data fingerprint, scopes (in order),
    year, seed, code digest and file format."""
    text = json.dumps({"data": data_version, "scopes": [_scope_record(s) for s in scopes],
                       "year": int(year), "seed": int(seed), "code": _code_digest(),
                       "format": FORMAT}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_dir() -> Path:
    """``<data_dir>/cache/target_model`` (settings of the running process)."""
    from parklink.settings import get_settings

    return get_settings().data_dir / "cache" / "target_model"


def model_to_json(model: TargetModel | None) -> dict[str, Any]:
    """JSON-ready form of a fitted model (None: no fit possible)."""
    if model is None:
        return {"format": FORMAT, "model": None}
    return {"format": FORMAT, "model": {"ranker": asdict(model.ranker), "fitted_year": model.fitted_year,
                                        "n_queries": model.n_queries}}


def model_from_json(obj: dict[str, Any]) -> TargetModel | None:
    """Inverse of :func:`model_to_json` (raises KeyError/TypeError/ValueError on a bad file)."""
    if obj.get("format") != FORMAT:
        raise ValueError("unknown cache format")
    m = obj["model"]
    if m is None:
        return None
    r = m["ranker"]
    ranker = LogisticRanker(
        features=tuple(str(x) for x in r["features"]), mean=tuple(float(x) for x in r["mean"]),
        scale=tuple(float(x) for x in r["scale"]), coef=tuple(float(x) for x in r["coef"]),
        intercept=float(r["intercept"]), C=float(r["C"]), n_train=int(r["n_train"]),
        n_positive=int(r["n_positive"]), version=str(r["version"]), objective=str(r["objective"]))
    if not (len(ranker.features) == len(ranker.mean) == len(ranker.scale) == len(ranker.coef)):
        raise ValueError("inconsistent model file")
    return TargetModel(ranker=ranker, fitted_year=int(m["fitted_year"]), n_queries=int(m["n_queries"]))


def _read_disk(path: Path) -> tuple[bool, TargetModel | None]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        return True, model_from_json(obj)
    except FileNotFoundError:
        return False, None
    except (OSError, ValueError, KeyError, TypeError):  # unreadable or stale file: refit
        return False, None


def _write_disk(path: Path, model: TargetModel | None, key_text: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({**model_to_json(model), "key": key_text}, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, path)
        files = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in files[:-DISK_SIZE]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only data dir only costs the refit next time
        return


def _remember(key: str, model: TargetModel | None) -> None:
    with _lock:
        _memory[key] = model
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_SIZE:
            _memory.popitem(last=False)


def clear_memory() -> None:
    """Empty the in-process cache (tests; the disk cache stays)."""
    with _lock:
        _memory.clear()


def target_model(data: Any, scopes: Sequence[Scope], year: int, *, seed: int = 0,
                 persist: bool = True) -> tuple[TargetModel | None, Source]:
    """The model :func:`~parklink.chains.target_model.fit_target_model` fits on ``data``
    (a :class:`~parklink.chains.data.ChainData`), from the cache when the same data,
    scopes, year, seed and code were fitted before, and where it came from
    (``fitted``, ``memory``, ``disk``, or ``uncached`` when the data has no fingerprint).
    ``persist=False`` skips the disk level."""
    version = data.data_version()
    if version is None:
        return fit_target_model(data, scopes, year, seed=seed), "uncached"
    key = cache_key(version, scopes, year, seed)
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key], "memory"
    on_disk = persist and bool(data.persistent)
    path = cache_dir() / f"{key}.json"
    if on_disk:
        found, model = _read_disk(path)
        if found:
            _remember(key, model)
            return model, "disk"
    model = fit_target_model(data, scopes, year, seed=seed)
    _remember(key, model)
    if on_disk:
        _write_disk(path, model, {"data": version, "scopes": [s.scope_id for s in scopes],
                                  "year": int(year), "seed": int(seed), "code": _code_digest()})
    return model, "fitted"
