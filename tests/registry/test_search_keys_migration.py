"""Migration 0009: the search keys of persons written before it, back-filled (SQLite and
PostgreSQL), equal to what the flush hook writes for a new person."""

from __future__ import annotations

from sqlalchemy import text

from repatria.registry.db import downgrade, get_engine, head_revision, migrate
from repatria.registry.search_index import person_key_rows
from repatria.services import views

_T = {"t": "2025-01-01 00:00:00"}


def test_0009_back_fills_the_keys_of_existing_persons(registry_db: str) -> None:
    assert downgrade(registry_db, "0006_integrity") == "0006_integrity"
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO users (id, name, role, created_at) VALUES (1, 'ana', 'analyst', :t)",
            "INSERT INTO persons (id, ref, sex, status, service_number, created_at) "
            "VALUES (1, 'P-0001', 'male', 'missing', 'SN-200114', :t)",
            "INSERT INTO persons (id, ref, sex, status, created_at) "
            "VALUES (2, 'P-0002', 'male', 'missing', :t)",
            "INSERT INTO person_names (id, person_id, name, kind, transliteration) "
            "VALUES (1, 1, '김철수', 'official', 'Kim Chol-su')",
            "INSERT INTO person_documents (id, person_id, doc_type, number, name_on_document, "
            "authenticity) VALUES (1, 1, 'military id', 'RF-0448213', 'Алдар Очиров', 'false')",
        ):
            conn.execute(text(sql), _T)
    assert migrate(registry_db) == ("0006_integrity", head_revision())
    with engine.begin() as conn:
        stored = {
            (r.person_id, r.key, r.source, r.source_id)
            for r in conn.execute(
                text("SELECT person_id, key, source, source_id FROM person_search_keys")
            )
        }
    expected = person_key_rows(
        1,
        "P-0001",
        "SN-200114",
        [(1, "김철수", "Kim Chol-su")],
        [(1, "RF-0448213", "Алдар Очиров")],
    ) + person_key_rows(2, "P-0002", None, [], [])
    assert stored == {(r["person_id"], r["key"], r["source"], r["source_id"]) for r in expected}
    for q in ("Kim Chol Su", "김 철수", "РФ-0448213", "Aldar Ochirov"):
        assert [p.ref for p in views.search_persons(registry_db, actor="ana", q=q).items] == [
            "P-0001"
        ], q
