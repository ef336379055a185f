"""Issue 16: over-long values and NUL characters in requests are a 422 naming the field, never a
500 or a database error, on SQLite and PostgreSQL (every limit is the column's own length)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repatria import field_limits as L
from repatria.api.app import create_app
from surface_data import load_case, password


@pytest.fixture
def client(registry_db: str, tmp_path: Path) -> Iterator[TestClient]:
    load_case(registry_db, tmp_path)
    with TestClient(create_app(registry_db), raise_server_exceptions=True) as c:
        yield c


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _invalid(r, where: str) -> str:  # noqa: ANN001
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert where in message and "\n" not in message, message
    return message


def test_overlong_and_nul_fields_are_422_naming_the_field(client: TestClient) -> None:
    cas = _auth(client, "cas")
    r = client.post(
        "/api/v1/custody",
        headers=cas,
        json={"event": "stored", "remains": "R-0001", "notes": "n" * (L.FREE_TEXT + 1)},
    )
    _invalid(r, "body.notes")
    long_ref = "R-" + "9" * L.REF
    r = client.post("/api/v1/custody", headers=cas, json={"event": "stored", "remains": long_ref})
    assert long_ref not in _invalid(r, "body.remains")
    r = client.post(
        "/api/v1/custody",
        headers=cas,
        json={"event": "stored", "remains": "R-0001", "location": "Seoul\x00lab"},
    )
    assert "NUL" in _invalid(r, "body.location")


def test_a_list_of_references_checks_each_one(client: TestClient) -> None:
    r = client.post(
        "/api/v1/repatriations",
        headers=_auth(client, "cas"),
        json={
            "remains": ["R-0001", "R-" + "9" * L.REF],
            "kind": "handover",
            "counterpart": "the other party",
            "occurred_on": "2026-01-01",
        },
    )
    _invalid(r, "body.remains.1")


def test_nul_in_a_query_or_a_path_is_422(client: TestClient) -> None:
    ana = _auth(client, "ana")
    _invalid(client.get("/api/v1/persons", params={"q": "Kim\x00"}, headers=ana), "query.q")
    _invalid(client.get("/api/v1/persons/P-0001%00", headers=ana), "path.ref")
    _invalid(client.get("/api/v1/persons/" + "P" * (L.REF + 1), headers=ana), "path.ref")


def test_a_form_with_nul_or_an_overlong_field_is_422(client: TestClient) -> None:
    r = client.post("/login", data={"name": "ana\x00", "password": "x", "csrf_token": "x"})
    assert r.status_code == 422 and "body.name" in r.text
    r = client.post(
        "/login", data={"name": "a" * (L.USER_NAME + 1), "password": "x", "csrf_token": "x"}
    )
    assert r.status_code == 422 and "body.name" in r.text
