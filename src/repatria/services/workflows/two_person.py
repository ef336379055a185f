"""The two-person rule of every review, in one place (identifications and re-associations).

The database holds the same rule (``registry.models._review_step_rules`` and the triggers);
this check comes first only so the refusal is one clear sentence.
"""

from __future__ import annotations

from repatria.errors import ServiceError
from repatria.registry.models import User

__all__ = ["require_second_person"]


def require_second_person(proposer_id: int, user: User, *, what: str, verb: str) -> None:
    """Refuse ``user`` deciding ``what`` if he proposed it.

    Raises ServiceError: "two-person rule: ana proposed candidate 3, so another reviewer must
    confirm it".
    """
    if proposer_id == user.id:
        raise ServiceError(
            f"two-person rule: {user.name} proposed {what}, so another reviewer must {verb} it"
        )
