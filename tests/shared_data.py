"""Where the shared reference data are, and how a test asks for them.

The team's reference data live in ``../shared`` beside the project (``reference-cases/``: the
dvir 3.4.2 exports and their expected results; ``domain/published-claims.tsv``). That folder stays
the source. The project carries a byte-for-byte copy in ``tests/shared_copy/`` (see its
``PROVENANCE.md``) so that a clone with no ``../shared`` beside it runs every reference test:
:func:`shared_path` answers with ``../shared`` when it is there and with the copy otherwise, and
``tests/test_shared_copy.py`` fails when the two differ. Only tests read either; the product never
does.

Imported by name (``from shared_data import ...``), not from ``conftest``: several test folders
have a ``conftest.py`` of their own, and ``import conftest`` would find whichever comes first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
"""The team's shared folder beside the project (the source; absent in a user's clone)."""
BUNDLED = PROJECT / "tests" / "shared_copy"
"""The project's copy of the parts of ``SHARED`` the tests use."""


def shared_path(relative: str) -> Path:
    """``SHARED / relative`` when ``../shared`` holds it, else the bundled copy's file."""
    source = SHARED / relative
    return source if source.exists() else BUNDLED / relative


REFERENCE_CASES = shared_path("reference-cases")
CLAIMS_SAMPLE = shared_path("domain/published-claims.tsv")
FREQUENCY_TABLES = shared_path("frequencies")
CASE_NAMES = (
    "dvi-example",
    "example1",
    "example2",
    "exclusionExample",
    "planecrash",
    "symmetricSibs",
)


def require_shared(path: Path = REFERENCE_CASES) -> Path:
    """Return ``path``, or skip (fail under CI) when it is absent.

    With the bundled copy the reference data are always there; a skip here means a test asked for
    a file neither ``../shared`` nor ``tests/shared_copy`` holds.
    """
    if path.exists():
        return path
    msg = f"reference data not found at {path} (neither in ../shared nor in tests/shared_copy)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(msg + "; CI must have it", pytrace=False)
    pytest.skip(msg)
