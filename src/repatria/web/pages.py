"""The pages: each route names its action (roles), calls one service, renders one template.

Forms post back and are redirected (post/redirect/get), so reloading a page never repeats an
action. Every form carries the session's CSRF token, checked by :mod:`repatria.api.security`.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from repatria import field_limits as L
from repatria.api.listing import csv_response
from repatria.api.routes import CandidateId
from repatria.api.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Caller, allow, db_of
from repatria.services import views
from repatria.services.access import auth
from repatria.services.access.auth import AuthError
from repatria.services.access.permissions import roles_for
from repatria.services.paging import page_spec
from repatria.services.views.lists import list_csv, remains_page
from repatria.services.workflows import accounting, notification, repatriation, review
from repatria.vocabulary import (
    CONDITIONS,
    NOTIFY_METHODS,
    PERSON_STATES,
    REMAINS_STATES,
    REPATRIATION_KINDS,
)
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

_COUNT_SOURCES = {
    "persons": "missing persons in the registry (current records, corrections excluded)",
    "recovered": "sets of remains recovered (current records)",
    "sampled": "remains with at least one PM sample",
    "identified": "persons with a confirmed, unrevoked identification "
    "(incl. since repatriated or disposed of)",
    "notified": "identified persons whose family was told (notifications)",
    "repatriated": "persons in state repatriated",
    "disposed": "identified persons disposed of otherwise (burial, cremation ...)",
    "unaccounted": "persons still missing or presumed dead",
}


def _back(path: str, flash: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(flash)}", status_code=303)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never //host or a scheme, so the login cannot redirect elsewhere.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# ----------------------------------------------------------------------------- login


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    # On the event loop, not in the thread pool: a liveness check must answer while every
    # pool thread waits on the database.
    return Response("ok", media_type="text/plain")


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", title="Log in", login_csrf=token, next=_safe_next(next))
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return resp


@router.post("/login")
def login_submit(
    request: Request,
    name: Annotated[str, Form(max_length=L.USER_NAME)] = "",
    password: Annotated[str, Form(max_length=L.PASSWORD)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_again(
            request, "The login form was out of date; please try again.", name, next, 403
        )
    try:
        token, _user = auth.login(
            db_of(request),
            name.strip(),
            password,
            kind="session",
            address=request.client.host if request.client else None,
        )
    except AuthError as e:
        return _login_again(request, f"Could not log in: {e}.", name, next, 401)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=int(auth.TOKEN_LIFETIME["session"].total_seconds()),
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


def _login_again(request: Request, error: str, name: str, next: str, status: int) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(
        request,
        "login.html",
        status_code=status,
        title="Log in",
        login_csrf=token,
        next=_safe_next(next),
        error=error,
        name=name,
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return resp


@router.post("/logout")
def logout(request: Request, caller: Annotated[Caller, Depends(allow("session.self"))]) -> Response:
    auth.logout(db_of(request), caller.token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# ----------------------------------------------------------------------------- overview


@router.get("/")
def dashboard(
    request: Request,
    caller: Annotated[Caller, Depends(allow("dashboard.view"))],
    flash: str | None = None,
) -> Response:
    d = views.dashboard(db_of(request), actor=caller.name)
    return render(request, "dashboard.html", title="Dashboard", d=d, flash=flash)


@router.get("/persons")
def persons(
    request: Request,
    caller: Annotated[Caller, Depends(allow("persons.read"))],
    q: str = "",
    status: str = "",
    sort: str | None = None,
    cursor: str | None = None,
    format: str = "",
) -> Response:
    db, q = db_of(request), q[:200]
    if format == "csv":
        text = views.persons_csv(db, actor=caller.name, q=q, status=status or None, sort=sort)
        return csv_response(text, "persons")
    page = views.search_persons(
        db, actor=caller.name, q=q, status=status or None, page=page_spec(sort, None, cursor)
    )
    return render(
        request,
        "persons.html",
        title="Missing persons",
        page=page,
        q=q,
        status=status,
        states=PERSON_STATES,
    )


@router.get("/persons/{ref}")
def person(
    ref: str, request: Request, caller: Annotated[Caller, Depends(allow("persons.read"))]
) -> Response:
    p = views.person_detail(db_of(request), ref, actor=caller.name)
    return render(request, "person.html", title=p.name, p=p)


@router.get("/remains")
def remains_list(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    site: str = "",
    condition: str = "",
    status: str = "",
    sort: str | None = None,
    cursor: str | None = None,
    format: str = "",
) -> Response:
    db = db_of(request)
    filters: dict[str, str | None] = {
        "site": site or None,
        "condition": condition or None,
        "status": status or None,
    }
    if format == "csv":
        text = list_csv(db, "remains", actor=caller.name, sort=sort, filters=filters)
        return csv_response(text, "remains")
    got, sites = remains_page(
        db, actor=caller.name, filters=filters, page=page_spec(sort, None, cursor)
    )
    return render(
        request,
        "remains_list.html",
        title="Remains",
        page=got.page,
        rows=got.page.items,
        sites=sites,
        site=site,
        condition=condition,
        status=status,
        conditions=CONDITIONS,
        states=REMAINS_STATES,
    )


@router.get("/remains/{ref}")
def remains(
    ref: str, request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]
) -> Response:
    r = views.remains_detail(db_of(request), ref, actor=caller.name)
    return render(request, "remains.html", title=f"Remains {r.ref}", r=r)


# ----------------------------------------------------------------------------- matches and review


@router.get("/matches/{candidate_id}")
def match(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
    flash: str | None = None,
) -> Response:
    from repatria.reports.pedigree import pedigree_svg

    m = views.match_detail(db_of(request), candidate_id, actor=caller.name)
    svg = pedigree_svg(
        m.pedigree,
        pm_label=m.sample_ref or m.remains_ref,
        title=f"Pedigree of family {m.family_ref}",
    )
    return render(
        request,
        "match.html",
        title=f"Match {candidate_id}",
        m=m,
        pedigree_svg=svg,
        flash=flash,
        can_report=caller.role in roles_for("report.identification"),
    )


@router.get("/review")
def review_queue(
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.queue"))],
    flash: str | None = None,
    sort_p: str | None = None,
    cursor_p: str | None = None,
    format_p: str = "",
    sort_r: str | None = None,
    cursor_r: str | None = None,
    format_r: str = "",
) -> Response:
    db = db_of(request)
    for name, fmt, sort in (("to-propose", format_p, sort_p), ("to-review", format_r, sort_r)):
        if fmt == "csv":
            return csv_response(list_csv(db, name, actor=caller.name, sort=sort), name)
    q = views.review_queue_page(
        db,
        actor=caller.name,
        to_propose=page_spec(sort_p, None, cursor_p),
        to_review=page_spec(sort_r, None, cursor_r),
    )
    return render(request, "review.html", title="Review queue", q=q, flash=flash)


@router.post("/review/{candidate_id}/propose")
def propose(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.propose"))],
    reason: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
    override: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
) -> Response:
    r = review.propose(
        db_of(request),
        candidate_id,
        actor=caller.name,
        reason=reason.strip() or None,
        override=override.strip() or None,
    )
    return _back(f"/matches/{candidate_id}", r.message)


@router.post("/review/{candidate_id}/confirm")
def confirm(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.confirm"))],
    reason: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
    override: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
) -> Response:
    r = review.confirm(
        db_of(request),
        candidate_id,
        actor=caller.name,
        reason=reason.strip() or None,
        override=override.strip() or None,
    )
    return _back(f"/matches/{candidate_id}", r.message)


@router.post("/review/{candidate_id}/reject")
def reject(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.reject"))],
    reason: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
) -> Response:
    r = review.reject(db_of(request), candidate_id, actor=caller.name, reason=reason)
    return _back(f"/matches/{candidate_id}", r.message)


# ----------------------------------------------------------------------------- after identification


@router.get("/notifications")
def notifications(
    request: Request,
    caller: Annotated[Caller, Depends(allow("notifications.view"))],
    flash: str | None = None,
    sort_t: str | None = None,
    cursor_t: str | None = None,
    format_t: str = "",
    sort_d: str | None = None,
    cursor_d: str | None = None,
    format_d: str = "",
) -> Response:
    db = db_of(request)
    for name, fmt, sort in (
        ("families-to-tell", format_t, sort_t),
        ("families-told", format_d, sort_d),
    ):
        if fmt == "csv":
            return csv_response(list_csv(db, name, actor=caller.name, sort=sort), name)
    p = views.notifications_page(
        db,
        actor=caller.name,
        tasks=page_spec(sort_t, None, cursor_t),
        done=page_spec(sort_d, None, cursor_d),
    )
    return render(
        request,
        "notifications.html",
        title="Notifications",
        v=p.view,
        p=p,
        flash=flash,
        methods=NOTIFY_METHODS,
    )


@router.post("/notifications")
def notify(
    request: Request,
    caller: Annotated[Caller, Depends(allow("notify.record"))],
    person_ref: Annotated[str, Form(max_length=L.REF)] = "",
    recipient: Annotated[str, Form(max_length=L.PERSON_NAME)] = "",
    method: Annotated[str, Form(max_length=32)] = "",
    notified_on: Annotated[str, Form(max_length=L.DATE)] = "",
    relationship: Annotated[str, Form(max_length=L.CODE)] = "",
    sensitive_notes: Annotated[str, Form(max_length=L.FREE_TEXT)] = "",
    recipient_donor: Annotated[str, Form(max_length=L.REF)] = "",
) -> Response:
    n = notification.notify_family(
        db_of(request),
        person_ref,
        actor=caller.name,
        recipient=recipient,
        method=method,
        notified_on=notified_on,
        relationship=relationship or None,
        sensitive_notes=sensitive_notes or None,
        recipient_donor=recipient_donor or None,
    )
    return _back(
        "/notifications",
        f"notification of {n.person_ref}'s family recorded ({n.recipient}, {n.notified_on})",
    )


@router.get("/repatriations")
def repatriations(
    request: Request,
    caller: Annotated[Caller, Depends(allow("repatriations.view"))],
    flash: str | None = None,
    sort_d: str | None = None,
    cursor_d: str | None = None,
    format_d: str = "",
) -> Response:
    db = db_of(request)
    if format_d == "csv":
        text = list_csv(db, "repatriations", actor=caller.name, sort=sort_d)
        return csv_response(text, "repatriations")
    p = views.repatriations_page(db, actor=caller.name, done=page_spec(sort_d, None, cursor_d))
    return render(
        request,
        "repatriations.html",
        title="Repatriations",
        v=p.view,
        p=p,
        flash=flash,
        kinds=REPATRIATION_KINDS,
    )


@router.post("/repatriations")
async def repatriate(
    request: Request, caller: Annotated[Caller, Depends(allow("repatriation.record"))]
) -> Response:
    form = await request.form()
    remains = [str(r) for r in form.getlist("remains")]
    # The service blocks on the database: run it off the event loop.
    rec = await run_in_threadpool(
        repatriation.repatriate,
        db_of(request),
        remains,
        actor=caller.name,
        kind=str(form.get("kind", "")),
        counterpart=str(form.get("counterpart", "")).strip(),
        occurred_on=str(form.get("occurred_on", "")).strip(),
        place=str(form.get("place", "")).strip() or None,
        ceremony=str(form.get("ceremony", "")).strip() or None,
        without_notification=str(form.get("without_notification", "")).strip() or None,
    )
    return _back("/repatriations", rec.message)


@router.get("/accounting")
def accounting_page(
    request: Request, caller: Annotated[Caller, Depends(allow("account.view"))]
) -> Response:
    a = accounting.account(db_of(request), actor=caller.name)
    return render(
        request,
        "accounting.html",
        title="Accounting",
        a=a,
        sources=_COUNT_SOURCES,
        can_case_report=caller.role in roles_for("report.case"),
    )


@router.get("/accounting/chart.svg")
def accounting_chart(
    request: Request, caller: Annotated[Caller, Depends(allow("account.view"))]
) -> Response:
    from repatria.reports.plots import accounting_chart as chart

    return Response(
        chart(accounting.account(db_of(request), actor=caller.name), "svg"),
        media_type="image/svg+xml",
    )


# ----------------------------------------------------------------------------- reports


@router.get("/reports/identification/{candidate_id}.pdf")
def identification_report(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("report.identification"))],
) -> Response:
    from repatria.api.routes import identification_report as api_report

    return api_report(candidate_id, request, caller)


@router.get("/reports/case-summary.pdf")
def case_summary(
    request: Request, caller: Annotated[Caller, Depends(allow("report.case"))]
) -> Response:
    from repatria.api.routes import case_summary as api_case

    return api_case(request, caller)
