"""Dropout and drop-in in a screen stored in the registry (issue 13), on SQLite and PostgreSQL.

The rule is identify's: a sample's stored dropout (``profiles.dropout``), else the run's
``dropout`` (a number or ``estimate``); ``drop_in`` for every sample. Without dropout, or at 0,
the stored candidates are today's, bit for bit. The oracle is the screening engine run on the
case folder typed under the same models.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from repatria.errors import ServiceError
from repatria.formats.casefolder import read_case_folder
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.screening import screen
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, IdentificationRun, Person, Sample
from repatria.services.pipelines.simulation import write_population_case
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.screen_run import screen_into_registry


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    return write_population_case(30, 20, 5, tmp_path_factory.mktemp("screen") / "case")


@pytest.fixture(scope="module")
def burned(tmp_path_factory) -> Path:
    """The same case with a ``dropout`` column in pm.tsv: V01 at 0.3, the others empty."""
    folder = write_population_case(30, 20, 5, tmp_path_factory.mktemp("burned") / "burned")
    lines = (folder / "pm.tsv").read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        cells = line.split("\t")
        value = "dropout" if i == 0 else ("0.3" if cells[0] == "V01" else "")
        out.append("\t".join([*cells[:2], value, *cells[2:]]))
    (folder / "pm.tsv").write_text("\n".join(out) + "\n")
    return folder


def _candidates(db: str, run: int) -> dict[tuple[str, str], float]:
    with session_scope(db, read=True) as s:
        rows = s.execute(
            select(Sample.ref, Person.ref, CandidateMatch.log10_lr)
            .join(Sample, Sample.id == CandidateMatch.sample_id)
            .join(Person, Person.id == CandidateMatch.person_id)
            .where(CandidateMatch.run_id == run)
        ).all()
    return {(v, m): lr for v, m, lr in rows}


def _run(db: str, run: int) -> IdentificationRun:
    with session_scope(db, read=True) as s:
        r = s.get(IdentificationRun, run)
        s.expunge(r)
    return r


def _oracle(case: Path, models: dict[str, DropoutModel]) -> dict[tuple[str, str], float]:
    problem = read_case_folder(case)
    if models:
        problem = problem.with_dropout(models)
    res = screen(problem, min_lr=1.0, top=3)
    return {(v, m): lr for v, _, m, _, lr in res.rows()}


def test_no_dropout_or_dropout_zero_gives_todays_screen_bit_for_bit(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    today = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3)
    zero = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3, dropout=0.0)
    zero_in = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3, dropout="0", drop_in=0)
    expected = _candidates(db, today["run"])
    assert expected == _oracle(case, {}) and expected
    for s in (zero, zero_in):
        assert _candidates(db, s["run"]) == expected  # == on floats: bit for bit
    first = _run(db, today["run"])
    assert "dropout" not in first.parameters and "dropout" not in today
    for s in (zero, zero_in):
        run = _run(db, s["run"])
        assert run.input_sha256 == first.input_sha256
        assert run.parameters["dropout"]["samples_modelled"] == 0
        assert run.parameters["dropout"]["default"] == 0.0


def test_a_dropout_for_every_sample_is_the_engines_and_recorded(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    today = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3)
    s = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3, dropout=0.1)
    pm = read_case_folder(case).pm
    got = _candidates(db, s["run"])
    expected = _oracle(case, {v: DropoutModel(0.1) for v in pm})
    assert got.keys() == expected.keys()
    for k, lr in expected.items():
        assert math.isclose(got[k], lr, rel_tol=1e-12, abs_tol=1e-12)
    assert got != _candidates(db, today["run"])
    run = _run(db, s["run"])
    rec = run.parameters["dropout"]
    assert rec["default"] == 0.1 and rec["samples_modelled"] == len(pm)
    assert "no drop-in" in rec["model"] and rec["samples"] == {v: 0.1 for v in pm}
    assert s["dropout"]["default"] == 0.1
    assert run.input_sha256 != _run(db, today["run"]).input_sha256


def test_drop_in_puts_every_sample_under_the_model(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    s = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3, dropout=0.05, drop_in=0.02)
    pm = read_case_folder(case).pm
    got = _candidates(db, s["run"])
    expected = _oracle(case, {v: DropoutModel(0.05, 0.02) for v in pm})
    assert got.keys() == expected.keys()
    for k, lr in expected.items():
        assert math.isclose(got[k], lr, rel_tol=1e-12, abs_tol=1e-12)
    rec = _run(db, s["run"]).parameters["dropout"]
    assert rec["drop_in"] == 0.02 and "drop-in 0.02" in rec["model"]


def test_the_stored_dropout_of_a_profile_wins_over_the_runs(db: str, burned: Path) -> None:
    import_case(db, burned, actor="ana")
    pm = read_case_folder(burned).pm
    alone = screen_into_registry(db, burned, actor="ana", min_lr=1.0, top=3)
    assert _candidates(db, alone["run"]) == _oracle(burned, {"V01": DropoutModel(0.3)})
    rec = _run(db, alone["run"]).parameters["dropout"]
    assert rec["stored"] == {"V01": 0.3} and rec["samples"] == {"V01": 0.3}
    both = screen_into_registry(db, burned, actor="ana", min_lr=1.0, top=3, dropout=0.1)
    models = {v: DropoutModel(0.3 if v == "V01" else 0.1) for v in pm}
    got, expected = _candidates(db, both["run"]), _oracle(burned, models)
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[k], x, rel_tol=1e-12, abs_tol=1e-12) for k, x in expected.items())


def test_estimate_records_each_samples_estimate(db: str, case: Path) -> None:
    import_case(db, case, actor="ana")
    s = screen_into_registry(db, case, actor="ana", min_lr=1.0, top=3, dropout="estimate")
    rec = _run(db, s["run"]).parameters["dropout"]
    assert rec["default"] == "estimate" and "estimated" in rec and "estimate_model" in rec
    assert set(rec["estimated"]) == set(read_case_folder(case).pm)
    assert all(0 <= d < 1 for d in rec["estimated"].values())


@pytest.mark.parametrize(
    ("dropout", "drop_in", "words"),
    [(1.0, None, "dropout must be"), ("often", None, "dropout must be"), (0.1, 1.5, "drop-in")],
)
def test_a_bad_dropout_is_refused_in_one_line(
    db: str, case: Path, dropout: object, drop_in: float | None, words: str
) -> None:
    import_case(db, case, actor="ana")
    with pytest.raises(ServiceError, match=words) as e:
        screen_into_registry(db, case, actor="ana", dropout=dropout, drop_in=drop_in)  # type: ignore[arg-type]
    assert "\n" not in str(e.value)


def test_the_command_takes_dropout_and_drop_in_with_db(db: str, case: Path) -> None:
    from repatria.cli.main import app

    import_case(db, case, actor="ana")
    args = ["screen", str(case), "--db", db, "--as", "ana", "--top", "3", "--json"]
    r = CliRunner().invoke(app, [*args, "--dropout", "0.1", "--drop-in", "0.01"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    rec = _run(db, summary["run"]).parameters["dropout"]
    assert rec["default"] == 0.1 and rec["drop_in"] == 0.01
    r = CliRunner().invoke(app, [*args, "--dropout", "estimate"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["screen", str(case), "--dropout", "estimate"])
    assert r.exit_code != 0 and "estimate needs --db" in r.output
