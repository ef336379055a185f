"""Accounting: the registry's counts by state beside each published claim, differences named.

Counts come from the records themselves (never from a stored tally):

- persons: missing persons in the registry (current records, not corrected-away ones)
- recovered: remains recovered; sampled: remains with at least one post mortem sample
- identified: persons with a confirmed, unrevoked identification (including those since
  repatriated or disposed of)
- notified: identified persons whose family was told
- repatriated: persons repatriated; disposed: identified persons disposed of otherwise
- unaccounted: persons still missing or presumed dead

``individuals`` counts bodies (one individual's remains, whatever number of bags, fragments
and samples it was recovered as; bodies merged into another count once):

- recovered: bodies made of at least one recovered item;
- identified: of those, bodies identified by a standing confirmation (since returned or
  buried included);
- returned: bodies repatriated; buried: bodies disposed of by burial;
- held: bodies still in custody (neither returned nor disposed of).

A published claim is set beside an ``individuals`` figure only when it is about the same
thing: a measure the registry counts (recovered, identified, returned or repatriated,
buried), a subject that is people or their remains (not coffins, not ceremonies), and a day
(``as_of``, YYYY-MM-DD) the registry can count at: the figure is then counted as of the end of
that day from the state changes. Otherwise the claim is listed as not comparable, with the
reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select

from repatria.registry.db import session_scope
from repatria.registry.models import (
    Base,
    Body,
    BodyPart,
    Disposition,
    Notification,
    Person,
    PublishedClaim,
    Remains,
    Sample,
    StateChange,
)
from repatria.registry.review_state import live_confirmations
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = [
    "COUNT_KEYS",
    "INDIVIDUAL_KEYS",
    "CLAIM_TO_COUNT",
    "Account",
    "account",
    "compare_claim",
    "comparable",
    "bodies_expected_share",
]

INDIVIDUAL_KEYS = ("recovered", "identified", "returned", "buried", "held")

#: The individuals figure a claimed measure is set beside.
MEASURE_TO_INDIVIDUALS: dict[str, str] = {
    "recovered": "recovered",
    "identified": "identified",
    "repatriated": "returned",
    "returned": "returned",
    "buried": "buried",
}
#: Words of a claim's subject that make it about people or their remains.
PEOPLE_WORDS = ("bod", "remains", "individual", "person", "people", "soldier", "dead", "men")

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
    individuals: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "individuals": self.individuals,
            "counts": self.counts,
            "claims": self.claims,
            "tables": self.tables,
        }


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


def _bodies_as_of(session: Any, day: dt.date | None) -> dict[int, str]:
    """body id -> state at the end of ``day`` (now if None), for bodies with a current part."""
    held = set(
        session.execute(select(BodyPart.body_id).where(BodyPart.ended_by.is_(None))).scalars()
    )
    end = None if day is None else dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    state: dict[int, str] = {}
    # Columns, not Body objects: an exchange has thousands of bodies.
    for b in session.execute(select(Body.id, Body.created_at, Body.status).order_by(Body.id)):
        if b.id in held and (end is None or b.created_at <= end):
            state[b.id] = "recovered" if end is not None else b.status
    if end is not None:
        for ch in session.execute(
            select(StateChange).where(StateChange.entity == "body").order_by(StateChange.id)
        ).scalars():
            if ch.entity_id in state and ch.changed_at <= end:
                state[ch.entity_id] = ch.to_state
    return state


def _individuals(session: Any, day: dt.date | None = None) -> dict[str, int]:
    """The ``individuals`` figures (bodies, never sample records), now or at the end of ``day``."""
    state = _bodies_as_of(session, day)
    burials = set(
        session.execute(
            select(Disposition.body_id).where(
                Disposition.kind == "burial", Disposition.body_id.is_not(None)
            )
        ).scalars()
    )
    confirmed = {c.body_id for _d, c in session.execute(live_confirmations()).all()}
    done = ("identified", "repatriated", "disposed")
    identified = sum(1 for b, s in state.items() if s in done and b in confirmed)
    return {
        "recovered": len(state),
        "identified": identified,
        "returned": sum(1 for s in state.values() if s == "repatriated"),
        "buried": sum(1 for b, s in state.items() if s == "disposed" and b in burials),
        "held": sum(1 for s in state.values() if s not in ("repatriated", "disposed")),
    }


def comparable(measure: str, subject: str | None, as_of: str | None) -> tuple[str | None, str]:
    """(the individuals figure a claim is set beside, or None; why not, when not).

    >>> comparable("killed", "soldiers", "2025-01-01")
    (None, "the registry counts bodies recovered, identified, returned and buried, not 'killed'")
    >>> comparable("repatriated", "coffins shown", "2025-01-01")[0] is None
    True
    >>> comparable("returned", "bodies", "2025-03")
    (None, "the claim is as of '2025-03', not a day the registry can count at (YYYY-MM-DD)")
    >>> comparable("returned", "bodies", "2025-03-01")
    ('returned', '')
    """
    key = MEASURE_TO_INDIVIDUALS.get(measure.strip().lower())
    if key is None:
        return None, (
            "the registry counts bodies recovered, identified, returned and buried, "
            f"not '{measure}'"
        )
    text = (subject or "").lower()
    if not any(w in text for w in PEOPLE_WORDS):
        return None, (
            f"the claim counts '{subject or 'an unstated subject'}', the registry counts "
            "individuals (bodies)"
        )
    if not as_of or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of.strip()):
        return None, (
            f"the claim is as of '{as_of or 'no date'}', not a day the registry can count at "
            "(YYYY-MM-DD)"
        )
    return key, ""


def _range(low: int | None, high: int | None) -> str | None:
    if low is None and high is None:
        return None
    if low is not None and (high is None):
        return f"at least {low}"
    if low is None:
        return f"at most {high}"
    return str(low) if low == high else f"{low}-{high}"


def compare_claim(
    measure: str,
    low: int | None,
    high: int | None,
    counts: dict[str, int],
    *,
    target: tuple[str, str] | None = None,
) -> tuple[str | None, int | None, str]:
    """(registry count key, registry count, the difference in one sentence) for one claim."""
    target = target or CLAIM_TO_COUNT.get(measure.strip().lower())
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
        individuals = _individuals(session)
        claims = []
        for c in session.execute(
            select(PublishedClaim).order_by(PublishedClaim.claim_id)
        ).scalars():
            key, value, difference = _beside(session, c)
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
                    "comparable": key is not None,
                    "difference": difference,
                }
            )
        tables = {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in sorted(Base.metadata.tables.items())
        }
        log_event(session, actor, "account.view")
        return Account(counts, claims, tables, individuals)


def _beside(session: Any, c: PublishedClaim) -> tuple[str | None, int | None, str]:
    """(individuals figure, its value as of the claim's day, the difference or why not)."""
    key, why = comparable(c.measure, c.subject, c.as_of)
    if key is None:
        return None, None, f"not comparable: {why}"
    day = dt.date.fromisoformat((c.as_of or "").strip())
    figures = {f"individuals.{k}": v for k, v in _individuals(session, day).items()}
    k, value, diff = compare_claim(
        c.measure, c.low, c.high, figures, target=(f"individuals.{key}", f"bodies {key}")
    )
    return k, value, f"{diff} (as of {day.isoformat()})"


def bodies_expected_share(session: Any) -> dict[str, Any]:
    """The share of unidentified bodies the listed missing can account for: persons still
    unaccounted for (missing or presumed dead) over bodies recovered and not yet identified,
    capped at 1 (a body is at most one person). The figure the open-population prior's ``p``
    is taken from (``identify --match-prior accounting``).

    It is an upper end, and says so: it is the share if every unaccounted person's body were
    among those held; persons whose bodies were never recovered make the true share smaller.
    """
    unaccounted = _counts(session)["unaccounted"]
    ind = _individuals(session)
    open_bodies = ind["recovered"] - ind["identified"]
    share = min(1.0, unaccounted / open_bodies) if open_bodies > 0 else None
    return {
        "p": share,
        "unaccounted": unaccounted,
        "bodies_unidentified": open_bodies,
        "derivation": (
            "persons unaccounted for (missing or presumed dead) / bodies recovered and not "
            "identified, capped at 1: the share if every unaccounted person's body were among "
            "those held (an upper end)"
        ),
    }
