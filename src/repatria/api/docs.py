"""The API's own documentation: Swagger UI from vendored files, and the bearer scheme in the schema.

FastAPI's default docs page loads Swagger UI from a CDN, which leaves a blank page on an
agency's closed network and asks the browser to trust an outside host on a page of genetic
records. The script and style come instead from the ``fastapi-offline`` package's copy of
Swagger UI, served under ``/api/v1/docs/assets``, and the page starts Swagger UI from a static
script (no inline script, so the docs page keeps ``script-src 'self'``).

The schema declares the bearer scheme of ``POST /api/v1/auth/token`` as the security of every
operation except the public ones, so "Authorize" in Swagger UI works with a token.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, Response

__all__ = ["ASSETS", "BEARER", "install_docs"]

BEARER = "bearer"
# The files served under {prefix}/docs/assets/ and their media types: nothing else is reachable.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
_START = Path(__file__).parent / "swagger_start.js"


def _vendored(name: str) -> Path:
    return Path(str(files("fastapi_offline"))) / "static" / name


def install_docs(app: FastAPI, *, prefix: str, public: frozenset[tuple[str, str]]) -> None:
    """Serve ``{prefix}/docs`` and its assets, and give ``app`` a schema with the bearer scheme."""
    docs, assets = f"{prefix}/docs", f"{prefix}/docs/assets"

    @app.get(docs, include_in_schema=False)
    def swagger_page() -> HTMLResponse:
        title = html.escape(f"{app.title} {app.version}: API")
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title>"
            f"<link rel='icon' href='{assets}/favicon.png'>"
            f"<link rel='stylesheet' href='{assets}/swagger-ui.css'></head><body>"
            f"<div id='swagger-ui' data-schema='{prefix}/openapi.json'></div>"
            f"<script src='{assets}/swagger-ui-bundle.js'></script>"
            f"<script src='{assets}/start.js'></script></body></html>"
        )

    @app.get(assets + "/{name}", include_in_schema=False)
    def swagger_asset(name: str) -> Response:
        if name == "start.js":
            return FileResponse(_START, media_type="text/javascript")
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail="no such file")
        return FileResponse(_vendored(name), media_type=ASSETS[name])

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_bearer(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                ),
                public,
            )
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]


def with_bearer(schema: dict[str, Any], public: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """``schema`` with the bearer scheme declared and required by every non-public operation."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/token (name and password).",
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if (method.upper(), path) not in public:
                operation["security"] = [{BEARER: []}]
    return schema
