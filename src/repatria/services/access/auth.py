"""Authentication: passwords (argon2id) and tokens for browser sessions and API callers.

The CLI asserts identity with ``--as USER``; the API and the pages must prove it. A user
logs in with a name and password and gets a random token: as a cookie for the pages
(``kind="session"``, 12 hours), or as a bearer token for another system (``kind="api"``,
30 days). Only the token's SHA-256 is stored, so a copy of the database cannot log in.
Failed logins say the same thing whether the name or the password was wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.auth import AuthToken, UserCredential
from repatria.registry.db import session_scope
from repatria.registry.models import User, utcnow
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.access.users import UserInfo
from repatria.vocabulary import TOKEN_KINDS

__all__ = [
    "AuthError",
    "MIN_PASSWORD",
    "TOKEN_LIFETIME",
    "set_password",
    "login",
    "user_for_token",
    "logout",
    "set_demo_passwords",
]

MIN_PASSWORD = 8
TOKEN_LIFETIME = {"session": dt.timedelta(hours=12), "api": dt.timedelta(days=30)}

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps a wrong name as slow as a wrong
# password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AuthError(ServiceError):
    """A login or token that does not prove who the caller is."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(db: str | None, name: str, password: str, *, actor: str | None = None) -> None:
    """Set ``name``'s password. ``actor`` (an admin) is checked when given; else the operator acts.

    The change is audited; the password and its hash are not.
    """
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"a password needs at least {MIN_PASSWORD} characters")
    with session_scope(db) as session:
        if actor is not None and actor != name:
            require(session, actor, "users.add")
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if user is None:
            raise NotFoundError(f"there is no user named {name!r}")
        cred = session.get(UserCredential, user.id)
        hashed = _hasher.hash(password)
        if cred is None:
            session.add(UserCredential(user_id=user.id, password_hash=hashed))
        else:
            cred.password_hash, cred.set_at = hashed, utcnow()
        log_event(session, actor, "users.set_password", "user", user.id, name=name)


def login(
    db: str | None, name: str, password: str, *, kind: str = "session", label: str | None = None
) -> tuple[str, UserInfo]:
    """Check a name and password; return a new token and the user. Raises :class:`AuthError`."""
    if kind not in TOKEN_KINDS:
        raise ServiceError(f"unknown token kind {kind!r}")
    with session_scope(db) as session:
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        cred = session.get(UserCredential, user.id) if user is not None else None
        try:
            _hasher.verify(cred.password_hash if cred else _DUMMY_HASH, password)
            ok = cred is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            log_event(session, name[:120] or None, "auth.login_failed")
            raise AuthError("wrong name or password")
        token = secrets.token_urlsafe(32)
        session.add(
            AuthToken(
                user_id=user.id,
                token_sha256=_digest(token),
                kind=kind,
                label=label,
                expires_at=utcnow() + TOKEN_LIFETIME[kind],
            )
        )
        log_event(session, user.name, "auth.login", "user", user.id, kind=kind)
        return token, UserInfo(user.id, user.name, user.role)


def user_for_token(db: str | None, token: str | None, *, kind: str) -> UserInfo | None:
    """The user a live token of ``kind`` belongs to, or ``None`` (unknown, expired or revoked)."""
    if not token:
        return None
    with session_scope(db) as session:
        row = session.execute(
            select(AuthToken, User)
            .join(User, User.id == AuthToken.user_id)
            .where(AuthToken.token_sha256 == _digest(token), AuthToken.kind == kind)
        ).first()
        if row is None:
            return None
        tok, user = row
        if tok.revoked_at is not None or tok.expires_at <= utcnow():
            return None
        return UserInfo(user.id, user.name, user.role)


def logout(db: str | None, token: str | None) -> None:
    """Revoke a token (a no-op for an unknown one)."""
    if not token:
        return
    with session_scope(db) as session:
        tok = session.execute(
            select(AuthToken).where(AuthToken.token_sha256 == _digest(token))
        ).scalar_one_or_none()
        if tok is not None and tok.revoked_at is None:
            tok.revoked_at = utcnow()
            log_event(session, None, "auth.logout", "user", tok.user_id)


def set_demo_passwords(db: str | None, names: list[str]) -> dict[str, str]:
    """Give each demo user the password ``demo-NAME`` (printed by ``repatria demo``).

    Only for the demo database, served on localhost: these passwords are public by design.
    """
    out = {}
    for name in names:
        out[name] = f"demo-{name}"
        set_password(db, name, out[name])
    return out
