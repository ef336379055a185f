"""Uploads and background identification runs over the API (issue 18's command contract).

``POST /api/v1/imports`` stores a case folder (zip), a ``.fam`` or a registry TSV all or
nothing and answers 201 ``{"batch"}`` or 422 ``{"errors": [{"file", "line", "field",
"message"}]}``; ``POST /api/v1/runs`` starts an identification run (202 ``{"job"}``) whose
``GET /api/v1/jobs/{id}`` goes from queued or running to done, with counts.
"""

from __future__ import annotations

import io
import time
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from repatria.api.app import create_app
from repatria.registry.db import session_scope
from repatria.registry.models import ImportBatch, Job, Person, Sample
from surface_data import USERS, password

DEMO_CASE = Path(str(files("repatria"))) / "data" / "demo" / "exchange-2025-02"


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _zip(folder: Path, top: str = "case", change: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            text = (change or {}).get(p.name)
            z.writestr(f"{top}/{p.name}", text if text is not None else p.read_bytes())
    return buf.getvalue()


def _count(db: str, model: type) -> int:
    with session_scope(db, read=True) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _wait(client: TestClient, job: int, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 120
    seen = set()
    while True:
        r = client.get(f"/api/v1/jobs/{job}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen.add(body["state"])
        assert body["state"] in ("queued", "running", "done", "failed")
        assert 0 <= body["done"] <= max(body["total"], 1)
        if body["state"] in ("done", "failed"):
            body["seen"] = seen
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


@pytest.fixture
def client(registry_db: str):  # noqa: ANN201
    from repatria.services.access.auth import set_password
    from repatria.services.access.users import add_user

    add_user(registry_db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(registry_db, name, role, actor="ada")
        set_password(registry_db, name, password(name))
    with TestClient(create_app(registry_db), raise_server_exceptions=False) as c:
        yield c, registry_db


def test_a_zipped_case_folder_imports_and_a_run_goes_to_done(client) -> None:  # noqa: ANN001
    c, db = client
    ana = _auth(c, "ana")
    samples = _count(db, Sample)
    r = c.post(
        "/api/v1/imports",
        headers=ana,
        data={"kind": "case"},
        files={"file": ("exchange.zip", _zip(DEMO_CASE), "application/zip")},
    )
    assert r.status_code == 201, r.text
    batch = r.json()["batch"]
    assert isinstance(batch, int) and _count(db, Sample) > samples
    again = c.post(
        "/api/v1/imports",
        headers=ana,
        data={"kind": "case"},
        files={"file": ("exchange.zip", _zip(DEMO_CASE), "application/zip")},
    )
    assert again.status_code == 201 and again.json() == {**again.json(), "batch": batch}
    assert again.json()["already_imported"] is True

    r = c.post("/api/v1/runs", headers=ana, json={"top": 5})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    done = _wait(c, job, _auth(c, "rev"))  # a reviewer may watch what she will review
    assert done["state"] == "done", done
    assert done["done"] == done["total"] >= 1 and done["result"]["run"] >= 1
    assert done["submitted_by"] == "ana" and "candidates" in done["message"]
    with session_scope(db, read=True) as s:
        assert s.get(Job, job).finished_at is not None


def test_a_bad_upload_is_refused_by_file_line_and_field_and_writes_nothing(client) -> None:  # noqa: ANN001
    c, db = client
    ana, cas = _auth(c, "ana"), _auth(c, "cas")
    pm = (DEMO_CASE / "pm.tsv").read_text().splitlines()
    pm[-1] = pm[-1].split("\t")[0] + "\tnot-an-allele/x" + "\t" * 2
    before = (_count(db, ImportBatch), _count(db, Sample))
    r = c.post(
        "/api/v1/imports",
        headers=ana,
        data={"kind": "case"},
        files={"file": ("broken.zip", _zip(DEMO_CASE, change={"pm.tsv": "\n".join(pm)}), "x")},
    )
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert set(error) == {"file", "line", "field", "message"}
    assert error["file"] == "case/pm.tsv" and error["line"] == len(pm)
    assert "repatria-upload" not in r.text and "not-an-allele" not in error["message"]
    assert (_count(db, ImportBatch), _count(db, Sample)) == before

    persons = "person_ref\tname\tsex\nP-0900\tA Person\tmale\nP-0901\tB Person\tvolcano\n"
    before_p = _count(db, Person)
    r = c.post(
        "/api/v1/imports",
        headers=cas,
        data={"kind": "persons"},
        files={"file": ("persons.tsv", persons.encode(), "text/tab-separated-values")},
    )
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert (error["file"], error["line"], error["field"]) == ("persons.tsv", 3, "sex")
    assert _count(db, Person) == before_p
    good = persons.replace("volcano", "female")
    r = c.post(
        "/api/v1/imports",
        headers=cas,
        data={"kind": "persons"},
        files={"file": ("persons.tsv", good.encode(), "text/tab-separated-values")},
    )
    assert r.status_code == 201, r.text
    assert _count(db, Person) == before_p + 2


@pytest.mark.parametrize(
    ("name", "payload", "words"),
    [
        ("evil.zip", "../escape.tsv", "leaves its folder"),
        ("notes.txt", None, ".zip of a case folder or a .fam"),
        ("junk.zip", b"PK-not-really", "not a zip archive"),
    ],
)
def test_unsafe_or_unknown_case_uploads_are_refused(client, name, payload, words) -> None:  # noqa: ANN001
    c, _ = client
    if isinstance(payload, str):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(payload, "x")
        data = buf.getvalue()
    else:
        data = payload or b"hello"
    r = c.post(
        "/api/v1/imports",
        headers=_auth(c, "ana"),
        data={"kind": "case"},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert r.status_code == 422, r.text
    assert words in r.json()["errors"][0]["message"]


def test_roles_decide_who_uploads_starts_runs_and_watches(client) -> None:  # noqa: ANN001
    c, _ = client
    persons = b"person_ref\tname\nP-0950\tC Person\n"
    r = c.post(
        "/api/v1/imports",
        headers=_auth(c, "ana"),  # an analyst imports cases and claims, not persons
        data={"kind": "persons"},
        files={"file": ("persons.tsv", persons, "text/plain")},
    )
    assert r.status_code == 403, r.text
    lia = _auth(c, "lia")
    r = c.post("/api/v1/imports", headers=lia, data={"kind": "claims"}, files={"file": ("c", b"")})
    assert r.status_code == 403
    assert c.post("/api/v1/runs", headers=_auth(c, "rev")).status_code == 403
    assert c.post("/api/v1/runs").status_code == 401
    job = c.post("/api/v1/runs", headers=_auth(c, "ana")).json()["job"]
    assert c.get(f"/api/v1/jobs/{job}", headers=lia).status_code == 403
    assert c.get("/api/v1/jobs/999999", headers=_auth(c, "ana")).status_code == 404
    _wait(c, job, _auth(c, "ana"))


def test_a_job_left_running_by_a_stopped_server_is_reported_interrupted(client) -> None:  # noqa: ANN001
    import datetime as dt

    from repatria.services.workflows import jobs

    c, db = client
    with session_scope(db) as s:
        old = dt.datetime.now(dt.UTC) - jobs.STALE - dt.timedelta(minutes=1)
        job = Job(kind="identify", state="running", step="pairwise", done=3, total=9)
        job.submitted_by_id, job.message, job.updated_at, job.created_at = 2, "", old, old
        s.add(job)
        s.flush()
        job_id = job.id
    body = c.get(f"/api/v1/jobs/{job_id}", headers=_auth(c, "ana")).json()
    assert body["state"] == "failed" and body["message"].startswith("interrupted")


def test_a_run_takes_the_models_and_priors_of_the_command(client) -> None:  # noqa: ANN001
    from repatria.registry.models import IdentificationRun

    c, db = client
    ana = _auth(c, "ana")
    r = c.post(
        "/api/v1/imports",
        headers=ana,
        data={"kind": "case"},
        files={"file": ("exchange.zip", _zip(DEMO_CASE), "application/zip")},
    )
    assert r.status_code == 201, r.text
    # refused before anything is queued, naming the field
    for body, field in (
        ({"dropout": "lots"}, "dropout"),
        ({"match_prior": "2"}, "match_prior"),
        ({"non_dna_prior": True}, "match_prior"),
    ):
        jobs_before = _count(db, Job)
        r = c.post("/api/v1/runs", headers=ana, json=body)
        assert r.status_code == 422, r.text
        assert field in r.text and _count(db, Job) == jobs_before
    r = c.post(
        "/api/v1/runs",
        headers=ana,
        json={
            "top": 5,
            "dropout": "0.1",
            "match_prior": "0.5",
            "prior_sensitivity": True,
            "non_dna_prior": True,
            "direct_references": False,
        },
    )
    assert r.status_code == 202, r.text
    done = _wait(c, r.json()["job"], ana)
    assert done["state"] == "done", done
    with session_scope(db, read=True) as s:
        run = s.get(IdentificationRun, done["result"]["run"])
        assert run is not None
        params = run.parameters
    assert params["prior_sensitivity"] and params["non_dna_prior"]
    assert params["match_prior"] == {"from": "given", "p": 0.5}
    assert params["direct_references"] == "left out"
    assert "dropout" in params
