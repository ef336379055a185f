"""Migration 0008 (notification) goes down and up again on SQLite and PostgreSQL, keeping rows."""

from __future__ import annotations

from sqlalchemy import inspect, text

from repatria.registry.db import downgrade, get_engine, head_revision, migrate


def test_0008_downgrades_and_upgrades(registry_db: str) -> None:
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO donors (ref, consent_scope, created_at) "
                "VALUES ('D1', 'identification', CURRENT_TIMESTAMP)"
            )
        )
    assert downgrade(registry_db, "0006_integrity") == "0006_integrity"
    cols = {c["name"] for c in inspect(get_engine(registry_db)).get_columns("donors")}
    assert "contact_declined_at" not in cols
    assert "notification_exceptions" not in inspect(get_engine(registry_db)).get_table_names()
    assert migrate(registry_db)[1] == head_revision()
    with get_engine(registry_db).begin() as conn:
        row = conn.execute(text("SELECT ref, contact_declined_at FROM donors")).one()
    assert tuple(row) == ("D1", None)
