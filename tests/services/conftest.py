"""Fixtures for workflow tests: a registry with one user per role, and the shared claims sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import USERS

from repatria.services.access.users import add_user
from shared_data import CLAIMS_SAMPLE, require_shared


@pytest.fixture
def db(registry_db: str) -> str:
    """A registry with one user per role (two analysts, two reviewers)."""
    add_user(registry_db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(registry_db, name, role, actor="ada")
    return registry_db


@pytest.fixture
def claims_file() -> Path:
    """The shared published-claims sample (17 claims): ``../shared``'s, or the bundled copy."""
    return require_shared(CLAIMS_SAMPLE)
