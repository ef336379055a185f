"""Hash chains for the append-only logs (custody events, decisions, re-association decisions).

Each row stores ``row_hash = SHA-256(prev_hash + "\\n" + canonical JSON of its content)``,
where the content is the row's ``CHAIN_FIELDS`` and ``prev_hash`` is the previous row's
hash (:data:`GENESIS` for the first). ``chain_heads`` keeps the last link, so removing the
newest row is found too. Appenders lock the head row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are serialised at ``BEGIN IMMEDIATE``), so the chain
never forks under concurrent writers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.registry.models import (
    AssociationDecision,
    ChainHead,
    CustodyEvent,
    Decision,
    utcnow,
)

__all__ = [
    "GENESIS",
    "CHAINED",
    "verify_chains",
    "row_content",
    "content_hash",
    "lock_head",
    "append",
    "ChainBreak",
    "verify_chain",
]

GENESIS = "0" * 64
CHAINED: tuple[type[CustodyEvent] | type[Decision] | type[AssociationDecision], ...] = (
    CustodyEvent,
    Decision,
    AssociationDecision,
)

T = TypeVar("T", CustodyEvent, Decision, AssociationDecision)


def _canonical(value: Any) -> Any:
    # Timestamps hash as UTC ISO text with microseconds, the same on SQLite and PostgreSQL.
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_content(row: Any) -> dict[str, Any]:
    """The hashed content of a chained row: its ``CHAIN_FIELDS``, canonicalised."""
    return {f: _canonical(getattr(row, f)) for f in row.CHAIN_FIELDS}


def content_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 hex of the previous hash and the canonical JSON of the content."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


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


def append(session: Session, row: T) -> T:
    """Link ``row`` to the end of its chain and add it to the session.

    Call :func:`lock_head` first when the caller must read state under the lock (to decide
    whether the row is allowed at all); calling it again here is harmless.
    """
    head = lock_head(session, row.CHAIN)
    row.seq = head.last_seq + 1
    # The timestamp is hashed, so it is set here rather than by the column default at flush.
    for stamp in ("recorded_at", "decided_at"):
        if hasattr(type(row), stamp) and getattr(row, stamp) is None:
            setattr(row, stamp, utcnow())
    row.prev_hash = head.last_hash
    row.row_hash = content_hash(head.last_hash, row_content(row))
    head.last_seq, head.last_hash = row.seq, row.row_hash
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of a chain: table, row id, position, and what is wrong."""

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


def verify_chain(session: Session, model: type[T]) -> tuple[int, ChainBreak | None]:
    """Recompute every link of one chain in order.

    Returns
    -------
    (rows, first_break) : tuple
        How many rows were checked, and the first broken link (``None`` if intact).
    """
    chain, table = model.CHAIN, model.__tablename__
    prev, expected_seq, n = GENESIS, 1, 0
    for row in session.execute(select(model).order_by(model.seq, model.id)).scalars():
        n += 1
        if row.seq != expected_seq:
            return n, ChainBreak(
                chain,
                table,
                row.id,
                row.seq,
                f"expected seq {expected_seq}: a row was removed or renumbered",
            )
        if row.prev_hash != prev:
            return n, ChainBreak(
                chain,
                table,
                row.id,
                row.seq,
                "its prev_hash is not the hash of the row before it: "
                "a row before it was removed, replaced or reordered",
            )
        if content_hash(prev, row_content(row)) != row.row_hash:
            return n, ChainBreak(
                chain,
                table,
                row.id,
                row.seq,
                "its content no longer matches its stored hash: "
                "the row was changed after it was written",
            )
        prev, expected_seq = row.row_hash, expected_seq + 1
    head = session.get(ChainHead, chain)
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if (last_seq, last_hash) != (expected_seq - 1, prev):
        return n, ChainBreak(
            chain,
            table,
            None,
            None,
            f"the chain head records {last_seq} rows ending in {last_hash[:12]}…, "
            f"the table holds {expected_seq - 1}: rows at the end were removed "
            "or the head was changed",
        )
    return n, None


def verify_chains(session: Session) -> list[tuple[str, str, int, ChainBreak | None]]:
    """``(chain, table, rows checked, first break)`` for every chain of :data:`CHAINED`."""
    # One call per model (not a loop over CHAINED), so each is checked against its own type.
    results = [
        (CustodyEvent.CHAIN, CustodyEvent.__tablename__, *verify_chain(session, CustodyEvent)),
        (Decision.CHAIN, Decision.__tablename__, *verify_chain(session, Decision)),
        (
            AssociationDecision.CHAIN,
            AssociationDecision.__tablename__,
            *verify_chain(session, AssociationDecision),
        ),
    ]
    return results
