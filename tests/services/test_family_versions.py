"""A changed case folder imported again, on SQLite and PostgreSQL: new versions, old ones kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_case import write_case
from sqlalchemy import func, select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import PedigreeMember, Profile, ReferenceFamily
from repatria.services.workflows import bodies, review
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify
from repatria.services.workflows.notification import notify_family
from repatria.services.workflows.repatriation import repatriate


def _n(db: str, model: type) -> int:  # type: ignore[type-arg]
    with session_scope(db) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_new_mother_is_a_new_version_and_the_old_one_stays(db: str, tmp_path: Path) -> None:
    case = write_case(tmp_path / "c")
    import_case(db, case, actor="ana")
    members = _n(db, PedigreeMember)
    write_case(case, with_mother=True)
    dry = import_case(db, case, actor="ana", dry_run=True)
    assert dry.dry_run and dry.changes == ["family F1 version 2: reference profile of D1M added"]
    assert _n(db, ReferenceFamily) == 2 and _n(db, PedigreeMember) == members  # nothing written
    done = import_case(db, case, actor="ana", reason="the mother gave a sample in May")
    assert len(done.families_new_version) == 1 and done.counts["families_unchanged"] == 1
    with session_scope(db) as s:
        f1 = s.execute(select(ReferenceFamily).where(ReferenceFamily.ref == "F1")).scalars().all()
        assert [(f.version, f.supersedes_id) for f in f1] == [(1, None), (2, f1[0].id)]
        assert f1[1].change_reason == (
            "the mother gave a sample in May; import of case c: reference profile of D1M added"
        )
        assert f1[1].changed_by_id is not None
    assert _n(db, PedigreeMember) == members + 3  # the old version's members stay
    again = import_case(db, case, actor="ana")  # the same folder: nothing new
    assert again.already_imported


def test_a_retyped_sample_gets_a_profile_that_supersedes_the_old(db: str, tmp_path: Path) -> None:
    case = write_case(tmp_path / "c")
    import_case(db, case, actor="ana")
    profiles = _n(db, Profile)
    lines = (case / "pm.tsv").read_text().splitlines()
    cells = lines[2].split("\t")  # V1B: its untyped L02 now typed as in V1A
    cells[3] = lines[1].split("\t")[3]
    lines[2] = "\t".join(cells)
    (case / "pm.tsv").write_text("\n".join(lines) + "\n")
    done = import_case(db, case, actor="ana")
    assert done.changes == ["sample V1B retyped"] and done.counts["pm_retyped"] == 1
    assert _n(db, Profile) == profiles + 1
    with session_scope(db) as s:
        new = s.execute(select(Profile).order_by(Profile.id.desc())).scalars().first()
        assert new is not None and new.supersedes_id is not None
    run = identify(db, actor="ana")
    assert any(c.body == "V1B" for c in run.candidates)


def test_a_body_handed_over_cannot_lose_its_fragments(db: str, tmp_path: Path) -> None:
    import_case(db, write_case(tmp_path / "c"), actor="ana")
    a = bodies.propose(db, ["V1A", "V1B"], actor="ana", reason="fragments")
    bodies.confirm(db, a.id, actor="rev")
    c = next(c for c in identify(db, actor="ana").candidates if c.person == "M1")
    review.propose(db, c.id, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, c.id, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    with pytest.raises(ServiceError, match="listed twice"):
        repatriate(
            db,
            ["V1A", "V1A"],
            actor="cas",
            kind="handover",
            counterpart="f",
            occurred_on="2025-01-01",
        )
    notify_family(db, "M1", actor="lia", recipient="f", method="phone", notified_on="2025-01-01")
    rec = repatriate(
        db, ["V1B"], actor="cas", kind="handover", counterpart="f", occurred_on="2025-01-01"
    )  # an item of the body names the body
    assert rec.items == [("V1A", "M1", None)]
    assert bodies.show_body(db, "V1A").status == "repatriated"
    with pytest.raises(ServiceError, match="handed over or buried cannot be revoked"):
        bodies.revoke(db, a.id, actor="cas", reason="x")
    with pytest.raises(ServiceError, match="already repatriated"):
        bodies.propose(db, ["V1A", "V2"], actor="ana", reason="x")


def test_a_corrected_father_is_a_new_version_checked_first(db: str, tmp_path: Path) -> None:
    from repatria.services.workflows.family_versions import correct_family

    import_case(db, write_case(tmp_path / "c"), actor="ana")
    with pytest.raises(ServiceError, match="needs its reason"):
        correct_family(db, "F2", "M2", actor="ana", reason=" ", father="-")
    with pytest.raises(ServiceError, match="not a valid pedigree"):
        correct_family(db, "F2", "M2", actor="ana", reason="r", father="D2M")  # a woman
    with pytest.raises(ServiceError, match="has only one parent"):
        correct_family(db, "F2", "M2", actor="ana", reason="r", father="-")
    with pytest.raises(ServiceError, match="no member 'X'"):
        correct_family(db, "F2", "X", actor="ana", reason="r", father="-")
    with pytest.raises(ServiceError, match="nothing changes"):
        correct_family(db, "F2", "M2", actor="ana", reason="r", father="D2")
    with pytest.raises(ServiceError, match="rev is a reviewer"):
        correct_family(db, "F2", "M2", actor="rev", reason="r", father="-", mother="-")
    before = identify(db, actor="ana")
    v = correct_family(
        db, "F2", "M2", actor="cas", reason="D2 is his uncle", father="-", mother="-"
    )
    assert (v.version, v.changes) == (
        2,
        ["father of M2 corrected: unknown (was D2)", "mother of M2 corrected: unknown (was D2M)"],
    )
    with session_scope(db) as s:
        rows = s.execute(select(ReferenceFamily).where(ReferenceFamily.ref == "F2")).scalars().all()
        assert [r.version for r in rows] == [1, 2]
        assert rows[1].change_reason.startswith("D2 is his uncle: father of M2 corrected")
    after = identify(db, actor="ana")
    moved = {(c["body"], c["person"]): c for c in after.changes}
    assert any(k[1] == "M2" for k in moved)
    assert any("family F2 is at version 2" in w for c in moved.values() for w in c["why"])
    assert before.run != after.run


def test_an_identification_whose_evidence_changed_is_listed_for_re_review(
    db: str, tmp_path: Path
) -> None:
    case = write_case(tmp_path / "c")
    import_case(db, case, actor="ana")
    c = next(c for c in identify(db, actor="ana").candidates if c.body == "V1A")
    review.propose(db, c.id, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, c.id, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    assert identify(db, actor="ana").rereview == []
    write_case(case, with_mother=True)
    import_case(db, case, actor="ana")
    again = identify(db, actor="ana")
    assert [(r["candidate"], r["body"], r["person"]) for r in again.rereview] == [
        (c.id, "V1A", "M1")
    ]
    assert "family F1 is at version 2" in again.rereview[0]["why"][0]


def test_the_match_page_shows_the_family_version_its_lr_was_computed_on(
    db: str, tmp_path: Path
) -> None:
    from repatria.registry.models import CandidateMatch, utcnow
    from repatria.services.views.matches import match_detail

    case = write_case(tmp_path / "c")
    import_case(db, case, actor="ana")
    old = next(c for c in identify(db, actor="ana").candidates if c.person == "M1")
    before = match_detail(db, old.id, actor="rev")
    assert [r["donor"] for r in before.references] == ["D1"]
    write_case(case, with_mother=True)
    import_case(db, case, actor="ana", reason="the mother gave a sample in May")
    # The candidate was computed on version 1: its page still shows version 1's pedigree.
    again = match_detail(db, old.id, actor="rev")
    assert again.pedigree == before.pedigree and again.references == before.references
    # A candidate computed after the correction shows version 2, the mother typed.
    with session_scope(db) as s:
        row = s.get(CandidateMatch, old.id)
        assert row is not None
        row.created_at = utcnow()
    later = match_detail(db, old.id, actor="rev")
    assert sorted(r["donor"] for r in later.references) == ["D1", "D1M"]
    assert {n.individual: n.role for n in later.pedigree}["D1M"] == "donor"
