"""The pages' per-version memo (:func:`parklink.web.pages._memo`) computes a value once per
version, even when many requests miss it at the same moment (single flight)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from parklink.testing import run_together


def _request() -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(web=SimpleNamespace(cache={}))))


def test_concurrent_misses_compute_once_and_share_the_value() -> None:
    from parklink.web.pages import _memo

    request = _request()
    calls: list[int] = []

    def compute() -> object:
        calls.append(1)
        time.sleep(0.2)  # the window in which the other requests miss too
        return object()

    got = run_together(8, lambda: _memo(request, "registry-index", (1,), compute))
    assert len(calls) == 1
    assert len(got) == 8 and len({id(v) for v in got}) == 1


def test_a_new_version_computes_again_and_replaces_the_old_value() -> None:
    from parklink.web.pages import _memo

    request = _request()
    assert _memo(request, "cocon-parks", (1,), lambda: "v1") == "v1"
    assert _memo(request, "cocon-parks", (1,), lambda: "other") == "v1"  # kept for its version
    assert _memo(request, "cocon-parks", (2,), lambda: "v2") == "v2"
    assert request.app.state.web.cache["cocon-parks"] == ((2,), "v2")
    assert _memo(request, "registry-index", (2,), lambda: "index") == "index"  # names are separate
