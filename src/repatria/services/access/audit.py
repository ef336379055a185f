"""The audit trail: who saw or changed what, and the check of the hash-chained logs.

Audit entries never hold genotypes: :func:`log_event` refuses detail keys that could carry
them, so a careless caller fails loudly in tests rather than leaking alleles into a log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry import chain
from repatria.registry.db import (
    defer_write,
    missing_guards,
    resolve_url,
    session_scope,
)
from repatria.registry.models import AuditEvent
from repatria.registry.policy_seal import verify_policy_versions
from repatria.services.access.permissions import require

__all__ = [
    "FORBIDDEN_DETAIL",
    "log_event",
    "ChainStatus",
    "AuditReport",
    "verify_chains",
    "AnchorResult",
    "anchor_chains",
    "AuditEntry",
    "read_audit_log",
]

FORBIDDEN_DETAIL = frozenset(
    {"genotype", "genotypes", "allele", "alleles", "allele1", "allele2", "profile_data", "markers"}
)


def log_event(
    session: Session,
    user: str | None,
    action: str,
    entity: str | None = None,
    entity_id: Any = None,
    **detail: Any,
) -> None:
    """Add one audit entry, chained, in the caller's transaction (it commits or rolls back with
    the work). In a read transaction it is written just after, in a short write transaction."""
    bad = FORBIDDEN_DETAIL.intersection(k.lower() for k in detail)
    if bad:
        raise ServiceError(f"audit entries never hold genotypes; drop {', '.join(sorted(bad))}")

    def write(s: Session) -> None:
        chain.append(
            s,
            AuditEvent(
                user_name=user,
                action=action,
                entity=entity,
                entity_id=None if entity_id is None else str(entity_id),
                detail=detail or None,
            ),
        )

    if not defer_write(session, write):
        write(session)


@dataclass(frozen=True)
class ChainStatus:
    """One hash chain: its table, how many rows were checked, and the first broken link."""

    chain: str
    table: str
    rows: int
    first_break: str | None
    broken_row_id: int | None = None
    broken_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class AuditReport:
    """The result of ``repatria audit verify``: the chains, the anchor, the states.

    ``breaks`` is every problem found, one sentence each: broken links of each chain, rows
    missing against the last anchor, states that the chains do not bear out.
    """

    chains: list[ChainStatus] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)
    anchor: str | None = None
    anchored_at: str | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks

    def first_break(self) -> str | None:
        return self.breaks[0] if self.breaks else None


def verify_chains(
    db: str | None, *, actor: str | None = None, anchor: Path | None = None
) -> AuditReport:
    """Verify every chain (custody, decisions, audit) under the chain key, against the last
    anchor (``anchor``, default the anchor file beside the chain key), and the persons' and
    remains' states against the chains.

    ``actor``, when given, must be an auditor or admin; the check is audited either way.
    """
    with session_scope(db, read=True) as session:
        if actor:
            require(session, actor, "audit.verify")
        guards = missing_guards(session.connection())
        chains, breaks = [], []
        for name, table, n, found in chain.verify_chains(session):
            first = found[0] if found else None
            chains.append(
                ChainStatus(
                    name,
                    table,
                    n,
                    first.sentence() if first else None,
                    first.row_id if first else None,
                    first.seq if first else None,
                )
            )
            breaks += [b.sentence() for b in found]
        path = anchor or chain.anchor_path(resolve_url(db))
        anchored, problems = chain.check_anchor(session, path)
        breaks += problems
        breaks += chain.verify_states(session) + guards
        breaks += verify_policy_versions(session)[0]
    report = AuditReport(
        chains,
        breaks,
        str(path) if anchored else None,
        str(anchored.get("anchored_at")) if anchored else None,
    )
    if not guards:
        with session_scope(db) as session:
            log_event(
                session, actor, "audit.verify", ok=report.ok, first_break=report.first_break()
            )
    return report


@dataclass(frozen=True)
class AnchorResult:
    """An anchor written: where, when, and each chain's head (rows, seal)."""

    file: str
    anchored_at: str
    heads: dict[str, dict[str, Any]]

    @property
    def message(self) -> str:
        heads = ", ".join(f"{c} {h['seq']} rows" for c, h in sorted(self.heads.items()))
        return f"anchored the chain heads ({heads}) at {self.anchored_at} in {self.file}"


def anchor_chains(
    db: str | None, *, actor: str | None = None, out: Path | None = None
) -> AnchorResult:
    """Append the chain heads, signed, to ``out`` (default: beside the chain key).

    Keep the file (or a copy) where the database's writers cannot change it; ``audit verify``
    then finds rows removed since, even with the heads rolled back.
    """
    with session_scope(db) as session:
        if actor:
            require(session, actor, "audit.verify")
        log_event(session, actor, "audit.anchor")
        path = out or chain.anchor_path(resolve_url(db))
        session.flush()
        anchor = chain.write_anchor(session, path, by=actor)
        return AnchorResult(str(path), anchor["anchored_at"], anchor["heads"])


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user: str | None
    action: str
    entity: str | None
    entity_id: str | None
    detail: dict[str, Any] | None


def read_audit_log(db: str | None, *, actor: str, limit: int = 100) -> list[AuditEntry]:
    """The newest ``limit`` audit entries, newest first (auditors, admins); reading is audited."""
    with session_scope(db, read=True) as session:
        require(session, actor, "audit.read")
        rows = session.execute(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        ).scalars()
        entries = [
            AuditEntry(r.id, r.at, r.user_name, r.action, r.entity, r.entity_id, r.detail)
            for r in rows
        ]
        log_event(session, actor, "audit.read", limit=limit)
        return entries
