"""A server process (not the tests) keeps its start-up objects out of the cyclic collector's
scans and runs a full collection 10x less often: checked in a child process, since a freeze
would last for the rest of the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import gc, json, sys
from fastapi.testclient import TestClient
from parklink.store.db import upgrade
from parklink.web.app import SERVER_GC_THRESHOLDS, create_app, freeze_startup_objects
url = sys.argv[1]
upgrade(url)
app = create_app(url)
freeze_startup_objects()
after_build = gc.get_freeze_count()
with TestClient(app) as client:  # runs the lifespan (start-up)
    after_start = gc.get_freeze_count()
    status = client.get("/api/health").status_code
print(json.dumps({"threshold": list(gc.get_threshold()), "server": list(SERVER_GC_THRESHOLDS),
                  "after_build": after_build, "after_start": after_start, "status": status}))
"""


@pytest.mark.parametrize("freeze", ["1", "0"])
def test_server_gc_freeze_and_thresholds(tmp_path: Path, freeze: str) -> None:
    env = {**os.environ, "PARKLINK_WEB_GC_FREEZE": freeze, "PARKLINK_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'gc.sqlite'}"], env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["status"] == 200
    if freeze == "1":
        assert got["threshold"] == got["server"] and got["server"][2] == 100
        assert got["after_build"] > 100_000  # the imports
        assert got["after_start"] > got["after_build"]  # and the state built at start-up
    else:
        assert got["threshold"] == [700, 10, 10] and got["after_start"] == got["after_build"] == 0
