"""A screen started from /runs in Debian's Chromium (issues 18 and 13): the case manager uploads
the demo case, the analyst screens it with a dropout from the form and waits on the job page,
which refreshes itself, for it to say the screen finished; a reload shows the same result."""

from __future__ import annotations

import re

from browser_support import Walk
from test_walk_upload_to_burial import DEMO_CASE, _submit, _zip, server  # noqa: F401


def test_an_analyst_starts_a_screen_from_runs_and_waits_for_it(page, server, tmp_path) -> None:  # noqa: ANN001, F811
    base, _ = server
    page.repatria_shots = tmp_path
    walk = Walk(page, base)
    upload = {
        "name": "exchange-2025-02.zip",
        "mimeType": "application/zip",
        "buffer": _zip(DEMO_CASE),
    }

    walk.login("cas")
    page.goto(base + "/runs")
    page.get_by_label("What the file holds").select_option("case")
    page.get_by_label("File", exact=True).set_input_files(upload)
    _submit(page, "Import")
    assert "12 PM samples" in page.locator("p.flash").first.inner_text()
    walk.logout()

    walk.login("ana")
    page.goto(base + "/runs")
    page.get_by_label("Case folder (zip, as imported)").set_input_files(upload)
    page.get_by_label("Smallest LR kept").fill("1")
    page.get_by_label("Candidates kept per PM sample or family").fill("5")
    page.get_by_label("Dropout", exact=True).fill("0.05")
    walk.shot("analyst-screen-form")
    _submit(page, "Start a screen")
    assert re.search(r"/jobs/\d+$", page.url)
    assert page.get_by_role("heading", name=re.compile(r"^Screen \d+$")).is_visible()
    page.get_by_text("Finished:").wait_for(timeout=180_000)
    status = page.get_by_role("status").inner_text()
    assert status.startswith("Finished: screening run") and "candidate matches" in status
    page.reload()
    assert page.get_by_role("status").inner_text() == status
    assert page.get_by_text("Candidate matches stored for review").is_visible()
    walk.shot("analyst-screen-done")
    page.get_by_role("link", name="Go to the review queue").click()
    page.wait_for_url(base + "/review")
    page.goto(base + "/runs")
    assert page.get_by_role("cell", name="screen", exact=True).first.is_visible()
