"""Engines, sessions and migrations: one code path for SQLite and PostgreSQL.

A database is named by a SQLAlchemy URL. ``None`` means: the environment variable
``REPATRIA_DATABASE_URL``, else the SQLite file ``repatria.sqlite`` in the working
directory. A bare path (``cases.sqlite``) is taken as a SQLite file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from repatria.errors import RegistryError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "ENV_VAR",
    "DEFAULT_SQLITE",
    "resolve_url",
    "get_engine",
    "dispose_engines",
    "session_scope",
    "migrate",
    "downgrade",
    "schema_revision",
    "head_revision",
    "display_url",
]

ENV_VAR = "REPATRIA_DATABASE_URL"
DEFAULT_SQLITE = "repatria.sqlite"

_engines: dict[str, Engine] = {}
_checked: set[str] = set()
_lock = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """The database URL: ``url``, else ``$REPATRIA_DATABASE_URL``, else ``./repatria.sqlite``.

    ``postgresql://`` is given the psycopg (3) driver, the one Repatria installs.
    """
    url = url or os.environ.get(ENV_VAR) or DEFAULT_SQLITE
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN IMMEDIATE ourselves
    # (see _sqlite_begin) so a read-then-write transaction can never lose a race for the lock.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers are serialised at BEGIN: hash chains and two-reviewer races need that on SQLite.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process."""
    url = resolve_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                engine = create_engine(url, future=True, pool_pre_ping=True)
            except (ArgumentError, ImportError) as e:
                raise RegistryError(f"cannot use database URL {_safe(url)}: {e}") from None
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests call this before dropping a database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _checked.clear()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def display_url(url: str | None = None) -> str:
    """The resolved URL without its password, for messages."""
    return _safe(resolve_url(url))


def _migrations_dir() -> str:
    return str(resources.files("repatria.registry") / "migrations")


def _alembic_config(connection: Connection | None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", _migrations_dir())
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of Repatria."""
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:  # only a broken installation ships no migration
        raise RegistryError(f"no migrations found in {_migrations_dir()}")
    return head


def schema_revision(url: str | None = None) -> str | None:
    """The migration the database is at, or ``None`` if it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    try:
        with get_engine(url).connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as e:
        raise RegistryError(f"cannot open database {_safe(resolve_url(url))}: {e.orig}") from None


def migrate(url: str | None = None) -> tuple[str | None, str]:
    """Bring the database to the newest schema (``alembic upgrade head``), creating it if needed.

    Returns
    -------
    (before, after) : tuple
        The revision before (``None`` for a new database) and after.
    """
    from alembic import command

    url = resolve_url(url)
    before = schema_revision(url)
    engine = get_engine(url)
    _run_alembic(engine, lambda cfg: command.upgrade(cfg, "head"))
    with _lock:
        _checked.discard(url)
    return before, head_revision()


def downgrade(url: str | None, revision: str) -> str | None:
    """Take the database back to ``revision`` (``alembic downgrade``); for operators and tests only.

    Returns the revision it is at afterwards.
    """
    from alembic import command

    url = resolve_url(url)
    _run_alembic(get_engine(url), lambda cfg: command.downgrade(cfg, revision))
    with _lock:
        _checked.discard(url)
    return schema_revision(url)


def _run_alembic(engine: Engine, step: Callable[[Any], None]) -> None:
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, step)
    else:
        with engine.begin() as conn:
            step(_alembic_config(conn))


def _driver_connection(conn: Connection) -> Any:
    """The DBAPI (sqlite3) connection under ``conn``, for the pragmas a transaction cannot set."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RegistryError("the SQLite connection was closed before the migration ran")
    return raw


def _migrate_sqlite(engine: Engine, step: Callable[[Any], None]) -> None:
    """A migration step on SQLite, with foreign keys off while batch mode copies tables.

    Batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping a table
    that other rows refer to would fail or cascade. The pragma cannot change inside a
    transaction, so it is set on the raw connection before BEGIN, and every foreign key is
    checked before the migration commits: a migration that broke one is rolled back.
    """
    with engine.connect() as conn:
        raw = _driver_connection(conn)
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                step(_alembic_config(conn))
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RegistryError(
                        f"the migration left {len(broken)} broken foreign key(s), "
                        f"first in table {broken[0][0]}; nothing was changed"
                    )
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def _require_schema(url: str) -> None:
    if url in _checked:
        return
    rev = schema_revision(url)
    if rev is None:
        raise RegistryError(
            f"database {_safe(url)} is not initialised; run `repatria db init` first"
        )
    if rev != head_revision():
        raise RegistryError(
            f"database {_safe(url)} is at schema {rev}, this Repatria needs "
            f"{head_revision()}; run `repatria db init` to upgrade it"
        )
    with _lock:
        _checked.add(url)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    url = resolve_url(url)
    _require_schema(url)
    session = Session(get_engine(url), expire_on_commit=False, autoflush=True)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def has_table(url: str | None, name: str) -> bool:
    """Whether the database has table ``name`` (used by checks, never by workflows)."""
    return inspect(get_engine(url)).has_table(name)
