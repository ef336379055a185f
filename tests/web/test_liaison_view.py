"""The liaison officer's view: no links to pages she is refused, the report and the family
letter she may hand over, and the families told named, not only numbered (issue 18)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from test_pages import login

from repatria.services.workflows import review


def test_the_liaison_officer_is_offered_what_she_may_open(
    app_client: TestClient,
    surface_db,  # noqa: ANN001
) -> None:
    db, ids = surface_db
    cand = ids["p1_r1"]
    why = "test data: no references stored with the candidate"
    review.propose(db, cand, actor="ana", reason="strong LR, both parents typed", override=why)
    review.confirm(
        db, cand, actor="rev", reason="checked the markers and the pedigree", override=why
    )
    login(app_client, "lia")
    page = app_client.get("/persons/P-0001")
    assert page.status_code == 200
    assert "/matches/" not in page.text  # she may not open match pages: no dead links
    for link in (f"/reports/identification/{cand}.pdf", f"/reports/family-letter/{cand}.pdf"):
        assert link in page.text
        r = app_client.get(link)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    login(app_client, "ana")
    page = app_client.get("/persons/P-0001")
    assert f"/matches/{cand}" in page.text and "family-letter" not in page.text


def test_families_told_are_named(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    from repatria.services.workflows import notification

    db, ids = surface_db
    why = "test data: no references stored with the candidate"
    review.propose(db, ids["p1_r1"], actor="ana", reason="strong", override=why)
    review.confirm(db, ids["p1_r1"], actor="rev", reason="checked", override=why)
    notification.notify_family(
        db, "P-0001", actor="lia", recipient="Kim Young-hee", relationship="mother",
        method="in_person", notified_on="2025-03-01",
    )  # fmt: skip
    login(app_client, "lia")
    page = app_client.get("/notifications").text
    told = page.split("Families told")[1]
    assert "김철수 (P-0001)" in told and "Kim Young-hee" in told and "lia" in told
