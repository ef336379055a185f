"""Request bodies of the API (pydantic), and the JSON response that tolerates infinite LRs."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from repatria import field_limits as L
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


# Every free-text field is as long as its registry column at most (repatria.field_limits): a
# longer value is a 422 naming the field, never a database error.
_Ref = Annotated[str, Field(min_length=1, max_length=L.REF)]
_Label = Annotated[str, Field(max_length=L.LABEL)]


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
    name: str = Field(min_length=1, max_length=L.USER_NAME, description="user name")
    password: str = Field(min_length=1, max_length=L.PASSWORD)
    label: str | None = Field(
        default=None,
        max_length=L.LABEL,
        description="what the token is for, e.g. the calling system",
    )


class TokenResponse(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")
    user: str
    role: str


class ReasonBody(_Body):
    reason: str | None = Field(default=None, max_length=L.FREE_TEXT)


class ReviewBody(_Body):
    """Propose or confirm: the reason, and the reason for overriding a failed policy."""

    reason: str | None = Field(default=None, max_length=L.FREE_TEXT)
    override: str | None = Field(default=None, max_length=L.FREE_TEXT)


class PolicyBody(_Body):
    """A new identification policy version: the settings that change (others are kept)."""

    min_lr: float | None = None
    min_posterior: float | None = None
    min_references: int | None = None
    note: str | None = Field(default=None, max_length=L.FREE_TEXT)


class BatchBody(_Body):
    limit: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=L.FREE_TEXT)


class RequiredReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=L.FREE_TEXT)


class NotificationBody(_Body):
    recipient: str = Field(
        default="", max_length=L.PERSON_NAME, description="who was told (or donor)"
    )
    method: NotifyMethod
    notified_on: str = Field(
        min_length=4, max_length=L.DATE, description="date, as given (YYYY-MM-DD)"
    )
    relationship: str | None = Field(default=None, max_length=L.CODE)
    sensitive_notes: str | None = Field(default=None, max_length=L.FREE_TEXT)
    recipient_donor: str | None = Field(
        default=None, max_length=L.REF, description="the reference donor told, if one was"
    )


class RepatriationBody(_Body):
    remains: list[_Ref] = Field(min_length=1, max_length=500, description="remains references")
    kind: RepatriationKind
    counterpart: str = Field(min_length=1, max_length=L.PERSON_NAME)
    occurred_on: str = Field(min_length=4, max_length=L.DATE)
    place: str | None = Field(default=None, max_length=L.PLACE)
    ceremony: str | None = Field(default=None, max_length=L.FREE_TEXT)
    coffin_labels: list[_Label] | None = Field(default=None, max_length=500)
    without_notification: str | None = Field(
        default=None,
        max_length=L.FREE_TEXT,
        description="why the handover goes ahead although a family is not told (recorded)",
    )


class CustodyBody(_Body):
    event: CustodyEventName
    remains: str | None = Field(default=None, max_length=L.REF)
    sample: str | None = Field(default=None, max_length=L.REF)
    from_party: str | None = Field(default=None, max_length=L.PARTY)
    to_party: str | None = Field(default=None, max_length=L.PARTY)
    location: str | None = Field(default=None, max_length=L.PLACE)
    occurred_on: str | None = Field(default=None, max_length=L.DATE)
    notes: str | None = Field(default=None, max_length=L.FREE_TEXT)
