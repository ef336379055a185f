"""What an exchange package holds: the registry's records for another party, in package order.

Graves, persons, recovered items (remains), bodies, custody events, dispositions,
identifications, then profiles; each a plain dict (``docs/exchange.md`` lists the fields).
Kept out on purpose: passwords, tokens, the audit log, users' roles, persons' notes, donors'
names and refs, family contacts and notification notes.

Profiles go under pseudonyms (:func:`pseudonym`), never beside a name:

- a reference profile only where the donor gave consent to sharing with the recipient (or with
  any party) and has not withdrawn consent; it names a pseudonymous family and the donor's
  relationship to the missing person, not the person, so no name travels with a profile;
- a PM profile only of a body with no standing identification: an unidentified body is what a
  partner can help with, and an identified body's evidence travels as its identification.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from repatria.formats.jsonsafe import json_safe
from repatria.registry.models import (
    Body,
    BodyPart,
    CandidateMatch,
    CustodyEvent,
    Decision,
    Disposition,
    Donor,
    FrequencyTable,
    Genotype,
    Grave,
    IdentificationRun,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Remains,
    Sample,
    SharingConsent,
    User,
)
from repatria.registry.review_state import live_confirmations

__all__ = ["collect", "pseudonym", "grave_ref"]

Record = tuple[str, dict[str, Any]]
#: Run parameters that name internal ids or donors; the rest travels with an identification.
_PRIVATE_PARAMETERS = ("inputs", "withdrawn_donors")


def pseudonym(secret: bytes, recipient: str | None, kind: str, ref: str) -> str:
    """A stable pseudonym of ``ref`` for ``recipient``: the same in every package to that party,
    unlinkable between parties, and not computable without the sender's key."""
    msg = f"{recipient or ''}\n{kind}\n{ref}".encode()
    return f"{kind}-{hmac.new(secret, msg, hashlib.sha256).hexdigest()[:20]}"


def grave_ref(g: Grave) -> str:
    """A grave's reference in a package (graves have no ref of their own)."""
    key = f"{g.cemetery}\n{g.plot}\n{g.number}".encode()
    return f"grave-{hashlib.sha256(key).hexdigest()[:16]}"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _current(model: Any) -> Any:
    newer = aliased(model)
    replaced = select(newer.supersedes_id).where(newer.supersedes_id.is_not(None))
    return select(model).where(model.id.not_in(replaced)).order_by(model.id)


def collect(session: Session, *, recipient: str | None, secret: bytes) -> list[Record]:
    """The records of a package to ``recipient``, in order (``secret``: pseudonyms' key)."""
    refs = _Refs(session)
    live = session.execute(live_confirmations()).all()
    identified_bodies = {c.body_id for _, c in live if c.body_id is not None}
    out: list[Record] = []
    for g in session.execute(select(Grave).order_by(Grave.id)).scalars():
        out.append(("grave", _grave(g)))
    for p in session.execute(_current(Person)).scalars():
        out.append(("person", _person(p)))
    for r in session.execute(_current(Remains)).scalars():
        out.append(("remains", _remains(r)))
    for body, parts in _bodies(session, refs):
        out.append(
            ("body", {"ref": body.ref, "status": body.status, "notes": body.notes, "parts": parts})
        )
    out.extend(("custody", e) for e in _custody(session, refs))
    for d in session.execute(select(Disposition).order_by(Disposition.id)).scalars():
        out.append(("disposition", _disposition(session, d, refs)))
    for decision, cand in live:
        out.append(("identification", _identification(session, decision, cand, refs)))
    name = functools.partial(pseudonym, secret, recipient)
    out.extend(_profiles(session, recipient, identified_bodies, refs, name))
    return [(kind, json_safe(data)) for kind, data in out]


class _Refs:
    """References by id, read once (a package names records by ref, never by row id)."""

    def __init__(self, session: Session) -> None:
        self.remains = {k: v for k, v in session.execute(select(Remains.id, Remains.ref))}
        self.samples = {k: v for k, v in session.execute(select(Sample.id, Sample.ref))}
        self.pm = set(session.execute(select(Sample.id).where(Sample.kind == "pm")).scalars())
        self.bodies = {k: v for k, v in session.execute(select(Body.id, Body.ref))}
        self.persons = {k: v for k, v in session.execute(select(Person.id, Person.ref))}
        self.users = {k: v for k, v in session.execute(select(User.id, User.name))}


def _grave(g: Grave) -> dict[str, Any]:
    return {
        "ref": grave_ref(g),
        "cemetery": g.cemetery,
        "plot": g.plot,
        "number": g.number,
        "lat": g.lat,
        "lon": g.lon,
    }


