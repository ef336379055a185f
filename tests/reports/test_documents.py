"""The three documents, built from hand-made read models and read back with pypdf.

What a reader sees is checked as text: the conclusion first, "page x of N" on every page, both
reviewers in the signature block, no internal names, Hangul and Cyrillic as written, a family
letter without numbers, claims with who said them and ranges printed as ranges.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from pypdf import PdfReader

from repatria.reports.case_summary import PolicyLine, case_summary_pdf
from repatria.reports.family_letter import FamilyContact, family_letter_pdf
from repatria.reports.identification import identification_pdf, method_in_words
from repatria.reports.pdf import HANGUL_FONT, can_draw
from repatria.services.views import Alternative, MarkerRow, MatchDetail, PedigreeNode
from repatria.services.views.wording import describe_lr, describe_posterior
from repatria.services.workflows.accounting import Account

KIM = "김철수"
KIM_RU = "Ким Чхоль Су"
PAGE = re.compile(r"page (\d+) of (\d+)")


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _detail(**changes: object) -> MatchDetail:
    values: dict[str, object] = dict(
        candidate_id=7,
        status="confirmed",
        person_ref="P-0042",
        person_name=KIM,
        person_names=[
            {"name": KIM, "kind": "official", "script": "Hang", "transliteration": "Kim Chol-su"},
            {"name": KIM_RU, "kind": "false", "script": "Cyrl", "transliteration": "Kim Chkhol Su"},
        ],
        person_status="identified",
        remains_ref="R-0042",
        remains_site="Plekhovo field 3",
        remains_condition="burned",
        remains_status="identified",
        recovered_on="2025-02-01",
        sample_ref="S-0042",
        log10_lr=8.2,
        posterior=0.9999,
        lr_in_words=describe_lr(8.2),
        posterior_in_words=describe_posterior(0.9999, None),
        markers=[MarkerRow("D3S1358", 12.5), MarkerRow("vWA", 1.0), MarkerRow("TH01", 0.0)],
        zero_markers=["TH01"],
        lr0=None,
        warnings=["LR is 0 at TH01: the data contradict this pairing there unless a mutation."],
        exclusions=[{"markers inconsistent without mutation": 1, "which": "TH01"}],
        alternatives=[Alternative(8, "P-0043", "R-0042", 1.1, 0.0001, "open", "same remains")],
        family_ref="F-01",
        pedigree=[
            PedigreeNode("FA", None, None, "male", "donor", "FA (reference D-01)"),
            PedigreeNode("MO", None, None, "female", "donor", "MO (reference D-02)"),
            PedigreeNode("MP1", "FA", "MO", "male", "mp", "MP1 (MP P-0042)"),
        ],
        references=[
            {"donor": "D-01", "individual": "FA", "relationship": "father",
             "consent": "identification", "consent_withdrawn": "no"},
            {"donor": "D-02", "individual": "MO", "relationship": "mother",
             "consent": "identification", "consent_withdrawn": "no"},
        ],
        decisions=[
            {"id": 1, "kind": "propose", "by": "ana", "role": "analyst",
             "at": "2026-11-30T09:15:00+00:00", "reason": None, "digest": "a" * 64},
            {"id": 2, "kind": "confirm", "by": "rev", "role": "reviewer",
             "at": "2026-12-01T10:00:00+00:00", "reason": "both parents, no alternative",
             "digest": "5c2b" + "0" * 60},
        ],
        run={
            "id": 3,
            "started_at": "2026-11-29T08:00:00",
            "run_by": "alex",
            "software_version": "repatria 0.1.0",
            "parameters": {
                "prior": "flat over all assignments",
                "top": 10,
                "posterior_threshold": 0.01,
                "candidate_rule": "pairwise LR > 1, or posterior pairing probability >= 0.01",
                "size": {"pm": 3, "missing": 3, "families": 2, "markers": 8},
                "withdrawn_donors": [],
            },
            "frequency_table": "NorSTR East Asia 2023",
            "input_sha256": "ab" * 32,
        },
        person_sex="male",
        person_born="1998-03-02",
        person_unit="11th Corps",
        posterior_interval=(0.99985, 0.99993),
    )  # fmt: skip
    values.update(changes)
    return MatchDetail(**values)  # type: ignore[arg-type]


# Skipped locally without the font; under CI (which installs it) a missing font fails.
needs_hangul = pytest.mark.skipif(
    not os.path.exists(HANGUL_FONT) and not os.environ.get("CI"),
    reason="fonts-nanum is not installed (.ci/run installs it)",
)


@needs_hangul
def test_identification_report_conclusion_first_and_page_numbers() -> None:
    pages = _pages(identification_pdf(_detail()))
    text = " ".join(pages)
    conclusion = (
        f"The remains R-0042 are, with extremely strong DNA evidence, those of Kim Chol-su "
        f"({KIM}), born 1998-03-02."
    )
    assert conclusion in text
    assert text.index("Conclusion") < text.index("The person") < text.index("The DNA evidence")
    assert text.index(conclusion) < text.index("Likelihood ratio")
    n = len(pages)
    assert n >= 2
    for i, page in enumerate(pages, start=1):
        assert f"page {i} of {n}" in page, (i, page[-200:])


@needs_hangul
def test_identification_report_evidence_method_and_signatures() -> None:
    text = " ".join(_pages(identification_pdf(_detail())))
    for expected in (
        "D-01 father FA",  # the references and how related
        "D-02 mother MO",
        "1.6 × 10⁸ (about 160 million): extremely strong support for identity",
        "99.99 %",
        "Proven interval of that probability between 99.985 % and 99.993 %",
        "1 marker is inconsistent with this identification unless a mutation explains it (TH01)",
        "Other pairings considered",
        "R-0042 P-0043 the same remains 13 0.01 % open",
        "D3S1358 13 moderate support for identity",
        "vWA 1 no information: no usable result at this marker",
        "TH01 0 inconsistent with this identification",
        "= remains R-0042",  # the family tree, remains placed on the missing person
        "Allele frequencies NorSTR East Asia 2023",
        "Prior of the probability of identity flat over all assignments",
        "3 sets of remains, 3 missing persons, 2 reference families, 8 markers",
        "its likelihood ratio is above 1, or its probability of identity is at least 1 %",
        "Repatria 0.1.0",
        "Proposed by Name: ana Role: analyst Date: 2026-11-30 09:15 UTC",
        "Confirmed by Name: rev Role: reviewer Date: 2026-12-01 10:00 UTC",
        "Reason: both parents, no alternative",
        "Signature:",
        "5c2b" + "0" * 60,  # the chain digest of the confirming decision
    ):
        assert expected in text, expected
    for internal in ("log10", "_lr", "posterior_threshold", "candidate_rule", "{'", "': ", "MP1"):
        assert internal not in text, internal


@needs_hangul
def test_hangul_and_cyrillic_read_back() -> None:
    assert can_draw(KIM + KIM_RU)
    text = " ".join(_pages(identification_pdf(_detail())))
    assert KIM in text and KIM_RU in text


def test_without_a_hangul_font_the_transliteration_is_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import repatria.reports.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "_known", lambda: frozenset(range(0x3000)))
    monkeypatch.setenv("REPATRIA_HANGUL_FONT", "/nonexistent/font.ttf")
    monkeypatch.setattr(pdf_module, "HANGUL_FONT", "/nonexistent/font.ttf")
    assert "fonts-nanum" in (pdf_module.missing_fonts() or "")
    text = " ".join(_pages(identification_pdf(_detail())))
    assert KIM not in text and "Kim Chol-su *" in text and KIM_RU in text
    assert "could not be printed on this server" in text


@needs_hangul
def test_heading_never_alone_at_a_page_foot() -> None:
    many = [MarkerRow(f"M{i:02d}", 2.0) for i in range(60)]
    pages = _pages(identification_pdf(_detail(markers=many)))
    headings = (
        "The person",
        "The remains",
        "The DNA evidence",
        "Strength of the evidence",
        "Marker by marker",
        "The family tree",
        "Method",
        "Review and signatures",
    )
    for page in pages:
        body = PAGE.split(page)[0].rstrip()
        # the last words before the footer are never a heading
        tail = body[-60:]
        assert not any(tail.endswith(h) for h in headings), tail


def test_method_is_in_words() -> None:
    rows = dict(method_in_words({"theta": 0, "top": 10, "size": {"pm": 2, "missing": 1}}))
    assert rows == {
        "Population correction (theta)": "0",
        "Joint answers kept": "the 10 most probable",
        "Size of the case": "2 sets of remains, 1 missing person",
    }


@needs_hangul
def test_family_letter_plain_words_no_numbers() -> None:
    pdf = family_letter_pdf(
        _detail(),
        contact=FamilyContact(name="Lia Moreau", telephone="+41 22 000 00 00"),
        agency="Identification and Recovery Agency",
    )
    pages = _pages(pdf)
    text = " ".join(pages)
    assert len(pages) == 1 and "page 1 of 1" in text
    for expected in (
        f"To the family of Kim Chol-su ({KIM})",
        "born 2 March 1998",
        "Kim Chol-su has been found",
        "Plekhovo field 3 on 1 February 2025 have been identified as his",
        "his father and his mother",
        "The DNA evidence is extremely strong.",
        "independent reviewer confirmed it on 1 December 2026",
        "Who to contact",
        "Lia Moreau",
        "+41 22 000 00 00",
        "P-0042 / R-0042",
    ):
        assert expected in text, expected
    for number_or_term in ("×", "10⁸", "%", "million", "likelihood", "ratio", "posterior",
                           "probab", "marker", "TH01"):  # fmt: skip
        assert number_or_term not in text, number_or_term


@needs_hangul
def test_family_letter_leaves_lines_for_the_contact() -> None:
    text = " ".join(_pages(family_letter_pdf(_detail(person_sex="female"))))
    assert "Family liaison officer ____" in text and "identified as hers" in text


def _account() -> Account:
    claims = [
        {"claim_id": "C-001", "reported_on": "2025-01-15", "reported_by": "Ministry statement",
         "attributed_to": "spokesman", "subject": "corps losses", "measure": "killed",
         "low": 11000, "high": 11000, "as_of": "2025-01-14", "basis": "press briefing",
         "verification": "not verified", "registry_count": "recovered", "registry_value": 1203,
         "difference": "the registry holds 1203 remains recovered, 9797 fewer than 11000"},
        {"claim_id": "C-002", "reported_on": "2025-01-20", "reported_by": "News agency",
         "attributed_to": "", "subject": "corps losses", "measure": "missing",
         "low": 9000, "high": 11000, "as_of": None, "basis": "estimate",
         "verification": "unverified", "registry_count": "unaccounted", "registry_value": 9500,
         "difference": "within"},
        {"claim_id": "C-003", "reported_on": "2025-02-01", "reported_by": "Defence ministry",
         "attributed_to": None, "subject": "coffins", "measure": "returned", "low": 20,
         "high": 20, "as_of": "2025-02", "basis": "ceremony", "verification": "photographs",
         "registry_count": None, "registry_value": None,
         "difference": "not comparable: the claim counts 'coffins', the registry counts bodies"},
    ]  # fmt: skip
    counts = {"persons": 12345, "recovered": 1203, "identified": 1, "unaccounted": 9500}
    return Account(counts, claims, {})


def test_case_summary_claims_with_their_source_and_ranges() -> None:
    ident = [
        {"candidate_id": 1, "person_ref": "P-0002", "person_name": "Pak Yong-ho",
         "remains_ref": "R-0002", "log10_lr": 6.4, "posterior": 0.998, "confirmed_by": "rita",
         "confirmed_at": "2026-12-01", "person_status": "identified"},
    ]  # fmt: skip
    pages = _pages(case_summary_pdf(_account(), ident, [6.4, 1.1, 8.2]))
    text = " ".join(pages)
    for expected in (
        "missing persons in the registry 12,345",
        "Ministry statement (attributed to spokesman), 2025-01-15",
        "11,000 killed (corps losses), as of 2025-01-14",
        "press briefing; not verified",
        "1,203 remains recovered: 9,797 fewer than claimed",
        "9,000–11,000 missing",
        "9,500 persons still unaccounted for: within the claimed range",
        "not comparable: the claim counts 'coffins'",
        "Identifications (1)",
        "Pak Yong-ho",
        "extremely strong: 2.5 × 10⁶",
        "99.8 %",
        "rita, 2026-12-01",
        "no identification policy is recorded in the registry",
        "3 stored candidate matches",
    ):
        assert expected in text, expected
    assert "11000-11000" not in text and "11,000–11,000" not in text
    assert "log10" not in text and "candidate_matches" not in text
    n = len(pages)
    assert all(f"page {i} of {n}" in p for i, p in enumerate(pages, start=1))


def test_case_summary_draws_the_policy_it_is_given() -> None:
    policy = PolicyLine(4.0, "identification policy version 2")
    text = " ".join(_pages(case_summary_pdf(_account(), [], [], policy=policy)))
    assert "the identification policy's threshold, LR 10,000 (identification policy version 2)" in (
        text
    )
