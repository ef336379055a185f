"""The migrations build the same schema on SQLite and PostgreSQL, and `db init` is repeatable."""

from __future__ import annotations

from sqlalchemy import inspect

from repatria.registry.db import get_engine, head_revision, migrate, schema_revision
from repatria.registry.models import Base


def test_migrated_schema_matches_models(registry_db: str) -> None:
    tables = set(inspect(get_engine(registry_db)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert schema_revision(registry_db) == head_revision()


def test_migrate_twice_is_a_no_op(registry_db: str) -> None:
    before, after = migrate(registry_db)
    assert before == after == head_revision()


def test_no_drift_between_models_and_migrations(registry_db: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with get_engine(registry_db).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
