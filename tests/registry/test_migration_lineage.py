"""0016 (lineage) goes down and up on a populated database, on SQLite and PostgreSQL: the two
tables leave and come back, every other row stays, and the constraints hold after the upgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from repatria.registry.db import downgrade, get_engine, head_revision, migrate, schema_revision

T = {"t": "2025-01-01 00:00:00"}


def test_0016_down_and_up(registry_db: str) -> None:
    db = registry_db
    engine = get_engine(db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at) "
                          "VALUES (1, 'u', 'admin', :t)"), T)  # fmt: skip
        conn.execute(text("INSERT INTO remains (id, ref, condition, status, created_at) "
                          "VALUES (1, 'R1', 'burned', 'sampled', :t)"), T)  # fmt: skip
        conn.execute(text("INSERT INTO samples (id, ref, kind, remains_id, created_at) "
                          "VALUES (1, 'S1', 'pm', 1, :t)"), T)  # fmt: skip
        conn.execute(text("INSERT INTO lineage_profiles (id, sample_id, kind, haplotype, loci, "
                          "created_at) VALUES (1, 1, 'y_str', 'DYS19=14', 1, :t)"), T)  # fmt: skip

    assert downgrade(db, "0015_profile_dropout") == "0015_profile_dropout"
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert not {"lineage_profiles", "haplotype_databases"} & tables
        assert conn.execute(text("SELECT ref FROM samples")).scalar_one() == "S1"

    assert migrate(db) == ("0015_profile_dropout", head_revision())
    assert schema_revision(db) == head_revision()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO lineage_profiles (id, sample_id, kind, haplotype, loci, "
                          "created_at) VALUES (2, 1, 'mtdna', '263G', 1, :t)"), T)  # fmt: skip
        conn.execute(text("INSERT INTO haplotype_databases (id, name, kind, version, source, "
                          "sha256, haplotypes, content, imported_by_id, created_at) VALUES "
                          "(1, 'y', 'y_str', 1, 's', 'x', 0, '[]', 1, :t)"), T)  # fmt: skip
    for bad in (
        "INSERT INTO lineage_profiles (id, sample_id, kind, haplotype, loci, created_at) "
        "VALUES (3, 1, 'x_str', 'a', 1, :t)",  # not a lineage kind
        "INSERT INTO haplotype_databases (id, name, kind, version, source, sha256, haplotypes, "
        "content, imported_by_id, created_at) VALUES (2, 'y', 'y_str', 1, 's', 'x', 0, '[]', 1, "
        ":t)",  # name and version twice
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(bad), T)
