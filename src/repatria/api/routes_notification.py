"""API routes of notification before handover and burial: exceptions (a family not told, and
why), donors who decline contact, identifications flagged by a withdrawn consent, dispositions,
and the family letter. Each route names its action (roles) and calls one service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import Field

from repatria.api import schemas as s
from repatria.api.security import Caller, allow, db_of
from repatria.services.views.letters import family_letter_view
from repatria.services.workflows import consent, notification, repatriation
from repatria.vocabulary import DispositionKind

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)

CandidateId = Annotated[int, Path(ge=1, le=2_147_483_647, description="candidate match id")]
RecordRef = Annotated[str, Path(min_length=1, max_length=64)]


class DispositionBody(s._Body):
    remains: str = Field(min_length=1, max_length=64, description="the body's reference")
    kind: DispositionKind
    occurred_on: str = Field(min_length=4, max_length=32)
    reason: str = Field(min_length=1, max_length=4000)
    place: str | None = Field(default=None, max_length=300)
    cemetery: str | None = Field(default=None, max_length=300)
    plot: str | None = Field(default=None, max_length=64)
    grave: str | None = Field(default=None, max_length=64)
    despite_open_candidates: str | None = Field(
        default=None, max_length=4000, description="why it goes ahead with candidates open"
    )
    without_notification: str | None = Field(
        default=None, max_length=4000, description="why it goes ahead with the family not told"
    )


def _with_message(rec: Any) -> dict[str, Any]:
    return {**asdict(rec), "message": rec.message}


@router.post(
    "/persons/{ref}/notification-exceptions",
    tags=["families"],
    status_code=201,
    summary="Record why an identified person's family is not told",
    response_model=None,
)
def notification_exception(
    ref: RecordRef,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("notify.exception"))],
) -> Any:
    return _with_message(
        notification.record_exception(db_of(request), ref, actor=caller.name, reason=body.reason)
    )


@router.post(
    "/donors/{ref}/contact-declined",
    tags=["families"],
    status_code=201,
    summary="Record that a donor does not want to be contacted",
    response_model=None,
)
def contact_declined(
    ref: RecordRef,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.withdraw"))],
) -> Any:
    return _with_message(
        consent.decline_contact(db_of(request), ref, actor=caller.name, reason=body.reason)
    )


@router.get(
    "/identifications/flagged",
    tags=["review"],
    summary="Identifications resting on a donor who withdrew consent (for re-review)",
    response_model=None,
)
def flagged(request: Request, caller: Annotated[Caller, Depends(allow("flagged.read"))]) -> Any:
    rows = consent.flagged_identifications(db_of(request), actor=caller.name)
    return {
        "flagged": [
            {**_with_message(f), "rests_only_on_withdrawn": f.rests_only_on_withdrawn} for f in rows
        ]
    }


@router.post(
    "/dispositions",
    tags=["repatriation"],
    status_code=201,
    summary="Record a body buried, cremated, held or transferred, and why",
    response_model=None,
)
def dispose(
    body: DispositionBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("disposition.record"))],
) -> Any:
    return _with_message(
        repatriation.dispose(
            db_of(request),
            body.remains,
            actor=caller.name,
            kind=body.kind,
            occurred_on=body.occurred_on,
            reason=body.reason,
            place=body.place,
            cemetery=body.cemetery,
            plot=body.plot,
            grave=body.grave,
            despite_open_candidates=body.despite_open_candidates,
            without_notification=body.without_notification,
        )
    )


@router.get(
    "/reports/family-letter/{candidate_id}.pdf",
    tags=["reports"],
    response_class=Response,
    summary="Letter to the family (PDF): plain words, no findings about relatives by default",
    responses={200: {"content": {"application/pdf": {}}}},
)
def family_letter_pdf(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("report.identification"))],
) -> Response:
    from repatria.reports.family_letter import family_letter_pdf as letter

    v = family_letter_view(db_of(request), candidate_id, actor=caller.name)
    return Response(
        letter(v.detail, relationship_findings=v.findings),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="family-letter-{candidate_id}.pdf"'},
    )
