"""NUL characters refused in every request: query, path and form fields (JSON bodies: schemas).

PostgreSQL cannot store a NUL character, and no name, reference or note holds one; refusing it
here makes it a 422 naming the field on both databases, instead of a database error.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

__all__ = ["reject_nul"]

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def reject_nul(request: Request) -> None:
    """An app-wide dependency: a 422 naming each field that holds a NUL character."""
    bad: list[tuple[str, str]] = [
        ("query", k) for k, v in request.query_params.multi_items() if "\x00" in k + v
    ]
    bad += [
        ("path", k) for k, v in request.path_params.items() if isinstance(v, str) and "\x00" in v
    ]
    if request.headers.get("content-type", "").startswith(_FORMS):
        form = await request.form()  # cached: the route reads the same parsed form
        bad += [
            ("body", k) for k, v in form.multi_items() if isinstance(v, str) and "\x00" in k + v
        ]
    if bad:
        raise RequestValidationError(
            [
                {"loc": loc, "msg": "text may not contain NUL bytes", "type": "value_error"}
                for loc in bad
            ]
        )
