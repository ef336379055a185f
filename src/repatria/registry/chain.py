"""Keyed hash chains for the append-only logs.

The chains: custody events, decisions, re-association decisions and the audit log.

Each row stores its position ``seq``, the previous row's seal ``prev_hash`` and

    row_hash = HMAC-SHA256(key, prev_hash + "\\n" + canonical JSON of its CHAIN_FIELDS)

The key (32 random bytes, hex) lives outside the database: in the file named by
``$REPATRIA_CHAIN_KEY_FILE``, else beside a SQLite database (``NAME.sqlite.chainkey``),
created 0600 by ``repatria db init``. Someone who can write the database but not read the key
cannot re-seal a row they changed (a re-hash with plain SHA-256 does not verify).

Decisions, re-association decisions and custody events also seal a ``context_digest``: the
SHA-256 of what the row rests on that lives in other tables (the candidate's evidence, the
references of the person, remains and sample, the re-association's samples and evidence, the
names of the people who acted), so renaming a user or editing a candidate's LR after the fact
breaks the chain too.

``chain_heads`` keeps each chain's last link, so removing the newest rows is found; and since an
insider could roll the head back with them, :func:`write_anchor` writes the heads, signed
(Ed25519, a key derived from the chain key), to a file outside the database, and
:func:`check_anchor` compares the table with the last anchor. Appenders lock the head row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers at ``BEGIN IMMEDIATE``), so a
chain never forks under concurrent writers.

The key file and the anchors are in :mod:`repatria.registry.chain_keys`, re-exported here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, defer

from repatria.registry.chain_keys import (
    KEY_ENV,
    _key,
    anchor_path,
    check_anchor,
    ensure_key,
    key_path,
    read_key,
    write_anchor,
)
from repatria.registry.models import (
    Association,
    AssociationDecision,
    AuditEvent,
    Body,
    BodyPart,
    CandidateMatch,
    ChainHead,
    CustodyEvent,
    Decision,
    Person,
    Remains,
    RevocationRequest,
    Sample,
    User,
    utcnow,
)

__all__ = [
    "GENESIS",
    "CHAINED",
    "KEY_ENV",
    "key_path",
    "ensure_key",
    "read_key",
    "verify_chains",
    "row_content",
    "content_hash",
    "seal",
    "context_digest",
    "lock_head",
    "append",
    "reseal_all",
    "unseal_all",
    "ChainBreak",
    "verify_chain",
    "anchor_path",
    "write_anchor",
    "check_anchor",
    "verify_states",
]

GENESIS = "0" * 64
CHAINED: tuple[
    type[CustodyEvent] | type[Decision] | type[AssociationDecision] | type[AuditEvent], ...
] = (
    CustodyEvent,
    Decision,
    AssociationDecision,
    AuditEvent,
)

T = TypeVar("T", CustodyEvent, Decision, AssociationDecision, AuditEvent)


# ----------------------------------------------------------------------------- seals


def _canonical(value: Any) -> Any:
    # Timestamps hash as UTC ISO text with microseconds, the same on SQLite and PostgreSQL.
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_content(row: Any) -> dict[str, Any]:
    """The sealed content of a chained row: its ``CHAIN_FIELDS``, canonicalised."""
    return {f: _canonical(getattr(row, f)) for f in row.CHAIN_FIELDS}


def content_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Plain SHA-256 of the previous hash and the content (the unkeyed seal before 0006)."""
    return hashlib.sha256(f"{prev_hash}\n{_json(content)}".encode()).hexdigest()


def seal(key: bytes, prev_hash: str, content: dict[str, Any]) -> str:
    """HMAC-SHA256 hex, under ``key``, of the previous seal and the canonical content."""
    return hmac.new(key, f"{prev_hash}\n{_json(content)}".encode(), hashlib.sha256).hexdigest()


