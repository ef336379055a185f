"""Every list the surfaces show: one page at a time, sorted by a named column, or all as CSV.

One rule for every list (persons, remains, the review queue, notifications, repatriations,
the audit log):

- A request names a sort (``ref``, or ``-ref`` for descending), a ``limit`` (1 to
  :data:`MAX_LIMIT`, :data:`DEFAULT_LIMIT` if not given) and an opaque ``cursor`` from the
  previous answer's ``next`` or ``previous``.
- Paging is by *keyset*: the cursor holds the sort value and the unique tie-breaker of the row
  it continues from, so a page is an index range, not an ``OFFSET`` that grows with the page
  number, and a row written meanwhile neither repeats nor hides a row.
- A :class:`Page` carries ``items``, ``total`` (the whole list's count), ``next`` and
  ``previous`` (``None`` at either end), and ``sort``.
- :func:`csv_text` writes rows as CSV with a header, every cell that a spreadsheet would run as
  a formula (``= + - @``, tab, CR) quoted with a leading apostrophe.

Lists read in SQL page in SQL (:func:`sql_page`); lists a view builds in memory (a handful of
rows per person) page with the same cursor rules (:func:`list_page`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from repatria.errors import FormatError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PageSpec",
    "Page",
    "page_spec",
    "sql_page",
    "keyset_start",
    "keyset_page",
    "list_page",
    "sql_all",
    "list_all",
    "csv_text",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")
#: A column or expression to sort by.
Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class PageSpec:
    """What a surface asks for: a sort name (``-`` for descending), a limit and a cursor."""

    sort: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def page_spec(
    sort: str | None = None, limit: int | None = None, cursor: str | None = None
) -> PageSpec:
    """A :class:`PageSpec` from a surface's raw values (``None``: the defaults)."""
    n = DEFAULT_LIMIT if limit is None else int(limit)
    if not 1 <= n <= MAX_LIMIT:
        raise FormatError(f"must be between 1 and {MAX_LIMIT}, not {n}", field="limit")
    return PageSpec(sort or None, n, cursor or None)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    next: str | None
    previous: str | None
    sort: str
    sorts: tuple[str, ...] = field(default=())


