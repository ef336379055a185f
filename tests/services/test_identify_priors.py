"""identify's prior sensitivity table and its non-DNA prior (issue 13), on SQLite and PostgreSQL.

The case is test_non_dna_identify's: three male bodies, two missing men with records (sex, age,
unit, place, date, a passport found on every body that is M1's).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from test_non_dna_identify import _candidates, _case, _stored
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.errors import ServiceError
from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.joint import joint_dvi
from repatria.kinship.prior_sensitivity import DEFAULT_P, FLAT, prior_sensitivity
from repatria.kinship.priors import open_population_prior
from repatria.registry.db import session_scope
from repatria.registry.models import Body, IdentificationRun, Person
from repatria.services.views.matches import match_detail
from repatria.services.workflows.identify import identify
from repatria.services.workflows.non_dna_evidence import NonDnaEvidence

KEYS = [*(f"{p:g}" for p in DEFAULT_P), FLAT]


def test_the_table_is_stored_per_candidate_and_in_the_results(
    registry_db: str, tmp_path: Path
) -> None:
    _case(registry_db, tmp_path)
    plain = identify(registry_db, actor="ana")
    assert all(ev.prior_sensitivity is None for ev in _stored(registry_db).values())
    result = identify(registry_db, actor="ana", prior_sensitivity=True)
    a = result.analysis
    pairs = [(c.body, c.person) for c in result.candidates]
    # the same numbers as the kinship table, rerun from scratch
    want = {(x.pm, x.mp): x.posterior_by_p for x in prior_sensitivity(a.problem, a.pairwise, pairs)}
    stored = _stored(registry_db)
    assert stored
    for pair, ev in stored.items():
        assert ev.prior_sensitivity is not None and list(ev.prior_sensitivity) == KEYS
        assert ev.prior_sensitivity == pytest.approx(want[pair], rel=1e-12)
    # the run's posteriors are the flat prior's, and the analysis is unchanged by the table
    for c, before in zip(result.candidates, plain.candidates, strict=True):
        assert c.prior_sensitivity is not None
        assert c.prior_sensitivity[FLAT] == pytest.approx(c.posterior, rel=1e-12)
        assert (c.body, c.person, c.lr, c.posterior) == (
            before.body,
            before.person,
            before.lr,
            before.posterior,
        )
    doc = result.as_dict()
    assert all(list(c["prior_sensitivity"]) == KEYS for c in doc["candidates"])
    assert all("prior_sensitivity" not in c for c in plain.as_dict()["candidates"])
    with session_scope(registry_db, read=True) as s:
        run = s.get_one(IdentificationRun, result.run)
        table = {(x["pm"], x["mp"]) for x in run.results["joint"]["sensitivity"]}
        assert set(pairs) <= table
        assert run.parameters["prior_sensitivity"]["p"] == list(DEFAULT_P)
        assert run.parameters["prior_sensitivity"]["non_dna_in_prior"] is False
        assert "sensitivity" not in s.get_one(IdentificationRun, plain.run).results["joint"]
        assert "prior_sensitivity" not in s.get_one(IdentificationRun, plain.run).parameters
        cid = next(iter(_candidates(s))).id
    m = match_detail(registry_db, cid, actor="ana")
    assert m.prior_sensitivity[-1].prior.startswith("flat over all assignments")
    assert m.prior_sensitivity[0].prior.startswith("open population, p = 0.1")
    assert all(r.posterior_in_words.endswith("%") for r in m.prior_sensitivity)
    assert m.prior_sensitivity_summary


def _pairing_lr(registry_db: str, problem: DVIProblem) -> dict[tuple[str, str], float]:
    """Each allowed pairing's non-DNA LR: the product of the factors test_non_dna_identify
    checks by hand, as identify builds them for a candidate."""
    with session_scope(registry_db, read=True) as s:
        body = {b.ref: b.id for b in s.execute(select(Body)).scalars()}
        person = {p.ref: p.id for p in s.execute(select(Person)).scalars()}
        nd = NonDnaEvidence(s, body, person, problem.pm_sex)
        return {
            (v, m): 10 ** nd.of(v, m)["non_dna_log10_lr"]
            for v in problem.pm
            for m in problem.pairings[v]
            if m != NOBODY
        }


def test_the_non_dna_prior_puts_the_factors_in_the_prior_once(
    registry_db: str, tmp_path: Path
) -> None:
    _case(registry_db, tmp_path)
    beside = identify(registry_db, actor="ana", match_prior=0.5)
    problem, pw = beside.analysis.problem, beside.analysis.pairwise
    lrs = _pairing_lr(registry_db, problem)
    assert len(lrs) == 6 and len(set(lrs.values())) > 1
    inside = identify(
        registry_db, actor="ana", match_prior=0.5, non_dna_prior=True, prior_sensitivity=True
    )
    # the posterior is the joint's under the open prior with the non-DNA LRs in its odds
    by_hand = joint_dvi(problem, pw, top=1, prior=open_population_prior(problem, 0.5, None, lrs))
    stored = _stored(registry_db)
    for c in inside.candidates:
        i, k = problem.pm.index(c.body), problem.missing.index(c.person)
        assert c.posterior == pytest.approx(float(by_hand.marginals[i, k]), rel=1e-9)
        assert c.lr == pytest.approx(
            next(b.lr for b in beside.candidates if (b.body, b.person) == (c.body, c.person)),
            rel=1e-12,
        )  # the autosomal LR is unchanged
        ev = stored[(c.body, c.person)]
        assert ev.non_dna and all(d["in_prior"] is True for d in ev.non_dna)
        assert "non-DNA evidence" in (ev.prior or "")
        # the table varies p with the non-DNA LRs kept in; p = 0.5 is the run's own posterior
        assert c.prior_sensitivity is not None
        assert c.prior_sensitivity["0.5"] == pytest.approx(c.posterior, rel=1e-12)
    # the non-DNA evidence moves the posterior (M1's passport is on every body)
    moved = [
        (c.posterior, b.posterior)
        for c in inside.candidates
        for b in beside.candidates
        if (b.body, b.person) == (c.body, c.person)
    ]
    assert any(abs(x - y) > 1e-6 for x, y in moved)
    with session_scope(registry_db, read=True) as s:
        run = s.get_one(IdentificationRun, inside.run)
        said = run.parameters["non_dna_prior"]
        assert "not multiplied into the combined LR" in said["where"]
        assert said["pairings_weighed"] == len(lrs)
        assert run.parameters["prior_sensitivity"]["non_dna_in_prior"] is True
        cid = next(c.id for c in _candidates(s))
    # the match page counts the factors in the posterior only: the combined LR is the DNA's
    m = match_detail(registry_db, cid, actor="ana")
    non_dna = [f for f in m.factors if f.source == "non-DNA"]
    assert non_dna and not any(f.counted for f in non_dna)
    assert all("in the prior" in f.lr_in_words for f in non_dna)
    dna = [f.log10_lr for f in m.factors if f.counted and f.log10_lr is not None]
    assert m.combined_log10_lr == pytest.approx(sum(dna), rel=1e-12)
    assert "non-DNA evidence" in m.posterior_in_words
    # and the identification report says where the evidence went
    import io

    from pypdf import PdfReader

    from repatria.reports.identification import identification_pdf

    pages = PdfReader(io.BytesIO(identification_pdf(m))).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "put this evidence into the prior of the posterior probability" in text


def test_the_non_dna_prior_needs_an_open_prior_and_factors(
    registry_db: str, tmp_path: Path
) -> None:
    _case(registry_db, tmp_path)
    with pytest.raises(ServiceError, match="give --match-prior P or accounting"):
        identify(registry_db, actor="ana", non_dna_prior=True)
    with pytest.raises(ServiceError, match="no non-DNA factor"):
        identify(registry_db, actor="ana", match_prior=0.5, non_dna="none", non_dna_prior=True)
    with session_scope(registry_db, read=True) as s:
        assert not list(s.execute(select(IdentificationRun)).scalars())


def test_the_command_takes_both_options(registry_db: str, tmp_path: Path) -> None:
    _case(registry_db, tmp_path)
    runner = CliRunner()
    args = ["identify", "--as", "ana", "--db", registry_db]
    r = runner.invoke(app, [*args, "--prior-sensitivity"])
    assert r.exit_code == 0, r.stderr
    assert "posterior of each candidate against the prior" in r.stdout
    r = runner.invoke(
        app, [*args, "--json", "--match-prior", "0.5", "--non-dna-prior", "--prior-sensitivity"]
    )
    assert r.exit_code == 0, r.stderr
    cands = json.loads(r.stdout)["candidates"]
    assert cands and all(list(c["prior_sensitivity"]) == KEYS for c in cands)
    assert all(d["in_prior"] for c in cands for d in c["non_dna"])
    r = runner.invoke(app, [*args, "--non-dna-prior"])
    assert r.exit_code == 1 and "--match-prior" in r.stderr and "Traceback" not in r.stderr