def _person(p: Person) -> dict[str, Any]:
    return {
        "ref": p.ref,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "nationality": p.nationality,
        "service_number": p.service_number,
        "unit": p.unit,
        "date_missing": p.date_missing,
        "last_known_place": p.last_known_place,
        "last_known_lat": p.last_known_lat,
        "last_known_lon": p.last_known_lon,
        "status": p.status,
        "names": [
            {
                "name": n.name,
                "kind": n.kind,
                "script": n.script,
                "transliteration": n.transliteration,
            }
            for n in p.names
        ],
        "documents": [
            {
                "doc_type": d.doc_type,
                "number": d.number,
                "issuer": d.issuer,
                "name_on_document": d.name_on_document,
                "authenticity": d.authenticity,
            }
            for d in p.documents
        ],
    }


def _remains(r: Remains) -> dict[str, Any]:
    return {
        "ref": r.ref,
        "site": r.site,
        "site_lat": r.site_lat,
        "site_lon": r.site_lon,
        "recovered_on": r.recovered_on,
        "recovered_by": r.recovered_by,
        "condition": r.condition,
        "status": r.status,
        "notes": r.notes,
        "effects": [{"kind": e.kind, "description": e.description} for e in r.effects],
    }


def _bodies(session: Session, refs: _Refs) -> list[tuple[Body, list[dict[str, Any]]]]:
    parts: dict[int, list[dict[str, Any]]] = {}
    stmt = select(BodyPart).where(BodyPart.ended_by.is_(None)).order_by(BodyPart.id)
    for bp in session.execute(stmt).scalars():
        parts.setdefault(bp.body_id, []).append(
            {
                "remains": refs.remains[bp.remains_id],
                "sample": refs.samples.get(bp.sample_id) if bp.sample_id else None,
            }
        )
    # A body with no current part was merged into another and is counted nowhere.
    bodies = session.execute(select(Body).where(Body.id.in_(list(parts))).order_by(Body.id))
    return [(b, parts[b.id]) for b in bodies.scalars()]


def _custody(session: Session, refs: _Refs) -> list[dict[str, Any]]:
    # Events of recovered items and PM samples only: a reference sample's ref is the donor's.
    stmt = (
        select(CustodyEvent)
        .where(or_(CustodyEvent.remains_id.is_not(None), CustodyEvent.sample_id.in_(refs.pm)))
        .order_by(CustodyEvent.seq)
    )
    return [
        {
            "ref": f"custody-{e.seq}",
            "seq": e.seq,
            "remains": refs.remains.get(e.remains_id) if e.remains_id else None,
            "sample": refs.samples.get(e.sample_id) if e.sample_id else None,
            "event": e.event,
            "from_party": e.from_party,
            "to_party": e.to_party,
            "location": e.location,
            "occurred_on": e.occurred_on,
            "notes": e.notes,
            "recorded_by": refs.users.get(e.recorded_by_id),
            "recorded_at": _iso(e.recorded_at),
            "row_hash": e.row_hash,
        }
        for e in session.execute(stmt).scalars()
    ]


def _disposition(session: Session, d: Disposition, refs: _Refs) -> dict[str, Any]:
    grave = session.get(Grave, d.grave_id) if d.grave_id else None
    return {
        "ref": f"disposition-{d.id}",
        "body": refs.bodies.get(d.body_id) if d.body_id else None,
        "remains": refs.remains.get(d.remains_id) if d.remains_id else None,
        "kind": d.kind,
        "place": d.place,
        "occurred_on": d.occurred_on,
        "reason": d.reason,
        "grave": grave_ref(grave) if grave else None,
    }


def _identification(
    session: Session, confirm: Decision, cand: CandidateMatch, refs: _Refs
) -> dict[str, Any]:
    proposal = session.get(Decision, confirm.refers_to) if confirm.refers_to else None
    run = session.get(IdentificationRun, cand.run_id) if cand.run_id else None
    ev = dict(cand.evidence or {})
    policy = ev.get("policy")
    return {
        "ref": f"identification-{confirm.id}",
        "body": refs.bodies.get(cand.body_id) if cand.body_id else None,
        "remains": refs.remains.get(cand.remains_id),
        "person": refs.persons.get(cand.person_id),
        "proposed_by": refs.users.get(proposal.actor_id) if proposal else None,
        "proposed_at": _iso(proposal.decided_at) if proposal else None,
        "proposal_reason": proposal.reason if proposal else None,
        "confirmed_by": refs.users.get(confirm.actor_id),
        "confirmed_at": _iso(confirm.decided_at),
        "confirmation_reason": confirm.reason,
        "evidence": {
            "log10_lr": cand.log10_lr,
            "posterior": cand.posterior,
            "posterior_lower": ev.get("posterior_lower"),
            "posterior_upper": ev.get("posterior_upper"),
            "lr0": ev.get("lr0"),
            "exclusions": ev.get("exclusions"),
            "conclusion": ev.get("conclusion"),
            "references": _references(session, ev, run),
            "per_marker_log10_lr": ev.get("per_marker_log10_lr"),
            "warnings": list(ev.get("warnings") or []),
            "policy_version": ev.get("policy_version")
            or (policy.get("version") if isinstance(policy, dict) else None),
        },
        "run": _run(session, run),
    }


