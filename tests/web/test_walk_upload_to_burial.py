"""The whole job in Debian's Chromium, from the upload of a case folder to the handover and the
burial, each role logged in as itself (issue 18), with a screenshot at each step.

The registry starts empty but for the users: the case manager uploads the demo case (a zip of
a case folder) and records custody and a sample; the analyst runs the identification and
proposes two candidates, one with the policy overridden (each demo family has one close
relative typed); a reviewer confirms both; the liaison officer records the donor's consent
and tells both families; the case manager hands one body over and buries the other in a
numbered grave; the auditor verifies the chains. Screenshots go to pytest's tmp_path.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from browser_support import Walk, _need_browser

from surface_data import USERS

DEMO_CASE = Path(str(files("repatria"))) / "data" / "demo" / "exchange-2025-02"


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            z.writestr(f"case/{p.name}", p.read_bytes())
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """``repatria serve`` over a registry holding only the users (overrides the surface one)."""
    from repatria.registry.db import dispose_engines
    from repatria.services.access.auth import set_password
    from repatria.services.access.users import add_user
    from surface_data import password

    _need_browser()
    path = tmp_path / "walk.sqlite"
    shutil.copyfile(sqlite_template, path)
    db = f"sqlite:///{path}"
    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
        set_password(db, name, password(name))
    dispose_engines()
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
        yield base, {}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _flash(page) -> str:  # noqa: ANN001
    return page.locator("p.flash").first.inner_text()


def _submit(page, name: str) -> None:  # noqa: ANN001
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_the_whole_job_from_upload_to_handover_and_burial(page, server, tmp_path) -> None:  # noqa: ANN001
    base, _ = server
    page.repatria_shots = tmp_path  # not test-artifacts: nothing of this walk is kept
    walk = Walk(page, base)
    today = "2025-06-01"

    # the admin: the users are there, nothing else to add
    walk.login("ada")
    page.goto(base + "/users")
    assert page.get_by_text("cas").first.is_visible()
    walk.shot("admin-users")
    walk.logout()

    # the case manager uploads the case folder, as a zip
    walk.login("cas")
    page.goto(base + "/runs")
    page.get_by_label("What the file holds").select_option("case")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "exchange-2025-02.zip", "mimeType": "application/zip", "buffer": _zip(DEMO_CASE)}
    )
    _submit(page, "Import")
    assert "12 PM samples" in _flash(page) and "10 missing persons" in _flash(page)
    walk.shot("case-manager-upload")
    walk.logout()

    # the analyst starts the run and waits on its page (it refreshes itself) for the end
    walk.login("ana")
    page.goto(base + "/runs")
    _submit(page, "Start an identification run")
    assert re.search(r"/jobs/\d+$", page.url)
    page.get_by_text("Finished:").wait_for(timeout=180_000)
    assert "candidates" in page.get_by_role("status").inner_text()
    walk.shot("analyst-run-done")
    walk.logout()

    # the case manager: custody of R-05 and a second sample of it
    walk.login("cas")
    page.goto(base + "/remains/R-05")
    page.get_by_role("link", name=re.compile("Custody log and samples")).click()
    page.locator("#event").select_option("stored")
    page.locator("#to_party").fill("Central mortuary")
    page.locator("#location").fill("Cold room 2")
    page.locator("#occurred_on").fill(today)
    _submit(page, "Record the event")
    assert "recorded: stored" in _flash(page)
    page.locator("#sample").fill("R-05-T2")
    page.locator("#material").fill("tooth")
    page.locator("#lab").fill("Lab North")
    _submit(page, "Record the sample")
    assert "sample R-05-T2 taken from R-05" in _flash(page)
    assert page.get_by_role("cell", name="Central mortuary").is_visible()
    walk.shot("case-manager-custody-and-sample")
    walk.logout()

    # the analyst proposes: match 1 meets the policy, match 2 (one relative typed) does not
    walk.login("ana")
    page.goto(base + "/review")
    page.locator("#po-2").fill("the daughter's profile is complete; the AM record agrees")
    page.locator("#pr-2").fill("LR above 10^10")
    _submit(page, "Propose match 2")
    assert "proposed" in _flash(page)
    page.goto(base + "/review")
    _submit(page, "Propose match 1")
    assert "proposed" in _flash(page)
    page.goto(base + "/review")
    walk.shot("analyst-proposed")
    walk.logout()

    # a reviewer confirms both, with reasons (and the override of the policy for match 2)
    walk.login("rev")
    page.goto(base + "/review")
    page.locator("#cr-2").fill("checked the markers and the pedigree")
    page.locator("#co-2").fill("agree: one close relative, complete profile")
    _submit(page, "Confirm match 2")
    assert "confirmed" in _flash(page)
    page.goto(base + "/review")
    page.locator("#cr-1").fill("checked the markers and the pedigree")
    _submit(page, "Confirm match 1")
    assert "confirmed" in _flash(page)
    walk.shot("reviewer-confirmed")
    walk.logout()

    # the liaison officer: the donor's consent, then both families told
    walk.login("lia")
    page.goto(base + "/persons/P-0007")
    page.get_by_role("link", name="Reference donors and their consent").click()
    page.locator("table a[href^='/donors/']").first.click()
    page.locator("#given_on").fill("2025-01-15")
    page.locator("#note").fill("signed form, seen again")
    _submit(page, "Record consent")
    assert "consent of donor" in _flash(page)
    walk.shot("liaison-consent")
    for person in ("P-0007", "P-0002"):
        page.goto(base + "/notifications")
        page.locator(f"#rc-{person}").fill("the family")
        page.locator(f"#rl-{person}").fill("daughter")
        page.locator(f"#on-{person}").fill(today)
        _submit(page, f"Record notification of {person}")
        assert person in _flash(page)
    walk.shot("liaison-notified")
    walk.logout()

    # the case manager: R-05 handed over, R-01 buried in a numbered grave
    walk.login("cas")
    page.goto(base + "/repatriations")
    page.locator("#rm-R-05").check()
    page.locator("#counterpart").fill("the family, through the ministry")
    page.locator("#place").fill("Panmunjom")
    page.locator("#occurred_on").fill(today)
    _submit(page, "Record repatriation")
    assert _flash(page).startswith("repatriation 1: 1 remains by handover")
    walk.shot("case-manager-handover")
    page.goto(base + "/bodies/R-01")
    page.locator("#kind").select_option("burial")
    page.locator("#occurred_on").fill(today)
    page.locator("#cemetery").fill("Municipal cemetery")
    page.locator("#plot").fill("B")
    page.locator("#grave").fill("17")
    page.locator("#dreason").fill("the family asked for a burial here")
    _submit(page, "Record")
    assert "grave 17" in _flash(page)
    walk.shot("case-manager-burial")
    walk.logout()

    # the auditor verifies the chains
    walk.login("aud")
    page.goto(base + "/audit")
    _submit(page, "Verify the chains now")
    assert "Every chain is intact" in page.locator("#verify-h + p").inner_text()
    walk.shot("auditor-verified")
    assert len(list(tmp_path.glob("*.png"))) == walk.n
