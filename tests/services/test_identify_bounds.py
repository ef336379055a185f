"""identify keeps the proven posterior interval with each candidate, and raises a candidate by a
posterior only through the interval's lower end."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import CandidateMatch
from repatria.services.workflows import identify
from repatria.services.workflows.case_import import import_case

runner = CliRunner()


def test_candidates_carry_their_certified_interval(db: str, tmp_path: Path) -> None:
    case = tmp_path / "case"
    r = runner.invoke(app, ["simulate", "dvi", "--victims", "5", "--families", "4", str(case)])
    assert r.exit_code == 0, r.output
    import_case(db, case, actor="ana")
    result = identify.identify(db, actor="ana")
    assert result.candidates
    with session_scope(db) as s:
        rows = s.execute(select(CandidateMatch)).scalars().all()
        assert rows
        for row in rows:
            ev = CandidateEvidence.from_json(row.evidence)
            assert ev.posterior_lower is not None and ev.posterior_upper is not None
            assert 0 <= ev.posterior_lower <= ev.posterior_upper <= 1
            if row.posterior is not None:
                assert ev.posterior_lower - 1e-12 <= row.posterior <= ev.posterior_upper + 1e-12
    assert "proven lower bound" in identify.CANDIDATE_RULE
