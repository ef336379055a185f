"""The person search's plain-SQL path (:mod:`repatria.registry.person_lookup`) against its
oracle, the same search built with SQLAlchemy and paged by :func:`repatria.services.paging.
sql_page`, on SQLite and PostgreSQL: every page of every query, sort, state and page size,
forwards and backwards, gives the same persons, totals and cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from person_search_data import write_persons
from sqlalchemy import select, text

from repatria.registry.db import get_engine, session_scope
from repatria.registry.models import Person, PersonName, PersonSearchKey
from repatria.registry.person_lookup import _page_sql
from repatria.services import views
from repatria.services.paging import PageSpec, sql_page
from repatria.services.views.persons import PERSON_SORTS, _persons_stmt
from repatria.services.workflows.imports import import_persons

QUERIES = [
    "",
    "Kim",
    "Ri Song",
    "박민준",
    "Choe Kwang-hyok 11",
    "Smirnov",
    "rf-05",
    "РФ-0448213",
    "Сергей",
    "p 01",
    "nobody like this",
]
SORTS = [s for name in PERSON_SORTS for s in (name, f"-{name}")]


@pytest.fixture
def persons_db(db: str, tmp_path: Path) -> str:
    import_persons(db, write_persons(tmp_path / "persons.tsv"), actor="cas")
    return db


def _oracle(db: str, q: str, status: str | None, spec: PageSpec) -> Any:
    with session_scope(db, read=True) as session:
        pg = sql_page(
            session,
            _persons_stmt(q, status),
            sorts=PERSON_SORTS,
            tie=Person.id,
            spec=spec,
            default="ref",
        )
        return [r.ref for r in pg.items], pg.total, pg.next, pg.previous


def _fast(db: str, q: str, status: str | None, spec: PageSpec) -> Any:
    pg = views.search_persons(db, actor="ana", q=q, status=status, page=spec)
    return [p.ref for p in pg.items], pg.total, pg.next, pg.previous


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    q=st.sampled_from(QUERIES),
    status=st.sampled_from([None, "missing", "identified"]),
    sort=st.sampled_from(SORTS),
    limit=st.integers(1, 60),
    steps=st.lists(st.booleans(), max_size=4),
)
def test_every_page_agrees_with_the_sqlalchemy_oracle(
    persons_db: str, q: str, status: str | None, sort: str, limit: int, steps: list[bool]
) -> None:
    spec = PageSpec(sort, limit)
    for forward in [True, *steps]:
        got, want = _fast(persons_db, q, status, spec), _oracle(persons_db, q, status, spec)
        assert got == want, (q, status, spec)
        cursor = want[2] if forward else want[3]
        if cursor is None:
            break
        spec = PageSpec(sort, limit, cursor)


def _walk(db: str, q: str, sort: str, limit: int) -> None:
    """Every page forwards from the first, then every page backwards from the last one
    reached, each equal to the oracle's."""
    spec, last = PageSpec(sort, limit), None
    for direction in (2, 3):
        while True:
            got, want = _fast(db, q, None, spec), _oracle(db, q, None, spec)
            assert got == want, (q, spec)
            if want[direction] is None:
                break
            last = spec = PageSpec(sort, limit, want[direction])
        if last is None:
            return


@pytest.mark.parametrize("sort", ["ref", "-ref"])
def test_a_search_sorted_by_ref_agrees_with_the_oracle_on_every_page(
    persons_db: str, sort: str
) -> None:
    # The search box's own order: sorted and counted on the key rows (their copy of the ref),
    # not on persons; every query, both ways, short and long pages.
    for q in QUERIES[1:]:
        for limit in (1, 7, 50):
            _walk(persons_db, q, sort, limit)


