"""``POST /api/v1/screens``: a screen of an imported case as a background job (issue 18), with
the dropout options of issue 13, on SQLite and PostgreSQL. ``POST /api/v1/runs`` and
``GET /api/v1/jobs/{id}`` keep issue 18's contract."""

from __future__ import annotations

from test_jobs_and_uploads import DEMO_CASE, _auth, _wait, _zip, client  # noqa: F401

from repatria.registry.db import session_scope
from repatria.registry.models import IdentificationRun


def _import(c, headers: dict[str, str]) -> None:  # noqa: ANN001
    r = c.post(
        "/api/v1/imports",
        headers=headers,
        data={"kind": "case"},
        files={"file": ("exchange.zip", _zip(DEMO_CASE), "application/zip")},
    )
    assert r.status_code == 201, r.text


def test_a_screen_started_over_the_api_goes_to_done_with_its_run(client) -> None:  # noqa: ANN001, F811
    c, db = client
    ana = _auth(c, "ana")
    _import(c, ana)
    r = c.post(
        "/api/v1/screens",
        headers=ana,
        data={"min_lr": "1", "top": "5", "dropout": "0.05", "drop_in": "0.01"},
        files={"file": ("exchange.zip", _zip(DEMO_CASE), "application/zip")},
    )
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"job"}
    done = _wait(c, r.json()["job"], _auth(c, "rev"))
    assert done["state"] == "done", done
    assert done["kind"] == "screen" and done["done"] == done["total"] >= 1
    assert done["result"]["candidates"] >= 1 and done["message"].startswith("screening run")
    with session_scope(db, read=True) as s:
        run = s.get(IdentificationRun, done["result"]["run"])
        assert run.parameters["kind"] == "screen" and run.parameters["top"] == 5
        assert run.parameters["dropout"]["default"] == 0.05
        assert run.parameters["dropout"]["drop_in"] == 0.01
    # the identification run's contract is as it was
    r = c.post("/api/v1/runs", headers=ana, json={"top": 5})
    assert r.status_code == 202 and set(r.json()) == {"job"}
    assert _wait(c, r.json()["job"], ana)["state"] == "done"


def test_screens_are_refused_in_the_users_words(client) -> None:  # noqa: ANN001, F811
    c, _ = client
    ana = _auth(c, "ana")
    zipped = ("exchange.zip", _zip(DEMO_CASE), "application/zip")
    r = c.post("/api/v1/screens", headers=ana, files={"file": zipped})
    assert r.status_code == 409, r.text  # not imported yet
    assert "not a case the registry imported" in r.json()["error"]["message"]
    assert "repatria-screen" not in r.text
    _import(c, ana)
    rev = _auth(c, "rev")
    assert c.post("/api/v1/screens", headers=rev, files={"file": zipped}).status_code == 403
    assert c.post("/api/v1/screens", files={"file": zipped}).status_code == 401
    r = c.post("/api/v1/screens", headers=ana, data={"dropout": "often"}, files={"file": zipped})
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["field"] == "dropout" and "estimate" in error["message"]
    r = c.post("/api/v1/screens", headers=ana, files={"file": ("junk.zip", b"PK-no", "x")})
    assert r.status_code == 422 and r.json()["errors"][0]["file"] == "junk.zip"
    r = c.post("/api/v1/screens", headers=ana, data={"top": "-1"}, files={"file": zipped})
    assert r.status_code == 422
