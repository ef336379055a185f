"""Samples and donors as the custody, sample and consent pages show them.

A sample's profiles come with their status (markers typed, quality, dropout, replaced or
current): reading them is reading genetic data, so only the roles that weigh evidence see it
and each read is audited. The genotypes themselves are never part of this view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repatria.registry.db import session_scope
from repatria.registry.models import (
    AuditEvent,
    Donor,
    Genotype,
    Person,
    Profile,
    ReferenceFamily,
    Remains,
    Sample,
    User,
)
from repatria.registry.queries import existing
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import roles_for
from repatria.services.views._read import find, reader

__all__ = [
    "ProfileStatus",
    "SampleLine",
    "DonorLine",
    "DonorDetail",
    "remains_samples",
    "list_donors",
    "donor_detail",
]


@dataclass(frozen=True)
class ProfileStatus:
    """One profile of a sample: what was typed, never the genotypes."""

    id: int
    kit: str | None
    markers_typed: int
    quality: float | None
    dropout: float | None
    current: bool


@dataclass(frozen=True)
class SampleLine:
    ref: str
    kind: str
    material: str | None
    lab: str | None
    collected_on: str | None
    #: None when the reader's role may not see profiles (the page says so)
    profiles: list[ProfileStatus] | None


@dataclass(frozen=True)
class DonorLine:
    ref: str
    name: str | None
    relationship: str | None
    family: str | None
    person: str | None
    consent: str  # given, withdrawn, not recorded
    contact_declined: bool


@dataclass(frozen=True)
class DonorDetail:
    line: DonorLine
    consent_scope: str
    consent_given_on: str | None
    withdrawn_at: str | None
    withdrawal_reason: str | None
    withdrawn_by: str | None
    contact_declined_at: str | None
    contact_declined_reason: str | None
    contact_declined_by: str | None
    samples: list[SampleLine] = field(default_factory=list)
    #: the consent and contact entries of the audit log, oldest first
    history: list[dict[str, str | None]] = field(default_factory=list)


def _sees_profiles(user: User) -> bool:
    return user.role in roles_for("match.read")


def _samples(session: Session, stmt, with_profiles: bool) -> list[SampleLine]:  # type: ignore[no-untyped-def]
    samples = list(session.execute(stmt.order_by(Sample.ref)).scalars())
    by_sample: dict[int, list[ProfileStatus]] = {s.id: [] for s in samples}
    if with_profiles and samples:
        replaced = set(
            session.execute(
                select(Profile.supersedes_id).where(Profile.supersedes_id.is_not(None))
            ).scalars()
        )
        typed = (
            select(Genotype.profile_id, func.count().label("n"))
            .group_by(Genotype.profile_id)
            .subquery()
        )
        rows = session.execute(
            select(Profile, func.coalesce(typed.c.n, 0))
            .outerjoin(typed, typed.c.profile_id == Profile.id)
            .where(Profile.sample_id.in_(list(by_sample)))
            .order_by(Profile.id)
        ).all()
        for p, n in rows:
            by_sample[p.sample_id].append(
                ProfileStatus(p.id, p.kit, int(n), p.quality, p.dropout, p.id not in replaced)
            )
    return [
        SampleLine(
            s.ref,
            s.kind,
            s.material,
            s.lab,
            s.collected_on,
            by_sample[s.id] if with_profiles else None,
        )
        for s in samples
    ]


def remains_samples(db: str | None, ref: str, *, actor: str) -> list[SampleLine]:
    """The samples taken from remains, with their profiles' status for the roles that weigh DNA."""
    with session_scope(db) as session:
        user = reader(session, actor, "remains.read")
        remains = find(session, Remains, ref)
        genetic = _sees_profiles(user)
        out = _samples(session, select(Sample).where(Sample.remains_id == remains.id), genetic)
        log_event(session, user.name, "samples.read", "remains", remains.id, profiles=genetic)
        return out


def _line(session: Session, d: Donor) -> DonorLine:
    family = existing(session, ReferenceFamily, d.family_id) if d.family_id else None
    person = existing(session, Person, d.mp_person_id) if d.mp_person_id else None
    if d.consent_withdrawn_at is not None:
        consent = "withdrawn"
    elif d.consent_given_on:
        consent = "given"
    else:
        consent = "not recorded"
    return DonorLine(
        d.ref,
        d.name,
        d.relationship_to_mp,
        family.ref if family else None,
        person.ref if person else None,
        consent,
        d.contact_declined_at is not None,
    )


def list_donors(
    db: str | None, *, actor: str, family: str | None = None, person: str | None = None
) -> list[DonorLine]:
    """Reference donors (of one family, or of one missing person's families) and their consent."""
    with session_scope(db) as session:
        user = reader(session, actor, "donors.read")
        stmt = select(Donor).order_by(Donor.ref)
        if family:
            ids = select(ReferenceFamily.id).where(ReferenceFamily.ref == family)
            stmt = stmt.where(Donor.family_id.in_(ids))
        if person:
            stmt = stmt.where(Donor.mp_person_id == find(session, Person, person).id)
        out = [_line(session, d) for d in session.execute(stmt).scalars()]
        log_event(session, user.name, "donors.read", family=family, person=person, rows=len(out))
        return out


def _name(session: Session, user_id: int | None) -> str | None:
    return existing(session, User, user_id).name if user_id else None


def _at(v) -> str | None:  # type: ignore[no-untyped-def]
    return v.isoformat() if v is not None else None


def donor_detail(db: str | None, ref: str, *, actor: str) -> DonorDetail:
    """One donor's consent and contact wishes, their history and their samples (audited)."""
    with session_scope(db) as session:
        user = reader(session, actor, "donors.read")
        d = find(session, Donor, ref)
        entries = session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "donor",
                AuditEvent.entity_id == str(d.id),
                AuditEvent.action.like("consent.%"),
            )
            .order_by(AuditEvent.id)
        ).scalars()
        history = [
            {
                "at": e.at.isoformat(),
                "by": e.user_name,
                "action": e.action.removeprefix("consent.").replace("_", " "),
                "note": str((e.detail or {}).get("note") or "") or None,
            }
            for e in entries
        ]
        out = DonorDetail(
            _line(session, d),
            d.consent_scope,
            d.consent_given_on,
            _at(d.consent_withdrawn_at),
            d.withdrawal_reason,
            _name(session, d.withdrawal_recorded_by_id),
            _at(d.contact_declined_at),
            d.contact_declined_reason,
            _name(session, d.contact_declined_by_id),
            _samples(session, select(Sample).where(Sample.donor_id == d.id), _sees_profiles(user)),
            history,
        )
        log_event(session, user.name, "donors.read", "donor", d.id)
        return out
