"""Database errors for the surfaces: whether an error is one, and its one safe line.

The text itself is made in one place, :func:`repatria.registry.db_errors.db_error_line` (no
SQL, no parameters, no values); the CLI and the API come here for it, since a surface does not
reach into the registry.
"""

from __future__ import annotations

from repatria.registry.db_errors import DATABASE_ERRORS, db_error_line, is_database_error

__all__ = ["DATABASE_ERRORS", "error_line"]


def error_line(e: BaseException) -> str | None:
    """The one line to show or log for a database error; ``None`` if ``e`` is not one."""
    return db_error_line(e) if is_database_error(e) else None
