"""Browser fixtures: ``repatria serve`` on a free port over a copy of the surface case, and a
headless Debian Chromium page driven by Playwright (no browser download: ``executable_path``).

Without Chromium the browser tests are skipped locally and fail under CI (``CI=true``), whose
script installs it. Screenshots go to ``test-artifacts/screenshots/<test name>/`` (gitignored).
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

__all__ = ["ARGS", "CHROMIUM", "SHOTS", "Walk", "page", "server"]

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
def page(server, request):  # noqa: ANN001, ANN201
    from playwright.sync_api import sync_playwright

    shots = SHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    # bypass_csp: only so that a test may inject the accessibility checker; the pages' own
    # headers are checked without a browser (tests/api/test_security_headers.py).
    bypass = bool(request.node.get_closest_marker("inject_scripts"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass)
        pg = context.new_page()
        pg.repatria_shots = shots
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


class Walk:
    def __init__(self, page, base: str) -> None:  # noqa: ANN001
        self.page, self.base, self.n = page, base, 0

    def shot(self, name: str) -> None:
        self.n += 1
        shots = getattr(self.page, "repatria_shots", SHOTS)
        self.page.screenshot(path=str(shots / f"{self.n:02d}-{name}.png"), full_page=True)

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
