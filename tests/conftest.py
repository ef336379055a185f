"""Shared test fixtures.

The reference cases live in ``../shared/reference-cases`` beside the project (test data, never
copied in). A user's clone does not have them: those tests skip with a clear reason. Under CI
(``CI=true``) a missing ``../shared`` is an error.
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
