"""Bodies and re-associations, on SQLite and PostgreSQL: propose, two-person confirm, reject,
revoke, split a shared bag; identify by body; candidates keep their identity and are superseded."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_case import write_case
from registry_samples import raw_connect
from sqlalchemy import func, select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import AssociationDecision, BodyPart, CandidateClosure
from repatria.services.access.audit import verify_chains
from repatria.services.workflows import bodies, review
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify


@pytest.fixture
def exchange(db: str, tmp_path: Path) -> str:
    import_case(db, write_case(tmp_path / "exchange"), actor="ana")
    return db


def _one(db: str, *refs: str) -> int:
    a = bodies.propose(db, list(refs), actor="ana", reason="fragment LR", anthropology="one femur")
    bodies.confirm(db, a.id, actor="rev")
    return a.id


def test_the_shared_bag_is_one_body_until_split(exchange: str) -> None:
    assert bodies.show_body(exchange, "BAG-7").samples == ["V2", "V3"]
    assert bodies.show_body(exchange, "V1A").samples == ["V1A"]
    a = bodies.propose(exchange, ["V3"], actor="ana", reason="two skulls", kind="split")
    assert a.status == "proposed"
    done = bodies.confirm(exchange, a.id, actor="rev", reason="anthropology agrees")
    assert done.status == "confirmed" and done.body == "BAG-7-2"
    assert bodies.show_body(exchange, "BAG-7-2").as_dict() == {
        "ref": "BAG-7-2",
        "status": "sampled",
        "samples": ["V3"],
        "items": ["BAG-7"],
    }
    assert bodies.show_body(exchange, "BAG-7").samples == ["V2"]
    # the two people of the bag no longer conflict: each is his own unit
    run = identify(exchange, actor="ana")
    assert "BAG-7" not in run.conflicts and "BAG-7-2" not in run.conflicts
    assert {c.body for c in run.candidates if c.person == "M2"} >= {"BAG-7"}


def test_propose_confirm_keeps_evidence_and_the_two_person_rule(exchange: str) -> None:
    a = bodies.propose(exchange, ["V1A", "V1B"], actor="ana", reason="fragments", anthropology="A")
    lr = a.evidence["fragment_log10_lr"]
    assert lr["against"] == "V1A" and lr["samples"]["V1B"] > 6
    assert a.evidence["anthropology"] == "A"
    with pytest.raises(ServiceError, match="ana is an analyst"):
        bodies.confirm(exchange, a.id, actor="ana")
    with pytest.raises(ServiceError, match="a reviewer who did not propose|two-person|may not"):
        bodies.confirm(exchange, a.id, actor="alex")
    done = bodies.confirm(exchange, a.id, actor="rev")
    assert done.body == "V1A" and bodies.show_body(exchange, "V1A").samples == ["V1A", "V1B"]
    with pytest.raises(ServiceError, match="already confirmed"):
        bodies.confirm(exchange, a.id, actor="rita")
    with pytest.raises(ServiceError, match="one body .V1A. already"):
        bodies.propose(exchange, ["V1A", "V1B"], actor="ana", reason="again")
    assert verify_chains(exchange).ok


def test_refusals_are_one_sentence(exchange: str) -> None:
    for refs, kind, match in (
        (["V1A"], "merge", "at least two samples"),
        (["V1A", "V1A"], "merge", "listed twice"),
        (["V1A", "NOPE"], "merge", "no sample 'NOPE'"),
        (["V1A", "D1"], "merge", "reference sample"),
        (["V2", "V3"], "split", "all of body BAG-7"),
        (["V1A", "V2"], "split", "all be of one body"),
        (["V1A", "V2"], "graft", "unknown re-association"),
    ):
        with pytest.raises(ServiceError, match=match):
            bodies.propose(exchange, refs, actor="ana", reason="r", kind=kind)
    with pytest.raises(ServiceError, match="its reason"):
        bodies.propose(exchange, ["V1A", "V1B"], actor="ana", reason=" ")
    with pytest.raises(ServiceError, match="no re-association 99"):
        bodies.confirm(exchange, 99, actor="rev")


def test_reject_and_revoke(exchange: str) -> None:
    a = bodies.propose(exchange, ["V1A", "V1B"], actor="ana", reason="fragments")
    with pytest.raises(ServiceError, match="give the reason"):
        bodies.reject(exchange, a.id, actor="rev", reason="")
    assert bodies.reject(exchange, a.id, actor="rev", reason="different bones").status == "rejected"
    with pytest.raises(ServiceError, match="not confirmed"):
        bodies.revoke(exchange, a.id, actor="rev", reason="x")
    b = _one(exchange, "V1A", "V1B")
    r = bodies.revoke(exchange, b, actor="cas", reason="the lab mixed the tubes")
    assert r.status == "revoked"
    assert bodies.show_body(exchange, "V1A").samples == ["V1A"]
    assert bodies.show_body(exchange, "V1B").samples == ["V1B"]
    with pytest.raises(ServiceError, match="already revoked"):
        bodies.revoke(exchange, b, actor="cas", reason="again")
    with session_scope(exchange) as s:  # history kept: no part row is ever deleted
        # 7 from the import (2 + 2 + the bag's 3), 1 by the merge, 1 by its revocation
        assert s.execute(select(func.count()).select_from(BodyPart)).scalar_one() == 9
    assert verify_chains(exchange).ok


def test_the_database_holds_the_two_person_rule(exchange: str) -> None:
    a = bodies.propose(exchange, ["V1A", "V1B"], actor="ana", reason="fragments")
    with session_scope(exchange) as s:
        p = s.execute(select(AssociationDecision)).scalar_one()
        pid, actor = p.id, p.actor_id
    conn = raw_connect(exchange)
    try:
        with pytest.raises(Exception, match="two-person|two_person"):
            conn.execute(
                "INSERT INTO association_decisions (seq, association_id, kind, actor_id, "
                f"proposer_id, refers_to, decided_at, prev_hash, row_hash) VALUES (2, {a.id}, "
                f"'confirm', {actor}, {actor}, {pid}, '2025-01-01', 'x', 'y')"
            )
    finally:
        conn.close()


def test_identify_by_body_fragments_reinforce_and_candidates_keep_identity(
    exchange: str,
) -> None:
    first = identify(exchange, actor="ana")
    by = {(c.body, c.person): c for c in first.candidates}
    assert ("V1A", "M1") in by and ("V1B", "M1") in by  # rivals before re-association
    assert all(ch["why"] == ["the first identification run"] for ch in first.changes)
    assert first.conflicts.get("BAG-7"), "two people in one bag disagree beyond dropout"
    v1a = by[("V1A", "M1")]
    _one(exchange, "V1A", "V1B")
    second = identify(exchange, actor="ana")
    now = {(c.body, c.person): c for c in second.candidates}
    assert now[("V1A", "M1")].id == v1a.id  # the same candidate: body x person
    assert now[("V1A", "M1")].samples == ("V1A", "V1B")
    assert now[("V1A", "M1")].posterior > v1a.posterior  # fragments reinforce each other
    assert ("V1B", "M1") not in now
    assert second.superseded == 1  # V1B x M1: V1B was merged into V1A
    assert review.candidate_state(exchange, by[("V1B", "M1")].id).status == "superseded"
    moved = {(c["body"], c["person"]): c for c in second.changes}
    assert "body V1A is now samples V1A, V1B (was V1A)" in moved[("V1A", "M1")]["why"]
    assert moved[("V1B", "M1")]["after"] is None
    doc = second.as_dict()
    assert {"body", "samples", "person", "lr", "posterior", "status"} <= set(doc["candidates"][0])


def test_candidates_of_a_person_identified_elsewhere_are_superseded(exchange: str) -> None:
    run = identify(exchange, actor="ana")
    by = {(c.body, c.person): c.id for c in run.candidates}
    review.propose(
        exchange, by[("V1B", "M1")], actor="ana", override="test: accepted below the policy"
    )
    review.propose(
        exchange, by[("V1A", "M1")], actor="ana", override="test: accepted below the policy"
    )
    review.confirm(
        exchange,
        by[("V1A", "M1")],
        actor="rev",
        override="test: accepted below the policy",
        reason="test: checked",
    )
    others = [c for c in run.candidates if c.person == "M1" and c.body != "V1A"]
    assert any(c.body == "V1B" for c in others)
    # the confirmation closes them at once (V1B x M1, proposed, and any other of M1)
    for c in others:
        assert review.candidate_state(exchange, c.id).status == "superseded"
    again = identify(exchange, actor="ana")
    assert again.superseded == 0  # nothing left for the run to close
    assert all(c.person != "M1" for c in again.candidates)
    assert review.candidate_state(exchange, by[("V1B", "M1")]).status == "superseded"
    with pytest.raises(ServiceError, match="superseded"):
        review.confirm(
            exchange,
            by[("V1B", "M1")],
            actor="rev",
            override="test: accepted below the policy",
            reason="test: checked",
        )
    with session_scope(exchange) as s:
        pointers = set(s.execute(select(CandidateClosure.pointer)).scalars())
    assert len(pointers) == 1 and pointers.pop().startswith("decision:")
    # the fragment joins the identified body, so he goes home whole
    _one(exchange, "V1A", "V1B")
    assert bodies.show_body(exchange, "V1A").as_dict()["status"] == "identified"
    last = identify(exchange, actor="ana")
    assert all(c.body != "V1B" for c in last.candidates)
    assert identify(exchange, actor="ana").superseded == 0  # nothing left to close


def test_the_fragment_search_proposes_what_a_banded_search_can_miss(exchange: str) -> None:
    from repatria.services.workflows.fragment_search import propose_fragments

    found = propose_fragments(exchange, actor="ana", min_lr=1e6)
    # V1B lost every second marker and two alleles; the exact search still links it
    assert [(a, b) for a, b, _ in found.links] == [("V1A", "V1B")]
    assert len(found.proposals) == 1 and found.pairs == 5  # 4 samples, V2 and V3 one body
    again = propose_fragments(exchange, actor="ana", min_lr=1e6)
    assert again.proposals == [] and again.already_proposed == 1
    done = bodies.confirm(exchange, found.proposals[0], actor="rev")
    assert done.body == "V1A" and done.samples == ["V1A", "V1B"]
    with pytest.raises(ServiceError, match="above 1"):
        propose_fragments(exchange, actor="ana", min_lr=0.5)
    with pytest.raises(ServiceError, match="rev is a reviewer"):
        propose_fragments(exchange, actor="rev")


def test_identifications_made_before_the_migration_work_after_it(db: str, tmp_path: Path) -> None:
    """Down to 0004 (bodies dropped) and up again: a confirmed identification is revoked fine."""
    from registry_samples import setup_case

    from repatria.registry.db import downgrade, migrate
    from repatria.services.workflows.accounting import account

    cid = setup_case(db, tmp_path, n=2)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, cid, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    assert downgrade(db, "0004") == "0004"
    migrate(db)
    assert bodies.show_body(db, "R-0001").status == "identified"
    assert account(db).individuals["identified"] == 1
    review.revoke(db, cid, actor="rev", reason="wrong file")
    done = review.revoke(db, cid, actor="cas", reason="wrong file, checked")
    assert (done.person_status, done.remains_status) == ("missing", "recovered")
    assert account(db).individuals == {
        "recovered": 2,
        "identified": 0,
        "returned": 0,
        "buried": 0,
        "held": 2,
    }
    assert verify_chains(db).ok


def test_a_proposal_stays_sealed_when_a_later_run_refreshes_its_candidate(exchange: str) -> None:
    """A proposed candidate is reused by the next run (new numbers, new samples): the proposal's
    seal rests on who and what was proposed, not on numbers a later run may refresh."""
    first = identify(exchange, actor="ana")
    v1a = {(c.body, c.person): c for c in first.candidates}[("V1A", "M1")]
    review.propose(exchange, v1a.id, actor="ana", override="test: accepted below the policy")
    _one(exchange, "V1A", "V1B")
    second = identify(exchange, actor="ana")
    now = {(c.body, c.person): c for c in second.candidates}[("V1A", "M1")]
    assert now.id == v1a.id and now.posterior > v1a.posterior
    assert verify_chains(exchange).ok, verify_chains(exchange).breaks
    review.confirm(
        exchange,
        v1a.id,
        actor="rev",
        override="test: accepted below the policy",
        reason="test: checked",
    )
    assert verify_chains(exchange).ok, verify_chains(exchange).breaks
