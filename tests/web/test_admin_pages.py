"""The admin's users page and the auditor's audit page, over HTTP and the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text
from test_pages import login

from repatria.registry.db import get_engine
from surface_data import password


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _token(client: TestClient, name: str, pw: str | None = None) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": pw or password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_an_admin_adds_and_disables_a_user_in_the_page(app_client: TestClient) -> None:
    token = login(app_client, "ada")
    page = app_client.get("/users")
    assert page.status_code == 200 and "rita" in page.text and "Add user" in page.text
    r = app_client.post(
        "/users",
        data={"csrf_token": token, "name": "nina", "role": "reviewer", "password": "short"},
    )
    assert r.status_code == 409 and "at least 8 characters" in r.text
    assert "nina" not in r.text.split("<h2>Add a user")[0]  # a refused password adds nobody
    r = app_client.post(
        "/users",
        data={"csrf_token": token, "name": "nina", "role": "reviewer", "password": "nina-pw-123"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "added nina as reviewer" in app_client.get(r.headers["location"]).text
    nina = _token(app_client, "nina", "nina-pw-123")
    assert app_client.get("/api/v1/me", headers=nina).status_code == 200
    r = app_client.post("/users/nina/disable", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert app_client.get("/api/v1/me", headers=nina).status_code == 401  # token revoked
    assert "disabled on" in app_client.get("/users").text


def test_users_over_the_api_for_admins_only(app_client: TestClient) -> None:
    ada = _token(app_client, "ada")
    r = app_client.post(
        "/api/v1/users",
        headers=ada,
        json={"name": "omar", "role": "analyst", "password": "omar-pw-123"},
    )
    assert r.status_code == 201 and r.json()["role"] == "analyst" and r.json()["has_password"]
    assert any(a["name"] == "omar" for a in app_client.get("/api/v1/users", headers=ada).json())
    r = app_client.post(
        "/api/v1/users", headers=ada, json={"name": "x", "role": "overlord", "password": "p" * 9}
    )
    assert r.status_code == 422
    assert app_client.get("/api/v1/users", headers=_token(app_client, "rev")).status_code == 403
    r = app_client.post("/api/v1/users/omar/disable", headers=ada)
    assert r.status_code == 200 and r.json()["disabled_at"] is not None


def test_the_auditor_reads_the_log_and_verification_names_a_break(
    app_client: TestClient,
    surface_db,  # noqa: ANN001
) -> None:
    token = login(app_client, "aud")
    page = app_client.get("/audit")
    assert page.status_code == 200 and "users.add" in page.text
    r = app_client.post("/audit/verify", data={"csrf_token": token})
    assert r.status_code == 200 and "Every chain is intact" in r.text
    with get_engine(surface_db[0]).begin() as conn:  # an insider edits a state directly
        conn.execute(text("UPDATE persons SET status = 'identified' WHERE ref = 'P-0003'"))
    r = app_client.post("/audit/verify", data={"csrf_token": token})
    assert "problem" in r.text and "P-0003" in r.text
    api = app_client.post("/api/v1/audit/verify", headers=_token(app_client, "aud")).json()
    assert api["ok"] is False and any("P-0003" in b for b in api["breaks"])
    login(app_client, "ana")
    assert app_client.get("/audit").status_code == 403
