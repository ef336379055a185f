"""Authentication: passwords (argon2id) and tokens for browser sessions and API callers.

A user logs in with a name and password and gets a random token: as a cookie for the pages
(``kind="session"``, 12 hours), or as a bearer token for another system or the command line
(``kind="api"``, 1 hour, renewed with :func:`renew`). Only the token's SHA-256 is stored, so
a copy of the database cannot log in. Failed logins say the same thing whether the name or the
password was wrong; each is recorded (``login_attempts`` and the audit log) in a transaction of
its own, and after :data:`MAX_FAILURES_PER_ACCOUNT` failures for one name, or
:data:`MAX_FAILURES_PER_ADDRESS` from one address, within :data:`THROTTLE_WINDOW`, logins are
refused without checking the password. Changing a password or disabling a user revokes every
token they hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.auth import AuthToken, LoginAttempt, UserCredential
from repatria.registry.db import session_scope
from repatria.registry.models import User, utcnow
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.access.users import UserInfo, add_user
from repatria.vocabulary import TOKEN_KINDS

__all__ = [
    "AuthError",
    "MIN_PASSWORD",
    "TOKEN_LIFETIME",
    "create_account",
    "set_password",
    "login",
    "user_for_token",
    "logout",
    "set_demo_passwords",
    "renew",
    "prove_identity",
    "revoke_all",
    "disable_user",
    "MAX_FAILURES_PER_ACCOUNT",
    "MAX_FAILURES_PER_ADDRESS",
    "THROTTLE_WINDOW",
]

MIN_PASSWORD = 8
TOKEN_LIFETIME = {"session": dt.timedelta(hours=12), "api": dt.timedelta(hours=1)}
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

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
        revoked = _revoke_tokens(session, user.id)
        log_event(session, actor, "users.set_password", "user", user.id, name=name, revoked=revoked)


def create_account(db: str | None, name: str, role: str, password: str, *, actor: str) -> UserInfo:
    """Add a user with a first password (an admin's act); the password is checked first, so a
    refused password leaves no account behind."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"a password needs at least {MIN_PASSWORD} characters")
    user = add_user(db, name, role, actor=actor)
    set_password(db, user.name, password, actor=actor)
    return user


def _revoke_tokens(session: Session, user_id: int) -> int:
    now, n = utcnow(), 0
    for tok in session.execute(
        select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    ).scalars():
        tok.revoked_at, n = now, n + 1
    return n


def login(
    db: str | None,
    name: str,
    password: str,
    *,
    kind: str = "session",
    label: str | None = None,
    address: str | None = None,
) -> tuple[str, UserInfo]:
    """Check a name and password; return a new token and the user. Raises :class:`AuthError`.

    ``address`` (the caller's IP address, when there is one) is throttled like the name.
    """
    if kind not in TOKEN_KINDS:
        raise ServiceError(f"unknown token kind {kind!r}")
    name = name[:120]
    address = address[:64] if address else None
    _throttle(db, name, address)
    with session_scope(db) as session:
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        cred = session.get(UserCredential, user.id) if user is not None else None
        try:
            _hasher.verify(cred.password_hash if cred else _DUMMY_HASH, password)
            ok = cred is not None and user is not None and user.disabled_at is None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and user is not None:
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
            session.add(LoginAttempt(user_name=name, address=address, ok=True))
            log_event(session, user.name, "auth.login", "user", user.id, kind=kind)
            return token, UserInfo(user.id, user.name, user.role)
        disabled = user is not None and user.disabled_at is not None
    # The failure is recorded in a transaction of its own: the login itself is refused.
    _failed(db, name, address, "disabled" if disabled else "wrong name or password")
    raise AuthError("wrong name or password")


def _failed(db: str | None, name: str, address: str | None, why: str) -> None:
    with session_scope(db) as session:
        session.add(LoginAttempt(user_name=name, address=address, ok=False))
        log_event(session, name or None, "auth.login_failed", address=address, why=why)


def _throttle(db: str | None, name: str, address: str | None) -> None:
    since = utcnow() - THROTTLE_WINDOW
    with session_scope(db, read=True) as session:

        def failures(*where: Any) -> int:
            n: int = session.execute(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.at >= since, LoginAttempt.ok.is_(False), *where)
            ).scalar_one()
            return n

        by_name = failures(LoginAttempt.user_name == name)
        by_address = failures(LoginAttempt.address == address) if address else 0
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    if by_name >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS:
        _failed(db, name, address, "throttled")
        raise AuthError(
            f"too many failed logins; wait {minutes} minutes and try again, or ask an admin"
        )


