"""Engines, sessions and migrations: one code path for SQLite and PostgreSQL.

A database is named by a SQLAlchemy URL. ``None`` means: the environment variable
``REPATRIA_DATABASE_URL``, else the SQLite file ``repatria.sqlite`` in the working
directory. A bare path (``cases.sqlite``) is taken as a SQLite file.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session

from repatria.errors import RegistryError
from repatria.registry.db_errors import db_error_line as _error_line
from repatria.registry.db_errors import is_database_error
from repatria.registry.roles import (
    APPEND_ONLY,
    forget_roles,
    migration_url,
    require_application_role,
    warn_if_ddl_role,
)

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "ENV_VAR",
    "DEFAULT_SQLITE",
    "resolve_url",
    "get_engine",
    "dispose_engines",
    "session_scope",
    "RawRead",
    "raw_read",
    "migrate",
    "downgrade",
    "schema_revision",
    "head_revision",
    "display_url",
    "defer_write",
    "db_error_line",
    "missing_guards",
    "check_guards",
    "require_guards",
    "missing_guards_of",
    "write_reads_in_background",
    "flush_background_writes",
    "MIGRATE_ENV_VAR",
    "require_application_role",
]

ENV_VAR = "REPATRIA_DATABASE_URL"
#: The migration role's URL (PostgreSQL): `repatria db init` migrates as it and grants the
#: application role of ``REPATRIA_DATABASE_URL`` its rights (see registry/roles.py).
MIGRATE_ENV_VAR = "REPATRIA_MIGRATE_URL"
DEFAULT_SQLITE = "repatria.sqlite"

_engines: dict[str, Engine] = {}
_checked: set[str] = set()
_lock = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """The database URL: ``url``, else ``$REPATRIA_DATABASE_URL``, else ``./repatria.sqlite``.

    ``postgresql://`` is given the psycopg (3) driver, the one Repatria installs.
    """
    return _resolved(url or os.environ.get(ENV_VAR) or DEFAULT_SQLITE, os.getcwd())


@lru_cache(maxsize=64)
def _resolved(url: str, cwd: str) -> str:
    # Cached: every transaction resolves its URL, and a path's resolve() is a system call a part.
    if "://" not in url:
        return f"sqlite:///{(Path(cwd) / url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


READ_OPTION = "repatria_read"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN ourselves (see
    # _sqlite_begin): IMMEDIATE for writes, so a read-then-write transaction can never lose a
    # race for the lock, DEFERRED for reads, which in WAL mode never wait for a writer.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    # Reads through a memory map, not a read() call a page: a search touches a few dozen index
    # pages, and with many connections the system calls were a third of its time.
    cur.execute("PRAGMA mmap_size = 268435456")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers are serialised at BEGIN: hash chains and two-reviewer races need that on SQLite.
    if conn.get_execution_options().get(READ_OPTION):
        conn.exec_driver_sql("BEGIN DEFERRED")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _create_private(url: str) -> None:
    """Create a new SQLite file 0600 before SQLite does (its WAL and shared-memory files take
    the database file's mode)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return
    path = Path(u.database)
    if not path.exists() and path.parent.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _pool_options(url: str) -> dict[str, int]:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and (not u.database or u.database == ":memory:"):
        return {}  # one in-memory database per connection: SQLAlchemy's own pool for it
    return {"pool_size": 20, "max_overflow": 20}


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process."""
    return _engine(resolve_url(url), read=False)


def _engine(url: str, *, read: bool) -> Engine:
    key = ("read-only " if read else "") + url
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            # hide_parameters: no log line and no error's text ever shows a row's values. A
            # pool as wide as the server's worker threads: with the default 5 (+10 overflow),
            # 20 concurrent searches opened and closed a connection each time
            # (benchmarks/person_search.py). The read-only pool serves raw_read, whose callers
            # are few at a time (the search gate). Server connections are pinged only after
            # sitting idle (_ping_if_idle); a local SQLite file needs no ping.
            options: dict[str, Any] = (
                {"pool_size": 4, "max_overflow": 16, "isolation_level": "AUTOCOMMIT"}
                if read
                else _pool_options(url)
            )
            try:
                engine = create_engine(url, future=True, hide_parameters=True, **options)
            except (ArgumentError, ImportError) as e:
                raise RegistryError(f"cannot use database URL {_safe(url)}: {e}") from None
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                event.listen(engine, "connect", _server_read if read else _server_settings)
                event.listen(engine, "checkin", _mark_idle)
                event.listen(engine, "checkout", _ping_if_idle)
            _engines[key] = engine
        return engine


#: A pooled server connection idle longer than this is pinged before it is handed out. A
#: restarted server leaves the idle connections dead, and they are found here and replaced; one
#: handed back a moment ago is not pinged: at 20 concurrent searches a ping on every checkout
#: (SQLAlchemy's pool_pre_ping) was one round trip in six, about 12 % of the searches a second
#: (benchmarks/person_search.py). A connection lost within this time of its last use fails
#: that one statement, with the database error line, and is replaced.
PING_AFTER_IDLE_S = 1.0


def _server_settings(dbapi_connection: Any, record: Any) -> None:
    # No JIT compilation: the registry's statements are index seeks of a few milliseconds, and
    # a prepared statement's generic plan can estimate a seek by default selectivity (a search's
    # array of key ranges as 10^5 rows each), over jit_above_cost: compiling it took 10 ms, ten
    # times the search (benchmarks/person_search.py).
    _settings(dbapi_connection, "SET jit = off")


def _server_read(dbapi_connection: Any, record: Any) -> None:
    # raw_read's connections: every statement its own read-only transaction (a write fails),
    # and every prepared statement keeps one generic plan (person_lookup's statements are one
    # text for every query; planning each search afresh was a quarter of the server's time).
    _settings(
        dbapi_connection,
        "SET jit = off",
        "SET default_transaction_read_only = on",
        "SET plan_cache_mode = force_generic_plan",
    )


def _settings(dbapi_connection: Any, *statements: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()
    dbapi_connection.commit()


def _mark_idle(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as e:  # any driver error: the pool discards it and connects again
        raise DisconnectionError("a pooled connection was dead") from e


def dispose_engines() -> None:
    """Close every pooled connection (tests call this before dropping a database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _checked.clear()
        forget_roles()


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
        first = (str(e.orig).strip().splitlines() or [type(e.orig).__name__])[0]
        raise RegistryError(f"cannot open database {_safe(resolve_url(url))}: {first}") from None
    except DBAPIError as e:
        raise RegistryError(db_error_line(e, url)) from None


def migrate(url: str | None = None, *, migrate_url: str | None = None) -> tuple[str | None, str]:
    """Bring the database to the newest schema (``alembic upgrade head``), creating it if needed.

    ``url`` is the application's database. On PostgreSQL, ``migrate_url`` (else
    ``$REPATRIA_MIGRATE_URL``), the migration role's URL of the same database, runs the
    migrations, and the application role (the user of ``url``) is then granted what the
    workflows need and no more (:func:`repatria.registry.roles.grant_application_role`).

    Returns
    -------
    (before, after) : tuple
        The revision before (``None`` for a new database) and after.
    """
    from alembic import command

    from repatria.registry.chain import ensure_key, read_key
    from repatria.registry.roles import grant_application_role

    url = resolve_url(url)
    owner = migration_url(url, migrate_url)
    _create_private(owner)
    before = schema_revision(owner)
    engine = get_engine(owner)
    keyed = before is not None and _has_column(engine, "audit_events", "row_hash")
    key = read_key(ensure_key(owner, may_create=not keyed))
    _run_alembic(engine, lambda cfg: command.upgrade(cfg, "head"), chain_key=key)
    if owner != url:
        role = make_url(url).username
        if not role:
            raise RegistryError(f"the application URL {_safe(url)} names no user (role)")
        try:
            with engine.begin() as conn:
                grant_application_role(conn, role)
        except DBAPIError as e:
            raise RegistryError(db_error_line(e, owner)) from None
    with _lock:
        _checked.discard(url)
        _checked.discard(owner)
    return before, head_revision()


def downgrade(url: str | None, revision: str) -> str | None:
    """Take the database back to ``revision`` (``alembic downgrade``); for operators and tests only.

    Returns the revision it is at afterwards.
    """
    from alembic import command

    from repatria.registry.chain import key_path, read_key

    url = resolve_url(url)
    try:
        key: bytes | None = read_key(key_path(url))
    except RegistryError:
        key = None  # 0006's downgrade then leaves the seals keyed
    _run_alembic(get_engine(url), lambda cfg: command.downgrade(cfg, revision), chain_key=key)
    with _lock:
        _checked.discard(url)
    return schema_revision(url)


def _has_column(engine: Engine, table: str, column: str) -> bool:
    insp = inspect(engine)
    return insp.has_table(table) and column in {c["name"] for c in insp.get_columns(table)}


def _run_alembic(
    engine: Engine, step: Callable[[Any], None], *, chain_key: bytes | None = None
) -> None:
    def configured(conn: Connection) -> Config:
        cfg = _alembic_config(conn)
        cfg.attributes["chain_key"] = chain_key
        return cfg

    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, lambda conn: step(configured(conn)))
    else:
        with engine.begin() as conn:
            step(configured(conn))


def _driver_connection(conn: Connection) -> Any:
    """The DBAPI (sqlite3) connection under ``conn``, for the pragmas a transaction cannot set."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RegistryError("the SQLite connection was closed before the migration ran")
    return raw


def _migrate_sqlite(engine: Engine, step: Callable[[Connection], None]) -> None:
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
                step(conn)
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
def session_scope(url: str | None = None, *, read: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.

    ``read=True``: a read transaction (``BEGIN DEFERRED`` on SQLite, which in WAL mode never
    waits for a writer). What a read must still write (its audit entry, see
    :func:`defer_write`) is written after it, in a short write transaction of its own. A write
    transaction first checks that the database's guards are in place (:func:`check_guards`).
    Database errors become one :class:`RegistryError` line that never shows the statement or
    its parameters (a row of genotypes).
    """
    url = resolve_url(url)
    try:
        _require_schema(url)
        engine = get_engine(url)
        session = Session(
            engine.execution_options(**{READ_OPTION: True}) if read else engine,
            expire_on_commit=False,
            autoflush=True,
        )
        session.info["repatria_read"] = read
        try:
            with session.begin():
                if not read:
                    check_guards(session.connection())
                    warn_if_ddl_role(url, session.connection())
                yield session
            deferred = session.info.pop("repatria_deferred", [])
        finally:
            session.close()
        if deferred:
            _run_deferred(url, deferred)
    except (IntegrityError, RegistryError):
        raise  # workflows catch IntegrityError for their own sentence (a race, a duplicate)
    except SQLAlchemyError as e:
        raise RegistryError(db_error_line(e, url)) from None


@dataclass(frozen=True)
class RawRead:
    """A read transaction on one pooled driver connection: ``conn`` its DB-API connection,
    ``qmark`` whether its driver takes ``?`` (SQLite) rather than ``%s`` (psycopg)."""

    conn: Any
    qmark: bool


@contextmanager
def raw_read(url: str | None = None) -> Iterator[RawRead]:
    """A read with no ORM session, for the reads that run most (a search box).

    A session's set-up, begin and commit cost about half a millisecond of Python a read, which
    twenty concurrent searches queue for behind one interpreter lock. Nothing can be written
    through it. Driver errors become one :class:`RegistryError` line, as there.

    On SQLite the connection comes from the same pool (its pragmas set), and the transaction is
    ``BEGIN DEFERRED`` as in :func:`session_scope` with ``read=True``, rolled back at the end.
    On a server it comes from a small pool of its own (:func:`_server_read`): each statement
    is its own read-only transaction, which costs no ``BEGIN`` and no ``COMMIT`` round trip,
    and its prepared statements stay prepared. A psycopg connection forgets them at every
    ``ROLLBACK``, so reads ended with one had every statement parsed and planned afresh. Under
    READ COMMITTED a transaction gave its statements no common snapshot anyway.
    """
    url = resolve_url(url)
    _require_schema(url)
    engine = _engine(url, read=make_url(url).get_backend_name() != "sqlite")
    try:
        conn = engine.raw_connection()
        try:
            qmark = engine.dialect.paramstyle == "qmark"
            driver = conn.driver_connection
            assert driver is not None
            if qmark:
                driver.execute("BEGIN DEFERRED")
            yield RawRead(driver, qmark)
        except Exception as e:
            if is_database_error(e) and engine.dialect.is_disconnect(e, driver, None):  # type: ignore[arg-type]
                # The driver's own error bypasses the pool's: a lost connection must not go
                # back to it to fail the next reader too.
                conn.invalidate(e)
            raise
        finally:
            if conn.is_valid:
                conn.rollback()
            conn.close()
    except RegistryError:
        raise
    except Exception as e:
        if is_database_error(e) or isinstance(e, SQLAlchemyError):
            raise RegistryError(db_error_line(e, url)) from None
        raise


_background: dict[str, Any] = {"on": False, "queue": None, "thread": None}


def write_reads_in_background(on: bool = True) -> None:
    """What reads must write (their audit entries) goes to one writer thread of this process.

    For a long-running server: a reader then never waits for SQLite's write lock (held by a
    long import) to answer. The entries are written in order, as soon as the lock is free, and
    flushed when the process exits (:func:`flush_background_writes`). Off by default (the CLI
    and the tests write them before the read returns).
    """
    _background["on"] = on


def _writer_loop(q: Any) -> None:
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            return
        url, writes = item
        try:
            with session_scope(url) as writer:
                for write in writes:
                    write(writer)
        except Exception as e:  # noqa: BLE001 - one line on stderr, the loop goes on
            import sys

            why = db_error_line(e, url) if is_database_error(e) else str(e).splitlines()[0]
            print(f"error: an audit entry could not be written: {why}", file=sys.stderr)
        finally:
            q.task_done()


def _run_deferred(url: str, writes: list[Callable[[Session], None]]) -> None:
    if not _background["on"]:
        with session_scope(url) as writer:
            for write in writes:
                write(writer)
        return
    import atexit
    import queue

    with _lock:
        if _background["thread"] is None:
            q: queue.Queue[Any] = queue.Queue()
            t = threading.Thread(target=_writer_loop, args=(q,), daemon=True, name="audit")
            t.start()
            _background["queue"], _background["thread"] = q, t
            atexit.register(flush_background_writes)
    _background["queue"].put((url, writes))


def flush_background_writes() -> None:
    """Wait until every queued background write is written."""
    q = _background["queue"]
    if q is not None:
        q.join()


def defer_write(session: Session, write: Callable[[Session], None]) -> bool:
    """In a read session, run ``write`` after it in a write transaction; ``False`` elsewhere."""
    if not session.info.get("repatria_read"):
        return False
    session.info.setdefault("repatria_deferred", []).append(write)
    return True


def db_error_line(e: BaseException, url: str | None = None) -> str:
    """One line for a database error, no SQL, no values (:mod:`repatria.registry.db_errors`)."""
    return _error_line(e, resolve_url(url) if url else None)


_REVIEW_LOGS = ("decisions", "association_decisions")
_APPEND_ONLY = APPEND_ONLY
# SQLite: the triggers of migration 0006 (the two-person rule, append-only logs).
# 0007: revoking takes two people; the policy versions and revocation requests are append-only.
_POLICY_GUARDS = frozenset({"trg_decisions_revoke_two_person", "trg_revocation_requests_rules"})
_POLICY_APPEND_ONLY = ("policy_versions", "revocation_requests")
GUARD_TRIGGERS_SQLITE = frozenset(
    {f"trg_{t}_rules_{e}" for t in _REVIEW_LOGS for e in ("INSERT", "UPDATE")}
    | {
        f"trg_{t}_append_only_{e}"
        for t in (*_APPEND_ONLY, *_POLICY_APPEND_ONLY)
        for e in ("UPDATE", "DELETE")
    }
    | _POLICY_GUARDS
)
GUARD_TRIGGERS_POSTGRES = frozenset(
    {f"trg_{t}_rules" for t in _REVIEW_LOGS}
    | {f"trg_{t}_append_only" for t in (*_APPEND_ONLY, *_POLICY_APPEND_ONLY)}
    | _POLICY_GUARDS
)


def missing_guards(conn: Connection) -> list[str]:
    """What of the database's own guards is missing on this connection (empty: all there)."""
    if conn.dialect.name == "sqlite":
        missing = []
        if conn.exec_driver_sql("PRAGMA foreign_keys").scalar() != 1:
            missing.append("foreign keys are off on this SQLite connection")
        names = {
            r[0]
            for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        gone = sorted(GUARD_TRIGGERS_SQLITE - names)
        if gone:
            missing.append(f"trigger(s) {', '.join(gone)} are missing")
        return missing
    rows = conn.exec_driver_sql(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    )
    gone = sorted(GUARD_TRIGGERS_POSTGRES - {r[0] for r in rows})
    return [f"trigger(s) {', '.join(gone)} are missing or disabled"] if gone else []


def check_guards(conn: Connection) -> None:
    """Refuse, in one line, to write to a database whose guards are missing."""
    missing = missing_guards(conn)
    if missing:
        raise RegistryError(
            f"refusing to write: {'; '.join(missing)}; the two-person rule and the append-only "
            "logs are not enforced (restore the database from a backup, or run `repatria db "
            "init` on a copy to see what changed)"
        )


def missing_guards_of(url: str | None = None) -> list[str]:
    """:func:`missing_guards` of the database at ``url``, on a connection of its own."""
    url = resolve_url(url)
    _require_schema(url)
    try:
        with get_engine(url).connect() as conn:
            return missing_guards(conn)
    except DBAPIError as e:
        raise RegistryError(db_error_line(e, url)) from None


def require_guards(url: str | None = None) -> None:
    """The check :func:`check_guards` makes, on its own (``repatria serve`` runs it first)."""
    url = resolve_url(url)
    _require_schema(url)
    try:
        with get_engine(url).connect() as conn:
            check_guards(conn)
    except DBAPIError as e:
        raise RegistryError(db_error_line(e, url)) from None


def has_table(url: str | None, name: str) -> bool:
    """Whether the database has table ``name`` (used by checks, never by workflows)."""
    return inspect(get_engine(url)).has_table(name)
