"""Alembic environment: run by ``repatria db init`` (``repatria.registry.db.migrate``).

The caller passes an open connection in ``config.attributes["connection"]``; the same
migrations run on SQLite and PostgreSQL. ``render_as_batch`` lets future migrations alter
tables on SQLite, which cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context

from repatria.registry.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through repatria.registry.db.migrate(url)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise RuntimeError("offline (SQL script) migrations are not supported; use `repatria db init`")
run_migrations_online()
