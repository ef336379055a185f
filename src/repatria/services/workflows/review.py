"""Review of candidate matches: propose (an analyst), confirm or reject (another reviewer), revoke.

Each step is a row of the hash-chained ``decisions`` log. The two-person rule and "one
decision per candidate" are held by the database itself (see ``registry.models.Decision``);
this module checks them first only to give a clear sentence. All review steps take the
decisions chain lock before reading, so two reviewers racing on one candidate are
serialised: the second finds the first's decision and is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Body,
    CandidateMatch,
    Decision,
    Person,
    Remains,
    StateChange,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import candidate_status, closures
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.body_parts import move_body
from repatria.services.workflows.states import move
from repatria.services.workflows.two_person import require_second_person

__all__ = [
    "ReviewResult",
    "CandidateState",
    "propose",
    "confirm",
    "reject",
    "revoke",
    "candidate_state",
]


@dataclass(frozen=True)
class ReviewResult:
    """One review step as recorded, and the states it left the person and the remains in."""

    decision_id: int
    candidate_id: int
    kind: str
    actor: str
    person_ref: str
    remains_ref: str
    person_status: str
    remains_status: str

    @property
    def message(self) -> str:
        past = {
            "propose": "proposed",
            "confirm": "confirmed",
            "reject": "rejected",
            "revoke": "revoked",
        }[self.kind]
        return (
            f"candidate {self.candidate_id} ({self.person_ref} = {self.remains_ref}) {past} by "
            f"{self.actor} (decision {self.decision_id}); person {self.person_ref} is "
            f"{self.person_status.replace('_', ' ')}, remains {self.remains_ref} are "
            f"{self.remains_status.replace('_', ' ')}"
        )


@dataclass(frozen=True)
class CandidateState:
    """Where a candidate stands: open, proposed, confirmed, rejected or revoked."""

    candidate_id: int
    status: str
    person_ref: str
    remains_ref: str
    decisions: list[tuple[int, str, str, str | None]]  # (decision id, kind, user name, reason)


def propose(
    db: str | None, candidate_id: int, *, actor: str, reason: str | None = None
) -> ReviewResult:
    """An analyst proposes a candidate for review."""
    with _review(db, actor, "review.propose") as (session, user):
        cand, person, remains = _candidate(session, candidate_id)
        _not_superseded(session, cand)
        proposal = _find(session, cand.id, "propose")
        if proposal is not None:
            raise ServiceError(
                f"candidate {cand.id} was already proposed by "
                f"{_name(session, proposal.actor_id)} (decision {proposal.id}); a "
                "candidate is proposed once, record a new candidate to review it again"
            )
        d = append(
            session,
            Decision(
                candidate_id=cand.id,
                kind="propose",
                actor_id=user.id,
                proposer_id=user.id,
                reason=reason,
            ),
        )
        return _done(session, d, user, cand, person, remains)


def confirm(
    db: str | None, candidate_id: int, *, actor: str, reason: str | None = None
) -> ReviewResult:
    """A reviewer other than the proposer confirms: the person and remains are identified."""
    with _review(db, actor, "review.confirm") as (session, user):
        cand, person, remains, proposal = _verdict_checks(session, candidate_id, user, "confirm")
        d = _verdict(session, proposal, "confirm", user, reason)
        cause = f"decision:{d.id}"
        move(session, person, "identified", actor=user, reason=reason, cause=cause)
        body = _body(session, cand)
        if body is not None:  # the body is identified; its items follow it
            move_body(session, body, "identified", actor=user, reason=reason, cause=cause)
        else:
            move(session, remains, "identified", actor=user, reason=reason, cause=cause)
        return _done(session, d, user, cand, person, remains)


def reject(db: str | None, candidate_id: int, *, actor: str, reason: str) -> ReviewResult:
    """A reviewer who did not propose the candidate rejects it, with a reason."""
    _need_reason(reason, "reject")
    with _review(db, actor, "review.reject") as (session, user):
        cand, person, remains, proposal = _verdict_checks(session, candidate_id, user, "reject")
        d = _verdict(session, proposal, "reject", user, reason)
        return _done(session, d, user, cand, person, remains)


def revoke(db: str | None, candidate_id: int, *, actor: str, reason: str) -> ReviewResult:
    """Revoke a confirmed identification, with a reason: the person and remains are reopened."""
    _need_reason(reason, "revoke")
    with _review(db, actor, "review.revoke") as (session, user):
        cand, person, remains = _candidate(session, candidate_id)
        confirmation = _find(session, cand.id, "confirm")
        if confirmation is None:
            raise ServiceError(f"candidate {cand.id} has no confirmed identification to revoke")
        done = _find(session, cand.id, "revoke")
        if done is not None:
            raise ServiceError(
                f"the identification of candidate {cand.id} was already revoked by "
                f"{_name(session, done.actor_id)} (decision {done.id})"
            )
        body = _body(session, cand)
        unit: Remains | Body = body if body is not None else remains
        for obj, kind in ((person, "person"), (unit, "body" if body else "remains")):
            if obj.status != "identified":
                raise ServiceError(
                    f"{kind} {obj.ref} is already {obj.status.replace('_', ' ')}; only an "
                    "identification not yet acted on can be revoked"
                )
        d = append(
            session,
            Decision(
                candidate_id=cand.id,
                kind="revoke",
                actor_id=user.id,
                refers_to=confirmation.id,
                reason=reason,
            ),
        )
        cause = f"decision:{d.id}"
        back = _state_before(session, "person", person.id, confirmation.id)
        move(session, person, back, actor=user, reason=reason, cause=cause)
        if body is not None:
            back = _state_before(session, "body", body.id, confirmation.id)
            move_body(session, body, back, actor=user, reason=reason, cause=cause)
        else:
            back = _state_before(session, "remains", remains.id, confirmation.id)
            move(session, remains, back, actor=user, reason=reason, cause=cause)
        return _done(session, d, user, cand, person, remains)


def candidate_state(db: str | None, candidate_id: int) -> CandidateState:
    """A candidate's review status and its decisions, oldest first."""
    with session_scope(db) as session:
        cand, person, remains = _candidate(session, candidate_id)
        rows = (
            session.execute(
                select(Decision).where(Decision.candidate_id == cand.id).order_by(Decision.seq)
            )
            .scalars()
            .all()
        )
        return CandidateState(
            cand.id,
            candidate_status([d.kind for d in rows], closed=cand.id in closures(session)),
            person.ref,
            remains.ref,
            [(d.id, d.kind, _name(session, d.actor_id), d.reason) for d in rows],
        )


