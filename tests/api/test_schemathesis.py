"""Property-based run of the API against its own OpenAPI schema: no input makes it answer 5xx.

schemathesis generates requests for every operation of ``/api/v1/openapi.json``; few examples
per operation (kept short on purpose: CI time), called as a case manager (the role with the
widest reach) with a bearer token. Errors must be the JSON error shape, never a stack trace.
(The operations are driven from a plain test with Hypothesis: schemathesis' pytest fixture
loader does not run under pytest 9.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from repatria.api.app import create_app
from repatria.services.access.auth import login
from surface_data import password


def test_no_server_errors(surface_db) -> None:  # noqa: ANN001
    db, _ = surface_db
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(db))
    headers = {"Authorization": f"Bearer {login(db, 'cas', password('cas'), kind='api')[0]}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case) -> None:  # noqa: ANN001
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            if (
                response.headers.get("content-type", [""])[0].startswith("application/pdf")
                if isinstance(response.headers.get("content-type"), list)
                else str(response.headers.get("content-type", "")).startswith("application/pdf")
            ):
                assert response.content.startswith(b"%PDF-")
                return
            if response.status_code >= 500 or "Traceback" in response.text:
                failures.append(f"{where}: {response.status_code} {response.text[:300]}")
            elif (
                response.status_code >= 400
                and response.json().get("error", {}).get("status") != response.status_code
            ):
                failures.append(
                    f"{where}: error not in the JSON error shape: {response.text[:300]}"
                )

        run()
    assert operations >= 20
    assert failures == []
