"""Pages for uploads and identification runs: start them, and watch a run's progress.

The progress page reloads itself (a plain ``<meta http-equiv="refresh">``, no script) until the
job is finished; the job's state is in the registry, so a reload or another browser shows it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from repatria.api.security import Caller, allow, db_of
from repatria.errors import FormatError
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
    request: Request, caller: Caller, *, errors: list[FormatError] | None = None, status: int = 200
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
    )


@router.get("/runs")
def runs_page(request: Request, caller: Annotated[Caller, Depends(allow("jobs.view"))]) -> Response:
    return _runs_page(request, caller)


@router.post("/runs")
def start_run(
    request: Request, caller: Annotated[Caller, Depends(allow("runs.record"))]
) -> Response:
    job = jobs.start_identification(db_of(request), actor=caller.name)
    return RedirectResponse(f"/jobs/{job}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(
    job_id: JobId, request: Request, caller: Annotated[Caller, Depends(allow("jobs.view"))]
) -> Response:
    job = jobs.job_status(db_of(request), job_id, actor=caller.name)
    return render(request, "job.html", title=f"Run {job.id}", job=job)


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
