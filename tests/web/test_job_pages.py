"""The runs page: upload with per-line errors, start an identification run, watch its progress."""

from __future__ import annotations

import io
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_pages import login

from surface_data import USERS, password


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def empty_client(sqlite_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A registry with the surface case's users and nothing else."""
    from repatria.api.app import create_app
    from repatria.registry.db import dispose_engines
    from repatria.services.access.auth import set_password
    from repatria.services.access.users import add_user

    path = tmp_path / "empty.sqlite"
    shutil.copyfile(sqlite_template, path)
    db = f"sqlite:///{path}"
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
        set_password(db, name, password(name))
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        yield client
    dispose_engines()


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"{folder.name}/{p.name}")
    return buf.getvalue()


def test_an_analyst_uploads_a_case_starts_a_run_and_watches_it(empty_client: TestClient) -> None:
    app_client = empty_client
    login(app_client, "ana")
    page = app_client.get("/runs")
    case = Path(str(files("repatria"))) / "data" / "demo" / "exchange-2025-02"
    r = app_client.post(
        "/imports",
        data={"csrf_token": _csrf(page.text), "kind": "case"},
        files={"file": ("exchange.zip", _zip(case), "application/zip")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = app_client.get(r.headers["location"])
    assert "imported case" in page.text
    assert page.status_code == 200 and "Start an identification run" in page.text
    assert 'action="/imports"' in page.text and "a DVI case" in page.text
    assert "missing persons (TSV)" not in page.text  # analysts do not import persons
    r = app_client.post("/runs", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_url = r.headers["location"]
    deadline = time.monotonic() + 120
    while True:
        job = app_client.get(job_url)
        assert job.status_code == 200
        if 'http-equiv="refresh"' not in job.text:
            break
        assert "Now " in job.text or "Waiting" in job.text
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "Finished: run " in job.text, job.text
    assert "Traceback" not in job.text
    assert job_url.removeprefix("/jobs/") in app_client.get("/runs").text


def test_a_bad_upload_shows_every_error_and_writes_nothing(
    app_client: TestClient, surface_db
) -> None:  # noqa: ANN001
    from sqlalchemy import func, select

    from repatria.registry.db import session_scope
    from repatria.registry.models import Person

    def persons() -> int:
        with session_scope(surface_db[0], read=True) as s:
            return int(s.execute(select(func.count()).select_from(Person)).scalar_one())

    before = persons()
    login(app_client, "cas")
    page = app_client.get("/runs")
    assert "missing persons (TSV)" in page.text and "Start an identification run" not in page.text
    bad = "person_ref\tname\tsex\nP-0800\tA Person\tvolcano\n"
    r = app_client.post(
        "/imports",
        data={"csrf_token": _csrf(page.text), "kind": "persons"},
        files={"file": ("persons.tsv", bad.encode(), "text/plain")},
    )
    assert r.status_code == 422
    assert "Nothing was imported" in r.text and "persons.tsv" in r.text and "sex" in r.text
    assert persons() == before


def test_roles_without_runs_do_not_see_them(app_client: TestClient) -> None:
    login(app_client, "lia")
    assert app_client.get("/runs").status_code == 403
    assert 'href="/runs"' not in app_client.get("/").text
