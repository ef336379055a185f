"""API routes of the identification policy and of batch review (``docs/policy.md``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from repatria.api import schemas as s
from repatria.api.routes import CandidateId
from repatria.api.security import Caller, allow, db_of
from repatria.services.workflows import policy, review

__all__ = ["router"]

router = APIRouter(default_response_class=s.SafeJSONResponse)


@router.get("/policy", tags=["policy"], summary="The current identification policy")
def policy_show(request: Request, caller: Annotated[Caller, Depends(allow("policy.read"))]) -> Any:
    return policy.show(db_of(request)).to_json()


@router.post(
    "/policy",
    tags=["policy"],
    summary="Set a new policy version (admin); lists what it changes, for re-review",
)
def policy_set(
    body: s.PolicyBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("policy.set"))],
) -> Any:
    return policy.set_policy(
        db_of(request),
        actor=caller.name,
        min_lr=body.min_lr,
        min_posterior=body.min_posterior,
        min_references=body.min_references,
        note=body.note,
    ).to_json()


@router.get(
    "/candidates/{candidate_id}/verdict",
    tags=["review"],
    summary="What a candidate meets and fails under the current policy, and its decisions",
)
def candidate_verdict(
    candidate_id: CandidateId,
    request: Request,
    caller: Annotated[Caller, Depends(allow("match.read"))],
) -> Any:
    st = review.candidate_state(db_of(request), candidate_id)
    return {
        "candidate": st.candidate_id,
        "status": st.status,
        "verdict": st.verdict,
        "lines": st.verdict_lines,
        "decisions": [
            {"id": i, "kind": k, "by": u, "reason": r, **st.policy.get(i, {})}
            for i, k, u, r in st.decisions
        ],
        "revocation_request": st.revocation,
    }


@router.post(
    "/candidates/propose-batch",
    tags=["review"],
    summary="Propose every open candidate that meets the policy, in one transaction",
)
def propose_batch(
    body: s.BatchBody,
    request: Request,
    caller: Annotated[Caller, Depends(allow("review.propose"))],
) -> Any:
    r = review.propose_batch(
        db_of(request), actor=caller.name, limit=body.limit, reason=body.reason
    )
    return {"proposed": r.proposed, "skipped": r.skipped, "message": r.message}
