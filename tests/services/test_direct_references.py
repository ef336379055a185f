"""Direct references in the registry and in identification (issue 13, 4), on SQLite and
PostgreSQL: the MP's own items (a toothbrush, a razor) imported with a case or on their own, all
or nothing; identify stores the direct factor beside the autosomal LR and their product; a
direct reference alone gives candidates; it is never a relative (notification, policy, pedigree).
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repatria.errors import FormatError, ServiceError
from repatria.formats.genotypes import format_genotype
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Sex
from repatria.registry.db import session_scope
from repatria.registry.evidence import stored_number
from repatria.registry.models import (
    CandidateMatch,
    DirectReference,
    Donor,
    PedigreeMember,
    Person,
    Profile,
    RunProfile,
    Sample,
)
from repatria.services.access.users import add_user
from repatria.services.workflows import direct_store, review
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.direct_evidence import direct_finding, reliable_lr
from repatria.services.workflows.direct_store import DirectItem
from repatria.services.workflows.identify import identify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from direct_case import direct_lines, simulate, write_case  # noqa: E402

WHY = "the toothbrush was seized from his barracks locker by the military police"
MK = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])


def _item(reliability: float = 1.0, ref: str = "TB-1") -> DirectItem:
    return DirectItem(1, ref, 1, "toothbrush", reliability, 1)


def _finding(ref: dict, pm: dict, reliability: float = 1.0, **kw: object) -> dict:
    return direct_finding(
        _item(reliability),
        ref,
        pm,
        [MK],
        sex=Sex.MALE,
        reference_dropout=kw.get("ref_d"),
        pm_dropout=kw.get("pm_d"),
    )


# ----------------------------------------------------------------------------- by hand


def test_one_marker_by_hand() -> None:
    # toothbrush a/b, PM a/b, no dropout: 1 / (2 pa pb) = 1 / 0.12
    f = _finding({"L": ("a", "b")}, {"L": ("b", "a")})
    assert f["lr_match"] == pytest.approx(1 / 0.12, rel=1e-12)
    assert f["lr"] == pytest.approx(1 / 0.12, rel=1e-12) and f["consistent"] is True
    assert f["log10_lr"] == pytest.approx(math.log10(1 / 0.12), rel=1e-12)
    # a shared razor, reliability 0.8: under H1 the item is his with probability 0.8, else an
    # unrelated person's: 0.8 / 0.12 + 0.2
    f = _finding({"L": ("a", "b")}, {"L": ("a", "b")}, 0.8)
    assert f["lr"] == pytest.approx(0.8 / 0.12 + 0.2, rel=1e-12)
    assert f["log10_lr"] == pytest.approx(math.log10(0.8 / 0.12 + 0.2), rel=1e-12)
    # a mismatch: an exclusion only for an item that is surely his; else 1 - r
    assert _finding({"L": ("a", "b")}, {"L": ("a", "c")})["log10_lr"] == -math.inf
    f = _finding({"L": ("a", "b")}, {"L": ("a", "c")}, 0.8)
    assert f["lr"] == pytest.approx(0.2) and f["consistent"] is False
    # a burned PM shows one peak a, dropout d (kinship.evidence_direct's model):
    # LR = d (1 - d) / (pa^2 (1 - d^2) + 2 pa (1 - pa) d (1 - d)); times r, plus 1 - r
    d, pa, r = 0.3, 0.2, 0.9
    match = d * (1 - d) / (pa * pa * (1 - d * d) + 2 * pa * (1 - pa) * d * (1 - d))
    f = _finding({"L": ("a", "b")}, {"L": ("a", "a")}, r, pm_d=DropoutModel(d))
    assert f["lr_match"] == pytest.approx(match, rel=1e-12)
    assert f["lr"] == pytest.approx(r * match + 1 - r, rel=1e-12)
    assert reliable_lr(match, 1.0) == match
    # nothing typed on both sides: no factor
    assert _finding({}, {"L": ("a", "a")})["log10_lr"] is None


# ----------------------------------------------------------------------------- the registry


@pytest.fixture
def case_db(registry_db: str, tmp_path: Path) -> str:
    add_user(registry_db, "ana", "analyst")
    add_user(registry_db, "rev", "reviewer")
    add_user(registry_db, "liz", "liaison_officer")
    r = import_case(registry_db, write_case(tmp_path / "case"), actor="ana")
    assert r.counts["direct_references"] == 2
    return registry_db


def test_a_case_folder_brings_its_direct_references(case_db: str) -> None:
    with session_scope(case_db, read=True) as s:
        rows = s.execute(
            select(
                DirectReference.ref,
                Person.ref,
                DirectReference.item,
                DirectReference.reliability,
                Sample.kind,
                Sample.donor_id,
                Sample.remains_id,
                Profile.dropout,
            )
            .join(Person, Person.id == DirectReference.person_id)
            .join(Sample, Sample.id == DirectReference.sample_id)
            .join(Profile, Profile.sample_id == Sample.id)
            .order_by(DirectReference.id)
        ).all()
        donors = set(s.execute(select(Donor.ref)).scalars())
        members = set(s.execute(select(PedigreeMember.individual)).scalars())
    assert [tuple(r) for r in rows] == [
        ("TB-1", "MP1", "toothbrush", 1.0, "reference", None, None, None),
        ("RZ-2", "MP2", "razor", 0.8, "reference", None, None, 0.05),
    ]
    # never a relative: no donor, no place in a pedigree
    assert donors == {"M2"} and not {"TB-1", "RZ-2"} & members
    assert direct_store.list_direct(case_db, "MP2", actor="ana") == [
        {
            "ref": "RZ-2",
            "person": "MP2",
            "item": "razor",
            "reliability": 0.8,
            "markers_typed": 15,
            "dropout": 0.05,
        }
    ]


def test_identify_stores_the_direct_factor_beside_the_autosomal(case_db: str) -> None:
    result = identify(case_db, actor="ana")
    got = {(c.pm, c.missing): c for c in result.candidates}
    # MP1 has no typed relative: his toothbrush alone raises the true pairing
    alone = got[("V1", "MP1")]
    f = alone.factors
    assert f["autosomal_log10_lr"] == pytest.approx(0.0, abs=1e-12)
    (tb,) = f["direct"]
    assert tb["reference"] == "TB-1" and tb["combined"] and tb["consistent"] is True
    assert tb["log10_lr"] == pytest.approx(sum(tb["per_marker_log10_lr"].values()), rel=1e-9)
    assert f["direct_log10_lr"] == tb["log10_lr"] > 4
    assert f["combined_log10_lr"] == pytest.approx(tb["log10_lr"], rel=1e-12)
    # MP2: his mother and his razor (reliability 0.8), two factors multiplied
    both = got[("V2", "MP2")].factors
    (rz,) = both["direct"]
    assert rz["lr"] == pytest.approx(0.8 * rz["lr_match"] + 0.2, rel=1e-9)
    assert both["autosomal_log10_lr"] > 0
    assert both["combined_log10_lr"] == pytest.approx(
        both["autosomal_log10_lr"] + rz["log10_lr"], rel=1e-12
    )
    # the JSON contract carries them, and the stored evidence too
    doc = {(c["pm"], c["missing"]): c for c in result.as_dict()["candidates"]}
    assert doc[("V1", "MP1")]["direct"][0]["reference"] == "TB-1"
    with session_scope(case_db, read=True) as s:
        ev = s.get(CandidateMatch, alone.id).evidence  # type: ignore[union-attr]
        used = set(s.execute(select(RunProfile.profile_id)).scalars())
        item_profiles = set(
            s.execute(
                select(Profile.id).join(
                    DirectReference, DirectReference.sample_id == Profile.sample_id
                )
            ).scalars()
        )
    assert ev["direct"][0]["reference"] == "TB-1" and "combined_log10_lr" in ev
    assert not ev.get("references")  # no relative behind it
    assert item_profiles <= used  # the run records the items' profiles it read
    # the unrelated body against the toothbrush: excluded by the direct factor where shown
    other = got.get(("V3", "MP1"))
    if other is not None:
        assert stored_number(other.factors["direct"][0]["log10_lr"]) == -math.inf


def test_without_a_direct_reference_nothing_changes(registry_db: str, tmp_path: Path) -> None:
    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, write_case(tmp_path / "case", direct=False), actor="ana")
    result = identify(registry_db, actor="ana")
    assert all("direct" not in c.factors for c in result.candidates)
    raised = {(c.pm, c.missing) for c in result.candidates}
    assert ("V2", "MP2") in raised


def test_a_bad_line_refuses_the_whole_case(registry_db: str, tmp_path: Path) -> None:
    add_user(registry_db, "ana", "analyst")
    markers, sim = simulate()
    first = markers[0].name
    cases = (
        ({"item": "spoon"}, 2, "item"),
        ({"missing": "MP9"}, 2, "missing"),
        ({"reliability": "1.5"}, 2, "reliability"),
        ({"reliability": "0"}, 2, "reliability"),
        ({"dropout": "1"}, 2, "dropout"),
        ({first: "99/98"}, 2, first),  # alleles the table lacks: never named
        ({first: "12/13/14"}, 2, first),
    )
    for k, (cells, line, field) in enumerate(cases):
        case = write_case(tmp_path / f"case{k}")
        (case / "direct.tsv").write_text(direct_lines(markers, sim, **cells))
        with pytest.raises(FormatError) as e:
            import_case(registry_db, case, actor="ana")
        msg = str(e.value)
        assert (e.value.line, e.value.field) == (line, field), msg
        assert "direct.tsv" in msg and "\n" not in msg
        assert "99/98" not in msg and "\t" not in msg
        genotype = format_genotype(sim["MP1"][first])
        assert genotype not in msg
    with session_scope(registry_db, read=True) as s:  # all or nothing: no case was stored
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(DirectReference)).scalar_one() == 0


def test_a_file_on_its_own_all_or_nothing_and_once(registry_db: str, tmp_path: Path) -> None:
    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, write_case(tmp_path / "case", direct=False), actor="ana")
    markers, sim = simulate()
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        direct_lines(markers, sim)
        + "\t".join(["X-3", "NOBODY", "razor", "1", ""] + [""] * (len(markers) - 1) + ["12/13"])
        + "\n"
    )
    with pytest.raises(FormatError) as e:
        direct_store.import_direct(registry_db, bad, actor="ana")
    assert (e.value.line, e.value.field) == (4, "missing")
    good = tmp_path / "direct.tsv"
    good.write_text(direct_lines(markers, sim))
    with session_scope(registry_db, read=True) as s:
        assert s.execute(select(func.count()).select_from(DirectReference)).scalar_one() == 0
    r = direct_store.import_direct(registry_db, good, actor="ana")
    assert (r.items, r.already_imported) == (2, False)
    assert direct_store.import_direct(registry_db, good, actor="ana").already_imported
    result = identify(registry_db, actor="ana")
    assert any(c.factors.get("direct") for c in result.candidates if c.missing == "MP1")
    with pytest.raises(ServiceError):  # a reader without the right
        add_user(registry_db, "x", "auditor")
        direct_store.import_direct(registry_db, tmp_path / "bad.tsv", actor="x")


# ----------------------------------------------------------------------------- never a relative


def _confirmed(db: str, pm: str, mp: str) -> int:
    result = identify(db, actor="ana")
    (c,) = [c for c in result.candidates if (c.pm, c.missing) == (pm, mp)]
    review.propose(db, c.id, actor="ana", override=WHY)
    review.confirm(db, c.id, actor="rev", reason="the toothbrush matches", override=WHY)
    return c.id


def test_notification_never_offers_or_accepts_a_direct_reference(case_db: str) -> None:
    from repatria.services.workflows import notification

    _confirmed(case_db, "V1", "MP1")
    with session_scope(case_db, read=True) as s:
        person = s.execute(select(Person).where(Person.ref == "MP1")).scalar_one()
        assert notification.family_donors(s, person) == []
        mp2 = s.execute(select(Person).where(Person.ref == "MP2")).scalar_one()
        assert [d.ref for d in notification.family_donors(s, mp2)] == ["M2"]
    with pytest.raises(ServiceError) as e:
        notification.notify_family(
            case_db,
            "MP1",
            actor="liz",
            recipient="",
            method="in_person",
            notified_on="2026-01-02",
            recipient_donor="TB-1",
        )
    assert "TB-1" in str(e.value) and "\n" not in str(e.value)


def test_the_policy_does_not_count_an_item_as_a_relative(case_db: str) -> None:
    from repatria.services.workflows.policy import verdict_of

    result = identify(case_db, actor="ana")
    (c,) = [c for c in result.candidates if (c.pm, c.missing) == ("V1", "MP1")]
    with session_scope(case_db, read=True) as s:
        cand = s.get(CandidateMatch, c.id)
        assert cand is not None
        verdict = verdict_of(s, cand)
    rules = {r.rule: r for r in verdict.failed}
    # no close relative behind it, and its LR column is the autosomal 1: the policy's rules
    # on relatives and on the LR do not read the direct factor (docs/policy.md)
    assert "references" in rules and "lr" in rules


def test_the_pedigree_and_the_problem_are_unchanged(case_db: str) -> None:
    from repatria.services.workflows.problem import problem_from_registry

    p = problem_from_registry(case_db)
    assert [i.id for i in p.families["F1"]] == ["MP1"]
    assert "F1" not in p.am_profiles or p.am_profiles["F1"] == {}
    assert set(p.am_profiles["F2"]) == {"M2"}


def test_the_match_page_and_the_report_show_the_factor(case_db: str) -> None:
    from pypdf import PdfReader

    from repatria.reports.identification import identification_pdf
    from repatria.services.views.matches import match_detail

    cid = _confirmed(case_db, "V2", "MP2")
    m = match_detail(case_db, cid, actor="ana", genotypes=True)
    kinds = [(f.source, f.kind, f.counted) for f in m.factors]
    assert ("direct reference", "direct reference (razor)", True) in kinds
    auto = next(f for f in m.factors if f.source == "autosomal").log10_lr
    direct = next(f for f in m.factors if f.source == "direct reference").log10_lr
    assert auto is not None and direct is not None
    assert m.combined_log10_lr == pytest.approx(auto + direct, rel=1e-9)
    assert m.direct[0]["reference"] == "RZ-2"
    pdf = identification_pdf(m)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "The person's own items (direct reference)",
        "razor RZ-2",
        "0.8",
        "combined likelihood ratio",
    ):
        assert expected in text, expected


def test_a_lab_retyping_of_an_item_is_what_the_next_run_reads(case_db: str, tmp_path: Path) -> None:
    from repatria.services.workflows.lab_import import import_lab

    markers, sim = simulate()
    five = [m.name for m in markers[:5]]
    lab = tmp_path / "kit.txt"
    lines = ["Sample Name\tMarker\tAllele 1\tAllele 2"]
    lines += [f"TB-1\t{m}\t{sim['MP1'][m][0]}\t{sim['MP1'][m][1]}" for m in five]
    lab.write_text("\n".join(lines) + "\n")
    done = import_lab(case_db, [lab], actor="ana")
    assert [(s.sample, s.action) for s in done.samples] == [("TB-1", "retyped")]
    result = identify(case_db, actor="ana")
    (c,) = [c for c in result.candidates if (c.pm, c.missing) == ("V1", "MP1")]
    assert c.factors["direct"][0]["markers"] == 5


def test_the_direct_factor_alone_raises_a_candidate(
    registry_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repatria.services.workflows import identify as identify_module

    # posteriors raise nothing here, so what raises is the LR: MP1 has no typed relative
    monkeypatch.setattr(identify_module, "POSTERIOR_THRESHOLD", 1.5)
    add_user(registry_db, "ana", "analyst")
    import_case(registry_db, write_case(tmp_path / "plain", direct=False), actor="ana")
    plain = {(c.pm, c.missing) for c in identify(registry_db, actor="ana").candidates}
    assert not any(mp == "MP1" for _pm, mp in plain)
    markers, sim = simulate()
    f = tmp_path / "direct.tsv"
    f.write_text(direct_lines(markers, sim))
    direct_store.import_direct(registry_db, f, actor="ana")
    raised = {(c.pm, c.missing) for c in identify(registry_db, actor="ana").candidates}
    assert ("V1", "MP1") in raised and ("V3", "MP1") not in raised  # V3 is excluded by it


def test_a_run_may_leave_the_direct_references_out(case_db: str) -> None:
    """Switchable like every other factor: ``identify --no-direct`` weighs the relatives only,
    and the run's parameters say the items were left out."""
    from repatria.registry.models import IdentificationRun

    result = identify(case_db, actor="ana", direct_references=False)
    assert all(not c.factors.get("direct") for c in result.candidates)
    # MP1's toothbrush was his only reference: without it V1 x MP1 has no DNA support
    for c in result.candidates:
        if (c.pm, c.missing) == ("V1", "MP1"):
            assert c.factors.get("direct_log10_lr") is None
            assert c.log10_lr == pytest.approx(0.0, abs=1e-12)
    with session_scope(case_db, read=True) as s:
        run = s.get(IdentificationRun, result.run)
        assert run is not None and run.parameters["direct_references"] == "left out"
        used = set(s.execute(select(RunProfile.profile_id)).scalars())
        item_profiles = set(
            s.execute(
                select(Profile.id).join(
                    DirectReference, DirectReference.sample_id == Profile.sample_id
                )
            ).scalars()
        )
    assert not item_profiles & used  # the items' profiles were not read into the run
