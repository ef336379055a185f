"""Re-association: "these samples are one body" and "this bag holds two", reviewed by two people.

Both are one operation, :func:`propose` with a ``kind``:

- ``merge``: the samples are one body. On confirmation they all become parts of one body: the
  identified body among theirs if there is one (a fragment joins the body already identified),
  else the oldest. Bodies left with no part are kept and counted nowhere.
- ``split``: the samples, all of one body now, are another body (a bag holding parts of two
  people). On confirmation they become a new body, ``<ref>-2`` (``-3`` ...).

A proposal keeps its evidence: the fragment LR of each sample against the first (the direct
match LR with dropout, :func:`repatria.kinship.fragments.direct_match_log_lr`, natural log in
the computation, stored as log10) and the anthropology given. Review runs through the same
rules as identifications (the ``association_decisions`` chain, the two-person rule of
:mod:`repatria.services.workflows.two_person` and the database's trigger); a confirmed
re-association can be revoked with a reason, which gives every sample back to the body it came
from, as long as nothing later changed those bodies.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import Association, AssociationDecision, Body, BodyPart, Sample, User
from repatria.registry.review_state import candidate_status
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.body_parts import (
    body_items,
    body_of_sample,
    body_samples,
    current_parts,
    move_body,
)
from repatria.services.workflows.problem import sample_profiles
from repatria.services.workflows.two_person import require_second_person
from repatria.vocabulary import ASSOCIATION_KINDS

__all__ = [
    "AssociationRecord",
    "BodyView",
    "propose",
    "confirm",
    "reject",
    "revoke",
    "show_body",
    "FRAGMENT_DROPOUT",
]

#: Per-allele dropout of the fragment LR stored as evidence (burned remains type partly).
FRAGMENT_DROPOUT = 0.05
_FINAL = ("repatriated", "disposed")


@dataclass(frozen=True)
class AssociationRecord:
    """A re-association and where it stands; ``body`` is the body its samples make, once done."""

    id: int
    kind: str
    samples: list[str]
    status: str
    body: str | None
    evidence: dict[str, Any] = field(default_factory=dict)
    decision_id: int | None = None

    @property
    def message(self) -> str:
        what = "are one body" if self.kind == "merge" else "are another body"
        done = f"; they are body {self.body}" if self.body and self.status == "confirmed" else ""
        return f"re-association {self.id} ({', '.join(self.samples)} {what}) {self.status}{done}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "samples": self.samples,
            "status": self.status,
            "body": self.body,
            "evidence": self.evidence,
            "decision": self.decision_id,
        }


@dataclass(frozen=True)
class BodyView:
    """A body now: its state, samples and recovered items."""

    ref: str
    status: str
    samples: list[str]
    items: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "status": self.status,
            "samples": self.samples,
            "items": self.items,
        }


def propose(
    db: str | None,
    sample_refs: Sequence[str],
    *,
    actor: str,
    reason: str,
    kind: str = "merge",
    anthropology: str | None = None,
    search: dict[str, Any] | None = None,
) -> AssociationRecord:
    """An analyst proposes that these PM samples are one body (``merge``) or another (``split``).

    ``search``: what the fragment search found (its threshold, dropout and links), kept with
    the evidence as ``fragment_search``.
    """
    if kind not in ASSOCIATION_KINDS:
        raise ServiceError(f"unknown re-association {kind!r}; choose merge or split")
    if not reason or not reason.strip():
        raise ServiceError("a re-association needs its reason (--reason TEXT)")
    if len(set(sample_refs)) != len(sample_refs):
        raise ServiceError("the same sample is listed twice in one re-association")
    if len(sample_refs) < (2 if kind == "merge" else 1):
        raise ServiceError("name at least two samples that are one body")
    with _steps(db, actor, "bodies.propose") as (session, user):
        samples = [_pm_sample(session, ref) for ref in sample_refs]
        _check(session, kind, samples)
        evidence = _evidence(session, samples, anthropology)
        if search is not None:
            evidence["fragment_search"] = search
        a = Association(
            kind=kind,
            sample_ids=[s.id for s in samples],
            reason=reason,
            evidence=evidence,
            created_by_id=user.id,
        )
        session.add(a)
        session.flush()
        d = append(
            session,
            AssociationDecision(
                association_id=a.id,
                kind="propose",
                actor_id=user.id,
                proposer_id=user.id,
                reason=reason,
            ),
        )
        return _done(session, user, a, d, None)


def confirm(
    db: str | None, association_id: int, *, actor: str, reason: str | None = None
) -> AssociationRecord:
    """A reviewer other than the proposer confirms: the samples become one body."""
    with _steps(db, actor, "bodies.confirm") as (session, user):
        a, proposal = _verdict_checks(session, association_id, user, "confirm")
        samples = [session.get_one(Sample, i) for i in a.sample_ids]
        _check(session, a.kind, samples)
        d = _verdict(session, proposal, "confirm", user, reason)
        body = _apply(session, a, samples, user, f"association:{a.id}")
        return _done(session, user, a, d, body)


def reject(db: str | None, association_id: int, *, actor: str, reason: str) -> AssociationRecord:
    """A reviewer who did not propose the re-association rejects it, with a reason."""
    if not reason or not reason.strip():
        raise ServiceError("to reject a re-association, give the reason with --reason TEXT")
    with _steps(db, actor, "bodies.reject") as (session, user):
        a, proposal = _verdict_checks(session, association_id, user, "reject")
        d = _verdict(session, proposal, "reject", user, reason)
        return _done(session, user, a, d, None)


def revoke(db: str | None, association_id: int, *, actor: str, reason: str) -> AssociationRecord:
    """Undo a confirmed re-association, with a reason: each sample goes back to its old body."""
    if not reason or not reason.strip():
        raise ServiceError("to revoke a re-association, give the reason with --reason TEXT")
    with _steps(db, actor, "bodies.revoke") as (session, user):
        a = _association(session, association_id)
        confirmation = _find(session, a.id, "confirm")
        if confirmation is None:
            raise ServiceError(f"re-association {a.id} is not confirmed; nothing to revoke")
        if _find(session, a.id, "revoke") is not None:
            raise ServiceError(f"re-association {a.id} was already revoked")
        added = _parts(session, added_by=f"association:{a.id}")
        if any(p.ended_by is not None for p in added):
            raise ServiceError(
                f"a later step moved samples of re-association {a.id}; undo that first"
            )
        for body in {p.body_id: session.get_one(Body, p.body_id) for p in added}.values():
            if body.status in _FINAL:
                raise ServiceError(
                    f"body {body.ref} is {body.status}; a re-association of a body handed "
                    "over or buried cannot be revoked"
                )
        d = append(
            session,
            AssociationDecision(
                association_id=a.id,
                kind="revoke",
                actor_id=user.id,
                refers_to=confirmation.id,
                reason=reason,
            ),
        )
        cause = f"revocation:{d.id}"
        for p in added:
            p.ended_by = cause
        for p in _parts(session, ended_by=f"association:{a.id}"):
            session.add(
                BodyPart(
                    body_id=p.body_id,
                    remains_id=p.remains_id,
                    sample_id=p.sample_id,
                    added_by=cause,
                )
            )
        session.flush()
        return _done(session, user, a, d, None)


def show_body(db: str | None, ref: str) -> BodyView:
    """A body (by its ref, or the one body of a recovered item) as it is now."""
    from repatria.services.workflows.body_parts import body_by_ref

    with session_scope(db) as session:
        body = body_by_ref(session, ref)
        return BodyView(
            body.ref,
            body.status,
            [s.ref for s in body_samples(session, body.id)],
            [r.ref for r in body_items(session, body.id)],
        )


# ----------------------------------------------------------------------------- helpers


@contextmanager
def _steps(db: str | None, actor: str, action: str) -> Iterator[tuple[Session, User]]:
    """A transaction holding the re-association chain's lock, with the acting user checked."""
    try:
        with session_scope(db) as session:
            user = require(session, actor, action)
            lock_head(session, AssociationDecision.CHAIN)
            yield session, user
    except (IntegrityError, DBAPIError) as e:
        text = str(e.orig)
        if "two-person rule" in text or "two_person" in text:
            raise ServiceError(
                "two-person rule: the proposer of a re-association cannot confirm or reject it"
            ) from None
        raise ServiceError(
            f"the database refused the step ({text.splitlines()[0]}); nothing was recorded"
        ) from None


