"""Request bodies of the API (pydantic), and the JSON response that tolerates infinite LRs."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from repatria.formats.jsonsafe import json_safe

# The vocabularies' Literal types: the schema's enums are the registry's own words.
from repatria.vocabulary import CustodyEventName, NotifyMethod, RepatriationKind

__all__ = [
    "SafeJSONResponse",
    "TokenRequest",
    "TokenResponse",
    "ReasonBody",
    "RequiredReasonBody",
    "NotificationBody",
    "RepatriationBody",
    "CustodyBody",
]


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(
            json_safe(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """A NUL byte in any text field is refused (422): PostgreSQL cannot store it."""
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in items):
            raise ValueError("text may not contain NUL bytes")
        return value


class TokenRequest(_Body):
    name: str = Field(min_length=1, max_length=120, description="user name")
    password: str = Field(min_length=1, max_length=1024)
    label: str | None = Field(
        default=None, max_length=120, description="what the token is for, e.g. the calling system"
    )


class TokenResponse(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")
    user: str
    role: str


class ReasonBody(_Body):
    reason: str | None = Field(default=None, max_length=4000)


class ReviewBody(_Body):
    """Propose or confirm: the reason, and the reason for overriding a failed policy."""

    reason: str | None = Field(default=None, max_length=4000)
    override: str | None = Field(default=None, max_length=4000)


class PolicyBody(_Body):
    """A new identification policy version: the settings that change (others are kept)."""

    min_lr: float | None = None
    min_posterior: float | None = None
    min_references: int | None = None
    note: str | None = Field(default=None, max_length=4000)


class BatchBody(_Body):
    limit: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=4000)


class RequiredReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=4000)


class NotificationBody(_Body):
    recipient: str = Field(default="", max_length=300, description="who was told (or donor)")
    method: NotifyMethod
    notified_on: str = Field(min_length=4, max_length=32, description="date, as given (YYYY-MM-DD)")
    relationship: str | None = Field(default=None, max_length=64)
    sensitive_notes: str | None = Field(default=None, max_length=4000)
    recipient_donor: str | None = Field(
        default=None, max_length=64, description="the reference donor told, if one was"
    )


class RepatriationBody(_Body):
    remains: list[str] = Field(min_length=1, max_length=500, description="remains references")
    kind: RepatriationKind
    counterpart: str = Field(min_length=1, max_length=300)
    occurred_on: str = Field(min_length=4, max_length=32)
    place: str | None = Field(default=None, max_length=300)
    ceremony: str | None = Field(default=None, max_length=4000)
    coffin_labels: list[str] | None = Field(default=None, max_length=500)
    without_notification: str | None = Field(
        default=None,
        max_length=4000,
        description="why the handover goes ahead although a family is not told (recorded)",
    )


class CustodyBody(_Body):
    event: CustodyEventName
    remains: str | None = Field(default=None, max_length=64)
    sample: str | None = Field(default=None, max_length=64)
    from_party: str | None = Field(default=None, max_length=200)
    to_party: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=300)
    occurred_on: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, max_length=4000)
