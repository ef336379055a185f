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
