"""The state machines of persons and remains, and the one function that moves them.

Person:  missing -> presumed_dead -> identified -> repatriated | disposed
         (missing -> identified directly; a revoked identification goes back to where it came from;
         disposed -> repatriated when buried remains are later returned)
Remains: recovered -> sampled -> identified -> repatriated | disposed
         (recovered -> identified; unidentified remains can be disposed of)
Body:    as remains (a body is identified, handed over and buried; its items follow it)

Every move is a row of ``state_changes``; the ``status`` column is the latest one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.models import Body, Person, Remains, StateChange, User

__all__ = ["PERSON_TRANSITIONS", "REMAINS_TRANSITIONS", "move"]

PERSON_TRANSITIONS: dict[str, frozenset[str]] = {
    "missing": frozenset({"presumed_dead", "identified"}),
    "presumed_dead": frozenset({"identified", "missing"}),
    "identified": frozenset({"repatriated", "disposed", "missing", "presumed_dead"}),
    "disposed": frozenset({"repatriated"}),
    "repatriated": frozenset(),
}

REMAINS_TRANSITIONS: dict[str, frozenset[str]] = {
    "recovered": frozenset({"sampled", "identified", "disposed"}),
    "sampled": frozenset({"identified", "disposed"}),
    "identified": frozenset({"repatriated", "disposed", "sampled", "recovered"}),
    "disposed": frozenset({"repatriated"}),
    "repatriated": frozenset(),
}


def move(
    session: Session,
    obj: Person | Remains | Body,
    to_state: str,
    *,
    actor: User,
    reason: str | None = None,
    cause: str | None = None,
) -> StateChange:
    """Move a person, remains or a body to ``to_state`` if the state machine allows it; record it.

    Raises
    ------
    ServiceError
        One sentence naming the record, its state, the refused state and what is allowed.
    """
    entity = "person" if isinstance(obj, Person) else "body" if isinstance(obj, Body) else "remains"
    table = PERSON_TRANSITIONS if entity == "person" else REMAINS_TRANSITIONS
    allowed = table[obj.status]
    if to_state not in allowed:
        if not allowed:
            raise ServiceError(
                f"{entity} {obj.ref} is {_label(obj.status)}, a final state, and "
                f"cannot become {_label(to_state)}"
            )
        options = " or ".join(_label(s) for s in sorted(allowed))
        raise ServiceError(
            f"{entity} {obj.ref} is {_label(obj.status)} and cannot become "
            f"{_label(to_state)}; from {_label(obj.status)} it can only become {options}"
        )
    change = StateChange(
        entity=entity,
        entity_id=obj.id,
        from_state=obj.status,
        to_state=to_state,
        reason=reason,
        cause=cause,
        actor_id=actor.id,
    )
    obj.status = to_state
    session.add(change)
    return change


def _label(state: str) -> str:
    return state.replace("_", " ")
