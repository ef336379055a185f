"""Reports: the identification report PDF of a confirmed identification, and the case summary.

The PDFs are read back with pypdf and their text checked: what a family or a court reads.
"""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from pypdf import PdfReader

from repatria.services.workflows import review
from surface_data import password


def _bearer(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"name": name, "password": password(name)})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _text(pdf: bytes) -> str:
    """The text of every page, footers (which carry "page x of y") checked and left out."""
    assert pdf.startswith(b"%PDF-")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    out = []
    for i, page in enumerate(pages, start=1):
        body, footer = page.rstrip().rsplit("\n", 1)
        assert f"page {i} of {len(pages)}" in footer, footer
        out.append(body)
    return "\n".join(out)


def test_identification_report_of_a_confirmed_match(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    db, ids = surface_db
    cand = ids["p1_r1"]
    h = _bearer(app_client, "lia")
    r = app_client.get(f"/api/v1/reports/identification/{cand}.pdf", headers=h)
    assert (
        r.status_code == 404
        and "only for a confirmed identification" in r.json()["error"]["message"]
    )

    review.propose(db, cand, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db,
        cand,
        actor="rev",
        reason="LR above 10^8, no exclusions",
        override="test: accepted below the policy",
    )
    r = app_client.get(f"/api/v1/reports/identification/{cand}.pdf", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = " ".join(_text(r.content).split())
    assert "log10" not in text and "theta=" not in text
    for expected in (
        "Identification report",
        "P-0001",
        "Kim Chol-su",
        "Ivan Petrov",  # the person, every name
        "R-0001",
        "Plekhovo field 3",
        "burned",  # the remains
        "D-01 father FA",
        "D-02 mother MO",  # the references used
        "with extremely strong DNA evidence, those of Kim Chol-su",  # the conclusion
        "1.6 × 10⁸ (about 160 million)",
        "times more probable if these remains are this person",  # the LR in words
        "99.99 %",
        "flat prior",  # the posterior and its prior
        "= remains R-0001",  # the pedigree drawing, the remains placed on the missing person
        "D3S1358",
        "D18S51",  # the per-marker table
        "NorSTR East Asia 2023",
        "Repatria",
        "Population correction (theta) 0",  # method and versions
        "Confirmed by Name: rev Role: reviewer",
        "LR above 10^8, no exclusions",
        "Proposed by Name: ana Role: analyst",  # the two reviewers
    ):
        assert expected in text, expected
    # The same report from the page route, for the liaison officer's browser session.
    assert "P-0001" in text and "alex" in text


def test_case_summary_report(app_client: TestClient, surface_db) -> None:  # noqa: ANN001
    db, ids = surface_db
    review.propose(db, ids["p2_r2"], actor="ana", override="test: accepted below the policy")
    review.confirm(
        db,
        ids["p2_r2"],
        actor="rita",
        override="test: accepted below the policy",
        reason="test: checked",
    )
    r = app_client.get("/api/v1/reports/case-summary.pdf", headers=_bearer(app_client, "aud"))
    assert r.status_code == 200
    text = " ".join(_text(r.content).split())
    for expected in (
        "Case summary",
        "What the registry holds",
        "persons identified 1",
        "C-001",
        "Ministry statement (attributed to spokesman), 2025-01-15",
        "3 identified (corps losses), as of 2025-01-15",
        "press briefing; not verified",
        "C-002",
        "10–40 missing",
        "Identifications (1)",
        "P-0002 박영호 R-0002 extremely strong: 2.5 × 10⁶",
        "rita",
        "Likelihood ratios of all candidate matches",
        "3 stored candidate matches",
    ):
        assert expected in text, expected
