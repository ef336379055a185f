"""The REST API, ``/api/v1``: each route names its action (roles), calls one service and returns
JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from repatria import field_limits as L
from repatria.api import schemas as s
from repatria.api.security import Caller, allow, db_of
from repatria.errors import NotFoundError
from repatria.services import views
from repatria.services.access import audit, auth
from repatria.services.workflows import accounting, custody, notification, repatriation, review

__all__ = ["router"]

# Routes returning records declare ``response_model=None`` and return ``Any``: FastAPI would
# otherwise validate them as a pydantic response model and write an infinite LR as null;
# SafeJSONResponse writes it as "Inf".
router = APIRouter(default_response_class=s.SafeJSONResponse)

# Ids are database integers: larger ones are refused as invalid input (422), not sent to SQL.
CandidateId = Annotated[int, Path(ge=1, le=2_147_483_647, description="candidate match id")]
RecordRef = Annotated[str, Path(min_length=1, max_length=L.REF)]


def _d(obj: Any) -> Any:
    return asdict(obj) if hasattr(obj, "__dataclass_fields__") else obj


@router.post(
    "/auth/token",
    response_model=s.TokenResponse,
    tags=["auth"],
    summary="Exchange a name and password for a bearer token",
)
def token(body: s.TokenRequest, request: Request) -> s.TokenResponse:
    tok, user = auth.login(
        db_of(request),
        body.name,
        body.password,
        kind="api",
        label=body.label,
        address=_address(request),
    )
    return _token_response(tok, user)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _token_response(tok: str, user: Any) -> s.TokenResponse:
    return s.TokenResponse(
        token=tok,
        expires_in=int(auth.TOKEN_LIFETIME["api"].total_seconds()),
        user=user.name,
        role=user.role,
    )


@router.post(
    "/auth/renew",
    response_model=s.TokenResponse,
    tags=["auth"],
    summary="Exchange a live bearer token for a new one (the old one is revoked)",
)
def renew(
    request: Request, caller: Annotated[Caller, Depends(allow("session.self"))]
) -> s.TokenResponse:
    tok, user = auth.renew(db_of(request), caller.token, kind="api")
    return _token_response(tok, user)


@router.post("/auth/logout", tags=["auth"], summary="Revoke this bearer token")
def api_logout(
    request: Request, caller: Annotated[Caller, Depends(allow("session.self"))]
) -> dict[str, bool]:
    auth.logout(db_of(request), caller.token)
    return {"revoked": True}


@router.post(
    "/auth/revoke-all", tags=["auth"], summary="Revoke every token of the caller (all sessions)"
)
def api_revoke_all(
    request: Request, caller: Annotated[Caller, Depends(allow("session.self"))]
) -> dict[str, int]:
    return {"revoked": auth.revoke_all(db_of(request), caller.name, actor=caller.name)}


@router.get("/me", tags=["auth"], summary="Who the token belongs to")
async def me(caller: Annotated[Caller, Depends(allow("session.self"))]) -> dict[str, str]:
    # No database here: answered on the event loop, without waiting for a pool thread.
    return {"name": caller.name, "role": caller.role}


@router.get(
    "/dashboard", tags=["overview"], summary="Counts by state and work queues", response_model=None
)
def dashboard(request: Request, caller: Annotated[Caller, Depends(allow("dashboard.view"))]) -> Any:
    return _d(views.dashboard(db_of(request), actor=caller.name))


# GET /persons (search, paged): repatria.api.routes_persons.


@router.get("/persons/{ref}", tags=["persons"], summary="One missing person", response_model=None)
def person(
    ref: RecordRef, request: Request, caller: Annotated[Caller, Depends(allow("persons.read"))]
) -> Any:
    return _d(views.person_detail(db_of(request), ref, actor=caller.name))


@router.get(
    "/remains",
    tags=["remains"],
    summary="Remains by recovery site, condition and state",
    response_model=None,
)
def remains_list(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    site: Annotated[str | None, Query(max_length=300)] = None,
    condition: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
) -> Any:
    rows, sites = views.list_remains(
        db_of(request), actor=caller.name, site=site, condition=condition, status=status
    )
    return {"remains": [_d(r) for r in rows], "sites": sites}


@router.get(
    "/remains/{ref}", tags=["remains"], summary="Remains with custody timeline", response_model=None
)
def remains_one(
    ref: RecordRef, request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]
) -> Any:
    return _d(views.remains_detail(db_of(request), ref, actor=caller.name))


@router.get(
    "/candidates/{candidate_id}",
    tags=["review"],
    summary="A candidate match: per-marker LRs, posterior, alternatives, pedigree (audited)",
    response_model=None,
)
def candidate(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
) -> Any:
    return _d(views.match_detail(db_of(request), candidate_id, actor=caller.name))


@router.get(
    "/review/queue",
    tags=["review"],
    summary="Candidates to propose and proposals to review",
    response_model=None,
)
def queue(request: Request, caller: Annotated[Caller, Depends(allow("review.queue"))]) -> Any:
    return _d(views.review_queue(db_of(request), actor=caller.name))


@router.post(
    "/candidates/{candidate_id}/propose",
    tags=["review"],
    summary="Propose (an analyst)",
    response_model=None,
)
def propose(
    candidate_id: CandidateId,
    body: s.ReviewBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.propose"))],
) -> Any:
    return _review(
        review.propose(
            db_of(request),
            candidate_id,
            actor=caller.name,
            reason=body.reason,
            override=body.override,
        )
    )


@router.post(
    "/candidates/{candidate_id}/confirm",
    tags=["review"],
    summary="Confirm (a reviewer who did not propose it)",
    response_model=None,
)
def confirm(
    candidate_id: CandidateId,
    body: s.ReviewBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.confirm"))],
) -> Any:
    return _review(
        review.confirm(
            db_of(request),
            candidate_id,
            actor=caller.name,
            reason=body.reason,
            override=body.override,
        )
    )


@router.post(
    "/candidates/{candidate_id}/reject",
    tags=["review"],
    summary="Reject, with a reason",
    response_model=None,
)
def reject(
    candidate_id: CandidateId,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.reject"))],
) -> Any:
    return _review(
        review.reject(db_of(request), candidate_id, actor=caller.name, reason=body.reason)
    )


@router.post(
    "/candidates/{candidate_id}/revoke",
    tags=["review"],
    summary="Revoke a confirmed identification, with a reason",
    response_model=None,
)
def revoke(
    candidate_id: CandidateId,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.revoke"))],
) -> Any:
    return _review(
        review.revoke(db_of(request), candidate_id, actor=caller.name, reason=body.reason)
    )


def _review(r: review.ReviewResult) -> dict[str, Any]:
    return {**asdict(r), "message": r.message}


@router.get(
    "/notifications",
    tags=["families"],
    summary="Families to tell, and families told (contacts: audited)",
    response_model=None,
)
def notifications(
    request: Request, caller: Annotated[Caller, Depends(allow("notifications.view"))]
) -> Any:
    return _d(views.notifications_view(db_of(request), actor=caller.name))


@router.post(
    "/persons/{ref}/notifications",
    tags=["families"],
    status_code=201,
    summary="Record that a family was told",
    response_model=None,
)
def notify(
    ref: RecordRef,
    body: s.NotificationBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("notify.record"))],
) -> Any:
    return _d(
        notification.notify_family(
            db_of(request),
            ref,
            actor=caller.name,
            recipient=body.recipient,
            method=body.method,
            notified_on=body.notified_on,
            relationship=body.relationship,
            sensitive_notes=body.sensitive_notes,
            recipient_donor=body.recipient_donor,
        )
    )


@router.get(
    "/repatriations",
    tags=["repatriation"],
    summary="Handovers, and remains waiting for one",
    response_model=None,
)
def repatriations(
    request: Request, caller: Annotated[Caller, Depends(allow("repatriations.view"))]
) -> Any:
    return _d(views.repatriations_view(db_of(request), actor=caller.name))


@router.post(
    "/repatriations",
    tags=["repatriation"],
    status_code=201,
    summary="Record a handover or exchange of identified remains",
    response_model=None,
)
def repatriate(
    body: s.RepatriationBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("repatriation.record"))],
) -> Any:
    rec = repatriation.repatriate(
        db_of(request),
        body.remains,
        actor=caller.name,
        kind=body.kind,
        counterpart=body.counterpart,
        occurred_on=body.occurred_on,
        place=body.place,
        ceremony=body.ceremony,
        coffin_labels=body.coffin_labels,
        without_notification=body.without_notification,
    )
    return {**asdict(rec), "message": rec.message}


@router.post(
    "/custody",
    tags=["remains"],
    status_code=201,
    summary="Record a custody event",
    response_model=None,
)
def custody_event(
    body: s.CustodyBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("custody.record"))],
) -> Any:
    return _d(
        custody.record_custody(
            db_of(request),
            actor=caller.name,
            event=body.event,
            remains_ref=body.remains,
            sample_ref=body.sample,
            from_party=body.from_party,
            to_party=body.to_party,
            location=body.location,
            occurred_on=body.occurred_on,
            notes=body.notes,
        )
    )


@router.get(
    "/accounting",
    tags=["overview"],
    summary="Registry counts beside published claims",
    response_model=None,
)
def accounting_view(
    request: Request, caller: Annotated[Caller, Depends(allow("account.view"))]
) -> Any:
    return accounting.account(db_of(request), actor=caller.name).as_dict()


@router.get("/audit", tags=["audit"], summary="The newest audit entries", response_model=None)
def audit_log(
    request: Request,
    caller: Annotated[Caller, Depends(allow("audit.read"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return [_d(e) for e in audit.read_audit_log(db_of(request), actor=caller.name, limit=limit)]


@router.get(
    "/reports/identification/{candidate_id}.pdf",
    tags=["reports"],
    response_class=Response,
    summary="Identification report (PDF)",
    responses={200: {"content": {"application/pdf": {}}}},
)
def identification_report(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("report.identification"))],
) -> Response:
    from repatria.reports.identification import identification_pdf
    from repatria.services.views.letters import report_detail

    detail = report_detail(db_of(request), candidate_id, actor=caller.name)
    if detail.status != "confirmed":
        raise NotFoundError(
            f"candidate {candidate_id} is {detail.status}; an identification report is "
            "written only for a confirmed identification"
        )
    return Response(
        identification_pdf(detail),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="identification-{candidate_id}.pdf"'},
    )


@router.get(
    "/reports/case-summary.pdf",
    tags=["reports"],
    response_class=Response,
    summary="Case summary report (PDF)",
    responses={200: {"content": {"application/pdf": {}}}},
)
def case_summary(
    request: Request, caller: Annotated[Caller, Depends(allow("report.case"))]
) -> Response:
    from repatria.reports.case_summary import case_summary_pdf

    db = db_of(request)
    pdf = case_summary_pdf(
        accounting.account(db, actor=caller.name),
        views.identifications(db, actor=caller.name),
        views.all_log10_lrs(db, actor=caller.name),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="case-summary.pdf"'},
    )
