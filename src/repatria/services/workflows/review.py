"""Review of candidate matches: propose (an analyst), confirm or reject (another reviewer), revoke.

Each step is a row of the hash-chained ``decisions`` log. Propose and confirm evaluate the
candidate under the *current* identification policy (``services.workflows.policy``) and refuse
one that fails it, unless a role the policy names overrides with a reason; the policy version,
the verdict and the override reason are stored with the decision. Confirm needs a reason.
Revoking an identification takes two people: one requests it (``revocation_requests``), another
reviewer or case manager revokes; until then the identification stands. A candidate that can no
longer be confirmed (its person or body identified by another, or in a state that forbids it)
is closed as superseded when review meets it, and the refusal says what to do instead
(``review_rules``). The two-person rule and "one decision per candidate" are held by the
database itself (see ``registry.models.Decision``); this module checks them first only to give
a clear sentence. All review steps take the
decisions chain lock before reading, so two reviewers racing on one candidate are
serialised: the second finds the first's decision and is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

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
    RevocationRequest,
    StateChange,
    User,
    utcnow,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import (
    candidate_status,
    closures,
    open_candidates,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.body_parts import move_body
from repatria.services.workflows.policy import verdict_of
from repatria.services.workflows.review_rules import (
    close_if_dead_end,
    close_others,
    policy_columns,
    policy_gate,
)
from repatria.services.workflows.states import move
from repatria.services.workflows.two_person import require_second_person

__all__ = [
    "ReviewResult",
    "CandidateState",
    "propose",
    "confirm",
    "reject",
    "revoke",
    "propose_batch",
    "BatchResult",
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

    override_reason: str | None = None
    policy_version: int | None = None

    @property
    def message(self) -> str:
        if self.kind == "revoke_request":
            return (
                f"revocation of candidate {self.candidate_id} ({self.person_ref} = "
                f"{self.remains_ref}) requested by {self.actor} (request {self.decision_id}); the "
                "identification stands until another reviewer or case manager revokes it"
            )
        past = {
            "propose": "proposed",
            "confirm": "confirmed",
            "reject": "rejected",
            "revoke": "revoked",
        }[self.kind]
        over = (
            f", overriding policy v{self.policy_version} ({self.override_reason})"
            if self.override_reason
            else ""
        )
        return (
            f"candidate {self.candidate_id} ({self.person_ref} = {self.remains_ref}) {past} by "
            f"{self.actor} (decision {self.decision_id}){over}; person {self.person_ref} is "
            f"{self.person_status.replace('_', ' ')}, remains {self.remains_ref} are "
            f"{self.remains_status.replace('_', ' ')}"
        )


@dataclass(frozen=True)
class CandidateState:
    """Where a candidate stands: open, proposed, confirmed, rejected, revoked or superseded.

    ``verdict``: what it meets and fails under the current policy; ``policy``: per decision,
    the policy version, verdict and override reason it was taken under (absent before 0007);
    ``revocation``: a pending request to revoke its identification, if any.
    """

    candidate_id: int
    status: str
    person_ref: str
    remains_ref: str
    decisions: list[tuple[int, str, str, str | None]]  # (decision id, kind, user name, reason)
    verdict: dict[str, Any] | None = None
    verdict_lines: list[str] = field(default_factory=list)
    policy: dict[int, dict[str, Any]] = field(default_factory=dict)
    revocation: dict[str, Any] | None = None


@dataclass(frozen=True)
class BatchResult:
    """A batch proposal: what was proposed, and what was skipped with the rule or reason."""

    actor: str
    proposed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    @property
    def message(self) -> str:
        lines = [
            f"{len(self.proposed)} candidate(s) proposed by {self.actor}, "
            f"{len(self.skipped)} skipped"
        ]
        lines += [
            f"  proposed {p['candidate']} ({p['person']} = {p['body']})" for p in self.proposed
        ]
        lines += [f"  skipped {k['candidate']}: {k['why']}" for k in self.skipped]
        return "\n".join(lines)


def propose(
    db: str | None,
    candidate_id: int,
    *,
    actor: str,
    reason: str | None = None,
    override: str | None = None,
) -> ReviewResult:
    """An analyst proposes a candidate for review, if it meets the current policy (or an allowed
    role overrides its failure with a reason)."""
    closed: str | None = None
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
        closed = close_if_dead_end(session, cand, person)
        if closed is None:
            verdict = verdict_of(session, cand)
            used = policy_gate(verdict, "propose", user, override)
            d = append(
                session,
                Decision(
                    candidate_id=cand.id,
                    kind="propose",
                    actor_id=user.id,
                    proposer_id=user.id,
                    reason=reason,
                    **policy_columns(verdict, used),
                ),
            )
            return _done(session, d, user, cand, person, remains)
    raise ServiceError(closed or f"candidate {candidate_id} can no longer be reviewed")


def confirm(
    db: str | None,
    candidate_id: int,
    *,
    actor: str,
    reason: str | None = None,
    override: str | None = None,
) -> ReviewResult:
    """A reviewer other than the proposer confirms, with a reason: the person and remains are
    identified. The candidate is evaluated again under the current policy (it may have changed
    since the proposal); other candidates of the person or body leave the queue."""
    closed: str | None = None
    with _review(db, actor, "review.confirm") as (session, user):
        cand, person, remains, proposal = _verdict_checks(session, candidate_id, user, "confirm")
        _need_reason(reason, "confirm")
        closed = close_if_dead_end(session, cand, person)
        if closed is None:
            verdict = verdict_of(session, cand)
            used = policy_gate(verdict, "confirm", user, override)
            d = _verdict(
                session, proposal, "confirm", user, reason, **policy_columns(verdict, used)
            )
            cause = f"decision:{d.id}"
            move(session, person, "identified", actor=user, reason=reason, cause=cause)
            body = _body(session, cand)
            if body is not None:  # the body is identified; its items follow it
                move_body(session, body, "identified", actor=user, reason=reason, cause=cause)
            else:
                move(session, remains, "identified", actor=user, reason=reason, cause=cause)
            close_others(session, cand, d)
            return _done(session, d, user, cand, person, remains)
    raise ServiceError(closed or f"candidate {candidate_id} can no longer be reviewed")


def reject(db: str | None, candidate_id: int, *, actor: str, reason: str) -> ReviewResult:
    """A reviewer who did not propose the candidate rejects it, with a reason."""
    _need_reason(reason, "reject")
    with _review(db, actor, "review.reject") as (session, user):
        cand, person, remains, proposal = _verdict_checks(session, candidate_id, user, "reject")
        d = _verdict(session, proposal, "reject", user, reason)
        return _done(session, d, user, cand, person, remains)


def revoke(db: str | None, candidate_id: int, *, actor: str, reason: str) -> ReviewResult:
    """Revoke a confirmed identification, with a reason; it takes two people.

    The first reviewer or case manager requests the revocation (the identification stands);
    a different one revokes it, with his own reason: the person and remains are reopened.
    """
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
        request = _revocation_request(session, confirmation.id)
        if request is None:
            return _request_revocation(session, user, cand, confirmation, reason, person, unit)
        if request.requested_by_id == user.id:
            raise ServiceError(
                f"two-person rule: {user.name} requested the revocation of candidate {cand.id}, "
                "so another reviewer or case manager must revoke it"
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


def propose_batch(
    db: str | None, *, actor: str, limit: int | None = None, reason: str | None = None
) -> BatchResult:
    """Propose, in one transaction, every open candidate that meets the current policy.

    Candidates that fail a rule are skipped with the rule (they are proposed one by one, with
    an override); candidates that can no longer be confirmed are closed as superseded.
    ``limit``: at most this many proposed.
    """
    if limit is not None and limit < 1:
        raise ServiceError(f"the limit of a batch proposal must be 1 or more, not {limit}")
    proposed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    with _review(db, actor, "review.propose") as (session, user):
        to_propose, _ = open_candidates(session)
        for cand in to_propose:
            if limit is not None and len(proposed) >= limit:
                break
            person = existing(session, Person, cand.person_id)
            closed = close_if_dead_end(session, cand, person)
            if closed is not None:
                skipped.append({"candidate": cand.id, "rule": "superseded", "why": closed})
                continue
            verdict = verdict_of(session, cand)
            if not verdict.meets:
                names = [r.rule for r in verdict.failed]
                skipped.append(
                    {
                        "candidate": cand.id,
                        "rule": names[0],
                        "failed": names,
                        "why": f"fails {', '.join(names)} "
                        f"({verdict.failed[0].text}); propose it on its own, with the reason "
                        "for overriding, if it should be reviewed anyway",
                    }
                )
                continue
            d = append(
                session,
                Decision(
                    candidate_id=cand.id,
                    kind="propose",
                    actor_id=user.id,
                    proposer_id=user.id,
                    reason=reason or "batch proposal: meets the identification policy",
                    **policy_columns(verdict, None),
                ),
            )
            unit: Remains | Body = _body(session, cand) or existing(
                session, Remains, cand.remains_id
            )
            proposed.append(
                {"candidate": cand.id, "decision": d.id, "person": person.ref, "body": unit.ref}
            )
        log_event(
            session,
            user.name,
            "review.propose_batch",
            "candidate",
            None,
            proposed=[p["candidate"] for p in proposed],
            skipped=[k["candidate"] for k in skipped],
        )
    return BatchResult(actor, proposed, skipped)


def candidate_state(db: str | None, candidate_id: int) -> CandidateState:
    """A candidate's review status, its verdict under the current policy, and its decisions."""
    with session_scope(db) as session:
        cand, person, remains = _candidate(session, candidate_id)
        rows = (
            session.execute(
                select(Decision).where(Decision.candidate_id == cand.id).order_by(Decision.seq)
            )
            .scalars()
            .all()
        )
        verdict = verdict_of(session, cand)
        confirmation = next((d for d in rows if d.kind == "confirm"), None)
        request = None
        if confirmation is not None and not any(d.kind == "revoke" for d in rows):
            req = _revocation_request(session, confirmation.id)
            if req is not None:
                request = {
                    "request": req.id,
                    "requested_by": _name(session, req.requested_by_id),
                    "reason": req.reason,
                }
        return CandidateState(
            cand.id,
            candidate_status([d.kind for d in rows], closed=cand.id in closures(session)),
            person.ref,
            remains.ref,
            [(d.id, d.kind, _name(session, d.actor_id), d.reason) for d in rows],
            verdict.to_json(),
            verdict.lines(),
            {
                d.id: {
                    "policy_version": d.policy_version,
                    "verdict": d.verdict,
                    "override_reason": d.override_reason,
                }
                for d in rows
                if d.policy_version is not None
            },
            request,
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
    if "two-person rule: an identification is revoked" in text:
        return text[text.index("two-person rule") :].splitlines()[0]
    if "two-person rule" in text or "two_person" in text:
        return "two-person rule: the proposer of a candidate cannot confirm or reject it"
    if "refers_to" in text or "one_proposal" in text:
        return "this candidate was decided by someone else at the same moment; nothing was recorded"
    return f"the database refused the review step ({text.splitlines()[0]}); nothing was recorded"


def _need_reason(reason: str | None, verb: str) -> None:
    if not reason or not reason.strip():
        what = "an identification" if verb == "revoke" else "a candidate"
        raise ServiceError(
            f"to {verb} {what}, give the reason: it is kept with the decision and shown to "
            "the next reviewer"
        )


def _revocation_request(session: Session, confirmation_id: int) -> RevocationRequest | None:
    return session.execute(
        select(RevocationRequest).where(RevocationRequest.confirmation_id == confirmation_id)
    ).scalar_one_or_none()


def _request_revocation(
    session: Session,
    user: User,
    cand: CandidateMatch,
    confirmation: Decision,
    reason: str,
    person: Person,
    unit: Remains | Body,
) -> ReviewResult:
    req = RevocationRequest(
        candidate_id=cand.id,
        confirmation_id=confirmation.id,
        requested_by_id=user.id,
        reason=reason,
        requested_at=utcnow(),
    )
    session.add(req)
    session.flush()
    log_event(
        session, user.name, "review.revoke_request", "candidate", cand.id, request=req.id,
        reason=reason,
    )  # fmt: skip
    return ReviewResult(
        req.id, cand.id, "revoke_request", user.name, person.ref, unit.ref, person.status,
        unit.status,
    )  # fmt: skip


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
    session: Session,
    proposal: Decision,
    kind: str,
    user: User,
    reason: str | None,
    **policy: Any,
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
            **policy,
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
        session,
        user.name,
        f"review.{d.kind}",
        "candidate",
        cand.id,
        decision=d.id,
        reason=d.reason,
        policy_version=d.policy_version,
        override=d.override_reason,
    )
    unit: Remains | Body = _body(session, cand) or remains
    return ReviewResult(
        d.id,
        cand.id,
        d.kind,
        user.name,
        person.ref,
        unit.ref,
        person.status,
        unit.status,
        d.override_reason,
        d.policy_version,
    )
