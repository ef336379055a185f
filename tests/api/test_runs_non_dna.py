"""POST /api/v1/runs takes the run's non-DNA setting (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from repatria.api.app import create_app
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, IdentificationRun

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from test_non_dna_identify import _case  # noqa: E402


def _done(c: TestClient, job: int, h: dict[str, str]) -> dict:
    deadline = time.monotonic() + 120
    while True:
        body = c.get(f"/api/v1/jobs/{job}", headers=h).json()
        if body["state"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_a_run_started_by_the_api_switches_the_factors(registry_db: str, tmp_path: Path) -> None:
    from repatria.services.access.auth import set_password

    _case(registry_db, tmp_path)
    set_password(registry_db, "ana", "a long enough passphrase 1")
    with TestClient(create_app(registry_db), raise_server_exceptions=False) as c:
        token = c.post(
            "/api/v1/auth/token", json={"name": "ana", "password": "a long enough passphrase 1"}
        ).json()["token"]
        h = {"Authorization": f"Bearer {token}"}
        r = c.post("/api/v1/runs", headers=h, json={"non_dna": "blood"})
        assert r.status_code == 409 and "'blood' is not a kind" in r.text
        r = c.post("/api/v1/runs", headers=h, json={"non_dna": "unit"})
        assert r.status_code == 202, r.text
        assert _done(c, r.json()["job"], h)["state"] == "done"
    with session_scope(registry_db, read=True) as s:
        run = s.execute(select(IdentificationRun)).scalars().one()
        assert run.parameters["non_dna"]["kinds"] == ["unit"]
        for cand in s.execute(select(CandidateMatch)).scalars():
            assert [d["kind"] for d in cand.evidence["non_dna"]] == ["unit"]
