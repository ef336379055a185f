"""Issue 16: security headers on every page and API answer; no caching of records."""

from __future__ import annotations

from fastapi.testclient import TestClient

from repatria.api.app import create_app


def test_pages_and_api_carry_csp_no_framing_and_no_store(tmp_path) -> None:  # noqa: ANN001
    client = TestClient(create_app(str(tmp_path / "none.sqlite")))
    for path in ("/login", "/healthz", "/api/v1/openapi.json"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
