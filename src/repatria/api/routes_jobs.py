"""Uploads, and identification runs as background jobs (issue 18's command contract).

- ``POST /imports`` (multipart: ``file``, ``kind``) → 201 ``{"batch": id}``, or 422
  ``{"errors": [{"file", "line", "field", "message"}]}`` with nothing written;
- ``POST /runs`` → 202 ``{"job": id}``; ``GET /jobs/{id}`` → ``{"state", "done", "total", ...}``;
- ``POST /screens`` (multipart: ``file`` = a zip of an imported case folder, ``min_lr``, ``top``,
  ``dropout``, ``drop_in``) → 202 ``{"job": id}``, a screen into the review queue as a job.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from repatria.api.schemas import SafeJSONResponse, _Body
from repatria.api.security import Caller, allow, db_of
from repatria.errors import FormatError
from repatria.services.workflows import jobs, uploads

__all__ = ["router"]

router = APIRouter(default_response_class=SafeJSONResponse)

JobId = Annotated[int, Path(ge=1, le=2_147_483_647, description="job id")]
UploadKind = Literal["case", "persons", "remains", "claims"]
# The roles of the four kinds together; the service then checks the role of the kind uploaded.
_ANY_IMPORTER = "import.claims"
_CHUNK = 1 << 20


class ImportError_(BaseModel):
    file: str | None
    line: int | None
    field: str | None
    message: str


class ImportCreated(BaseModel):
    batch: int
    already_imported: bool = False
    message: str


class ImportRefused(BaseModel):
    errors: list[ImportError_]


class RunRequest(_Body):
    top: int = Field(default=20, ge=1, le=1000, description="candidates kept per body")
    frequency_table: str | None = Field(default=None, max_length=120)
    from_screen: int | None = Field(default=None, ge=1, le=2_147_483_647)
    non_dna: str | None = Field(
        default=None,
        max_length=120,
        description="non-DNA factors stored: all (default), none, or kinds separated by commas",
    )
    dropout: str | None = Field(
        default=None,
        max_length=40,
        description="dropout for samples with none stored: a number in [0, 1) or 'estimate'",
    )
    match_prior: str | None = Field(
        default=None,
        max_length=40,
        description="open-population prior: the share (0, 1] of bodies expected among the "
        "missing, or 'accounting'; none: dvir's flat prior",
    )
    prior_sensitivity: bool = Field(
        default=False, description="each candidate's posterior against the prior (slower)"
    )
    direct_references: bool = Field(
        default=True,
        description="weigh the MPs' own items (a toothbrush, a razor); false leaves them out",
    )
    non_dna_prior: bool = Field(
        default=False,
        description="the non-DNA LRs in the prior's odds instead of beside the LR (needs "
        "match_prior)",
    )


class JobStarted(BaseModel):
    job: int


class JobState(BaseModel):
    job: int
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    step: str
    done: int
    total: int
    eta_s: float | None = Field(description="seconds left in the current step, if known")
    message: str
    result: dict[str, Any] | None
    submitted_by: str


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportCreated,
    responses={422: {"model": ImportRefused}},
    tags=["imports"],
    summary="Import an uploaded case (zip or .fam), persons, remains or claims TSV",
)
async def upload(
    request: Request,
    caller: Annotated[Caller, Depends(allow(_ANY_IMPORTER))],
    file: Annotated[UploadFile, File(description="a zip of a case folder, a TSV or a .fam")],
    kind: Annotated[UploadKind, Form()],
) -> Any:
    data = await _read_limited(file)
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
        error = ImportError_(file=e.file, line=e.line, field=e.field, message=e.reason)
        return SafeJSONResponse({"errors": [error.model_dump()]}, status_code=422)
    return ImportCreated(batch=r.batch, already_imported=r.already_imported, message=r.message)


async def _read_limited(file: UploadFile) -> bytes:
    chunks, size = [], 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > uploads.MAX_UPLOAD_BYTES:
            raise FormatError(
                f"larger than {uploads.MAX_UPLOAD_BYTES // 2**20} MiB", file=file.filename
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/runs",
    status_code=202,
    response_model=JobStarted,
    tags=["runs"],
    summary="Start an identification run in the background",
)
def start_run(
    request: Request,
    caller: Annotated[Caller, Depends(allow("runs.record"))],
    body: RunRequest | None = None,
) -> JobStarted:
    b = body or RunRequest()
    job = jobs.start_identification(
        db_of(request),
        actor=caller.name,
        top=b.top,
        frequency_table=b.frequency_table,
        from_screen=b.from_screen,
        non_dna=b.non_dna,
        dropout=b.dropout,
        match_prior=b.match_prior,
        prior_sensitivity=b.prior_sensitivity,
        non_dna_prior=b.non_dna_prior,
        direct_references=b.direct_references,
    )
    return JobStarted(job=job)


@router.post(
    "/screens",
    status_code=202,
    response_model=JobStarted,
    responses={422: {"model": ImportRefused}},
    tags=["runs"],
    summary="Screen an imported case (uploaded again as a zip) into the review queue, as a job",
)
async def start_screen(
    request: Request,
    caller: Annotated[Caller, Depends(allow("runs.record"))],
    file: Annotated[UploadFile, File(description="a zip of the case folder, as imported")],
    min_lr: Annotated[float, Form(ge=0, description="keep pairings with LR >= this")] = 1.0,
    top: Annotated[
        int, Form(ge=0, le=1_000_000, description="keep the top K of each PM or family; 0: all")
    ] = 10,
    dropout: Annotated[
        str | None,
        Form(max_length=20, description="dropout of samples with none stored: P or 'estimate'"),
    ] = None,
    drop_in: Annotated[float | None, Form(ge=0, lt=1, description="drop-in per marker")] = None,
) -> Any:
    data = await _read_limited(file)
    try:
        job = await run_in_threadpool(
            jobs.start_screen,
            db_of(request),
            actor=caller.name,
            filename=file.filename or "",
            data=data,
            min_lr=min_lr,
            top=top,
            dropout=dropout or None,
            drop_in=drop_in,
        )
    except FormatError as e:
        error = ImportError_(file=e.file, line=e.line, field=e.field, message=e.reason)
        return SafeJSONResponse({"errors": [error.model_dump()]}, status_code=422)
    return JobStarted(job=job)


@router.get(
    "/jobs/{job_id}",
    response_model=JobState,
    tags=["runs"],
    summary="How far a background job is",
)
def job_state(
    job_id: JobId, request: Request, caller: Annotated[Caller, Depends(allow("jobs.view"))]
) -> JobState:
    st = jobs.job_status(db_of(request), job_id, actor=caller.name)
    return JobState(
        job=st.id,
        kind=st.kind,
        state=st.state,
        step=st.step,
        done=st.done,
        total=st.total,
        eta_s=st.eta_s,
        message=st.message,
        result=st.result,
        submitted_by=st.submitted_by,
    )
