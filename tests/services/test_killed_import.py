"""Issue 16: an import killed mid-way (SIGKILL, while it holds its write transaction) leaves the
registry as it was, and every chain verifies, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from registry_samples import raw_connect, setup_case, write_persons

from repatria.services.access.audit import verify_chains


def _writing(db: str) -> bool:
    """Whether another connection is inside a write transaction on ``persons``."""
    if db.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db[len("sqlite:///") :], isolation_level=None, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    conn = raw_connect(db)
    try:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND granted "
            "AND relation = 'persons'::regclass AND mode = 'RowExclusiveLock' "
            "AND pid <> pg_backend_pid()"
        ).fetchone()
        return bool(row and row[0])
    finally:
        conn.close()


def _count(db: str, table: str) -> int:
    conn = raw_connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_an_import_killed_midway_changes_nothing(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    before = {t: _count(db, t) for t in ("persons", "person_names", "import_batches")}
    big = write_persons(tmp_path / "big.tsv", 20000)
    big.write_text(big.read_text().replace("P-", "K-"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "repatria.cli.main", "import", "persons", str(big)]
        + ["--as", "cas", "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 120
        while not _writing(db):
            assert proc.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 30
    while _writing(db) and time.monotonic() < deadline:  # PostgreSQL ends the dead backend
        time.sleep(0.1)
    assert {t: _count(db, t) for t in before} == before
    assert verify_chains(db).ok
