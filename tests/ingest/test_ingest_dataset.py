"""The embedded dataset's files pass the import validation (with the region boundaries)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from parklink.datasets import chengyu
from parklink.ingest import ProvinceArea, default_area, validate_file


def test_default_area_uses_the_shipped_boundaries() -> None:
    area = default_area()
    assert area.source == "boundaries"
    # Chengdu Tianfu Square, Chongqing Jiefangbei inside; Xi'an, Kunming, Lhasa outside.
    mask = area.outside([104.066, 106.577, 108.94, 102.83, 91.13], [30.657, 29.557, 34.34, 24.88, 29.65])
    assert mask.tolist() == [False, False, True, True, True]


def test_box_fallback() -> None:
    box = ProvinceArea()
    assert box.outside([104.0, 120.0], [30.0, 30.0]).tolist() == [False, True]


@pytest.mark.parametrize("kind", chengyu.available_kinds())
def test_shipped_file_passes_validation(kind: str, tmp_path: Path) -> None:
    shipped = files("parklink.datasets.chengyu") / f"{kind}.csv"
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(shipped.read_bytes())
    checked = validate_file(kind, path)  # references across kinds need a store: not checked here
    assert len(checked.frame) == len(chengyu.load(kind))


def test_shipped_files_import_into_an_empty_registry(tmp_path: Path, empty_url: str) -> None:
    """Every shipped CSV goes through import_file (foreign keys checked against the registry
    as it fills up, in the store's load order) and lands with its row count."""
    from parklink.ingest import import_file
    from parklink.store.io import LOAD_ORDER

    for kind in LOAD_ORDER:
        if kind not in chengyu.available_kinds():
            continue
        path = tmp_path / f"{kind}.csv"
        path.write_bytes((files("parklink.datasets.chengyu") / f"{kind}.csv").read_bytes())
        assert import_file(kind, path, session_url=empty_url).rows == len(chengyu.load(kind))
