"""Consent of reference donors: a withdrawal removes the donor's profiles from every future run
and says which past runs and candidates used them (those results stand, but are now known to
rest on a withdrawn reference: :func:`flagged_identifications` lists the standing ones for
re-review). A donor may also decline contact (:func:`decline_contact`): the profile still
counts, but the donor is never offered or accepted as the person told."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CandidateMatch,
    Donor,
    Person,
    Profile,
    Remains,
    RunProfile,
    Sample,
    utcnow,
)
from repatria.registry.queries import candidates_for_donor, existing, runs_using, usable_profiles
from repatria.registry.review_state import live_confirmations
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require, require_reader
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.notification import family_donors

__all__ = [
    "ProfileRef",
    "Withdrawal",
    "ContactDeclined",
    "FlaggedIdentification",
    "profiles_for_run",
    "withdraw_consent",
    "decline_contact",
    "flagged_identifications",
]


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


def profiles_for_run(db: str | None, *, actor: str | None = None) -> list[ProfileRef]:
    """The profiles a new identification run may use: no withdrawn donors, no replaced profiles.

    ``actor``, when given (the pages and the API), must be one who reads donors' consent."""
    with session_scope(db, read=True) as session:
        if actor is not None:
            require_reader(session, actor, "donors.read")
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


@dataclass(frozen=True)
class ContactDeclined:
    donor_ref: str
    already: bool
    by: str

    @property
    def message(self) -> str:
        if self.already:
            return f"donor {self.donor_ref} had already declined contact"
        return (
            f"donor {self.donor_ref} does not want to be contacted; they will not be offered "
            "or accepted as the person told"
        )


def decline_contact(db: str | None, donor_ref: str, *, actor: str, reason: str) -> ContactDeclined:
    """Record that a donor does not want to be contacted (case managers and liaison officers).

    The donor's profile keeps its use in identification (that is consent, not contact).
    """
    if not reason or not reason.strip():
        raise ServiceError("record how the donor said so with --reason TEXT")
    with session_scope(db) as session:
        user = require(session, actor, "consent.withdraw")
        donor = by_ref(session, Donor, donor_ref, lock=True)
        already = donor.contact_declined_at is not None
        if not already:
            donor.contact_declined_at = utcnow()
            donor.contact_declined_reason = reason.strip()
            donor.contact_declined_by_id = user.id
        log_event(session, user.name, "consent.decline_contact", "donor", donor.id, already=already)
        return ContactDeclined(donor.ref, already, user.name)


@dataclass(frozen=True)
class FlaggedIdentification:
    """A standing identification that rests on a donor who withdrew consent: to re-review."""

    candidate_id: int
    decision_id: int
    person_ref: str
    remains_ref: str
    confirmed_at: str
    withdrawn: list[dict[str, str | None]]  # donor, relationship, withdrawn_at
    other_references: int  # donors it also rests on who did not withdraw

    @property
    def rests_only_on_withdrawn(self) -> bool:
        return self.other_references == 0

    @property
    def message(self) -> str:
        who = ", ".join(str(w["donor"]) for w in self.withdrawn)
        rest = (
            "rests only on withdrawn references"
            if self.rests_only_on_withdrawn
            else f"also rests on {self.other_references} other reference(s)"
        )
        return (
            f"candidate {self.candidate_id}: {self.person_ref} = {self.remains_ref}, confirmed "
            f"{self.confirmed_at[:10]}, used {who} (consent withdrawn); {rest}"
        )


def _references_used(session: Session, c: CandidateMatch) -> list[Donor]:
    """The donors a candidate rests on: named in its evidence, else the family's donors whose
    profiles its run used (every family donor with a profile, for a candidate made by hand)."""
    named = [str(r.get("donor")) for r in (c.evidence or {}).get("references") or () if r]
    person = existing(session, Person, c.person_id)
    donors = family_donors(session, person)
    if named:
        return [d for d in donors if d.ref in named]
    used = select(Sample.donor_id).join(Profile, Profile.sample_id == Sample.id)
    if c.run_id is not None:
        used = used.join(RunProfile, RunProfile.profile_id == Profile.id).where(
            RunProfile.run_id == c.run_id
        )
    ids = set(session.execute(used.where(Sample.donor_id.is_not(None))).scalars())
    return [d for d in donors if d.id in ids]


def flagged_identifications(db: str | None, *, actor: str) -> list[FlaggedIdentification]:
    """Standing identifications resting on a withdrawn donor, for re-review (the review
    roles and the auditor); those resting only on withdrawn references first."""
    with session_scope(db, read=True) as session:
        user = require_reader(session, actor, "flagged.read")
        out = []
        for d, c in session.execute(live_confirmations()).all():
            used = _references_used(session, c)
            withdrawn = [u for u in used if u.consent_withdrawn_at is not None]
            if not withdrawn:
                continue
            out.append(
                FlaggedIdentification(
                    c.id,
                    d.id,
                    existing(session, Person, c.person_id).ref,
                    existing(session, Remains, c.remains_id).ref,
                    d.decided_at.isoformat(),
                    [
                        {
                            "donor": w.ref,
                            "relationship": w.relationship_to_mp,
                            "withdrawn_at": w.consent_withdrawn_at.isoformat()
                            if w.consent_withdrawn_at
                            else None,
                        }
                        for w in withdrawn
                    ],
                    len(used) - len(withdrawn),
                )
            )
        out.sort(key=lambda f: (not f.rests_only_on_withdrawn, f.candidate_id))
        log_event(session, user.name, "flagged.read", flagged=len(out))
        return out
