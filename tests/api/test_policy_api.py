"""The policy and batch-review routes of the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from surface_data import password


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_policy_routes(app_client: TestClient) -> None:
    ana, ada = _auth(app_client, "ana"), _auth(app_client, "ada")
    r = app_client.get("/api/v1/policy", headers=ana)
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["min_lr"] == 1e4
    assert app_client.post("/api/v1/policy", json={"min_lr": 1e6}, headers=ana).status_code == 403
    r = app_client.post("/api/v1/policy", json={"min_posterior": 1.5}, headers=ada)
    assert r.status_code in (409, 422) and "min_posterior" in r.text
    r = app_client.post("/api/v1/policy", json={"min_lr": 1e6, "note": "audit"}, headers=ada)
    assert r.status_code == 200 and r.json()["policy"]["version"] == 2
    assert app_client.get("/api/v1/policy", headers=ana).json()["min_lr"] == 1e6


def test_verdict_and_batch_routes(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _, ids = surface_db
    ana, rev = _auth(app_client, "ana"), _auth(app_client, "rev")
    cand = ids["p1_r1"]
    r = app_client.get(f"/api/v1/candidates/{cand}/verdict", headers=rev)
    assert r.status_code == 200
    body = r.json()
    assert body["verdict"]["policy_version"] == 1 and not body["verdict"]["meets"]
    assert any(line.startswith("references: failed") for line in body["lines"])
    r = app_client.post(f"/api/v1/candidates/{cand}/propose", json={}, headers=ana)
    assert r.status_code == 409
    message = r.json()["error"]["message"]
    assert message.startswith("candidate fails identification policy v1: ") and "--" not in message
    r = app_client.post("/api/v1/candidates/propose-batch", json={}, headers=ana)
    assert r.status_code == 200 and r.json()["proposed"] == []
    assert {k["candidate"] for k in r.json()["skipped"]} >= {cand}
    assert (
        app_client.post("/api/v1/candidates/propose-batch", json={}, headers=rev).status_code == 403
    )