def _encode(sort: str, value: Any, tie: Any, back: bool) -> str:
    raw = json.dumps([sort, value, tie, 1 if back else 0], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, Any, bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got, value, tie, back = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise FormatError(
            "this page link is not valid (the cursor is damaged); start again from the first page",
            field="cursor",
        ) from None
    if got != sort:
        raise FormatError(
            f"this page link belongs to the list sorted by {got!r}, not {sort!r}; "
            "start again from the first page",
            field="cursor",
        )
    return value, tie, bool(back)


def _resolve(spec: PageSpec, names: Iterable[str], default: str) -> tuple[str, str, bool]:
    """(the sort as written, its column name, descending)."""
    sort = spec.sort or default
    name, desc = (sort[1:], True) if sort.startswith("-") else (sort, False)
    allowed = list(names)
    if name not in allowed:
        raise FormatError(
            f"cannot sort by {name!r}; choose one of {', '.join(allowed)}", field="sort"
        )
    return sort, name, desc


def _json_safe(v: Any) -> Any:
    # A cursor carries a float LR as text when it is infinite (JSON has no Infinity).
    if isinstance(v, float) and not math.isfinite(v):
        return {"f": repr(v)}
    return v


def _from_json(v: Any) -> Any:
    return float(v["f"]) if isinstance(v, dict) and "f" in v else v


def sql_page(
    session: Session,
    stmt: Select[Any],
    *,
    sorts: Mapping[str, Column],
    tie: Column,
    spec: PageSpec,
    default: str,
) -> Page[Any]:
    """One page of ``stmt``'s rows, each row followed by its sort value and tie-breaker.

    ``sorts``: name -> a column or expression that is never NULL (``coalesce`` it); ``tie``: a
    unique column (the id, or the ref). Items are ``stmt``'s rows: the entity when it selects
    one, else the row (columns by name).
    """
    sort, name, desc = _resolve(spec, sorts, default)
    expr = sorts[name]
    total = int(
        session.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
    )
    width = len(stmt.column_descriptions)
    back = False
    q = stmt.add_columns(expr.label("_sort"), tie.label("_tie"))
    if spec.cursor:
        value, tval, back = _decode(spec.cursor, sort)
        value, tval = _from_json(value), _from_json(tval)
    # Descending forward and ascending backward both walk towards smaller keys.
    going_down = desc != back
    if spec.cursor:
        if going_down:
            q = q.where(or_(expr < value, and_(expr == value, tie < tval)))
        else:
            q = q.where(or_(expr > value, and_(expr == value, tie > tval)))
    q = q.order_by(expr.desc() if going_down else expr.asc(), tie.desc() if going_down else tie)
    rows = list(session.execute(q.limit(spec.limit + 1)).all())
    more = len(rows) > spec.limit
    rows = rows[: spec.limit]
    if back:
        rows.reverse()
    return _page(
        [r[0] if width == 1 else r for r in rows],
        [(r[-2], r[-1]) for r in rows],
        total,
        sort,
        more,
        back,
        spec,
        tuple(sorts),
    )


def keyset_start(
    spec: PageSpec, names: Iterable[str], default: str
) -> tuple[str, str, bool, tuple[Any, Any] | None, bool]:
    """Where a page of :func:`sql_page`'s rules starts, for a list that runs its own SQL:
    (the sort as written, its name, whether to walk towards smaller keys, the (sort value,
    tie) to continue after or ``None``, whether the walk is backwards)."""
    sort, name, desc = _resolve(spec, names, default)
    if not spec.cursor:
        return sort, name, desc, None, False
    value, tval, back = _decode(spec.cursor, sort)
    return sort, name, desc != back, (_from_json(value), _from_json(tval)), back


def keyset_page(
    rows: list[Any],
    keys: list[tuple[Any, Any]],
    total: int,
    *,
    sort: str,
    back: bool,
    spec: PageSpec,
    names: tuple[str, ...],
) -> Page[Any]:
    """The page of up to ``spec.limit + 1`` rows fetched in walking order from
    :func:`keyset_start` (``keys``: each row's (sort value, tie)), as :func:`sql_page` gives it."""
    more = len(rows) > spec.limit
    rows, keys = rows[: spec.limit], keys[: spec.limit]
    if back:
        rows, keys = rows[::-1], keys[::-1]
    return _page(rows, keys, total, sort, more, back, spec, names)


def _page(
    items: list[Any],
    keys: list[tuple[Any, Any]],
    total: int,
    sort: str,
    more: bool,
    back: bool,
    spec: PageSpec,
    names: tuple[str, ...],
) -> Page[Any]:
    if not items:
        return Page([], total, None, None, sort, names)
    first, last = keys[0], keys[-1]
    has_next = more if not back else True
    has_prev = (spec.cursor is not None) if not back else more
    nxt = _encode(sort, _json_safe(last[0]), _json_safe(last[1]), False) if has_next else None
    prev = _encode(sort, _json_safe(first[0]), _json_safe(first[1]), True) if has_prev else None
    return Page(items, total, nxt, prev, sort, names)


def list_page(
    items: Sequence[T],
    *,
    sorts: Mapping[str, Callable[[T], Any]],
    tie: Callable[[T], Any],
    spec: PageSpec,
    default: str,
) -> Page[T]:
    """One page of a list already in memory, by the same rules and cursors as :func:`sql_page`.

    ``sorts``: name -> a key function (never ``None``); ``tie``: a unique key.
    """
    sort, name, desc = _resolve(spec, sorts, default)
    key = sorts[name]

    def k(x: T) -> tuple[Any, Any]:
        return key(x), tie(x)

    ordered = sorted(items, key=k, reverse=desc)
    back = False
    if spec.cursor:
        value, tval, back = _decode(spec.cursor, sort)
        at = (_from_json(value), _from_json(tval))

        def after(x: T) -> bool:
            return k(x) < at if desc else k(x) > at

        if back:
            chosen = [x for x in ordered if not after(x) and k(x) != at]
            more = len(chosen) > spec.limit
            chosen = chosen[-spec.limit :]
        else:
            chosen = [x for x in ordered if after(x)]
            more = len(chosen) > spec.limit
            chosen = chosen[: spec.limit]
    else:
        more = len(ordered) > spec.limit
        chosen = ordered[: spec.limit]
    return _page(chosen, [k(x) for x in chosen], len(items), sort, more, back, spec, tuple(sorts))


def sql_all(
    session: Session,
    stmt: Select[Any],
    *,
    sorts: Mapping[str, Column],
    tie: Column,
    sort: str | None,
    default: str,
) -> list[Any]:
    """Every row of ``stmt`` in the order a page of :func:`sql_page` would show (for CSV)."""
    _, name, desc = _resolve(PageSpec(sort), sorts, default)
    expr = sorts[name]
    order = (expr.desc(), tie.desc()) if desc else (expr.asc(), tie.asc())
    width = len(stmt.column_descriptions)
    return [r[0] if width == 1 else r for r in session.execute(stmt.order_by(*order))]


def list_all(
    items: Sequence[T],
    *,
    sorts: Mapping[str, Callable[[T], Any]],
    tie: Callable[[T], Any],
    sort: str | None,
    default: str,
) -> list[T]:
    """Every item in the order a page of :func:`list_page` would show (for CSV)."""
    _, name, desc = _resolve(PageSpec(sort), sorts, default)
    key = sorts[name]
    return sorted(items, key=lambda x: (key(x), tie(x)), reverse=desc)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        v = "; ".join(_cell(x) for x in v)
    s = str(v)
    # A cell a spreadsheet would evaluate (=HYPERLINK(...)) is written as text.
    return "'" + s if s.startswith(_FORMULA) and not _is_number(s) else s


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The rows as CSV (RFC 4180, CRLF), with a header line."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(v) for v in r])
    return out.getvalue()
