"""The full path, from import to repatriation, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import setup_case
from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent, Person, Remains, RepatriationItem
from repatria.services.access.audit import verify_chains
from repatria.services.workflows import review
from repatria.services.workflows.accounting import account
from repatria.services.workflows.custody import custody_history, record_custody, record_sample
from repatria.services.workflows.imports import import_claims
from repatria.services.workflows.notification import notifications_for, notify_family
from repatria.services.workflows.persons import person_record, presume_dead
from repatria.services.workflows.repatriation import dispose, repatriate


def test_import_to_repatriation(db: str, tmp_path: Path, claims_file: Path) -> None:
    cands = setup_case(db, tmp_path, n=4)
    import_claims(db, claims_file, actor="cas")
    presume_dead(db, "P-0002", actor="cas", reason="unit reported him killed at Plekhovo")

    # Custody and sampling of the remains.
    record_custody(
        db,
        actor="cas",
        event="received",
        remains_ref="R-0001",
        from_party="recovery team 2",
        to_party="Kursk mortuary",
        location="Kursk",
        occurred_on="2025-02-02",
    )
    record_sample(
        db,
        actor="cas",
        remains_ref="R-0001",
        sample_ref="S-0001",
        material="femur",
        collected_on="2025-02-03",
        lab="DNA lab A",
    )
    record_sample(db, actor="cas", remains_ref="R-0002", sample_ref="S-0002", material="tooth")
    history = custody_history(db, "R-0001", actor="cas")
    # the import's own "received", then the one recorded at the mortuary
    assert [h.event for h in history] == ["received", "received", "sampled"]

    # Review: two identifications confirmed, one rejected.
    for cid in cands[:3]:
        review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db,
        cands[0],
        actor="rev",
        reason="LR above 10^7",
        override="test: accepted below the policy",
    )
    review.confirm(
        db,
        cands[1],
        actor="rita",
        override="test: accepted below the policy",
        reason="test: checked",
    )
    review.reject(db, cands[2], actor="rev", reason="exclusion at 3 markers")

    # The family of P-0001 is told; sensitive notes only for liaison and case managers.
    notify_family(
        db,
        "P-0001",
        actor="lia",
        recipient="Kim Young-hee",
        relationship="mother",
        method="in_person",
        notified_on="2025-03-01",
        sensitive_notes="asked for his tag back",
    )
    assert (
        notifications_for(db, "P-0001", actor="cas")[0].sensitive_notes == "asked for his tag back"
    )
    assert notifications_for(db, "P-0001", actor="ana")[0].sensitive_notes is None
    with pytest.raises(
        ServiceError, match="person P-0003 is missing with no confirmed identification"
    ):
        notify_family(
            db, "P-0003", actor="lia", recipient="x", method="phone", notified_on="2025-03-01"
        )

    # Repatriation of the identified bodies; unidentified ones are refused, then disposed of.
    with pytest.raises(ServiceError, match="body R-0003 is recovered and not identified"):
        repatriate(
            db,
            ["R-0001", "R-0003"],
            actor="cas",
            kind="exchange",
            counterpart="DPRK",
            occurred_on="2025-04-01",
        )
    notify_family(
        db, "P-0002", actor="lia", recipient="the family", method="letter", notified_on="2025-03-02"
    )
    rep = repatriate(
        db,
        ["R-0001", "R-0002"],
        actor="cas",
        kind="handover",
        counterpart="DPRK embassy",
        place="Moscow",
        occurred_on="2025-04-01",
        ceremony="two coffins, flags",
        coffin_labels=["1", "2"],
    )
    assert rep.items == [("R-0001", "P-0001", "1"), ("R-0002", "P-0002", "2")]
    dispose(
        db,
        "R-0004",
        actor="cas",
        kind="burial",
        place="Kursk cemetery, plot 7",
        occurred_on="2025-05-01",
        reason="unidentified after two runs",
        despite_open_candidates="the candidate P-0004 is weak; burial cannot wait",
    )

    with session_scope(db) as s:
        persons = dict(s.execute(select(Person.ref, Person.status)).all())
        remains = dict(s.execute(select(Remains.ref, Remains.status)).all())
        assert s.execute(select(RepatriationItem.coffin_label)).scalars().all() == ["1", "2"]
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert persons == {
        "P-0001": "repatriated",
        "P-0002": "repatriated",
        "P-0003": "missing",
        "P-0004": "missing",
    }
    assert remains == {
        "R-0001": "repatriated",
        "R-0002": "repatriated",
        "R-0003": "recovered",
        "R-0004": "disposed",
    }
    assert {"import.persons", "review.confirm", "notify.record", "repatriation.record"} <= actions

    # No more custody for repatriated remains.
    with pytest.raises(ServiceError, match="remains R-0001 were repatriated and have left custody"):
        record_custody(db, actor="cas", event="stored", remains_ref="R-0001")

    acc = account(db, actor="aud")
    assert acc.counts == {
        "persons": 4,
        "recovered": 4,
        "sampled": 2,
        "identified": 2,
        "notified": 2,
        "repatriated": 2,
        "disposed": 0,
        "unaccounted": 2,
    }
    by_id = {c["claim_id"]: c for c in acc.claims}
    # claims are set beside a figure of the same subject, scope and day only
    assert by_id["c14"]["difference"] == (
        "not comparable: the claim counts 'coffins shown at repatriation ceremony', the "
        "registry counts individuals (bodies)"
    )
    assert by_id["c01"]["difference"] == (
        "not comparable: the registry counts bodies recovered, identified, returned and "
        "buried, not 'killed'"
    )
    assert not by_id["c02"]["comparable"] and by_id["c02"]["registry_value"] is None
    # by hand: 4 bodies; R-0001 and R-0002 identified and returned, R-0004 buried, R-0003 held
    assert acc.individuals == {
        "recovered": 4,
        "identified": 2,
        "returned": 2,
        "buried": 1,
        "held": 1,
    }
    assert by_id["c14"]["reported_by"] == "news site (Guardian summary)"
    assert acc.tables["persons"] == 4 and acc.tables["published_claims"] == 17

    report = verify_chains(db, actor="aud")
    # custody: 4 received on import, received, 2 sampled, 3 released; decisions; no
    # re-associations; and the audit log, chained too
    assert report.ok and [c.rows for c in report.chains][:3] == [10, 6, 0]
    assert report.chains[3].table == "audit_events" and report.chains[3].rows > 6
    record = person_record(db, "P-0001", actor="lia")
    assert {n["kind"] for n in record.names} == {"official", "false", "transliteration"}


def test_refused_transitions_are_one_sentence(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    presume_dead(db, "P-0001", actor="cas", reason="witness")
    with pytest.raises(ServiceError) as e:
        presume_dead(db, "P-0001", actor="cas", reason="again")
    assert str(e.value) == (
        "person P-0001 is presumed dead and cannot become presumed dead; from "
        "presumed dead it can only become identified or missing"
    )
    dispose(
        db,
        "R-0001",
        actor="cas",
        kind="burial",
        occurred_on="2025-05-01",
        reason="unidentified",
        despite_open_candidates="the only candidate is weak",
    )
    with pytest.raises(ServiceError, match="body R-0001 is disposed and cannot become disposed"):
        dispose(db, "R-0001", actor="cas", kind="cremation", occurred_on="2025-05-02", reason="x")
    with pytest.raises(ServiceError, match="cas is a case_manager and may not record family"):
        notify_family(db, "P-0001", actor="cas", recipient="x", method="phone", notified_on="2025")
