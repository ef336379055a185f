"""The review queue: candidates awaiting a proposal, and proposals awaiting a second person."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.policy import evaluate
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CandidateMatch,
    Decision,
    Donor,
    Person,
    PersonName,
    Remains,
    User,
)
from repatria.registry.review_state import open_candidates
from repatria.services.paging import Page, PageSpec, list_page
from repatria.services.views._read import reader, shown_name
from repatria.services.workflows.policy import current_policy, evidence_of

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
    meets: bool | None = True
    failed: tuple[str, ...] = ()
    verdict_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewQueue:
    to_propose: list[QueueItem]
    to_review: list[QueueItem]


def review_queue(db: str | None, *, actor: str, verdicts: bool = True) -> ReviewQueue:
    """Candidates waiting for an analyst's proposal, and proposals waiting for a second person.

    ``verdicts=False``: without judging each candidate under the policy (``meets`` is then
    ``None``), for lists that show no verdict; judging is most of the queue's cost."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "review.queue")
        to_propose, to_review, judge = _queue(session, verdicts)
        return ReviewQueue(to_propose, to_review)


Judge = Callable[[QueueItem], QueueItem]


def _queue(session: Session, verdicts: bool) -> tuple[list[QueueItem], list[QueueItem], Judge]:
    """The two lists, strongest LR first, and a function that judges one item under the
    policy (the items come judged when ``verdicts``)."""
    to_propose, to_review = open_candidates(session, evidence=verdicts)
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
    # Columns, not objects: (ref, the name shown) of each person, the ref of each remains.
    ids = {c.person_id for c in every}
    refs = dict(session.execute(select(Person.id, Person.ref).where(Person.id.in_(ids))).all())
    names: dict[int, list[tuple[str, str]]] = {}
    for pid, name, kind in session.execute(
        select(PersonName.person_id, PersonName.name, PersonName.kind)
        .where(PersonName.person_id.in_(ids))
        .order_by(PersonName.id)
    ):
        names.setdefault(pid, []).append((kind, name))
    persons = {pid: (ref, shown_name(ref, names.get(pid, []))) for pid, ref in refs.items()}
    remains = dict(
        session.execute(
            select(Remains.id, Remains.ref).where(Remains.id.in_({c.remains_id for c in every}))
        ).all()
    )
    consent = {
        ref: withdrawn is not None
        for ref, withdrawn in session.execute(select(Donor.ref, Donor.consent_withdrawn_at))
    }

    by_id = {c.id: c for c in [*to_propose, *to_review]}

    def judge(i: QueueItem) -> QueueItem:
        v = evaluate(policy, evidence_of(by_id[i.candidate_id], consent))
        return replace(
            i, meets=v.meets, failed=tuple(x.rule for x in v.failed), verdict_lines=tuple(v.lines())
        )

    def item(c: CandidateMatch) -> QueueItem:
        (ref, name), remains_ref = persons[c.person_id], remains[c.remains_id]
        i = QueueItem(
            c.id,
            ref,
            name,
            remains_ref,
            c.log10_lr,
            c.posterior,
            proposers.get(c.id),
            None,
        )
        return judge(i) if verdicts else i

    def strongest(c: CandidateMatch) -> float:
        return -(c.log10_lr if c.log10_lr is not None else -math.inf)

    return (
        [item(c) for c in sorted(to_propose, key=strongest)],
        [item(c) for c in sorted(to_review, key=strongest)],
        judge,
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
    """One page of each list of the queue, its items judged under the policy, and how many of
    the candidates on the page meet it. Only the shown items are judged: judging every open
    candidate was most of the page's time on a large registry (``benchmarks/page_times.py``)."""

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
    with session_scope(db, read=True) as session:
        reader(session, actor, "review.queue")
        propose_items, review_items, judge = _queue(session, verdicts=False)

        def paged(items: list[QueueItem], spec: PageSpec | None, names: tuple[str, ...]) -> Any:
            pg = list_page(
                items,
                sorts={n: QUEUE_SORTS[n] for n in names},
                tie=lambda i: i.candidate_id,
                spec=spec or PageSpec(),
                default="-log10_lr",
            )
            return replace(pg, items=[judge(i) for i in pg.items])

        common = ("log10_lr", "posterior", "person_ref", "remains_ref", "candidate_id")
        first = paged(propose_items, to_propose, common)
        second = paged(review_items, to_review, (*common[:4], "proposed_by", "candidate_id"))
        return ReviewQueuePage(first, second, sum(1 for i in first.items if i.meets))
