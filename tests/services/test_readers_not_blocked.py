"""Issue 16: on SQLite (WAL, deferred read transactions) a read is answered while another
connection holds the write lock, and a read's audit entry can wait for the writer."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from repatria.registry import db as registry_db_module
from repatria.services import views
from repatria.services.access.users import add_user, list_users


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> str:
    import shutil

    path = tmp_path / "r.sqlite"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    add_user(url, "ana", "analyst")
    return url


def _hold_write_lock(url: str) -> sqlite3.Connection:
    conn = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO import_batches (kind, filename, sha256, rows, imported_at, "
        "imported_by_id) VALUES ('x', 'x', 'x', 0, '2025-01-01', 1)"
    )
    return conn


def _within(seconds: float, fn) -> object:  # noqa: ANN001
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"the read did not return within {seconds} s while a writer held the lock"
    return out[0]


def test_reads_are_answered_while_a_write_transaction_is_open(sqlite_db: str) -> None:
    raw = sqlite3.connect(sqlite_db[len("sqlite:///") :])
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    writer = _hold_write_lock(sqlite_db)
    try:
        users = _within(5, lambda: list_users(sqlite_db))
        assert [u.name for u in users] == ["ana"]  # type: ignore[attr-defined]
        board = _within(5, lambda: views.dashboard(sqlite_db, actor="ana"))
        assert board is not None
    finally:
        writer.rollback()
        writer.close()


def test_an_audited_read_answers_before_its_entry_is_written(sqlite_db: str) -> None:
    """In the server (background audit writer), the entry is written once the lock is free."""
    registry_db_module.write_reads_in_background(True)
    writer = _hold_write_lock(sqlite_db)
    try:
        _within(5, lambda: views.search_persons(sqlite_db, actor="ana", q=""))
    finally:
        writer.rollback()
        writer.close()
        registry_db_module.flush_background_writes()
        registry_db_module.write_reads_in_background(False)
