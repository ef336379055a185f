"""Credentials and tokens: how a person proves who they are to the API and the pages.

Kept apart from :mod:`repatria.registry.models` (whose ``User`` carries the role) so that the
people's records and the secrets that log into them live in separate tables: a backup or an
export of ``users`` never carries a password hash. Tokens are stored as SHA-256 digests only;
the token itself is shown once, to its owner.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repatria.registry.models import Base, UTCDateTime, utcnow
from repatria.vocabulary import TOKEN_KINDS

__all__ = ["TOKEN_KINDS", "UserCredential", "AuthToken", "LoginAttempt"]

# TOKEN_KINDS: "session", a browser's cookie; "api", a bearer token for another system.


class UserCredential(Base):
    """A user's password hash (argon2id, with its parameters inside the hash string)."""

    __tablename__ = "user_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthToken(Base):
    """A session or API token: its digest, owner, expiry and (once) its revocation."""

    __tablename__ = "auth_tokens"
    __table_args__ = (CheckConstraint("kind IN ('session', 'api')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """One login attempt (0006): the name tried, the caller's address, when, and whether it worked.

    Kept apart from the audit log so that throttling can count recent failures by account and by
    address with one indexed query, and written in its own transaction so a refused login is
    recorded even though the login itself fails.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
