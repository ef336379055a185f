"""Accounting: the registry's counts by state beside each published claim, differences named.

Counts come from the records themselves (never from a stored tally):

- persons: missing persons in the registry (current records, not corrected-away ones)
- recovered: remains recovered; sampled: remains with at least one post mortem sample
- identified: persons with a confirmed, unrevoked identification (including those since
  repatriated or disposed of)
- notified: identified persons whose family was told
- repatriated: persons repatriated; disposed: identified persons disposed of otherwise
- unaccounted: persons still missing or presumed dead
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select

from repatria.registry.db import session_scope
from repatria.registry.models import (
    Base,
    Notification,
    Person,
    PublishedClaim,
    Remains,
    Sample,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = ["COUNT_KEYS", "CLAIM_TO_COUNT", "Account", "account", "compare_claim"]

COUNT_KEYS = (
    "persons",
    "recovered",
    "sampled",
    "identified",
    "notified",
    "repatriated",
    "disposed",
    "unaccounted",
)

# The registry count a published measure is set beside, and how to say it. Measures with no
# counterpart (deployed, wounded, casualties) are listed without a comparison.
CLAIM_TO_COUNT: dict[str, tuple[str, str]] = {
    "killed": ("recovered", "remains recovered"),
    "dead": ("recovered", "remains recovered"),
    "missing": ("unaccounted", "persons unaccounted for"),
    "repatriated": ("repatriated", "persons repatriated"),
    "returned": ("repatriated", "persons repatriated"),
    "identified": ("identified", "persons identified"),
}


@dataclass(frozen=True)
class Account:
    """``counts`` by state, ``claims`` (each with its comparison), ``tables`` (rows per table)."""

    counts: dict[str, int]
    claims: list[dict[str, Any]]
    tables: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "claims": self.claims, "tables": self.tables}


def _current(model: type[Person] | type[Remains]) -> ColumnElement[bool]:
    """Rows not replaced by a correction."""
    replaced = select(model.supersedes_id).where(model.supersedes_id.is_not(None))
    return model.id.not_in(replaced)


def _counts(session: Any) -> dict[str, int]:
    def n(stmt: Any) -> int:
        return int(session.execute(stmt).scalar_one())

    persons = select(func.count()).select_from(Person).where(_current(Person))
    identified_states = ("identified", "repatriated", "disposed")
    return {
        "persons": n(persons),
        "recovered": n(select(func.count()).select_from(Remains).where(_current(Remains))),
        "sampled": n(select(func.count(distinct(Sample.remains_id))).where(Sample.kind == "pm")),
        "identified": n(persons.where(Person.status.in_(identified_states))),
        "notified": n(
            select(func.count(distinct(Notification.person_id)))
            .join(Person, Person.id == Notification.person_id)
            .where(Person.status.in_(identified_states))
        ),
        "repatriated": n(persons.where(Person.status == "repatriated")),
        "disposed": n(persons.where(Person.status == "disposed")),
        "unaccounted": n(persons.where(Person.status.in_(("missing", "presumed_dead")))),
    }


def _range(low: int | None, high: int | None) -> str | None:
    if low is None and high is None:
        return None
    if low is not None and (high is None):
        return f"at least {low}"
    if low is None:
        return f"at most {high}"
    return str(low) if low == high else f"{low}-{high}"


def compare_claim(
    measure: str, low: int | None, high: int | None, counts: dict[str, int]
) -> tuple[str | None, int | None, str]:
    """(registry count key, registry count, the difference in one sentence) for one claim."""
    target = CLAIM_TO_COUNT.get(measure.strip().lower())
    if target is None:
        return None, None, f"the registry does not count '{measure}'"
    key, label = target
    c = counts[key]
    claimed = _range(low, high)
    if claimed is None:
        return key, c, f"the claim gives no number; the registry holds {c} {label}"
    if low is not None and c < low:
        return key, c, f"the registry holds {c} {label}, {low - c} fewer than the claimed {claimed}"
    if high is not None and c > high:
        return key, c, f"the registry holds {c} {label}, {c - high} more than the claimed {claimed}"
    return key, c, f"the registry holds {c} {label}, within the claimed {claimed}"


def account(db: str | None, *, actor: str | None = None) -> Account:
    """Count the registry by state and set the counts beside every published claim."""
    with session_scope(db) as session:
        if actor:
            require(session, actor, "account.view")
        counts = _counts(session)
        claims = []
        for c in session.execute(
            select(PublishedClaim).order_by(PublishedClaim.claim_id)
        ).scalars():
            key, value, difference = compare_claim(c.measure, c.low, c.high, counts)
            claims.append(
                {
                    "claim_id": c.claim_id,
                    "reported_on": c.reported_on,
                    "reported_by": c.reported_by,
                    "attributed_to": c.attributed_to,
                    "subject": c.subject,
                    "measure": c.measure,
                    "low": c.low,
                    "high": c.high,
                    "as_of": c.as_of,
                    "basis": c.basis,
                    "verification": c.verification,
                    "registry_count": key,
                    "registry_value": value,
                    "difference": difference,
                }
            )
        tables = {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in sorted(Base.metadata.tables.items())
        }
        log_event(session, actor, "account.view")
        return Account(counts, claims, tables)
