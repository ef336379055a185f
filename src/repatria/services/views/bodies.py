"""Bodies, their re-associations, family versions and graves: what the pages and the API show.

A body is shown with its current samples and recovered items, the person it is identified as,
its grave, and every re-association that touched its samples (with the fragment LR and the
anthropology kept as evidence, and who proposed and decided, and why). The re-associations
carry genetic evidence, so they are read by the roles that read matches, and audited. A family
is shown version by version: who changed it, why, and its members at that version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Association,
    AssociationDecision,
    Body,
    BodyPart,
    Disposition,
    Donor,
    Grave,
    PedigreeMember,
    Person,
    ReferenceFamily,
    Sample,
    User,
)
from repatria.registry.review_state import candidate_status, live_confirmation
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import roles_for
from repatria.services.paging import Page, PageSpec, csv_text, sql_page
from repatria.services.views._read import reader
from repatria.services.workflows.body_parts import body_by_ref, body_items, body_samples

# A grave in words, as the disposition records it (one wording, kept by the workflow).
from repatria.services.workflows.repatriation import _grave_label as grave_label

__all__ = [
    "BodySummary",
    "AssociationView",
    "BodyDetail",
    "FamilyVersionView",
    "GraveView",
    "list_bodies",
    "body_detail",
    "list_associations",
    "association_detail",
    "family_history",
    "list_families",
    "families_page",
    "families_csv",
    "list_graves",
]


@dataclass(frozen=True)
class BodySummary:
    ref: str
    status: str
    samples: list[str]
    items: list[str]
    person: str | None
    grave: str | None


@dataclass(frozen=True)
class AssociationView:
    id: int
    kind: str
    samples: list[str]
    status: str
    reason: str
    evidence: dict[str, Any]
    proposed_by: str
    decisions: list[dict[str, Any]]  # kind, by, reason, at


@dataclass(frozen=True)
class BodyDetail:
    body: BodySummary
    associations: list[AssociationView]
    merged_from: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FamilyVersionView:
    id: int
    ref: str
    version: int
    current: bool
    changed_by: str | None
    change_reason: str | None
    created_at: str
    members: list[dict[str, Any]]  # individual, father, mother, sex, donor, typed, missing


@dataclass(frozen=True)
class GraveView:
    cemetery: str
    plot: str
    number: str
    label: str
    burials: list[dict[str, Any]]  # body, person, occurred_on, reason


# ----------------------------------------------------------------------------- bodies


def _summary(session: Session, body: Body) -> BodySummary:
    live = live_confirmation(session, body_id=body.id)
    person = session.get(Person, live[1].person_id) if live else None
    grave = session.execute(
        select(Grave)
        .join(Disposition, Disposition.grave_id == Grave.id)
        .where(Disposition.body_id == body.id)
    ).scalar_one_or_none()
    return BodySummary(
        body.ref,
        body.status,
        [s.ref for s in body_samples(session, body.id)],
        [r.ref for r in body_items(session, body.id)],
        person.ref if person else None,
        grave_label(grave) if grave else None,
    )


def list_bodies(db: str | None, *, actor: str, status: str | None = None) -> list[BodySummary]:
    """Every body with a current part (a body merged into another is not listed), by ref."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "remains.read")
        current = select(BodyPart.body_id).where(BodyPart.ended_by.is_(None))
        stmt = select(Body).where(Body.id.in_(current)).order_by(Body.ref)
        if status:
            stmt = stmt.where(Body.status == status)
        return [_summary(session, b) for b in session.execute(stmt).scalars()]


def body_detail(db: str | None, ref: str, *, actor: str) -> BodyDetail:
    """One body (or the one body of a recovered item) with the re-associations of its samples."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "remains.read")
        body = body_by_ref(session, ref)
        summary = _summary(session, body)
        ids = set(
            session.execute(
                select(BodyPart.sample_id).where(
                    BodyPart.body_id == body.id, BodyPart.sample_id.is_not(None)
                )
            ).scalars()
        )
        # the fragment LRs are genetic evidence: shown to those who weigh it
        views = (
            [
                _association(session, a)
                for a in session.execute(select(Association).order_by(Association.id)).scalars()
                if ids & set(a.sample_ids)
            ]
            if user.role in roles_for("match.read")
            else []
        )
        merged = sorted(
            {
                b.ref
                for b in session.execute(
                    select(Body)
                    .join(BodyPart, BodyPart.body_id == Body.id)
                    .where(BodyPart.sample_id.in_(ids), Body.id != body.id)
                ).scalars()
            }
        )
        log_event(session, user.name, "body.read", "body", body.id)
        return BodyDetail(summary, views, merged)


def _association(session: Session, a: Association) -> AssociationView:
    names = dict(session.execute(select(User.id, User.name)).all())
    decisions = list(
        session.execute(
            select(AssociationDecision)
            .where(AssociationDecision.association_id == a.id)
            .order_by(AssociationDecision.id)
        ).scalars()
    )
    refs = dict(
        session.execute(select(Sample.id, Sample.ref).where(Sample.id.in_(a.sample_ids))).all()
    )
    return AssociationView(
        a.id,
        a.kind,
        [refs[i] for i in a.sample_ids],
        candidate_status({d.kind for d in decisions}),
        a.reason,
        dict(a.evidence or {}),
        names[a.created_by_id],
        [
            {
                "id": d.id,
                "kind": d.kind,
                "by": names.get(d.actor_id),
                "reason": d.reason,
                "at": d.decided_at.isoformat() if d.decided_at else None,
            }
            for d in decisions
        ],
    )


def list_associations(
    db: str | None, *, actor: str, status: str | None = None
) -> list[AssociationView]:
    """Every re-association, newest first (``status``: proposed, confirmed, rejected, revoked)."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "match.read")
        out = [
            _association(session, a)
            for a in session.execute(select(Association).order_by(Association.id.desc())).scalars()
        ]
        out = [v for v in out if status is None or v.status == status]
        log_event(session, user.name, "associations.read", associations=len(out))
        return out


