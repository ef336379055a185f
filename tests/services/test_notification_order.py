"""Notification, handover and burial in order; consent and contact (issue 15, deliverables 2-3).

On SQLite and PostgreSQL: a family stays "to tell" until told or excepted with a reason; a
handover or a burial of an untold family is refused naming the person unless a reason is given
(recorded, audited, shown); a body with open candidates is not buried without a reason; a donor
who declined contact is never the one told; identifications resting on a withdrawn donor are
flagged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from registry_samples import setup_case
from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    AuditEvent,
    Disposition,
    Donor,
    NotificationException,
    Person,
    Profile,
    Remains,
    Sample,
)
from repatria.services.views import notifications_view, repatriations_view
from repatria.services.workflows import review
from repatria.services.workflows.consent import (
    decline_contact,
    flagged_identifications,
    withdraw_consent,
)
from repatria.services.workflows.notification import (
    notifications_for,
    notify_family,
    record_exception,
)
from repatria.services.workflows.repatriation import dispose, repatriate
from repatria.services.workflows.runs import CandidateInput, record_candidates, record_run

EVERY_TOLD = "Every identified person's family has been told."

OVERRIDE = "test data: the evidence stored by hand does not meet the identification policy"


def _confirm(db: str, cid: int) -> None:
    review.propose(db, cid, actor="ana", override=OVERRIDE)
    review.confirm(db, cid, actor="rev", reason="LR above the policy", override=OVERRIDE)


def _donors(db: str, person_ref: str = "P-0001") -> None:
    """Two donors for the person: the mother (Kim Young-hee) and the brother, each typed."""
    with session_scope(db) as s:
        person = s.execute(select(Person).where(Person.ref == person_ref)).scalar_one()
        for ref, name, rel in (("D1", "Kim Young-hee", "mother"), ("D2", "Kim Min-jun", "brother")):
            d = Donor(ref=ref, name=name, relationship_to_mp=rel, mp_person_id=person.id)
            s.add(d)
            s.flush()
            sample = Sample(ref=f"S-{ref}", kind="reference", donor_id=d.id)
            s.add(sample)
            s.flush()
            s.add(Profile(sample_id=sample.id, kit="GlobalFiler", quality=1.0))


def _actions(db: str) -> list[tuple[str, dict]]:
    with session_scope(db) as s:
        return [(a, d or {}) for a, d in s.execute(select(AuditEvent.action, AuditEvent.detail))]


# ------------------------------------------------------------------ contact declined


def test_a_donor_who_declined_contact_is_never_the_person_told(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=1)
    _donors(db)
    _confirm(db, cands[0])
    with pytest.raises(ServiceError, match="ana is an analyst and may not record a consent"):
        decline_contact(db, "D1", actor="ana", reason="phone call")
    with pytest.raises(ServiceError, match="record how the donor said so"):
        decline_contact(db, "D1", actor="lia", reason=" ")
    d = decline_contact(db, "D1", actor="lia", reason="said so on the phone, 2025-02-01")
    assert not d.already and "does not want to be contacted" in d.message
    assert decline_contact(db, "D1", actor="lia", reason="again").already

    # Refused by reference and by name (case, hyphen and spaces aside): one line, ref only.
    told = {"method": "phone", "notified_on": "2025-03-01", "actor": "lia"}
    with pytest.raises(ServiceError) as e:
        notify_family(db, "P-0001", recipient="", recipient_donor="D1", **told)
    assert str(e.value) == (
        "donor D1 does not want to be contacted and cannot be the person told of P-0001; "
        "tell another relative, or record why the family is not told"
    )
    with pytest.raises(ServiceError, match="donor D1 does not want to be contacted"):
        notify_family(db, "P-0001", recipient="kim young hee", **told)

    # The page offers only the brother; the mother is shown as not to be contacted.
    task = notifications_view(db, actor="lia").tasks[0]
    assert [r["donor"] for r in task.contactable] == ["D2"]
    assert [r["donor"] for r in task.references if r["declines_contact"]] == ["D1"]

    n = notify_family(db, "P-0001", recipient="", recipient_donor="D2", **told)
    assert (n.recipient, n.relationship, n.recipient_donor) == ("Kim Min-jun", "brother", "D2")
    assert notifications_for(db, "P-0001", actor="cas")[0].recipient_donor == "D2"
    assert ("consent.decline_contact", {"already": False}) in _actions(db)


# ------------------------------------------------------------------ families to tell


def test_a_family_stays_to_tell_until_told_or_excepted(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=3)
    _confirm(db, cands[0])
    _confirm(db, cands[1])
    v = notifications_view(db, actor="lia")
    assert [t.person_ref for t in v.tasks] == ["P-0001", "P-0002"]
    assert v.summary == "2 families are still to be told."

    with pytest.raises(ServiceError, match="ana is an analyst and may not record why a family"):
        record_exception(db, "P-0002", actor="ana", reason="x")
    with pytest.raises(ServiceError, match="say why the family of P-0002 is not told"):
        record_exception(db, "P-0002", actor="cas", reason="  ")
    with pytest.raises(ServiceError, match="P-0003 has no confirmed identification"):
        record_exception(db, "P-0003", actor="cas", reason="x")
    e = record_exception(db, "P-0002", actor="cas", reason="no next of kin can be found")
    assert e.message == (
        "the family of P-0002 is recorded as not told (no next of kin can be found), by cas"
    )
    with pytest.raises(ServiceError, match="already told of this identification, or an excep"):
        record_exception(db, "P-0002", actor="lia", reason="again")

    v = notifications_view(db, actor="cas")
    assert [t.person_ref for t in v.tasks] == ["P-0001"]
    assert [(x["person_ref"], x["reason"], x["by"], x["cause"]) for x in v.exceptions] == [
        ("P-0002", "no next of kin can be found", "cas", None)
    ]
    assert v.summary == (
        "1 family is still to be told. 1 family was not told: see the exceptions, with who "
        "decided and why."
    )
    notify_family(
        db, "P-0001", actor="lia", recipient="mother", method="phone", notified_on="2025-03-01"
    )
    v = notifications_view(db, actor="cas")
    assert v.tasks == [] and v.summary != EVERY_TOLD
    assert v.summary.startswith("No family is waiting to be told. 1 family was not told")
    with pytest.raises(ServiceError, match="already told"):
        record_exception(db, "P-0001", actor="lia", reason="x")


def test_a_person_repatriated_untold_stays_to_tell(db: str, tmp_path: Path) -> None:
    """Remains that left without their family told (before this rule) never leave the list."""
    cands = setup_case(db, tmp_path, n=1)
    _confirm(db, cands[0])
    with session_scope(db) as s:
        s.execute(select(Person).where(Person.ref == "P-0001")).scalar_one().status = "repatriated"
    v = notifications_view(db, actor="lia")
    assert [(t.person_ref, t.person_status) for t in v.tasks] == [("P-0001", "repatriated")]
    assert v.summary == "1 family is still to be told."


# ------------------------------------------------------------------ handover


def test_a_handover_is_refused_while_a_family_is_not_told(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=2)
    _confirm(db, cands[0])
    _confirm(db, cands[1])
    notify_family(
        db, "P-0001", actor="lia", recipient="mother", method="phone", notified_on="2025-03-01"
    )
    batch = {"actor": "cas", "kind": "exchange", "counterpart": "DPRK", "occurred_on": "2025-04"}
    with pytest.raises(ServiceError) as e:
        repatriate(db, ["R-0001", "R-0002"], **batch)
    assert str(e.value) == (
        "handover refused: the family of P-0002 (김철수2) has not been told of the "
        "identification; record the notification first, or give the reason to go ahead without "
        "notification"
    )
    with session_scope(db) as s:  # all or nothing: nobody moved
        states = set(s.execute(select(Remains.status)).scalars())
    assert states == {"identified"}
    assert repatriations_view(db, actor="cas").untold == ["P-0002"]
    with pytest.raises(ServiceError, match="say why the handover goes ahead without notif"):
        repatriate(db, ["R-0001", "R-0002"], without_notification=" ", **batch)

    reason = "the exchange commission set the date; the family is abroad"
    rec = repatriate(db, ["R-0001", "R-0002"], without_notification=reason, **batch)
    assert rec.without_notification == ["P-0002"] and rec.without_notification_reason == reason
    assert rec.message.endswith(f"; families not told: P-0002 ({reason})")
    with session_scope(db) as s:
        ex = s.execute(select(NotificationException)).scalar_one()
        assert (ex.reason, ex.cause) == (reason, f"repatriation:{rec.id}")
    audited = dict(_actions(db))
    assert audited["repatriation.record"]["without_notification"] == ["P-0002"]
    assert audited["repatriation.record"]["without_notification_reason"] == reason
    assert audited["notify.exception"]["reason"] == reason

    # Shown: not "to tell" any more, but never "every family told".
    v = notifications_view(db, actor="lia")
    assert v.tasks == [] and v.summary != EVERY_TOLD
    assert v.exceptions[0]["person_ref"] == "P-0002"
    assert v.exceptions[0]["cause"] == f"repatriation:{rec.id}"
    done = repatriations_view(db, actor="aud").done[0]
    assert done.without_notification == [{"person_ref": "P-0002", "reason": reason, "by": "cas"}]


def test_a_told_family_lets_the_handover_through(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=1)
    _confirm(db, cands[0])
    assert repatriations_view(db, actor="cas").eligible[0]["family"] == "not told"
    notify_family(
        db, "P-0001", actor="lia", recipient="mother", method="phone", notified_on="2025-03-01"
    )
    assert repatriations_view(db, actor="cas").eligible[0]["family"] == "told"
    rec = repatriate(
        db, ["R-0001"], actor="cas", kind="handover", counterpart="f", occurred_on="2025-04"
    )
    assert rec.without_notification == [] and "not told" not in rec.message
    with session_scope(db) as s:
        assert s.execute(select(NotificationException)).first() is None
    assert notifications_view(db, actor="lia").summary == EVERY_TOLD


def test_an_exception_recorded_first_lets_the_handover_through(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=1)
    _confirm(db, cands[0])
    record_exception(db, "P-0001", actor="lia", reason="the family asked not to be told")
    assert repatriations_view(db, actor="cas").eligible[0]["family"] == "exception"
    rec = repatriate(
        db, ["R-0001"], actor="cas", kind="handover", counterpart="f", occurred_on="2025-04"
    )
    assert rec.without_notification == []


# ------------------------------------------------------------------ burial


def test_a_burial_with_open_candidates_needs_a_reason(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=3)
    burial = {"actor": "cas", "kind": "burial", "occurred_on": "2025-05", "reason": "unclaimed"}
    with pytest.raises(ServiceError) as e:
        dispose(db, "R-0003", **burial)
    assert str(e.value) == (
        f"burial of body R-0003 refused: candidates for it are still open ({cands[2]}: P-0003); "
        "review them first, or give the reason it cannot wait"
    )
    review.propose(db, cands[2], actor="ana", override=OVERRIDE)  # proposed is still open
    with pytest.raises(ServiceError, match=f"still open \\({cands[2]}: P-0003\\)"):
        dispose(db, "R-0003", **burial)
    with pytest.raises(ServiceError, match="say why the disposition goes ahead with candidates"):
        dispose(db, "R-0003", despite_open_candidates="", **burial)
    d = dispose(db, "R-0003", despite_open_candidates="the grave must be closed", **burial)
    assert d.open_candidates == [cands[2]] and "candidates left open" in d.message
    with session_scope(db) as s:
        assert s.get(Disposition, d.id).open_candidates_reason == "the grave must be closed"
    assert dict(_actions(db))["disposition.record"]["open_candidates"] == [cands[2]]

    # A rejected candidate is not open; holding a body is not a burial.
    review.propose(db, cands[1], actor="ana", override=OVERRIDE)
    review.reject(db, cands[1], actor="rev", reason="dental record differs")
    assert dispose(db, "R-0002", **burial).open_candidates == []
    held = {**burial, "kind": "held", "reason": "pending other means"}
    assert dispose(db, "R-0001", **held).open_candidates == []


def test_a_burial_of_an_identified_body_waits_for_the_family(db: str, tmp_path: Path) -> None:
    cands = setup_case(db, tmp_path, n=1)
    _confirm(db, cands[0])
    burial = {"actor": "cas", "kind": "burial", "occurred_on": "2025-05", "reason": "family wish"}
    with pytest.raises(ServiceError, match="burial of body R-0001 refused: the family of P-0001"):
        dispose(db, "R-0001", **burial)
    d = dispose(db, "R-0001", without_notification="buried where he fell, by law", **burial)
    assert d.without_notification_reason == "buried where he fell, by law"
    v = notifications_view(db, actor="lia")
    assert v.tasks == [] and v.exceptions[0]["cause"] == f"disposition:{d.id}"


# ------------------------------------------------------------------ withdrawn consent


def test_identifications_resting_on_a_withdrawn_donor_are_flagged(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=2)
    _donors(db, "P-0001")
    with session_scope(db) as s:
        profiles = list(s.execute(select(Profile.id)).scalars())
    run = record_run(db, actor="ana", profile_ids=profiles)
    cid = record_candidates(db, run, [CandidateInput("P-0001", "R-0001", None, 7.0)], actor="ana")
    _confirm(db, cid[0])
    assert flagged_identifications(db, actor="rev") == []

    withdraw_consent(db, "D1", actor="lia", reason="the mother wrote on 2025-06-01")
    (f,) = flagged_identifications(db, actor="rev")
    assert (f.candidate_id, f.person_ref, f.remains_ref) == (cid[0], "P-0001", "R-0001")
    assert [w["donor"] for w in f.withdrawn] == ["D1"] and f.other_references == 1
    assert not f.rests_only_on_withdrawn and "also rests on 1 other reference" in f.message

    withdraw_consent(db, "D2", actor="lia", reason="the brother too")
    (f,) = flagged_identifications(db, actor="aud")
    assert f.rests_only_on_withdrawn and f.message.endswith("rests only on withdrawn references")
    with pytest.raises(ServiceError, match="lia may not flagged read"):
        flagged_identifications(db, actor="lia")
    assert "flagged.read" in [a for a, _ in _actions(db)]


# ------------------------------------------------------------------ disclosure (pure)


def test_relationship_findings_are_read_from_checks_and_warnings() -> None:
    from repatria.services.workflows.disclosure import relationship_findings

    finding = "misattributed relationship: exclusions concentrate on D1 (father)"
    assert relationship_findings(None) == []
    assert relationship_findings({"checks": ["sex conflict"], "warnings": ["LR0 = 3"]}) == []
    assert relationship_findings({"checks": ["misattributed relationship"]}) == [
        "misattributed relationship"
    ]
    assert relationship_findings(
        {"checks": [{"check": "misattributed relationship", "message": finding}]}
    ) == [finding]
    assert relationship_findings({"warnings": [finding]}) == [finding]


@given(st.lists(st.text(max_size=30) | st.just("Misattributed relationship of D1"), max_size=6))
def test_nothing_about_relatives_reaches_a_family_unless_allowed(texts: list[str]) -> None:
    from repatria.services.workflows.disclosure import for_family

    kept = for_family(texts, allowed=False)
    assert all("misattributed" not in t.casefold() for t in kept)
    assert [t for t in texts if "misattributed" not in t.casefold()] == kept
    assert for_family(texts, allowed=True) == texts