def _pm_sample(session: Session, ref: str) -> Sample:
    s = by_ref(session, Sample, ref)
    if s.kind != "pm":
        raise ServiceError(f"sample {ref} is a reference sample; only PM samples make bodies")
    return s


def _check(session: Session, kind: str, samples: Sequence[Sample]) -> list[Body]:
    """The samples' bodies, if the re-association can be made now; else one sentence why not."""
    bodies = []
    for s in samples:
        b = body_of_sample(session, s.id)
        if b is None:
            raise ServiceError(f"sample {s.ref} is part of no body")
        if b.status in _FINAL:
            raise ServiceError(f"sample {s.ref} is part of body {b.ref}, already {b.status}")
        bodies.append(b)
    distinct = {b.id: b for b in bodies}
    if kind == "merge":
        if len(distinct) == 1:
            refs = ", ".join(s.ref for s in samples)
            raise ServiceError(f"samples {refs} are one body ({bodies[0].ref}) already")
        identified = [b for b in distinct.values() if b.status == "identified"]
        if len(identified) > 1:
            raise ServiceError(
                f"bodies {', '.join(b.ref for b in identified)} are identified as different "
                "persons; revoke one identification before joining them"
            )
        return bodies
    if len(distinct) > 1:
        raise ServiceError("the samples of a split must all be of one body now")
    body = bodies[0]
    if body.status == "identified":
        raise ServiceError(
            f"body {body.ref} is identified; revoke its identification before splitting it"
        )
    if len(body_samples(session, body.id)) == len(samples):
        raise ServiceError(
            f"samples {', '.join(s.ref for s in samples)} are all of body {body.ref}"
        )
    return bodies


