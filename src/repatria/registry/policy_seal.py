"""Policy versions sealed through the audit chain.

``policy_versions`` is append-only by trigger (migration 0007), but a trigger is a fence an
owner of the schema can step over. Setting a policy therefore writes the SHA-256 of the
version's document into its ``policy.set`` audit entry, which the audit chain seals under the
chain key; :func:`verify_policy_versions` recomputes every version's digest and names each
version whose document differs from what was sealed, or that has no sealed record. Versions set
before the digest was written (their entry has none) are reported as unsealed, not as broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.registry.models import AuditEvent, PolicyVersion

__all__ = ["policy_digest", "verify_policy_versions"]


def policy_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of a policy document in canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def verify_policy_versions(session: Session) -> tuple[list[str], int]:
    """(sentences naming every policy version that differs from its sealed digest or has no
    record of its setting, how many versions predate sealing)."""
    sealed: dict[str, str | None] = {}
    for entity_id, detail in session.execute(
        select(AuditEvent.entity_id, AuditEvent.detail).where(
            AuditEvent.action == "policy.set", AuditEvent.entity == "policy"
        )
    ):
        sealed[str(entity_id)] = (detail or {}).get("document_sha256")
    breaks: list[str] = []
    legacy = 0
    for version, document in session.execute(
        select(PolicyVersion.version, PolicyVersion.document).order_by(PolicyVersion.version)
    ):
        key = str(version)
        if key not in sealed:
            breaks.append(f"policy version {version} has no record of its setting in the audit log")
        elif sealed[key] is None:
            legacy += 1
        elif sealed[key] != policy_digest(document):
            breaks.append(
                f"policy version {version} was changed after it was set: its rules no longer "
                "match the digest sealed in the audit log when it was set"
            )
    return breaks, legacy
