"""``GET /api/v1/persons``, the ``/persons`` page and ``repatria persons search``: one contract,
``{"persons": [{ref, names, documents, status}], "total", "next"}``, paged to the last of 145
persons, sortable and exportable as CSV, on SQLite and PostgreSQL (issue 15)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from person_search_data import N_PERSONS, write_persons  # noqa: E402

from repatria.cli.main import app  # noqa: E402
from repatria.services.access.auth import set_password  # noqa: E402
from repatria.services.access.users import add_user  # noqa: E402
from repatria.services.workflows.imports import import_persons  # noqa: E402

runner = CliRunner()


@pytest.fixture
def persons_app(registry_db: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    from repatria.api.app import create_app

    add_user(registry_db, "cas", "case_manager")
    add_user(registry_db, "ana", "analyst")
    set_password(registry_db, "ana", "ana-secret-password")
    import_persons(registry_db, write_persons(tmp_path / "persons.tsv"), actor="cas")
    with TestClient(create_app(registry_db), raise_server_exceptions=False) as client:
        yield client, registry_db


def _token(client: TestClient) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": "ana", "password": "ana-secret-password"})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_the_api_pages_through_every_person_without_stopping_at_100(
    persons_app: tuple[TestClient, str],
) -> None:
    client, _ = persons_app
    h = _token(client)
    seen: list[str] = []
    params: dict[str, object] = {"limit": 40}
    while True:
        r = client.get("/api/v1/persons", params=params, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"persons", "total", "next"} and body["total"] == N_PERSONS
        assert all({"ref", "names", "documents", "status"} <= set(p) for p in body["persons"])
        seen += [p["ref"] for p in body["persons"]]
        if body["next"] is None:
            assert 'rel="next"' not in r.headers.get("link", "")
            break
        assert 'rel="next"' in r.headers["link"]
        params = {"limit": 40, "cursor": body["next"]}
    assert seen == [f"P-{i:04d}" for i in range(1, N_PERSONS + 1)]


@pytest.mark.parametrize(
    "q", ["Kim Chol Su", "김 철수", "Kim Chol-su", "김철수", "RF-0448213", "РФ-0448213"]
)
def test_the_api_finds_the_soldier_by_any_spelling_or_paper(
    persons_app: tuple[TestClient, str], q: str
) -> None:
    client, _ = persons_app
    body = client.get("/api/v1/persons", params={"q": q}, headers=_token(client)).json()
    assert [p["ref"] for p in body["persons"]] == ["P-0001"] and body["total"] == 1
    assert body["next"] is None
    assert body["persons"][0]["documents"][0]["number"] == "RF-0448213"


def test_csv_sort_and_bad_requests(persons_app: tuple[TestClient, str]) -> None:
    client, _ = persons_app
    h = _token(client)
    r = client.get("/api/v1/persons", params={"format": "csv", "sort": "-ref"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert len(lines) == N_PERSONS + 1 and lines[1].startswith("P-0145,")
    r = client.get("/api/v1/persons", params={"sort": "genotype"}, headers=h)
    assert r.status_code == 422
    assert "cannot sort by" in r.text and "Traceback" not in r.text
    r = client.get("/api/v1/persons", params={"cursor": "%%%"}, headers=h)
    assert r.status_code == 422 and "not valid" in r.text
    r = client.get("/api/v1/persons", params={"limit": 501}, headers=h)
    assert r.status_code == 422


def test_the_page_has_next_previous_sort_and_csv(persons_app: tuple[TestClient, str]) -> None:
    client, _ = persons_app
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"name": "ana", "password": "ana-secret-password", "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/persons")
    assert page.status_code == 200, page.text
    assert f"of {N_PERSONS} persons" in page.text and 'rel="next"' in page.text
    assert 'rel="prev"' not in page.text and "format=csv" in page.text
    assert "sort=-ref" in page.text  # the Reference header sorts the other way
    nxt = page.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(nxt)
    assert 'rel="prev"' in second.text and "P-0051" in second.text
    csv_ = client.get("/persons", params={"q": "김 철수", "format": "csv"})
    assert csv_.text.splitlines()[1].startswith("P-0001,")


def test_the_cli_contract(persons_app: tuple[TestClient, str]) -> None:
    _, db = persons_app
    r = runner.invoke(app, ["persons", "search", "Kim Chol Su", "--json", "--db", db])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert set(body) == {"persons", "total", "next"}
    assert [p["ref"] for p in body["persons"]] == ["P-0001"] and body["next"] is None
    assert {"ref", "names", "documents", "status"} <= set(body["persons"][0])
    seen: list[str] = []
    cursor: list[str] = []
    while True:
        r = runner.invoke(
            app, ["persons", "search", "P-01", "--limit", "20", *cursor, "--json", "--db", db]
        )
        body = json.loads(r.stdout)
        seen += [p["ref"] for p in body["persons"]]
        if body["next"] is None:
            break
        cursor = ["--cursor", body["next"]]
    # "P-01" is a prefix of P-0100 ... P-0145
    assert seen == [f"P-{i:04d}" for i in range(100, N_PERSONS + 1)] and body["total"] == 46
    r = runner.invoke(app, ["persons", "search", "x", "--cursor", "bad", "--db", db])
    assert r.exit_code == 1 and "not valid" in r.output and "Traceback" not in r.output
