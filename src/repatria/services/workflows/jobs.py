"""Identification runs and screens as background jobs, started from a page or the API and
watched from any.

A job is a row (:class:`~repatria.registry.models.Job`) that holds its whole state, so a
progress page survives a reload, another browser, or a second person looking. The work runs
in one worker thread of the server process (one run at a time: runs are CPU-bound and each
must see the registry whole; :func:`identify` refuses to store a run if the registry changed
under it). Progress comes through the one protocol of :mod:`repatria.services.progress` and
is written at most every :data:`WRITE_EVERY` seconds, in short transactions of its own, so a
reader never waits on it.

A screen (kind ``"screen"``) screens a case folder uploaded as a zip with the request: it is
unpacked into a private temporary folder, checked to be a case the registry imported (the
same SHA-256 as an import batch), and removed when the job ends.

A job whose server stopped while it ran is reported as failed ("interrupted") once nobody has
written to it for :data:`STALE` and it is not running in this process.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from repatria.errors import FormatError, NotFoundError, RepatriaError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import ImportBatch, Job, User, utcnow
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require, require_reader
from repatria.services.pipelines.sample_dropout import check_drop_in, dropout_setting
from repatria.services.progress import Progress, eta_seconds
from repatria.services.workflows import uploads
from repatria.services.workflows.case_files import case_sha256
from repatria.services.workflows.match_prior import resolve_match_prior
from repatria.services.workflows.non_dna_evidence import non_dna_kinds

__all__ = [
    "JOB_STATES",
    "STALE",
    "WRITE_EVERY",
    "JobStatus",
    "job_status",
    "recent_jobs",
    "start_identification",
    "start_screen",
]

JOB_STATES = ("queued", "running", "done", "failed")
WRITE_EVERY = 0.5  # seconds between progress writes of one job
STALE = dt.timedelta(minutes=5)
INTERRUPTED = "interrupted: the server stopped while this run was going; start the run again"
UNEXPECTED = "the run failed on an unexpected error; the server log has the details"

log = logging.getLogger("repatria.jobs")
_executor: ThreadPoolExecutor | None = None
_live: set[int] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class JobStatus:
    """What a progress page and ``GET /api/v1/jobs/{id}`` show."""

    id: int
    kind: str
    state: str
    step: str
    done: int
    total: int
    submitted_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    eta_s: float | None
    message: str
    result: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def start_identification(
    db: str | None,
    *,
    actor: str,
    top: int = 20,
    frequency_table: str | None = None,
    from_screen: int | None = None,
    non_dna: str | None = None,
    dropout: float | str | None = None,
    match_prior: float | str | None = None,
    prior_sensitivity: bool = False,
    non_dna_prior: bool = False,
    direct_references: bool = True,
) -> int:
    """Queue an identification run by ``actor`` (who must be allowed to record runs); its job id.

    ``non_dna``: the non-DNA factors to store ("all" when ``None``, "none", or kinds); the other
    options as :func:`~repatria.services.workflows.identify.identify` takes them. Refused
    before queuing, naming the field.
    """
    params: dict[str, Any] = {"top": top}
    if non_dna is not None:
        params["non_dna"] = ",".join(non_dna_kinds(non_dna)) or "none"
    if frequency_table is not None:
        params["frequency_table"] = frequency_table
    if from_screen is not None:
        params["from_screen"] = from_screen
    if dropout is not None:
        try:
            params["dropout"] = dropout_setting(dropout)
        except ServiceError as e:
            raise FormatError(str(e), field="dropout") from None
    if match_prior is not None:
        params["match_prior"] = match_prior
    if prior_sensitivity:
        params["prior_sensitivity"] = True
    if non_dna_prior:
        if match_prior is None:
            raise FormatError(
                "the non-DNA evidence can enter the prior only with a match prior: give the "
                "share of bodies expected to be among the missing, or 'accounting'",
                field="match_prior",
            )
        params["non_dna_prior"] = True
    if not direct_references:
        params["direct_references"] = False
    with session_scope(db) as session:
        user = require(session, actor, "runs.record")
        if match_prior is not None:
            try:
                resolve_match_prior(session, match_prior)
            except ServiceError as e:
                raise FormatError(str(e), field="match_prior") from None
        job = Job(kind="identify", state="queued", step="", done=0, total=0, message="")
        job.parameters, job.submitted_by_id = params, user.id
        session.add(job)
        session.flush()
        job_id = job.id
        log_event(session, user.name, "jobs.start", "job", job_id, kind="identify", **params)
    _submit(db, job_id, _identification(db, actor, params))
    return job_id


def start_screen(
    db: str | None,
    *,
    actor: str,
    filename: str,
    data: bytes,
    min_lr: float = 1.0,
    top: int = 10,
    dropout: float | str | None = None,
    drop_in: float | None = None,
) -> int:
    """Queue a screen by ``actor`` (who must be allowed to record runs) of the case uploaded as
    ``data`` (a zip of a case folder, named ``filename``); its job id.

    The case must be one the registry imported, byte for byte; ``min_lr``, ``top`` (0: no
    limit), ``dropout`` and ``drop_in`` as ``repatria screen --db``. Refused before queuing.
    """
    if not min_lr >= 0:  # NaN too
        raise FormatError(f"the smallest LR kept must be 0 or more, got {min_lr:g}", field="min_lr")
    if top < 0:
        raise FormatError(f"candidates kept must be 0 or more, got {top}", field="top")
    try:
        setting = dropout_setting(dropout)
    except ServiceError as e:
        raise FormatError(str(e), field="dropout") from None
    try:
        check_drop_in(drop_in)
    except ServiceError as e:
        raise FormatError(str(e), field="drop_in") from None
    with session_scope(db, read=True) as session:
        require(session, actor, "runs.record")  # refuse before unpacking anything
    root = Path(tempfile.mkdtemp(prefix="repatria-screen-"))
    try:
        folder, name = uploads.unpack_case(data, filename, root)
        sha = case_sha256(folder)
        with session_scope(db) as session:
            user = require(session, actor, "runs.record")
            batch = session.execute(
                select(ImportBatch.id)
                .where(ImportBatch.kind == "case", ImportBatch.sha256 == sha)
                .order_by(ImportBatch.id)
            ).scalar()
            if batch is None:
                raise ServiceError(
                    f"{name} is not a case the registry imported (no import holds these files); "
                    "import it first, then screen the same zip"
                )
            params: dict[str, Any] = {
                "case": name,
                "case_sha256": sha,
                "import_batch": batch,
                "min_lr": min_lr,
                "top": top,
            }
            if setting is not None:
                params["dropout"] = setting
            if drop_in is not None:
                params["drop_in"] = drop_in
            job = Job(kind="screen", state="queued", step="", done=0, total=0, message="")
            job.parameters, job.submitted_by_id = params, user.id
            session.add(job)
            session.flush()
            job_id = job.id
            log_event(session, user.name, "jobs.start", "job", job_id, kind="screen", **params)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    _submit(db, job_id, _screen(db, actor, params, folder, root), cleanup=root)
    return job_id


def job_status(db: str | None, job_id: int, *, actor: str) -> JobStatus:
    """The state of job ``job_id`` as ``actor`` may see it."""
    with session_scope(db, read=True) as session:
        require_reader(session, actor, "jobs.view")
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"there is no job {job_id}")
        who = session.get(User, job.submitted_by_id)
        status = _status(job, who.name if who else "?")
    if not status.finished and _abandoned(job_id, status, job.updated_at):
        _finish(db, job_id, "failed", INTERRUPTED, None)
        return job_status(db, job_id, actor=actor)
    return status


def recent_jobs(db: str | None, *, actor: str, limit: int = 20) -> list[JobStatus]:
    """The newest ``limit`` jobs, newest first, as ``actor`` may see them."""
    with session_scope(db, read=True) as session:
        require_reader(session, actor, "jobs.view")
        rows = session.execute(
            select(Job, User.name)
            .join(User, User.id == Job.submitted_by_id)
            .order_by(Job.id.desc())
            .limit(limit)
        ).all()
        return [_status(job, name) for job, name in rows]


def _status(job: Job, submitted_by: str) -> JobStatus:
    eta = None
    if job.state == "running" and job.step_started_at is not None and job.total:
        elapsed = (utcnow() - job.step_started_at).total_seconds()
        eta = eta_seconds(job.done, job.total, elapsed)
    return JobStatus(
        id=job.id,
        kind=job.kind,
        state=job.state,
        step=job.step,
        done=job.done,
        total=job.total,
        submitted_by=submitted_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
        eta_s=eta,
        message=job.message,
        result=job.result,
    )


def _abandoned(job_id: int, status: JobStatus, updated_at: dt.datetime) -> bool:
    with _lock:
        if job_id in _live:
            return False
    return utcnow() - updated_at > STALE


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="repatria-job")
        return _executor


#: The work of a job: given the progress callback, its message and result when done.
_Work = Callable[[Progress], tuple[str, dict[str, Any]]]


def _submit(db: str | None, job_id: int, work: _Work, cleanup: Path | None = None) -> None:
    with _lock:
        _live.add(job_id)
    try:
        _pool().submit(_run, db, job_id, work, cleanup)
    except BaseException:
        with _lock:
            _live.discard(job_id)
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise


def _identification(db: str | None, actor: str, params: dict[str, Any]) -> _Work:
    def work(progress: Progress) -> tuple[str, dict[str, Any]]:
        from repatria.services.workflows.identify import identify

        result = identify(db, actor=actor, progress=progress, **params)
        summary = {"run": result.run, "candidates": len(result.candidates)}
        return f"run {result.run} stored with {len(result.candidates)} candidates", summary

    return work


def _screen(db: str | None, actor: str, params: dict[str, Any], folder: Path, root: Path) -> _Work:
    def work(progress: Progress) -> tuple[str, dict[str, Any]]:
        from repatria.services.workflows.screen_run import screen_into_registry

        try:
            s = screen_into_registry(
                db,
                folder,
                actor=actor,
                min_lr=params["min_lr"],
                top=params["top"] or None,
                dropout=params.get("dropout"),
                drop_in=params.get("drop_in"),
                case_name=params["case"],
                progress=progress,
            )
        except RepatriaError as e:  # the uploaded files as the uploader named them
            raise uploads.as_uploaded(e, root, params["case"]) from None
        summary = {
            "run": s["run"],
            "candidates": s["stored"],
            "pairs_screened": s["pairs_screened"],
            "left_out": s["left_out"],
            "warnings": s.get("warnings", []),
        }
        message = f"screening run {s['run']} stored with {s['stored']:,} candidate matches"
        return message, summary

    return work


def _run(db: str | None, job_id: int, work: _Work, cleanup: Path | None) -> None:
    writer = _ProgressWriter(db, job_id)
    try:
        _update(db, job_id, state="running", started_at=utcnow())
        writer.start()
        message, summary = work(writer.report)
        writer.stop()
        _finish(db, job_id, "done", message, summary)
    except RepatriaError as e:  # refusals and format errors: one line, safe to show
        writer.stop()
        _finish(db, job_id, "failed", str(e).splitlines()[0], None)
    except Exception as e:  # noqa: BLE001  the job must end in a state, whatever happened
        writer.stop()
        log.error("job %s failed: %s", job_id, type(e).__name__, exc_info=e)
        _finish(db, job_id, "failed", UNEXPECTED, None)
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        with _lock:
            _live.discard(job_id)


class _ProgressWriter:
    """Writes a job's progress from a thread of its own, the newest report winning.

    The run reports some steps from inside its own write transaction (reading the registry,
    storing the run); on SQLite a progress write from the same thread would wait on that
    transaction's lock, so the run only hands its reports over and never waits for a write.
    """

    def __init__(self, db: str | None, job_id: int) -> None:
        self.db, self.job_id = db, job_id
        self._pending: dict[str, Any] | None = None
        self._step = ""
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def report(self, step: str, done: int, total: int) -> None:
        with self._wake:
            changes: dict[str, Any] = {"step": step, "done": done, "total": total}
            if step != self._step:
                self._step = step
                changes["step_started_at"] = utcnow()
            elif self._pending and "step_started_at" in self._pending:
                changes["step_started_at"] = self._pending["step_started_at"]
            self._pending = changes
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stopping:
                    self._wake.wait()
                changes, self._pending = self._pending, None
                stopping = self._stopping
            if changes is not None:
                try:
                    _update(self.db, self.job_id, **changes)
                except RepatriaError:  # a progress line lost to a busy database: not fatal
                    log.warning("job %s: progress not written", self.job_id)
            if stopping:
                return
            time.sleep(WRITE_EVERY)


def _update(db: str | None, job_id: int, **changes: Any) -> None:
    with session_scope(db) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise ServiceError(f"there is no job {job_id}")
        for name, value in changes.items():
            setattr(job, name, value)
        job.updated_at = utcnow()


def _finish(
    db: str | None, job_id: int, state: str, message: str, result: dict[str, Any] | None
) -> None:
    with session_scope(db) as session:
        job = session.execute(select(Job).where(Job.id == job_id)).scalar_one()
        if job.state in ("done", "failed"):
            return
        job.state, job.message, job.result = state, message[:2000], result
        if state == "done":
            job.done = job.total = max(job.total, 1)
        job.finished_at = job.updated_at = utcnow()
