"""The JSON API fuzzed from its own OpenAPI document: whatever comes in, never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from scheduler.db import Database
from tests.support.factories import demo_clinic

EXAMPLES = 30


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Fuzzing looks at the code's answers; one database is enough (both are tested elsewhere)."""
    return str(request.param)


def test_no_request_the_schema_allows_or_breaks_gets_a_server_error(
    app: Flask, db: Database
) -> None:
    demo_clinic(db)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            assert response.status_code < 500, response.text[:300]

        fuzz()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 15, checked
    assert failures == []
