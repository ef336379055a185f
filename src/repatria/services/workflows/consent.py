"""Consent of reference donors: a withdrawal removes the donor's profiles from every future run
and says which past runs and candidates used them (those results stand, but are now known to
rest on a withdrawn reference)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Donor, Profile, Sample, utcnow
from repatria.registry.queries import candidates_for_donor, existing, runs_using, usable_profiles
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref

__all__ = ["ProfileRef", "Withdrawal", "profiles_for_run", "withdraw_consent"]


@dataclass(frozen=True)
class ProfileRef:
    """A profile a run may use: its id, sample, kind (pm or reference) and donor, if any."""

    profile_id: int
    sample_ref: str
    kind: str
    donor_ref: str | None


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal did and what it touches."""

    donor_ref: str
    profile_ids: list[int]
    past_runs: list[int]
    past_candidates: list[int]
    already_withdrawn: bool

    @property
    def message(self) -> str:
        if self.already_withdrawn:
            head = f"donor {self.donor_ref} had already withdrawn consent"
        else:
            head = (
                f"consent of donor {self.donor_ref} withdrawn; {len(self.profile_ids)} profile(s) "
                "excluded from future runs"
            )
        if not self.past_runs:
            return head + "; no past run used them"
        return (
            head
            + f"; past runs that used them: {', '.join(map(str, self.past_runs))}"
            + (
                f" (candidates {', '.join(map(str, self.past_candidates))})"
                if self.past_candidates
                else ""
            )
        )


def profiles_for_run(db: str | None) -> list[ProfileRef]:
    """The profiles a new identification run may use: no withdrawn donors, no replaced profiles."""
    with session_scope(db) as session:
        out = []
        for p in session.execute(usable_profiles()).scalars():
            sample = existing(session, Sample, p.sample_id)
            donor = existing(session, Donor, sample.donor_id) if sample.donor_id else None
            out.append(ProfileRef(p.id, sample.ref, sample.kind, donor.ref if donor else None))
        return out


def withdraw_consent(db: str | None, donor_ref: str, *, actor: str, reason: str) -> Withdrawal:
    """Record a donor's withdrawal of consent (case managers and liaison officers)."""
    if not reason or not reason.strip():
        raise ServiceError("record how the withdrawal was made with --reason TEXT")
    with session_scope(db) as session:
        user = require(session, actor, "consent.withdraw")
        donor = by_ref(session, Donor, donor_ref, lock=True)
        already = donor.consent_withdrawn_at is not None
        if not already:
            donor.consent_withdrawn_at = utcnow()
            donor.withdrawal_reason = reason
            donor.withdrawal_recorded_by_id = user.id
        profiles = list(
            session.execute(
                select(Profile.id)
                .join(Sample, Sample.id == Profile.sample_id)
                .where(Sample.donor_id == donor.id)
            ).scalars()
        )
        runs = runs_using(session, profiles)
        candidates = candidates_for_donor(session, donor, runs)
        log_event(
            session,
            user.name,
            "consent.withdraw",
            "donor",
            donor.id,
            already=already,
            profiles=len(profiles),
            past_runs=runs,
        )
        return Withdrawal(donor.ref, profiles, runs, candidates, already)
