"""Users: adding and listing them (each with one role; who may do what is in ``permissions``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import User
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.vocabulary import ROLES

__all__ = ["UserInfo", "add_user", "list_users"]


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
