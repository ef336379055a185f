"""Screen into review (issue 12): a screen stored as a run and its candidates, on SQLite and
PostgreSQL; identify from a screen's candidates."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repatria.errors import NotFoundError, ServiceError
from repatria.formats.casefolder import read_case_folder
from repatria.kinship.dvi import NOBODY
from repatria.kinship.screening import screen
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    AuditEvent,
    CandidateMatch,
    IdentificationRun,
    Person,
    RunProfile,
    Sample,
)
from repatria.services.pipelines.simulation import write_population_case
from repatria.services.views.queue import review_queue
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.consent import withdraw_consent
from repatria.services.workflows.identify import identify
from repatria.services.workflows.screen_run import (
    SCREEN_KIND,
    screen_into_registry,
    screen_rule,
)


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    return write_population_case(30, 20, 5, tmp_path_factory.mktemp("screen") / "case")


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """Another case with the same ids (V1, M1, F1, ...) and other genotypes."""
    return write_population_case(30, 20, 6, tmp_path_factory.mktemp("screen") / "other")


def _stored(db: str, run: int) -> dict[tuple[str, str], CandidateMatch]:
    with session_scope(db) as s:
        rows = s.execute(
            select(CandidateMatch, Sample.ref, Person.ref)
            .join(Sample, Sample.id == CandidateMatch.sample_id)
            .join(Person, Person.id == CandidateMatch.person_id)
            .where(CandidateMatch.run_id == run)
        ).all()
        for c, _, _ in rows:
            s.expunge(c)
    return {(v, m): c for c, v, m in rows}


def test_a_screen_is_stored_with_its_thresholds_and_candidates(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    seen: list[tuple[str, int, int]] = []
    s = screen_into_registry(
        db, case, actor="ana", min_lr=1.0, top=3, progress=lambda *a: seen.append(a)
    )
    expected = screen(read_case_folder(case), min_lr=1.0, top=3)
    assert s["candidates"] == len(expected) == s["stored"] > 0
    assert s["left_out"] == {"identified": 0, "excluded_in_registry": 0, "lr_zero": 0}
    stored = _stored(db, s["run"])
    assert len(stored) == len(expected)
    for v, fam, m, _, log10_lr in expected.rows():
        c = stored[(v, m)]
        assert c.posterior is None
        assert math.isclose(c.log10_lr, log10_lr, rel_tol=1e-12, abs_tol=1e-12)
        ev = CandidateEvidence.from_json(c.evidence)
        assert ev.family == fam and ev.rule == screen_rule(1.0, 3)
        assert math.isclose(ev.log_lr, log10_lr * math.log(10), rel_tol=1e-12, abs_tol=1e-12)
    with session_scope(db) as ses:
        run = ses.get(IdentificationRun, s["run"])
        assert run.parameters["kind"] == SCREEN_KIND
        assert (run.parameters["min_lr"], run.parameters["top"]) == (1.0, 3)
        assert run.parameters["import_batch"] is not None
        assert run.frequency_table_id is not None and run.input_sha256
        profiles = ses.execute(
            select(func.count()).select_from(RunProfile).where(RunProfile.run_id == run.id)
        ).scalar_one()
        problem = read_case_folder(case)
        typed = sum(len(d) for d in problem.am_profiles.values())
        assert profiles == len(problem.pm) + typed
        audit = ses.execute(
            select(AuditEvent).where(AuditEvent.action == "screen.run")
        ).scalar_one()
        assert audit.detail["candidates"] == s["stored"]
    assert ("store", s["stored"], s["stored"]) in seen and ("registry", 1, 1) in seen
    # The candidates feed the review queue, strongest first.
    queue = review_queue(db, actor="ana").to_propose
    assert len(queue) == s["stored"]
    assert queue[0].log10_lr == max(c.log10_lr for c in stored.values())


def test_a_case_not_in_the_registry_is_named_in_one_line(db: str, case: Path) -> None:
    with pytest.raises(ServiceError) as e:
        screen_into_registry(db, case, actor="ana")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(
        "case case is not all in the registry: 30 of its 30 PM samples (V01, V02, V03, …), "
        "20 of its 20 missing persons (M01, M02, M03, …) and 20 of its 20 reference families"
    ), msg
    assert msg.endswith("import the case first (`repatria import case case`)")


def test_a_case_with_other_genotypes_is_refused(db: str, case: Path, other: Path) -> None:
    import_case(db, case, actor="ana")
    with pytest.raises(ServiceError, match="is not what the registry holds: .* profiles"):
        screen_into_registry(db, other, actor="ana")
    with session_scope(db) as s:
        assert s.execute(select(func.count()).select_from(IdentificationRun)).scalar_one() == 0


def test_only_analysts_store_screens(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    with pytest.raises(ServiceError, match="may not record identification runs"):
        screen_into_registry(db, case, actor="rev")


def test_a_withdrawn_donor_is_screened_untyped(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    problem = read_case_folder(case)
    fam = problem.missing_family[problem.missing[0]]
    donor = sorted(problem.am_profiles[fam])[0]
    withdraw_consent(db, donor, actor="cas", reason="by letter")
    s = screen_into_registry(db, case, actor="ana", top=None, min_lr=0.0)
    with session_scope(db) as ses:
        run = ses.get(IdentificationRun, s["run"])
        assert run.parameters["withdrawn_donors"] == [donor]
    left = dict(problem.am_profiles)
    left[fam] = {p: g for p, g in problem.am_profiles[fam].items() if p != donor}
    expected = screen(dataclasses.replace(problem, am_profiles=left), min_lr=0.0, top=None)
    stored = _stored(db, s["run"])
    for v, _, m, _, log10_lr in expected.rows():
        if math.isfinite(log10_lr):
            assert math.isclose(stored[(v, m)].log10_lr, log10_lr, rel_tol=1e-12, abs_tol=1e-12)
        else:
            assert (v, m) not in stored
    assert s["left_out"]["lr_zero"] == sum(1 for r in expected.rows() if r[4] == -math.inf)


def test_identify_from_a_screen_analyses_only_its_candidates(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    s = screen_into_registry(db, case, actor="ana", top=2)
    cand = set(_stored(db, s["run"]))
    r = identify(db, actor="ana", from_screen=s["run"])
    p = r.analysis.problem
    assert set(p.pm) == {v for v, _ in cand}
    assert {p.missing_family[m] for _, m in cand} == set(p.families)
    for v in p.pm:
        assert set(p.pairings[v]) - {NOBODY} <= {m for w, m in cand if w == v}
        assert NOBODY in p.pairings[v]
    assert {(c.pm, c.missing) for c in r.candidates} <= cand
    with session_scope(db) as ses:
        assert ses.get(IdentificationRun, r.run).parameters["from_screen"] == s["run"]
    with pytest.raises(ServiceError, match=f"run {r.run} is not a screen"):
        identify(db, actor="ana", from_screen=r.run)
    with pytest.raises(NotFoundError, match="there is no identification run 999"):
        identify(db, actor="ana", from_screen=999)
