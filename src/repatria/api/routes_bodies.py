"""The API of bodies, re-associations, family versions and graves (``/api/v1``).

Each route names its action (the roles of :mod:`repatria.services.access.permissions`, as the
commands of ``repatria bodies`` and ``repatria families`` enforce them) and calls one service:
the services decide (the two-person rule, what a state allows); a refusal is a 409 in words,
an unknown record a 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from repatria.api import schemas as s
from repatria.api.security import Caller, allow, db_of
from repatria.services.views import bodies as body_views
from repatria.services.workflows import bodies, family_members, family_versions, fragment_search
from repatria.services.workflows import repatriation as handover
from repatria.vocabulary import AssociationKind, CandidateStatus, DispositionKind, SexName

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)

AssociationId = Annotated[int, Path(ge=1, le=2_147_483_647, description="re-association id")]
Ref = Annotated[str, Path(min_length=1, max_length=64)]
_Text = Field(default=None, max_length=4000)


class AssociationBody(s._Body):
    samples: list[str] = Field(min_length=1, max_length=500, description="PM sample references")
    reason: str = Field(min_length=1, max_length=4000)
    kind: AssociationKind = "merge"
    anthropology: str | None = _Text


class SearchBody(s._Body):
    min_lr: float = Field(default=1e6, gt=1, description="link two samples at this LR or more")
    dropout: float = Field(default=bodies.FRAGMENT_DROPOUT, ge=0, lt=1)


class CorrectionBody(s._Body):
    individual: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=4000)
    father: str | None = Field(default=None, max_length=64, description="'-': unknown")
    mother: str | None = Field(default=None, max_length=64, description="'-': unknown")
    sex: SexName | None = None


class ReferenceBody(s._Body):
    individual: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=4000)
    genotypes: dict[str, tuple[str, str]] = Field(
        min_length=1, max_length=2000, description="marker -> two alleles"
    )
    donor: str | None = Field(default=None, max_length=64, description="default: individual")
    sex: SexName | None = None
    father: str | None = Field(default=None, max_length=64)
    mother: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=300)
    relationship: str | None = Field(default=None, max_length=64)
    consent_given_on: str | None = Field(default=None, max_length=32)


class DispositionBody(s._Body):
    kind: DispositionKind
    occurred_on: str = Field(min_length=4, max_length=32)
    reason: str = Field(min_length=1, max_length=4000)
    place: str | None = Field(default=None, max_length=300)
    cemetery: str | None = Field(default=None, max_length=300)
    plot: str | None = Field(default=None, max_length=64)
    grave: str | None = Field(default=None, max_length=64, description="the grave's number")


def _rec(r: Any) -> dict[str, Any]:
    return {**r.as_dict(), "message": r.message}


# ----------------------------------------------------------------------------- bodies


@router.get(
    "/bodies", tags=["bodies"], summary="Bodies, their samples and items", response_model=None
)
def list_bodies(
    request: Request,
    caller: Annotated[Caller, Depends(allow("remains.read"))],
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> Any:
    return [
        asdict(b) for b in body_views.list_bodies(db_of(request), actor=caller.name, status=status)
    ]


@router.get(
    "/bodies/{ref}",
    tags=["bodies"],
    summary="One body, with the re-associations of its samples",
    response_model=None,
)
def show_body(
    ref: Ref, request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]
) -> Any:
    return asdict(body_views.body_detail(db_of(request), ref, actor=caller.name))


@router.post(
    "/bodies/{ref}/disposition",
    tags=["bodies"],
    status_code=201,
    summary="Record a body buried (in a numbered grave), cremated, held or transferred",
    response_model=None,
)
def dispose(
    ref: Ref,
    body: DispositionBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("disposition.record"))],
) -> Any:
    rec = handover.dispose(
        db_of(request),
        ref,
        actor=caller.name,
        kind=body.kind,
        occurred_on=body.occurred_on,
        reason=body.reason,
        place=body.place,
        cemetery=body.cemetery,
        plot=body.plot,
        grave=body.grave,
    )
    return {**asdict(rec), "message": rec.message}


@router.get(
    "/graves", tags=["bodies"], summary="Recorded graves and who lies in them", response_model=None
)
def graves(request: Request, caller: Annotated[Caller, Depends(allow("remains.read"))]) -> Any:
    return [asdict(g) for g in body_views.list_graves(db_of(request), actor=caller.name)]


# ----------------------------------------------------------------------------- re-associations


@router.get(
    "/associations", tags=["bodies"], summary="Re-associations, newest first", response_model=None
)
def list_associations(
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
    status: CandidateStatus | None = None,
) -> Any:
    return [
        asdict(a)
        for a in body_views.list_associations(db_of(request), actor=caller.name, status=status)
    ]


@router.get(
    "/associations/{association_id}",
    tags=["bodies"],
    summary="One re-association with its evidence and decisions",
    response_model=None,
)
def show_association(
    association_id: AssociationId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
) -> Any:
    return asdict(body_views.association_detail(db_of(request), association_id, actor=caller.name))


@router.post(
    "/associations",
    tags=["bodies"],
    status_code=201,
    summary="Propose that samples are one body (merge) or another body (split); an analyst",
    response_model=None,
)
def propose(
    body: AssociationBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.propose"))],
) -> Any:
    r = bodies.propose(
        db_of(request),
        body.samples,
        actor=caller.name,
        reason=body.reason,
        kind=body.kind,
        anthropology=body.anthropology,
    )
    return _rec(r)


@router.post(
    "/associations/search",
    tags=["bodies"],
    status_code=201,
    summary="Compare every pair of PM samples of different bodies; propose each linked group",
    response_model=None,
)
def search(
    body: SearchBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.propose"))],
) -> Any:
    r = fragment_search.propose_fragments(
        db_of(request), actor=caller.name, min_lr=body.min_lr, dropout=body.dropout
    )
    return {
        "samples": r.samples,
        "pairs": r.pairs,
        "links": [{"a": a, "b": b, "log10_lr": v} for a, b, v in r.links],
        "proposals": r.proposals,
        "already_proposed": r.already_proposed,
        "message": r.message,
    }


@router.post(
    "/associations/{association_id}/confirm",
    tags=["bodies"],
    summary="Confirm (a reviewer who did not propose it)",
    response_model=None,
)
def confirm(
    association_id: AssociationId,
    body: s.ReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.confirm"))],
) -> Any:
    return _rec(
        bodies.confirm(db_of(request), association_id, actor=caller.name, reason=body.reason)
    )


@router.post(
    "/associations/{association_id}/reject",
    tags=["bodies"],
    summary="Reject, with a reason (a reviewer who did not propose it)",
    response_model=None,
)
def reject(
    association_id: AssociationId,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.reject"))],
) -> Any:
    return _rec(
        bodies.reject(db_of(request), association_id, actor=caller.name, reason=body.reason)
    )


@router.post(
    "/associations/{association_id}/revoke",
    tags=["bodies"],
    summary="Revoke a confirmed re-association, with a reason",
    response_model=None,
)
def revoke(
    association_id: AssociationId,
    body: s.RequiredReasonBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("bodies.revoke"))],
) -> Any:
    return _rec(
        bodies.revoke(db_of(request), association_id, actor=caller.name, reason=body.reason)
    )


# ----------------------------------------------------------------------------- families


@router.get(
    "/families",
    tags=["families"],
    summary="Reference families at their current version",
    response_model=None,
)
def list_families(request: Request, caller: Annotated[Caller, Depends(allow("match.read"))]) -> Any:
    return [asdict(f) for f in body_views.list_families(db_of(request), actor=caller.name)]


@router.get(
    "/families/{ref}/versions",
    tags=["families"],
    summary="Every version of a family, with who changed it and why",
    response_model=None,
)
def family_versions_route(
    ref: Ref, request: Request, caller: Annotated[Caller, Depends(allow("match.read"))]
) -> Any:
    return [asdict(v) for v in body_views.family_history(db_of(request), ref, actor=caller.name)]


@router.post(
    "/families/{ref}/corrections",
    tags=["families"],
    status_code=201,
    summary="Correct a member's father, mother or sex: a new version",
    response_model=None,
)
def correct(
    ref: Ref,
    body: CorrectionBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("families.correct"))],
) -> Any:
    v = family_versions.correct_family(
        db_of(request),
        ref,
        body.individual,
        actor=caller.name,
        reason=body.reason,
        father=body.father,
        mother=body.mother,
        sex=body.sex,
    )
    return _rec(v)


@router.post(
    "/families/{ref}/references",
    tags=["families"],
    status_code=201,
    summary="Add a donor and his reference profile: a new version",
    response_model=None,
)
def add_reference(
    ref: Ref,
    body: ReferenceBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("families.correct"))],
) -> Any:
    v = family_members.add_reference(
        db_of(request),
        ref,
        body.individual,
        body.genotypes,
        actor=caller.name,
        reason=body.reason,
        donor_ref=body.donor,
        sex=body.sex,
        father=body.father,
        mother=body.mother,
        name=body.name,
        relationship=body.relationship,
        consent_given_on=body.consent_given_on,
    )
    return _rec(v)
