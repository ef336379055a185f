"""Migrations keep the records: 0002 upgrades a populated 0001 database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from repatria.registry.db import downgrade, get_engine, head_revision, migrate, schema_revision


def test_0002_upgrades_a_populated_database_and_keeps_every_row(registry_db: str) -> None:
    assert downgrade(registry_db, "0001") == "0001"
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'u', 'admin', :t)"),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at) "
                "VALUES (1, 'R1', 'burned', 'sampled', :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO samples (id, ref, kind, remains_id, created_at) "
                "VALUES (1, 'S1', 'pm', 1, :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text("INSERT INTO profiles (id, sample_id, created_at) VALUES (1, 1, :t)"),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO genotypes (id, profile_id, marker, allele1, allele2) "
                "VALUES (1, 1, 'TH01', '9', '9.3')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO custody_events (id, seq, remains_id, sample_id, event, "
                "recorded_by_id, recorded_at, prev_hash, row_hash) "
                "VALUES (1, 1, 1, 1, 'sampled', 1, :t, 'a', 'b')"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
    before, after = migrate(registry_db)
    assert (before, after) == ("0001", head_revision()) and schema_revision(registry_db) == after
    with engine.begin() as conn:
        assert conn.execute(text("SELECT condition, status FROM remains")).one() == (
            "burned",
            "sampled",
        )
        assert conn.execute(text("SELECT allele1, allele2 FROM genotypes")).one() == ("9", "9.3")
        assert conn.execute(text("SELECT sample_id FROM custody_events")).scalar_one() == 1
        # the new schema: unknown condition, sample sex, an unknown allele
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at) "
                "VALUES (2, 'R2', 'unknown', 'recovered', :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(text("UPDATE samples SET sex = 'male' WHERE id = 1"))
        conn.execute(
            text(
                "INSERT INTO genotypes (id, profile_id, marker, allele1, allele2) "
                "VALUES (2, 1, 'FGA', '22', NULL)"
            )
        )
    for bad in (
        "INSERT INTO remains (id, ref, condition, status, created_at) "
        "VALUES (3, 'R3', 'soggy', 'recovered', '2025-01-01 00:00:00')",
        "UPDATE samples SET sex = 'x' WHERE id = 1",
        "INSERT INTO samples (id, ref, kind, remains_id, created_at) "
        "VALUES (9, 'S9', 'pm', 99, '2025-01-01 00:00:00')",
    ):
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text(bad))
