"""The report layer does not depend on the web layer: importing every module of
``parklink.report`` loads no ``parklink.web`` module, and no report module imports one
(also not inside a function)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import parklink.report

REPORT_DIR = Path(parklink.report.__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_report_module_imports_web() -> None:
    bad = {p.name: [n for n in _imports(p) if n == "parklink.web" or n.startswith("parklink.web.")]
           for p in sorted(REPORT_DIR.glob("*.py"))}
    assert {k: v for k, v in bad.items() if v} == {}


def test_importing_report_loads_no_web_module() -> None:
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import parklink.report as r\n"
        "for m in pkgutil.iter_modules(r.__path__):\n"
        "    importlib.import_module(f'parklink.report.{m.name}')\n"
        "from parklink.promotion.visibility import PUBLIC, project_for\n"
        "project_for(PUBLIC, {'project_id': 'x', 'stage': 'signed'})\n"
        "print(json.dumps(sorted(k for k in sys.modules if k.startswith('parklink.'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         timeout=300)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "parklink.report.projects" in loaded and "parklink.report.bulletin" in loaded
    assert [m for m in loaded if m == "parklink.web" or m.startswith("parklink.web.")] == []
