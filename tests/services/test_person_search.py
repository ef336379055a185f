"""Finding anyone by any name or paper, in the database (issue 15 Deliver 5), on SQLite and
PostgreSQL: the issue's spellings, false papers, paging through every person, the keys kept
with the names they come from, and a naive oracle for the indexed lookup."""

from __future__ import annotations

from pathlib import Path

import pytest
from person_search_data import N_PERSONS, write_persons
from sqlalchemy import select, text

from repatria.errors import FormatError
from repatria.registry.db import get_engine, session_scope
from repatria.registry.models import Person, PersonDocument, PersonName, PersonSearchKey
from repatria.registry.search_index import PREFIX_MIN, person_key_rows
from repatria.search_keys import query_keys
from repatria.services import views
from repatria.services.paging import page_spec
from repatria.services.workflows.imports import import_persons


@pytest.fixture
def persons_db(db: str, tmp_path: Path) -> str:
    import_persons(db, write_persons(tmp_path / "persons.tsv"), actor="cas")
    return db


def _refs(db: str, q: str, **kw: object) -> list[str]:
    page = views.search_persons(db, actor="ana", q=q, page=page_spec(limit=500), **kw)  # type: ignore[arg-type]
    return [p.ref for p in page.items]


@pytest.mark.parametrize("q", ["Kim Chol Su", "김 철수", "Kim Chol-su", "김철수", "KIM CHOLSU"])
def test_every_spelling_of_the_name_finds_the_same_person(persons_db: str, q: str) -> None:
    assert _refs(persons_db, q) == ["P-0001"]


@pytest.mark.parametrize(
    "q", ["RF-0448213", "РФ-0448213", "rf 0448213", "RF0448213", "Алдар Очиров", "Aldar Ochirov"]
)
def test_a_false_paper_finds_the_soldier(persons_db: str, q: str) -> None:
    page = views.search_persons(persons_db, actor="ana", q=q)
    assert [p.ref for p in page.items] == ["P-0001"] and page.total == 1
    hit = page.items[0]
    assert hit.matched  # what the query met is shown
    assert hit.documents[0]["number"] == "RF-0448213"


def test_ref_service_number_and_a_prefix(persons_db: str) -> None:
    assert _refs(persons_db, "p 0100") == ["P-0100"]
    assert _refs(persons_db, "SN-200114") == ["P-0001"]
    # "Ivanov" is a prefix of every Иванов Сергей's keys.
    ivanovs = _refs(persons_db, "Ivanov")
    assert ivanovs and all(int(r[2:]) % 10 == 0 for r in ivanovs)
    assert _refs(persons_db, "Иванов") == ivanovs
    assert _refs(persons_db, "nobody like this") == []


