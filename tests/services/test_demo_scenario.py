"""The bundled demo scenario loads into a new database (SQLite, PostgreSQL), filling every state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.errors import ServiceError
from repatria.registry.models import PERSON_STATES, REMAINS_STATES
from repatria.services.access.audit import verify_chains
from repatria.services.workflows.demo_scenario import DEMO_USERS, demo_file, load_demo
from repatria.services.workflows.review import candidate_state


def test_demo_loads_every_state_and_keeps_the_chains(registry_db: str) -> None:
    s = load_demo(registry_db)
    assert {role for _, role in DEMO_USERS} == {
        "admin",
        "analyst",
        "reviewer",
        "case_manager",
        "liaison_officer",
        "auditor",
    }
    assert set(s.states["persons"]) == set(PERSON_STATES)
    assert set(s.states["remains"]) == set(REMAINS_STATES)
    assert (s.n_pm, s.n_missing, s.n_families, s.n_markers) == (12, 10, 10, 23)
    assert s.confirmed and s.rejected and s.notified and s.repatriated and s.disposed
    agree, n = s.agree_with_truth
    assert agree == n == len(s.confirmed)
    assert len(s.account.claims) == 17
    assert s.account.counts["repatriated"] == len(s.repatriated)
    assert candidate_state(registry_db, s.proposed[0]).status == "confirmed"
    assert verify_chains(registry_db).ok
    with pytest.raises(ServiceError, match="fresh database"):
        load_demo(registry_db)


def test_demo_data_are_bundled_in_the_package() -> None:
    root = Path(str(demo_file("")))
    assert root.parts[-3:] == ("repatria", "data", "demo")
    for name in (
        "persons.tsv",
        "remains.tsv",
        "claims.tsv",
        "SOURCES.md",
        "truth.json",
        "exchange-2025-02/markers.json",
        "exchange-2025-02/donors.tsv",
    ):
        assert (root / name).is_file(), name
    persons = (root / "persons.tsv").read_text(encoding="utf-8")
    assert "|false|Cyrl|" in persons  # aliases in another script, with transliteration


def test_demo_command_recreates_its_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert (tmp_path / "repatria-demo.sqlite").is_file()
    assert set(out["account"]) == {"individuals", "counts", "claims", "tables"} and out["run"] == 1
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0, again.output
    assert (
        "published claims beside the registry" in again.stdout
        and "candidate matches" in again.stdout
    )
    # recreated, not appended to: still one run, one set of users
    acc = json.loads(
        runner.invoke(app, ["account", "--json", "--db", "repatria-demo.sqlite"]).stdout
    )
    assert acc["tables"]["identification_runs"] == 1 and acc["tables"]["users"] == len(DEMO_USERS)


def test_demo_prints_passwords_that_work_without_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Command contract (issue 18): `repatria demo --no-serve --json` prints the users with their
    # passwords, and those passwords log in on the same file later, served or not.
    from repatria.services.access.auth import login

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["demo", "--no-serve", "--json"])
    assert r.exit_code == 0, r.output
    users = json.loads(r.stdout)["users"]
    assert {(u["name"], u["role"]) for u in users} == set(DEMO_USERS)
    assert all(set(u) == {"name", "role", "password"} for u in users)
    db = f"sqlite:///{tmp_path / 'repatria-demo.sqlite'}"
    for u in users:
        token, who = login(db, u["name"], u["password"])
        assert token and who.name == u["name"]
