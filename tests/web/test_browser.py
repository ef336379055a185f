"""The main path in a real browser (Debian's Chromium, headless, driven by Playwright).

A server is started with ``repatria serve`` on a free localhost port over a copy of the surface
case. The walk is what people do: an analyst finds a missing person by an alias and proposes
the match; a reviewer confirms it; the liaison officer sees the family to tell and records it;
the case manager records the repatriation and sees the accounting change. A screenshot of
every page is written to ``test-artifacts/screenshots/`` (gitignored).

Without Chromium the test is skipped locally and fails under CI (``CI=true``), whose script
installs it.
"""

from __future__ import annotations

import re

from browser_support import Walk


def test_main_path_in_a_browser(page, server) -> None:  # noqa: ANN001
    base, ids = server
    cand = ids["p1_r1"]
    w = Walk(page, base)
    pg = page

    # An analyst finds a missing person by his false Russian name and opens the match.
    w.login("ana")
    w.shot("dashboard-analyst")
    pg.get_by_role("link", name="Missing persons").click()
    pg.get_by_label("Name, alias (any script), reference or service number").fill("Иван Петров")
    pg.get_by_role("button", name="Search").click()
    assert pg.get_by_role("cell", name="P-0001").is_visible()
    w.shot("persons-search-by-alias")
    pg.get_by_role("link", name="P-0001").click()
    assert pg.get_by_role("heading", name="김철수 (P-0001)").is_visible()
    w.shot("person")
    pg.get_by_role("link", name=f"match {cand}", exact=True).click()
    assert pg.locator(".pedigree svg").is_visible()
    assert pg.get_by_role("rowheader", name="D3S1358").is_visible()
    w.shot("match-open")
    # The match fails the identification policy (no references stored): the page says so,
    # rule by rule, and the analyst goes on only by giving the reason for overriding it.
    assert "fails identification policy v1" in pg.locator(".warning").first.inner_text()
    failed = pg.locator("table.verdict tr.warning").filter(
        has=pg.locator("th", has_text=re.compile("^references$", re.IGNORECASE))
    )
    assert failed.count() == 1 and "failed" in failed.inner_text()
    pg.get_by_label("It fails the identification policy: why propose it anyway?").fill(
        "family interview and effects agree; references to follow"
    )
    pg.get_by_role("button", name=f"Propose match {cand}").click()
    assert "proposed by ana" in pg.locator(".flash").inner_text()
    w.logout()

    # A second person, a reviewer, confirms it from the review queue.
    w.login("rev")
    pg.get_by_role("link", name="Review queue").click()
    w.shot("review-queue")
    pg.get_by_role("link", name=f"match {cand}", exact=True).first.click()
    assert pg.get_by_text("overriding the policy").is_visible()  # the analyst's reason, shown
    pg.get_by_label("Reason (required)").first.fill("checked marker by marker")
    pg.get_by_label("It fails the identification policy: why confirm it anyway?").fill(
        "dental record matches; the policy's references rule is waived for this family"
    )
    pg.get_by_role("button", name=f"Confirm match {cand}").click()
    assert pg.locator("#review-status").inner_text() == "confirmed"
    w.shot("match-confirmed")
    w.logout()

    # The family liaison officer sees the family to tell, and records the notification.
    w.login("lia")
    pg.get_by_role("link", name="Notifications").click()
    tasks = pg.locator("table").first
    assert "P-0001" in tasks.inner_text()
    w.shot("notification-task")
    pg.get_by_label("Who was told").fill("Kim Young-hee")
    pg.get_by_label("Relationship").fill("mother")
    pg.get_by_label("Date").fill("2025-03-01")
    pg.get_by_role("button", name="Record notification of P-0001").click()
    assert "recorded" in pg.locator(".flash").inner_text()
    w.shot("notification-recorded")
    w.logout()

    # The case manager records the handover and sees the accounting change.
    w.login("cas")
    pg.get_by_role("link", name="Accounting").click()
    assert pg.locator("#count-repatriated").inner_text() == "0"
    w.shot("accounting-before")
    pg.get_by_role("link", name="Repatriations").click()
    pg.locator("#rm-R-0001").check()
    pg.get_by_label("Handed to").fill("DPRK embassy")
    pg.get_by_label("Place").fill("Moscow")
    pg.get_by_label("Date").fill("2025-04-01")
    pg.get_by_role("button", name="Record repatriation").click()
    assert "1 remains by handover" in pg.locator(".flash").inner_text()
    w.shot("repatriation-recorded")
    pg.get_by_role("link", name="Accounting").click()
    assert pg.locator("#count-repatriated").inner_text() == "1"
    pg.wait_for_function(
        "() => { const i = document.querySelector('figure img'); "
        "return i.complete && i.naturalWidth > 0; }"
    )  # the chart loaded
    w.shot("accounting-after")
    pg.get_by_role("link", name="Remains").click()
    pg.get_by_role("link", name="R-0001").click()
    assert "released" in pg.locator("ol.timeline").first.inner_text()
    w.shot("remains-custody")
    assert len(list(pg.repatria_shots.glob("*.png"))) == w.n >= 12


