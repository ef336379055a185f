"""Screens as background jobs (issue 18), on SQLite and PostgreSQL: the case uploaded as a zip
with the request, checked to be an imported case, screened by the job worker with progress
counts, the screen's run stored, the unpacked folder removed; refusals before queuing."""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from repatria.errors import FormatError, PermissionDeniedError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent, IdentificationRun, Job
from repatria.services.pipelines.simulation import write_population_case
from repatria.services.workflows import jobs
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.screen_run import SCREEN_KIND, screen_into_registry


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    return write_population_case(30, 20, 5, tmp_path_factory.mktemp("screen") / "case")


@pytest.fixture(autouse=True)
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The screens' temporary folders in this test's own, to see that they are removed."""
    root = tmp_path / "tmp"
    root.mkdir()
    mkdtemp = tempfile.mkdtemp

    def in_root(suffix=None, prefix=None, dir=None):  # noqa: ANN001, ANN202, A002
        if prefix == "repatria-screen-":
            dir = root  # noqa: A001
        return mkdtemp(suffix, prefix, dir)

    monkeypatch.setattr(tempfile, "mkdtemp", in_root)
    return root


def _zip(folder: Path, change: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            text = (change or {}).get(p.name)
            z.writestr(f"{folder.name}/{p.name}", p.read_bytes() if text is None else text)
    return buf.getvalue()


def _wait(db: str, job: int) -> jobs.JobStatus:
    deadline = time.monotonic() + 120
    while True:
        st = jobs.job_status(db, job, actor="rev")
        assert 0 <= st.done <= max(st.total, 1)
        if st.finished:
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.05)


def test_a_screen_job_stores_the_same_run_as_the_command(db: str, case: Path, own_tmp) -> None:  # noqa: ANN001
    import_case(db, case, actor="ana")
    job = jobs.start_screen(
        db, actor="ana", filename="exchange.zip", data=_zip(case), min_lr=1.0, top=3
    )
    st = _wait(db, job)
    assert st.state == "done", st.message
    assert st.kind == "screen" and st.submitted_by == "ana"
    assert st.done == st.total >= 1
    assert st.message.startswith(f"screening run {st.result['run']} stored with")
    cli = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3)
    assert st.result["candidates"] == cli["stored"] > 0
    assert st.result["left_out"] == cli["left_out"]
    with session_scope(db, read=True) as s:
        run = s.get(IdentificationRun, st.result["run"])
        assert run.parameters["kind"] == SCREEN_KIND and run.parameters["case"] == "exchange.zip"
        assert run.parameters["top"] == 3 and "dropout" not in run.parameters
        assert run.input_sha256 == s.get(IdentificationRun, cli["run"]).input_sha256
        assert run.results["case"] == "exchange.zip"
        row = s.get(Job, job)
        assert row.parameters["import_batch"] >= 1 and row.finished_at is not None
        assert any(
            e.action == "jobs.start" and e.entity_id == str(job)
            for e in s.query(AuditEvent).filter(AuditEvent.entity == "job")
        )
    assert list(own_tmp.iterdir()) == []  # the unpacked case is gone
    assert job in [j.id for j in jobs.recent_jobs(db, actor="rev")]


def test_a_screen_job_takes_dropout_and_drop_in(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    job = jobs.start_screen(
        db, actor="ana", filename="c.zip", data=_zip(case), top=3, dropout="0.1", drop_in=0.01
    )
    st = _wait(db, job)
    assert st.state == "done", st.message
    with session_scope(db, read=True) as s:
        rec = s.get(IdentificationRun, st.result["run"]).parameters["dropout"]
    assert rec["default"] == 0.1 and rec["drop_in"] == 0.01


def test_a_case_not_imported_is_refused_before_queuing(db: str, case: Path, own_tmp) -> None:  # noqa: ANN001
    import_case(db, case, actor="ana")
    before = len(jobs.recent_jobs(db, actor="ana"))
    pm = (case / "pm.tsv").read_text().replace("V01\t", "V01x\t", 1)
    with pytest.raises(ServiceError, match="not a case the registry imported") as e:
        jobs.start_screen(db, actor="ana", filename="edited.zip", data=_zip(case, {"pm.tsv": pm}))
    assert "edited.zip" in str(e.value) and "import it first" in str(e.value)
    assert str(own_tmp) not in str(e.value)
    assert len(jobs.recent_jobs(db, actor="ana")) == before
    assert list(own_tmp.iterdir()) == []


def test_only_those_who_record_runs_start_screens(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    with pytest.raises(PermissionDeniedError):
        jobs.start_screen(db, actor="rev", filename="c.zip", data=_zip(case))


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"min_lr": -1.0}, "min_lr", "0 or more"),
        ({"top": -2}, "top", "0 or more"),
        ({"dropout": "often"}, "dropout", "dropout must be a number in [0, 1) or 'estimate'"),
        ({"dropout": "1"}, "dropout", "below 1"),
        ({"drop_in": 2.0}, "drop_in", "drop-in must be"),
    ],
)
def test_bad_options_are_refused_by_field(
    db: str, case: Path, options: dict, field: str, words: str
) -> None:
    with pytest.raises(FormatError, match=words.replace("[", r"\[").replace(")", r"\)")) as e:
        jobs.start_screen(db, actor="ana", filename="c.zip", data=_zip(case), **options)
    assert e.value.field == field


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [("case.fam", b"x", "a .zip of a case folder"), ("junk.zip", b"PK-no", "not a zip archive")],
)
def test_an_upload_that_is_no_case_zip_is_refused(
    db: str, name: str, data: bytes, words: str, own_tmp
) -> None:  # noqa: ANN001
    with pytest.raises(FormatError, match=words) as e:
        jobs.start_screen(db, actor="ana", filename=name, data=data)
    assert e.value.file == name and list(own_tmp.iterdir()) == []


def test_a_screen_job_writes_its_progress_by_counts(
    db: str, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's counts come from the job row: the screen's steps are written there."""
    import_case(db, case, actor="ana")
    written: list[dict] = []
    update = jobs._update

    def spy(db_: str | None, job_id: int, **changes: object) -> None:
        written.append(dict(changes))
        update(db_, job_id, **changes)

    monkeypatch.setattr(jobs, "_update", spy)
    monkeypatch.setattr(jobs, "WRITE_EVERY", 0.0)
    st = _wait(db, jobs.start_screen(db, actor="ana", filename="c.zip", data=_zip(case), top=3))
    assert st.state == "done", st.message
    steps = [w for w in written if "step" in w]
    assert steps and {w["step"] for w in steps} <= {"read", "registry", "tables", "screen", "store"}
    assert any(w["total"] >= 1 and 0 <= w["done"] <= w["total"] for w in steps)
