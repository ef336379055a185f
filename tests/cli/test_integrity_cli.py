"""Issue 16 at the command line: files created private, the chain key outside the database,
`audit anchor` and `audit verify` in one line per break, never a traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key file from the environment: the key lives beside the SQLite database."""
    monkeypatch.delenv("REPATRIA_CHAIN_KEY_FILE", raising=False)


def test_db_init_creates_the_database_and_its_key_0600(tmp_path: Path, own_key: None) -> None:
    db = tmp_path / "reg.sqlite"
    r = runner.invoke(app, ["db", "init", "--db", str(db)])
    assert r.exit_code == 0, r.stderr
    key = tmp_path / "reg.sqlite.chainkey"
    assert _mode(db) == 0o600 and _mode(key) == 0o600
    r = runner.invoke(app, ["audit", "anchor", "--db", str(db)])
    assert r.exit_code == 0 and "anchored the chain heads" in r.stdout
    anchors = tmp_path / "reg.sqlite.chainkey.anchors.jsonl"
    assert _mode(anchors) == 0o600
    r = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert r.exit_code == 0 and "checked against the anchor" in r.stdout


def test_a_missing_or_open_key_is_one_line(tmp_path: Path, own_key: None) -> None:
    db = tmp_path / "reg.sqlite"
    assert runner.invoke(app, ["db", "init", "--db", str(db)]).exit_code == 0
    key = tmp_path / "reg.sqlite.chainkey"
    os.chmod(key, 0o644)
    r = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert r.exit_code == 1 and "readable by others; chmod 600" in r.stderr
    key.unlink()
    r = runner.invoke(app, ["users", "add", "x", "--role", "admin", "--db", str(db)])
    assert r.exit_code == 1 and "cannot read the chain key" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_verify_on_a_corrupt_sqlite_file_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.sqlite"
    db.write_bytes(b"this is not a database at all " * 200)
    r = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr


def test_serve_refuses_a_database_without_its_guards(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "reg.sqlite"
    assert runner.invoke(app, ["db", "init", "--db", str(db)]).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER trg_decisions_rules_INSERT")
    conn.close()
    r = runner.invoke(app, ["serve", "--db", str(db), "--port", "1"])
    assert r.exit_code == 1
    assert "refusing to write: trigger(s) trg_decisions_rules_INSERT are missing" in r.stderr
