"""Which relative to sample next, from the registry, on SQLite and PostgreSQL.

The exchange case (:mod:`exchange_case`): families F1 and F2, each a missing son and his typed
father, the mother untyped. The registry's study must be the case folder's study (the same
pedigree, profiles and markers, read through the identification run's reader).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_case import ALLELES, MARKERS, people, write_case
from sqlalchemy import select

from repatria.errors import NotFoundError, PermissionDeniedError, ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent
from repatria.services.paging import page_spec
from repatria.services.pipelines.power import family_power as case_power
from repatria.services.pipelines.power import power_summary
from repatria.services.workflows import review
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.family_members import add_reference
from repatria.services.workflows.family_power import family_power, weak_families
from repatria.services.workflows.identify import identify
from repatria.services.workflows.policy import set_policy


@pytest.fixture
def case(db: str, tmp_path: Path) -> tuple[str, Path]:
    folder = write_case(tmp_path / "c")
    import_case(db, folder, actor="ana")
    return db, folder


def _by_relationship(cands: list[dict]) -> dict[str, tuple[float, float, float]]:
    return {
        c["relationship"]: (c["p_lr_above"], c["expected_log10_lr"], c["exclusion_power"])
        for c in cands
    }


def test_the_registry_study_is_the_case_folder_study(case: tuple[str, Path]) -> None:
    db, folder = case
    r = family_power(db, "F1", actor="ana", sims=40, seed=5)
    assert (r.family, r.version, r.sims, r.seed, r.markers) == ("F1", 1, 40, 5, 12)
    assert r.threshold == 1e4 and r.threshold_source == "policy v1 min_lr"
    (mp,) = r.missing_persons
    assert mp["missing"] == "M1" and mp["references"] == ["D1"] and not mp["identified"]
    rels = [c["relationship"] for c in mp["candidates"]]
    assert rels[0] == "current references" and "mother" in rels
    assert {"full sibling (added)", "paternal uncle (added)", "maternal aunt (added)"} <= set(rels)
    lines = {c["relationship"]: c["lines"] for c in mp["candidates"]}
    assert lines["paternal uncle (added)"] == ["Y"] and lines["mother"] == ["mt"]
    on_files = power_summary(case_power(folder, "F1", sims=40, seed=5))
    assert _by_relationship(mp["candidates"]) == _by_relationship(on_files["candidates"])
    for c in mp["candidates"]:
        assert 0 <= c["p_lr_above"] <= 1 and 0 <= c["exclusion_power"] <= 1
    # The mother of a son with a typed father: every marker is a trio, far above an uncle.
    by = _by_relationship(mp["candidates"])
    assert by["mother"][1] > by["paternal uncle (added)"][1]


def test_the_threshold_is_the_policy_unless_given(case: tuple[str, Path]) -> None:
    db, _ = case
    before = family_power(db, "F2", actor="ana", sims=30)
    set_policy(db, actor="ada", min_lr=1e8, note="test: stricter")
    after = family_power(db, "F2", actor="ana", sims=30)
    assert after.threshold == 1e8 and after.threshold_source == "policy v2 min_lr"
    p = [c["p_lr_above"] for c in after.missing_persons[0]["candidates"]]
    q = [c["p_lr_above"] for c in before.missing_persons[0]["candidates"]]
    assert all(a <= b for a, b in zip(p, q, strict=True))  # a higher bar is reached less often
    given = family_power(db, "F2", actor="ana", sims=30, threshold=1e4)
    assert (
        given.threshold_source == "given"
        and given.to_json()["missing_persons"] == (before.to_json()["missing_persons"])
    )


def test_seeds_reproduce_and_reads_are_audited(case: tuple[str, Path]) -> None:
    db, _ = case
    a = family_power(db, "F1", actor="aud", sims=25, seed=3).to_json()
    b = family_power(db, "F1", actor="rev", sims=25, seed=3).to_json()
    assert a == b
    with session_scope(db) as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "family.power")).all()
    assert len(events) == 2


def test_refusals_and_errors(case: tuple[str, Path]) -> None:
    db, _ = case
    with pytest.raises(PermissionDeniedError, match="match read"):
        family_power(db, "F1", actor="lia")
    with pytest.raises(PermissionDeniedError):
        weak_families(db, actor="lia")
    with pytest.raises(NotFoundError, match="no reference family 'NOPE'"):
        family_power(db, "NOPE", actor="ana")
    with pytest.raises(NotFoundError, match="not a missing person"):
        family_power(db, "F1", actor="ana", missing="M2")
    with pytest.raises(ServiceError, match="simulations"):
        family_power(db, "F1", actor="ana", sims=0)
    with pytest.raises(ServiceError, match="threshold"):
        family_power(db, "F1", actor="ana", threshold=-1)
    with pytest.raises(ServiceError, match="below"):
        weak_families(db, actor="ana", below=0)


def test_programme_view_lists_weak_unresolved_families(case: tuple[str, Path]) -> None:
    db, _ = case
    # At the policy's 1e4 a typed father reaches the bar in most simulations: no weak family.
    strong = weak_families(db, actor="ana", below=0.5)
    assert strong.page.items == [] and strong.considered == 2 and strong.sims == 50
    weak = weak_families(db, actor="ana", threshold=1e8, sims=20)
    assert [w.family for w in weak.page.items] == ["F1", "F2"] and weak.sims == 20
    for w in weak.page.items:
        assert w.power < 0.8 and w.best_relative == "mother" and w.best_power == 1.0
        assert w.references == [f"D{w.family[1]}"]
        # The row's power is the family study's "current references" figure.
        fam = family_power(db, w.family, actor="ana", threshold=1e8, sims=20)
        assert fam.missing_persons[0]["candidates"][0]["p_lr_above"] == w.power
    # Paged as every list: one row a page, the cursor leads to the other.
    first = weak_families(db, actor="ana", threshold=1e8, sims=20, page=page_spec("family", 1))
    assert len(first.page.items) == 1 and first.page.total == 2 and first.page.next
    second = weak_families(
        db, actor="ana", threshold=1e8, sims=20, page=page_spec("family", 1, first.page.next)
    )
    assert [w.family for w in second.page.items] == ["F2"] and second.page.next is None
    # M1 identified (proposed and confirmed): his family leaves the view.
    c = next(c for c in identify(db, actor="ana").candidates if c.person == "M1")
    review.propose(db, c.id, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, c.id, actor="rev", override="test: accepted below the policy", reason="test: checked"
    )
    after = weak_families(db, actor="ana", threshold=1e8, sims=20)
    assert [w.family for w in after.page.items] == ["F2"] and after.considered == 1
    assert family_power(db, "F1", actor="ana", sims=5).missing_persons[0]["identified"]


def test_a_new_reference_is_a_new_study_not_the_cached_one(case: tuple[str, Path]) -> None:
    db, folder = case
    before = family_power(db, "F1", actor="ana", sims=20).missing_persons[0]
    write_case(folder, with_mother=True)
    import_case(db, folder, actor="ana", reason="the mother gave a sample")
    after = family_power(db, "F1", actor="ana", sims=20)
    mp = after.missing_persons[0]
    assert after.version == 2 and mp["references"] == ["D1", "D1M"]
    assert "mother" in [c["relationship"] for c in before["candidates"]]
    assert "mother" not in [c["relationship"] for c in mp["candidates"]]
    # Father and mother typed: the current references now reach what the mother promised.
    assert mp["candidates"][0]["expected_log10_lr"] > before["candidates"][0]["expected_log10_lr"]


def test_impossible_references_are_named_not_hidden(case: tuple[str, Path]) -> None:
    """A "brother" of M2 sharing no allele with the typed father D2 at any marker (no mutation
    model): the references of F2 are impossible. The family's study refuses in one sentence
    naming a marker (never a genotype); the programme view still lists F1 and names F2."""
    db, _ = case
    d2 = people()["D2"]
    other = {m: tuple(a for a in ALLELES if a not in d2[m])[:2] for m in MARKERS}
    add_reference(
        db,
        "F2",
        "B2",
        other,
        actor="ana",
        reason="test: a brother who is not",
        sex="male",
        father="D2",
        mother="D2M",
    )
    with pytest.raises(ServiceError, match="impossible at marker L01") as e:
        family_power(db, "F2", actor="ana", sims=10)
    assert str(e.value) == (
        "the references of family F2 are impossible at marker L01, even with its "
        "mutation model; correct the genotypes or leave the marker out"
    )
    w = weak_families(db, actor="ana", threshold=1e8, sims=10)
    assert [x.family for x in w.page.items] == ["F1"] and w.considered == 2
    (nc,) = w.not_computed
    assert (nc["family"], nc["missing"]) == ("F2", "M2") and "impossible" in nc["reason"]
