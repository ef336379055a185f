"""Notification before handover and burial over the API, on SQLite and PostgreSQL (issue 15)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from repatria.api.app import create_app
from repatria.policy.record import IdentificationPolicy
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch
from repatria.services.workflows import disclosure
from surface_data import load_case, password

FINDING = "misattributed relationship: the exclusions concentrate on D-01 (father)"
TOLD_WORDS = "a family relationship is not as it was recorded"


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _error(resp) -> str:  # noqa: ANN001
    assert "Traceback" not in resp.text
    return resp.json()["error"]["message"]


@pytest.fixture
def api(registry_db: str, tmp_path: Path):  # noqa: ANN201
    ids = load_case(registry_db, tmp_path)
    with TestClient(create_app(registry_db), raise_server_exceptions=False) as client:
        h = {n: _auth(client, n) for n in ("ana", "rev", "lia", "cas", "aud")}
        cand = ids["p1_r1"]
        # The hand-recorded candidate stores no references: it fails the policy, overridden.
        why = {"override": "test data: no references stored with the candidate"}
        assert client.post(
            f"/api/v1/candidates/{cand}/propose", json=why, headers=h["ana"]
        ).is_success
        r = client.post(
            f"/api/v1/candidates/{cand}/confirm", json={"reason": "LR", **why}, headers=h["rev"]
        )
        assert r.status_code == 200, r.text
        yield client, h, ids, registry_db


def test_handover_refused_until_told_unless_a_reason_is_given(api) -> None:  # noqa: ANN001
    client, h, _ids, _db = api
    body = {"remains": ["R-0001"], "kind": "handover", "counterpart": "f", "occurred_on": "2025-04"}
    r = client.post("/api/v1/repatriations", json=body, headers=h["cas"])
    assert r.status_code == 409
    assert _error(r).startswith("handover refused: the family of P-0001 (김철수) has not been told")
    v = client.get("/api/v1/notifications", headers=h["lia"]).json()
    assert [t["person_ref"] for t in v["tasks"]] == ["P-0001"]
    assert v["summary"] == "1 family is still to be told."

    reason = "the exchange cannot wait; the family is in the north"
    r = client.post(
        "/api/v1/repatriations", json={**body, "without_notification": reason}, headers=h["cas"]
    )
    assert r.status_code == 201, r.text
    assert r.json()["without_notification"] == ["P-0001"]
    assert r.json()["message"].endswith(f"families not told: P-0001 ({reason})")
    v = client.get("/api/v1/notifications", headers=h["cas"]).json()
    assert v["tasks"] == [] and "Every" not in v["summary"]
    (e,) = v["exceptions"]
    assert (e["person_ref"], e["reason"], e["by"]) == ("P-0001", reason, "cas")
    reps = client.get("/api/v1/repatriations", headers=h["aud"]).json()
    assert reps["done"][0]["without_notification"][0]["reason"] == reason


def test_exceptions_contact_and_flagged_routes(api) -> None:  # noqa: ANN001
    client, h, _ids, _db = api
    r = client.post(
        "/api/v1/persons/P-0002/notification-exceptions", json={"reason": "x"}, headers=h["lia"]
    )
    assert r.status_code == 409 and "no confirmed identification" in _error(r)
    r = client.post(
        "/api/v1/persons/P-0001/notification-exceptions", json={"reason": "x"}, headers=h["ana"]
    )
    assert r.status_code == 403

    r = client.post(
        "/api/v1/donors/D-02/contact-declined", json={"reason": "her letter"}, headers=h["lia"]
    )
    assert r.status_code == 201 and "does not want to be contacted" in r.json()["message"]
    told = {"method": "phone", "notified_on": "2025-03-01"}
    r = client.post(
        "/api/v1/persons/P-0001/notifications",
        json={**told, "recipient_donor": "D-02"},
        headers=h["lia"],
    )
    assert r.status_code == 409 and _error(r).startswith("donor D-02 does not want to be contacted")
    r = client.post(
        "/api/v1/persons/P-0001/notifications",
        json={**told, "recipient": "Kim Young-hee"},
        headers=h["lia"],
    )
    assert r.status_code == 409 and "Kim" not in _error(r)  # refused by name, named by ref
    task = client.get("/api/v1/notifications", headers=h["lia"]).json()["tasks"][0]
    assert {r["donor"]: r["declines_contact"] for r in task["references"]} == {
        "D-01": False,
        "D-02": True,
    }
    r = client.post(
        "/api/v1/persons/P-0001/notifications",
        json={**told, "recipient_donor": "D-01"},
        headers=h["lia"],
    )
    assert r.status_code == 201 and r.json()["recipient"] == "Kim Dae-ho"

    assert client.get("/api/v1/identifications/flagged", headers=h["rev"]).json() == {"flagged": []}
    assert client.get("/api/v1/identifications/flagged", headers=h["lia"]).status_code == 403


def test_disposition_route_needs_a_reason_for_open_candidates(api) -> None:  # noqa: ANN001
    client, h, ids, _db = api
    body = {"remains": "R-0003", "kind": "burial", "occurred_on": "2025-05", "reason": "unclaimed"}
    r = client.post("/api/v1/dispositions", json=body, headers=h["cas"])
    assert r.status_code == 409
    assert f"candidates for it are still open ({ids['p3_r3']}: P-0003)" in _error(r)
    r = client.post(
        "/api/v1/dispositions",
        json={**body, "despite_open_candidates": "the cemetery closes the plot"},
        headers=h["cas"],
    )
    assert r.status_code == 201 and r.json()["open_candidates"] == [ids["p3_r3"]]


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages
    )


def test_findings_about_relatives_are_not_told_unless_the_policy_allows(
    api,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    client, h, ids, db = api
    with session_scope(db) as s:
        c = s.execute(select(CandidateMatch).where(CandidateMatch.id == ids["p1_r1"])).scalar_one()
        c.evidence = {
            **(c.evidence or {}),
            "checks": [{"check": "misattributed relationship", "message": FINDING}],
            "warnings": [FINDING],
        }
    url = f"/api/v1/reports/family-letter/{ids['p1_r1']}.pdf"
    r = client.get(url, headers=h["lia"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = _pdf_text(r.content)
    assert TOLD_WORDS not in text and "misattributed" not in text and "D-01" not in text
    task = client.get("/api/v1/notifications", headers=h["lia"]).json()["tasks"][0]
    assert task["findings"] == []
    report = f"/api/v1/reports/identification/{ids['p1_r1']}.pdf"
    assert "misattributed" not in _pdf_text(client.get(report, headers=h["lia"]).content)
    assert (
        client.get(
            f"/api/v1/reports/family-letter/{ids['p2_r2']}.pdf", headers=h["lia"]
        ).status_code
        == 404
    )

    allowed = IdentificationPolicy(disclose_relationship_findings=True)
    monkeypatch.setattr(disclosure, "current_policy", lambda session: allowed)
    assert TOLD_WORDS in _pdf_text(client.get(url, headers=h["lia"]).content)
    task = client.get("/api/v1/notifications", headers=h["lia"]).json()["tasks"][0]
    assert len(task["findings"]) == 1 and "misattributed" not in task["findings"][0]
