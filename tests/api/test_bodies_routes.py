"""The API of bodies, re-associations, family versions and graves, on SQLite and PostgreSQL.

Roles as the commands enforce them, the two-person rule, and every refusal in words: 404 for
an unknown record, 409 for what the record's state does not allow, 403 for a role.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines, session_scope
from repatria.registry.models import AuditEvent, User
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from surface_data import USERS, password

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from exchange_case import MARKERS, people, write_case  # noqa: E402

API = "/api/v1"


@pytest.fixture
def exchange_client(registry_db: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The small exchange (two fragments of M1, a bag holding M2 and another) behind the app."""
    db = registry_db
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
    for name in USERS:
        set_password(db, name, password(name))
    import_case(db, write_case(tmp_path / "exchange"), actor="ana")
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        yield client, db
    dispose_engines()


def auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post(f"{API}/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def error(resp, status: int, words: str) -> None:  # noqa: ANN001
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and "Traceback" not in resp.text
    assert words in body["error"]["message"], body["error"]["message"]


def test_reassociation_routes_roles_two_person_and_refusals(
    exchange_client: tuple[TestClient, str],
) -> None:
    client, db = exchange_client
    ana, rev, rita, cas, lia = (auth(client, n) for n in ("ana", "rev", "rita", "cas", "lia"))
    error(client.get(f"{API}/bodies"), 401, "bearer token")
    listed = client.get(f"{API}/bodies", headers=lia).json()
    assert {b["ref"]: b["samples"] for b in listed} == {
        "V1A": ["V1A"],
        "V1B": ["V1B"],
        "BAG-7": ["V2", "V3"],
    }
    assert client.get(f"{API}/bodies/BAG-7", headers=lia).json()["body"]["items"] == ["BAG-7"]
    error(client.get(f"{API}/bodies/NOPE", headers=lia), 404, "there is no body 'NOPE'")

    merge = {"samples": ["V1A", "V1B"], "reason": "fragment LR", "anthropology": "one femur"}
    error(client.post(f"{API}/associations", json=merge, headers=rev), 403, "rev is a reviewer")
    r = client.post(f"{API}/associations", json=merge, headers=ana)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["status"] == "proposed" and a["evidence"]["anthropology"] == "one femur"
    assert a["evidence"]["fragment_log10_lr"]["samples"]["V1B"] > 6
    error(
        client.post(f"{API}/associations", json=merge | {"samples": ["V1A"]}, headers=ana),
        409,
        "at least two samples",
    )
    error(
        client.post(f"{API}/associations", json=merge | {"samples": ["V1A", "X9"]}, headers=ana),
        404,
        "there is no sample 'X9'",
    )
    error(client.post(f"{API}/associations/{a['id']}/confirm", json={}, headers=ana), 403, "")

    # the two-person rule: a proposer who became a reviewer still cannot confirm his proposal
    with session_scope(db) as s:
        s.execute(update(User).where(User.name == "ana").values(role="reviewer"))
    error(
        client.post(f"{API}/associations/{a['id']}/confirm", json={}, headers=ana),
        409,
        "two-person rule: ana proposed re-association",
    )
    with session_scope(db) as s:
        s.execute(update(User).where(User.name == "ana").values(role="analyst"))

    r = client.post(f"{API}/associations/{a['id']}/confirm", json={"reason": "ok"}, headers=rev)
    assert r.status_code == 200 and r.json()["body"] == "V1A", r.text
    error(
        client.post(f"{API}/associations/{a['id']}/confirm", json={}, headers=rita),
        409,
        "already confirmed",
    )
    error(
        client.post(f"{API}/associations/999/confirm", json={}, headers=rev),
        404,
        "no re-association 999",
    )
    error(client.get(f"{API}/associations/999", headers=rev), 404, "no re-association 999")
    # the fragment LRs are genetic evidence: not for a liaison officer
    error(client.get(f"{API}/associations/{a['id']}", headers=lia), 403, "liaison officer")
    assert client.get(f"{API}/bodies/V1A", headers=lia).json()["associations"] == []
    shown = client.get(f"{API}/bodies/V1A", headers=cas).json()
    assert shown["body"]["samples"] == ["V1A", "V1B"] and shown["merged_from"] == ["V1B"]
    assert [d["kind"] for d in shown["associations"][0]["decisions"]] == ["propose", "confirm"]
    assert shown["associations"][0]["decisions"][1] | {"at": None} == {
        "id": shown["associations"][0]["decisions"][1]["id"],
        "kind": "confirm",
        "by": "rev",
        "reason": "ok",
        "at": None,
    }

    # a bag holding two: split, a reason to reject, then rejected by a reviewer
    r = client.post(
        f"{API}/associations",
        json={"samples": ["V3"], "kind": "split", "reason": "two skulls"},
        headers=ana,
    )
    assert r.status_code == 201, r.text
    split = r.json()["id"]
    error(client.post(f"{API}/associations/{split}/reject", json={}, headers=rita), 422, "reason")
    r = client.post(
        f"{API}/associations/{split}/reject", json={"reason": "one skull"}, headers=rita
    )
    assert r.json()["status"] == "rejected"
    assert [
        x["id"] for x in client.get(f"{API}/associations?status=rejected", headers=cas).json()
    ] == [split]

    # revoke (a case manager may), and the samples go back to their bodies
    error(client.post(f"{API}/associations/{a['id']}/revoke", json={}, headers=cas), 422, "reason")
    error(
        client.post(f"{API}/associations/{a['id']}/revoke", json={"reason": "x"}, headers=ana),
        403,
        "",
    )
    r = client.post(
        f"{API}/associations/{a['id']}/revoke", json={"reason": "wrong bag"}, headers=cas
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    error(
        client.post(f"{API}/associations/{a['id']}/revoke", json={"reason": "x"}, headers=cas),
        409,
        "already revoked",
    )
    assert client.get(f"{API}/bodies/V1B", headers=lia).json()["body"]["samples"] == ["V1B"]

    # the fragment search proposes the group again, with its LR
    error(client.post(f"{API}/associations/search", json={}, headers=rev), 403, "")
    r = client.post(f"{API}/associations/search", json={"min_lr": 1e6}, headers=ana)
    assert r.status_code == 201, r.text
    found = r.json()
    assert len(found["proposals"]) == 1 and {(x["a"], x["b"]) for x in found["links"]} == {
        ("V1A", "V1B")
    }
    again = client.post(f"{API}/associations/search", json={}, headers=ana).json()
    assert again["proposals"] == [] and again["already_proposed"] == 1
    error(client.post(f"{API}/associations/search", json={"min_lr": 1}, headers=ana), 422, "min_lr")


def test_graves_route_records_a_numbered_grave(exchange_client: tuple[TestClient, str]) -> None:
    client, db = exchange_client
    cas, ana = auth(client, "cas"), auth(client, "ana")
    burial = {
        "kind": "burial",
        "occurred_on": "2025-06-02",
        "reason": "nobody claimed him",
        "cemetery": "Municipal cemetery",
        "plot": "B",
        "grave": "17",
    }
    error(client.post(f"{API}/bodies/V1A/disposition", json=burial, headers=ana), 403, "analyst")
    error(
        client.post(f"{API}/bodies/V1A/disposition", json=burial | {"grave": None}, headers=cas),
        409,
        "needs both its cemetery",
    )
    error(client.post(f"{API}/bodies/NOPE/disposition", json=burial, headers=cas), 404, "NOPE")
    r = client.post(f"{API}/bodies/V1A/disposition", json=burial, headers=cas)
    assert r.status_code == 201, r.text
    assert r.json()["grave"] == "Municipal cemetery, plot B, grave 17"
    error(client.post(f"{API}/bodies/V1A/disposition", json=burial, headers=cas), 409, "disposed")
    graves = client.get(f"{API}/graves", headers=auth(client, "lia")).json()
    assert graves == [
        {
            "cemetery": "Municipal cemetery",
            "plot": "B",
            "number": "17",
            "label": "Municipal cemetery, plot B, grave 17",
            "burials": [
                {
                    "body": "V1A",
                    "person": None,
                    "occurred_on": "2025-06-02",
                    "reason": "nobody claimed him",
                }
            ],
        }
    ]
    assert (
        client.get(f"{API}/bodies/V1A", headers=ana).json()["body"]["grave"] == graves[0]["label"]
    )


def test_family_version_routes(exchange_client: tuple[TestClient, str]) -> None:
    from repatria.services.workflows.identify import identify

    client, db = exchange_client
    ana, cas, rev, lia = (auth(client, n) for n in ("ana", "cas", "rev", "lia"))
    error(client.get(f"{API}/families", headers=lia), 403, "liaison officer")
    fams = client.get(f"{API}/families", headers=rev).json()
    assert [(f["ref"], f["version"], f["current"]) for f in fams] == [
        ("F1", 1, True),
        ("F2", 1, True),
    ]
    error(client.get(f"{API}/families/F9/versions", headers=rev), 404, "no reference family 'F9'")

    before = {(c.body, c.person): c.lr for c in identify(db, actor="ana").candidates}
    mother = {m: people()["D1M"][m] for m in MARKERS}
    ref = {"individual": "D1M", "reason": "her sample arrived", "genotypes": mother}
    error(client.post(f"{API}/families/F1/references", json=ref, headers=rev), 403, "reviewer")
    error(
        client.post(f"{API}/families/F1/references", json=ref | {"individual": "M1"}, headers=ana),
        409,
        "M1 is a missing person",
    )
    bad = ref | {"genotypes": {"L01": ["99", "10"]}}
    r = client.post(f"{API}/families/F1/references", json=bad, headers=ana)
    error(r, 409, "carries an allele at L01")
    assert "99" not in r.json()["error"]["message"]
    error(
        client.post(
            f"{API}/families/F1/references",
            json=ref | {"genotypes": {"X": ["10", "11"]}},
            headers=ana,
        ),
        409,
        "marker 'X'",
    )
    r = client.post(f"{API}/families/F1/references", json=ref, headers=ana)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["changes"] == ["reference profile of D1M added"]
    error(
        client.post(f"{API}/families/F1/references", json=ref, headers=ana),
        409,
        "donor D1M is already in the registry",
    )
    error(
        client.post(f"{API}/families/F1/references", json=ref | {"donor": "D1M-b"}, headers=ana),
        409,
        "D1M of family F1 is typed already",
    )
    after = {(c.body, c.person): c.lr for c in identify(db, actor="ana").candidates}
    assert after[("V1A", "M1")] > 100 * before[("V1A", "M1")]  # the mother's profile counts

    fix = {"individual": "M2", "father": "-", "mother": "-", "reason": "D2 is his uncle"}
    error(client.post(f"{API}/families/F2/corrections", json=fix, headers=rev), 403, "")
    error(
        client.post(
            f"{API}/families/F2/corrections",
            json=fix | {"father": "D2M", "mother": "D2M"},
            headers=cas,
        ),
        409,
        "not a valid pedigree",
    )
    error(
        client.post(f"{API}/families/F2/corrections", json=fix | {"individual": "Z"}, headers=cas),
        404,
        "no member 'Z'",
    )
    r = client.post(f"{API}/families/F2/corrections", json=fix, headers=cas)
    assert r.status_code == 201 and r.json()["version"] == 2, r.text

    history = client.get(f"{API}/families/F1/versions", headers=rev).json()
    assert [(v["version"], v["current"], v["changed_by"]) for v in history] == [
        (2, True, "ana"),
        (1, False, None),
    ]
    assert history[0]["change_reason"] == "her sample arrived: reference profile of D1M added"
    typed = {m["individual"]: m["typed"] for m in history[0]["members"]}
    assert typed == {"D1": True, "D1M": True, "M1": False}
    assert {m["individual"]: m["typed"] for m in history[1]["members"]}["D1M"] is False
    with session_scope(db) as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"families.add_reference", "families.correct", "family.read"} <= actions
