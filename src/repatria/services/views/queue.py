"""The review queue: candidates awaiting a proposal, and proposals awaiting a second person."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Decision, Person, Remains, User
from repatria.registry.queries import existing
from repatria.registry.review_state import open_candidates
from repatria.services.paging import Page, PageSpec, list_page
from repatria.services.views._read import primary_name, reader
from repatria.services.workflows.policy import current_policy, verdict_of

__all__ = [
    "QUEUE_SORTS",
    "QueueItem",
    "ReviewQueue",
    "ReviewQueuePage",
    "review_queue",
    "review_queue_page",
]


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


#: The columns the queue's two lists sort by (``lists.LISTS``' "to-propose" and "to-review").
QUEUE_SORTS: dict[str, Callable[[QueueItem], Any]] = {
    "log10_lr": lambda i: i.log10_lr if i.log10_lr is not None else -math.inf,
    "posterior": lambda i: i.posterior if i.posterior is not None else -math.inf,
    "person_ref": lambda i: i.person_ref,
    "remains_ref": lambda i: i.remains_ref,
    "proposed_by": lambda i: i.proposed_by or "",
    "candidate_id": lambda i: i.candidate_id,
}


@dataclass(frozen=True)
class ReviewQueuePage:
    """One page of each list of the queue, and how many open candidates meet the policy
    (what "propose every candidate that meets the policy" would propose)."""

    to_propose: Page[QueueItem]
    to_review: Page[QueueItem]
    meeting_policy: int


def review_queue_page(
    db: str | None,
    *,
    actor: str,
    to_propose: PageSpec | None = None,
    to_review: PageSpec | None = None,
) -> ReviewQueuePage:
    """The ``/review`` page: each list paged, sorted by the strongest LR unless asked."""
    q = review_queue(db, actor=actor)

    def paged(items: list[QueueItem], spec: PageSpec | None, names: tuple[str, ...]) -> Any:
        return list_page(
            items,
            sorts={n: QUEUE_SORTS[n] for n in names},
            tie=lambda i: i.candidate_id,
            spec=spec or PageSpec(),
            default="-log10_lr",
        )

    common = ("log10_lr", "posterior", "person_ref", "remains_ref", "candidate_id")
    return ReviewQueuePage(
        paged(q.to_propose, to_propose, common),
        paged(q.to_review, to_review, (*common[:4], "proposed_by", "candidate_id")),
        sum(1 for i in q.to_propose if i.meets),
    )
