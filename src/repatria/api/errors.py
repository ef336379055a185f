"""The one place where an error becomes a response: JSON for the API, a page for people.

No stack trace ever reaches a client. An unexpected exception is logged here (with its
traceback, on the server) under a short id that the client is given, so an operator can find
it; the message never includes request bodies, so genotypes cannot leak into logs. A database
error is one line (:mod:`repatria.services.db_errors`) to the client and in the log, with the
traceback's frames but never the error's own text, which carries the statement.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from repatria.api.security import BadCsrf, Forbidden, NotAuthenticated, is_api
from repatria.errors import (
    FormatError,
    NotFoundError,
    PermissionDeniedError,
    RegistryError,
    RepatriaError,
    ServiceError,
)
from repatria.services.access.auth import AuthError
from repatria.services.db_errors import DATABASE_ERRORS, error_line

__all__ = ["install_error_handlers", "status_for"]

log = logging.getLogger("repatria.api")

_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    422: "Invalid input",
    500: "Internal error",
}


def status_for(exc: Exception) -> int:
    """The HTTP status of one of the project's errors."""
    if isinstance(exc, (NotAuthenticated, AuthError)):
        return 401
    if isinstance(exc, (Forbidden, BadCsrf)):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, FormatError):
        return 422
    if isinstance(exc, ServiceError):
        # What else a workflow refuses is a conflict with the record's state.
        return 409
    if isinstance(exc, RegistryError):
        return 409
    return 500


def _respond(request: Request, status: int, message: str, detail: object = None) -> Response:
    if is_api(request):
        error: dict[str, object] = {"status": status, "message": message}
        if detail is not None:
            error["detail"] = detail
        return JSONResponse({"error": error}, status_code=status)
    from repatria.web.render import render_error

    return render_error(request, status, _TITLES.get(status, "Error"), message)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app`` (API and pages share them)."""

    @app.exception_handler(NotAuthenticated)
    async def _unauth(request: Request, exc: NotAuthenticated) -> Response:
        if not is_api(request):
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        resp = _respond(request, 401, str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(RepatriaError)
    async def _project(request: Request, exc: RepatriaError) -> Response:
        return _respond(request, status_for(exc), str(exc))

    for cls in (Forbidden, BadCsrf):

        @app.exception_handler(cls)
        async def _forbidden(request: Request, exc: Exception) -> Response:
            return _respond(request, 403, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems[:5])
        return _respond(request, 422, f"invalid input: {summary}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        )
        if exc.status_code == 404 and message == "Not Found":
            message = f"there is no page or resource at {request.url.path}"
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _respond(request, exc.status_code, message)

    for db_cls in DATABASE_ERRORS:
        # Handled here, not by the catch-all below: Starlette re-raises what reaches the
        # catch-all to the server, whose log would print the error's own text (the statement).
        @app.exception_handler(db_cls)
        async def _database(request: Request, exc: Exception) -> Response:
            ref = secrets.token_hex(4)
            line = error_line(exc) or type(exc).__name__
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "database error %s on %s %s: %s\n%s",
                ref,
                request.method,
                request.url.path,
                line,
                frames,
            )
            return _respond(request, 500, f"{line} (reference {ref}); it was logged")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        log.error(
            "unexpected error %s on %s %s", ref, request.method, request.url.path, exc_info=exc
        )
        return _respond(
            request,
            500,
            f"an internal error occurred (reference {ref}); it was logged for the operators",
        )
