"""The review queue: candidates awaiting a proposal, and proposals awaiting a second person."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Decision, Person, Remains, User
from repatria.registry.queries import existing
from repatria.registry.review_state import open_candidates
from repatria.services.views._read import primary_name, reader
from repatria.services.workflows.policy import current_policy, verdict_of

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

        def item(c: CandidateMatch) -> QueueItem:
            p, r = existing(session, Person, c.person_id), existing(session, Remains, c.remains_id)
            v = verdict_of(session, c, policy)
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
