"""Who is calling, and may they: the one place where the API and the pages check roles.

Every route declares the action it performs with ``Depends(allow("review.confirm"))``; the
roles come from :func:`repatria.services.access.permissions.roles_for` (the services' own permission
table), so a route and the service behind it can never disagree about who may act. Routes
without a guard must be listed in :data:`PUBLIC`; a test walks every route of the app and
holds both to this.

- API callers present ``Authorization: Bearer TOKEN`` (from ``POST /api/v1/auth/token``).
- Pages present the ``repatria_session`` cookie, and every form they post carries a CSRF
  token derived from the session token (a page of another site cannot read it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from repatria.services.access.auth import user_for_token
from repatria.services.access.permissions import roles_for
from repatria.services.access.users import UserInfo

__all__ = [
    "SESSION_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "PUBLIC",
    "Caller",
    "NotAuthenticated",
    "Forbidden",
    "BadCsrf",
    "allow",
    "csrf_token_for",
    "db_of",
    "is_api",
]

SESSION_COOKIE = "repatria_session"
LOGIN_CSRF_COOKIE = "repatria_login_csrf"
API_PREFIX = "/api/v1"

# (method, path) of the routes anyone may call: logging in, the schema, static files.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        ("GET", "/api/v1/docs/assets/{name}"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/static/{path:path}"),
        ("GET", "/healthz"),
    }
)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the user, and how they came (``"api"`` or ``"session"``)."""

    user: UserInfo
    via: str
    token: str

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def csrf(self) -> str:
        return csrf_token_for(self.token)


class NotAuthenticated(Exception):
    """No valid token or session: 401 for the API, a redirect to the login page for pages."""


class Forbidden(Exception):
    """Authenticated, but the role may not do this: 403."""


class BadCsrf(Exception):
    """A page form without the CSRF token of its session: 403."""


def csrf_token_for(token: str) -> str:
    """The CSRF token of a session: a keyed digest of the session token (never the token itself)."""
    return hmac.new(token.encode(), b"repatria-csrf", hashlib.sha256).hexdigest()


def db_of(request: Request) -> str | None:
    """The database URL the app was created with (``None``: the default database)."""
    db: str | None = request.app.state.db
    return db


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def allow(action: str) -> Callable[..., object]:
    """A dependency that admits only callers whose role may perform ``action``.

    It returns the :class:`Caller`.
    """
    roles = roles_for(action)

    async def guard(request: Request) -> Caller:
        db = db_of(request)
        if is_api(request):
            token, via = _bearer(request), "api"
        else:
            token, via = request.cookies.get(SESSION_COOKIE), "session"
        # The token check reads the database: off the event loop, so one slow query (or a
        # writer holding SQLite's lock) never stalls every other request.
        user = await run_in_threadpool(user_for_token, db, token, kind=via)
        if user is None or token is None:
            raise NotAuthenticated(
                "log in first"
                if not is_api(request)
                else "send a bearer token from POST /api/v1/auth/token"
            )
        if user.role not in roles:
            raise Forbidden(
                f"{user.name} is {_article(user.role)} {user.role.replace('_', ' ')}; "
                f"this needs the {' or '.join(sorted(r.replace('_', ' ') for r in roles))} role"
            )
        caller = Caller(user, via, token)
        if via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
            form = await request.form()
            sent = form.get("csrf_token") or request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(str(sent), caller.csrf):
                raise BadCsrf(
                    "this form is out of date or did not come from Repatria; reload the "
                    "page and try again"
                )
        request.state.caller = caller
        return caller

    # Read by the route-walking test; mypy does not model attributes set on a function.
    guard.action = action  # type: ignore[attr-defined]
    guard.roles = roles  # type: ignore[attr-defined]
    return guard


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
