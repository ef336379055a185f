"""The match page shows the direct-reference factor (the MP's own item) beside the autosomal LR,
with its model and the combined LR, on SQLite and PostgreSQL (issue 13, 4)."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines
from repatria.services.access.auth import set_password
from repatria.services.access.users import add_user
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from direct_case import write_case  # noqa: E402


def _login(client: TestClient, name: str, pw: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m is not None
    r = client.post("/login", data={"name": name, "password": pw, "csrf_token": m.group(1),
                                    "next": "/"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text


def test_the_match_page_shows_the_direct_factor(registry_db: str, tmp_path: Path) -> None:
    db = registry_db
    add_user(db, "ana", "analyst")
    set_password(db, "ana", "ana-secret-password")
    import_case(db, write_case(tmp_path / "case"), actor="ana")
    result = identify(db, actor="ana")
    (c,) = [c for c in result.candidates if (c.pm, c.missing) == ("V2", "MP2")]
    try:
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            _login(client, "ana", "ana-secret-password")
            page = client.get(f"/matches/{c.id}")
    finally:
        dispose_engines()
    assert page.status_code == 200
    table = page.text.split('<table class="factors">', 1)[1].split("</table>", 1)[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", table)).split())
    assert "Direct reference (razor)" in text or "direct reference (razor)" in text.lower()
    assert "the MP's own razor RZ-2, reliability 0.8" in text
    assert "r * LR + (1 - r)" in text  # the model, in words
    assert "most reliable of the MP's own items" in text
