"""The pages over HTTP (no browser): login with CSRF, every page renders, forms need the token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from repatria.api.security import LOGIN_CSRF_COOKIE
from surface_data import password


def login(client: TestClient, name: str) -> str:
    """Log in through the form; returns the page CSRF token."""
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"name": name, "password": password(name), "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    home = client.get("/")
    return re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)


def test_login_needs_the_form_token_and_the_right_password(app_client: TestClient) -> None:
    app_client.get("/login")
    r = app_client.post(
        "/login",
        data={"name": "ana", "password": password("ana"), "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "out of date" in r.text
    page = app_client.get("/login")
    token = app_client.cookies.get(LOGIN_CSRF_COOKIE)
    assert token in page.text
    r = app_client.post(
        "/login",
        data={"name": "ana", "password": "nope-nope", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 401 and "wrong name or password" in r.text


def test_login_never_redirects_off_site(app_client: TestClient) -> None:
    page = app_client.get("/login", params={"next": "//evil.example/x"})
    assert 'name="next" value="/"' in page.text


def test_pages_render_for_their_roles(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _, ids = surface_db
    login(app_client, "cas")
    for path, expect in [
        ("/", "Work waiting"),
        ("/persons?q=Ivan", "P-0001"),
        ("/persons/P-0001", "Иван Петров"),
        ("/remains?site=Plekhovo+field+3", "R-0002"),
        ("/remains/R-0001", "Custody timeline"),
        ("/review", "Review queue"),
        ("/notifications", "Families to tell"),
        ("/repatriations", "Handovers"),
        ("/accounting", "Published claims"),
    ]:
        r = app_client.get(path)
        assert r.status_code == 200 and expect in r.text, path
        assert "Source:" in r.text, f"{path} does not say where its numbers come from"
    r = app_client.get(f"/matches/{ids['p1_r1']}")
    assert r.status_code == 200
    assert "<svg" in r.text and "= PM R-0001" in r.text and "D3S1358" in r.text
    r = app_client.get(f"/matches/{ids['p3_r3']}")
    assert "LR is 0 at vWA" in r.text
    chart = app_client.get("/accounting/chart.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")


def test_forms_without_the_csrf_token_are_refused(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _, ids = surface_db
    token = login(app_client, "ana")
    r = app_client.post(
        f"/review/{ids['p1_r1']}/propose", data={"reason": "x"}, follow_redirects=False
    )
    assert r.status_code == 403
    r = app_client.post(
        f"/review/{ids['p1_r1']}/propose",
        data={"reason": "x", "override": "test data: no references stored", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "proposed by ana" in app_client.get(r.headers["location"]).text


def test_refusals_are_pages_not_traces(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _, ids = surface_db
    token = login(app_client, "rev")
    r = app_client.post(f"/review/{ids['p1_r1']}/confirm", data={"csrf_token": token})
    assert r.status_code == 409 and "has not been proposed" in r.text and "Traceback" not in r.text
    assert app_client.get("/persons/NOPE").status_code == 404
    assert app_client.get("/repatriations").status_code == 403
