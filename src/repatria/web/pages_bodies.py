"""Pages of bodies, re-associations, family versions and graves.

Each route names its action (roles) and calls one service; forms post back and redirect
(post/redirect/get) with the service's own sentence as the flash. A refusal (the two-person
rule, a state that does not allow the step) is the error page with that sentence.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repatria.api.listing import csv_response
from repatria.api.routes_bodies import AssociationId
from repatria.api.security import Caller, allow, db_of
from repatria.errors import ServiceError
from repatria.formats.profile_text import parse_profile_lines
from repatria.services.access.permissions import roles_for
from repatria.services.paging import page_spec
from repatria.services.views import bodies as body_views
from repatria.services.workflows import bodies, family_members, family_versions, fragment_search
from repatria.services.workflows import repatriation as handover
from repatria.vocabulary import DISPOSITION_KINDS, REMAINS_STATES, SEXES
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=300)]


def _back(path: str, flash: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(flash)}", status_code=303)


def _may(caller: Caller, action: str) -> bool:
    return caller.role in roles_for(action)


# ----------------------------------------------------------------------------- bodies


@router.get("/bodies")
def bodies_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    status: str | None = None,
    flash: str | None = None,
) -> Response:
    db = db_of(request)
    rows = body_views.list_bodies(db, actor=caller.name, status=status or None)
    pending = (
        body_views.list_associations(db, actor=caller.name, status="proposed")
        if _may(caller, "match.read")
        else []
    )
    return render(
        request,
        "bodies.html",
        title="Bodies",
        rows=rows,
        pending=pending,
        status=status,
        states=REMAINS_STATES,
        flash=flash,
    )


@router.get("/bodies/{ref}")
def body_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    flash: str | None = None,
) -> Response:
    d = body_views.body_detail(db_of(request), ref, actor=caller.name)
    return render(
        request,
        "body.html",
        title=f"Body {d.body.ref}",
        d=d,
        kinds=DISPOSITION_KINDS,
        flash=flash,
    )


@router.post("/bodies/associations")
def propose(
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.propose"))],
    samples: Short = "",
    reason: Text = "",
    kind: Annotated[str, Form(max_length=16)] = "merge",
    anthropology: Text = "",
    back: Annotated[str, Form(max_length=200)] = "/bodies",
) -> Response:
    refs = [r for r in samples.replace(",", " ").split() if r]
    r = bodies.propose(
        db_of(request),
        refs,
        actor=caller.name,
        reason=reason,
        kind=kind,
        anthropology=anthropology.strip() or None,
    )
    return _back(_local(back), r.message)


@router.post("/bodies/search")
def search(
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.propose"))],
    min_lr: Annotated[str, Form(max_length=32)] = "1e6",
) -> Response:
    try:
        threshold = float(min_lr)
    except ValueError:
        raise ServiceError(f"the LR threshold must be a number, got {min_lr!r}") from None
    r = fragment_search.propose_fragments(db_of(request), actor=caller.name, min_lr=threshold)
    return _back("/bodies", r.message)


@router.post("/bodies/associations/{association_id}/confirm")
def confirm(
    association_id: AssociationId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.confirm"))],
    reason: Text = "",
    back: Annotated[str, Form(max_length=200)] = "/bodies",
) -> Response:
    r = bodies.confirm(
        db_of(request), association_id, actor=caller.name, reason=reason.strip() or None
    )
    return _back(_local(back), r.message)


@router.post("/bodies/associations/{association_id}/reject")
def reject(
    association_id: AssociationId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.reject"))],
    reason: Text = "",
    back: Annotated[str, Form(max_length=200)] = "/bodies",
) -> Response:
    r = bodies.reject(db_of(request), association_id, actor=caller.name, reason=reason)
    return _back(_local(back), r.message)


@router.post("/bodies/associations/{association_id}/revoke")
def revoke(
    association_id: AssociationId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.revoke"))],
    reason: Text = "",
    back: Annotated[str, Form(max_length=200)] = "/bodies",
) -> Response:
    r = bodies.revoke(db_of(request), association_id, actor=caller.name, reason=reason)
    return _back(_local(back), r.message)


@router.post("/bodies/{ref}/disposition")
def dispose(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("disposition.record"))],
    kind: Annotated[str, Form(max_length=16)] = "burial",
    occurred_on: Annotated[str, Form(max_length=32)] = "",
    reason: Text = "",
    cemetery: Short = "",
    plot: Annotated[str, Form(max_length=64)] = "",
    grave: Annotated[str, Form(max_length=64)] = "",
    despite_open_candidates: Text = "",
    without_notification: Text = "",
) -> Response:
    rec = handover.dispose(
        db_of(request),
        ref,
        actor=caller.name,
        kind=kind,
        occurred_on=occurred_on,
        reason=reason,
        cemetery=cemetery.strip() or None,
        plot=plot.strip() or None,
        grave=grave.strip() or None,
        despite_open_candidates=despite_open_candidates.strip() or None,
        without_notification=without_notification.strip() or None,
    )
    return _back("/graves" if rec.grave else f"/bodies/{quote(ref)}", rec.message)


@router.get("/graves")
def graves_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    flash: str | None = None,
) -> Response:
    rows = body_views.list_graves(db_of(request), actor=caller.name)
    return render(request, "graves.html", title="Graves", rows=rows, flash=flash)


# ----------------------------------------------------------------------------- families


@router.get("/families")
def families_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
    sort: str | None = None,
    cursor: str | None = None,
    format: str = "",
) -> Response:
    db = db_of(request)
    if format == "csv":
        return csv_response(body_views.families_csv(db, actor=caller.name), "families")
    page = body_views.families_page(db, actor=caller.name, page=page_spec(sort, None, cursor))
    return render(request, "families.html", title="Reference families", page=page, rows=page.items)


@router.get("/families/{ref}")
def family_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
    flash: str | None = None,
) -> Response:
    versions = body_views.family_history(db_of(request), ref, actor=caller.name)
    return render(
        request,
        "family.html",
        title=f"Family {ref}",
        ref=ref,
        versions=versions,
        sexes=SEXES,
        flash=flash,
    )


@router.post("/families/{ref}/correct")
def correct(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("families.correct"))],
    individual: Annotated[str, Form(max_length=64)] = "",
    father: Annotated[str, Form(max_length=64)] = "",
    mother: Annotated[str, Form(max_length=64)] = "",
    sex: Annotated[str, Form(max_length=16)] = "",
    reason: Text = "",
) -> Response:
    v = family_versions.correct_family(
        db_of(request),
        ref,
        individual.strip(),
        actor=caller.name,
        reason=reason,
        father=father.strip() or None,
        mother=mother.strip() or None,
        sex=sex or None,
    )
    return _back(f"/families/{quote(ref)}", v.message)


@router.post("/families/{ref}/references")
def add_reference(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("families.correct"))],
    individual: Annotated[str, Form(max_length=64)] = "",
    genotypes: Annotated[str, Form(max_length=100_000)] = "",
    sex: Annotated[str, Form(max_length=16)] = "",
    father: Annotated[str, Form(max_length=64)] = "",
    mother: Annotated[str, Form(max_length=64)] = "",
    relationship: Annotated[str, Form(max_length=64)] = "",
    reason: Text = "",
) -> Response:
    v = family_members.add_reference(
        db_of(request),
        ref,
        individual.strip(),
        parse_profile_lines(genotypes.splitlines(), source="genotypes"),
        actor=caller.name,
        reason=reason,
        sex=sex or None,
        father=father.strip() or None,
        mother=mother.strip() or None,
        relationship=relationship.strip() or None,
    )
    return _back(f"/families/{quote(ref)}", v.message)


def _local(path: str) -> str:
    # Only a path on this site: a form cannot send the browser elsewhere.
    return path if path.startswith("/") and not path.startswith("//") else "/bodies"
