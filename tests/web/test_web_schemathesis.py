"""Schemathesis over the OpenAPI schema: generated requests never produce a server error (5xx).

Every operation of ``/openapi.json`` gets a bounded number of generated examples (Hypothesis
strategies built by schemathesis from the schema), sent anonymously and as the programme
office, so the write endpoints run their validation and database paths too.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from .conftest import token_headers

MAX_EXAMPLES = 5


def test_no_server_errors(web_url: str) -> None:
    from parklink.web import create_app

    app = create_app(web_url)
    with TestClient(app) as client:
        office = token_headers(client, "office")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            for headers in ({}, office):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {case.query or ''} "
                                    f"{str(case.body)[:200]} -> {response.status_code} {response.text[:200]}")
                elif response.status_code == 422 and case.path.startswith("/api"):
                    body = response.json()
                    assert "detail" in body and isinstance(body.get("errors"), list), body

        run()
    assert not failures, "\n".join(failures[:20])
