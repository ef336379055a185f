"""``raw_read``: the search box's read transaction on a pooled driver connection, no session."""

from __future__ import annotations

import pytest

from repatria.errors import RegistryError
from repatria.registry.db import raw_read, session_scope
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
    _add_user(registry_db, "ana")
    with raw_read(registry_db) as r:
        cur = r.conn.cursor()
        cur.execute(
            "UPDATE users SET role = 'admin' WHERE name = " + ("?" if r.qmark else "%s"), ["ana"]
        )
        cur.close()
    with raw_read(registry_db) as r:
        got = user_standing(r, "ana")
    assert got is not None and got[1] == "analyst"


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
