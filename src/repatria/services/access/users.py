"""Users: adding and listing them (each with one role; who may do what is in ``permissions``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from repatria.errors import ServiceError
from repatria.registry.auth import UserCredential
from repatria.registry.db import session_scope
from repatria.registry.models import User
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.vocabulary import ROLES

__all__ = ["AccountInfo", "UserInfo", "accounts", "add_user", "list_users"]


@dataclass(frozen=True)
class UserInfo:
    """A user as the surfaces see it."""

    id: int
    name: str
    role: str


def add_user(db: str | None, name: str, role: str, *, actor: str | None = None) -> UserInfo:
    """Add a user with one role.

    ``actor`` (an admin) is checked when given. Without it the action is the database
    operator's, who can already write to the database directly; it is audited as such.
    """
    name = name.strip()
    if role not in ROLES:
        raise ServiceError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name:
        raise ServiceError("a user needs a name")
    with session_scope(db) as session:
        creator = require(session, actor, "users.add") if actor else None
        if session.execute(select(func.count()).where(User.name == name)).scalar_one():
            raise ServiceError(f"a user named {name!r} already exists")
        user = User(name=name, role=role, created_by_id=creator.id if creator else None)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:
            raise ServiceError(f"a user named {name!r} already exists") from None
        log_event(session, actor, "users.add", "user", user.id, role=role, name=name)
        return UserInfo(user.id, user.name, user.role)


def list_users(db: str | None) -> list[UserInfo]:
    """Every user, oldest first."""
    with session_scope(db, read=True) as session:
        return [
            UserInfo(u.id, u.name, u.role)
            for u in session.execute(select(User).order_by(User.id)).scalars()
        ]


@dataclass(frozen=True)
class AccountInfo:
    """A user as an admin manages them: role, state, who added them and when."""

    name: str
    role: str
    created_at: dt.datetime
    created_by: str | None
    disabled_at: dt.datetime | None
    has_password: bool


def accounts(db: str | None, *, actor: str) -> list[AccountInfo]:
    """Every account, oldest first, for an admin (the only role that manages users)."""
    with session_scope(db, read=True) as session:
        require(session, actor, "users.add")
        names = dict(session.execute(select(User.id, User.name)).all())
        with_password = set(session.execute(select(UserCredential.user_id)).scalars())
        out = [
            AccountInfo(
                u.name,
                u.role,
                u.created_at,
                names.get(u.created_by_id) if u.created_by_id else None,
                u.disabled_at,
                u.id in with_password,
            )
            for u in session.execute(select(User).order_by(User.id)).scalars()
        ]
        log_event(session, actor, "users.read", rows=len(out))
        return out
