"""``raw_read``: the search box's read transaction on a pooled driver connection, no session."""

from __future__ import annotations

import pytest

from repatria.errors import RegistryError
from repatria.registry.db import RawRead, raw_read, session_scope
from repatria.registry.models import User
from repatria.registry.person_lookup import user_standing


def _add_user(db: str, name: str) -> None:
    with session_scope(db) as s:
        s.add(User(name=name, role="analyst"))


def test_reads_what_a_session_wrote(registry_db: str) -> None:
    _add_user(registry_db, "ana")
    with raw_read(registry_db) as r:
        got = user_standing(r, "ana")
    assert got is not None and got[1] == "analyst" and got[2] is None
    with raw_read(registry_db) as r:
        assert user_standing(r, "nobody") is None


def test_nothing_written_through_it_survives(registry_db: str) -> None:
    # SQLite rolls the write back at the end; PostgreSQL refuses it (a READ ONLY transaction).
    _add_user(registry_db, "ana")
    try:
        with raw_read(registry_db) as r:
            cur = r.conn.cursor()
            cur.execute(
                "UPDATE users SET role = 'admin' WHERE name = " + ("?" if r.qmark else "%s"),
                ["ana"],
            )
            cur.close()
    except RegistryError as e:
        assert not r.qmark and "read-only transaction" in str(e)
    with raw_read(registry_db) as r:
        got = user_standing(r, "ana")
    assert got is not None and got[1] == "analyst"


def _server_state(r: RawRead, sql: str) -> list[tuple[object, ...]]:
    cur = r.conn.cursor()
    try:
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        cur.close()


def test_a_server_read_keeps_its_prepared_statements(registry_db: str) -> None:
    # psycopg forgets what it prepared at every ROLLBACK: reads that ended so never had a
    # statement prepared, and the server parsed and planned each search's statements afresh.
    _add_user(registry_db, "ana")
    with raw_read(registry_db) as r:
        if r.qmark:
            pytest.skip("prepared statements and plans are the server's")
    for _ in range(8):  # past psycopg's threshold (5 uses)
        with raw_read(registry_db) as r:
            assert user_standing(r, "ana") is not None
    with raw_read(registry_db) as r:
        prepared = _server_state(r, "SELECT statement FROM pg_prepared_statements")
        settings = _server_state(
            r, "SELECT current_setting('jit'), current_setting('plan_cache_mode')"
        )
    assert any("FROM users WHERE name" in str(row[0]) for row in prepared)
    assert settings == [("off", "force_generic_plan")]


def test_a_failed_server_read_leaves_a_clean_connection(registry_db: str) -> None:
    _add_user(registry_db, "ana")
    with pytest.raises(RegistryError), raw_read(registry_db) as r:
        _server_state(r, "SELECT no_such_column FROM users")
    for _ in range(3):
        with raw_read(registry_db) as r:
            assert user_standing(r, "ana") is not None
    with session_scope(registry_db) as s:  # the pool's connection is back in its own mode
        s.add(User(name="bo", role="analyst"))
    with raw_read(registry_db) as r:
        assert user_standing(r, "bo") is not None


def test_a_driver_error_is_one_line_without_the_statement(registry_db: str) -> None:
    with pytest.raises(RegistryError) as e, raw_read(registry_db) as r:
        cur = r.conn.cursor()
        cur.execute("SELECT secret_genotype FROM no_such_table")
    line = str(e.value)
    assert "\n" not in line and "secret_genotype" not in line and "SELECT" not in line


def test_the_connection_goes_back_to_the_pool(registry_db: str) -> None:
    _add_user(registry_db, "ana")
    for _ in range(60):  # more than the pool holds: each read must give its connection back
        with raw_read(registry_db) as r:
            assert user_standing(r, "ana") is not None


def _kill_other_connections(db: str) -> None:
    """Terminate every server connection to ``db`` but this one (a restarted server)."""
    import psycopg

    with psycopg.connect(
        db.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.parametrize("registry_db", ["postgresql"], indirect=True)
def test_a_connection_dead_while_idle_is_replaced(
    registry_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections are pinged after sitting idle (db.PING_AFTER_IDLE_S), not on every use: a
    pool whose connections the server dropped still answers the next read and session."""
    from repatria.registry import db

    _add_user(registry_db, "ana")
    with raw_read(registry_db) as r:
        assert user_standing(r, "ana") is not None
    _kill_other_connections(registry_db)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with raw_read(registry_db) as r:
        assert user_standing(r, "ana") is not None
    _kill_other_connections(registry_db)
    with session_scope(registry_db, read=True) as s:
        assert s.query(User).filter_by(name="ana").one().role == "analyst"


@pytest.mark.parametrize("registry_db", ["postgresql"], indirect=True)
def test_a_connection_lost_in_use_fails_one_read_and_is_replaced(
    registry_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repatria.registry import db

    _add_user(registry_db, "ana")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # never pinged
    with raw_read(registry_db) as r:
        assert user_standing(r, "ana") is not None
    _kill_other_connections(registry_db)
    with pytest.raises(RegistryError) as e, raw_read(registry_db) as r:
        user_standing(r, "ana")
    assert "\n" not in str(e.value)
    with raw_read(registry_db) as r:  # the dead connection did not go back to the pool
        assert user_standing(r, "ana") is not None
