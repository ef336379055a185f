"""The admin's users page and the auditor's audit page (log, and verification of the chains)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from repatria import field_limits as L
from repatria.api.security import Caller, allow, db_of
from repatria.errors import ServiceError
from repatria.services.access import audit, auth, users
from repatria.vocabulary import ROLES
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)


def _users_page(request: Request, caller: Caller, error: str | None = None) -> Response:
    return render(
        request,
        "users.html",
        status_code=409 if error else 200,
        title="Users",
        accounts=users.accounts(db_of(request), actor=caller.name),
        roles=ROLES,
        error=error,
        flash=request.query_params.get("flash"),
    )


@router.get("/users")
def users_page(
    request: Request, caller: Annotated[Caller, Depends(allow("users.add"))]
) -> Response:
    return _users_page(request, caller)


@router.post("/users")
def add_user(
    request: Request,
    caller: Annotated[Caller, Depends(allow("users.add"))],
    name: Annotated[str, Form(min_length=1, max_length=L.USER_NAME)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(min_length=1, max_length=L.PASSWORD)],
) -> Response:
    try:
        auth.create_account(db_of(request), name.strip(), role, password, actor=caller.name)
    except ServiceError as e:
        return _users_page(request, caller, error=f"The user was not added: {e}.")
    return RedirectResponse(f"/users?flash=added {name.strip()[:120]} as {role}", status_code=303)


@router.post("/users/{name}/disable")
def disable_user(
    request: Request,
    caller: Annotated[Caller, Depends(allow("users.add"))],
    name: Annotated[str, Path(min_length=1, max_length=L.USER_NAME)],
) -> Response:
    auth.disable_user(db_of(request), name, actor=caller.name)
    return RedirectResponse(
        f"/users?flash=disabled {name}: no login, every token revoked", status_code=303
    )


@router.get("/audit")
def audit_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("audit.read"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    entries = audit.read_audit_log(db_of(request), actor=caller.name, limit=limit)
    return render(request, "audit.html", title="Audit", entries=entries, report=None, limit=limit)


@router.post("/audit/verify")
async def verify(
    request: Request, caller: Annotated[Caller, Depends(allow("audit.verify"))]
) -> Response:
    db = db_of(request)
    report = await run_in_threadpool(audit.verify_chains, db, actor=caller.name)
    entries = await run_in_threadpool(audit.read_audit_log, db, actor=caller.name, limit=100)
    return render(request, "audit.html", title="Audit", entries=entries, report=report, limit=100)
