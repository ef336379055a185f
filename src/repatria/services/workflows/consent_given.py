"""A donor's consent as given: the date and the scope, recorded by those who speak with families.

A withdrawal stands: consent given again after it is a new donation (a new sample and donor
record), not an edit of the old one, so the runs that excluded the withdrawn profile stay
explained.
"""

from __future__ import annotations

from dataclasses import dataclass

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Donor
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.vocabulary import CONSENT_SCOPES

__all__ = ["ConsentGiven", "record_consent"]


@dataclass(frozen=True)
class ConsentGiven:
    donor_ref: str
    given_on: str
    scope: str
    by: str

    @property
    def message(self) -> str:
        return (
            f"consent of donor {self.donor_ref} recorded: given on {self.given_on} "
            f"for {self.scope.replace('_', ' ')}"
        )


def record_consent(
    db: str | None,
    donor_ref: str,
    *,
    actor: str,
    given_on: str,
    scope: str = "identification",
    note: str | None = None,
) -> ConsentGiven:
    """Record when a donor gave consent and for what (case managers and liaison officers)."""
    given_on, scope = (given_on or "").strip(), (scope or "").strip() or "identification"
    if not given_on:
        raise ServiceError("say when the donor gave consent (a date, as precise as known)")
    if len(given_on) > 32:
        raise ServiceError("the consent date is too long (32 characters at most)")
    if scope not in CONSENT_SCOPES:
        raise ServiceError(f"unknown consent scope {scope!r}; choose {' or '.join(CONSENT_SCOPES)}")
    with session_scope(db) as session:
        user = require(session, actor, "consent.record")
        donor = by_ref(session, Donor, donor_ref, lock=True)
        if donor.consent_withdrawn_at is not None:
            raise ServiceError(
                f"donor {donor.ref} withdrew consent on {donor.consent_withdrawn_at:%Y-%m-%d}; "
                "a withdrawal stands: if they consent again, record a new donation"
            )
        donor.consent_given_on, donor.consent_scope = given_on, scope
        log_event(
            session,
            user.name,
            "consent.record",
            "donor",
            donor.id,
            given_on=given_on,
            scope=scope,
            note=(note or "").strip() or None,
        )
        return ConsentGiven(donor.ref, given_on, scope, user.name)
