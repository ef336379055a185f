"""Registry database fixtures, on SQLite and on a real PostgreSQL server.

Loaded by ``tests/conftest.py`` (``from registry_db_fixtures import *``), so every test
directory can ask for ``registry_db``.

``registry_db`` is parametrised over ``sqlite`` and ``postgresql``. The PostgreSQL server
is started once per test session in a temporary directory, as a non-root user (PostgreSQL
refuses root), listening on 127.0.0.1 and a free port, and stopped at the end. Each test
gets a fresh database cloned from a migrated template. Without PostgreSQL binaries the
PostgreSQL half is skipped locally, and fails under CI (``CI=true``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "postgres_server",
    "postgres_template",
    "sqlite_template",
    "registry_db",
    "registry_roles",
    "APP_ROLE",
]

PG_USER_CANDIDATES = ("postgres", "repatria_pg")


def _pg_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The user to run PostgreSQL as: ourselves unless root, else a system user."""
    if os.geteuid() != 0:
        return None
    for name in PG_USER_CANDIDATES:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "repatria_pg"],
        check=True,
    )
    return "repatria_pg"


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    return argv if user is None else ["runuser", "-u", user, "--", *argv]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL server; yields its URL without a database name."""
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("no PostgreSQL binaries (initdb) found; apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed")
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="repatria-pg-"))
    data, log = root / "data", root / "server.log"
    if user is not None:
        shutil.chown(root, user)
    port = _free_port()
    subprocess.run(
        _as_user(
            user,
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        ),
        check=True,
        capture_output=True,
    )
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
    )
    start = subprocess.run(
        _as_user(
            user,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        detail = log.read_text() if log.exists() else start.stderr
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"the server did not start: {detail.strip()[-500:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        from repatria.registry.db import dispose_engines

        dispose_engines()
        subprocess.run(
            _as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _pg_admin(server: str, sql: str) -> None:
    import psycopg

    dsn = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A migrated database that each test's database is cloned from (no migration per test)."""
    from repatria.registry.db import dispose_engines, migrate

    _pg_admin(postgres_server, "CREATE DATABASE repatria_template")
    migrate(f"{postgres_server}/repatria_template")
    dispose_engines()  # a template cannot be cloned while connections to it are open
    return "repatria_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from repatria.registry.db import dispose_engines, migrate

    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    migrate(str(path))
    dispose_engines()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty registry database URL, on SQLite and on PostgreSQL."""
    from repatria.registry.db import dispose_engines

    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        dispose_engines()
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield f"{server}/{name}"
    finally:
        dispose_engines()
        _pg_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


APP_ROLE = "repatria_app"


@dataclass(frozen=True)
class RoleUrls:
    """One registry, as the application role and as the migration role (the same on SQLite)."""

    app: str
    owner: str


@pytest.fixture
def registry_roles(request: pytest.FixtureRequest, registry_db: str) -> RoleUrls:
    """``registry_db`` with, on PostgreSQL, the application role ``repatria_app`` granted its
    rights by ``migrate(app, migrate_url=owner)`` (what ``repatria db init --migrate-url``
    runs)."""
    if registry_db.startswith("sqlite"):
        return RoleUrls(registry_db, registry_db)
    from repatria.registry.db import migrate

    server = request.getfixturevalue("postgres_server")
    _pg_admin(
        server,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
        f"'{APP_ROLE}') THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$",
    )
    app = registry_db.replace("://postgres@", f"://{APP_ROLE}@", 1)
    migrate(app, migrate_url=registry_db)
    return RoleUrls(app, registry_db)
