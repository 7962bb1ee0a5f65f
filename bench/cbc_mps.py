"""CBC (the binary bundled with PuLP) on an MPS file: the baseline solver of the MILP benches.

``solve_mps(path, time_limit)`` runs CBC to optimality (ratio gap 0, maximisation) and
returns its status, objective, wall time and the child process's CPU time.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pulp


@dataclass(frozen=True)
class CbcRun:
    """What CBC reported on one model."""

    status: str
    objective: float
    wall_s: float
    cpu_s: float


def solve_mps(path: Path, time_limit: float) -> CbcRun:
    """Solve the (maximisation) model in ``path`` with PuLP's bundled CBC, gap 0."""
    cbc = pulp.apis.PULP_CBC_CMD().path
    t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [cbc, str(path), "-sec", str(time_limit), "-ratioGap", "0", "-max", "-solve", "-quit"],
        capture_output=True, text=True, check=False, env={**os.environ},
    ).stdout
    wall = time.perf_counter() - t1
    r2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"Objective value:\s+(-?[\d.eE+-]+)", out)
    return CbcRun(
        status="optimal" if "Optimal solution found" in out else "not proven optimal",
        objective=float(m.group(1)) if m else float("nan"),
        wall_s=wall,
        cpu_s=(r2.ru_utime + r2.ru_stime) - (r1.ru_utime + r1.ru_stime),
    )
