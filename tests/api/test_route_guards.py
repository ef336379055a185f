"""Every route of the app (API and pages) refuses an anonymous caller and a caller without the role.

The routes are found by walking the app, not listed by hand: a route added later without a
guard fails ``test_every_route_is_guarded_or_public``, and one whose guard lets the wrong role
in fails ``test_every_route_refuses_anonymous_and_wrong_roles``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from starlette.routing import Mount

from repatria.api.app import create_app
from repatria.api.security import PUBLIC, SESSION_COOKIE
from repatria.registry.models import ROLES
from surface_data import USERS, password

# One user of each role in the surface case.
BY_ROLE = {role: next(n for n, r in USERS.items() if r == role) for role in ROLES}
PATH_VALUES = {"ref": "P-0001", "candidate_id": "1"}


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    actions: tuple[str, ...]
    roles: frozenset[str]


def walk_routes(app) -> tuple[list[RouteInfo], list[str]]:  # noqa: ANN001
    """(every method+path with the guards on it, every mounted path)."""
    try:
        from fastapi.routing import iter_route_contexts

        contexts = [(c.path, c.methods, c.route) for c in iter_route_contexts(app.router.routes)]
    except ImportError:  # FastAPI before included routers were kept lazily
        contexts = [(r.path, getattr(r, "methods", None), r) for r in app.routes]
    routes, mounts = [], []
    for path, methods, route in contexts:
        if isinstance(route, Mount):
            mounts.append(path)
            continue
        dependant = getattr(route, "dependant", None)
        guards = [
            d.call
            for d in (dependant.dependencies if dependant else [])
            if hasattr(d.call, "action")
        ]
        for method in sorted((methods or set()) - {"HEAD"}):
            routes.append(
                RouteInfo(
                    method,
                    path,
                    tuple(g.action for g in guards),
                    frozenset().union(*[g.roles for g in guards]) if guards else frozenset(),
                )
            )
    return routes, mounts


APP = create_app("sqlite:///unused.sqlite")
ROUTES, MOUNTS = walk_routes(APP)
GUARDED = [r for r in ROUTES if (r.method, r.path) not in PUBLIC]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def test_walk_finds_the_app() -> None:
    paths = {r.path for r in ROUTES}
    assert {
        "/api/v1/candidates/{candidate_id}/confirm",
        "/matches/{candidate_id}",
        "/",
        "/api/v1/repatriations",
        "/accounting",
    } <= paths
    assert len(GUARDED) >= 40
    assert MOUNTS == ["/static"]


def test_every_route_is_guarded_or_public() -> None:
    unguarded = [f"{r.method} {r.path}" for r in GUARDED if len(r.actions) != 1]
    assert unguarded == [], "each non-public route needs exactly one Depends(allow(...))"
    declared = {(r.method, r.path) for r in ROUTES} | {("GET", "/static/{path:path}")}
    assert PUBLIC <= declared, f"stale PUBLIC entries: {PUBLIC - declared}"
    # A public route must not be guarded either: the list says what it means.
    assert not [r for r in ROUTES if (r.method, r.path) in PUBLIC and r.actions]


@pytest.fixture
def credentials(app_client, surface_db):  # noqa: ANN001, ANN201
    """An API token and a session token per role."""
    from repatria.services.access.auth import login

    db, _ = surface_db
    return {
        role: {
            "api": login(db, name, password(name), kind="api")[0],
            "session": login(db, name, password(name), kind="session")[0],
        }
        for role, name in BY_ROLE.items()
    }


def test_every_route_refuses_anonymous_and_wrong_roles(app_client, credentials) -> None:  # noqa: ANN001
    failures = []
    for r in GUARDED:
        url = _url(r.path)
        api = r.path.startswith("/api/")
        app_client.cookies.clear()
        resp = app_client.request(r.method, url, follow_redirects=False, json={} if api else None)
        if api:
            if resp.status_code != 401 or "error" not in resp.json():
                failures.append(f"anonymous {r.method} {url}: {resp.status_code}")
        elif resp.status_code != 303 or not resp.headers["location"].startswith("/login"):
            failures.append(f"anonymous {r.method} {url}: {resp.status_code}")
        for role in sorted(set(ROLES) - r.roles):
            app_client.cookies.clear()
            if api:
                resp = app_client.request(
                    r.method,
                    url,
                    json={},
                    headers={"Authorization": f"Bearer {credentials[role]['api']}"},
                )
            else:
                app_client.cookies.set(SESSION_COOKIE, credentials[role]["session"])
                resp = app_client.request(r.method, url, follow_redirects=False)
            if resp.status_code != 403:
                failures.append(f"{role} {r.method} {url}: {resp.status_code}")
    assert failures == []


def test_tokens_are_not_interchangeable(app_client, credentials) -> None:  # noqa: ANN001
    # A session cookie is not an API token and the other way round (a stolen cookie cannot be
    # replayed as a bearer token without CSRF protection, and vice versa).
    resp = app_client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {credentials['analyst']['session']}"}
    )
    assert resp.status_code == 401
    app_client.cookies.set(SESSION_COOKIE, credentials["analyst"]["api"])
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_roles_match_the_services_permissions() -> None:
    from repatria.services.access.permissions import PERMISSIONS

    by_path = {(r.method, r.path): r for r in ROUTES}
    assert (
        by_path[("POST", "/api/v1/candidates/{candidate_id}/confirm")].roles
        == PERMISSIONS["review.confirm"]
    )
    assert (
        by_path[("POST", "/review/{candidate_id}/propose")].roles == PERMISSIONS["review.propose"]
    )
    assert by_path[("POST", "/api/v1/repatriations")].roles == PERMISSIONS["repatriation.record"]
