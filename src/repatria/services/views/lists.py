"""Every list of the registry as pages, sortable by its columns, and as CSV (issue 15).

One table per list: its columns (what a row shows and the CSV writes), the columns it sorts by
and its default sort. Paging, sorting, cursors and CSV cells follow the one rule of
:mod:`repatria.services.paging`. The remains and the audit log are paged in SQL (they grow with
the registry); the review queue, families to tell or told, and repatriations are built by their
views (:mod:`~repatria.services.views.queue`, ``families``, ``handovers``) and paged as built.

Persons have their own search (:func:`repatria.services.views.persons.search_persons`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from sqlalchemy import func, select

from repatria.errors import NotFoundError
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent, Remains, Sample
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.paging import (
    Page,
    PageSpec,
    csv_text,
    list_all,
    list_page,
    sql_all,
    sql_page,
)
from repatria.services.views._read import reader
from repatria.services.views.families import notifications_view
from repatria.services.views.handovers import repatriations_view
from repatria.services.views.queue import review_queue

__all__ = ["LISTS", "ListPage", "list_rows", "list_csv", "remains_page"]

Row = dict[str, Any]


@dataclass(frozen=True)
class _List:
    title: str
    action: str  # the read permission
    columns: tuple[str, ...]
    sorts: tuple[str, ...]
    default: str
    tie: str


LISTS: dict[str, _List] = {
    "remains": _List(
        "Remains",
        "remains.read",
        ("ref", "site", "recovered_on", "condition", "status", "samples"),
        ("ref", "site", "recovered_on", "condition", "status"),
        "ref",
        "ref",
    ),
    "audit": _List(
        "Audit log",
        "audit.read",
        ("id", "at", "user", "action", "entity", "entity_id"),
        ("id", "at", "user", "action"),
        "-id",
        "id",
    ),
    "to-propose": _List(
        "Candidates to propose",
        "review.queue",
        ("candidate_id", "person_ref", "person_name", "remains_ref", "log10_lr", "posterior"),
        ("log10_lr", "posterior", "person_ref", "remains_ref", "candidate_id"),
        "-log10_lr",
        "candidate_id",
    ),
    "to-review": _List(
        "Proposals to review",
        "review.queue",
        (
            "candidate_id",
            "person_ref",
            "person_name",
            "remains_ref",
            "log10_lr",
            "posterior",
            "proposed_by",
        ),  # fmt: skip
        ("log10_lr", "posterior", "person_ref", "remains_ref", "proposed_by", "candidate_id"),
        "-log10_lr",
        "candidate_id",
    ),
    "families-to-tell": _List(
        "Families to tell",
        "notifications.view",
        ("person_ref", "person_name", "identified_on"),
        ("person_ref", "person_name", "identified_on"),
        "person_ref",
        "person_ref",
    ),
    "families-told": _List(
        "Families told",
        "notifications.view",
        ("id", "person_ref", "recipient", "relationship", "method", "notified_on", "by"),
        ("id", "person_ref", "notified_on", "recipient", "method"),
        "-notified_on",
        "id",
    ),
    "repatriations": _List(
        "Repatriations",
        "repatriations.view",
        ("id", "kind", "counterpart", "occurred_on", "place", "ceremony", "remains"),
        ("id", "occurred_on", "kind", "counterpart"),
        "-occurred_on",
        "id",
    ),
    "awaiting-handover": _List(
        "Identified remains awaiting a handover",
        "repatriations.view",
        ("remains_ref", "person_ref", "person_name", "site"),
        ("remains_ref", "person_ref", "site"),
        "remains_ref",
        "remains_ref",
    ),
}


@dataclass(frozen=True)
class ListPage:
    """One page of a list: its title and columns, the rows (``{column: value}``), the page."""

    name: str
    title: str
    columns: tuple[str, ...]
    page: Page[Row]


def _spec(name: str) -> _List:
    if name not in LISTS:
        raise NotFoundError(f"there is no list {name!r}; the lists are {', '.join(LISTS)}")
    return LISTS[name]


def _sortable(v: Any) -> Any:
    # Sort keys are never None (keyset paging compares them): a missing value sorts first.
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return -math.inf
    return v


def _built_rows(db: str | None, name: str, actor: str) -> list[Row]:
    """The rows of a list that its view builds."""
    if name in ("to-propose", "to-review"):
        q = review_queue(db, actor=actor, verdicts=False)  # the lists show no verdict
        items = q.to_propose if name == "to-propose" else q.to_review
        return [
            {**asdict(i), "log10_lr": i.log10_lr if i.log10_lr is not None else -math.inf}
            for i in items
        ]
    if name in ("families-to-tell", "families-told"):
        v = notifications_view(db, actor=actor)
        if name == "families-to-tell":
            return [
                {"person_ref": t.person_ref, "person_name": t.person_name,
                 "identified_on": t.identified_on}
                for t in v.tasks
            ]  # fmt: skip
        return [{k: _plain(x) for k, x in d.items()} for d in v.done]
    v2 = repatriations_view(db, actor=actor)
    if name == "repatriations":
        return [
            {**{k: getattr(r, k) for k in ("id", "kind", "counterpart", "occurred_on", "place",
                                            "ceremony")},
             "remains": [i.get("remains_ref") for i in r.items]}
            for r in v2.done
        ]  # fmt: skip
    return [dict(e) for e in v2.eligible]


def _plain(x: Any) -> Any:
    return asdict(x) if is_dataclass(x) and not isinstance(x, type) else x


_REMAINS_SORTS = {
    "ref": Remains.ref,
    "site": func.coalesce(Remains.site, ""),
    "recovered_on": func.coalesce(Remains.recovered_on, ""),
    "condition": Remains.condition,
    "status": Remains.status,
}
_AUDIT_SORTS = {
    "id": AuditEvent.id,
    "at": AuditEvent.at,
    "user": func.coalesce(AuditEvent.user_name, ""),
    "action": AuditEvent.action,
}


def _sql_rows(
    db: str | None,
    name: str,
    actor: str,
    filters: dict[str, str | None],
    fetch: Callable[..., Any],
) -> Any:
    """Run ``fetch(session, stmt, sorts, tie)`` for a list read in SQL; rows as dicts."""
    with session_scope(db, read=True) as session:
        if name == "remains":
            reader(session, actor, "remains.read")
            stmt = select(Remains)
            for col in ("site", "condition", "status"):
                if filters.get(col):
                    stmt = stmt.where(getattr(Remains, col) == filters[col])
            got = fetch(session, stmt, _REMAINS_SORTS, Remains.id)
            items = got.items if isinstance(got, Page) else got
            ids = [r.id for r in items]
            counts = dict(
                session.execute(
                    select(Sample.remains_id, func.count())
                    .where(Sample.kind == "pm", Sample.remains_id.in_(ids))
                    .group_by(Sample.remains_id)
                ).all()
            )
            rows = [
                {"ref": r.ref, "site": r.site, "recovered_on": r.recovered_on,
                 "condition": r.condition, "status": r.status,
                 "samples": int(counts.get(r.id, 0))}
                for r in items
            ]  # fmt: skip
        else:
            require(session, actor, "audit.read")
            got = fetch(session, select(AuditEvent), _AUDIT_SORTS, AuditEvent.id)
            items = got.items if isinstance(got, Page) else got
            rows = [
                {"id": e.id, "at": e.at.isoformat(), "user": e.user_name, "action": e.action,
                 "entity": e.entity, "entity_id": e.entity_id}
                for e in items
            ]  # fmt: skip
            log_event(session, actor, "audit.read", rows=len(rows))
        if isinstance(got, Page):
            return Page(rows, got.total, got.next, got.previous, got.sort, got.sorts)
        return rows


def _key_functions(columns: tuple[str, ...]) -> dict[str, Callable[[Row], Any]]:
    def by(c: str) -> Callable[[Row], Any]:
        return lambda r: _sortable(r.get(c))

    return {c: by(c) for c in columns}


def list_rows(
    db: str | None,
    name: str,
    *,
    actor: str,
    page: PageSpec | None = None,
    filters: dict[str, str | None] | None = None,
) -> ListPage:
    """One page of the list ``name`` (one of :data:`LISTS`), for ``actor``."""
    spec, page = _spec(name), page or PageSpec()
    if name in ("remains", "audit"):
        got = _sql_rows(
            db,
            name,
            actor,
            filters or {},
            lambda s, stmt, sorts, tie: sql_page(
                s, stmt, sorts=sorts, tie=tie, spec=page, default=spec.default
            ),
        )
    else:
        rows = _built_rows(db, name, actor)
        got = list_page(
            rows,
            sorts=_key_functions(spec.sorts),
            tie=lambda r: _sortable(r.get(spec.tie)),
            spec=page,
            default=spec.default,
        )
    return ListPage(name, spec.title, spec.columns, got)


def list_csv(
    db: str | None,
    name: str,
    *,
    actor: str,
    sort: str | None = None,
    filters: dict[str, str | None] | None = None,
) -> str:
    """Every row of the list ``name``, in the order of its pages, as CSV."""
    spec = _spec(name)
    if name in ("remains", "audit"):
        rows = _sql_rows(
            db,
            name,
            actor,
            filters or {},
            lambda s, stmt, sorts, tie: sql_all(
                s, stmt, sorts=sorts, tie=tie, sort=sort, default=spec.default
            ),
        )
    else:
        rows = list_all(
            _built_rows(db, name, actor),
            sorts=_key_functions(spec.sorts),
            tie=lambda r: _sortable(r.get(spec.tie)),
            sort=sort,
            default=spec.default,
        )
    return csv_text(spec.columns, ([r.get(c) for c in spec.columns] for r in rows))


def remains_page(
    db: str | None,
    *,
    actor: str,
    filters: dict[str, str | None],
    page: PageSpec | None = None,
) -> tuple[ListPage, list[str]]:
    """One page of the remains list with its filters (site, condition, state), and every
    recovery site for the filter's choices: the ``/remains`` page, paged in SQL."""
    got = list_rows(db, "remains", actor=actor, page=page, filters=filters)
    with session_scope(db, read=True) as session:
        sites = [
            s
            for s in session.execute(
                select(Remains.site).distinct().order_by(Remains.site)
            ).scalars()
            if s
        ]
    return got, sites
