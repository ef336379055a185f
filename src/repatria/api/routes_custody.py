"""Routes of custody, samples, presumed death and donors' consent (the pages' actions, too).

Each route names its action (roles) and calls one service; the services check the role again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from repatria import field_limits as L
from repatria.api import schemas as s
from repatria.api.routes import RecordRef
from repatria.api.security import Caller, allow, db_of
from repatria.services.views import samples as sample_views
from repatria.services.workflows import consent, consent_given, custody, persons

__all__ = ["router", "SampleBody", "ConsentBody"]

router = APIRouter()


class SampleBody(s._Body):
    sample: str = Field(min_length=1, max_length=L.REF, description="the new sample's reference")
    material: str | None = Field(default=None, max_length=L.CODE, description="bone, tooth ...")
    collected_on: str | None = Field(default=None, max_length=L.DATE)
    lab: str | None = Field(default=None, max_length=L.PARTY)


class ConsentBody(s._Body):
    given_on: str = Field(min_length=1, max_length=L.DATE, description="when consent was given")
    scope: str = Field(default="identification", max_length=40)
    note: str | None = Field(default=None, max_length=L.FREE_TEXT)


def _with_message(rec: Any) -> dict[str, Any]:
    return {**asdict(rec), "message": rec.message}


@router.get(
    "/remains/{ref}/custody",
    tags=["remains"],
    summary="The custody log of remains and their samples, oldest first",
    response_model=None,
)
def custody_log(
    ref: RecordRef, request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]
) -> Any:
    rows = custody.custody_history(db_of(request), ref, actor=caller.name)
    return {"events": [asdict(r) for r in rows]}


@router.get(
    "/remains/{ref}/samples",
    tags=["remains"],
    summary="Samples taken from remains, with their profiles' status (to DNA roles; audited)",
    response_model=None,
)
def remains_samples(
    ref: RecordRef, request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]
) -> Any:
    rows = sample_views.remains_samples(db_of(request), ref, actor=caller.name)
    return {"samples": [asdict(r) for r in rows]}


@router.post(
    "/remains/{ref}/samples",
    tags=["remains"],
    status_code=201,
    summary="Record a post mortem sample taken from remains",
    response_model=None,
)
def record_sample(
    ref: RecordRef,
    body: SampleBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("samples.record"))],
) -> Any:
    return asdict(
        custody.record_sample(
            db_of(request),
            actor=caller.name,
            remains_ref=ref,
            sample_ref=body.sample,
            material=body.material,
            collected_on=body.collected_on,
            lab=body.lab,
        )
    )


@router.post(
    "/persons/{ref}/presumed-dead",
    tags=["persons"],
    status_code=201,
    summary="Declare a missing person presumed dead, with the evidence",
    response_model=None,
)
def presume_dead(
    ref: RecordRef,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("person.presume_dead"))],
) -> Any:
    status = persons.presume_dead(db_of(request), ref, actor=caller.name, reason=body.reason)
    return {"person": ref, "status": status}


@router.get(
    "/consent/profiles",
    tags=["families"],
    summary="The profiles a new identification run may use (no withdrawn consent)",
)
def consent_profiles(
    request: Request, caller: Annotated[Caller, Depends(allow("donors.read"))]
) -> Any:
    rows = consent.profiles_for_run(db_of(request), actor=caller.name)
    return {"profiles": [asdict(p) for p in rows]}


@router.get("/donors", tags=["families"], summary="Reference donors and their consent")
def donors(
    request: Request,
    caller: Annotated[Caller, Depends(allow("donors.read"))],
    family: str | None = None,
    person: str | None = None,
) -> Any:
    rows = sample_views.list_donors(db_of(request), actor=caller.name, family=family, person=person)
    return {"donors": [asdict(r) for r in rows]}


@router.get(
    "/donors/{ref}",
    tags=["families"],
    summary="A donor's consent, contact wishes, history and samples (audited)",
    response_model=None,
)
def donor(
    ref: RecordRef, request: Request, caller: Annotated[Caller, Depends(allow("donors.read"))]
) -> Any:
    return asdict(sample_views.donor_detail(db_of(request), ref, actor=caller.name))


@router.post(
    "/donors/{ref}/consent",
    tags=["families"],
    status_code=201,
    summary="Record when a donor gave consent, and for what",
    response_model=None,
)
def record_consent(
    ref: RecordRef,
    body: ConsentBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.record"))],
) -> Any:
    return _with_message(
        consent_given.record_consent(
            db_of(request),
            ref,
            actor=caller.name,
            given_on=body.given_on,
            scope=body.scope,
            note=body.note,
        )
    )


@router.post(
    "/donors/{ref}/consent-withdrawn",
    tags=["families"],
    status_code=201,
    summary="Record a donor's withdrawal of consent (names the past runs that used them)",
    response_model=None,
)
def withdraw_consent(
    ref: RecordRef,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("consent.withdraw"))],
) -> Any:
    return _with_message(
        consent.withdraw_consent(db_of(request), ref, actor=caller.name, reason=body.reason)
    )
