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
from sqlalchemy import text

from repatria.registry.db import get_engine, session_scope
from repatria.registry.models import Person
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


def test_the_page_statement_seeks_the_key_index(persons_db: str) -> None:
    engine = get_engine(persons_db)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan is checked; PostgreSQL plans by statistics")
    _, page = _page_sql(1, 1, True, False, "ref", False, True)
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
