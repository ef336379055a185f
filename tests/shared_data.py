"""Where the shared reference data are, and how a test asks for them.

Imported by name (``from shared_data import ...``), not from ``conftest``: several test folders
have a ``conftest.py`` of their own, and ``import conftest`` would find whichever comes first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
REFERENCE_CASES = SHARED / "reference-cases"
CASE_NAMES = (
    "dvi-example",
    "example1",
    "example2",
    "exclusionExample",
    "planecrash",
    "symmetricSibs",
)


def require_shared(path: Path = REFERENCE_CASES) -> Path:
    """Return ``path``, or skip (fail under CI) when the shared reference data are absent."""
    if path.exists():
        return path
    msg = f"shared reference data not found at {path} (it sits beside the project in the team's checkout)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(msg + "; CI must have it", pytrace=False)
    pytest.skip(msg)
