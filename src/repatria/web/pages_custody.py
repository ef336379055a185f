"""Pages of custody, samples, presumed death and donors' consent.

Each route names its action (roles) and calls one service; forms post back and redirect
(post/redirect/get) with the service's own sentence as the flash. A refusal is the error page
with that sentence, which says what to do instead.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repatria import field_limits as L
from repatria.api.security import Caller, allow, db_of
from repatria.services import views
from repatria.services.views import samples as sample_views
from repatria.services.workflows import consent, consent_given, custody, persons
from repatria.vocabulary import CONSENT_SCOPES, CUSTODY_EVENTS
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

Text = Annotated[str, Form(max_length=L.FREE_TEXT)]
Ref = Annotated[str, Form(max_length=L.REF)]
Party = Annotated[str, Form(max_length=L.PARTY)]
Place = Annotated[str, Form(max_length=L.PLACE)]
Day = Annotated[str, Form(max_length=L.DATE)]


def _back(path: str, flash: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(flash)}", status_code=303)


def _opt(v: str) -> str | None:
    return v.strip() or None


# ----------------------------------------------------------------------------- custody, samples


@router.get("/remains/{ref}/custody")
def custody_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    flash: str | None = None,
) -> Response:
    db = db_of(request)
    events = custody.custody_history(db, ref, actor=caller.name)
    samples = sample_views.remains_samples(db, ref, actor=caller.name)
    return render(
        request,
        "custody.html",
        title=f"Custody of {ref}",
        ref=ref,
        events=events,
        samples=samples,
        kinds=CUSTODY_EVENTS,
        flash=flash,
    )


@router.post("/remains/{ref}/custody")
def record_custody(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("custody.record"))],
    event: Annotated[str, Form(max_length=32)] = "",
    sample: Ref = "",
    from_party: Party = "",
    to_party: Party = "",
    location: Place = "",
    occurred_on: Day = "",
    notes: Text = "",
) -> Response:
    rec = custody.record_custody(
        db_of(request),
        actor=caller.name,
        event=event,
        remains_ref=ref,
        sample_ref=_opt(sample),
        from_party=_opt(from_party),
        to_party=_opt(to_party),
        location=_opt(location),
        occurred_on=_opt(occurred_on),
        notes=_opt(notes),
    )
    return _back(
        f"/remains/{quote(ref)}/custody",
        f"custody event {rec.seq} recorded: {rec.event.replace('_', ' ')}",
    )


@router.post("/remains/{ref}/samples")
def record_sample(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("samples.record"))],
    sample: Ref = "",
    material: Annotated[str, Form(max_length=L.CODE)] = "",
    collected_on: Day = "",
    lab: Party = "",
) -> Response:
    rec = custody.record_sample(
        db_of(request),
        actor=caller.name,
        remains_ref=ref,
        sample_ref=sample.strip(),
        material=_opt(material),
        collected_on=_opt(collected_on),
        lab=_opt(lab),
    )
    return _back(
        f"/remains/{quote(ref)}/custody",
        f"sample {rec.sample_ref} taken from {rec.remains_ref} (custody event {rec.seq})",
    )


# ----------------------------------------------------------------------------- presumed dead


@router.get("/persons/{ref}/presumed-dead")
def presume_dead_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("person.presume_dead"))],
    flash: str | None = None,
) -> Response:
    p = views.person_detail(db_of(request), ref, actor=caller.name)
    return render(request, "presume_dead.html", title=f"Presume {p.name} dead", p=p, flash=flash)


@router.post("/persons/{ref}/presumed-dead")
def presume_dead(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("person.presume_dead"))],
    reason: Text = "",
) -> Response:
    status = persons.presume_dead(db_of(request), ref, actor=caller.name, reason=reason)
    return _back(f"/persons/{quote(ref)}/presumed-dead", f"{ref} is now {status.replace('_', ' ')}")


# ----------------------------------------------------------------------------- donors, consent


@router.get("/consent/profiles")
def consent_profiles_page(
    request: Request, caller: Annotated[Caller, Depends(allow("donors.read"))]
) -> Response:
    rows = consent.profiles_for_run(db_of(request), actor=caller.name)
    return render(request, "consent_profiles.html", title="Profiles a run may use", rows=rows)


@router.get("/donors")
def donors_page(
    request: Request,
    caller: Annotated[Caller, Depends(allow("donors.read"))],
    family: str = "",
    person: str = "",
) -> Response:
    rows = sample_views.list_donors(
        db_of(request), actor=caller.name, family=family[:64] or None, person=person[:64] or None
    )
    return render(
        request, "donors.html", title="Reference donors", rows=rows, family=family, person=person
    )


@router.get("/donors/{ref}")
def donor_page(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("donors.read"))],
    flash: str | None = None,
) -> Response:
    d = sample_views.donor_detail(db_of(request), ref, actor=caller.name)
    return render(
        request, "donor.html", title=f"Donor {ref}", d=d, scopes=CONSENT_SCOPES, flash=flash
    )


@router.post("/donors/{ref}/consent")
def record_consent(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.record"))],
    given_on: Day = "",
    scope: Annotated[str, Form(max_length=40)] = "identification",
    note: Text = "",
) -> Response:
    r = consent_given.record_consent(
        db_of(request), ref, actor=caller.name, given_on=given_on, scope=scope, note=_opt(note)
    )
    return _back(f"/donors/{quote(ref)}", r.message)


@router.post("/donors/{ref}/consent-withdrawn")
def withdraw_consent(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.withdraw"))],
    reason: Text = "",
) -> Response:
    w = consent.withdraw_consent(db_of(request), ref, actor=caller.name, reason=reason)
    return _back(f"/donors/{quote(ref)}", w.message)


@router.post("/donors/{ref}/contact-declined")
def decline_contact(
    ref: str,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.withdraw"))],
    reason: Text = "",
) -> Response:
    d = consent.decline_contact(db_of(request), ref, actor=caller.name, reason=reason)
    return _back(f"/donors/{quote(ref)}", d.message)
