"""The REST API: login, the identification path, audit of sensitive reads, and the error shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repatria.api.app import create_app
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent
from surface_data import load_case, password


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _error(resp) -> str:  # noqa: ANN001
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["status"] == resp.status_code
    assert "Traceback" not in resp.text
    return body["error"]["message"]


def test_login_refuses_wrong_password_and_unknown_user_alike(app_client: TestClient) -> None:
    a = app_client.post("/api/v1/auth/token", json={"name": "ana", "password": "wrong-password"})
    b = app_client.post("/api/v1/auth/token", json={"name": "nobody", "password": "wrong-password"})
    assert a.status_code == b.status_code == 401
    assert _error(a) == _error(b) == "wrong name or password"


def _identification_path(client: TestClient, cand: int) -> None:
    ana, rev, lia, cas = (_auth(client, n) for n in ("ana", "rev", "lia", "cas"))
    # The hand-recorded candidate stores no references: it fails the policy and is overridden.
    why = {"override": "test data: no references stored with the candidate"}
    r = client.post(
        f"/api/v1/candidates/{cand}/propose", json={"reason": "LR 10^8", **why}, headers=ana
    )
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "propose"
    # The analyst cannot confirm (role), and a reviewer must give a reason to reject.
    assert (
        client.post(f"/api/v1/candidates/{cand}/confirm", json={}, headers=ana).status_code == 403
    )
    r = client.post(f"/api/v1/candidates/{cand}/reject", json={}, headers=rev)
    assert r.status_code == 422 and "reason" in _error(r)
    r = client.post(f"/api/v1/candidates/{cand}/confirm", json={}, headers=rev)
    assert r.status_code == 409 and "give the reason" in _error(r)
    r = client.post(f"/api/v1/candidates/{cand}/confirm", json={"reason": "LR"}, headers=rev)
    assert r.status_code == 409 and "fails identification policy" in _error(r)
    r = client.post(
        f"/api/v1/candidates/{cand}/confirm", json={"reason": "LR and dental", **why}, headers=rev
    )
    assert r.status_code == 200 and r.json()["person_status"] == "identified"
    assert r.json()["override_reason"] == why["override"] and r.json()["policy_version"] == 1
    # Decided once: a second reviewer is refused with a sentence, as a conflict.
    r = client.post(f"/api/v1/candidates/{cand}/confirm", json={}, headers=_auth(client, "rita"))
    assert r.status_code == 409 and "already confirmed" in _error(r)

    tasks = client.get("/api/v1/notifications", headers=lia).json()["tasks"]
    assert [t["person_ref"] for t in tasks] == ["P-0001"]
    r = client.post(
        "/api/v1/persons/P-0001/notifications",
        headers=lia,
        json={
            "recipient": "Kim Young-hee",
            "relationship": "mother",
            "method": "in_person",
            "notified_on": "2025-03-01",
        },
    )
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/notifications", headers=lia).json()["tasks"] == []

    before = client.get("/api/v1/accounting", headers=cas).json()["counts"]
    r = client.post(
        "/api/v1/repatriations",
        headers=cas,
        json={
            "remains": ["R-0001"],
            "kind": "handover",
            "counterpart": "DPRK embassy",
            "occurred_on": "2025-04-01",
            "place": "Moscow",
            "coffin_labels": ["1"],
        },
    )
    assert r.status_code == 201, r.text
    after = client.get("/api/v1/accounting", headers=cas).json()["counts"]
    assert (before["repatriated"], after["repatriated"]) == (0, 1)
    r = client.post(
        "/api/v1/repatriations",
        headers=cas,
        json={
            "remains": ["R-0002"],
            "kind": "handover",
            "counterpart": "x",
            "occurred_on": "2025-04-02",
        },
    )
    assert r.status_code == 409 and "not identified" in _error(r)


def test_identification_path_over_the_api(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _identification_path(app_client, surface_db[1]["p1_r1"])


def test_identification_path_on_sqlite_and_postgresql(registry_db: str, tmp_path: Path) -> None:
    ids = load_case(registry_db, tmp_path)
    with TestClient(create_app(registry_db), raise_server_exceptions=False) as client:
        _identification_path(client, ids["p1_r1"])


def test_reads_of_genetic_data_and_family_contacts_are_audited(
    app_client: TestClient, surface_db
) -> None:  # noqa: ANN001
    db, ids = surface_db
    app_client.get(f"/api/v1/candidates/{ids['p1_r1']}", headers=_auth(app_client, "ana"))
    app_client.get("/api/v1/notifications", headers=_auth(app_client, "cas"))
    with session_scope(db) as s:
        rows = s.execute(
            select(AuditEvent.user_name, AuditEvent.action, AuditEvent.entity_id, AuditEvent.detail)
        ).all()
    assert ("ana", "match.read", str(ids["p1_r1"])) in [(u, a, e) for u, a, e, _ in rows]
    assert ("cas", "notifications.view") in [(u, a) for u, a, _, _ in rows]
    # No audit entry carries marker values.
    assert not any("D3S1358" in str(d) for *_, d in rows)


def test_match_detail_shows_markers_alternatives_and_lr0(
    app_client: TestClient, surface_db
) -> None:  # noqa: ANN001
    _, ids = surface_db
    ana = _auth(app_client, "ana")
    m = app_client.get(f"/api/v1/candidates/{ids['p1_r1']}", headers=ana).json()
    assert len(m["markers"]) == 8 and m["family_ref"] == "F-01"
    assert [a["person_ref"] for a in m["alternatives"]] == ["P-0002"]
    assert {n["role"] for n in m["pedigree"]} == {"donor", "mp"}
    assert "times more probable" in m["lr_in_words"]
    zero = app_client.get(f"/api/v1/candidates/{ids['p3_r3']}", headers=ana).json()
    assert zero["log10_lr"] == "-Inf" and zero["zero_markers"] == ["vWA"]
    assert any("LR is 0 at vWA" in w for w in zero["warnings"])


def test_search_by_alias_in_any_script(app_client: TestClient) -> None:
    h = _auth(app_client, "lia")

    def refs(q: str) -> list[str]:
        body = app_client.get("/api/v1/persons", params={"q": q}, headers=h).json()
        return [p["ref"] for p in body["persons"]]

    for q in ("Иван", "ivan petrov", "김철수", "KIM CHOLSU", "SN-000001"):
        assert refs(q) == ["P-0001"], q
    assert refs("сергей") == ["P-0003"]


def test_errors_are_json_without_traces(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = _auth(app_client, "ana")
    r = app_client.get("/api/v1/nowhere", headers=h)
    assert r.status_code == 404 and "there is no page" in _error(r)
    r = app_client.get("/api/v1/candidates/not-a-number", headers=h)
    assert r.status_code == 422 and "candidate_id" in _error(r)
    r = app_client.post(
        "/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    _error(r)

    from repatria.services import views

    def boom(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("secret internals at /srv/db with genotype 12/14")

    monkeypatch.setattr(views, "dashboard", boom)
    r = app_client.get("/api/v1/dashboard", headers=h)
    assert r.status_code == 500
    message = _error(r)
    assert "internal error" in message and "secret" not in r.text and "genotype" not in r.text


def test_openapi_schema_is_served_and_bodies_are_models(app_client: TestClient) -> None:
    schema = app_client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Repatria"
    assert "/api/v1/candidates/{candidate_id}/confirm" in schema["paths"]
    assert not any(p.startswith("/matches") for p in schema["paths"])  # pages are not API
    body = schema["paths"]["/api/v1/repatriations"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("RepatriationBody")
