"""Shared test fixtures.

The reference cases are read from ``../shared/reference-cases`` beside the project when it is
there (the source), else from the project's byte-for-byte copy in ``tests/shared_copy/`` (see
``shared_data.py`` and ``tests/shared_copy/PROVENANCE.md``), so a fresh clone runs every reference
test. ``tests/test_shared_copy.py`` fails when the copy and ``../shared`` differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_db_fixtures import *  # noqa: F401,F403  (registry_db: SQLite and PostgreSQL)
from shared_data import CASE_NAMES, REFERENCE_CASES, require_shared  # noqa: F401


@pytest.fixture(scope="session")
def reference_cases() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def vectors_file() -> Path:
    return require_shared(REFERENCE_CASES / "likelihood-vectors.json")
