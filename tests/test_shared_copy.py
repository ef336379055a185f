"""The bundled copy of the shared reference data is exactly ``../shared``'s, and is not edited.

``tests/shared_copy/`` lets a clone with no ``../shared`` run the reference tests; these tests keep
it honest. Where ``../shared`` is beside the project (the team's checkout, CI) the copy must equal
it file for file and byte for byte (elsewhere that test skips, saying so); everywhere, every file
of the copy must match ``SHA256SUMS``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared_data import BUNDLED, PROJECT, SHARED

COPIED = ("reference-cases", "domain/published-claims.tsv", "frequencies")
"""What the copy holds, relative to ``../shared`` (and to ``tests/shared_copy``)."""


def _files(root: Path) -> dict[str, Path]:
    """Every file of the copied parts under ``root``, keyed by its path relative to ``root``."""
    found: dict[str, Path] = {}
    for part in COPIED:
        top = root / part
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        found.update({p.relative_to(root).as_posix(): p for p in paths})
    return found


def test_bundled_copy_matches_its_checksums() -> None:
    listed = {}
    for line in (BUNDLED / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    files = _files(BUNDLED)
    assert sorted(files) == sorted(listed), "SHA256SUMS and tests/shared_copy list different files"
    changed = [
        name
        for name, path in files.items()
        if hashlib.sha256(path.read_bytes()).hexdigest() != listed[name]
    ]
    assert not changed, f"edited in tests/shared_copy (refresh it from ../shared): {changed}"


def test_bundled_copy_equals_shared() -> None:
    if not (SHARED / "reference-cases").is_dir():
        # A clone on its own (CI included) runs the reference tests from the copy; the checksums
        # above still hold it to what was copied.
        pytest.skip(f"{SHARED} is not beside the project: no source to compare the copy with")
    source, bundled = _files(SHARED), _files(BUNDLED)
    assert sorted(source) == sorted(bundled), (
        f"only in ../shared: {sorted(set(source) - set(bundled))}; "
        f"only in tests/shared_copy: {sorted(set(bundled) - set(source))}"
    )
    differ = [n for n in source if source[n].read_bytes() != bundled[n].read_bytes()]
    assert not differ, (
        f"tests/shared_copy differs from ../shared in {differ}; "
        "refresh it as tests/shared_copy/PROVENANCE.md says"
    )


def test_the_product_never_reads_shared() -> None:
    """No module of ``src/`` names ``../shared`` or the bundled copy: they are test data."""
    offenders = []
    for path in sorted((PROJECT / "src").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if any(s in text for s in ('"shared"', "'shared'", "../shared", "shared_copy")):
            offenders.append(path.relative_to(PROJECT).as_posix())
    assert not offenders
