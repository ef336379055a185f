"""Users and roles: who may do what.

Identity on the command line is asserted with ``--as USER``, not authenticated: the role
check makes every action accountable to a named person and keeps each workflow step with
the role that owns it. (An authenticated identity is the API's job.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import PermissionDeniedError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import ROLES, User
from repatria.services.access.audit import log_event

__all__ = ["ROLES", "PERMISSIONS", "UserInfo", "add_user", "list_users", "require"]

_ALL = frozenset(ROLES)

# action -> the roles allowed to do it. Reviewers review, analysts propose, and so on; admin
# manages users but does not review, so the two-person rule cannot be bypassed by a superuser.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.add": frozenset({"admin"}),
    "import.persons": frozenset({"case_manager", "admin"}),
    "import.remains": frozenset({"case_manager", "admin"}),
    "import.claims": frozenset({"case_manager", "analyst", "admin"}),
    "import.case": frozenset({"analyst", "case_manager", "admin"}),
    "runs.record": frozenset({"analyst"}),
    "review.propose": frozenset({"analyst"}),
    "review.confirm": frozenset({"reviewer"}),
    "review.reject": frozenset({"reviewer"}),
    "review.revoke": frozenset({"reviewer", "case_manager"}),
    "person.presume_dead": frozenset({"case_manager"}),
    "custody.record": frozenset({"case_manager"}),
    "samples.record": frozenset({"case_manager", "analyst"}),
    "notify.record": frozenset({"liaison_officer"}),
    "notify.read_sensitive": frozenset({"liaison_officer", "case_manager"}),
    "repatriation.record": frozenset({"case_manager"}),
    "disposition.record": frozenset({"case_manager"}),
    "consent.withdraw": frozenset({"case_manager", "liaison_officer"}),
    "account.view": _ALL,
    "audit.verify": frozenset({"auditor", "admin"}),
    "audit.read": frozenset({"auditor", "admin"}),
}

_VERBS = {
    "users.add": "add users",
    "import.persons": "import persons",
    "import.remains": "import remains",
    "import.claims": "import claims",
    "import.case": "import DVI cases",
    "runs.record": "record identification runs",
    "review.propose": "propose a candidate",
    "review.confirm": "confirm a candidate",
    "review.reject": "reject a candidate",
    "review.revoke": "revoke an identification",
    "person.presume_dead": "declare a person presumed dead",
    "custody.record": "record custody events",
    "samples.record": "record samples",
    "notify.record": "record family notifications",
    "notify.read_sensitive": "read sensitive notes",
    "repatriation.record": "record repatriations",
    "disposition.record": "record dispositions",
    "consent.withdraw": "record a consent withdrawal",
    "account.view": "view the accounting",
    "audit.verify": "verify the audit chains",
    "audit.read": "read the audit log",
}


@dataclass(frozen=True)
class UserInfo:
    """A user as the surfaces see it."""

    id: int
    name: str
    role: str


def require(session: Session, actor: str | None, action: str) -> User:
    """The user named ``actor``, if their role allows ``action``; else a one-sentence ServiceError."""
    allowed = PERMISSIONS[action]
    needs = " or ".join(sorted(allowed))
    if not actor:
        first = sorted(allowed)[0]
        raise PermissionDeniedError(
            f"to {_VERBS[action]}, say who you are with --as USER ({_article(first)} {needs})"
        )
    user = session.execute(select(User).where(User.name == actor)).scalar_one_or_none()
    if user is None:
        raise PermissionDeniedError(
            f"there is no user named {actor!r}; add one with "
            f"`repatria users add {actor} --role ROLE`"
        )
    if user.role not in allowed:
        raise PermissionDeniedError(
            f"{user.name} is {_article(user.role)} {user.role} and may not "
            f"{_VERBS[action]}; that needs the {needs} role"
        )
    return user


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


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
    with session_scope(db) as session:
        return [
            UserInfo(u.id, u.name, u.role)
            for u in session.execute(select(User).order_by(User.id)).scalars()
        ]
