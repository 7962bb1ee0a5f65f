"""Schemathesis over the OpenAPI schema: generated requests never produce a server error.

* **stateless** — every operation of ``/openapi.json`` gets a bounded number of generated
  examples (Hypothesis strategies built by schemathesis from the schema), sent anonymously
  and as the programme office (bearer token), so the write endpoints run their validation
  and database paths too;
* **stateful** — schemathesis' state machine (links inferred from the schema: a created
  park, zone, designation, target, user or scenario is read, changed and deleted by later
  steps) as the programme office.

Both fail on any 5xx answer, and on any ERROR record in the server log (a handled 500 is
logged by ``parklink.web`` before it answers). The default run is small (about a minute on
2 cores); ``PARKLINK_SCHEMATHESIS_EXAMPLES`` / the ``slow``-marked test run more examples.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from .conftest import token_headers

MAX_EXAMPLES = int(os.environ.get("PARKLINK_SCHEMATHESIS_EXAMPLES", "4"))
STATEFUL_EXAMPLES = int(os.environ.get("PARKLINK_SCHEMATHESIS_STATEFUL", "12"))


class _ErrorLog(logging.Handler):
    """Collects ERROR (and worse) records of every logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:300]}")


@pytest.fixture
def server_log() -> Iterator[_ErrorLog]:
    handler = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _app_and_office(web_url: str) -> tuple[Any, dict[str, str]]:
    from parklink.web import create_app

    app = create_app(web_url)
    with TestClient(app) as client:
        office = token_headers(client, "office")
    return app, office


def _describe(case: Any, response: Any) -> str:
    return (f"{case.method} {case.formatted_path} {case.query or ''} {str(case.body)[:200]} -> "
            f"{response.status_code} {response.text[:200]}")


def _stateless(web_url: str, server_log: _ErrorLog, examples: int) -> None:
    app, office = _app_and_office(web_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            for headers in ({}, office):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(_describe(case, response))
                elif response.status_code == 422 and case.path.startswith("/api"):
                    body = response.json()
                    assert "detail" in body and isinstance(body.get("errors"), list), body

        run()
    assert not failures, "\n".join(failures[:20])
    assert not server_log.records, "\n".join(server_log.records[:20])


def _restore(pristine: str, target: str) -> None:
    """Copy the database ``pristine`` into ``target`` through SQLite's online backup API
    (safe while the application holds connections to ``target``)."""
    src, dst = sqlite3.connect(pristine), sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _stateful(web_url: str, server_log: _ErrorLog, examples: int, steps: int) -> None:
    app, office = _app_and_office(web_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    target = web_url.removeprefix("sqlite:///")
    pristine = target + ".pristine"
    _restore(target, pristine)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # every scenario starts from the same database: the rules Hypothesis can choose
            # depend on earlier responses, so leftover rows would make generation inconsistent
            _restore(pristine, target)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": office}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(_describe(case, response))

    Workflow.run(settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
                                   phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert calls, "the state machine made no call"
    assert any(200 <= c < 300 for c in calls), "no successful step: the links reached nothing"
    assert not failures, "\n".join(failures[:20])
    assert not server_log.records, "\n".join(server_log.records[:20])


def test_no_server_errors(web_url: str, server_log: _ErrorLog) -> None:
    _stateless(web_url, server_log, MAX_EXAMPLES)


def test_no_server_errors_stateful(web_url: str, server_log: _ErrorLog) -> None:
    _stateful(web_url, server_log, STATEFUL_EXAMPLES, steps=6)


@pytest.mark.slow
def test_no_server_errors_large(web_url: str, server_log: _ErrorLog) -> None:
    _stateless(web_url, server_log, 40)


@pytest.mark.slow
def test_no_server_errors_stateful_large(web_url: str, server_log: _ErrorLog) -> None:
    _stateful(web_url, server_log, 100, steps=10)
