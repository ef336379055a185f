"""``GET /api/v1/families/{ref}/power`` and ``GET /api/v1/programme/power``, on SQLite and
PostgreSQL: the answer's keys, the policy's threshold, paging, CSV, a 403 for a role that may
not read families, a 404 in words, and an audit event per read."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines, session_scope
from repatria.registry.models import AuditEvent
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from surface_data import USERS, password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import write_case  # noqa: E402

API = "/api/v1"


@pytest.fixture
def client(registry_db: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    db = registry_db
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
    for name in USERS:
        set_password(db, name, password(name))
    import_case(db, write_case(tmp_path / "exchange"), actor="ana")
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        yield c, db
    dispose_engines()


def auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post(f"{API}/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _events(db: str, action: str) -> int:
    with session_scope(db) as s:
        return len(s.execute(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_family_power_route(client: tuple[TestClient, str]) -> None:
    c, db = client
    r = c.get(f"{API}/families/F2/power?sims=20&seed=4", headers=auth(c, "ana"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["family"], body["sims"], body["seed"], body["threshold"]) == ("F2", 20, 4, 1e4)
    assert body["threshold_source"] == "policy v1 min_lr"
    (mp,) = body["missing_persons"]
    assert mp["missing"] == "M2" and mp["candidates"][0]["relationship"] == "current references"
    assert {"p_lr_above", "expected_log10_lr", "exclusion_power"} <= set(mp["candidates"][1])
    again = c.get(f"{API}/families/F2/power?sims=20&seed=4", headers=auth(c, "aud")).json()
    assert again == body
    assert _events(db, "family.power") == 2


def test_refusals(client: tuple[TestClient, str]) -> None:
    c, _ = client
    lia = auth(c, "lia")  # a liaison officer speaks with families; he does not weigh evidence
    for path in ("/families/F1/power", "/programme/power"):
        r = c.get(f"{API}{path}", headers=lia)
        assert r.status_code == 403 and "liaison officer" in r.json()["error"]["message"]
        assert c.get(f"{API}{path}").status_code == 401
    ana = auth(c, "ana")
    r = c.get(f"{API}/families/NOPE/power", headers=ana)
    assert r.status_code == 404 and "no reference family 'NOPE'" in r.json()["error"]["message"]
    assert c.get(f"{API}/families/F1/power?sims=0", headers=ana).status_code == 422
    assert c.get(f"{API}/families/F1/power?sims=100000", headers=ana).status_code == 422
    assert c.get(f"{API}/programme/power?below=2", headers=ana).status_code == 422


def test_programme_route_pages_and_csv(client: tuple[TestClient, str]) -> None:
    c, db = client
    h = auth(c, "rev")
    q = "threshold=1e8&sims=10"
    r = c.get(f"{API}/programme/power?{q}&limit=1&sort=family", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sims"] == 10 and body["total"] == 2 and body["considered"] == 2
    assert [f["family"] for f in body["families"]] == ["F1"] and body["next"]
    assert body["families"][0]["best_relative"] == "mother"
    nxt = c.get(f"{API}/programme/power?{q}&limit=1&sort=family&cursor={body['next']}", headers=h)
    assert [f["family"] for f in nxt.json()["families"]] == ["F2"]
    csv = c.get(f"{API}/programme/power?{q}&format=csv", headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("family,version,missing") and len(lines) == 3
    none = c.get(f"{API}/programme/power?below=0.01&sims=10", headers=h).json()
    assert none["families"] == [] and none["threshold_source"] == "policy v1 min_lr"
    assert _events(db, "programme.power") == 4
