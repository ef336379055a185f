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


def test_0019_gives_every_key_the_ref_of_its_person(registry_db: str) -> None:
    views_before = _two_persons_at_0018(registry_db)
    assert migrate(registry_db) == ("0018_direct_references", head_revision())
    with get_engine(registry_db).begin() as conn:
        refs = set(
            conn.execute(
                text(
                    "SELECT k.person_id, k.ref, p.ref FROM person_search_keys k "
                    "JOIN persons p ON p.id = k.person_id"
                )
            )
        )
    assert {(pid, ref) for pid, ref, _ in refs} == {(1, "P-0001"), (2, "P-0002")}
    assert all(kref == pref for _, kref, pref in refs)
    for q, want in views_before.items():
        assert [p.ref for p in views.search_persons(registry_db, actor="ana", q=q).items] == want


def _two_persons_at_0018(url: str) -> dict[str, list[str]]:
    """Two persons with their keys written at 0018 (no ref on the keys); what searches find."""
    assert downgrade(url, "0018_direct_references") == "0018_direct_references"
    with get_engine(url).begin() as conn:
        for sql in (
            "INSERT INTO users (id, name, role, created_at) VALUES (1, 'ana', 'analyst', :t)",
            "INSERT INTO persons (id, ref, sex, status, created_at) "
            "VALUES (1, 'P-0001', 'male', 'missing', :t)",
            "INSERT INTO persons (id, ref, sex, status, created_at) "
            "VALUES (2, 'P-0002', 'male', 'missing', :t)",
            "INSERT INTO person_names (id, person_id, name, kind, transliteration) "
            "VALUES (1, 1, '김철수', 'official', 'Kim Chol-su')",
            "INSERT INTO person_names (id, person_id, name, kind, transliteration) "
            "VALUES (2, 2, 'Иванов Сергей', 'official', 'Ivanov Sergei')",
        ):
            conn.execute(text(sql), _T)
        for row in person_key_rows(1, "P-0001", None, [(1, "김철수", "Kim Chol-su")], []) + (
            person_key_rows(2, "P-0002", None, [(2, "Иванов Сергей", "Ivanov Sergei")], [])
        ):
            conn.execute(
                text(
                    "INSERT INTO person_search_keys (person_id, key, source, source_id, "
                    "keys_version) VALUES (:person_id, :key, :source, :source_id, :keys_version)"
                ),
                row,
            )
    return {"Kim Chol Su": ["P-0001"], "Ivanov": ["P-0002"], "p 000": ["P-0001", "P-0002"]}
