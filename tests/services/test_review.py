"""Review: propose, confirm or reject by another person, revoke; the database holds the rules."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from registry_samples import raw_connect, setup_case
from sqlalchemy import func, select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Decision, Person, Remains, StateChange, User
from repatria.services.workflows import review


def _user_id(db: str, name: str) -> int:
    with session_scope(db) as s:
        return s.execute(select(User.id).where(User.name == name)).scalar_one()


def _status(db: str, person_ref: str, remains_ref: str) -> tuple[str, str]:
    with session_scope(db) as s:
        return (
            s.execute(select(Person.status).where(Person.ref == person_ref)).scalar_one(),
            s.execute(select(Remains.status).where(Remains.ref == remains_ref)).scalar_one(),
        )


def test_propose_then_confirm_identifies_person_and_remains(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    p = review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    assert (p.kind, p.person_status) == ("propose", "missing")
    c = review.confirm(
        db,
        cid,
        actor="rev",
        reason="LR 10^7.5, no alternative",
        override="test: accepted below the policy",
    )
    assert (c.person_status, c.remains_status) == ("identified", "identified")
    assert review.candidate_state(db, cid).status == "confirmed"
    assert "confirmed by rev" in c.message


def test_reject_needs_a_reason_and_changes_no_state(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    with pytest.raises(ServiceError, match="give the reason"):
        review.reject(db, cid, actor="rev", reason=" ")
    review.reject(db, cid, actor="rev", reason="two markers excluded")
    assert _status(db, "P-0001", "R-0001") == ("missing", "recovered")
    with pytest.raises(ServiceError, match="already rejected by rev"):
        review.confirm(
            db,
            cid,
            actor="rita",
            override="test: accepted below the policy",
            reason="test: checked",
        )


def test_same_person_cannot_propose_and_confirm(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    with pytest.raises(ServiceError, match="has not been proposed"):
        review.confirm(
            db, cid, actor="rev", override="test: accepted below the policy", reason="test: checked"
        )
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    with pytest.raises(ServiceError, match="ana is an analyst and may not confirm"):
        review.confirm(
            db, cid, actor="ana", override="test: accepted below the policy", reason="test: checked"
        )
    with pytest.raises(ServiceError, match="rev is a reviewer and may not propose"):
        review.propose(db, cid, actor="rev", override="test: accepted below the policy")


def _refused(db: str) -> tuple[type[Exception], ...]:
    """The errors a raw DB-API connection raises when the database refuses a write."""
    if db.startswith("sqlite"):
        import sqlite3

        return (sqlite3.DatabaseError,)
    import psycopg

    return (psycopg.Error,)


def test_two_person_rule_holds_for_direct_sql_writes(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    proposal = review.propose(
        db, cid, actor="ana", override="test: accepted below the policy"
    ).decision_id
    ana, rev = _user_id(db, "ana"), _user_id(db, "rev")
    insert = (
        "INSERT INTO decisions (seq, candidate_id, kind, actor_id, proposer_id, refers_to, "
        "reason, decided_at, prev_hash, row_hash) VALUES ({seq}, {cid}, 'confirm', {actor}, "
        "{proposer}, {ref}, NULL, '2025-01-01 00:00:00', '{h}', '{h2}')"
    )
    conn = raw_connect(db)
    try:
        attempts = [
            # the proposer confirms their own proposal, honestly naming themselves
            dict(actor=ana, proposer=ana),
            # the proposer confirms and lies about who proposed (needs the trigger on SQLite
            # connections without foreign keys, the composite foreign key elsewhere)
            dict(actor=ana, proposer=rev),
        ]
        for k, a in enumerate(attempts):
            with pytest.raises(_refused(db)) as e:
                conn.execute(
                    insert.format(
                        seq=100 + k, cid=cid, ref=proposal, h="a" * 64, h2=f"{k:064d}", **a
                    )
                )
            assert (
                "two" in str(e.value).lower()
                or "foreign key" in str(e.value).lower()
                or "check" in str(e.value).lower()
            ), str(e.value)
        # A legitimate confirmation written directly goes in ...
        conn.execute(
            insert.format(
                seq=200, cid=cid, ref=proposal, h="b" * 64, h2="c" * 64, actor=rev, proposer=ana
            )
        )
        # ... but cannot afterwards be turned into a self-confirmation, nor duplicated.
        with pytest.raises(_refused(db)):
            conn.execute(f"UPDATE decisions SET actor_id = {ana} WHERE seq = 200")
        with pytest.raises(_refused(db)):
            conn.execute(
                insert.format(
                    seq=201,
                    cid=cid,
                    ref=proposal,
                    h="d" * 64,
                    h2="e" * 64,
                    actor=_user_id(db, "rita"),
                    proposer=ana,
                )
            )
    finally:
        conn.close()
    with session_scope(db) as s:
        kinds = s.execute(
            select(Decision.kind, Decision.actor_id)
            .where(Decision.candidate_id == cid)
            .order_by(Decision.seq)
        ).all()
    assert kinds == [("propose", ana), ("confirm", rev)]


def test_revoke_reopens_person_and_remains(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    with pytest.raises(ServiceError, match="no confirmed identification to revoke"):
        review.revoke(db, cid, actor="rev", reason="x")
    review.confirm(
        db, cid, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    asked = review.revoke(db, cid, actor="cas", reason="sample mix-up found in the lab audit")
    # one person asks; the identification stands until a second one revokes it
    assert asked.kind == "revoke_request" and asked.person_status == "identified"
    assert review.candidate_state(db, cid).status == "confirmed"
    r = review.revoke(db, cid, actor="rita", reason="the lab audit shows the tubes swapped")
    assert (r.person_status, r.remains_status) == ("missing", "recovered")
    assert review.candidate_state(db, cid).status == "revoked"
    with session_scope(db) as s:
        moves = s.execute(
            select(StateChange.entity, StateChange.from_state, StateChange.to_state).order_by(
                StateChange.id
            )
        ).all()
    # the body moves, and its one recovered item with it
    assert moves == [
        ("person", "missing", "identified"),
        ("body", "recovered", "identified"),
        ("remains", "recovered", "identified"),
        ("person", "identified", "missing"),
        ("body", "identified", "recovered"),
        ("remains", "identified", "recovered"),
    ]
    # The person can be identified again through a new candidate.
    cid2 = setup_more(db, "P-0001", "R-0002")
    review.propose(db, cid2, actor="alex", override="test: accepted below the policy")
    assert (
        review.confirm(
            db,
            cid2,
            actor="rita",
            override="test: accepted below the policy",
            reason="test: checked",
        ).person_status
        == "identified"
    )


def setup_more(db: str, person: str, remains: str) -> int:
    from repatria.services.workflows.runs import CandidateInput, record_candidates

    return record_candidates(db, None, [CandidateInput(person, remains)], actor="ana")[0]


def test_a_person_is_identified_once(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path)[0]
    other = setup_more(db, "P-0001", "R-0002")
    for c in (cid, other):
        review.propose(db, c, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, cid, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    # the other candidate of the person can no longer be confirmed: it left the queue
    assert review.candidate_state(db, other).status == "superseded"
    with pytest.raises(ServiceError, match="superseded"):
        review.confirm(
            db,
            other,
            actor="rev",
            override="test: accepted below the policy",
            reason="test: checked",
        )


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_confirmations_end_with_exactly_one_decision(
    db: str, tmp_path: Path, round_: int
) -> None:
    cid = setup_case(db, tmp_path, n=1)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def confirm(name: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = review.confirm(
                db,
                cid,
                actor=name,
                override="test: accepted below the policy",
                reason="test: checked",
            )
        except Exception as e:  # noqa: BLE001 - the test inspects what each thread got
            outcomes[name] = e

    threads = [threading.Thread(target=confirm, args=(n,)) for n in ("rev", "rita")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [o for o in outcomes.values() if isinstance(o, review.ReviewResult)]
    losses = [o for o in outcomes.values() if not isinstance(o, review.ReviewResult)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert isinstance(losses[0], ServiceError) and "already confirmed" in str(losses[0])
    with session_scope(db) as s:
        n = s.execute(
            select(func.count())
            .select_from(Decision)
            .where(Decision.candidate_id == cid, Decision.kind.in_(("confirm", "reject")))
        ).scalar_one()
        changes = s.execute(select(func.count()).select_from(StateChange)).scalar_one()
    assert n == 1 and changes == 3  # the person, the body and its item
