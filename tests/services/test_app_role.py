"""Issue 16: on PostgreSQL the application writes as a role that cannot change the schema.

The migration role (``registry_roles.owner``) migrates and grants; the application role
(``registry_roles.app``) runs every workflow but can neither drop nor disable a trigger, alter a
table, create one, nor change or remove a row of an append-only log.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from registry_samples import USERS, raw_connect, setup_case

from repatria.errors import RegistryError
from repatria.registry.db import migrate, require_application_role, write_reads_in_background
from repatria.services.access.audit import anchor_chains, verify_chains
from repatria.services.access.users import add_user
from repatria.services.workflows import review
from repatria.services.workflows.custody import record_custody
from repatria.services.workflows.setup import prepare_server

OVERRIDE = "test data: the evidence stored by hand does not meet the identification policy"


def _users(db: str) -> None:
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")


def _pg(registry_roles) -> None:  # noqa: ANN001
    if registry_roles.app.startswith("sqlite"):
        pytest.skip("SQLite has no roles: whoever can write the file can change the schema")


def _denied(url: str, sql: str) -> str:
    conn = raw_connect(url)
    try:
        with pytest.raises(Exception) as e:
            conn.execute(sql)
        return str(e.value)
    finally:
        conn.close()


def test_every_workflow_runs_as_the_application_role_without_a_warning(
    registry_roles, tmp_path: Path
) -> None:
    app = registry_roles.app
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*can change the schema.*")
        _users(app)
        cids = setup_case(app, tmp_path, n=2)
        review.propose(app, cids[0], actor="ana", override=OVERRIDE)
        review.confirm(app, cids[0], actor="rev", reason="checked", override=OVERRIDE)
        review.propose(app, cids[1], actor="ana", override=OVERRIDE)
        review.reject(app, cids[1], actor="rev", reason="the LR rests on one marker")
        record_custody(app, actor="cas", event="transferred", remains_ref="R-0001", to_party="lab")
        anchor_chains(app, actor="ada", out=tmp_path / "heads.jsonl")
        report = verify_chains(app, anchor=tmp_path / "heads.jsonl")
    assert report.ok, report.breaks
    require_application_role(app)  # what `serve` checks: no DDL right


def test_the_application_role_cannot_drop_alter_or_rewrite(registry_roles, tmp_path) -> None:  # noqa: ANN001
    _pg(registry_roles)
    app = registry_roles.app
    _users(app)
    cids = setup_case(app, tmp_path, n=1)
    review.propose(app, cids[0], actor="ana", override=OVERRIDE)
    assert "owner" in _denied(app, "DROP TRIGGER trg_decisions_rules ON decisions")
    assert "owner" in _denied(app, "ALTER TABLE decisions DISABLE TRIGGER trg_decisions_rules")
    assert "owner" in _denied(app, "ALTER TABLE persons ADD COLUMN x text")
    assert "owner" in _denied(app, "DROP TABLE audit_events")
    assert "permission denied" in _denied(app, "UPDATE decisions SET reason = 'edited'")
    assert "permission denied" in _denied(app, "DELETE FROM decisions")
    assert "permission denied" in _denied(app, "DELETE FROM audit_events")
    assert "permission denied" in _denied(app, "UPDATE custody_events SET notes = 'x'")
    assert "permission denied" in _denied(app, "TRUNCATE decisions")
    assert "permission denied" in _denied(app, "CREATE TABLE shadow (x int)")
    assert "permission denied" in _denied(app, "UPDATE alembic_version SET version_num = 'x'")


def test_serve_refuses_the_migration_role_and_a_write_as_it_warns(registry_roles) -> None:  # noqa: ANN001
    _pg(registry_roles)
    owner = registry_roles.owner
    with pytest.raises(RegistryError) as e:
        require_application_role(owner)
    assert "refusing to serve" in str(e.value) and "superuser" in str(e.value)
    assert "\n" not in str(e.value)
    with pytest.raises(RegistryError):
        prepare_server(owner)
    with pytest.warns(UserWarning, match="can change the schema"):
        add_user(owner, "ada", "admin")


def test_the_migration_url_must_name_the_same_database(registry_roles) -> None:  # noqa: ANN001
    _pg(registry_roles)
    other = registry_roles.owner.rsplit("/", 1)[0] + "/postgres"
    with pytest.raises(RegistryError, match="different databases"):
        migrate(registry_roles.app, migrate_url=other)


def test_a_missing_application_role_is_one_line(registry_roles) -> None:  # noqa: ANN001
    _pg(registry_roles)
    ghost = registry_roles.owner.replace("://postgres@", "://nobody_here@", 1)
    with pytest.raises(RegistryError, match="does not exist; create it first"):
        migrate(ghost, migrate_url=registry_roles.owner)


def test_db_init_with_a_migration_url_grants_and_serve_then_accepts(registry_roles) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from repatria.cli.main import app

    _pg(registry_roles)
    r = CliRunner().invoke(
        app, ["db", "init", "--db", registry_roles.app, "--migrate-url", registry_roles.owner]
    )
    assert r.exit_code == 0, r.output
    assert "already at schema" in r.output
    try:
        assert prepare_server(registry_roles.app).startswith("postgresql")
    finally:
        write_reads_in_background(False)  # prepare_server turns it on for the server's life
    r = CliRunner().invoke(app, ["serve", "--db", registry_roles.owner, "--port", "1"])
    assert r.exit_code == 1 and "refusing to serve" in r.output and "Traceback" not in r.output


def test_the_application_role_can_take_a_backup(registry_roles, tmp_path: Path) -> None:  # noqa: ANN001
    from repatria.services.workflows.setup import backup_database

    _pg(registry_roles)
    _users(registry_roles.app)
    r = backup_database(registry_roles.app, tmp_path / "registry.backup")
    assert r.bytes > 0
