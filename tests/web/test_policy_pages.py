"""The pages of the policy: the queue shows each candidate's verdict, a batch action, the
policy page, and a refusal that says what to do next in words."""

from __future__ import annotations

from fastapi.testclient import TestClient
from test_pages import login


def test_queue_shows_the_verdict_and_the_batch_action(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    _, ids = surface_db
    token = login(app_client, "ana")
    page = app_client.get("/review").text
    assert "Propose every candidate that meets the policy (0)" in page
    assert "<strong>fails</strong> lr" in page and "references: failed" in page
    r = app_client.post("/review/propose-batch", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    flash = app_client.get(r.headers["location"]).text
    assert "0 candidate(s) proposed by ana" in flash
    # a failing candidate's form asks for the reason for overriding
    m = app_client.get(f"/matches/{ids['p1_r1']}").text
    assert "fails identification policy v1" in m and "why propose it anyway?" in m
    r = app_client.post(f"/review/{ids['p1_r1']}/propose", data={"csrf_token": token})
    assert r.status_code == 409 and "an analyst must give the reason for overriding" in r.text
    assert "--override" not in r.text and "Traceback" not in r.text
    assert "Identification policy v1" in app_client.get("/policy").text
