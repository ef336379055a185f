"""0007 (policy) upgrades a populated 0006 database: its chains stay valid, its identifications
stand, and revoking one takes two people from then on. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.chain import verify_chains as chain_breaks
from repatria.registry.db import downgrade, get_engine, head_revision, migrate, schema_revision
from repatria.services.access.audit import verify_chains
from repatria.services.access.users import add_user
from repatria.services.workflows import review
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify


def test_0007_upgrades_a_populated_0006_database(
    registry_db: str, reference_cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = registry_db
    add_user(db, "ada", "admin")
    for name, role in (("ana", "analyst"), ("rev", "reviewer"), ("rita", "reviewer"),
                       ("cas", "case_manager")):  # fmt: skip
        add_user(db, name, role, actor="ada")
    import_case(db, reference_cases / "example2", actor="ana")
    cid = identify(db, actor="ana").candidates[0].id
    # decisions as 0006 wrote them: no policy version, verdict or override stored
    monkeypatch.setattr(review, "policy_columns", lambda verdict, override: {})
    review.propose(db, cid, actor="ana", override="before the policy existed")
    review.confirm(db, cid, actor="rev", reason="LR", override="before the policy existed")
    monkeypatch.undo()

    assert downgrade(db, "0006_integrity") == "0006_integrity"
    engine = get_engine(db)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        columns = {c["name"] for c in inspect(conn).get_columns("decisions")}
    assert not {"policy_versions", "revocation_requests"} & tables
    assert "policy_version" not in columns
    with Session(engine) as s:  # the 0006 chains verify before the upgrade
        assert all(not breaks for _c, _t, _n, breaks in chain_breaks(s))
        n_decisions = s.execute(text("SELECT count(*) FROM decisions")).scalar_one()
    assert n_decisions == 2

    assert migrate(db) == ("0006_integrity", head_revision())
    assert schema_revision(db) == head_revision()
    assert verify_chains(db).ok
    state = review.candidate_state(db, cid)
    assert state.status == "confirmed" and state.policy == {}  # no policy recorded before 0007
    asked = review.revoke(db, cid, actor="cas", reason="sample swap")
    assert asked.kind == "revoke_request" and asked.person_status == "identified"
    with pytest.raises(ServiceError, match="two-person rule"):
        review.revoke(db, cid, actor="cas", reason="sample swap")
    assert review.revoke(db, cid, actor="rita", reason="swap confirmed").kind == "revoke"
    assert verify_chains(db).ok
