"""Every page, for the role that uses it, passes axe-core's WCAG 2 A and AA rules, and at 390 px
nothing runs off the screen: no page scrolls sideways, and the review buttons are in reach.

axe-core is vendored in tests/web/vendor (see SOURCES.md there), injected into each page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import Walk

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# (role, the pages that role works on); {cand}, {person}, {remains} from the surface case.
PAGES = {
    "ana": ["/", "/persons", "/persons/P-0001", "/remains", "/remains/R-0001", "/matches/{cand}",
            "/review", "/runs", "/map"],
    "rev": ["/review", "/matches/{cand}"],
    "lia": ["/notifications", "/persons/P-0001", "/repatriations"],
    "cas": ["/accounting", "/repatriations", "/remains", "/runs", "/bodies", "/graves",
            "/families", "/families/F-01", "/flagged"],
    "ada": ["/users"],
    "aud": ["/audit"],
}  # fmt: skip


def _violations(page) -> list[str]:  # noqa: ANN001
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {n['target']}"
        for v in result["violations"]
        for n in v["nodes"][:3]
    ]


@pytest.mark.inject_scripts
def test_pages_pass_the_accessibility_rules_and_fit_390_px(page, server) -> None:  # noqa: ANN001
    base, ids = server
    walk = Walk(page, base)
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        walk.login(role)
        for path in paths:
            url = path.format(cand=ids["p1_r1"])
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(base + url)
                assert response is not None and response.status == 200, (role, url)
                bad = _violations(page)
                overflow = page.evaluate(
                    "() => document.scrollingElement.scrollWidth - window.innerWidth"
                )
                if overflow > 1:
                    bad.append(f"scrolls sideways by {overflow} px at {width} px")
                if bad:
                    found[f"{role} {url} @{width}"] = bad
            walk.shot(f"{role}-{url.strip('/').replace('/', '-') or 'dashboard'}-390")
            page.set_viewport_size({"width": 1280, "height": 900})
        walk.logout()
    assert not found, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)


@pytest.mark.inject_scripts
def test_review_buttons_are_in_reach_at_390_px(page, server) -> None:  # noqa: ANN001
    base, ids = server
    cand = ids["p1_r1"]
    walk = Walk(page, base)
    walk.login("ana")
    page.goto(f"{base}/matches/{cand}")
    page.locator(f"#po-{cand}").fill("test data: no references stored with the candidate")
    page.get_by_role("button", name=f"Propose match {cand}").click()
    page.wait_for_selector(".flash")
    walk.logout()
    walk.login("rev")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/matches/{cand}")
    for name in (f"Confirm match {cand}", f"Reject match {cand}"):
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    walk.shot("review-390")
