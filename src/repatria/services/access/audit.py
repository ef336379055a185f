"""The audit trail: who saw or changed what, and the check of the hash-chained logs.

Audit entries never hold genotypes: :func:`log_event` refuses detail keys that could carry
them, so a careless caller fails loudly in tests rather than leaking alleles into a log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry import chain
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent
from repatria.services.access.permissions import require

__all__ = [
    "FORBIDDEN_DETAIL",
    "log_event",
    "ChainStatus",
    "AuditReport",
    "verify_chains",
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
    """Add one audit entry in the caller's transaction (it commits or rolls back with the work)."""
    bad = FORBIDDEN_DETAIL.intersection(k.lower() for k in detail)
    if bad:
        raise ServiceError(f"audit entries never hold genotypes; drop {', '.join(sorted(bad))}")
    session.add(
        AuditEvent(
            user_name=user,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail or None,
        )
    )


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
    """The result of ``repatria audit verify``."""

    chains: list[ChainStatus] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    def first_break(self) -> str | None:
        return next((c.first_break for c in self.chains if not c.ok), None)


def verify_chains(db: str | None, *, actor: str | None = None) -> AuditReport:
    """Recompute every hash chain (custody events, decisions) and name the first broken link.

    ``actor``, when given, must be an auditor or admin; the check is audited either way.
    """
    with session_scope(db) as session:
        if actor:
            require(session, actor, "audit.verify")
        chains = []
        for name, table, n, brk in chain.verify_chains(session):
            chains.append(
                ChainStatus(
                    name,
                    table,
                    n,
                    brk.sentence() if brk else None,
                    brk.row_id if brk else None,
                    brk.seq if brk else None,
                )
            )
        report = AuditReport(chains)
        log_event(session, actor, "audit.verify", ok=report.ok, first_break=report.first_break())
        return report


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
    with session_scope(db) as session:
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