def user_for_token(db: str | None, token: str | None, *, kind: str) -> UserInfo | None:
    """The user a live token of ``kind`` belongs to, or ``None`` (unknown, expired, revoked, or
    its user disabled)."""
    if not token:
        return None
    with session_scope(db, read=True) as session:
        row = session.execute(
            select(AuthToken, User)
            .join(User, User.id == AuthToken.user_id)
            .where(AuthToken.token_sha256 == _digest(token), AuthToken.kind == kind)
        ).first()
        if row is None:
            return None
        tok, user = row
        if tok.revoked_at is not None or tok.expires_at <= utcnow() or user.disabled_at:
            return None
        return UserInfo(user.id, user.name, user.role)


def prove_identity(
    db: str | None, name: str, *, token: str | None = None, password: str | None = None
) -> UserInfo:
    """That the person at the command line is ``name``: by a live API token of ``name`` (from
    ``repatria login``), or by ``name``'s password (typed at a terminal; throttled and audited
    like any login). Raises :class:`AuthError` in one sentence saying how to prove it."""
    if token:
        user = user_for_token(db, token, kind="api")
        if user is not None and user.name == name:
            return user
        raise AuthError(
            f"REPATRIA_TOKEN is not a live token of {name}; run `repatria login {name}` and "
            "export the token it prints"
        )
    if password is not None:
        tok, user = login(db, name, password, kind="api", label="cli --as")
        logout(db, tok)
        return user
    raise AuthError(
        f"to decide as {name}, prove it: export REPATRIA_TOKEN=$(repatria login {name}), or run "
        f"the command at a terminal and type {name}'s password"
    )


def renew(db: str | None, token: str | None, *, kind: str = "api") -> tuple[str, UserInfo]:
    """Exchange a live token for a new one with a fresh lifetime; the old one is revoked."""
    user = user_for_token(db, token, kind=kind)
    if user is None or token is None:
        raise AuthError("this token is unknown, expired or revoked; log in again")
    with session_scope(db) as session:
        old = session.execute(
            select(AuthToken).where(AuthToken.token_sha256 == _digest(token))
        ).scalar_one()
        if old.revoked_at is not None:
            raise AuthError("this token is unknown, expired or revoked; log in again")
        old.revoked_at = utcnow()
        new = secrets.token_urlsafe(32)
        session.add(
            AuthToken(
                user_id=user.id,
                token_sha256=_digest(new),
                kind=kind,
                label=old.label,
                expires_at=utcnow() + TOKEN_LIFETIME[kind],
            )
        )
        log_event(session, user.name, "auth.renew", "user", user.id, kind=kind)
        return new, user


def revoke_all(db: str | None, name: str, *, actor: str) -> int:
    """Revoke every token of ``name`` (its owner, or an admin); returns how many were live."""
    with session_scope(db) as session:
        if actor != name:
            require(session, actor, "users.add")
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if user is None:
            raise NotFoundError(f"there is no user named {name!r}")
        n = _revoke_tokens(session, user.id)
        log_event(session, actor, "auth.revoke_all", "user", user.id, revoked=n)
        return n


def disable_user(db: str | None, name: str, *, actor: str | None = None) -> UserInfo:
    """Disable an account (an admin, or the operator): no login, every token revoked.

    The user's past decisions stand; the row stays, so the chains still name them.
    """
    with session_scope(db) as session:
        if actor is not None:
            require(session, actor, "users.add")
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if user is None:
            raise NotFoundError(f"there is no user named {name!r}")
        if user.disabled_at is None:
            user.disabled_at = utcnow()
        n = _revoke_tokens(session, user.id)
        log_event(session, actor, "users.disable", "user", user.id, name=name, revoked=n)
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