def _evidence(
    session: Session, samples: Sequence[Sample], anthropology: str | None
) -> dict[str, Any]:
    """The fragment LR (log10) of each sample against the first, and the anthropology."""
    from repatria.kinship.fragments import direct_match_log_lr, encode_samples

    out: dict[str, Any] = {"dropout": FRAGMENT_DROPOUT}
    if anthropology:
        out["anthropology"] = anthropology
    markers, profiles = sample_profiles(session, samples)
    first = samples[0].ref
    if markers and first in profiles:
        others = [s.ref for s in samples[1:] if s.ref in profiles]
        enc = encode_samples(markers, [first, *others], profiles)
        lrs = {}
        for i, ref in enumerate(others, start=1):
            ln = float(
                direct_match_log_lr(
                    markers,
                    FRAGMENT_DROPOUT,
                    enc.a[:1],
                    enc.b[:1],
                    enc.a[i : i + 1],
                    enc.b[i : i + 1],
                )[0]
            )
            lrs[ref] = "-Inf" if ln == -math.inf else ln / math.log(10)
        out["fragment_log10_lr"] = {"against": first, "samples": lrs}
    return out


def _association(session: Session, association_id: int) -> Association:
    a = session.get(Association, association_id)
    if a is None:
        raise NotFoundError(f"there is no re-association {association_id}")
    return a


def _find(session: Session, association_id: int, kind: str) -> AssociationDecision | None:
    return session.execute(
        select(AssociationDecision).where(
            AssociationDecision.association_id == association_id,
            AssociationDecision.kind == kind,
        )
    ).scalar_one_or_none()


