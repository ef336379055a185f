"""0017 adds the non-DNA evidence columns of remains and effects, and takes them away again,
keeping every row, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from repatria.registry.db import downgrade, get_engine, head_revision, migrate

NEW = {
    "remains": {"sex_estimate", "sex_method", "age_min", "age_max", "unit"},
    "effects": {"number", "reliability", "recognised_as"},
}


def _columns(db: str, table: str) -> set[str]:
    return {c["name"] for c in inspect(get_engine(db)).get_columns(table)}


def test_0017_down_and_up_keeps_the_rows(registry_db: str) -> None:
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at, sex_estimate, "
                "age_min, unit) VALUES (1, 'R1', 'burned', 'recovered', :t, 'male', 20, '3rd')"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO effects (id, remains_id, kind, number, reliability) "
                "VALUES (1, 1, 'document', 'AB 1', 0.5)"
            )
        )
    assert downgrade(registry_db, "0016_lineage") == "0016_lineage"
    for table, cols in NEW.items():
        assert not cols & _columns(registry_db, table)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT ref FROM remains")).scalar_one() == "R1"
        assert conn.execute(text("SELECT kind FROM effects")).scalar_one() == "document"
    assert migrate(registry_db)[1] == head_revision()
    for table, cols in NEW.items():
        assert cols <= _columns(registry_db, table)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT sex_estimate FROM remains")).scalar_one() is None


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE remains SET sex_estimate = 'tall'",
        "UPDATE effects SET reliability = 1.5",
    ],
)
def test_0017_checks_hold(registry_db: str, sql: str) -> None:
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at) "
                "VALUES (1, 'R1', 'burned', 'recovered', :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(text("INSERT INTO effects (id, remains_id, kind) VALUES (1, 1, 'tag')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(sql))