def _references(session: Session, ev: dict[str, Any], run: IdentificationRun | None) -> list[Any]:
    """The references an identification rests on, by relation only (never the donor's ref)."""
    if ev.get("references"):
        return [
            {
                "relation": r.get("relation"),
                "methods": r.get("methods") or ["autosomal_str"],
                "log10_lr": r.get("log10_lr"),
            }
            for r in ev["references"]
        ]
    # Runs before the evidence named its references: the donors of the family at the version the
    # run read.
    family_ref = ev.get("family")
    inputs = (run.parameters or {}).get("inputs", {}) if run else {}
    version = (inputs.get("families", {}).get(family_ref) or {}).get("version")
    if family_ref is None or version is None:
        return []
    stmt = (
        select(Donor.relationship_to_mp)
        .join(PedigreeMember, PedigreeMember.donor_id == Donor.id)
        .join(ReferenceFamily, ReferenceFamily.id == PedigreeMember.family_id)
        .where(ReferenceFamily.ref == family_ref, ReferenceFamily.version == version)
        .order_by(PedigreeMember.id)
    )
    return [
        {"relation": rel, "methods": ["autosomal_str"], "log10_lr": None}
        for rel in session.execute(stmt).scalars()
    ]


def _run(session: Session, run: IdentificationRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    table = session.get(FrequencyTable, run.frequency_table_id) if run.frequency_table_id else None
    return {
        "id": run.id,
        "started_at": _iso(run.started_at),
        "software_version": run.software_version,
        "parameters": {
            k: v for k, v in (run.parameters or {}).items() if k not in _PRIVATE_PARAMETERS
        },
        "frequency_table": (
            {
                "name": table.name,
                "version": table.version,
                "sha256": table.sha256,
                "source": table.source,
            }
            if table
            else None
        ),
        "input_sha256": run.input_sha256,
    }


def _profiles(
    session: Session,
    recipient: str | None,
    identified_bodies: set[int],
    refs: _Refs,
    name: Callable[[str, str], str],
) -> list[Record]:
    current = select(BodyPart.sample_id, BodyPart.body_id).where(
        BodyPart.ended_by.is_(None), BodyPart.sample_id.is_not(None)
    )
    body_of_sample = {sample: body for sample, body in session.execute(current)}
    consenting = set(
        session.execute(
            select(SharingConsent.donor_id).where(
                or_(SharingConsent.party.is_(None), SharingConsent.party == recipient)
                if recipient
                else SharingConsent.party.is_(None)
            )
        ).scalars()
    )
    out: list[Record] = []
    for profile in session.execute(_current(Profile)).scalars():
        sample = session.get(Sample, profile.sample_id)
        assert sample is not None
        if sample.kind == "pm":
            body_id = body_of_sample.get(sample.id)
            if body_id is None or body_id in identified_bodies:
                continue
            data: dict[str, Any] = {
                "ref": name("pm", f"profile:{profile.id}"),
                "kind": "pm",
                "body": refs.bodies[body_id],
            }
        else:
            donor = session.get(Donor, sample.donor_id) if sample.donor_id else None
            if donor is None or donor.consent_withdrawn_at is not None:
                continue
            if donor.id not in consenting:
                continue
            family = session.get(ReferenceFamily, donor.family_id) if donor.family_id else None
            data = {
                "ref": name("ref", f"profile:{profile.id}"),
                "kind": "reference",
                "family": name("fam", family.ref) if family else None,
                "relationship_to_mp": donor.relationship_to_mp,
            }
        data["kit"] = profile.kit
        data["quality"] = profile.quality
        data["genotypes"] = {
            g.marker: [g.allele1, g.allele2]
            for g in session.execute(
                select(Genotype).where(Genotype.profile_id == profile.id).order_by(Genotype.id)
            ).scalars()
        }
        out.append(("profile", data))
    return out
