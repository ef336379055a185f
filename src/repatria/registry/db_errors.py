"""The one place where a database error becomes text, for a user's message or a log line.

A database error's own text is dangerous: SQLAlchemy's ``str()`` of it carries the statement
(``[SQL: ...]``) and the row being written (``[parameters: ...]``: a whole profile's genotypes),
and PostgreSQL adds ``DETAIL`` lines that repeat the offending values (``Key (ref)=(P-1)``).
:func:`db_error_line` keeps the kind of error and the driver's first line only, with a value
quoted at its end (``invalid input syntax for type integer: "9.3"``) left out. Every surface
that shows or logs a database error goes through it (the CLI's ``cli_errors``, the API's error
handlers, the background audit writer), and every engine is created with
``hide_parameters=True``, so that a traceback that does escape (a server's log) holds no values
either.
"""

from __future__ import annotations

import re
import sqlite3

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError

__all__ = ["DATABASE_ERRORS", "db_error_line", "is_database_error"]

#: What a database can raise: SQLAlchemy's errors and the DB-API's own (a raw connection).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, sqlite3.Error)
try:  # psycopg is optional at import time (SQLite-only installs)
    import psycopg

    DATABASE_ERRORS = (*DATABASE_ERRORS, psycopg.Error)
except ImportError:  # pragma: no cover - psycopg is a dependency
    pass

# A value the server quotes at the end of its first line; identifiers ("relation "persons"
# does not exist") stand before the end and are kept.
_TRAILING_VALUE = re.compile(r':\s*(".*"|\'.*\')\s*$')


def is_database_error(e: BaseException) -> bool:
    """Whether ``e`` is an error of the database or its driver (see :data:`DATABASE_ERRORS`)."""
    return isinstance(e, DATABASE_ERRORS)


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    first = text.splitlines()[0].strip() if text else ""
    return _TRAILING_VALUE.sub(": (value not shown)", first) or type(e).__name__


def db_error_line(e: BaseException, url: str | None = None) -> str:
    """One line for a database error: its kind and the driver's first line, no SQL, no values.

    ``url`` (shown without its password) names the database when given.
    """
    where = f" {_safe(url)}" if url else ""
    if isinstance(e, DBAPIError):
        first = _first_line(e.orig) if e.orig is not None else type(e).__name__
    elif isinstance(e, StatementError):
        # A value the driver could not take (a wrong type, an encoding): its message may
        # repeat the value, so only the kind is named.
        kind = type(e.orig).__name__ if e.orig is not None else type(e).__name__
        return f"the database{where} could not take a value ({kind}); nothing was written"
    elif isinstance(e, SQLAlchemyError):
        first = _first_line(e).split("[SQL:")[0].strip() or type(e).__name__
    else:
        first = _first_line(e)
    if "file is not a database" in first or "malformed" in first:
        return f"database{where} is corrupt ({first}); restore it with `repatria db restore FILE`"
    return f"the database{where} refused the operation: {first[:300]}"