def test_api_docs_work_with_no_outside_host(page, server) -> None:  # noqa: ANN001
    """Swagger UI comes from our own origin: outside requests are blocked, and it still renders."""
    base, _ = server
    outside: list[str] = []

    def only_local(route) -> None:  # noqa: ANN001
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Repatria" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.get_by_role("button", name="Authorize").is_visible()
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e]
    page.screenshot(path=str(page.repatria_shots / "api-docs.png"), full_page=False)


def test_map_draws_with_no_network(page, server) -> None:  # noqa: ANN001
    base, _ = server
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
    )
    walk = Walk(page, base)
    walk.login("cas")
    page.get_by_role("link", name="Map").click()
    page.wait_for_url("**/map")
    assert page.locator("svg circle").count() == 2  # two remains of one field share a marker
    box = page.locator("figure.map svg").bounding_box()
    assert box is not None and box["width"] > 600
    walk.shot("map")
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.locator("figure.map svg").bounding_box()
    assert box is not None and box["width"] <= 390
    walk.shot("map-390px")


def test_notification_before_handover_in_a_browser(page, server, surface_db) -> None:  # noqa: ANN001
    """A handover of a soldier whose family is not told is refused in words; the liaison
    officer records the notification; the same handover then goes through."""
    from repatria.services.workflows import review

    base, ids = server
    cand = ids["p1_r1"]
    w = Walk(page, base)
    pg = page
    # The identification itself is walked in test_main_path_in_a_browser; here it is given.
    url = surface_db[0]  # the database the server serves
    why = "test data: no references stored with the candidate"
    review.propose(url, cand, actor="ana", reason="LR 10^8", override=why)
    review.confirm(url, cand, actor="rev", reason="checked marker by marker", override=why)

    w.login("cas")
    pg.get_by_role("link", name="Repatriations").click()
    assert "not told yet" in pg.locator("table").first.inner_text()
    assert pg.get_by_text("The family of P-0001 has not been told yet").is_visible()
    pg.locator("#rm-R-0001").check()
    pg.get_by_label("Handed to").fill("DPRK embassy")
    pg.get_by_label("Date").fill("2025-04-01")
    pg.get_by_role("button", name="Record repatriation").click()
    alert = pg.get_by_role("alert").inner_text()
    assert alert.startswith("handover refused: the family of P-0001 (김철수) has not been told")
    w.shot("handover-refused-family-not-told")
    pg.get_by_role("link", name="Notifications").click()
    assert "1 family is still to be told." in pg.locator("#to-tell-summary").inner_text()
    w.logout()

    w.login("lia")
    pg.get_by_role("link", name="Notifications").click()
    pg.get_by_label("Reference donor told").select_option("D-02")
    pg.get_by_label("Date").fill("2025-03-01")
    pg.get_by_role("button", name="Record notification of P-0001").click()
    assert "recorded (Kim Young-hee, 2025-03-01)" in pg.locator(".flash").inner_text()
    assert (
        "Every identified person's family has been told."
        in pg.locator("#to-tell-summary").inner_text()
    )
    w.shot("family-told")
    w.logout()

    w.login("cas")
    pg.get_by_role("link", name="Repatriations").click()
    assert "told" in pg.locator("table").first.inner_text()
    pg.locator("#rm-R-0001").check()
    pg.get_by_label("Handed to").fill("DPRK embassy")
    pg.get_by_label("Date").fill("2025-04-01")
    pg.get_by_role("button", name="Record repatriation").click()
    assert "1 remains by handover" in pg.locator(".flash").inner_text()
    assert "families not told" not in pg.locator(".flash").inner_text()
    w.shot("handover-after-notification")
