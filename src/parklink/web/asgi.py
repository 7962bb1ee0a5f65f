"""ASGI entry point for multi-process servers: ``uvicorn parklink.web.asgi:app --workers N``.

The database URL comes from ``PARKLINK_WEB_DATABASE_URL`` (set by ``parklink serve
--workers N``), else the configured one. Each worker warms itself at start-up
(:mod:`parklink.web.warmup`).
"""

from __future__ import annotations

import os

from parklink.web.app import create_app, freeze_startup_objects

app = create_app(os.environ.get("PARKLINK_WEB_DATABASE_URL") or None, warm=True)
freeze_startup_objects()  # each worker process: its imports are never scanned by the cyclic GC