def _verdict_checks(
    session: Session, association_id: int, user: User, verb: str
) -> tuple[Association, AssociationDecision]:
    a = _association(session, association_id)
    proposal = _find(session, a.id, "propose")
    if proposal is None:  # every association is stored with its proposal
        raise NotFoundError(f"re-association {a.id} has no proposal")
    verdict = session.execute(
        select(AssociationDecision).where(AssociationDecision.refers_to == proposal.id)
    ).scalar_one_or_none()
    if verdict is not None:
        raise ServiceError(
            f"re-association {a.id} was already {verdict.kind}ed (decision {verdict.id}); "
            "it is decided once"
        )
    require_second_person(proposal.actor_id, user, what=f"re-association {a.id}", verb=verb)
    return a, proposal


def _verdict(
    session: Session, proposal: AssociationDecision, kind: str, user: User, reason: str | None
) -> AssociationDecision:
    return append(
        session,
        AssociationDecision(
            association_id=proposal.association_id,
            kind=kind,
            actor_id=user.id,
            proposer_id=proposal.actor_id,
            refers_to=proposal.id,
            reason=reason,
        ),
    )


def _apply(
    session: Session, a: Association, samples: Sequence[Sample], user: User, cause: str
) -> Body:
    """Make the samples one body: the target of a merge, or a new body for a split."""
    bodies = [body_of_sample(session, s.id) for s in samples]
    if a.kind == "merge":
        known = {b.id: b for b in bodies if b is not None}.values()
        identified = [b for b in known if b.status == "identified"]
        target = identified[0] if identified else min(known, key=lambda b: b.id)
    else:
        source = bodies[0]
        assert source is not None  # checked by _check
        target = Body(ref=_new_ref(session, source.ref), status="recovered")
        session.add(target)
        session.flush()
    for s, b in zip(samples, bodies, strict=True):
        if b is None:  # checked by _check
            continue
        for part in current_parts(session, b.id):
            if part.sample_id == s.id and part.body_id != target.id:
                part.ended_by = cause
                session.add(
                    BodyPart(
                        body_id=target.id,
                        remains_id=part.remains_id,
                        sample_id=s.id,
                        added_by=cause,
                    )
                )
    session.flush()
    if target.status == "recovered":
        move_body(session, target, "sampled", actor=user, reason=a.reason, cause=cause)
    return target


def _new_ref(session: Session, ref: str) -> str:
    n = 2
    while session.execute(select(Body.id).where(Body.ref == f"{ref}-{n}")).first():
        n += 1
    return f"{ref}-{n}"


def _parts(
    session: Session, *, added_by: str | None = None, ended_by: str | None = None
) -> list[BodyPart]:
    stmt = select(BodyPart).order_by(BodyPart.id)
    if added_by is not None:
        stmt = stmt.where(BodyPart.added_by == added_by)
    if ended_by is not None:
        stmt = stmt.where(BodyPart.ended_by == ended_by)
    return list(session.execute(stmt).scalars())


def _done(
    session: Session,
    user: User,
    a: Association,
    d: AssociationDecision,
    body: Body | None,
) -> AssociationRecord:
    session.flush()
    kinds = session.execute(
        select(AssociationDecision.kind).where(AssociationDecision.association_id == a.id)
    ).scalars()
    status = candidate_status(set(kinds))
    if body is None and status == "confirmed":
        made = _parts(session, added_by=f"association:{a.id}")
        body = session.get(Body, made[0].body_id) if made else None
    refs = [session.get_one(Sample, i).ref for i in a.sample_ids]
    log_event(
        session, user.name, f"bodies.{d.kind}", "association", a.id, decision=d.id, samples=refs
    )
    return AssociationRecord(
        a.id, a.kind, refs, status, body.ref if body else None, dict(a.evidence or {}), d.id
    )
