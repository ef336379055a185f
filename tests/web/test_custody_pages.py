"""The pages of custody, samples, presumed death and donors' consent, on SQLite and PostgreSQL.

Each form carries the session's CSRF token and is offered only to the roles that may use it;
a refusal is the error page with the service's sentence; every action has its API route.
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
from repatria.services.access.audit import read_audit_log
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from surface_data import USERS, password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402


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
        c.app.state.test_db = db  # type: ignore[attr-defined]
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
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def post(client: TestClient, path: str, **data: str) -> str:
    """Post a form and follow the redirect; the flash of the page it lands on."""
    r = client.post(path, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    return re.search(r'<p class="flash" role="status">([^<]*)</p>', page.text).group(1)


def token(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_custody_page_records_an_event_and_a_sample(client: TestClient) -> None:
    csrf = login(client, "cas")
    assert 'href="/remains/V1A/custody"' in client.get("/remains/V1A").text
    page = client.get("/remains/V1A/custody").text
    assert "Record a custody event" in page and "Record a sample taken" in page
    # the case import typed V1A: its profile's status, never its genotypes
    assert re.search(r"profile \d+: \d+ markers typed", page)
    r = client.post("/remains/V1A/custody", data={"event": "stored"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    flash = post(
        client,
        "/remains/V1A/custody",
        event="transferred",
        from_party="field team",
        to_party="central mortuary",
        location="Hall 2",
        occurred_on="2025-05-01",
        csrf_token=csrf,
    )
    assert re.fullmatch(r"custody event \d+ recorded: transferred", flash)
    flash = post(
        client,
        "/remains/V1A/samples",
        sample="V1A-T2",
        material="tooth",
        collected_on="2025-05-02",
        lab="Lab North",
        csrf_token=csrf,
    )
    assert flash.startswith("sample V1A-T2 taken from V1A (custody event")
    page = client.get("/remains/V1A/custody").text
    assert "central mortuary" in page and "V1A-T2" in page and "not typed yet" in page
    bad = client.post(
        "/remains/V1A/custody",
        data={"event": "teleported", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert bad.status_code in (409, 422) and "unknown custody event" in bad.text
    again = client.post(
        "/remains/V1A/samples",
        data={"sample": "V1A-T2", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "already in the registry" in again.text

    # the analyst may take samples but not record custody; the liaison officer neither
    login(client, "ana")
    page = client.get("/remains/V1A/custody").text
    assert "Record a sample taken" in page and "Record a custody event" not in page
    login(client, "lia")
    page = client.get("/remains/V1A/custody").text
    assert "Record a sample" not in page and "shown to analysts" in page
    assert "markers typed" not in page


def test_custody_api_routes(client: TestClient) -> None:
    cas = token(client, "cas")
    r = client.post(
        "/api/v1/remains/V1B/samples",
        json={"sample": "V1B-2", "material": "bone"},
        headers=cas,
    )
    assert r.status_code == 201 and r.json()["sample_ref"] == "V1B-2"
    events = client.get("/api/v1/remains/V1B/custody", headers=cas).json()["events"]
    assert [e["event"] for e in events][-1] == "sampled"
    samples = client.get("/api/v1/remains/V1B/samples", headers=cas).json()["samples"]
    assert {s["ref"] for s in samples} == {"V1B", "V1B-2"}
    assert all("genotypes" not in str(s) for s in samples)
    lia = token(client, "lia")
    refused = client.post("/api/v1/remains/V1B/samples", json={"sample": "X"}, headers=lia)
    assert refused.status_code == 403
    assert (
        client.get("/api/v1/remains/V1B/samples", headers=lia).json()["samples"][0]["profiles"]
        is None
    )
    r = client.post("/api/v1/persons/M2/presumed-dead", json={"reason": "court"}, headers=cas)
    assert r.status_code == 201 and r.json()["status"] == "presumed_dead"
    d = client.get("/api/v1/donors/D1", headers=lia).json()
    assert d["line"]["person"] == "M1" and d["line"]["family"] == "F1"
    r = client.post("/api/v1/donors/D1/consent", json={"given_on": "2024-03-01"}, headers=lia)
    assert r.status_code == 201 and "given on 2024-03-01" in r.json()["message"]
    r = client.post("/api/v1/donors/D1/consent-withdrawn", json={"reason": "letter"}, headers=lia)
    assert r.status_code == 201 and "withdrawn" in r.json()["message"]
    r = client.post("/api/v1/donors/D1/consent", json={"given_on": "2025-01-01"}, headers=lia)
    assert r.status_code == 409 and "a withdrawal stands" in r.json()["error"]["message"]
    listed = client.get("/api/v1/donors?family=F1", headers=lia).json()["donors"]
    assert [(x["ref"], x["consent"]) for x in listed] == [("D1", "withdrawn")]


def test_presumed_dead_page(client: TestClient) -> None:
    csrf = login(client, "cas")
    assert 'href="/persons/M1/presumed-dead"' in client.get("/persons/M1").text
    flash = post(client, "/persons/M1/presumed-dead", reason="court ruling", csrf_token=csrf)
    assert flash == "M1 is now presumed dead"
    assert "Only a person still missing" in client.get("/persons/M1/presumed-dead").text
    empty = client.post(
        "/persons/M2/presumed-dead",
        data={"reason": " ", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert empty.status_code in (409, 422) and "say why the person is presumed dead" in empty.text
    login(client, "ana")
    assert client.get("/persons/M2/presumed-dead").status_code == 403
    assert "presumed-dead" not in client.get("/persons/M2").text


def test_donor_page_consent_withdrawal_and_contact(client: TestClient) -> None:
    csrf = login(client, "lia")
    assert 'href="/donors?person=M1"' in client.get("/persons/M1").text
    listing = client.get("/donors?person=M1").text
    assert 'href="/donors/D1"' in listing and "not recorded" in listing
    page = client.get("/donors/D1").text
    assert "Record consent given" in page and "Record a withdrawal of consent" in page
    flash = post(
        client, "/donors/D1/consent", given_on="2024-03-01", note="signed form", csrf_token=csrf
    )
    assert flash == "consent of donor D1 recorded: given on 2024-03-01 for identification"
    flash = post(client, "/donors/D1/contact-declined", reason="by phone", csrf_token=csrf)
    assert "does not want to be contacted" in flash
    flash = post(
        client, "/donors/D1/consent-withdrawn", reason="letter of 2025-04-02", csrf_token=csrf
    )
    assert flash.startswith("consent of donor D1 withdrawn")
    page = client.get("/donors/D1").text
    assert "letter of 2025-04-02" in page and "declined on" in page
    assert "record by lia: signed form" in page and "withdraw by lia" in page
    assert "Record consent given" not in page
    refused = client.post(
        "/donors/D1/consent",
        data={"given_on": "2025-05-05", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 409 and "record a new donation" in refused.text
    login(client, "ana")
    page = client.get("/donors/D1").text
    assert "Record a withdrawal" not in page and "markers typed" in page
    login(client, "ada")
    assert client.get("/donors/D1").status_code == 403
    entries = read_audit_log(client.app.state.test_db, actor="aud", limit=200)  # type: ignore[attr-defined]
    assert any(e.action == "donors.read" and e.user == "ana" for e in entries)
