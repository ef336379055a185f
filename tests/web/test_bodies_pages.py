"""The pages of bodies, re-associations, family versions and graves, on SQLite and PostgreSQL.

Forms with the session's CSRF token, the roles behind each form, the two reviewers, and a
refusal as the error page with the service's sentence.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from surface_data import USERS, password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import MARKERS, people, write_case  # noqa: E402


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


def login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"name": name, "password": password(name), "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/bodies").text).group(1)


def post(client: TestClient, path: str, **data: str) -> str:
    """Post a form and follow the redirect; the flash of the page it lands on."""
    r = client.post(path, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    return re.search(r'<p class="flash" role="status">([^<]*)</p>', page.text).group(1)


def test_bodies_pages_from_proposal_to_grave(client: TestClient) -> None:
    csrf = login(client, "ana")
    page = client.get("/bodies")
    assert '<a href="/bodies">Bodies</a>' in page.text or 'href="/bodies" aria-current' in page.text
    assert "BAG-7" in page.text and "Propose a re-association" in page.text
    r = client.post("/bodies/associations", data={"samples": "V1A V1B", "reason": "LR"})
    assert r.status_code == 403  # no CSRF token
    flash = post(
        client,
        "/bodies/associations",
        samples="V1A V1B",
        reason="fragment LR",
        anthropology="one femur",
        csrf_token=csrf,
    )
    assert "re-association 1 (V1A, V1B are one body) proposed" in flash
    page = client.get("/bodies").text
    assert "Anthropology: one femur" in page and "Confirm re-association 1" not in page
    refused = client.post(
        "/bodies/associations",
        data={"samples": "V1A", "reason": "r", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 409 and "name at least two samples" in refused.text

    csrf = login(client, "rev")
    assert "Confirm re-association 1" in client.get("/bodies").text
    assert "Propose a re-association" not in client.get("/bodies").text
    flash = post(client, "/bodies/associations/1/confirm", reason="agreed", csrf_token=csrf)
    assert "they are body V1A" in flash
    body = client.get("/bodies/V1A").text
    assert "V1A, V1B" in body and "confirm by rev" in body and "Revoke re-association 1" in body
    missing = client.get("/bodies/NOPE")
    assert missing.status_code == 404 and "there is no body" in missing.text

    csrf = login(client, "cas")
    assert "Record a burial" in client.get("/bodies/BAG-7").text
    flash = post(
        client,
        "/bodies/BAG-7/disposition",
        kind="burial",
        occurred_on="2025-06-02",
        reason="buried here",
        cemetery="Municipal cemetery",
        plot="B",
        grave="17",
        csrf_token=csrf,
    )
    assert "Municipal cemetery, plot B, grave 17" in flash
    graves = client.get("/graves").text
    assert "body BAG-7" in graves and "<td>17</td>" in graves


def test_family_pages_add_a_mother_and_correct_a_father(client: TestClient) -> None:
    csrf = login(client, "lia")
    assert client.get("/families").status_code == 403
    csrf = login(client, "ana")
    assert "F1" in client.get("/families").text
    genos = "\n".join(f"{m} {a}/{b}" for m, (a, b) in people()["D1M"].items() if m in MARKERS)
    flash = post(
        client,
        "/families/F1/references",
        individual="D1M",
        genotypes=genos,
        relationship="mother",
        reason="her sample arrived",
        csrf_token=csrf,
    )
    assert "family F1 is at version 2: reference profile of D1M added" in flash
    bad = client.post(
        "/families/F1/references",
        data={"individual": "D1", "genotypes": "L01 10", "reason": "r", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "genotypes line 1: write MARKER a/b" in bad.text
    flash = post(
        client,
        "/families/F2/correct",
        individual="M2",
        father="-",
        mother="-",
        reason="D2 is his uncle",
        csrf_token=csrf,
    )
    assert "father of M2 corrected: unknown (was D2)" in flash
    page = client.get("/families/F1").text
    assert "Version 2 (current)" in page and "Changed by ana" in page
    assert "her sample arrived: reference profile of D1M added" in page
    assert "typed (donor D1M)" in page and "Version 1" in page
    csrf = login(client, "rev")
    page = client.get("/families/F1").text
    assert "Version 2" in page and "Add a donor" not in page
