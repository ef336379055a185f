"""What a body is made of, and how it moves: the helpers every workflow uses for bodies.

A body's current parts are its :class:`~repatria.registry.models.BodyPart` rows with no
``ended_by``; its samples are the parts' samples, its items the parts' recovered items (one
item can hold parts of several bodies). A body moves through the remains state machine
(:func:`move_body`); each of its items follows when every body it holds part of is in the new
state, so a shared bag is handed over when the last body in it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError
from repatria.registry.models import Body, BodyPart, Remains, Sample, User
from repatria.services.workflows.states import REMAINS_TRANSITIONS, move

__all__ = [
    "current_parts",
    "body_of_sample",
    "bodies_of_item",
    "body_samples",
    "body_items",
    "body_by_ref",
    "new_body",
    "add_sample",
    "move_body",
    "move_items",
]


def current_parts(session: Session, body_id: int) -> list[BodyPart]:
    """The body's current parts, in id order."""
    return list(
        session.execute(
            select(BodyPart)
            .where(BodyPart.body_id == body_id, BodyPart.ended_by.is_(None))
            .order_by(BodyPart.id)
        ).scalars()
    )


def body_of_sample(session: Session, sample_id: int) -> Body | None:
    """The body a PM sample is part of now (``None`` for a sample of no body)."""
    return session.execute(
        select(Body)
        .join(BodyPart, BodyPart.body_id == Body.id)
        .where(BodyPart.sample_id == sample_id, BodyPart.ended_by.is_(None))
    ).scalar_one_or_none()


def bodies_of_item(session: Session, remains_id: int) -> list[Body]:
    """The bodies a recovered item holds parts of now, in id order."""
    return list(
        session.execute(
            select(Body)
            .join(BodyPart, BodyPart.body_id == Body.id)
            .where(BodyPart.remains_id == remains_id, BodyPart.ended_by.is_(None))
            .distinct()
            .order_by(Body.id)
        ).scalars()
    )


def body_samples(session: Session, body_id: int) -> list[Sample]:
    """The body's current samples, in sample id order."""
    return list(
        session.execute(
            select(Sample)
            .join(BodyPart, BodyPart.sample_id == Sample.id)
            .where(BodyPart.body_id == body_id, BodyPart.ended_by.is_(None))
            .order_by(Sample.id)
        ).scalars()
    )


def body_items(session: Session, body_id: int) -> list[Remains]:
    """The recovered items the body is made of now, in id order."""
    return list(
        session.execute(
            select(Remains)
            .join(BodyPart, BodyPart.remains_id == Remains.id)
            .where(BodyPart.body_id == body_id, BodyPart.ended_by.is_(None))
            .distinct()
            .order_by(Remains.id)
        ).scalars()
    )


def body_by_ref(session: Session, ref: str, *, lock: bool = False) -> Body:
    """The body of that ref; else the one body of the recovered item of that ref.

    A body merged into another (no current part) is known by the body it went into.
    """
    stmt = select(Body).where(Body.ref == ref)
    body = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if body is not None and current_parts(session, body.id):
        return body
    item = session.execute(select(Remains).where(Remains.ref == ref)).scalar_one_or_none()
    if item is not None:
        held = bodies_of_item(session, item.id)
        if len(held) == 1:
            return held[0]
        if held:
            raise NotFoundError(
                f"recovered item {ref} holds parts of {len(held)} bodies "
                f"({', '.join(b.ref for b in held)}); name the body"
            )
    raise NotFoundError(f"there is no body {ref!r} in the registry")


def new_body(session: Session, item: Remains, *, cause: str, ref: str | None = None) -> Body:
    """A new body made of the whole recovered item (until samples say more)."""
    body = Body(ref=ref or item.ref, status="recovered", import_id=item.import_id)
    session.add(body)
    session.flush()
    session.add(BodyPart(body_id=body.id, remains_id=item.id, added_by=cause))
    session.flush()
    return body


def add_sample(session: Session, sample: Sample, item: Remains, *, cause: str) -> Body:
    """Record a new PM sample of ``item`` as part of the item's body (a new body if none).

    An item of several bodies gives the sample to its first body; a re-association moves it.
    """
    held = bodies_of_item(session, item.id)
    body = held[0] if held else new_body(session, item, cause=cause)
    for part in current_parts(session, body.id):
        if part.remains_id == item.id and part.sample_id is None:
            part.ended_by = cause  # the whole item is now known by its sample
    session.add(BodyPart(body_id=body.id, remains_id=item.id, sample_id=sample.id, added_by=cause))
    session.flush()
    return body


def move_body(
    session: Session,
    body: Body,
    to_state: str,
    *,
    actor: User,
    reason: str | None = None,
    cause: str | None = None,
) -> None:
    """Move the body (state machine checked); its items follow where every body in them has."""
    move(session, body, to_state, actor=actor, reason=reason, cause=cause)
    move_items(session, body, actor, cause=cause, reason=reason)


def move_items(
    session: Session, body: Body, actor: User, *, cause: str | None, reason: str | None = None
) -> None:
    """Move the body's items to the body's state where every body in them is in it too."""
    session.flush()
    to_state = body.status
    for item in body_items(session, body.id):
        if item.status == to_state or to_state not in REMAINS_TRANSITIONS[item.status]:
            continue
        if all(b.status == to_state for b in bodies_of_item(session, item.id)):
            move(session, item, to_state, actor=actor, reason=reason, cause=cause)
