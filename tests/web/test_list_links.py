"""Each list page links to its paged, sortable list and to its CSV export, which answer."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from test_pages import login


@pytest.mark.parametrize(
    ("role", "page", "lists"),
    [
        ("cas", "/remains", ["remains"]),
        ("ana", "/review", ["to-propose", "to-review"]),
        ("lia", "/notifications", ["families-to-tell", "families-told"]),
        ("cas", "/repatriations", ["repatriations", "awaiting-handover"]),
        ("aud", "/audit", ["audit"]),
    ],
)
def test_list_pages_link_to_every_row_and_csv(
    app_client: TestClient, role: str, page: str, lists: list[str]
) -> None:
    login(app_client, role)
    text = app_client.get(page).text
    for name in lists:
        assert f'href="/lists/{name}"' in text and f'href="/lists/{name}?format=csv"' in text
        assert app_client.get(f"/lists/{name}").status_code == 200
        csv = app_client.get(f"/lists/{name}", params={"format": "csv"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")


def test_the_remains_page_pages_sorts_and_exports_in_place(app_client: TestClient) -> None:
    login(app_client, "cas")

    def refs(params: dict[str, str]) -> list[str]:
        return re.findall(
            r'href="/remains/(R-[0-9]+)"', app_client.get("/remains", params=params).text
        )

    up, down = refs({}), refs({"sort": "-ref"})
    assert up and up == sorted(up) and down == list(reversed(up))
    assert 'aria-sort="descending"' in app_client.get("/remains", params={"sort": "-ref"}).text
    csv = app_client.get("/remains", params={"format": "csv", "sort": "-ref"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("ref,")


def test_the_review_queue_pages_each_list_in_place(app_client: TestClient) -> None:
    login(app_client, "ana")
    page = app_client.get("/review", params={"sort_p": "candidate_id"}).text
    ids = [int(x) for x in re.findall(r'href="/matches/([0-9]+)">match', page)]
    assert ids == sorted(ids) and 'aria-sort="ascending"' in page
    down = app_client.get("/review", params={"sort_p": "-candidate_id"}).text
    assert [int(x) for x in re.findall(r'href="/matches/([0-9]+)">match', down)] == ids[::-1]
    one = app_client.get("/review", params={"sort_p": "candidate_id", "limit": "1"})
    assert one.status_code == 200
    csv = app_client.get("/review", params={"format_p": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    bad = app_client.get("/review", params={"cursor_p": "garbage!"})
    assert bad.status_code == 422 and "not valid" in bad.text and "Traceback" not in bad.text


@pytest.mark.parametrize(
    ("role", "page", "suffixes"),
    [("lia", "/notifications", ["_t", "_d"]), ("cas", "/repatriations", ["_d"])],
)
def test_after_identification_pages_page_and_export_in_place(
    app_client: TestClient, role: str, page: str, suffixes: list[str]
) -> None:
    login(app_client, role)
    for s in suffixes:
        one = app_client.get(page, params={f"sort{s}": "id" if s == "_d" else "person_ref"})
        assert one.status_code == 200 and "Traceback" not in one.text
        csv = app_client.get(page, params={f"format{s}": "csv"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        bad = app_client.get(page, params={f"sort{s}": "genotype"})
        assert bad.status_code == 422 and "cannot sort by" in bad.text


def test_the_families_page_pages_and_exports_in_place(app_client: TestClient) -> None:
    login(app_client, "ana")
    page = app_client.get("/families").text
    refs = re.findall(r'href="/families/([^"/]+)"', page)
    assert refs and refs == sorted(refs) and "of " in page
    down = app_client.get("/families", params={"sort": "-ref"}).text
    assert re.findall(r'href="/families/([^"/]+)"', down) == refs[::-1]
    csv = app_client.get("/families", params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("family,version")
    assert len(csv.text.strip().splitlines()) == len(refs) + 1


def test_a_burial_with_open_candidates_goes_ahead_only_with_its_reason(
    app_client: TestClient,
) -> None:
    token = login(app_client, "cas")
    body = app_client.get("/bodies/R-0001")
    assert body.status_code == 200 and "why the burial cannot wait" in body.text
    form = {
        "csrf_token": token,
        "kind": "burial",
        "occurred_on": "2025-06-02",
        "reason": "the family asked for it",
        "cemetery": "Municipal cemetery",
        "grave": "3",
    }
    refused = app_client.post("/bodies/R-0001/disposition", data=form, follow_redirects=False)
    assert (
        refused.status_code == 409
        and "candidate" in refused.text
        and "Traceback" not in refused.text
    )
    form["despite_open_candidates"] = "the family buries him now; the review goes on"
    done = app_client.post("/bodies/R-0001/disposition", data=form, follow_redirects=False)
    assert done.status_code == 303


def test_the_profiles_a_run_may_use_have_a_page(app_client: TestClient) -> None:
    login(app_client, "ana")
    page = app_client.get("/consent/profiles")
    assert page.status_code == 200 and "Profiles a new identification run may use" in page.text
    assert 'href="/consent/profiles"' in app_client.get("/donors").text
    login(app_client, "ada")
    assert app_client.get("/consent/profiles").status_code == 403