def _ref(session: Session, model: Any, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    # Only the name column is read: migrations reseal with today's models over older tables
    # (0006 runs before later columns of remains exist).
    col = model.ref if hasattr(model, "ref") else model.name
    got = session.execute(select(col).where(model.id == row_id)).first()
    return None if got is None else str(got[0] or "")


def context_digest(session: Session, row: Any) -> str | None:
    """SHA-256 of what a decision or custody event rests on outside its own row."""
    if isinstance(row, Decision):
        cand = session.get(CandidateMatch, row.candidate_id)
        ctx: dict[str, Any] = {
            "actor": _ref(session, User, row.actor_id),
            "proposer": _ref(session, User, row.proposer_id),
        }
        if cand is not None:
            ctx |= {
                "person": _ref(session, Person, cand.person_id),
                "body": _ref(session, Body, cand.body_id),
            }
        # A proposed candidate is reused by later runs (new numbers, samples, run): a proposal
        # rests on who was proposed as whom. A decided one is never touched again, so a
        # verdict or revocation rests on the numbers it was decided on, too.
        if cand is not None and row.kind != "propose":
            ctx |= {
                "run_id": cand.run_id,
                "remains": _ref(session, Remains, cand.remains_id),
                "sample": _ref(session, Sample, cand.sample_id),
                "log10_lr": cand.log10_lr,
                "posterior": cand.posterior,
                "evidence": cand.evidence,
            }
        ctx |= _policy_context(session, row)
    elif isinstance(row, AssociationDecision):
        assoc = session.get(Association, row.association_id)
        ctx = {
            "actor": _ref(session, User, row.actor_id),
            "proposer": _ref(session, User, row.proposer_id),
        }
        if assoc is not None:
            ctx |= {
                "kind": assoc.kind,
                "samples": [_ref(session, Sample, i) for i in assoc.sample_ids or []],
                "reason": assoc.reason,
                "evidence": assoc.evidence,
                "created_by": _ref(session, User, assoc.created_by_id),
            }
    elif isinstance(row, CustodyEvent):
        ctx = {
            "remains": _ref(session, Remains, row.remains_id),
            "sample": _ref(session, Sample, row.sample_id),
            "recorded_by": _ref(session, User, row.recorded_by_id),
        }
    else:
        return None
    return hashlib.sha256(_json(ctx).encode()).hexdigest()


def _policy_context(session: Session, row: Decision) -> dict[str, Any]:
    """The policy a step was taken under and the revocation request a revoke answers (0007).

    Absent for rows before 0007, so their digests are what they were.
    """
    ctx: dict[str, Any] = {}
    try:
        version = row.policy_version
    except InvalidRequestError:  # read by :func:`_select` before 0007 added the column
        return ctx
    if version is not None:
        ctx["policy"] = {
            "version": row.policy_version,
            "verdict": row.verdict,
            "override_reason": row.override_reason,
        }
    if row.kind == "revoke" and row.refers_to is not None:
        req = session.execute(
            select(RevocationRequest).where(RevocationRequest.confirmation_id == row.refers_to)
        ).scalar_one_or_none()
        if req is not None:
            ctx["revocation_request"] = {
                "by": _ref(session, User, req.requested_by_id),
                "reason": req.reason,
                "at": _canonical(req.requested_at),
            }
    return ctx


def lock_head(session: Session, chain: str) -> ChainHead:
    """The head of ``chain``, locked for this transaction (created on first use)."""
    head = session.execute(
        select(ChainHead).where(ChainHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = ChainHead(chain=chain, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


_STAMPS = ("recorded_at", "decided_at", "at")


def append(session: Session, row: T) -> T:
    """Link ``row`` to the end of its chain, seal it with the chain key, add it to the session.

    Call :func:`lock_head` first when the caller must read state under the lock (to decide
    whether the row is allowed at all); calling it again here is harmless.
    """
    key = _key(session)
    head = lock_head(session, row.CHAIN)
    row.seq = head.last_seq + 1
    # The timestamp is sealed, so it is set here rather than by the column default at flush.
    for stamp in _STAMPS:
        if hasattr(type(row), stamp) and getattr(row, stamp) is None:
            setattr(row, stamp, utcnow())
    if isinstance(row, Decision | AssociationDecision | CustodyEvent):
        session.flush()  # the rows it refers to must be readable
        row.context_digest = context_digest(session, row)
    row.prev_hash = head.last_hash
    row.row_hash = seal(key, head.last_hash, row_content(row))
    head.last_seq, head.last_hash = row.seq, row.row_hash
    session.add(row)
    session.flush()
    return row


def _select(session: Session, model: Any) -> Any:
    """``select(model)``, leaving unloaded the columns its table does not have yet.

    An older migration (0006's re-seal) reads the chains before later columns exist;
    :func:`_policy_context` skips what is unloaded.
    """
    present = {c["name"] for c in inspect(session.connection()).get_columns(model.__tablename__)}
    missing = [getattr(model, c.key) for c in model.__table__.columns if c.name not in present]
    stmt = select(model)
    return stmt.options(*(defer(c, raiseload=True) for c in missing))


def _rows(session: Session, model: type[T]) -> Iterator[T]:
    stmt = _select(session, model).order_by(model.seq, model.id)
    yield from session.execute(stmt.execution_options(yield_per=1000)).scalars()


def reseal_all(session: Session, key: bytes) -> dict[str, int | None]:
    """Seal every chain afresh under ``key`` (the upgrade from unkeyed chains, migration 0006).

    Each chain must first verify under the plain SHA-256 seal it had: a chain already broken is
    left as it is (``None`` in the result), so ``audit verify`` goes on naming it broken rather
    than it being laundered into a sealed one. Audit rows written before they were chained are
    numbered in id order. Returns the rows sealed per chain.
    """
    out: dict[str, int | None] = {}
    for model in CHAINED:
        if model is AuditEvent:
            rows: list[Any] = list(
                session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
            )
        else:
            stmt = _select(session, model).order_by(model.seq, model.id)
            rows = list(session.execute(stmt).scalars())
        if model is not AuditEvent and not _legacy_intact(rows):
            out[model.CHAIN] = None
            continue
        for n, row in enumerate(rows, start=1):
            row.seq = n
            if hasattr(type(row), "context_digest"):
                row.context_digest = context_digest(session, row)
        session.flush()
        sealed = GENESIS
        for row in rows:
            row.prev_hash = sealed
            row.row_hash = sealed = seal(key, sealed, row_content(row))
        head = lock_head(session, model.CHAIN)
        head.last_seq, head.last_hash = len(rows), sealed
        session.flush()
        out[model.CHAIN] = len(rows)
    return out


def unseal_all(session: Session, key: bytes) -> dict[str, int | None]:
    """The inverse of :func:`reseal_all` (migration 0006's downgrade): every keyed chain that
    verifies under ``key`` is sealed again with the plain SHA-256 of the schema before, so an
    upgrade re-keys it. A chain that does not verify is left as it is (``None``); the audit log
    is not chained before 0006 and is left alone. Returns the rows sealed per chain."""
    out: dict[str, int | None] = {}
    for model in CHAINED:
        if model is AuditEvent:
            continue
        rows: list[Any] = list(
            session.execute(_select(session, model).order_by(model.seq, model.id)).scalars()
        )
        prev, intact = GENESIS, True
        for n, row in enumerate(rows, start=1):
            if (
                row.seq != n
                or row.prev_hash != prev
                or not hmac.compare_digest(seal(key, prev, row_content(row)), row.row_hash or "")
            ):
                intact = False
                break
            prev = row.row_hash
        if not intact:
            out[model.CHAIN] = None
            continue
        sealed = GENESIS
        for row in rows:
            row.prev_hash = sealed
            row.row_hash = sealed = content_hash(sealed, _legacy_content(row))
        head = lock_head(session, model.CHAIN)
        head.last_seq, head.last_hash = len(rows), sealed
        session.flush()
        out[model.CHAIN] = len(rows)
    return out


def _legacy_intact(rows: list[Any]) -> bool:
    prev = GENESIS
    for n, row in enumerate(rows, start=1):
        if row.seq != n or row.prev_hash != prev:
            return False
        if content_hash(prev, _legacy_content(row)) != row.row_hash:
            return False
        prev = row.row_hash
    return True


def _legacy_content(row: Any) -> dict[str, Any]:
    fields = [f for f in row.CHAIN_FIELDS if f != "context_digest"]
    return {f: _canonical(getattr(row, f)) for f in fields}


# ----------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class ChainBreak:
    """One broken link of a chain: table, row id, position, and what is wrong."""

    chain: str
    table: str
    row_id: int | None
    seq: int | None
    problem: str

    def sentence(self) -> str:
        where = (
            f"{self.table} row id {self.row_id} (seq {self.seq})"
            if self.row_id is not None
            else f"{self.table}"
        )
        return f"{self.chain} chain broken at {where}: {self.problem}"


def _link_problem(
    session: Session, key: bytes, row: Any, prev: str, expected_seq: int
) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}: a row was removed or renumbered"
    if row.prev_hash != prev:
        return (
            "its prev_hash is not the seal of the row before it: "
            "a row before it was removed, replaced or reordered"
        )
    if not hmac.compare_digest(seal(key, prev, row_content(row)), row.row_hash or ""):
        return (
            "its content no longer matches its keyed seal: "
            "the row was changed (or re-hashed without the key) after it was written"
        )
    if hasattr(type(row), "context_digest") and context_digest(session, row) != (
        row.context_digest
    ):
        return (
            "what it rests on changed after it was written (the people named, the "
            "candidate's evidence or the references of the person, remains or sample)"
        )
    return None


def verify_chain(
    session: Session, model: type[T], *, limit: int = 20
) -> tuple[int, list[ChainBreak]]:
    """Recompute every link of one chain in order.

    Returns
    -------
    (rows, breaks) : tuple
        How many rows were checked, and up to ``limit`` broken links, in chain order (empty if
        intact). After a break the check goes on from the stored seal, so each later change is
        named once.
    """
    key = _key(session)
    chain, table = model.CHAIN, model.__tablename__
    prev, expected_seq, n = GENESIS, 1, 0
    breaks: list[ChainBreak] = []
    for row in _rows(session, model):
        n += 1
        problem = _link_problem(session, key, row, prev, expected_seq)
        if problem is not None and len(breaks) < limit:
            breaks.append(ChainBreak(chain, table, row.id, row.seq, problem))
        prev = row.row_hash or ""
        expected_seq = (row.seq or expected_seq) + 1
    head = session.get(ChainHead, chain)
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if (last_seq, last_hash) != (expected_seq - 1, prev):
        breaks.append(
            ChainBreak(
                chain,
                table,
                None,
                None,
                f"the chain head records {last_seq} rows ending in {last_hash[:12]}…, "
                f"the table holds {expected_seq - 1}: rows at the end were removed "
                "or the head was changed",
            )
        )
    return n, breaks


def verify_chains(session: Session) -> list[tuple[str, str, int, list[ChainBreak]]]:
    """``(chain, table, rows checked, breaks)`` for every chain of :data:`CHAINED`."""
    # One call per model (not a loop over CHAINED), so each is checked against its own type.
    return [
        (CustodyEvent.CHAIN, CustodyEvent.__tablename__, *verify_chain(session, CustodyEvent)),
        (Decision.CHAIN, Decision.__tablename__, *verify_chain(session, Decision)),
        (
            AssociationDecision.CHAIN,
            AssociationDecision.__tablename__,
            *verify_chain(session, AssociationDecision),
        ),
        (AuditEvent.CHAIN, AuditEvent.__tablename__, *verify_chain(session, AuditEvent)),
    ]


# ----------------------------------------------------------------------------- states


_PERSON_NEEDS_ID = frozenset({"identified", "repatriated", "disposed"})
_REMAINS_NEEDS_ID = frozenset({"identified", "repatriated"})
_RELEASED = frozenset({"repatriated", "disposed"})


def _live_identifications(session: Session) -> tuple[set[int], set[int]]:
    """The persons and bodies of confirmed, unrevoked candidates (from the decisions chain)."""
    kinds: dict[int, set[str]] = {}
    for cand_id, kind in session.execute(select(Decision.candidate_id, Decision.kind)):
        kinds.setdefault(cand_id, set()).add(kind)
    live = [c for c, ks in kinds.items() if "confirm" in ks and "revoke" not in ks]
    persons: set[int] = set()
    bodies: set[int] = set()
    if live:
        stmt = select(CandidateMatch.person_id, CandidateMatch.body_id).where(
            CandidateMatch.id.in_(live)
        )
        for p, b in session.execute(stmt):
            persons.add(p)
            if b is not None:
                bodies.add(b)
    return persons, bodies


def verify_states(session: Session, *, limit: int = 20) -> list[str]:
    """Each person's, body's and recovered item's state checked against the chains.

    identified, repatriated or disposed persons and identified or repatriated bodies need a
    confirmed, unrevoked identification in the decisions chain (and each such identification
    needs them in one of those states); repatriated or disposed bodies and recovered items
    need a ``released`` custody event (of one of the body's items or samples), and a released
    item must be part of a body in one of those states. Corrected records (``supersedes_id``)
    are left out. One sentence per mismatch, at most ``limit``.
    """
    persons, bodies = _live_identifications(session)
    released_items: set[int] = set()
    released_samples: set[int] = set()
    stmt = select(CustodyEvent.remains_id, CustodyEvent.sample_id).where(
        CustodyEvent.event == "released"
    )
    for rid, sid in session.execute(stmt):
        if rid is not None:
            released_items.add(rid)
        if sid is not None:
            released_samples.add(sid)
    parts: dict[int, list[tuple[int, int | None]]] = {}
    bodies_of_item: dict[int, set[int]] = {}
    current = select(BodyPart.body_id, BodyPart.remains_id, BodyPart.sample_id).where(
        BodyPart.ended_by.is_(None)
    )
    for bid, rid, sid in session.execute(current):
        parts.setdefault(bid, []).append((rid, sid))
        bodies_of_item.setdefault(rid, set()).add(bid)
    out: list[str] = []
    for p in session.execute(select(Person).where(Person.supersedes_id.is_(None))).scalars():
        if (p.status in _PERSON_NEEDS_ID) != (p.id in persons):
            out.append(
                f"person {p.ref} is {p.status.replace('_', ' ')}, but the decisions chain "
                + (
                    "holds no standing identification of them"
                    if p.id not in persons
                    else "holds a standing identification of them"
                )
            )
    status_of: dict[int, str] = {}
    for body in session.execute(select(Body).order_by(Body.id)).scalars():
        status_of[body.id] = body.status
        if body.status in _REMAINS_NEEDS_ID and body.id not in bodies:
            out.append(
                f"body {body.ref} is {body.status}, but the decisions chain holds no standing "
                "identification of it"
            )
        elif body.id in bodies and body.status not in _REMAINS_NEEDS_ID | _RELEASED:
            out.append(
                f"body {body.ref} is {body.status}, but the decisions chain holds a standing "
                "identification of it"
            )
        if body.status in _RELEASED and not any(
            rid in released_items or sid in released_samples for rid, sid in parts.get(body.id, [])
        ):
            out.append(
                f"body {body.ref} is {body.status}, but the custody chain records no release "
                "of its items"
            )
    for r in session.execute(select(Remains).where(Remains.supersedes_id.is_(None))).scalars():
        if r.status in _RELEASED and r.id not in released_items:
            out.append(
                f"remains {r.ref} are {r.status}, but the custody chain records no release of them"
            )
        elif r.id in released_items and not any(
            status_of.get(b) in _RELEASED for b in bodies_of_item.get(r.id, ())
        ):
            out.append(
                f"remains {r.ref} are {r.status}, but the custody chain records their release "
                "and no body they are part of was handed over or disposed of"
            )
    return out[:limit]
