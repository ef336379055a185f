"""Imports: all or nothing, once per file, errors naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import PERSON_HEADER, person_line, write_persons, write_remains
from sqlalchemy import func, select

from repatria.errors import FormatError, RegistryError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Base, Person, PersonDocument, PersonName, Remains
from repatria.services.workflows.imports import import_claims, import_persons, import_remains


def table_counts(db: str) -> dict[str, int]:
    with session_scope(db) as s:
        return {
            name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in Base.metadata.tables.items()
        }


def test_import_persons_keeps_every_name_and_paper(db: str, tmp_path: Path) -> None:
    result = import_persons(db, write_persons(tmp_path / "persons.tsv", 3), actor="cas")
    assert (result.rows, result.already_imported) == (3, False)
    with session_scope(db) as s:
        p = s.execute(select(Person).where(Person.ref == "P-0002")).scalar_one()
        names = {(n.name, n.kind, n.script, n.transliteration) for n in p.names}
        assert ("김철수2", "official", "Hang", "Kim Chol-su 2") in names
        assert ("Ivan Petrov 2", "false", "Latn", None) in names
        assert [(d.doc_type, d.authenticity, d.issuer) for d in p.documents] == [
            ("military id", "foreign", "Russia")
        ]
        assert (p.status, p.service_number, p.last_known_lat) == ("missing", "SN-000002", 51.24)


def test_import_remains_with_effects(db: str, tmp_path: Path) -> None:
    import_remains(db, write_remains(tmp_path / "remains.tsv", 2), actor="cas")
    with session_scope(db) as s:
        r = s.execute(select(Remains).where(Remains.ref == "R-0001")).scalar_one()
        assert (r.condition, r.status, r.site_lat) == ("burned", "recovered", 51.25)
        assert [e.kind for e in r.effects] == ["tag", "notebook"]


def test_same_file_twice_is_a_no_op_that_says_so(db: str, tmp_path: Path) -> None:
    path = write_persons(tmp_path / "persons.tsv", 5)
    first = import_persons(db, path, actor="cas")
    before = table_counts(db)
    again = import_persons(db, path, actor="cas")
    assert again.already_imported and again.import_id == first.import_id
    assert "already imported" in again.message
    after = table_counts(db)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def test_bad_line_57_of_100_leaves_every_table_as_it_was(db: str, tmp_path: Path) -> None:
    import_persons(db, write_persons(tmp_path / "first.tsv", 2), actor="cas")
    lines = [person_line(i) for i in range(100, 200)]
    # File line 1 is the header, so data line k is file line k + 1: line 57 is lines[55].
    fields = lines[55].split("\t")
    fields[PERSON_HEADER.split("\t").index("last_known_lat")] = "north-ish"
    lines[55] = "\t".join(fields)
    path = tmp_path / "persons100.tsv"
    path.write_text(PERSON_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    before = table_counts(db)
    with pytest.raises(FormatError) as e:
        import_persons(db, path, actor="cas")
    assert (e.value.file, e.value.line, e.value.field) == (str(path), 57, "last_known_lat")
    assert "persons100.tsv line 57 field `last_known_lat`" in str(e.value)
    assert table_counts(db) == before


def test_registry_conflict_on_line_57_rolls_back_the_whole_file(db: str, tmp_path: Path) -> None:
    import_persons(db, write_persons(tmp_path / "first.tsv", 2), actor="cas")
    # Lines 2..56 are new persons; line 57 repeats P-0001, already in the registry.
    lines = (
        [person_line(i) for i in range(300, 355)]
        + [person_line(1)]
        + [person_line(i) for i in range(400, 444)]
    )
    path = tmp_path / "conflict.tsv"
    path.write_text(PERSON_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    before = table_counts(db)
    with pytest.raises(
        RegistryError, match=r"conflict.tsv line 57 field `person_ref`: person P-0001"
    ):
        import_persons(db, path, actor="cas")
    assert table_counts(db) == before
    with session_scope(db) as s:
        assert s.execute(select(func.count()).select_from(PersonName)).scalar_one() == 2 * 3
        assert s.execute(select(func.count()).select_from(PersonDocument)).scalar_one() == 2


def test_vocabulary_errors_name_the_field(db: str, tmp_path: Path) -> None:
    path = tmp_path / "remains.tsv"
    write_remains(path, 3)
    path.write_text(path.read_text().replace("fragmentary", "decomposed"), encoding="utf-8")
    with pytest.raises(FormatError, match=r"line 3 field `condition`: 'decomposed' is not one of"):
        import_remains(db, path, actor="cas")
    assert table_counts(db)["remains"] == 0


def test_import_claims_sample(db: str, claims_file: Path) -> None:
    result = import_claims(db, claims_file, actor="cas")
    assert result.rows == 17
    again = import_claims(db, claims_file, actor="cas")
    assert again.already_imported


def test_import_needs_the_right_role(db: str, tmp_path: Path) -> None:
    path = write_persons(tmp_path / "p.tsv", 1)
    with pytest.raises(ServiceError, match="rev is a reviewer and may not import persons"):
        import_persons(db, path, actor="rev")
    with pytest.raises(ServiceError, match="there is no user named 'nobody'"):
        import_persons(db, path, actor="nobody")
