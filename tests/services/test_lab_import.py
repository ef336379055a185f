"""Lab exports imported into the registry, on SQLite and PostgreSQL (issue 17, deliver 3).

All or nothing; each sample matched by its ref; kits merged, conflicts refused with the list;
a retyped sample a new profile version; audited without genotypes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_case import MARKERS, people, write_case
from sqlalchemy import func, select

from repatria.errors import FormatError, PermissionDeniedError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    AuditEvent,
    Genotype,
    ImportBatch,
    Profile,
    RunProfile,
    Sample,
)
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.case_versions import current_genotypes
from repatria.services.workflows.identify import identify
from repatria.services.workflows.lab_import import KitConflictError, import_lab

HEADER = "Sample Name\tMarker\tAllele 1\tAllele 2\n"


def _n(db: str, model: type) -> int:  # type: ignore[type-arg]
    with session_scope(db) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _lines(sample: str, genotypes: dict[str, tuple[str, str]], markers: list[str]) -> str:
    return "".join(f"{sample}\t{m}\t{genotypes[m][0]}\t{genotypes[m][1]}\n" for m in markers)


def _counts(db: str) -> tuple[int, ...]:
    return (_n(db, Profile), _n(db, Genotype), _n(db, ImportBatch), _n(db, AuditEvent))


def _genotypes(db: str, ref: str) -> tuple[Profile | None, dict[str, tuple[str | None, ...]]]:
    with session_scope(db) as s:
        sample = s.execute(select(Sample).where(Sample.ref == ref)).scalar_one()
        return current_genotypes(s, sample.id)


def _state(db: str, ref: str) -> tuple[int | None, dict[str, tuple[str | None, ...]]]:
    prof, genos = _genotypes(db, ref)
    return (prof.id if prof else None), genos


@pytest.fixture
def case_db(db: str, tmp_path: Path) -> str:
    import_case(db, write_case(tmp_path / "case"), actor="ana")
    return db


def test_two_kits_on_a_pm_sample_and_a_reference_are_merged_and_version_the_profile(
    case_db: str, tmp_path: Path
) -> None:
    p = people()
    m1 = p["M1"]
    before_v1b, before = _genotypes(case_db, "V1B")
    assert before_v1b is not None and len(before) < len(MARKERS)  # half its markers lost
    # Kit A types the first half of V1B's markers, kit B the second half and two of the first.
    a = tmp_path / "kitA.txt"
    a.write_text(HEADER + _lines("V1B", m1, MARKERS[:6]) + _lines("D1", p["D1"], MARKERS[:6]))
    b = tmp_path / "kitB.txt"
    b.write_text(HEADER + _lines("V1B", m1, MARKERS[4:]) + _lines("D1", p["D1"], MARKERS[6:]))
    done = import_lab(case_db, [a, b], actor="ana", kits=["KitA", "KitB"])
    assert [(s.sample, s.kind, s.action, s.markers) for s in done.samples] == [
        ("V1B", "pm", "retyped", 12),
        ("D1", "reference", "unchanged", 12),  # the lab typed what the case holds
    ]
    new, genos = _genotypes(case_db, "V1B")
    assert new is not None and new.supersedes_id == before_v1b.id
    assert new.kit == "KitA, KitB" and new.quality == 1.0
    assert "lab import batch" in (new.quality_notes or "")
    assert {m: tuple(sorted(g)) for m, g in genos.items()} == {
        m: tuple(sorted(m1[m])) for m in MARKERS
    }
    old_kept = _genotypes(case_db, "V1A")[0]
    assert old_kept is not None  # untouched samples keep their profile
    with session_scope(case_db) as s:
        assert s.get(Profile, before_v1b.id) is not None  # the old version stays
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "import.lab")).scalar_one()
        assert ev.user_name == "ana" and ev.detail["retyped"] == ["V1B"]
        text = str(ev.detail)
    for allele in {a for g in m1.values() for a in g}:
        assert f"'{allele}'" not in text  # no genotype in the audit log
    # The same files again: a no-op.
    again = import_lab(case_db, [a, b], actor="ana", kits=["KitA", "KitB"])
    assert again.already_imported and "nothing changed" in again.message
    # The next run reads the new version.
    run = identify(case_db, actor="ana")
    with session_scope(case_db) as s:
        used = set(s.execute(select(RunProfile.profile_id).where(RunProfile.run_id == run.run)))
    assert (new.id,) in used and (before_v1b.id,) not in used


def test_a_bad_line_at_the_end_leaves_nothing(case_db: str, tmp_path: Path) -> None:
    p = people()
    good = tmp_path / "good.txt"
    good.write_text(HEADER + _lines("V2", p["M2"], MARKERS))
    bad = tmp_path / "bad.txt"
    bad.write_text(HEADER + _lines("V3", p["U3"], MARKERS) + "V3\tL01\t12\tZZ\n")
    before = _counts(case_db)
    with pytest.raises(FormatError) as e:
        import_lab(case_db, [good, bad], actor="ana")
    assert (e.value.file, e.value.line, e.value.field) == (str(bad), 14, "L01 alleles")
    assert _counts(case_db) == before


def test_an_unknown_sample_ref_at_the_end_refuses_the_whole_import(
    case_db: str, tmp_path: Path
) -> None:
    p = people()
    f = tmp_path / "lab.txt"
    f.write_text(
        HEADER
        + _lines("V3", {m: ("10", "11") for m in MARKERS}, MARKERS)
        + _lines("PM-404", p["U3"], MARKERS[:2])
    )
    before = _counts(case_db)
    before_v3 = _state(case_db, "V3")
    with pytest.raises(FormatError) as e:
        import_lab(case_db, [f], actor="ana")
    assert (e.value.file, e.value.line, e.value.field) == (str(f), 14, "Sample Name")
    assert "PM-404 is not in the registry" in str(e.value) and "nothing was imported" in str(
        e.value
    )
    assert _counts(case_db) == before and _state(case_db, "V3") == before_v3


def test_a_kit_conflict_is_refused_with_every_conflict_listed(case_db: str, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text(HEADER + "V3\tL01\t10\t11\nV3\tL02\t12\t13\nV3\tL03\t14\t15\nV2\tL01\t10\t10\n")
    b = tmp_path / "b.txt"
    b.write_text(HEADER + "V3\tL01\t10\t12\nV3\tL02\t12\t13\nV3\tL03\t14\t16\nV2\tL01\t10\t11\n")
    before = _counts(case_db)
    with pytest.raises(KitConflictError) as e:
        import_lab(case_db, [a, b], actor="ana", kits=["Identifiler", "GlobalFiler"])
    assert len(e.value.conflicts) == 3
    assert [c.split(":")[0] for c in e.value.conflicts] == ["V3, L01", "V3, L03", "V2, L01"]
    msg = str(e.value)
    assert msg.startswith("3 markers where the kits disagree; nothing was imported")
    assert f"Identifiler ({a} line 2) and GlobalFiler ({b} line 2)" in msg
    # No genotype in the message (the file paths are taken out first: pytest's temporary
    # directory may be named pytest-16/).
    bare = msg.replace(str(a), "A").replace(str(b), "B")
    for allele in ("10", "11", "12", "14", "15", "16"):
        assert f"{allele}/" not in bare and f" {allele} " not in bare
    assert _counts(case_db) == before


def test_dry_run_says_what_would_change_and_writes_nothing(case_db: str, tmp_path: Path) -> None:
    f = tmp_path / "lab.txt"
    f.write_text(HEADER + _lines("V3", {m: ("10", "11") for m in MARKERS}, MARKERS))
    before = _counts(case_db)
    dry = import_lab(case_db, [f], actor="ana", dry_run=True)
    assert dry.dry_run and [s.action for s in dry.samples] == ["retyped"]
    assert dry.message.startswith("would import 1 samples")
    assert _counts(case_db) == before
    done = import_lab(case_db, [f], actor="ana")
    assert [s.action for s in done.samples] == ["retyped"] and not done.dry_run


def test_same_genotypes_in_another_order_are_not_a_retyping(case_db: str, tmp_path: Path) -> None:
    p = people()
    flipped = {m: (g[1], g[0]) for m, g in p["M2"].items()}
    f = tmp_path / "lab.txt"
    f.write_text(HEADER + _lines("V2", flipped, MARKERS))
    profiles = _n(case_db, Profile)
    done = import_lab(case_db, [f], actor="ana")
    assert [s.action for s in done.samples] == ["unchanged"] and _n(case_db, Profile) == profiles


def test_amelogenin_sets_no_contradicting_sex_and_roles_are_checked(
    case_db: str, tmp_path: Path
) -> None:
    f = tmp_path / "lab.txt"
    f.write_text(HEADER + "V3\tL01\t10\t11\nV3\tAMEL\tX\t\n")  # the case has V3 male
    before = _counts(case_db)
    with pytest.raises(FormatError) as e:
        import_lab(case_db, [f], actor="ana")
    assert e.value.field == "AMEL" and "the registry has it male" in str(e.value)
    with pytest.raises(PermissionDeniedError):
        import_lab(case_db, [f], actor="rev")
    assert _counts(case_db) == before


def test_a_file_already_imported_among_new_ones_is_refused(case_db: str, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text(HEADER + _lines("V3", {m: ("10", "11") for m in MARKERS}, MARKERS))
    import_lab(case_db, [a], actor="ana")
    b = tmp_path / "b.txt"
    b.write_text(HEADER + _lines("V2", people()["M2"], MARKERS))
    with pytest.raises(ServiceError, match="a.txt was already imported"):
        import_lab(case_db, [a, b], actor="ana")


def _cmf(specimen: str, genotypes: dict[str, tuple[str, str]]) -> str:
    loci = "".join(
        f"<LOCUS><LOCUSNAME>{m}</LOCUSNAME>"
        + "".join(f"<ALLELE><ALLELEVALUE>{a}</ALLELEVALUE></ALLELE>" for a in g)
        + "</LOCUS>"
        for m, g in genotypes.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<CODISImportFile><KIT>GlobalFiler</KIT>'
        f"<SPECIMEN><SPECIMENID>{specimen}</SPECIMENID>{loci}</SPECIMEN></CODISImportFile>\n"
    )


def test_a_cmf_file_and_a_table_merge_on_one_sample(case_db: str, tmp_path: Path) -> None:
    u3 = people()["U3"]
    table = tmp_path / "kitA.txt"
    table.write_text(HEADER + _lines("V3", u3, MARKERS[:8]))
    cmf = tmp_path / "kitB.xml"
    cmf.write_text(_cmf("V3", {m: u3[m] for m in MARKERS[6:]}))
    done = import_lab(case_db, [table, cmf], actor="ana", kits=["Identifiler", "GlobalFiler"])
    (s,) = done.samples
    assert (s.sample, s.action, s.kits, s.markers) == (
        "V3",
        "unchanged",  # the case typed V3 fully already, the same way
        ("Identifiler", "GlobalFiler"),
        12,
    )
    unknown = tmp_path / "unknown.xml"
    unknown.write_text(_cmf("PM-404", {"L01": ("10", "11")}))
    with pytest.raises(FormatError) as e:
        import_lab(case_db, [unknown], actor="ana")
    assert e.value.field == "SPECIMENID" and e.value.file == str(unknown)
