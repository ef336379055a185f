"""The custody, sample, presumed-death and donor pages pass axe-core's WCAG 2 A and AA rules
for the roles that use them, and at 390 px none of them scrolls sideways (as
tests/web/test_accessibility.py checks the other pages)."""

from __future__ import annotations

import pytest
from browser_support import Walk
from test_accessibility import _violations

PAGES = {
    "cas": ["/remains/R-0001/custody", "/persons/P-0001/presumed-dead", "/donors/D-01"],
    "lia": ["/donors?person=P-0001", "/donors/D-01"],
    "ana": ["/remains/R-0001/custody", "/donors?family=F-01"],
}


@pytest.mark.inject_scripts
def test_custody_and_consent_pages_pass_the_rules_and_fit_390_px(page, server) -> None:  # noqa: ANN001
    base, _ids = server
    walk = Walk(page, base)
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        walk.login(role)
        for url in paths:
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
            page.set_viewport_size({"width": 1280, "height": 900})
        walk.logout()
    assert not found, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)
