"""Every list paged, sortable and exportable as CSV (issue 15): ``/api/v1/lists/<name>`` and the
``/lists/<name>`` pages on the surface case, and paging through 120 remains on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repatria.services.access.users import add_user
from repatria.services.paging import page_spec
from repatria.services.views.lists import LISTS, list_csv, list_rows
from repatria.services.workflows.imports import import_remains
from surface_data import password

ROLE_OF = {
    "remains": "ana",
    "audit": "aud",
    "to-propose": "ana",
    "to-review": "rev",
    "families-to-tell": "lia",
    "families-told": "lia",
    "repatriations": "cas",
    "awaiting-handover": "cas",
}


def _auth(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_list_answers_a_page_and_a_csv(app_client: TestClient, name: str) -> None:
    h = _auth(app_client, ROLE_OF[name])
    r = app_client.get(f"/api/v1/lists/{name}", params={"limit": 2}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"rows", "total", "next", "columns"} <= set(body)
    assert len(body["rows"]) == min(2, body["total"])
    assert (body["next"] is None) == (body["total"] <= 2)
    for sort in LISTS[name].sorts:
        for s in (sort, f"-{sort}"):
            got = app_client.get(f"/api/v1/lists/{name}", params={"sort": s}, headers=h)
            assert got.status_code == 200, (s, got.text)
    csv_ = app_client.get(f"/api/v1/lists/{name}", params={"format": "csv"}, headers=h)
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    lines = csv_.text.strip().splitlines()
    assert lines[0].split(",") == list(LISTS[name].columns)
    if name == "audit":  # every read of the audit log is itself audited
        assert len(lines) > body["total"] + 1
    else:
        assert len(lines) == body["total"] + 1


def test_a_list_refuses_the_wrong_role(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/lists/audit", headers=_auth(app_client, "ana"))
    assert r.status_code == 403


def test_the_list_pages_render_with_sort_headers_and_csv(app_client: TestClient) -> None:
    app_client.cookies.clear()
    form = app_client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    app_client.post(
        "/login",
        data={"name": "cas", "password": password("cas"), "csrf_token": token, "next": "/"},
    )
    index = app_client.get("/lists")
    assert index.status_code == 200 and "/lists/remains" in index.text
    page = app_client.get("/lists/remains", params={"sort": "-ref"})
    assert (
        page.status_code == 200
        and "format=csv" in page.text
        and 'aria-sort="descending"' in page.text
    )
    csv_ = app_client.get("/lists/remains", params={"format": "csv"})
    assert csv_.text.startswith("ref,site,")


@pytest.fixture
def remains_db(registry_db: str, tmp_path: Path) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
    from registry_samples import REMAINS_HEADER, remains_line

    add_user(registry_db, "cas", "case_manager")
    add_user(registry_db, "ana", "analyst")
    f = tmp_path / "remains.tsv"
    f.write_text(REMAINS_HEADER + "\n" + "".join(remains_line(i) + "\n" for i in range(1, 121)))
    import_remains(registry_db, f, actor="cas")
    return registry_db


def test_paging_reaches_every_remains_both_ways(remains_db: str) -> None:
    seen, cursor, pages = [], None, []
    while True:
        got = list_rows(remains_db, "remains", actor="ana", page=page_spec("-ref", 25, cursor))
        pages.append(got.page)
        seen += [r["ref"] for r in got.page.items]
        if got.page.next is None:
            break
        cursor = got.page.next
    assert seen == [f"R-{i:04d}" for i in range(120, 0, -1)] and len(pages) == 5
    back = list_rows(
        remains_db, "remains", actor="ana", page=page_spec("-ref", 25, pages[2].previous)
    )
    assert back.page.items == pages[1].items
    assert len(list_csv(remains_db, "remains", actor="ana").strip().splitlines()) == 121
