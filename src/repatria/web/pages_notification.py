"""Pages of notification before handover: recording why a family is not told, the
identifications flagged by a withdrawn consent, and the family letter."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repatria.api.routes import CandidateId
from repatria.api.security import Caller, allow, db_of
from repatria.services.workflows import consent, notification
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)


@router.post("/notifications/exception")
def notification_exception(
    request: Request,
    caller: Annotated[Caller, Depends(allow("notify.exception"))],
    person_ref: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    rec = notification.record_exception(
        db_of(request), person_ref, actor=caller.name, reason=reason
    )
    return RedirectResponse(f"/notifications?flash={quote(rec.message)}", status_code=303)


@router.get("/flagged")
def flagged(
    request: Request, caller: Annotated[Caller, Depends(allow("flagged.read"))]
) -> Response:
    rows = consent.flagged_identifications(db_of(request), actor=caller.name)
    return render(request, "flagged.html", title="Flagged by consent", rows=rows)


@router.get("/reports/family-letter/{candidate_id}.pdf")
def family_letter(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("report.identification"))],
) -> Response:
    from repatria.api.routes_notification import family_letter_pdf as api_letter

    return api_letter(candidate_id, request, caller)
