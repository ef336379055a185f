"""Shared test fixtures.

The reference cases are read from ``../shared/reference-cases`` beside the project when it is
there (the source), else from the project's byte-for-byte copy in ``tests/shared_copy/`` (see
``shared_data.py`` and ``tests/shared_copy/PROVENANCE.md``), so a fresh clone runs every reference
test. ``tests/test_shared_copy.py`` fails when the copy and ``../shared`` differ.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from registry_db_fixtures import *  # noqa: F401,F403  (registry_db: SQLite and PostgreSQL)
from shared_data import CASE_NAMES, REFERENCE_CASES, require_shared  # noqa: F401

# Every registry the tests create (SQLite and PostgreSQL, templates cloned per test) shares one
# chain key outside the databases, made 0600 here; subprocesses inherit it.
if "REPATRIA_CHAIN_KEY_FILE" not in os.environ:
    _key_dir = Path(tempfile.mkdtemp(prefix="repatria-chainkey-"))
    os.environ["REPATRIA_CHAIN_KEY_FILE"] = str(_key_dir / "chain.key")


def pytest_configure(config: pytest.Config) -> None:
    # The PostgreSQL tests connect as the server's superuser on purpose (attacks by direct SQL);
    # the warning every write then gives is tested on its own (tests/services/test_app_role.py).
    config.addinivalue_line(
        "filterwarnings", "ignore:writing to .* as a role that can change the schema:UserWarning"
    )


@pytest.fixture(scope="session")
def reference_cases() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def vectors_file() -> Path:
    return require_shared(REFERENCE_CASES / "likelihood-vectors.json")
