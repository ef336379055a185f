"""The screen form of /runs: an analyst screens an imported case as a job and watches its page;
refusals are shown on the runs page in words, the form kept as filled."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path

from fastapi.testclient import TestClient
from test_job_pages import _csrf, _zip, empty_client  # noqa: F401
from test_pages import login

CASE = Path(str(files("repatria"))) / "data" / "demo" / "exchange-2025-02"


def _zipped() -> tuple[str, bytes, str]:
    return ("exchange-2025-02.zip", _zip(CASE), "application/zip")


def _screen(client: TestClient, **form: str):  # noqa: ANN202
    page = client.get("/runs")
    return client.post(
        "/screens",
        data={"csrf_token": _csrf(page.text), **form},
        files={"file": _zipped()},
        follow_redirects=False,
    )


def test_an_analyst_screens_an_imported_case_and_reads_the_result(empty_client: TestClient) -> None:  # noqa: F811
    client = empty_client
    login(client, "ana")
    page = client.get("/runs")
    assert "Screen a case" in page.text and 'action="/screens"' in page.text
    assert "Smallest LR kept" in page.text and "Dropout" in page.text and "Drop-in" in page.text
    r = _screen(client, min_lr="1")
    assert r.status_code == 409, r.text  # not imported yet: said on the runs page
    assert "The screen was not started" in r.text and "import it first" in r.text
    r = client.post(
        "/imports",
        data={"csrf_token": _csrf(client.get("/runs").text), "kind": "case"},
        files={"file": _zipped()},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = _screen(client, min_lr="1", top="5", dropout="0.05", drop_in="")
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_url = r.headers["location"]
    deadline = time.monotonic() + 120
    while True:
        job = client.get(job_url)
        assert job.status_code == 200
        assert "<h1>Screen " in job.text
        if 'http-equiv="refresh"' not in job.text:
            break
        assert "Now " in job.text or "Waiting" in job.text
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "Finished: screening run " in job.text, job.text
    assert "Candidate matches stored for review" in job.text and 'href="/review"' in job.text
    assert "Traceback" not in job.text
    runs = client.get("/runs").text
    assert f'href="{job_url}"' in runs and "<td>screen</td>" in runs


def test_bad_screen_options_are_shown_in_words_with_the_form_kept(empty_client: TestClient) -> None:  # noqa: F811
    login(empty_client, "ana")
    r = _screen(empty_client, min_lr="lots", top="5")
    assert r.status_code == 422
    assert "The screen was not started: the smallest LR kept must be a number" in r.text
    assert 'value="lots"' in r.text
    r = _screen(empty_client, dropout="2")
    assert r.status_code == 422 and "dropout must be at least 0 and below 1" in r.text
    r = _screen(empty_client, top="2.5")
    assert r.status_code == 422 and "whole number" in r.text


def test_reviewers_see_no_screen_form(empty_client: TestClient) -> None:  # noqa: F811
    login(empty_client, "rev")
    assert "Screen a case" not in empty_client.get("/runs").text
    assert _screen(empty_client).status_code == 403


def test_the_run_form_takes_the_models_and_says_why_it_refuses(empty_client: TestClient) -> None:  # noqa: F811
    client = empty_client
    login(client, "ana")
    page = client.get("/runs")
    assert 'name="match_prior"' in page.text and 'name="prior_sensitivity"' in page.text
    r = client.post(
        "/runs",
        data={"csrf_token": _csrf(page.text), "non_dna_prior": "1", "dropout": "0.1"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "The run was not started: the non-DNA evidence can enter the prior only" in r.text
    assert 'value="0.1"' in r.text  # the form kept as filled
    r = client.post(
        "/runs",
        data={"csrf_token": _csrf(page.text), "dropout": "0.1", "match_prior": "0.5"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
