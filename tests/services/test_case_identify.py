"""Case import and identify on SQLite and PostgreSQL: the numbers survive the round trip exactly."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from registry_samples import write_persons, write_remains
from sqlalchemy import func, select

from repatria.errors import FormatError, RegistryError, ServiceError
from repatria.formats.matrix_record import decode_matrix
from repatria.kinship.conclusions import dvi_solve
from repatria.kinship.dvi import pairwise_lr
from repatria.registry.db import session_scope
from repatria.registry.models import (
    AuditEvent,
    Base,
    CandidateMatch,
    Donor,
    IdentificationRun,
    Person,
    Remains,
    RunProfile,
    Sample,
)
from repatria.services.access.audit import FORBIDDEN_DETAIL
from repatria.services.pipelines.dvi_analysis import read_case
from repatria.services.workflows.case_import import case_sha256, import_case
from repatria.services.workflows.consent import withdraw_consent
from repatria.services.workflows.identify import (
    POSTERIOR_THRESHOLD,
    identify,
    problem_from_registry,
)
from repatria.services.workflows.imports import import_persons, import_remains

REL = 1e-9


def _counts(db: str) -> dict[str, int]:
    with session_scope(db) as s:
        return {
            name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in Base.metadata.tables.items()
            if name != "audit_events"
        }


def _copy_case(reference_cases: Path, name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copytree(reference_cases / name, dst, ignore=shutil.ignore_patterns("expected", "*.fam"))
    return dst


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    return abs(a - b) <= REL * max(abs(a), abs(b))


@pytest.mark.parametrize("case", ["planecrash", "dvi-example.fam"])
def test_import_identify_round_trip_keeps_every_number(
    db: str, reference_cases: Path, case: str
) -> None:
    path = (
        reference_cases / "dvi-example" / case if case.endswith(".fam") else reference_cases / case
    )
    first = import_case(db, path, actor="ana")
    assert not first.already_imported and first.counts["pm_samples"] > 0
    again = import_case(db, path, actor="ana")
    assert again.already_imported and "already imported" in again.message
    assert again.import_id == first.import_id

    source = read_case(path)
    built = problem_from_registry(db)
    # Genotypes, pedigrees, markers and pairings come back exactly.
    assert built.pm == source.pm and built.missing == source.missing
    assert {v: dict(p) for v, p in built.pm_profiles.items()} == {
        v: dict(p) for v, p in source.pm_profiles.items()
    }
    assert {f: {p: dict(g) for p, g in d.items()} for f, d in built.am_profiles.items()} == {
        f: {p: dict(g) for p, g in d.items()} for f, d in source.am_profiles.items()
    }
    for f, ped in source.families.items():
        assert [(i.id, i.father, i.mother, i.sex) for i in ped] == [
            (i.id, i.father, i.mother, i.sex) for i in built.families[f]
        ]
    for a, b in zip(built.markers, source.markers, strict=False):
        assert a.name == b.name and a.alleles == b.alleles and np.array_equal(a.afreq, b.afreq)
        for ma, mb in ((a.female, b.female), (a.male, b.male)):
            assert (ma is None) == (mb is None)
            if ma is not None:
                assert np.array_equal(ma.matrix, mb.matrix)
    assert dict(built.pairings) == dict(source.pairings)

    result = identify(db, actor="ana")
    expected = pairwise_lr(source)
    assert result.candidates, "every reference case has at least one pairing with LR > 1"
    seen = set()
    for c in result.candidates:
        i, k = expected.pm.index(c.pm), expected.missing.index(c.missing)
        assert _same(c.lr, float(np.exp(expected.log_lr[i, k])))
        assert expected.log_lr[i, k] > 0 or c.posterior >= POSTERIOR_THRESHOLD
        seen.add((c.pm, c.missing))
    # The rule is applied to every pairing, not only the printed ones.
    for i, v in enumerate(expected.pm):
        for k, m in enumerate(expected.missing):
            if not math.isnan(expected.log_lr[i, k]) and expected.log_lr[i, k] > 0:
                assert (v, m) in seen
    # What is stored reads back to the same numbers.
    with session_scope(db) as s:
        run = s.get(IdentificationRun, result.run)
        assert run.input_sha256 == result.input_sha256 and run.software_version.startswith(
            "repatria "
        )
        assert run.frequency_table_id is not None and run.results["pm"] == list(source.pm)
        # The run keeps its matrices as arrays (formats.matrix_record), every value exact.
        kept = decode_matrix(run.results["pairwise"]["log_lr"])
        assert np.array_equal(kept, expected.log_lr, equal_nan=True)
        assert np.array_equal(
            decode_matrix(run.results["exclusions"]["count"]), expected.exclusions
        )
        marginals = decode_matrix(run.results["joint"]["marginals"]["p"])
        assert marginals.shape == (len(source.pm), len(source.missing) + 1)
        bounds = run.results["joint"]["marginal_bounds"]
        low, high = decode_matrix(bounds["lower"]), decode_matrix(bounds["upper"])
        assert np.all(low <= marginals + 1e-9) and np.all(marginals <= high + 1e-9)
        stored = (
            s.execute(
                select(CandidateMatch)
                .where(CandidateMatch.run_id == run.id)
                .order_by(CandidateMatch.id)
            )
            .scalars()
            .all()
        )
        assert [c.id for c in stored] == [c.id for c in result.candidates]
        for row, c in zip(stored, result.candidates, strict=False):
            i, k = expected.pm.index(c.pm), expected.missing.index(c.missing)
            assert _same(row.evidence["log_lr"], float(expected.log_lr[i, k]))
            assert _same(10**row.log10_lr, float(np.exp(expected.log_lr[i, k])))
            assert row.posterior == c.posterior
        # LR0 of the pairings the conclusions report (the warning the match page shows).
        lr0 = dvi_solve(source).lr0
        with_lr0 = {
            (c.pm, c.missing): row.evidence["lr0"]
            for row, c in zip(stored, result.candidates, strict=False)
            if "lr0" in row.evidence
        }
        assert with_lr0 == {k: v for k, v in lr0.items() if k in seen}
        n_profiles = s.execute(
            select(func.count()).select_from(RunProfile).where(RunProfile.run_id == run.id)
        ).scalar_one()
        assert n_profiles == len(source.pm) + sum(len(d) for d in source.am_profiles.values())
    assert result.as_dict().keys() == {
        "run",
        "candidates",
        "changes",
        "superseded",
        "conflicts",
        "rereview",
    }
    assert set(result.as_dict()["candidates"][0]) == {
        "id",
        "body",
        "samples",
        "person",
        "lr",
        "posterior",
        "status",
        "pm",
        "missing",
        "non_dna",  # issue 13: the non-DNA factors beside the DNA LR
        "non_dna_log10_lr",
    }


def test_folder_hash_is_its_case_files_in_order(reference_cases: Path, tmp_path: Path) -> None:
    case = _copy_case(reference_cases, "example2", tmp_path)
    before = case_sha256(case)
    (case / "notes.txt").write_text("not part of the case\n")
    assert case_sha256(case) == before
    (case / "missing.txt").write_text((case / "missing.txt").read_text() + "\n")
    assert case_sha256(case) != before


def test_bad_case_file_names_file_line_field_and_touches_nothing(
    db: str, reference_cases: Path, tmp_path: Path
) -> None:
    case = _copy_case(reference_cases, "planecrash", tmp_path)
    lines = (case / "am.tsv").read_text().splitlines()
    cells = lines[4].split("\t")
    cells[5] = "99/-1"  # an allele the markers do not have
    lines[4] = "\t".join(cells)
    (case / "am.tsv").write_text("\n".join(lines) + "\n")
    before = _counts(db)
    with pytest.raises(FormatError) as e:
        import_case(db, case, actor="ana")
    assert e.value.file.endswith("am.tsv") and e.value.line == 5 and e.value.field
    assert _counts(db) == before


def test_registry_conflict_late_in_a_case_rolls_back_everything(
    db: str, reference_cases: Path, tmp_path: Path
) -> None:
    case = _copy_case(reference_cases, "planecrash", tmp_path)
    last_pm = read_case(case).pm[-1]
    # The last PM sample's reference is already a sample in the registry (taken by hand).
    import_remains(db, write_remains(tmp_path / "remains.tsv", 1), actor="cas")
    from repatria.services.workflows.custody import record_sample

    record_sample(db, actor="cas", remains_ref="R-0001", sample_ref=last_pm)
    before = _counts(db)
    with pytest.raises(RegistryError, match=f"pm.tsv field `id`: sample {last_pm}"):
        import_case(db, case, actor="ana")
    assert _counts(db) == before


def test_case_joins_registered_persons_and_remains(
    db: str, reference_cases: Path, tmp_path: Path
) -> None:
    case = _copy_case(reference_cases, "symmetricSibs", tmp_path)
    problem = read_case(case)
    # Persons P-0001.. and remains R-0001.. come from the registry TSVs; rename the case to match.
    pm_map = {v: f"R-{i:04d}" for i, v in enumerate(problem.pm, start=1)}
    from repatria.kinship.pedigree import Sex

    males = [
        m for m in problem.missing if problem.families[problem.missing_family[m]][m].sex == Sex.MALE
    ]
    assert males, "the test persons are men"
    mp_map = {m: f"P-{i:04d}" for i, m in enumerate(males, start=1)}
    for name in ("pm.tsv", "am.tsv", "missing.txt", "pairings.json"):
        text = (case / name).read_text()
        for old, new in sorted({**pm_map, **mp_map}.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f'"{old}"', f'"{new}"')
            text = "\n".join(
                "\t".join(new if c == old else c for c in line.split("\t"))
                for line in text.split("\n")
            )
        (case / name).write_text(text)
    import_persons(db, write_persons(tmp_path / "persons.tsv", len(mp_map)), actor="cas")
    import_remains(db, write_remains(tmp_path / "remains.tsv", 3), actor="cas")
    result = import_case(db, case, actor="ana")
    assert result.counts["persons_linked"] == len(mp_map)
    assert result.counts["persons_created"] == len(problem.missing) - len(mp_map)
    assert result.counts["remains_linked"] == 3
    assert result.counts["remains_created"] == len(pm_map) - 3
    with session_scope(db) as s:
        r1 = s.execute(select(Remains).where(Remains.ref == "R-0001")).scalar_one()
        assert r1.status == "sampled" and r1.condition == "burned"  # the TSV's record is kept
        new = s.execute(select(Remains).where(Remains.ref == f"R-{len(pm_map):04d}")).scalar_one()
        assert new.condition == "unknown"
        p1 = s.execute(select(Person).where(Person.ref == "P-0001")).scalar_one()
        assert len(p1.names) >= 2  # names and false papers from the persons TSV stay
        assert s.execute(
            select(func.count()).select_from(Sample).where(Sample.kind == "pm")
        ).scalar_one() == len(pm_map)


def test_withdrawn_consent_leaves_the_relative_untyped(db: str, reference_cases: Path) -> None:
    path = reference_cases / "planecrash"
    import_case(db, path, actor="ana")
    first = identify(db, actor="ana")
    source = read_case(path)
    fam, refs = next((f, d) for f, d in source.am_profiles.items() if d)
    donor = next(iter(refs))
    w = withdraw_consent(db, donor, actor="cas", reason="letter from the donor")
    assert first.run in w.past_runs
    second = identify(db, actor="ana")
    assert second.withdrawn_donors == [donor] and second.input_sha256 != first.input_sha256
    built = problem_from_registry(db)
    assert donor not in built.am_profiles.get(fam, {}) and donor in built.families[fam]
    with session_scope(db) as s:
        d = s.execute(select(Donor).where(Donor.ref == donor)).scalar_one()
        ref_profile = s.execute(select(Sample).where(Sample.donor_id == d.id)).scalar_one()
        used = set(
            s.execute(
                select(RunProfile.profile_id).where(RunProfile.run_id == second.run)
            ).scalars()
        )
        from repatria.registry.models import Profile

        pid = s.execute(select(Profile.id).where(Profile.sample_id == ref_profile.id)).scalar_one()
        assert pid not in used


def test_identify_is_for_analysts_and_never_logs_genotypes(db: str, reference_cases: Path) -> None:
    with pytest.raises(ServiceError, match="say who you are"):
        identify(db, actor="")
    import_case(db, reference_cases / "example2", actor="ana")
    with pytest.raises(
        ServiceError, match="rev is a reviewer and may not record identification runs"
    ):
        identify(db, actor="rev")
    identify(db, actor="ana")
    source = read_case(reference_cases / "example2")
    cells = {
        f"{g[0]}/{g[1]}"
        for d in source.am_profiles.values()
        for prof in d.values()
        for g in prof.values()
    } | {f"{g[0]}/{g[1]}" for prof in source.pm_profiles.values() for g in prof.values()}
    with session_scope(db) as s:
        entries = s.execute(select(AuditEvent)).scalars().all()
        assert {"import.case", "identify.run"} <= {e.action for e in entries}
        for e in entries:
            assert not FORBIDDEN_DETAIL & set(e.detail or {})
            text = repr(e.detail or {})
            assert not any(c in text for c in cells)


def test_nothing_to_identify_is_one_sentence(db: str) -> None:
    with pytest.raises(ServiceError, match="import a case first"):
        identify(db, actor="ana")


def test_new_runs_do_not_raise_identified_people_again(db: str, reference_cases: Path) -> None:
    from repatria.services.workflows.review import confirm, propose, revoke

    import_case(db, reference_cases / "planecrash", actor="ana")
    first = identify(db, actor="ana")
    best = max(first.candidates, key=lambda c: c.lr)
    # planecrash's families hold one close relative each: the references rule is overridden
    propose(db, best.id, actor="ana", override="one close relative; LR beyond doubt")
    confirm(
        db,
        best.id,
        actor="rev",
        reason="LR and posterior beyond doubt",
        override="one close relative; LR beyond doubt",
    )

    second = identify(db, actor="ana")
    assert all(c.pm != best.pm and c.missing != best.missing for c in second.candidates)
    with session_scope(db) as s:
        params = s.get(IdentificationRun, second.run).parameters
    assert params["candidates_of_identified_left_out"] >= 1
    # Everything else is raised as before: the confirmed pair still takes part in the analysis.
    others = {
        (c.pm, c.missing) for c in first.candidates if c.pm != best.pm and c.missing != best.missing
    }
    assert {(c.pm, c.missing) for c in second.candidates} == others

    revoke(db, best.id, actor="rita", reason="sample swap found in the laboratory")
    revoke(db, best.id, actor="cas", reason="the swap is confirmed by the laboratory")
    third = identify(db, actor="ana")
    assert (best.pm, best.missing) in {(c.pm, c.missing) for c in third.candidates}


def test_case_pairings_are_kept_as_exclusions(
    db: str, reference_cases: Path, tmp_path: Path
) -> None:
    import json

    from repatria.kinship.dvi import generate_pairings

    path = _copy_case(reference_cases, "planecrash", tmp_path)
    source = read_case(path)
    default = generate_pairings(source)
    # Anthropology rules out all but the first candidate MP for every second PM.
    restricted = {
        v: ([[m for m in g if m != "*"][0], "*"] if i % 2 == 0 and len(g) > 2 else list(g))
        for i, (v, g) in enumerate(default.items())
    }
    (path / "pairings.json").write_text(json.dumps({"pairings": restricted}))
    source = read_case(path)
    result = import_case(db, path, actor="ana")
    n_excluded = sum(len(default[v]) - len(restricted[v]) for v in default)
    assert n_excluded > 0 and result.counts["pairing_exclusions"] == n_excluded

    built = problem_from_registry(db)
    assert {v: set(p) for v, p in built.pairings.items()} == {
        v: set(p) for v, p in source.pairings.items()
    }
    run = identify(db, actor="ana")
    expected = pairwise_lr(source)
    for c in run.candidates:
        assert c.missing in restricted[c.pm]
        i, k = expected.pm.index(c.pm), expected.missing.index(c.missing)
        assert _same(c.lr, float(np.exp(expected.log_lr[i, k])))
    with session_scope(db) as s:
        assert s.get(IdentificationRun, run.run).parameters["pairing_exclusions"] == n_excluded
