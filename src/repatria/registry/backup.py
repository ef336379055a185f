"""Backups that are consistent while the server writes, and restores.

SQLite: the online backup API (one step, from a read snapshot, so a backup taken during an
import holds all of it or none of it); the copy is created 0600 and checked
(``PRAGMA integrity_check``) before it is reported. PostgreSQL: ``pg_dump --format=custom``
(a consistent snapshot) and ``pg_restore --clean``, when those programs are installed; else one
line saying so.

The chain key is not in the database and so not in the backup: keep a copy of it apart (a
restore needs the same key for ``audit verify`` to pass).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from repatria.errors import RegistryError
from repatria.registry.db import _safe, dispose_engines, resolve_url

__all__ = ["BackupResult", "backup", "restore"]


@dataclass(frozen=True)
class BackupResult:
    """A backup or restore done: the database, the file, its size in bytes."""

    database: str
    file: str
    bytes: int


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:":
        raise RegistryError("an in-memory SQLite database cannot be backed up")
    return Path(u.database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RegistryError(
            f"{name} is not installed; install the PostgreSQL client programs to back up or "
            "restore a PostgreSQL registry"
        )
    return found


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _check_sqlite(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise RegistryError(f"{path} is not a Repatria SQLite database ({e})") from None
    if result != "ok":
        raise RegistryError(f"{path} failed SQLite's integrity check: {result}")


def backup(url: str | None, out: Path) -> BackupResult:
    """Write a consistent copy of the database at ``url`` to ``out`` (which must not exist)."""
    url = resolve_url(url)
    if out.exists():
        raise RegistryError(f"{out} already exists; a backup never overwrites a file")
    path = _sqlite_path(url)
    if path is None:
        dump = _pg_tool("pg_dump")
        done = subprocess.run(
            [dump, "--format=custom", "--no-owner", f"--file={out}", _libpq_url(url)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["failed"])[0]
            raise RegistryError(f"pg_dump of {_safe(url)} failed: {first}")
        os.chmod(out, 0o600)
        return BackupResult(_safe(url), str(out), out.stat().st_size)
    if not path.exists():
        raise RegistryError(f"there is no database at {path}")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(path, timeout=30)
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        _check_sqlite(out)
    except (sqlite3.DatabaseError, RegistryError) as e:
        out.unlink(missing_ok=True)
        raise RegistryError(f"the backup of {path} failed: {e}") from None
    return BackupResult(_safe(url), str(out), out.stat().st_size)


def restore(url: str | None, file: Path) -> BackupResult:
    """Replace the database at ``url`` with the backup ``file`` (stop the server first)."""
    url = resolve_url(url)
    if not file.is_file():
        raise RegistryError(f"there is no backup file {file}")
    path = _sqlite_path(url)
    dispose_engines()
    if path is None:
        tool = _pg_tool("pg_restore")
        done = subprocess.run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(file),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["failed"])[0]
            raise RegistryError(f"pg_restore into {_safe(url)} failed: {first}")
        return BackupResult(_safe(url), str(file), file.stat().st_size)
    _check_sqlite(file)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    dst = sqlite3.connect(path, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as e:
        raise RegistryError(f"the restore into {path} failed: {e}") from None
    finally:
        dst.close()
        src.close()
    return BackupResult(_safe(url), str(file), file.stat().st_size)
