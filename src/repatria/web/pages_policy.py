"""Pages of the identification policy and of batch review."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repatria.api.security import Caller, allow, db_of
from repatria.services.workflows import policy, review
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/policy")
def policy_page(
    request: Request, caller: Annotated[Caller, Depends(allow("policy.read"))]
) -> Response:
    p = policy.show(db_of(request))
    return render(request, "policy.html", title="Identification policy", p=p, lines=p.lines())


@router.post("/review/propose-batch")
def propose_batch(
    request: Request, caller: Annotated[Caller, Depends(allow("review.propose"))]
) -> Response:
    r = review.propose_batch(db_of(request), actor=caller.name)
    return RedirectResponse(f"/review?flash={quote(r.message)}", status_code=303)
