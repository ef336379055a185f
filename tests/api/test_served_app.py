"""``repatria serve --workers N``: each worker process builds its app from the factory, with the
server's checks (schema, guards, background audit writes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repatria.api.app import SERVE_DB_VAR, served_app
from repatria.registry import db as registry_db_module


def test_the_worker_factory_serves_the_named_registry(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "served.sqlite"
    path.write_bytes(sqlite_template.read_bytes())
    monkeypatch.setenv(SERVE_DB_VAR, f"sqlite:///{path}")
    try:
        with TestClient(served_app()) as client:
            assert client.get("/healthz").text == "ok"
            assert client.get("/api/v1/me").status_code == 401
    finally:
        registry_db_module.flush_background_writes()
        registry_db_module.write_reads_in_background(False)
        registry_db_module.dispose_engines()
