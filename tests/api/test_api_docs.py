"""The API docs need no outside host, and the schema declares the bearer scheme (issue 18)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from repatria.api.security import PUBLIC


def test_docs_page_references_only_our_own_origin(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/docs")
    assert r.status_code == 200
    assert not re.search(r"(src|href)=['\"](https?:)?//", r.text)
    assert "<script>" not in r.text  # no inline script: the page keeps script-src 'self'
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "http" not in csp
    for name, media in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("start.js", "text/javascript"),
    ):
        asset = app_client.get(f"/api/v1/docs/assets/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(media)
        assert len(asset.content) > 200
    assert app_client.get("/api/v1/docs/assets/..%2Fsecrets").status_code == 404
    assert app_client.get("/api/v1/docs/assets/core.py").status_code == 404


def test_schema_declares_the_bearer_scheme_on_every_guarded_operation(
    app_client: TestClient,
) -> None:
    schema = app_client.get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/token (name and password).",
    }
    guarded = public = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (method.upper(), path) in PUBLIC:
                public += 1
                assert "security" not in operation, (method, path)
            else:
                guarded += 1
                assert operation["security"] == [{"bearer": []}], (method, path)
    assert public >= 1 and guarded >= 10
