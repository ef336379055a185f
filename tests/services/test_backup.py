"""Issue 16: backups round-trip every table and verify, even when taken during an import."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from registry_samples import setup_case, write_persons
from sqlalchemy import MetaData, select

from repatria.errors import RegistryError
from repatria.registry.db import dispose_engines, get_engine
from repatria.services.access.audit import verify_chains
from repatria.services.workflows import review
from repatria.services.workflows.custody import record_custody
from repatria.services.workflows.imports import import_persons
from repatria.services.workflows.setup import backup_database, restore_database


def _dump(url: str) -> dict[str, list[tuple]]:
    engine = get_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for name, t in sorted(meta.tables.items())
            if t.primary_key.columns
        }


def _target(db: str, tmp_path: Path, postgres_server: str | None) -> str:
    if db.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite'}"
    import psycopg

    name = f"r_{uuid.uuid4().hex[:10]}"
    dsn = db.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{db.rsplit('/', 1)[0]}/{name}"


def test_backup_and_restore_round_trip_every_table_and_verify(db: str, tmp_path: Path) -> None:
    cids = setup_case(db, tmp_path, n=2)
    review.propose(db, cids[0], actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, cids[0], actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    record_custody(db, actor="cas", event="stored", remains_ref="R-0002", location="shelf 3")
    before = _dump(db)
    out = tmp_path / "registry.backup"
    result = backup_database(db, out)
    assert result.bytes > 0 and (out.stat().st_mode & 0o077) == 0
    with pytest.raises(RegistryError, match="never overwrites"):
        backup_database(db, out)
    target = _target(db, tmp_path, None)
    restore_database(target, out)
    dispose_engines()
    assert _dump(target) == before
    assert verify_chains(target).ok


def test_a_backup_taken_during_an_import_restores_and_verifies(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    big = write_persons(tmp_path / "big.tsv", 3000)
    big.write_text(big.read_text().replace("P-", "B-"))
    importing = threading.Thread(target=lambda: import_persons(db, big, actor="cas"))
    importing.start()
    out = tmp_path / "during.backup"
    try:
        backup_database(db, out)
    finally:
        importing.join()
    target = _target(db, tmp_path, None)
    restore_database(target, out)
    dispose_engines()
    restored = _dump(target)
    persons = len(restored["persons"])
    assert persons in (1, 3001)  # all of the import or none of it
    assert len(restored["import_batches"]) == (3 if persons == 3001 else 2)
    assert verify_chains(target).ok
