"""Accounts and the audit chains over the API: what the users and audit pages do."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from repatria import field_limits as L
from repatria.api.schemas import SafeJSONResponse, _Body
from repatria.api.security import Caller, allow, db_of
from repatria.services.access import audit, auth, users
from repatria.vocabulary import Role

__all__ = ["router"]

router = APIRouter(default_response_class=SafeJSONResponse)

UserName = Annotated[str, Path(min_length=1, max_length=L.USER_NAME)]


class Account(BaseModel):
    name: str
    role: str
    created_at: dt.datetime
    created_by: str | None
    disabled_at: dt.datetime | None
    has_password: bool


class NewUser(_Body):
    name: str = Field(min_length=1, max_length=L.USER_NAME)
    role: Role
    password: str = Field(min_length=1, max_length=L.PASSWORD, description="the first password")


class ChainCheck(BaseModel):
    chain: str
    table: str
    rows: int
    first_break: str | None


class VerifyReport(BaseModel):
    ok: bool
    chains: list[ChainCheck]
    breaks: list[str]
    anchored_at: str | None


@router.get("/users", response_model=list[Account], tags=["users"], summary="Every account")
def list_accounts(
    request: Request, caller: Annotated[Caller, Depends(allow("users.add"))]
) -> list[Account]:
    return [Account(**vars(a)) for a in users.accounts(db_of(request), actor=caller.name)]


@router.post(
    "/users", status_code=201, response_model=Account, tags=["users"], summary="Add a user"
)
def add_account(
    body: NewUser, request: Request, caller: Annotated[Caller, Depends(allow("users.add"))]
) -> Account:
    db = db_of(request)
    user = auth.create_account(db, body.name, body.role, body.password, actor=caller.name)
    return _account(db, caller, user.name)


@router.post(
    "/users/{name}/disable",
    response_model=Account,
    tags=["users"],
    summary="Disable an account: no login, every token revoked; past decisions stand",
)
def disable_account(
    name: UserName, request: Request, caller: Annotated[Caller, Depends(allow("users.add"))]
) -> Account:
    db = db_of(request)
    auth.disable_user(db, name, actor=caller.name)
    return _account(db, caller, name)


def _account(db: str | None, caller: Caller, name: str) -> Account:
    return next(Account(**vars(a)) for a in users.accounts(db, actor=caller.name) if a.name == name)


@router.post(
    "/audit/verify",
    response_model=VerifyReport,
    tags=["audit"],
    summary="Verify every hash chain against the chain key and the last anchor",
)
async def verify(
    request: Request, caller: Annotated[Caller, Depends(allow("audit.verify"))]
) -> Any:
    r = await run_in_threadpool(audit.verify_chains, db_of(request), actor=caller.name)
    return VerifyReport(
        ok=r.ok,
        chains=[
            ChainCheck(chain=c.chain, table=c.table, rows=c.rows, first_break=c.first_break)
            for c in r.chains
        ],
        breaks=r.breaks,
        anchored_at=r.anchored_at,
    )