def association_detail(db: str | None, association_id: int, *, actor: str) -> AssociationView:
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "match.read")
        a = session.get(Association, association_id)
        if a is None:
            raise NotFoundError(f"there is no re-association {association_id}")
        log_event(session, user.name, "association.read", "association", a.id)
        return _association(session, a)


# ----------------------------------------------------------------------------- families


def list_families(db: str | None, *, actor: str) -> list[FamilyVersionView]:
    """The current version of every reference family, by ref."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "match.read")
        replaced = select(ReferenceFamily.supersedes_id).where(
            ReferenceFamily.supersedes_id.is_not(None)
        )
        rows = session.execute(
            select(ReferenceFamily)
            .where(ReferenceFamily.id.not_in(replaced))
            .order_by(ReferenceFamily.ref)
        ).scalars()
        return [_version(session, f, current=True) for f in rows]


def families_page(
    db: str | None, *, actor: str, page: PageSpec | None = None
) -> Page[FamilyVersionView]:
    """One page of :func:`list_families`, paged by ref in SQL: only the page's families are
    read with their members."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "match.read")
        replaced = select(ReferenceFamily.supersedes_id).where(
            ReferenceFamily.supersedes_id.is_not(None)
        )
        pg = sql_page(
            session,
            select(ReferenceFamily).where(ReferenceFamily.id.not_in(replaced)),
            sorts={"ref": ReferenceFamily.ref},
            tie=ReferenceFamily.id,
            spec=page or PageSpec(),
            default="ref",
        )
        rows = [_version(session, f, current=True) for f in pg.items]
        return Page(rows, pg.total, pg.next, pg.previous, pg.sort, pg.sorts)


def families_csv(db: str | None, *, actor: str) -> str:
    """Every current family as CSV: ref, version, members, typed relatives, last changed by."""
    return csv_text(
        ("family", "version", "members", "typed relatives", "last changed by"),
        (
            (
                f.ref,
                f.version,
                len(f.members),
                [m["individual"] for m in f.members if m["typed"]],
                f.changed_by or "",
            )
            for f in list_families(db, actor=actor)
        ),
    )


def family_history(db: str | None, ref: str, *, actor: str) -> list[FamilyVersionView]:
    """Every version of the family, newest first, with who changed it and why (audited)."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "match.read")
        rows = list(
            session.execute(
                select(ReferenceFamily)
                .where(ReferenceFamily.ref == ref)
                .order_by(ReferenceFamily.version.desc())
            ).scalars()
        )
        if not rows:
            raise NotFoundError(f"there is no reference family {ref!r} in the registry")
        replaced = {f.supersedes_id for f in rows}
        out = [_version(session, f, current=f.id not in replaced) for f in rows]
        log_event(session, user.name, "family.read", "reference_family", rows[0].id, family=ref)
        return out


def _version(session: Session, f: ReferenceFamily, *, current: bool) -> FamilyVersionView:
    by = session.get(User, f.changed_by_id) if f.changed_by_id else None
    members = []
    for m in session.execute(
        select(PedigreeMember).where(PedigreeMember.family_id == f.id).order_by(PedigreeMember.id)
    ).scalars():
        donor = session.get(Donor, m.donor_id) if m.donor_id else None
        person = session.get(Person, m.person_id) if m.person_id else None
        typed = donor is not None and (
            session.execute(select(Sample.id).where(Sample.donor_id == donor.id)).first()
            is not None
        )
        members.append(
            {
                "individual": m.individual,
                "father": m.father,
                "mother": m.mother,
                "sex": m.sex,
                "donor": donor.ref if donor else None,
                "typed": typed,
                "missing_person": person.ref if person else None,
            }
        )
    return FamilyVersionView(
        f.id,
        f.ref,
        f.version,
        current,
        by.name if by else None,
        f.change_reason,
        f.created_at.isoformat() if f.created_at else "",
        members,
    )


# ----------------------------------------------------------------------------- graves


def list_graves(db: str | None, *, actor: str) -> list[GraveView]:
    """Every recorded grave, with the bodies buried in it (and whom they were identified as)."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "remains.read")
        out = []
        for g in session.execute(
            select(Grave).order_by(Grave.cemetery, Grave.plot, Grave.number)
        ).scalars():
            burials = []
            for d, body in session.execute(
                select(Disposition, Body)
                .join(Body, Body.id == Disposition.body_id)
                .where(Disposition.grave_id == g.id)
                .order_by(Disposition.id)
            ).all():
                live = live_confirmation(session, body_id=body.id)
                person = session.get(Person, live[1].person_id) if live else None
                burials.append(
                    {
                        "body": body.ref,
                        "person": person.ref if person else None,
                        "occurred_on": d.occurred_on,
                        "reason": d.reason,
                    }
                )
            out.append(GraveView(g.cemetery, g.plot, g.number, grave_label(g), burials))
        return out
