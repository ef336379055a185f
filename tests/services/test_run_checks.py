"""The kinship checks reach review through identify, on SQLite and PostgreSQL (issue 13, 5):
a stepfather recorded as the father is flagged on the pairing he hides, with the LR without
him; families with no typed reference raise no candidate; the policy reads the flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repatria.formats.casefolder import write_case_folder
from repatria.kinship import DVIProblem, Individual, Pedigree, simulate_profiles
from repatria.kinship.checks import typed_references
from repatria.kinship.dvi import NOBODY
from repatria.kinship.pedigree import Sex
from repatria.services.access.users import add_user
from repatria.services.pipelines.simulation import simulate_dvi_case
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify
from repatria.services.workflows.run_checks import run_checks


def _stepfather_case() -> tuple[DVIProblem, str, str]:
    sim = simulate_dvi_case(10, 10, 1)
    p = sim.problem
    inv = {m: v for v, m in sim.truth.items() if m != NOBODY}
    fam = next(
        f
        for f in p.families
        if {r.rsplit("-", 1)[1] for r in typed_references(p, f)} == {"FA", "MO"}
        and p.family_missing[f][0] in inv
    )
    mp = p.family_missing[fam][0]
    man = Pedigree([Individual("X", sex=Sex.MALE)])
    am = {f: dict(d) for f, d in p.am_profiles.items()}
    am[fam][f"{fam}-FA"] = simulate_profiles(man, p.markers, np.random.default_rng(99))["X"]
    case = DVIProblem(
        p.markers, p.pm, p.pm_sex, p.pm_profiles, p.families, am, p.missing, p.missing_family,
        dict(p.pairings),
    )  # fmt: skip
    return case, inv[mp], mp


def test_run_checks_flag_the_pairing_the_stepfather_hides() -> None:
    from repatria.kinship.dvi import pairwise_lr

    case, v, mp = _stepfather_case()
    checked = run_checks(case, pairwise_lr(case))
    names, sentences = checked.of(v, mp)
    assert names == ("misattributed relationship",)
    assert "LR without" in sentences[0]
    assert not checked.raisable(v, mp, 0.0) and not checked.raisable(v, mp, 1e-15)


def test_identify_raises_the_flagged_pairing_for_review(registry_db: str, tmp_path: Path) -> None:
    from repatria.services.workflows import policy

    case, v, mp = _stepfather_case()
    write_case_folder(case, tmp_path / "case")
    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, tmp_path / "case", actor="ana")
    result = identify(registry_db, actor="ana")
    flagged = [c for c in result.candidates if c.person == mp and c.body == v]
    assert len(flagged) == 1 and (flagged[0].exclusions or 0) > 2
    from repatria.registry.db import session_scope
    from repatria.registry.models import CandidateMatch

    with session_scope(registry_db, read=True) as s:
        cand = s.get(CandidateMatch, flagged[0].id)
        verdict = policy.verdict_of(s, cand)
    checks = next(r for r in verdict.results if r.rule == "checks")
    assert checks.status == "failed" and "misattributed" in checks.text


def test_a_family_with_no_typed_reference_raises_nothing() -> None:
    from repatria.kinship.dvi import pairwise_lr

    p = simulate_dvi_case(6, 6, 2).problem
    fam = next(iter(p.families))
    am = {f: ({} if f == fam else dict(d)) for f, d in p.am_profiles.items()}
    case = DVIProblem(
        p.markers, p.pm, p.pm_sex, p.pm_profiles, p.families, am, p.missing, p.missing_family,
        dict(p.pairings),
    )  # fmt: skip
    pw = pairwise_lr(case)
    checked = run_checks(case, pw)
    mp = case.family_missing[fam][0]
    assert mp in checked.uninformative and any("no typed reference" in n for n in checked.notes)
    k = case.missing.index(mp)
    for i, v in enumerate(case.pm):
        if not np.isnan(pw.log_lr[i, k]):
            assert not checked.raisable(v, mp, float(pw.log_lr[i, k]))