# ----------------------------------------------------------------------------- helpers


@contextmanager
def _review(db: str | None, actor: str, action: str) -> Iterator[tuple[Session, User]]:
    """A transaction holding the decisions chain lock, with the acting user checked."""
    try:
        with session_scope(db) as session:
            user = require(session, actor, action)
            lock_head(session, Decision.CHAIN)
            yield session, user
    except IntegrityError as e:
        raise ServiceError(_refusal(e)) from None
    except DBAPIError as e:
        if "two-person rule" in str(e.orig):
            raise ServiceError(_refusal(e)) from None
        raise


def _refusal(e: DBAPIError) -> str:
    text = str(e.orig)
    if "two-person rule" in text or "two_person" in text:
        return "two-person rule: the proposer of a candidate cannot confirm or reject it"
    if "refers_to" in text or "one_proposal" in text:
        return "this candidate was decided by someone else at the same moment; nothing was recorded"
    return f"the database refused the review step ({text.splitlines()[0]}); nothing was recorded"


def _need_reason(reason: str | None, verb: str) -> None:
    if not reason or not reason.strip():
        raise ServiceError(f"to {verb} a candidate, give the reason with --reason TEXT")


def _candidate(session: Session, candidate_id: int) -> tuple[CandidateMatch, Person, Remains]:
    cand = session.get(CandidateMatch, candidate_id)
    if cand is None:
        raise NotFoundError(f"there is no candidate {candidate_id}")
    return (
        cand,
        existing(session, Person, cand.person_id),
        existing(session, Remains, cand.remains_id),
    )


def _body(session: Session, cand: CandidateMatch) -> Body | None:
    return None if cand.body_id is None else existing(session, Body, cand.body_id)


def _not_superseded(session: Session, cand: CandidateMatch) -> None:
    pointer = closures(session).get(cand.id)
    if pointer is not None:
        raise ServiceError(
            f"candidate {cand.id} was superseded: its body or person was identified by "
            f"{pointer.replace(':', ' ')}"
        )


def _find(session: Session, candidate_id: int, kind: str) -> Decision | None:
    return session.execute(
        select(Decision).where(Decision.candidate_id == candidate_id, Decision.kind == kind)
    ).scalar_one_or_none()


def _verdict_checks(
    session: Session, candidate_id: int, user: User, verb: str
) -> tuple[CandidateMatch, Person, Remains, Decision]:
    cand, person, remains = _candidate(session, candidate_id)
    proposal = _find(session, cand.id, "propose")
    if proposal is None:
        raise ServiceError(
            f"candidate {cand.id} has not been proposed; an analyst proposes it "
            f"before a reviewer can {verb} it"
        )
    _not_superseded(session, cand)
    verdict = session.execute(
        select(Decision).where(Decision.refers_to == proposal.id)
    ).scalar_one_or_none()
    if verdict is not None:
        raise ServiceError(
            f"candidate {cand.id} was already {verdict.kind}ed by "
            f"{_name(session, verdict.actor_id)} (decision {verdict.id}); a candidate "
            "is decided once"
        )
    require_second_person(proposal.actor_id, user, what=f"candidate {cand.id}", verb=verb)
    return cand, person, remains, proposal


def _verdict(
    session: Session, proposal: Decision, kind: str, user: User, reason: str | None
) -> Decision:
    """A reviewer's confirm or reject of ``proposal``, appended to the decisions chain."""
    return append(
        session,
        Decision(
            candidate_id=proposal.candidate_id,
            kind=kind,
            actor_id=user.id,
            proposer_id=proposal.actor_id,
            refers_to=proposal.id,
            reason=reason,
        ),
    )


def _state_before(session: Session, entity: str, entity_id: int, confirmation_id: int) -> str:
    change = session.execute(
        select(StateChange).where(
            StateChange.entity == entity,
            StateChange.entity_id == entity_id,
            StateChange.cause == f"decision:{confirmation_id}",
        )
    ).scalar_one_or_none()
    if change is not None:
        return change.from_state
    return "missing" if entity == "person" else "recovered"


def _name(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.name if user else f"user {user_id}"


def _done(
    session: Session,
    d: Decision,
    user: User,
    cand: CandidateMatch,
    person: Person,
    remains: Remains,
) -> ReviewResult:
    session.flush()
    log_event(
        session, user.name, f"review.{d.kind}", "candidate", cand.id, decision=d.id, reason=d.reason
    )
    unit: Remains | Body = _body(session, cand) or remains
    return ReviewResult(
        d.id, cand.id, d.kind, user.name, person.ref, unit.ref, person.status, unit.status
    )
