"""Policy versions sealed through the audit chain (issue 15): a version's rules edited in the
database after it was set are named by the chain verification, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from registry_samples import insider_sql
from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import PolicyVersion
from repatria.registry.policy_seal import policy_digest, verify_policy_versions
from repatria.services.access.audit import verify_chains
from repatria.services.workflows import policy


def test_policy_digest_is_canonical() -> None:
    a = {"min_lr": 10000.0, "version": 2, "note": "ü"}
    b = json.loads(json.dumps(dict(reversed(list(a.items())))))
    assert policy_digest(a) == policy_digest(b)
    assert policy_digest(a) != policy_digest({**a, "min_lr": 100.0})


def test_a_policy_set_verifies(db: str) -> None:
    policy.set_policy(db, actor="ada", min_lr=1e6, note="stricter")
    policy.set_policy(db, actor="ada", min_posterior=0.999)
    with session_scope(db, read=True) as s:
        assert verify_policy_versions(s) == ([], 0)
    assert verify_chains(db).ok


def test_a_rule_lowered_in_the_database_is_named(db: str) -> None:
    policy.set_policy(db, actor="ada", min_lr=1e6, note="stricter")
    tables = ("policy_versions",)
    if db.startswith("sqlite"):
        drop = [
            f"DROP TRIGGER IF EXISTS trg_{t}_append_only_{e}"
            for t in tables
            for e in ("UPDATE", "DELETE")
        ]
    else:
        drop = [f"ALTER TABLE {t} DISABLE TRIGGER ALL" for t in tables]
    with session_scope(db, read=True) as s:
        doc = s.execute(
            select(PolicyVersion.document).where(PolicyVersion.version == 2)
        ).scalar_one()
    lowered = json.dumps({**doc, "min_lr": 10.0}).replace("'", "''")
    insider_sql(db, *drop, f"UPDATE policy_versions SET document = '{lowered}' WHERE version = 2")
    report = verify_chains(db)
    assert any("policy version 2 was changed after it was set" in b for b in report.breaks)
    assert not any("policy version 1" in b for b in report.breaks)
