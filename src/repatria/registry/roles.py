"""PostgreSQL roles: the application writes as a role that cannot change the schema.

The database's guards (the two-person triggers, the append-only triggers) only hold against
the application if the role it connects as cannot drop or disable them. So on PostgreSQL there
are two roles:

- the **migration role** (``$REPATRIA_MIGRATE_URL`` or ``repatria db init --migrate-url``): owns
  the tables, runs the migrations, and grants the application role what it needs;
- the **application role** (the URL of ``--db`` / ``$REPATRIA_DATABASE_URL``): SELECT, INSERT,
  UPDATE and DELETE on the tables the workflows change, only SELECT and INSERT on the
  append-only logs, SELECT on ``alembic_version``, and nothing else: it owns nothing, so it can
  neither ALTER nor DROP a table or a trigger, and it has no CREATE on the schema.

SQLite has no roles: whoever can write the file can change the schema, and this module does
nothing there.
"""

from __future__ import annotations

import os
import threading
import warnings

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from repatria.errors import RegistryError

__all__ = [
    "APPEND_ONLY",
    "grant_application_role",
    "ddl_rights",
    "migration_url",
    "warn_if_ddl_role",
    "require_application_role",
    "forget_roles",
]

#: Logs no workflow changes or removes a row of: the application role may only add to them.
APPEND_ONLY = (
    "decisions",
    "association_decisions",
    "custody_events",
    "audit_events",
    "policy_versions",
    "revocation_requests",
)


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def grant_application_role(conn: Connection, role: str) -> None:
    """Give ``role`` exactly the rights the workflows need, on the migration role's connection.

    Run after every migration, so that tables a migration adds are granted too. Whatever the
    role held before on the registry's tables is revoked first.
    """
    from repatria.registry.models import Base

    if conn.dialect.name != "postgresql":
        return
    me = conn.execute(text("SELECT current_user")).scalar()
    if me == role:
        raise RegistryError(
            f"the application role {role} is the migration role: give the application a role "
            "of its own (CREATE ROLE ... LOGIN) and name it in the application URL"
        )
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if exists is None:
        raise RegistryError(
            f"the application role {role} does not exist; create it first "
            f"(CREATE ROLE {role} LOGIN PASSWORD '...'), then run `repatria db init` again"
        )
    r = _quote(conn, role)
    db = _quote(conn, str(conn.execute(text("SELECT current_database()")).scalar()))
    tables = sorted(Base.metadata.tables)
    present = {
        row[0]
        for row in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
    }
    statements = [
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"REVOKE CREATE ON SCHEMA public FROM {r}",
        # Before PostgreSQL 15 every role may create tables in public (a warning, not an
        # error, when the migration role does not own the schema).
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
    ]
    if "alembic_version" in present:
        statements.append(f"GRANT SELECT ON alembic_version TO {r}")
    for table in tables:
        if table not in present:
            continue
        rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON {_quote(conn, table)} TO {r}")
    for sql in statements:
        conn.exec_driver_sql(sql)


def ddl_rights(conn: Connection) -> list[str]:
    """Why the role of ``conn`` could change the schema (empty: it cannot). PostgreSQL only."""
    if conn.dialect.name != "postgresql":
        return []
    row = conn.execute(
        text(
            "SELECT current_user, r.rolsuper, "
            "has_schema_privilege(current_schema(), 'CREATE'), "
            "(SELECT count(*) FROM pg_tables t WHERE t.schemaname = current_schema() "
            " AND pg_has_role(current_user, t.tableowner, 'USAGE')) "
            "FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    user, superuser, create, owned = row
    why = []
    if superuser:
        why.append(f"{user} is a superuser")
    if owned:
        why.append(f"{user} owns {owned} of the registry's tables")
    if create:
        why.append(f"{user} may create tables in the schema")
    return why


_warned: set[str] = set()
_warned_lock = threading.Lock()


def forget_roles() -> None:
    """Forget which databases were warned about (with the engines, see ``dispose_engines``)."""
    with _warned_lock:
        _warned.clear()


def migration_url(url: str, migrate_url: str | None) -> str:
    """The URL migrations run as: ``migrate_url``, else ``$REPATRIA_MIGRATE_URL`` (PostgreSQL
    only), else the application's own ``url`` (resolved)."""
    from repatria.registry.db import MIGRATE_ENV_VAR, display_url, resolve_url

    if make_url(url).get_backend_name() != "postgresql":
        if migrate_url:
            raise RegistryError("a separate migration URL is for PostgreSQL only")
        return url
    given = migrate_url or os.environ.get(MIGRATE_ENV_VAR)
    if not given:
        return url
    owner = resolve_url(given)
    a, b = make_url(url), make_url(owner)
    if (a.host, a.port, a.database) != (b.host, b.port, b.database):
        raise RegistryError(
            f"the migration URL {display_url(owner)} and the application URL "
            f"{display_url(url)} name different databases"
        )
    return url if a.username == b.username else owner


def warn_if_ddl_role(url: str, conn: Connection) -> None:
    """Warn, once per process and database, about a write as a role that can change the schema.

    A warning, not a refusal: an operator's command run as the owner is legitimate (the owner
    could run the same SQL by hand), but should know that the guards do not bind it.
    """
    if conn.dialect.name != "postgresql":
        return
    with _warned_lock:
        if url in _warned:
            return
        _warned.add(url)
    why = ddl_rights(conn)
    if why:
        from repatria.registry.db import display_url

        warnings.warn(
            f"writing to {display_url(url)} as a role that can change the schema "
            f"({'; '.join(why)}): it could drop the two-person and append-only triggers; "
            "use the application role (docs/registry.md, Roles)",
            UserWarning,
            stacklevel=2,
        )


def require_application_role(url: str | None = None) -> None:
    """Refuse (one line) to serve a PostgreSQL database as a role that can change the schema.

    A server holding such a role could drop or disable the triggers that enforce the
    two-person rule and the append-only logs; ``repatria serve`` runs this before it listens.
    """
    from repatria.registry.db import db_error_line, display_url, get_engine, resolve_url

    url = resolve_url(url)
    try:
        with get_engine(url).connect() as conn:
            why = ddl_rights(conn)
    except DBAPIError as e:
        raise RegistryError(db_error_line(e, url)) from None
    if why:
        raise RegistryError(
            f"refusing to serve {display_url(url)}: {'; '.join(why)}, so the server could drop "
            "the two-person and append-only triggers; serve as the application role that "
            "`repatria db init --migrate-url OWNER_URL` grants (docs/registry.md, Roles)"
        )
