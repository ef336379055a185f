"""0018 (direct references) goes down and up on a populated database, on SQLite and PostgreSQL:
the table leaves and comes back, every other row stays, and its constraints hold."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from repatria.registry.db import downgrade, get_engine, head_revision, migrate, schema_revision

T = {"t": "2025-01-01 00:00:00"}
_ROW = (
    "INSERT INTO direct_references (id, ref, person_id, sample_id, item, reliability, "
    "recorded_by_id, created_at) VALUES ({id}, '{ref}', 1, {sample}, '{item}', {rel}, 1, :t)"
)


def test_0018_down_and_up(registry_db: str) -> None:
    db = registry_db
    engine = get_engine(db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at) "
                          "VALUES (1, 'u', 'admin', :t)"), T)  # fmt: skip
        conn.execute(text("INSERT INTO persons (id, ref, sex, status, created_at) "
                          "VALUES (1, 'MP1', 'male', 'missing', :t)"), T)  # fmt: skip
        for sid in (1, 2, 3):
            conn.execute(text(f"INSERT INTO samples (id, ref, kind, created_at) "
                              f"VALUES ({sid}, 'TB{sid}', 'reference', :t)"), T)  # fmt: skip
        conn.execute(text(_ROW.format(id=1, ref="D1", sample=1, item="toothbrush", rel=1)), T)

    assert downgrade(db, "0017_non_dna_evidence") == "0017_non_dna_evidence"
    with engine.connect() as conn:
        assert "direct_references" not in set(inspect(conn).get_table_names())
        assert conn.execute(text("SELECT count(*) FROM samples")).scalar_one() == 3

    assert migrate(db) == ("0017_non_dna_evidence", head_revision())
    assert schema_revision(db) == head_revision()
    with engine.begin() as conn:
        conn.execute(text(_ROW.format(id=2, ref="D2", sample=2, item="razor", rel=0.8)), T)
    for bad in (
        _ROW.format(id=3, ref="D3", sample=3, item="spoon", rel=1),  # not an item kind
        _ROW.format(id=3, ref="D3", sample=3, item="razor", rel=1.5),  # not a probability
        _ROW.format(id=3, ref="D3", sample=3, item="razor", rel=0),  # never his: not a reference
        _ROW.format(id=3, ref="D3", sample=2, item="razor", rel=1),  # one sample, two items
        _ROW.format(id=3, ref="D2", sample=3, item="razor", rel=1),  # ref twice
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(bad), T)
