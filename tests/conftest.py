"""Shared test fixtures.

The reference cases live in ``../shared/reference-cases`` beside the project (test data, never
copied in). A user's clone does not have them: those tests skip with a clear reason. Under CI
(``CI=true``) a missing ``../shared`` is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry_db_fixtures import *  # noqa: F401,F403  (registry_db: SQLite and PostgreSQL)

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
REFERENCE_CASES = SHARED / "reference-cases"
CASE_NAMES = ("dvi-example", "example1", "example2", "exclusionExample", "planecrash", "symmetricSibs")


def require_shared(path: Path = REFERENCE_CASES) -> Path:
    """Return ``path``, or skip (fail under CI) when the shared reference data are absent."""
    if path.exists():
        return path
    msg = f"shared reference data not found at {path} (it sits beside the project in the team's checkout)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg + "; CI must have it", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def reference_cases() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def vectors_file() -> Path:
    return require_shared(REFERENCE_CASES / "likelihood-vectors.json")
