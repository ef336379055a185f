"""Lineage markers in the registry (issue 13, 3), on SQLite and PostgreSQL: Y-STR and mtDNA
profiles imported with a case or on their own, all or nothing; haplotype databases by version;
identify stores each lineage factor beside the autosomal LR and their product."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repatria.errors import FormatError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, HaplotypeDatabase, LineageProfile
from repatria.services.access.users import add_user
from repatria.services.workflows import lineage_store
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lineage_case import (  # noqa: E402
    MT_BODY,
    MT_DB_N,
    MT_MEIOSES,
    Y_DB_N,
    Y_LOCI,
    Y_MEIOSES,
    lineage_lines,
    mt_database,
    write_case,
    y_database,
)


def _profiles(db: str) -> int:
    with session_scope(db, read=True) as s:
        return int(s.execute(select(func.count()).select_from(LineageProfile)).scalar_one())


@pytest.fixture
def case_db(registry_db: str, tmp_path: Path) -> str:
    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, write_case(tmp_path / "case"), actor="ana")
    return registry_db


def test_a_case_folder_brings_its_lineage_profiles(registry_db: str, tmp_path: Path) -> None:
    add_user(registry_db, "ana", "analyst")
    case = write_case(tmp_path / "case")
    (case / "lineage.tsv").write_text(lineage_lines())
    result = import_case(registry_db, case, actor="ana")
    assert result.counts["lineage_stored"] == 7
    with session_scope(registry_db, read=True) as s:
        kinds = sorted(s.execute(select(LineageProfile.kind)).scalars())
        mt = s.execute(select(LineageProfile).where(LineageProfile.kind == "mtdna")).scalars()
        texts = {p.haplotype for p in mt}
    assert kinds == ["mtdna"] * 2 + ["y_str"] * 5
    assert texts == {MT_BODY.replace("16519C 263G", "263G 16519C")}  # canonical: by position


def test_a_bad_line_refuses_the_whole_file(case_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "lineage.tsv"
    bad.write_text(lineage_lines(C="16519C oops@16024-16569"))
    with pytest.raises(FormatError) as e:
        lineage_store.import_lineage(case_db, bad, actor="ana")
    msg = str(e.value)
    assert (e.value.line, e.value.field) == (7, "haplotype") and str(bad) in msg
    assert "oops" not in msg and "16519C" not in msg and "\n" not in msg
    assert _profiles(case_db) == 0

    unknown = tmp_path / "unknown.tsv"  # valid lines, then a sample the registry lacks
    unknown.write_text(lineage_lines() + "V9\t\ty_str\tDYS19=14\n")
    with pytest.raises(FormatError) as e:
        lineage_store.import_lineage(case_db, unknown, actor="ana")
    assert (e.value.line, e.value.field) == (9, "sample") and "DYS19" not in str(e.value)
    assert _profiles(case_db) == 0

    both = tmp_path / "both.tsv"
    both.write_text("sample\tdonor\tkind\thaplotype\nV1\tU\ty_str\tDYS19=14\n")
    with pytest.raises(FormatError, match="exactly one of sample"):
        lineage_store.import_lineage(case_db, both, actor="ana")
    donor_as_sample = tmp_path / "ref.tsv"
    donor_as_sample.write_text("sample\tdonor\tkind\thaplotype\nU\t\ty_str\tDYS19=14\n")
    with pytest.raises(FormatError, match="reference sample"):
        lineage_store.import_lineage(case_db, donor_as_sample, actor="ana")
    assert _profiles(case_db) == 0


def test_import_once_and_a_retyping_supersedes(case_db: str, tmp_path: Path) -> None:
    f = tmp_path / "lineage.tsv"
    f.write_text(lineage_lines())
    first = lineage_store.import_lineage(case_db, f, actor="ana")
    assert (first.stored, first.retyped, first.already_imported) == (7, 0, False)
    assert lineage_store.import_lineage(case_db, f, actor="ana").already_imported
    g = tmp_path / "retyped.tsv"
    g.write_text(lineage_lines(U="DYS19=14;DYS390=22;DYS391=10;DYS392=13"))
    again = lineage_store.import_lineage(case_db, g, actor="ana")
    assert (again.stored, again.retyped, again.unchanged) == (0, 1, 6)
    with session_scope(case_db, read=True) as s:
        rows = s.execute(select(LineageProfile).order_by(LineageProfile.id)).scalars().all()
        assert len(rows) == 8 and rows[-1].supersedes_id is not None  # the old row stays
        assert len(lineage_store.current_profiles(s, [r.sample_id for r in rows])) == 7
    with pytest.raises(ServiceError):
        lineage_store.import_lineage(case_db, f, actor="nobody")


def test_haplotype_databases_are_versioned(case_db: str, tmp_path: Path) -> None:
    path = y_database(tmp_path / "y.tsv")
    v1 = lineage_store.import_haplotype_database(
        case_db, path, name="ydb", kind="y_str", source="test, N=100", actor="ana"
    )
    assert (v1.version, v1.haplotypes, v1.already_stored) == (1, Y_DB_N, False)
    same = lineage_store.import_haplotype_database(
        case_db, path, name="ydb", kind="y_str", source="test", actor="ana"
    )
    assert same.already_stored and same.version == 1
    path.write_text(path.read_text() + "Y999\t14\t22\t10\n")
    v2 = lineage_store.import_haplotype_database(
        case_db, path, name="ydb", kind="y_str", source="test, N=101", actor="ana"
    )
    assert (v2.version, v2.haplotypes) == (2, Y_DB_N + 1)
    with pytest.raises(ServiceError, match="y_str database"):
        lineage_store.import_haplotype_database(
            case_db,
            mt_database(tmp_path / "mt.tsv"),
            name="ydb",
            kind="mtdna",
            source="x",
            actor="ana",
        )
    assert [d.label for d in lineage_store.list_haplotype_databases(case_db)] == [
        "ydb@1",
        "ydb@2",
    ]
    with session_scope(case_db, read=True) as s:
        newest = lineage_store.newest_database(s, "y_str")
        assert newest is not None and newest[0].label == "ydb@2" and len(newest[1]) == 101
        assert lineage_store.newest_database(s, "mtdna") is None
        assert s.execute(select(func.count()).select_from(HaplotypeDatabase)).scalar_one() == 2


def _y_lr() -> float:
    """By hand (kinship/lineage.py): P(same line) = (1 - mu)^(meioses x loci) for a match;
    frequency of a haplotype seen 0 times in N: the 95% upper bound 1 - 0.05^(1/N)."""
    mu = 0.0025
    return (1 - mu) ** (Y_MEIOSES * Y_LOCI) / (1 - 0.05 ** (1 / Y_DB_N))


def _mt_lr() -> float:
    return 1 / (1 - 0.05 ** (1 / MT_DB_N))  # no mutation for mtDNA: P(same line) = 1


def test_identify_stores_the_lineage_factors(case_db: str, tmp_path: Path) -> None:
    from repatria.services.views.matches import match_detail
    from repatria.services.workflows import policy

    f = tmp_path / "lineage.tsv"
    f.write_text(lineage_lines())
    lineage_store.import_lineage(case_db, f, actor="ana")
    for kind, path in (("y_str", y_database(tmp_path / "y.tsv")),
                       ("mtdna", mt_database(tmp_path / "mt.tsv"))):  # fmt: skip
        lineage_store.import_haplotype_database(
            case_db, path, name=f"{kind}-db", kind=kind, source="test", actor="ana"
        )
    result = identify(case_db, actor="ana")
    mine = [c for c in result.candidates if c.body == "V1" and c.person == "MP"]
    assert len(mine) == 1, "the uncle, the aunt and the cousin raise the true body"
    cand = mine[0]
    found = {x["kind"]: x for x in cand.factors["lineage"]}
    assert set(found) == {"y_str", "mtdna"} and len(cand.factors["lineage"]) == 2
    y, mt = found["y_str"], found["mtdna"]
    # the uncle for Y (not the aunt, a woman; not the cousin, whose Y is his father's)
    assert (y["donor"], y["meioses"], y["database"]) == ("U", Y_MEIOSES, "y_str-db@1")
    assert (mt["donor"], mt["meioses"]) == ("C", MT_MEIOSES)
    assert y["lr"] == pytest.approx(_y_lr(), rel=1e-9) and y["consistent"] is True
    assert mt["lr"] == pytest.approx(_mt_lr(), rel=1e-9) and mt["consistent"] is True
    auto = cand.log10_lr
    assert cand.factors["autosomal_log10_lr"] == pytest.approx(auto, rel=1e-12)
    assert cand.factors["combined_log10_lr"] == pytest.approx(
        auto + math.log10(_y_lr()) + math.log10(_mt_lr()), rel=1e-12
    )
    assert result.as_dict()["candidates"][0]["lineage"]  # in identify's JSON
    with session_scope(case_db, read=True) as s:
        stored = s.get(CandidateMatch, cand.id)
        assert stored is not None
        assert stored.log10_lr == pytest.approx(auto)  # the autosomal LR, unchanged
        refs = {r["donor"]: r["methods"] for r in stored.evidence["references"]}
        verdict = policy.verdict_of(s, stored)
    assert refs == {"U": ["autosomal_str", "y_str"], "A": ["autosomal_str"],
                    "C": ["autosomal_str", "mtdna"]}  # fmt: skip
    rule = next(r for r in verdict.results if r.rule == "lineage")
    assert rule.status == "met" and "y_str" in rule.text and "mtdna" in rule.text
    detail = match_detail(case_db, cand.id, actor="ana")
    assert [x["donor"] for x in detail.lineage] == ["U", "C"]
    assert detail.combined_log10_lr == pytest.approx(cand.factors["combined_log10_lr"])


def test_a_different_y_haplotype_excludes_and_fails_the_lineage_rule(
    case_db: str, tmp_path: Path
) -> None:
    from repatria.services.workflows import policy

    f = tmp_path / "lineage.tsv"
    f.write_text(lineage_lines(U="DYS19=17;DYS390=25;DYS391=12"))
    lineage_store.import_lineage(case_db, f, actor="ana")
    lineage_store.import_haplotype_database(
        case_db, y_database(tmp_path / "y.tsv"), name="y", kind="y_str", source="t", actor="ana"
    )
    cand = next(c for c in identify(case_db, actor="ana").candidates if c.body == "V1")
    y = next(x for x in cand.factors["lineage"] if x["kind"] == "y_str")
    assert y["lr"] == 0 and y["consistent"] is False and y["excluded"] is True
    assert cand.factors["combined_log10_lr"] == -math.inf
    mt = next(x for x in cand.factors["lineage"] if x["kind"] == "mtdna")
    assert mt["lr"] is None and mt["consistent"] is None and "no mtDNA" in mt["note"]
    with session_scope(case_db, read=True) as s:
        stored = s.get(CandidateMatch, cand.id)
        assert stored is not None
        refs = {r["donor"]: r["methods"] for r in stored.evidence["references"]}
        rule = next(r for r in policy.verdict_of(s, stored).results if r.rule == "lineage")
    assert refs["U"] == ["autosomal_str"]  # an exclusion adds no method
    assert rule.status == "failed"


def test_one_brother_by_two_methods_meets_the_references_rule(
    registry_db: str, tmp_path: Path
) -> None:
    """The Ukraine rule (docs/policy.md): one close relative compared by two DNA methods."""
    from repatria.services.workflows import policy

    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, write_case(tmp_path / "case", typed=("B",)), actor="ana")

    def references_rule() -> str:
        cand = next(c for c in identify(registry_db, actor="ana").candidates if c.body == "V1")
        with session_scope(registry_db, read=True) as s:
            stored = s.get(CandidateMatch, cand.id)
            assert stored is not None
            rules = {r.rule: r.status for r in policy.verdict_of(s, stored).results}
        return rules["references"]

    assert references_rule() == "failed"  # one brother, autosomal only
    f = tmp_path / "lineage.tsv"
    f.write_text("sample\tdonor\tkind\thaplotype\nV1\t\ty_str\tDYS19=14;DYS390=22\n"
                 "\tB\ty_str\tDYS19=14;DYS390=22\n")  # fmt: skip
    lineage_store.import_lineage(registry_db, f, actor="ana")
    lineage_store.import_haplotype_database(
        registry_db,
        y_database(tmp_path / "y.tsv"),
        name="y",
        kind="y_str",
        source="t",
        actor="ana",
    )
    assert references_rule() == "met"


def test_a_bad_lineage_file_refuses_the_whole_case(registry_db: str, tmp_path: Path) -> None:
    from repatria.registry.models import ReferenceFamily

    add_user(registry_db, "ana", "analyst")
    case = write_case(tmp_path / "case")
    (case / "lineage.tsv").write_text(lineage_lines() + "\tNOBODY\tmtdna\t263G@1-600\n")
    with pytest.raises(FormatError) as e:
        import_case(registry_db, case, actor="ana")
    assert (e.value.line, e.value.field) == (9, "donor") and "263G" not in str(e.value)
    with session_scope(registry_db, read=True) as s:
        assert s.execute(select(func.count()).select_from(ReferenceFamily)).scalar_one() == 0
    assert _profiles(registry_db) == 0


def test_a_donor_who_withdrew_consent_adds_no_lineage_factor(case_db: str, tmp_path: Path) -> None:
    from repatria.services.workflows.consent import withdraw_consent

    f = tmp_path / "lineage.tsv"
    f.write_text(lineage_lines())
    lineage_store.import_lineage(case_db, f, actor="ana")
    lineage_store.import_haplotype_database(
        case_db, y_database(tmp_path / "y.tsv"), name="y", kind="y_str", source="t", actor="ana"
    )
    add_user(case_db, "ada", "admin")
    add_user(case_db, "cam", "case_manager", actor="ada")
    withdraw_consent(case_db, "U", actor="cam", reason="asked to")
    cand = next(c for c in identify(case_db, actor="ana").candidates if c.body == "V1")
    assert [x["donor"] for x in cand.factors.get("lineage", [])] == ["C"]  # mtDNA only
