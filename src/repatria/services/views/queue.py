"""The review queue: candidates awaiting a proposal, and proposals awaiting a second person."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from repatria.policy import evaluate
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Decision, Donor, Person, Remains, User
from repatria.registry.review_state import open_candidates
from repatria.services.views._read import primary_name, reader
from repatria.services.workflows.policy import current_policy, evidence_of

__all__ = ["QueueItem", "ReviewQueue", "review_queue"]


@dataclass(frozen=True)
class QueueItem:
    candidate_id: int
    person_ref: str
    person_name: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    proposed_by: str | None
    #: Under the current identification policy: meets every rule, the rules failed, and the
    #: reviewer's lines (one per rule).
    meets: bool = True
    failed: tuple[str, ...] = ()
    verdict_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewQueue:
    to_propose: list[QueueItem]
    to_review: list[QueueItem]


def review_queue(db: str | None, *, actor: str) -> ReviewQueue:
    """Candidates waiting for an analyst's proposal, and proposals waiting for a second person."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "review.queue")
        to_propose, to_review = open_candidates(session)
        policy = current_policy(session)
        proposers = dict(
            session.execute(
                select(Decision.candidate_id, User.name)
                .join(User, User.id == Decision.actor_id)
                .where(Decision.kind == "propose")
            ).all()
        )

        # Persons, remains and donors' consent in one query each, not three per candidate:
        # with 10^3 open candidates the queue spent seconds in lookups (benchmarks/page_times).
        every = to_propose + to_review
        persons = {
            p.id: p
            for p in session.execute(
                select(Person)
                .where(Person.id.in_({c.person_id for c in every}))
                .options(selectinload(Person.names))
            ).scalars()
        }
        remains = {
            r.id: r
            for r in session.execute(
                select(Remains).where(Remains.id.in_({c.remains_id for c in every}))
            ).scalars()
        }
        consent = {
            ref: withdrawn is not None
            for ref, withdrawn in session.execute(select(Donor.ref, Donor.consent_withdrawn_at))
        }

        def item(c: CandidateMatch) -> QueueItem:
            p, r = persons[c.person_id], remains[c.remains_id]
            v = evaluate(policy, evidence_of(c, consent))
            return QueueItem(
                c.id,
                p.ref,
                primary_name(p),
                r.ref,
                c.log10_lr,
                c.posterior,
                proposers.get(c.id),
                v.meets,
                tuple(x.rule for x in v.failed),
                tuple(v.lines()),
            )

        def strongest(c: CandidateMatch) -> float:
            return -(c.log10_lr if c.log10_lr is not None else -math.inf)

        return ReviewQueue(
            [item(c) for c in sorted(to_propose, key=strongest)],
            [item(c) for c in sorted(to_review, key=strongest)],
        )
