"""Fixtures shared by tests/api, tests/web and tests/reports (imported by their conftest files)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from surface_data import load_case

__all__ = ["surface_template", "surface_db", "app_client"]


@pytest.fixture(scope="session")
def surface_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[Path, dict]:
    """The surface case loaded once into a SQLite file; tests get copies."""
    from repatria.registry.db import dispose_engines

    d = tmp_path_factory.mktemp("surface")
    path = d / "surface.sqlite"
    shutil.copyfile(sqlite_template, path)
    ids = load_case(f"sqlite:///{path}", d)
    dispose_engines()
    (d / "ids.json").write_text(json.dumps(ids))
    return path, ids


@pytest.fixture
def surface_db(surface_template: tuple[Path, dict], tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """(database URL, candidate ids) of a fresh copy of the surface case."""
    from repatria.registry.db import dispose_engines

    src, ids = surface_template
    path = tmp_path / "case.sqlite"
    shutil.copyfile(src, path)
    yield f"sqlite:///{path}", ids
    dispose_engines()


@pytest.fixture
def app_client(surface_db: tuple[str, dict]) -> Iterator:
    from fastapi.testclient import TestClient

    from repatria.api.app import create_app

    db, _ids = surface_db
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        yield client
