"""Repatriation (a handover or an exchange, often a ceremony with several coffins), disposition.

Both act on bodies: a body goes whole (all its recovered items), one coffin or one grave.

In order: the family is told before the remains go. A handover or a disposition of an
identified body whose family is not told (nor recorded as not told) is refused, naming the
person, unless a reason is given to go without notification: that reason is recorded as the
family's notification exception, audited and shown. A body with open candidates (pairings
still to be proposed or reviewed) is not disposed of without a reason for going ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Body,
    CandidateMatch,
    CustodyEvent,
    Disposition,
    Grave,
    Person,
    Repatriation,
    RepatriationItem,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import (
    candidate_status,
    closures,
    decision_kinds,
    identified_ids,
    live_confirmation,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.body_parts import body_by_ref, body_items, move_body, move_items
from repatria.services.workflows.notification import add_exception, untold
from repatria.services.workflows.states import move
from repatria.vocabulary import DISPOSITION_KINDS, REPATRIATION_KINDS

__all__ = [
    "RepatriationRecord",
    "DispositionRecord",
    "repatriate",
    "dispose",
    "untold_refusal",
    "open_candidates_of",
]


@dataclass(frozen=True)
class RepatriationRecord:
    """A recorded repatriation: the remains in it and the persons they were identified as."""

    id: int
    kind: str
    counterpart: str
    place: str | None
    occurred_on: str
    ceremony: str | None
    items: list[tuple[str, str | None, str | None]]  # (remains ref, person ref, coffin label)
    # Persons handed over before their family was told, and the reason recorded for it.
    without_notification: list[str] = field(default_factory=list)
    without_notification_reason: str | None = None

    @property
    def message(self) -> str:
        untold = (
            f"; families not told: {', '.join(self.without_notification)} "
            f"({self.without_notification_reason})"
            if self.without_notification
            else ""
        )
        return (
            f"repatriation {self.id}: {len(self.items)} remains by {self.kind} to "
            f"{self.counterpart} on {self.occurred_on}{untold}"
        )


@dataclass(frozen=True)
class DispositionRecord:
    id: int
    remains_ref: str  # the body's ref
    person_ref: str | None
    kind: str
    occurred_on: str
    grave: str | None = None
    open_candidates: list[int] = field(default_factory=list)
    open_candidates_reason: str | None = None
    without_notification_reason: str | None = None

    @property
    def message(self) -> str:
        who = f" (person {self.person_ref})" if self.person_ref else ""
        where = f" in {self.grave}" if self.grave else ""
        left = (
            f"; candidates left open: {', '.join(map(str, self.open_candidates))} "
            f"({self.open_candidates_reason})"
            if self.open_candidates
            else ""
        )
        untold = (
            f"; family not told ({self.without_notification_reason})"
            if self.without_notification_reason
            else ""
        )
        return (
            f"body {self.remains_ref}{who} disposed of by {self.kind}{where} on "
            f"{self.occurred_on}{left}{untold}"
        )


def untold_refusal(persons: list[Person], what: str) -> ServiceError:
    """The refusal of a handover or disposition while families are not told (one line)."""
    names = ", ".join(f"{p.ref} ({_name(p)})" for p in persons)
    families = "the family of" if len(persons) == 1 else "the families of"
    return ServiceError(
        f"{what} refused: {families} {names} {'has' if len(persons) == 1 else 'have'} not been "
        "told of the identification; record the notification first, or give the reason to "
        "go ahead without notification"
    )


def _name(p: Person) -> str:
    official = [n for n in p.names if n.kind == "official"]
    return (official or p.names)[0].name if p.names else p.ref


def open_candidates_of(session: Session, body: Body) -> list[CandidateMatch]:
    """Candidates for this body that could still be confirmed: not reviewed to an end, not
    closed by a run, for a person not identified elsewhere. None once the body is identified."""
    if live_confirmation(session, body_id=body.id) is not None:
        return []
    items = [r.id for r in body_items(session, body.id)]
    stmt = select(CandidateMatch).where(
        (CandidateMatch.body_id == body.id)
        | (CandidateMatch.body_id.is_(None) & CandidateMatch.remains_id.in_(items))
    )
    found = list(session.execute(stmt.order_by(CandidateMatch.id)).scalars())
    kinds = decision_kinds(session, [c.id for c in found])
    closed = closures(session)
    identified, _ = identified_ids(session)
    return [
        c
        for c in found
        if candidate_status(kinds.get(c.id, set()), closed=c.id in closed) in ("open", "proposed")
        and c.person_id not in identified
    ]


def _identified_person(session: Session, body: Body) -> Person | None:
    """The person this body is identified as, through a confirmed, unrevoked decision."""
    live = live_confirmation(session, body_id=body.id)
    return None if live is None else existing(session, Person, live[1].person_id)


def _release(
    session: Session,
    body: Body,
    user_id: int,
    *,
    to_party: str | None,
    place: str | None,
    occurred_on: str,
    notes: str,
) -> None:
    """A "released" custody event for every recovered item of the body: it goes whole."""
    for item in body_items(session, body.id):
        append(
            session,
            CustodyEvent(
                remains_id=item.id,
                event="released",
                to_party=to_party,
                location=place,
                occurred_on=occurred_on,
                notes=f"{notes}, body {body.ref}",
                recorded_by_id=user_id,
            ),
        )


def repatriate(
    db: str | None,
    remains_refs: Sequence[str],
    *,
    actor: str,
    kind: str,
    counterpart: str,
    occurred_on: str,
    place: str | None = None,
    ceremony: str | None = None,
    coffin_labels: Sequence[str] | None = None,
    without_notification: str | None = None,
) -> RepatriationRecord:
    """Record identified bodies handed over or exchanged; they and their persons are repatriated.

    Each ref names a body (or the recovered item of one body); each body is one coffin and all
    its items go with it. All or nothing: if any body may not be repatriated, none is. A body
    whose family is not told is refused, naming the person, unless ``without_notification``
    gives the reason (recorded as each such family's notification exception).
    """
    if without_notification is not None and not without_notification.strip():
        raise ServiceError("say why the handover goes ahead without notification (a reason)")
    if kind not in REPATRIATION_KINDS:
        raise ServiceError(
            f"unknown repatriation kind {kind!r}; choose one of {', '.join(REPATRIATION_KINDS)}"
        )
    if not remains_refs:
        raise ServiceError("a repatriation needs at least one body (--remains REF)")
    if coffin_labels is not None and len(coffin_labels) not in (0, len(remains_refs)):
        raise ServiceError(
            f"{len(coffin_labels)} coffin labels for {len(remains_refs)} bodies; "
            "give one per body or none"
        )
    with session_scope(db) as session:
        user = require(session, actor, "repatriation.record")
        lock_head(session, CustodyEvent.CHAIN)
        bodies = [body_by_ref(session, ref, lock=True) for ref in remains_refs]
        if len({b.id for b in bodies}) != len(bodies):
            raise ServiceError("the same body is listed twice in one repatriation")
        rep = Repatriation(
            kind=kind,
            counterpart=counterpart,
            place=place,
            occurred_on=occurred_on,
            ceremony=ceremony,
            recorded_by_id=user.id,
        )
        session.add(rep)
        session.flush()
        items: list[tuple[str, str | None, str | None]] = []
        persons = []
        for body in bodies:
            person = _identified_person(session, body)
            if person is None:
                raise ServiceError(
                    f"body {body.ref} is {body.status.replace('_', ' ')} and not "
                    "identified; only identified bodies can be repatriated "
                    "(record unidentified bodies with `repatria dispose`)"
                )
            persons.append(person)
        not_told = untold(session, [p.id for p in persons])
        if not_told and without_notification is None:
            raise untold_refusal(not_told, "handover")
        cause = f"repatriation:{rep.id}"
        for p in not_told:
            add_exception(session, p, user, reason=str(without_notification), cause=cause)
        for i, (body, person) in enumerate(zip(bodies, persons, strict=True)):
            move_body(session, body, "repatriated", actor=user, cause=cause)
            move(session, person, "repatriated", actor=user, cause=cause)
            label = coffin_labels[i] if coffin_labels else None
            session.add(
                RepatriationItem(
                    repatriation_id=rep.id, body_id=body.id, person_id=person.id, coffin_label=label
                )
            )
            # The handover is the last custody event of the body's items.
            _release(
                session,
                body,
                user.id,
                to_party=counterpart,
                place=place,
                occurred_on=occurred_on,
                notes=f"repatriation {rep.id} ({kind})",
            )
            items.append((body.ref, person.ref, label))
        log_event(
            session,
            user.name,
            "repatriation.record",
            "repatriation",
            rep.id,
            bodies=[b.ref for b in bodies],
            counterpart=counterpart,
            without_notification=[p.ref for p in not_told],
            without_notification_reason=without_notification if not_told else None,
        )
        return RepatriationRecord(
            rep.id,
            kind,
            counterpart,
            place,
            occurred_on,
            ceremony,
            items,
            [p.ref for p in not_told],
            without_notification if not_told else None,
        )


def dispose(
    db: str | None,
    remains_ref: str,
    *,
    actor: str,
    kind: str,
    occurred_on: str,
    reason: str,
    place: str | None = None,
    cemetery: str | None = None,
    plot: str | None = None,
    grave: str | None = None,
    despite_open_candidates: str | None = None,
    without_notification: str | None = None,
) -> DispositionRecord:
    """Record a body buried (in a recorded grave), cremated, held or transferred, and why.

    A burial with ``cemetery`` and ``grave`` (and ``plot``) names a grave record, found or
    created, so a numbered grave can be found again. A body with open candidates is refused,
    naming them, unless ``despite_open_candidates`` says why it cannot wait ("held" excepted:
    it keeps the body); an identified body whose family is not told, unless
    ``without_notification`` says why.
    """
    for text, what in (
        (despite_open_candidates, "the disposition goes ahead with candidates open"),
        (without_notification, "the disposition goes ahead without notification"),
    ):
        if text is not None and not text.strip():
            raise ServiceError(f"say why {what} (a reason)")
    if kind not in DISPOSITION_KINDS:
        raise ServiceError(
            f"unknown disposition {kind!r}; choose one of {', '.join(DISPOSITION_KINDS)}"
        )
    if not reason.strip():
        raise ServiceError("a disposition needs a reason (--reason TEXT)")
    if (cemetery is None) != (grave is None):
        raise ServiceError("a grave needs both its cemetery (--cemetery) and number (--grave)")
    with session_scope(db) as session:
        user = require(session, actor, "disposition.record")
        lock_head(session, CustodyEvent.CHAIN)
        body = body_by_ref(session, remains_ref, lock=True)
        person = _identified_person(session, body)
        # Move first: a refused transition must be the error, not the disposition's unique key.
        changes = [move(session, body, "disposed", actor=user, reason=reason)]
        if person is not None:
            changes.append(move(session, person, "disposed", actor=user, reason=reason))
        # Then the order of things (the transaction rolls back the moves on a refusal).
        pending = [] if kind == "held" else open_candidates_of(session, body)
        if pending and despite_open_candidates is None:
            raise ServiceError(
                f"{kind} of body {body.ref} refused: candidates for it are still open ("
                + ", ".join(
                    f"{c.id}: {existing(session, Person, c.person_id).ref}" for c in pending
                )
                + "); review them first, or give the reason it cannot wait"
            )
        not_told = untold(session, [person.id]) if person is not None and kind != "held" else []
        if not_told and without_notification is None:
            raise untold_refusal(not_told, f"{kind} of body {body.ref}")
        g = _grave(session, cemetery, plot, grave)
        d = Disposition(
            body_id=body.id,
            grave_id=g.id if g else None,
            kind=kind,
            place=place or (g.cemetery if g else None),
            occurred_on=occurred_on,
            reason=reason,
            open_candidates_reason=despite_open_candidates if pending else None,
            recorded_by_id=user.id,
        )
        session.add(d)
        session.flush()
        for p in not_told:
            add_exception(
                session, p, user, reason=str(without_notification), cause=f"disposition:{d.id}"
            )
        for change in changes:
            change.cause = f"disposition:{d.id}"
        move_items(session, body, user, cause=f"disposition:{d.id}", reason=reason)
        _release(
            session,
            body,
            user.id,
            to_party=place,
            place=place,
            occurred_on=occurred_on,
            notes=f"disposition {d.id} ({kind}{', grave ' + _grave_label(g) if g else ''})",
        )
        log_event(
            session,
            user.name,
            "disposition.record",
            "disposition",
            d.id,
            body=body.ref,
            kind=kind,
            grave=_grave_label(g) if g else None,
            open_candidates=[c.id for c in pending],
            open_candidates_reason=d.open_candidates_reason,
            without_notification_reason=without_notification if not_told else None,
        )
        return DispositionRecord(
            d.id,
            body.ref,
            person.ref if person else None,
            kind,
            occurred_on,
            _grave_label(g) if g else None,
            [c.id for c in pending],
            d.open_candidates_reason,
            without_notification if not_told else None,
        )


def _grave(
    session: Session, cemetery: str | None, plot: str | None, number: str | None
) -> Grave | None:
    if cemetery is None or number is None:
        return None
    found = session.execute(
        select(Grave).where(
            Grave.cemetery == cemetery, Grave.plot == (plot or ""), Grave.number == number
        )
    ).scalar_one_or_none()
    if found is None:
        found = Grave(cemetery=cemetery, plot=plot or "", number=number)
        session.add(found)
        session.flush()
    return found


def _grave_label(g: Grave) -> str:
    plot = f", plot {g.plot}" if g.plot else ""
    return f"{g.cemetery}{plot}, grave {g.number}"
