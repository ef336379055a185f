"""Issue 16: the attacks of an insider who can write the database, each caught or refused.

Every test runs on SQLite and on PostgreSQL (fixture ``db``), with direct SQL through a plain
DB-API connection (on SQLite without foreign keys, like most ad-hoc tools).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from registry_samples import insider_sql, raw_connect, setup_case

from repatria.errors import RegistryError, ServiceError
from repatria.registry.chain import content_hash
from repatria.services.access.audit import anchor_chains, verify_chains
from repatria.services.workflows import review
from repatria.services.workflows.custody import record_custody


def _rows(db: str, sql: str) -> list[tuple]:
    conn = raw_connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def _uid(db: str, name: str) -> int:
    return int(_rows(db, f"SELECT id FROM users WHERE name = '{name}'")[0][0])


def _identified(db: str, tmp_path: Path, n: int = 2) -> list[int]:
    cids = setup_case(db, tmp_path, n=n)
    review.propose(db, cids[0], actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, cids[0], actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    return cids


def _insert_decision(db: str, cand: int, kind: str, actor: str, refers_to: int | None) -> None:
    proposer = (
        "NULL" if refers_to is None else f"(SELECT actor_id FROM decisions WHERE id = {refers_to})"
    )
    uid = _uid(db, actor)
    if kind == "propose":
        proposer = str(uid)
    conn = raw_connect(db)
    try:
        conn.execute(
            "INSERT INTO decisions (seq, candidate_id, kind, actor_id, proposer_id, refers_to, "
            f"reason, decided_at, prev_hash, row_hash) VALUES (900, {cand}, '{kind}', {uid}, "
            f"{proposer}, {'NULL' if refers_to is None else refers_to}, 'x', "
            f"'2025-01-01 00:00:00', '{'0' * 64}', '{'f' * 64}')"
        )
    finally:
        conn.close()


def _refused(db: str, *args: object) -> str:
    with pytest.raises(Exception) as e:
        _insert_decision(db, *args)  # type: ignore[arg-type]
    return str(e.value)


# ----------------------------------------------------------------------------- two-person rule


def test_a_confirmation_of_another_candidates_proposal_is_refused_by_the_database(
    db: str, tmp_path: Path
) -> None:
    cids = setup_case(db, tmp_path, n=2)
    review.propose(db, cids[0], actor="ana", override="test: accepted below the policy")
    proposal = _rows(db, "SELECT id FROM decisions WHERE kind = 'propose'")[0][0]
    # a reviewer confirms candidate 2 by pointing at candidate 1's proposal
    assert "same candidate" in _refused(db, cids[1], "confirm", "rev", proposal)


def test_an_admin_or_the_proposer_cannot_confirm_even_by_direct_sql(
    db: str, tmp_path: Path
) -> None:
    cid = setup_case(db, tmp_path, n=1)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    proposal = _rows(db, "SELECT id FROM decisions WHERE kind = 'propose'")[0][0]
    assert "two-person rule" in _refused(db, cid, "confirm", "ada", proposal)
    assert "two-person rule" in _refused(db, cid, "confirm", "ana", proposal)
    assert "two-person rule" in _refused(db, cid, "propose", "rev", None)
    with pytest.raises(ServiceError, match="may not confirm"):
        review.confirm(
            db, cid, actor="ada", override="test: accepted below the policy", reason="test: checked"
        )


def test_dropping_the_trigger_makes_every_write_refuse_and_verify_say_so(
    db: str, tmp_path: Path
) -> None:
    cid = setup_case(db, tmp_path, n=1)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    if db.startswith("sqlite"):
        stmts = [f"DROP TRIGGER trg_decisions_rules_{e}" for e in ("INSERT", "UPDATE")]
    else:
        stmts = ["ALTER TABLE decisions DISABLE TRIGGER trg_decisions_rules"]
    insider_sql(db, *stmts)
    with pytest.raises(RegistryError, match="refusing to write: .*trg_decisions_rules"):
        review.confirm(
            db, cid, actor="rev", override="test: accepted below the policy", reason="test: checked"
        )
    report = verify_chains(db)
    assert not report.ok and any("trg_decisions_rules" in b for b in report.breaks)


# ----------------------------------------------------------------------------- keyed chains


def test_an_edit_resealed_with_plain_sha256_is_caught(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    rows = _rows(
        db,
        "SELECT id, seq, candidate_id, kind, actor_id, proposer_id, refers_to, reason, "
        "decided_at, context_digest, prev_hash FROM decisions ORDER BY seq",
    )
    # the forger rewrites the confirmation's reason and re-hashes the chain from there on
    stmts, prev = [], rows[0][10]
    for r in rows:
        rid, seq, cand, kind, actor, proposer, refers, reason, at, ctx, _ = r
        if kind == "confirm":
            reason = "forged"
        at_text = at if isinstance(at, str) else at.strftime("%Y-%m-%d %H:%M:%S.%f")
        stamp = at_text.replace(" ", "T")[:26] + "Z"
        content = {
            "seq": seq,
            "candidate_id": cand,
            "kind": kind,
            "actor_id": actor,
            "proposer_id": proposer,
            "refers_to": refers,
            "reason": reason,
            "decided_at": stamp,
            "context_digest": ctx,
        }
        h = content_hash(prev, content) if seq > 1 else content_hash(r[10], content)
        reason_sql = "NULL" if reason is None else f"'{reason}'"
        link = prev if seq > 1 else r[10]
        stmts.append(
            f"UPDATE decisions SET reason = {reason_sql}, prev_hash = '{link}', "
            f"row_hash = '{h}' WHERE id = {rid}"
        )
        prev = h
    stmts.append(f"UPDATE chain_heads SET last_hash = '{prev}' WHERE chain = 'decisions'")
    insider_sql(db, *stmts)
    report = verify_chains(db)
    assert not report.ok
    assert "re-hashed without the key" in report.first_break()


def test_removing_the_newest_decision_and_rolling_back_the_head_is_caught_by_the_anchor(
    db: str, tmp_path: Path
) -> None:
    _identified(db, tmp_path)
    anchor_chains(db, actor="aud", out=tmp_path / "anchors.jsonl")
    last = _rows(db, "SELECT id, prev_hash, seq FROM decisions ORDER BY seq DESC")[0]
    insider_sql(
        db,
        f"DELETE FROM decisions WHERE id = {last[0]}",
        f"UPDATE chain_heads SET last_seq = {last[2] - 1}, last_hash = '{last[1]}' "
        "WHERE chain = 'decisions'",
    )
    report = verify_chains(db, anchor=tmp_path / "anchors.jsonl")
    assert any("no row at seq 2: rows were removed" in b for b in report.breaks)
    # the confirmation is gone, so the identified person no longer rests on the chain either
    assert any("holds no standing identification" in b for b in report.breaks)


def test_a_forged_anchor_is_refused(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    out = tmp_path / "anchors.jsonl"
    anchor_chains(db, actor="aud", out=out)
    forged = json.loads(out.read_text())
    forged["heads"]["decisions"]["seq"] = 1
    out.write_text(json.dumps(forged) + "\n")
    report = verify_chains(db, anchor=out)
    assert any("not signed with this registry's key" in b for b in report.breaks)


def test_a_status_edit_is_caught(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    insider_sql(db, "UPDATE persons SET status = 'identified' WHERE ref = 'P-0002'")
    report = verify_chains(db)
    assert report.breaks[:1] == [
        "person P-0002 is identified, but the decisions chain holds no standing "
        "identification of them"
    ]


def test_swapping_two_reviewers_names_is_caught(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    insider_sql(
        db,
        "UPDATE users SET name = 'tmp' WHERE name = 'rev'",
        "UPDATE users SET name = 'rev' WHERE name = 'rita'",
        "UPDATE users SET name = 'rita' WHERE name = 'tmp'",
    )
    report = verify_chains(db)
    assert any("decisions chain broken" in b and "the people named" in b for b in report.breaks)


def test_an_edited_lr_or_remains_ref_is_caught(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    insider_sql(db, "UPDATE candidate_matches SET log10_lr = 12 WHERE id = 1")
    assert "candidate's evidence" in verify_chains(db).first_break()


def test_an_edited_audit_entry_is_caught(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    insider_sql(db, "UPDATE audit_events SET user_name = 'nobody' WHERE action = 'review.confirm'")
    assert "audit chain broken at audit_events" in verify_chains(db).first_break()


def test_custody_rests_on_its_references(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    record_custody(db, actor="cas", event="transferred", remains_ref="R-0001", to_party="lab")
    insider_sql(db, "UPDATE remains SET ref = 'R-9999' WHERE ref = 'R-0001'")
    assert "custody chain broken" in verify_chains(db).first_break()


def test_the_plain_sha256_of_a_row_is_not_its_seal(db: str, tmp_path: Path) -> None:
    _identified(db, tmp_path)
    prev, row_hash = _rows(db, "SELECT prev_hash, row_hash FROM decisions WHERE seq = 1")[0]
    assert prev == "0" * 64 and len(row_hash) == 64
    assert row_hash != hashlib.sha256(b"anything").hexdigest()
