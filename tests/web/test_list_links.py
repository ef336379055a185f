"""Each list page links to its paged, sortable list and to its CSV export, which answer."""

from __future__ import annotations

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