def test_a_replaced_person_is_not_found_and_his_correction_is(persons_db: str) -> None:
    with session_scope(persons_db) as s:
        old = s.execute(select(Person).where(Person.ref == "P-0001")).scalar_one()
        new = Person(ref="P-0001-c", sex=old.sex, status=old.status, supersedes_id=old.id)
        new.names = [PersonName(name="김철수", kind="official", transliteration="Kim Chol-su")]
        s.add(new)
    pg = views.search_persons(persons_db, actor="ana", q="Kim Chol Su")
    refs = [p.ref for p in pg.items]
    assert "P-0001-c" in refs and "P-0001" not in refs
    for sort in ("ref", "-ref", "status"):
        _walk(persons_db, "Kim Chol Su", sort, 3)


def test_the_keys_follow_a_change_of_ref(persons_db: str) -> None:
    with session_scope(persons_db) as s:
        p = s.execute(select(Person).where(Person.ref == "P-0001")).scalar_one()
        p.ref = "Z-0001"
    with session_scope(persons_db, read=True) as s:
        refs = set(s.execute(select(PersonSearchKey.ref).where(PersonSearchKey.person_id == p.id)))
    assert refs == {("Z-0001",)}
    assert (
        views.search_persons(persons_db, actor="ana", q="Kim Chol Su", page=PageSpec("-ref", 1))
        .items[0]
        .ref
        == "Z-0001"
    )
    _walk(persons_db, "Kim Chol Su", "ref", 4)


def test_the_page_statement_seeks_the_key_index(persons_db: str) -> None:
    engine = get_engine(persons_db)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan is checked; PostgreSQL plans by statistics")
    _, page = _page_sql((1, 1), True, False, "ref", False, True)
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {page}", ("n:kim", "n:kin", "n:ri", "P-0001", "P-0001", 0, 50)
        ).all()
    steps = " ".join(str(row) for row in plan)
    assert "ix_person_search_keys_key_person" in steps
    assert "SCAN person_search_keys" not in steps


def test_a_search_holds_no_write_lock(persons_db: str) -> None:
    # The driver's cursor runs inside the session's read transaction, which ends with it.
    views.search_persons(persons_db, actor="ana", q="Kim")
    with session_scope(persons_db) as s:
        s.execute(text("SELECT 1"))


def test_the_hits_of_a_page_are_the_keys_the_query_meets(persons_db: str) -> None:
    # details_of's hits against the key rows filtered in Python: on PostgreSQL the test is
    # ``key ^@ ANY(lows)``, on SQLite the ranges themselves.
    from repatria.registry.db import raw_read
    from repatria.registry.person_lookup import details_of
    from repatria.registry.search_index import query_lookup

    with session_scope(persons_db, read=True) as s:
        rows = s.execute(
            select(
                PersonSearchKey.person_id,
                PersonSearchKey.key,
                PersonSearchKey.source,
                PersonSearchKey.source_id,
            ).order_by(PersonSearchKey.id)
        ).all()
    ids = sorted({r.person_id for r in rows})
    for q in QUERIES[1:]:
        short, ranges = query_lookup(q)
        want: dict[int, list[tuple[str, int]]] = {}
        for r in rows:
            if r.key in short or any(lo <= r.key < hi for lo, hi in ranges):
                want.setdefault(r.person_id, []).append((r.source, r.source_id))
        with raw_read(persons_db) as r:
            got = details_of(r, ids, short, ranges).hits
        assert got == want, q


@pytest.fixture(scope="module")
def pg_conn(postgres_server: str) -> Any:
    import psycopg

    url = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


@settings(max_examples=60, deadline=None)
@given(
    key=st.text(alphabet="abcz09:ыя한", max_size=6),
    low=st.text(alphabet="abcz09:ыя한", min_size=1, max_size=4),
)
def test_a_prefix_test_is_the_prefix_range_on_postgresql(pg_conn: Any, key: str, low: str) -> None:
    # The page's hits on PostgreSQL test ``key ^@ low``; the seeks scan [low, high).
    from repatria.search_keys import prefix_range

    lo, hi = prefix_range(low)
    starts, inside = pg_conn.execute(
        'SELECT %s::text ^@ %s::text, (%s::text COLLATE "C" >= %s AND %s::text COLLATE "C" < %s)',
        [key, lo, key, lo, key, hi],
    ).fetchone()
    assert starts == inside == key.startswith(low)