def test_paging_reaches_every_person_and_walks_back(persons_db: str) -> None:
    seen: list[str] = []
    cursor = None
    pages = []
    while True:
        page = views.search_persons(
            persons_db, actor="ana", q="", page=page_spec(limit=20, cursor=cursor)
        )
        assert page.total == N_PERSONS
        pages.append(page)
        seen += [p.ref for p in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == [f"P-{i:04d}" for i in range(1, N_PERSONS + 1)]
    assert len(pages) == 8 and pages[0].previous is None
    back = views.search_persons(
        persons_db, actor="ana", q="", page=page_spec(limit=20, cursor=pages[-1].previous)
    )
    assert [p.ref for p in back.items] == [p.ref for p in pages[-2].items]
    assert back.next is not None and back.previous is not None


def test_sorting_descending_and_by_state(persons_db: str) -> None:
    page = views.search_persons(persons_db, actor="ana", q="", page=page_spec("-ref", 3))
    assert [p.ref for p in page.items] == ["P-0145", "P-0144", "P-0143"]
    nxt = views.search_persons(persons_db, actor="ana", q="", page=page_spec("-ref", 3, page.next))
    assert [p.ref for p in nxt.items] == ["P-0142", "P-0141", "P-0140"]
    with pytest.raises(FormatError, match="cannot sort by 'genotype'"):
        views.search_persons(persons_db, actor="ana", q="", page=page_spec("genotype"))
    with pytest.raises(FormatError, match="belongs to the list sorted by '-ref'"):
        views.search_persons(persons_db, actor="ana", q="", page=page_spec("ref", 3, page.next))
    with pytest.raises(FormatError, match="not valid"):
        views.search_persons(persons_db, actor="ana", q="", page=page_spec(None, 3, "garbage!"))


def test_csv_lists_every_match_in_order(persons_db: str) -> None:
    text_ = views.persons_csv(persons_db, actor="ana", q="", sort="-ref")
    lines = text_.strip().splitlines()
    assert lines[0] == "ref,name,other names,documents,unit,status"
    assert len(lines) == N_PERSONS + 1 and lines[1].startswith("P-0145,")
    one = views.persons_csv(persons_db, actor="ana", q="РФ-0448213", sort=None)
    assert one.splitlines()[1].startswith("P-0001,김철수,")


def test_a_corrected_name_and_a_new_alias_are_found_at_once(persons_db: str) -> None:
    with session_scope(persons_db) as s:
        p = s.execute(select(Person).where(Person.ref == "P-0002")).scalar_one()
        p.names[0].name = "Ефим Шапиро"
        p.names[0].transliteration = None
        s.add(PersonName(person_id=p.id, name="Yefim Shapiro", kind="alias"))
        s.add(PersonDocument(person_id=p.id, doc_type="passport", number="AB 777 555"))
    assert _refs(persons_db, "Efim Shapiro") == ["P-0002"]
    assert _refs(persons_db, "ab777555") == ["P-0002"]
    old = person_key_rows(0, "x", None, [(0, "Петров Алексей 2", "Petrov Aleksei 2")], [])
    with session_scope(persons_db) as s:
        keys = set(
            s.execute(
                select(PersonSearchKey.key).where(PersonSearchKey.person_id == p.id)
            ).scalars()
        )
    assert keys.isdisjoint(r["key"] for r in old)  # the old name's keys are gone


def test_search_agrees_with_a_naive_oracle(persons_db: str) -> None:
    """The indexed lookup against a scan in Python of every stored key, by the documented rule
    (equality, or a prefix for keys of at least PREFIX_MIN letters)."""
    with session_scope(persons_db) as s:
        stored = s.execute(
            select(Person.ref, PersonSearchKey.key).join(
                Person, Person.id == PersonSearchKey.person_id
            )
        ).all()
    queries = [
        "Kim",
        "Ri Song",
        "박민준",
        "Choe Kwang-hyok 11",
        "Smirnov",
        "rf-05",
        "Сергей",
        "ra 0000",
    ]
    for q in queries:
        keys = query_keys(q)

        def meets(k: str, keys: frozenset[str] = keys) -> bool:
            return any(
                k == qk or (len(qk.split(":", 1)[1]) >= PREFIX_MIN and k.startswith(qk))
                for qk in keys
            )

        oracle = sorted({ref for ref, k in stored if meets(k)})
        assert _refs(persons_db, q) == oracle, q


def test_the_lookup_is_an_index_range_not_a_scan(persons_db: str) -> None:
    engine = get_engine(persons_db)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan is checked; PostgreSQL plans by statistics")
    with engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT DISTINCT person_id FROM person_search_keys "
                "WHERE key >= 'n:kim' AND key < 'n:kin'"
            )
        ).all()
    assert any("ix_person_search_keys_key_person" in str(row) for row in plan)


def test_every_person_written_has_keys(persons_db: str) -> None:
    with session_scope(persons_db) as s:
        without = s.execute(
            select(Person.ref).where(~Person.id.in_(select(PersonSearchKey.person_id)))
        ).all()
    assert without == []
