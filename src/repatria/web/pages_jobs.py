"""Pages for uploads, identification runs and screens: start them, and watch a job's progress.

The progress page reloads itself (a plain ``<meta http-equiv="refresh">``, no script) until the
job is finished; the job's state is in the registry, so a reload or another browser shows it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from repatria.api.security import Caller, allow, db_of
from repatria.errors import FormatError, PermissionDeniedError, RepatriaError
from repatria.services.access.permissions import roles_for
from repatria.services.workflows import jobs, uploads
from repatria.web.render import render

__all__ = ["router"]

router = APIRouter(default_response_class=HTMLResponse)

JobId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_KIND_ACTION = {
    "case": "import.case",
    "persons": "import.persons",
    "remains": "import.remains",
    "claims": "import.claims",
}


def _runs_page(
    request: Request,
    caller: Caller,
    *,
    errors: list[FormatError] | None = None,
    status: int = 200,
    screen_refused: str | None = None,
    screen_form: dict[str, str] | None = None,
    run_refused: str | None = None,
    run_form: dict[str, str] | None = None,
) -> Response:
    recent = jobs.recent_jobs(db_of(request), actor=caller.name)
    kinds = [k for k, action in _KIND_ACTION.items() if caller.role in roles_for(action)]
    return render(
        request,
        "runs.html",
        status_code=status,
        title="Runs and imports",
        jobs=recent,
        kinds=kinds,
        may_run=caller.role in roles_for("runs.record"),
        errors=errors or [],
        flash=request.query_params.get("flash"),
        screen_refused=screen_refused,
        screen_form=screen_form or {"min_lr": "1", "top": "10", "dropout": "", "drop_in": ""},
        run_refused=run_refused,
        run_form=run_form
        or {"dropout": "", "match_prior": "", "prior_sensitivity": "", "non_dna_prior": ""},
    )


@router.get("/runs")
def runs_page(request: Request, caller: Annotated[Caller, Depends(allow("jobs.view"))]) -> Response:
    return _runs_page(request, caller)


@router.post("/runs")
def start_run(
    request: Request,
    caller: Annotated[Caller, Depends(allow("runs.record"))],
    dropout: Annotated[str, Form(max_length=40)] = "",
    match_prior: Annotated[str, Form(max_length=40)] = "",
    prior_sensitivity: Annotated[str, Form(max_length=4)] = "",
    non_dna_prior: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    form = {
        "dropout": dropout,
        "match_prior": match_prior,
        "prior_sensitivity": prior_sensitivity,
        "non_dna_prior": non_dna_prior,
    }
    try:
        job = jobs.start_identification(
            db_of(request),
            actor=caller.name,
            dropout=dropout.strip() or None,
            match_prior=match_prior.strip() or None,
            prior_sensitivity=bool(prior_sensitivity),
            non_dna_prior=bool(non_dna_prior),
        )
    except PermissionDeniedError:
        raise
    except RepatriaError as e:
        return _runs_page(
            request,
            caller,
            status=422 if isinstance(e, FormatError) else 409,
            run_refused=_said(e),
            run_form=form,
        )
    return RedirectResponse(f"/jobs/{job}", status_code=303)


@router.post("/screens")
async def start_screen(
    request: Request,
    caller: Annotated[Caller, Depends(allow("runs.record"))],
    file: Annotated[UploadFile, File()],
    min_lr: Annotated[str, Form(max_length=40)] = "1",
    top: Annotated[str, Form(max_length=40)] = "10",
    dropout: Annotated[str, Form(max_length=40)] = "",
    drop_in: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    form = {"min_lr": min_lr, "top": top, "dropout": dropout, "drop_in": drop_in}
    data = await file.read(uploads.MAX_UPLOAD_BYTES + 1)
    try:
        job = await run_in_threadpool(
            jobs.start_screen,
            db_of(request),
            actor=caller.name,
            filename=file.filename or "",
            data=data,
            min_lr=_number(min_lr, "the smallest LR kept"),
            top=int(_number(top, "candidates kept per PM or family")),
            dropout=dropout.strip() or None,
            drop_in=_number(drop_in, "the drop-in") if drop_in.strip() else None,
        )
    except PermissionDeniedError:
        raise
    except RepatriaError as e:
        return await run_in_threadpool(
            _runs_page,
            request,
            caller,
            status=422 if isinstance(e, FormatError) else 409,
            screen_refused=_said(e),
            screen_form=form,
        )
    return RedirectResponse(f"/jobs/{job}", status_code=303)


def _said(e: RepatriaError) -> str:
    # The form names the field beside its input: the sentence alone, without "field `x`:".
    return (e.reason if isinstance(e, FormatError) else str(e)).splitlines()[0]


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        raise FormatError(f"{what} must be a number, not {text.strip()[:20]!r}") from None
    if what.startswith("candidates") and not value.is_integer():
        raise FormatError(f"{what} must be a whole number, not {text.strip()[:20]!r}")
    return value


@router.get("/jobs/{job_id}")
def job_page(
    job_id: JobId, request: Request, caller: Annotated[Caller, Depends(allow("jobs.view"))]
) -> Response:
    job = jobs.job_status(db_of(request), job_id, actor=caller.name)
    what = "Screen" if job.kind == "screen" else "Run"
    return render(request, "job.html", title=f"{what} {job.id}", job=job)


@router.post("/imports")
async def upload(
    request: Request,
    caller: Annotated[Caller, Depends(allow("import.claims"))],
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=16)],
) -> Response:
    data = await file.read(uploads.MAX_UPLOAD_BYTES + 1)
    try:
        r = await run_in_threadpool(
            uploads.import_upload,
            db_of(request),
            actor=caller.name,
            kind=kind,
            filename=file.filename or "",
            data=data,
        )
    except FormatError as e:
        return await run_in_threadpool(_runs_page, request, caller, errors=[e], status=422)
    return RedirectResponse(f"/runs?flash={r.message[:300]}", status_code=303)
