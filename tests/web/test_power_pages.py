"""The pages of which relative to sample next, on SQLite and PostgreSQL: the family's study and
the programme view render for a reader of families, link to each other, and refuse a liaison
officer."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Walk
from fastapi.testclient import TestClient

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from surface_data import USERS, password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402
from test_accessibility import _violations  # noqa: E402


@pytest.fixture
def client(registry_db: str, tmp_path: Path) -> Iterator[TestClient]:
    db = registry_db
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
    for name in USERS:
        set_password(db, name, password(name))
    import_case(db, write_case(tmp_path / "exchange"), actor="ana")
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        yield c
    dispose_engines()


@pytest.fixture
def surface_db(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """The exchange case on SQLite, for the browser fixtures (``server`` reads ``surface_db``):
    the surface case has no typed profiles to simulate from."""
    import shutil

    path = tmp_path / "power.sqlite"
    shutil.copyfile(sqlite_template, path)
    db = f"sqlite:///{path}"
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
    for name in USERS:
        set_password(db, name, password(name))
    import_case(db, write_case(tmp_path / "exchange"), actor="ana")
    dispose_engines()
    yield db, {}
    dispose_engines()


def login(client: TestClient, name: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"name": name, "password": password(name), "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_family_power_page(client: TestClient) -> None:
    login(client, "ana")
    family = client.get("/families/F1")
    assert family.status_code == 200 and 'href="/families/F1/power"' in family.text
    r = client.get("/families/F1/power?sims=20&seed=2")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Family F1: which relative to sample next" in html
    assert "20 simulations per relative, seed 2" in html and "policy v1 min lr" in html
    assert '<table tabindex="0">' in html and "current references" in html and "mother" in html
    assert 'href="/programme/power"' in html
    assert client.get("/families/NOPE/power").status_code == 404


def test_programme_power_page(client: TestClient) -> None:
    login(client, "aud")
    assert 'href="/programme/power"' in client.get("/families").text
    r = client.get("/programme/power?threshold=1e8&sims=10")
    assert r.status_code == 200, r.text
    html = r.text
    assert "10 simulations per relative" in html and '<table tabindex="0">' in html
    assert 'href="/families/F1/power"' in html and 'href="/families/F2/power"' in html
    assert "2 of 2 unresolved missing persons" in html
    csv = client.get("/programme/power?threshold=1e8&sims=10&format=csv")
    assert csv.status_code == 200 and csv.text.startswith("family,")
    empty = client.get("/programme/power?below=0.01&sims=10")
    assert "No unresolved family is below this power." in empty.text


def test_a_liaison_officer_is_refused(client: TestClient) -> None:
    login(client, "lia")
    assert client.get("/families/F1/power").status_code == 403
    assert client.get("/programme/power").status_code == 403


@pytest.mark.inject_scripts
def test_power_pages_pass_the_accessibility_rules_and_fit_390_px(page, server) -> None:  # noqa: ANN001
    """As tests/web/test_accessibility.py does for every page, on these two."""
    base, _ = server
    walk = Walk(page, base)
    walk.login("cas")
    found: dict[str, list[str]] = {}
    for url in ("/families/F1/power?sims=10", "/programme/power?threshold=1e8&sims=10"):
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(base + url)
            assert response is not None and response.status == 200, url
            bad = _violations(page)
            overflow = page.evaluate(
                "() => document.scrollingElement.scrollWidth - window.innerWidth"
            )
            if overflow > 1:
                bad.append(f"scrolls sideways by {overflow} px at {width} px")
            if bad:
                found[f"{url} @ {width}px"] = bad
    assert not found, found
