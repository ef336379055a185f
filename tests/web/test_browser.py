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

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from surface_data import password

CHROMIUM = os.environ.get("REPATRIA_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need_browser() -> None:
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(surface_db) -> Iterator[tuple[str, dict]]:  # noqa: ANN001
    _need_browser()
    db, ids = surface_db
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "repatria.cli.main", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"repatria serve did not start: {out[-2000:]}")
            time.sleep(0.1)
        yield base, ids
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page(server):  # noqa: ANN001, ANN201
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


class Walk:
    def __init__(self, page, base: str) -> None:  # noqa: ANN001
        self.page, self.base, self.n = page, base, 0

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(SHOTS / f"{self.n:02d}-{name}.png"), full_page=True)

    def login(self, name: str) -> None:
        pg = self.page
        pg.goto(self.base + "/")
        assert "/login" in pg.url  # anonymous: sent to the login page
        pg.get_by_label("Name").fill(name)
        pg.get_by_label("Password").fill(password(name))
        pg.get_by_label("Password").press("Enter")  # the keyboard is enough
        pg.wait_for_url(self.base + "/")
        assert pg.get_by_role("heading", name="Dashboard").is_visible()

    def logout(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_url("**/login")


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
    assert pg.get_by_text("references: failed").is_visible()
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
    assert len(list(SHOTS.glob("*.png"))) == w.n >= 12
