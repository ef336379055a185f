"""Issue 16, accounts: throttled logins (by account and address) audited in their own
transaction, tokens revoked on a password change, API logout, renewal and revoke-all, disabled
users, and API tokens that live an hour."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from repatria.services.access import auth
from repatria.services.access.audit import read_audit_log
from surface_data import password


def _token(client: TestClient, name: str, pw: str | None = None) -> str:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": pw or password(name)})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_failed_logins_are_audited_and_throttled_per_account(
    app_client: TestClient, surface_db
) -> None:  # noqa: ANN001
    db, _ = surface_db
    for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
        r = app_client.post("/api/v1/auth/token", json={"name": "ana", "password": "wrong-pass"})
        assert r.status_code == 401
    # the right password is now refused too, without being checked
    r = app_client.post("/api/v1/auth/token", json={"name": "ana", "password": password("ana")})
    assert r.status_code == 401 and "too many failed logins" in r.text
    actions = [e.action for e in read_audit_log(db, actor="aud", limit=50)]
    assert actions.count("auth.login_failed") >= auth.MAX_FAILURES_PER_ACCOUNT + 1
    # another account from another address is not locked out
    assert _me(app_client, _token(app_client, "rev")) == 200


def test_throttled_per_address(surface_db, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    db, _ = surface_db
    monkeypatch.setattr(auth, "MAX_FAILURES_PER_ADDRESS", 3)
    for k in range(3):
        with pytest.raises(auth.AuthError, match="wrong name or password"):
            auth.login(db, f"user{k}", "wrong-pass", address="10.0.0.9")
    with pytest.raises(auth.AuthError, match="too many failed logins"):
        auth.login(db, "ana", password("ana"), address="10.0.0.9")
    auth.login(db, "ana", password("ana"), address="10.0.0.10")


def test_password_change_revokes_tokens(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    db, _ = surface_db
    tok = _token(app_client, "ana")
    assert _me(app_client, tok) == 200
    auth.set_password(db, "ana", "a-new-password")
    assert _me(app_client, tok) == 401
    assert _me(app_client, _token(app_client, "ana", "a-new-password")) == 200


def test_logout_renew_and_revoke_all(app_client: TestClient) -> None:
    a, b = _token(app_client, "rev"), _token(app_client, "rev")
    r = app_client.post("/api/v1/auth/renew", headers={"Authorization": f"Bearer {a}"})
    assert r.status_code == 200 and r.json()["expires_in"] == 3600
    renewed = r.json()["token"]
    assert _me(app_client, a) == 401 and _me(app_client, renewed) == 200
    r = app_client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {renewed}"})
    assert r.status_code == 200 and _me(app_client, renewed) == 401
    assert _me(app_client, b) == 200
    r = app_client.post("/api/v1/auth/revoke-all", headers={"Authorization": f"Bearer {b}"})
    assert r.json() == {"revoked": 1} and _me(app_client, b) == 401


def test_a_disabled_user_cannot_log_in_or_use_a_token(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    db, _ = surface_db
    tok = _token(app_client, "lia")
    auth.disable_user(db, "lia", actor="ada")
    assert _me(app_client, tok) == 401
    r = app_client.post("/api/v1/auth/token", json={"name": "lia", "password": password("lia")})
    assert r.status_code == 401


def test_api_tokens_live_an_hour() -> None:
    assert auth.TOKEN_LIFETIME["api"] == dt.timedelta(hours=1)
