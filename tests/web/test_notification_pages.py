"""The notification pages over HTTP: the summary never claims every family told when one was let
go untold, a declined donor is not offered, exceptions are recorded from the page, the flagged
list renders (issue 15)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from test_pages import login

from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Donor, Profile, RunProfile, Sample
from repatria.services.workflows import review
from repatria.services.workflows.consent import decline_contact, withdraw_consent
from repatria.services.workflows.repatriation import repatriate

OVERRIDE = "test data: the evidence stored by hand does not meet the identification policy"


def _typed_in_run(db: str, cand: int, donors: list[str]) -> None:
    """The donors' reference profiles, as the candidate's run used them."""
    with session_scope(db) as s:
        run_id = s.get(CandidateMatch, cand).run_id
        for ref in donors:
            d = s.execute(select(Donor).where(Donor.ref == ref)).scalar_one()
            sample = Sample(ref=f"S-{ref}", kind="reference", donor_id=d.id)
            s.add(sample)
            s.flush()
            prof = Profile(sample_id=sample.id, kit="GlobalFiler", quality=1.0)
            s.add(prof)
            s.flush()
            s.add(RunProfile(run_id=run_id, profile_id=prof.id))


def _identified(db: str, cand: int) -> None:
    review.propose(db, cand, actor="ana", override=OVERRIDE)
    review.confirm(db, cand, actor="rev", reason="LR", override=OVERRIDE)


def test_notifications_page_never_says_every_family_was_told(
    app_client: TestClient,
    surface_db,  # noqa: ANN001
) -> None:
    db, ids = surface_db
    _identified(db, ids["p1_r1"])
    decline_contact(db, "D-02", actor="lia", reason="her letter")
    csrf = login(app_client, "lia")
    page = app_client.get("/notifications").text
    assert "1 family is still to be told." in page
    assert '<option value="D-01">' in page and '<option value="D-02">' not in page
    assert "does not want to be contacted" in page
    assert "Every identified person" not in page

    repatriate(
        db,
        ["R-0001"],
        actor="cas",
        kind="handover",
        counterpart="embassy",
        occurred_on="2025-04-01",
        without_notification="the exchange could not wait",
    )
    page = app_client.get("/notifications").text
    assert "Every identified person" not in page
    assert "No family is waiting to be told. 1 family was not told" in page
    assert "the exchange could not wait" in page and "repatriation 1" in page

    csrf = login(app_client, "cas")
    reps = app_client.get("/repatriations").text
    assert "Handed over before the family was told: P-0001" in reps
    r = app_client.post(
        "/notifications/exception",
        data={"csrf_token": csrf, "person_ref": "P-0002", "reason": "x"},
    )
    assert r.status_code == 409 and "no confirmed identification" in r.text


def test_exception_form_and_flagged_page(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    db, ids = surface_db
    _identified(db, ids["p1_r1"])
    csrf = login(app_client, "cas")
    r = app_client.post(
        "/notifications/exception",
        data={"csrf_token": csrf, "person_ref": "P-0001", "reason": "no next of kin alive"},
    )
    assert r.status_code == 200 and "recorded as not told (no next of kin alive)" in r.text
    assert "Families to tell (0)" in r.text

    login(app_client, "rev")
    assert "No identification rests on a withdrawn reference" in app_client.get("/flagged").text
    _typed_in_run(db, ids["p1_r1"], ["D-01", "D-02"])
    withdraw_consent(db, "D-01", actor="lia", reason="his letter")
    withdraw_consent(db, "D-02", actor="lia", reason="her letter")
    page = app_client.get("/flagged").text
    assert "D-01 (father)" in page and "rests only on withdrawn references" in page
    login(app_client, "lia")
    assert app_client.get("/flagged").status_code == 403
