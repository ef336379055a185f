"""``repatria identify --dropout P|estimate --match-prior P|accounting`` (issue 13): the options
reach the run, its parameters say what was used, bad values are one line."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.registry.db import session_scope
from repatria.registry.models import IdentificationRun

runner = CliRunner()


def _ok(db: str, *args: str) -> str:
    r = runner.invoke(app, [*args, "--db", db])
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r.stdout


def test_identify_takes_dropout_and_match_prior(registry_db: str, reference_cases: Path) -> None:
    db = registry_db
    _ok(db, "users", "add", "ana", "--role", "analyst")
    _ok(db, "import", "case", str(reference_cases / "example2"), "--as", "ana")
    out = json.loads(
        _ok(db, "identify", "--json", "--as", "ana", "--dropout", "estimate",
            "--match-prior", "accounting")
    )  # fmt: skip
    with session_scope(db, read=True) as s:
        run = s.execute(
            select(IdentificationRun).where(IdentificationRun.id == out["run"])
        ).scalar_one()
        params = dict(run.parameters)
    assert params["dropout"]["default"] == "estimate" and params["dropout"]["estimated"]
    assert params["match_prior"]["from"] == "accounting"
    assert 0 < params["match_prior"]["p"] <= 1
    assert str(params["prior"]).startswith("open population")
    for option, bad, words in (
        ("--match-prior", "nobody", "the match prior must be a number in (0, 1] or 'accounting'"),
        ("--dropout", "1", "dropout must be at least 0 and below 1"),
    ):
        r = runner.invoke(app, ["identify", "--as", "ana", option, bad, "--db", db])
        assert r.exit_code != 0
        line = " ".join(r.stderr.split())
        assert words in line and "Traceback" not in r.stderr, line
