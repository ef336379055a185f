"""Review state, read from the decisions log: one home for what a candidate's decisions mean.

Every service that asks "where does this candidate stand?" or "what identifies this person?"
asks here, so the answer has one meaning everywhere:

- :func:`candidate_status` — a candidate's status from the kinds of its decisions (and
  whether a run closed it as superseded, :func:`closures`).
- :func:`live_confirmations` — the confirmations that stand: a ``confirm`` decision that no
  ``revoke`` decision refers to. A person or remains is identified by at most one of them
  (the state machine refuses a second identification).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, aliased, defer

from repatria.registry.models import CandidateClosure, CandidateMatch, Decision

__all__ = [
    "candidate_status",
    "decision_kinds",
    "live_confirmations",
    "live_confirmation",
    "identified_ids",
    "open_candidates",
    "closures",
]


def candidate_status(kinds: Collection[str], *, closed: bool = False) -> str:
    """Where a candidate stands, given the kinds of its decisions (any order).

    The latest step wins: revoked, else confirmed, else rejected, else proposed, else open;
    an open or proposed candidate that a run ``closed`` is superseded.

    >>> candidate_status([])
    'open'
    >>> candidate_status({"propose", "confirm"})
    'confirmed'
    >>> candidate_status(["propose", "confirm", "revoke"])
    'revoked'
    """
    for kind, status in (
        ("revoke", "revoked"),
        ("confirm", "confirmed"),
        ("reject", "rejected"),
    ):
        if kind in kinds:
            return status
    if closed:
        return "superseded"
    return "proposed" if "propose" in kinds else "open"


def decision_kinds(
    session: Session, candidate_ids: Iterable[int] | None = None
) -> dict[int, set[str]]:
    """candidate id -> the kinds of its decisions (candidates with none are absent)."""
    stmt = select(Decision.candidate_id, Decision.kind)
    if candidate_ids is not None:
        stmt = stmt.where(Decision.candidate_id.in_(list(candidate_ids)))
    out: dict[int, set[str]] = {}
    for cid, kind in session.execute(stmt):
        out.setdefault(cid, set()).add(kind)
    return out


def live_confirmations() -> Select[Decision, CandidateMatch]:
    """``(confirmation, candidate)`` for every confirmation not revoked, in decision order.

    Compose it: ``live_confirmations().where(CandidateMatch.person_id == pid)``.
    """
    revocation = aliased(Decision)
    revoked = exists().where(revocation.kind == "revoke", revocation.refers_to == Decision.id)
    return (
        select(Decision, CandidateMatch)
        .join(CandidateMatch, CandidateMatch.id == Decision.candidate_id)
        .where(Decision.kind == "confirm", ~revoked)
        .order_by(Decision.seq)
    )


def live_confirmation(
    session: Session,
    *,
    person_id: int | None = None,
    remains_id: int | None = None,
    body_id: int | None = None,
) -> tuple[Decision, CandidateMatch] | None:
    """The standing confirmation that identifies this person (or remains, or body), if any."""
    stmt = live_confirmations()
    if person_id is not None:
        stmt = stmt.where(CandidateMatch.person_id == person_id)
    if remains_id is not None:
        stmt = stmt.where(CandidateMatch.remains_id == remains_id)
    if body_id is not None:
        stmt = stmt.where(CandidateMatch.body_id == body_id)
    row = session.execute(stmt.order_by(None).order_by(Decision.seq.desc())).first()
    return None if row is None else (row[0], row[1])


def identified_ids(session: Session) -> tuple[set[int], set[int]]:
    """(person ids, remains ids) identified by a standing confirmation."""
    rows = session.execute(
        live_confirmations().with_only_columns(CandidateMatch.person_id, CandidateMatch.remains_id)
    ).all()
    return {p for p, _ in rows}, {r for _, r in rows}


def closures(session: Session) -> dict[int, str]:
    """candidate id -> what superseded it (``"decision:12"``), for candidates a run closed."""
    rows = session.execute(select(CandidateClosure.candidate_id, CandidateClosure.pointer))
    return {cid: pointer for cid, pointer in rows}


def open_candidates(
    session: Session, *, evidence: bool = True
) -> tuple[list[CandidateMatch], list[CandidateMatch]]:
    """(candidates never proposed, candidates proposed and awaiting a verdict), in id order.

    Candidates a run closed as superseded are in neither. ``evidence=False``: each candidate's
    evidence is read only when asked for (a list of a thousand open candidates spent most of
    its time decoding evidence it never showed).
    """
    kinds = decision_kinds(session)
    closed = closures(session)
    to_propose: list[CandidateMatch] = []
    to_review: list[CandidateMatch] = []
    stmt = select(CandidateMatch).order_by(CandidateMatch.id)
    if not evidence:
        stmt = stmt.options(defer(CandidateMatch.evidence))
    for c in session.execute(stmt).scalars():
        if c.id in closed:
            continue
        status = candidate_status(kinds.get(c.id, set()))
        if status == "open":
            to_propose.append(c)
        elif status == "proposed":
            to_review.append(c)
    return to_propose, to_review
