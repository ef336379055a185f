"""The identification report: one confirmed identification, for a pathologist, a court, a family.

Everything in it comes from :class:`repatria.services.views.MatchDetail`; the numbers are put
into words by :mod:`repatria.services.views.wording` (the same words as the match page), and
the report never computes a likelihood itself.

Page by page: the conclusion in one sentence, who proposed and who confirmed it, and anything
a reader must know; the person and the remains; the DNA evidence (the relatives compared, the
likelihood ratio in words and in number, the probability of identity, exclusions, the
alternatives, marker by marker, the family tree); the method and its settings in words; the
signature block of the two reviewers with the chain digest of the confirming decision.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from repatria import __version__
from repatria.reports.pdf import ReportPDF
from repatria.reports.pedigree import pedigree_svg
from repatria.services.views import MatchDetail, PedigreeNode
from repatria.services.views.wording import (
    describe_conclusion,
    describe_lr,
    lr_in_plain_numbers,
    lr_number,
    percent,
    strength,
)

__all__ = ["identification_pdf", "person_display_name", "review_steps"]

_ROLE = {
    "analyst": "analyst",
    "reviewer": "reviewer",
    "case_manager": "case manager",
    "liaison_officer": "family liaison officer",
    "admin": "administrator",
    "auditor": "auditor",
}
_STEP = {"propose": "proposed", "confirm": "confirmed", "reject": "rejected", "revoke": "revoked"}


def person_display_name(pdf: ReportPDF, m: MatchDetail) -> str:
    """``Kim Chol-su (김철수)``: the Latin form first, the original script beside it."""
    official = next((n for n in m.person_names if n.get("name") == m.person_name), None)
    translit = official.get("transliteration") if official else None
    original = pdf.text_or_transliteration(m.person_name, translit)
    if translit and not original.endswith(" *") and translit != m.person_name:
        return f"{translit} ({original})"
    return original


def review_steps(m: MatchDetail) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the proposal, the standing confirmation) of the match's review, either None if absent."""
    propose = next((d for d in m.decisions if d["kind"] == "propose"), None)
    confirm = next((d for d in reversed(m.decisions) if d["kind"] == "confirm"), None)
    return propose, confirm


def _who(d: dict[str, Any] | None) -> str:
    if d is None:
        return "nobody yet"
    role = _ROLE.get(str(d.get("role") or ""), str(d.get("role") or "").replace("_", " "))
    return f"{d['by']}{' (' + role + ')' if role else ''} on {_day(d['at'])}"


def _day(iso: str | None) -> str:
    return (iso or "")[:10] or "an unrecorded date"


def _words(value: str | None, default: str = "not recorded") -> str:
    return value.replace("_", " ") if value else default


def identification_pdf(m: MatchDetail) -> bytes:
    """The report as PDF bytes."""
    pdf = ReportPDF(
        f"Identification report: remains {m.remains_ref}, person {m.person_ref}",
        footer_title=f"Identification report · remains {m.remains_ref} · {m.person_ref}",
    )
    name = person_display_name(pdf, m)
    propose, confirm = review_steps(m)
    pdf.h1("Identification report", f"Remains {m.remains_ref} · person {m.person_ref}")

    pdf.h2("Conclusion", keep=30)
    pdf.boxed(describe_conclusion(m.remains_ref, name, m.log10_lr, born=m.person_born))
    pdf.para(
        f"The identification was proposed by {_who(propose)} and confirmed by {_who(confirm)}: "
        "two different people, each of whom examined the evidence below."
    )
    notes = _points_to_note(m)
    if notes:
        pdf.h3("Points the reader must know", keep=10)
        pdf.bullets(notes)

    _person(pdf, m)
    _remains(pdf, m)
    _evidence(pdf, m, name)
    _other_evidence(pdf, m)
    _method(pdf, m)
    _signatures(pdf, m, propose, confirm)
    return pdf.output_bytes()


def _points_to_note(m: MatchDetail) -> list[str]:
    out = list(m.warnings)
    if m.status != "confirmed":
        out.insert(0, f"This identification is not confirmed (its review stands at: {m.status}).")
    withdrawn = [r["donor"] for r in m.references if r.get("consent_withdrawn") == "yes"]
    if withdrawn:
        out.append(
            f"Consent was withdrawn by {', '.join(str(d) for d in withdrawn)}; the analysis left "
            "their DNA out."
        )
    return out


def _person(pdf: ReportPDF, m: MatchDetail) -> None:
    pdf.h2("The person")
    rows = [("Reference", m.person_ref)]
    for n in m.person_names:
        kind = {
            "official": "Name",
            "false": "Name on false papers",
            "alias": "Also known as",
            "transliteration": "Also spelt",
        }.get(str(n.get("kind")), f"Name ({_words(n.get('kind'), 'other')})")
        shown = pdf.text_or_transliteration(n["name"] or "", n.get("transliteration"))
        if n.get("transliteration") and not shown.endswith(" *") and n["transliteration"] != shown:
            shown += f" (in Latin letters: {n['transliteration']})"
        rows.append((kind, shown))
    for label, value in (
        ("Sex", m.person_sex if m.person_sex not in (None, "unknown") else None),
        ("Born", m.person_born),
        ("Service number", m.person_service_number),
        ("Unit", m.person_unit),
        ("Missing since", m.person_missing_since),
        ("Last known place", m.person_last_seen),
    ):
        if value:
            rows.append((label, value))
    rows.append(("State in the registry", _words(m.person_status)))
    pdf.kv(rows)


def _remains(pdf: ReportPDF, m: MatchDetail) -> None:
    pdf.h2("The remains")
    pdf.kv(
        [
            ("Reference", m.remains_ref),
            ("Recovered at", m.remains_site or "not recorded"),
            ("Recovered on", m.recovered_on or "not recorded"),
            ("Condition", _words(m.remains_condition)),
            ("DNA sample", m.sample_ref or "not recorded"),
            ("State in the registry", _words(m.remains_status)),
        ]
    )


def _evidence(pdf: ReportPDF, m: MatchDetail, name: str) -> None:
    pdf.h2("The DNA evidence", keep=40)
    pdf.h3("Relatives whose DNA was compared")
    if m.references:
        pdf.para(
            f"The DNA of the remains was compared with the DNA of {len(m.references)} "
            f"{'relative' if len(m.references) == 1 else 'relatives'} of {name} "
            f"(reference family {m.family_ref}):"
        )
        pdf.table_rows(
            [
                "Reference",
                "Relationship to the missing person",
                "Place in the family tree",
                "Consent",
            ],
            [
                [
                    r["donor"] or "",
                    _words(r.get("relationship"), "not stated"),
                    r["individual"] or "",
                    _words(r["consent"], "not recorded")
                    + (" (withdrawn)" if r.get("consent_withdrawn") == "yes" else ""),
                ]
                for r in m.references
            ],
            widths=(28, 60, 42, 46),
        )
    else:
        pdf.para("No typed relative is linked to this person in the registry.")
    _direct(pdf, m, name)

    pdf.h3("Strength of the evidence")
    plain = lr_in_plain_numbers(m.log10_lr)
    lr_text = lr_number(m.log10_lr) + (f" ({plain})" if plain else "")
    support = strength(m.log10_lr)
    rows = [
        (
            "Likelihood ratio",
            lr_text + (f": {support} support for identity" if support not in ("unknown",) else ""),
        ),
        ("Probability of identity", percent(m.posterior)),
    ]
    if m.posterior_interval is not None:
        low, high = m.posterior_interval
        shown_low, shown_high = percent(low), percent(high)
        rows.append(
            (
                "Proven interval of that probability",
                f"{shown_low} at both ends"
                if shown_low == shown_high
                else f"between {shown_low} and {shown_high}",
            )
        )
    rows.append(("Exclusions", _exclusions_text(m)))
    pdf.kv(rows)
    pdf.para(describe_lr(m.log10_lr))
    pdf.para(m.posterior_in_words)
    pdf.para(
        "The likelihood ratio compares two explanations of the same DNA results: that the remains "
        "are this missing person, and that they are of someone unrelated to the family. It does "
        "not by itself give the probability of identity; the probability of identity does, "
        "under the stated prior. Its words follow the verbal scale of the European Network of "
        "Forensic Science Institutes (2015): above 1,000,000 is extremely strong support.",
        size=8.5,
    )

    if m.alternatives:
        pdf.h3("Other pairings considered")
        pdf.table_rows(
            ["Remains", "Person", "Why considered", "Likelihood ratio", "Probability", "Review"],
            [
                [
                    a.remains_ref,
                    a.person_ref,
                    f"the {a.relation}",
                    lr_number(a.log10_lr),
                    percent(a.posterior),
                    _words(a.status),
                ]
                for a in m.alternatives
            ],
            widths=(22, 22, 36, 34, 30, 32),
        )

    pdf.h3("Marker by marker", keep=30)
    if m.markers:
        pdf.para(
            "The likelihood ratio is the product of the values at each genetic marker below.",
            size=9,
        )
        pdf.table_rows(
            ["Marker", "Likelihood ratio", "What it means"],
            [[r.marker, _marker_lr(r.lr), _marker_note(r.lr, r.note)] for r in m.markers],
            widths=(34, 34, 108),
        )
    else:
        pdf.para("The identification run did not store values marker by marker.")

    _pedigree(pdf, m)


def direct_rows(m: MatchDetail) -> list[list[str]]:
    """One row per direct reference compared: the item, its reliability, its LR, counted."""
    rows = []
    for f in m.direct:
        x = _stored_log10(f.get("log10_lr"))
        rows.append(
            [
                f"{str(f.get('item') or 'item').replace('_', ' ')} {f.get('reference') or ''}",
                f"{f.get('reliability')}",
                "not compared" if x is None else lr_number(x),
                "yes" if f.get("combined") and x is not None else "no (shown only)",
                str(f.get("note") or ""),
            ]
        )
    return rows


def _direct(pdf: ReportPDF, m: MatchDetail, name: str) -> None:
    """The person's own items (a toothbrush, a razor): a direct reference, not a relative."""
    rows = direct_rows(m)
    if not rows:
        return
    pdf.h3("The person's own items (direct reference)")
    pdf.para(
        f"The DNA of the remains was also compared with items of {name}'s own, typed as his or "
        "her profile. This is a different method from the comparison with relatives: the "
        "likelihood ratio compares the remains and the item being one person with two unrelated "
        "people, weighed by the stated reliability that the item carries this person's DNA "
        "alone (a shared razor is less reliable). Only the most reliable item is counted."
    )
    pdf.table_rows(
        ["Item", "Reliability", "Likelihood ratio", "Counted", "Note"],
        rows,
        widths=(34, 22, 34, 26, 60),
    )
    combined = m.dna_combined_log10_lr
    if combined is not None:
        pdf.para(
            "With the relatives' DNA (and any lineage markers), the DNA evidence gives a combined "
            f"likelihood ratio of {lr_number(combined)}; the likelihood ratio and probability "
            "below are from the relatives alone.",
            size=9,
        )


_NON_DNA_KIND = {
    "sex": "Sex",
    "age": "Age at death",
    "place": "Place of recovery",
    "date": "Date of recovery",
    "unit": "Unit",
    "document": "Papers found with the body",
    "effects": "Personal effects",
    "direct": "The person's own sample",
}


def non_dna_rows(m: MatchDetail) -> list[list[str]]:
    """One row per enabled non-DNA factor: what, its LR, what was seen, and the model."""
    rows = []
    for f in m.non_dna:
        if not f.get("enabled", True):
            continue
        lr = _stored_lr(f.get("lr"))
        said = {True: "supports", False: "weighs against", None: "is neutral to"}
        verdict = said.get(f.get("consistent"), "is neutral to")
        shown = (
            "not recorded"
            if lr is None or lr < 0
            else lr_number(math.log10(lr) if lr else -math.inf)
        )
        rows.append(
            [
                _NON_DNA_KIND.get(str(f.get("kind")), _words(str(f.get("kind")))),
                f"{shown} ({verdict} the identification)",
                str(f.get("note") or ""),
                str(f.get("model") or ""),
            ]
        )
    return rows


def _stored_log10(v: Any) -> float | None:
    """A log10 LR as the evidence JSON stores it ("-Inf" for an exclusion)."""
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf}.get(v.strip().lower())
    return None if v is None else float(v)


def _stored_lr(v: Any) -> float | None:
    """An LR as the evidence JSON stores it ("Inf" for infinity)."""
    if isinstance(v, str):
        return math.inf if v.strip().lower() == "inf" else None
    return None if v is None else float(v)


def _other_evidence(pdf: ReportPDF, m: MatchDetail) -> None:
    pdf.h2("Other evidence", keep=30)
    rows = non_dna_rows(m)
    if not rows:
        pdf.para("The identification run weighed no evidence other than DNA for this pairing.")
        return
    pdf.para(
        "Evidence other than DNA, each weighed as a likelihood ratio with the model it rests on "
        "(above 1 supports the identification, below 1 weighs against it). It is shown beside "
        "the DNA evidence and is not part of the DNA likelihood ratio above."
    )
    pdf.table_rows(
        ["Evidence", "Likelihood ratio", "What was observed", "Model"],
        rows,
        widths=(30, 36, 62, 48),
    )
    if m.non_dna_log10_lr is not None:
        pdf.para(
            "Together, assuming the observations are independent, they give a likelihood "
            f"ratio of {lr_number(m.non_dna_log10_lr)}.",
            size=9,
        )
    if any(f.get("in_prior") is True for f in m.non_dna):
        pdf.para(
            "The run put this evidence into the prior of the posterior probability (each "
            "pairing's prior odds multiplied by it), so the posterior above holds it; it is "
            "not multiplied with the DNA likelihood ratio again.",
            size=9,
        )


def _exclusions_text(m: MatchDetail) -> str:
    if not m.exclusions:
        return "not computed for this pairing"
    row = m.exclusions[0]
    if "detail" in row:
        return str(row["detail"])
    n = next((v for k, v in row.items() if k != "which"), 0)
    if not n:
        return "none: no marker contradicts this identification"
    which = f" ({row['which']})" if row.get("which") else ""
    return (
        f"{n} {'marker is' if n == 1 else 'markers are'} inconsistent with this identification "
        f"unless a mutation explains {'it' if n == 1 else 'them'}{which}"
    )


def _marker_lr(lr: float | None) -> str:
    if lr is None or math.isnan(lr):
        return "not computed"
    if lr == 0:
        return "0"
    return lr_number(math.log10(lr)) if lr > 0 else "0"


def _marker_note(lr: float | None, note: str | None) -> str:
    if note:
        return note
    if lr is None or math.isnan(lr):
        return "no value was computed at this marker"
    if lr == 0:
        return "inconsistent with this identification unless a mutation explains it"
    if abs(math.log10(lr)) < 1e-9:
        return "no information: no usable result at this marker"
    x = math.log10(lr)
    return f"{strength(x)} support for identity" if x > 0 else f"{strength(-x)} support against it"


def _pedigree(pdf: ReportPDF, m: MatchDetail) -> None:
    nodes = [_report_node(n) for n in m.pedigree]
    svg = pedigree_svg(
        nodes,
        pm_label=m.remains_ref,
        pm_caption=f"= remains {m.remains_ref}",
        missing_mark="",
        title=f"Family tree of reference family {m.family_ref}",
    )
    # fpdf2 draws shapes and text but not the accessibility <title>/<desc> of the web version.
    svg = re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg, flags=re.S)
    width_px = float(re.search(r'width="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    height_px = float(re.search(r'height="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    w = min(170.0, 0.3 * width_px)
    h = w * height_px / width_px
    pdf.h3("The family tree", keep=h + 12)
    try:
        pdf.image(io.BytesIO(svg.encode("utf-8")), w=w, x=pdf.l_margin + (176 - w) / 2)
    except Exception:  # noqa: BLE001  (a drawing fpdf2 cannot place must not lose the report)
        pdf.para("(the family tree could not be drawn in this PDF; see the match page)")
    pdf.source(
        f"reference family {m.family_ref or 'none'}. Squares are men, circles women; filled "
        "symbols are relatives whose DNA was compared; the red outline is the missing person, "
        f"with the remains {m.remains_ref} placed there."
    )


def _report_node(n: PedigreeNode) -> PedigreeNode:
    """The node with a label for readers outside the lab (no 'MP', no internal ids)."""
    ref = re.search(r"\((?:MP|reference) ([^)]+)\)", n.label)
    label = {
        "mp": f"missing person {ref.group(1) if ref else ''}".strip(),
        "other_mp": f"another missing person {ref.group(1) if ref else ''}".strip(),
        "donor": f"relative {ref.group(1) if ref else ''}".strip(),
    }.get(n.role, "not typed")
    return replace(n, label=label)


_PARAMETER_WORDS = {
    "pairings": "Pairings considered",
    "pairing_exclusions": "Pairings ruled out beforehand",
    "mutation": "Mutation",
    "prior": "Prior of the probability of identity",
    "top": "Joint answers kept",
    "candidate_rule": "A pairing is listed for review when",
    "posterior_threshold": None,  # part of the candidate rule above
    "candidates_of_identified_left_out": "Pairings of people or remains already identified",
    "withdrawn_donors": "Relatives left out (consent withdrawn)",
    "genotypes_outside_table": "Genotypes at markers without allele frequencies",
    "size": "Size of the case",
    "theta": "Population correction (theta)",
    "threshold": "Likelihood ratio the run was asked to report",
    "dropout": "Allele dropout",
}
_SIZE_WORDS = {  # key: (one, several)
    "pm": ("set of remains", "sets of remains"),
    "missing": ("missing person", "missing persons"),
    "families": ("reference family", "reference families"),
    "markers": ("marker", "markers"),
}


def _value_in_words(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "size" and isinstance(value, dict):
        return ", ".join(
            f"{v:,} {_SIZE_WORDS.get(k, (_words(k), _words(k)))[v != 1]}" for k, v in value.items()
        )
    if key == "candidates_of_identified_left_out":
        return f"{value:,} left out: their identification is already decided"
    if key == "top" and isinstance(value, int):
        return f"the {value:,} most probable"
    if key == "threshold" and isinstance(value, int | float) and value > 0:
        return lr_number(math.log10(value))
    if isinstance(value, dict):
        return "; ".join(
            f"{_words(str(k))}: {_value_in_words(str(k), v)}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return str(value).replace("_", " ")


def method_in_words(parameters: dict[str, Any]) -> list[tuple[str, str]]:
    """The run's settings as (label, words) rows, in a reader's words (never a dict)."""
    rows = []
    threshold = parameters.get("posterior_threshold")
    if "candidate_rule" in parameters and isinstance(threshold, int | float):
        parameters = dict(parameters)
        lower = "lower bound" in str(parameters["candidate_rule"])
        parameters["candidate_rule"] = (
            "its likelihood ratio is above 1, or "
            + ("the proven lower end of " if lower else "")
            + f"its probability of identity is at least {percent(threshold)}; never for a "
            "person or remains already identified"
        )
    for key, value in parameters.items():
        label = _PARAMETER_WORDS.get(key, _words(key).capitalize())
        if label is None or value is None or value == "":
            continue
        rows.append((label, _value_in_words(key, value)))
    return rows


def _method(pdf: ReportPDF, m: MatchDetail) -> None:
    pdf.h2("Method", keep=40)
    pdf.para(
        "The probability of the DNA results was computed on the family tree, marker by marker, "
        "with the allele frequencies and mutation models named below: once with the remains "
        "placed as the missing person, once with the remains of someone unrelated. Their ratio "
        "is the likelihood ratio. The probability of identity sums over every way of assigning "
        "the remains of the case to the missing persons, so that a pairing that fits but is "
        "better explained by another missing person is not mistaken for an identification.",
        size=9.5,
    )
    run = m.run or {}
    rows: list[tuple[str, str]] = [
        (
            "Identification run",
            f"number {run['id']}, run by {run.get('run_by', 'an unrecorded user')} on "
            f"{_day(run.get('started_at'))}"
            if run.get("id") is not None
            else "none: the pairing was entered by hand",
        ),
        ("Allele frequencies", run.get("frequency_table") or "not recorded"),
    ]
    rows.extend(method_in_words(dict(run.get("parameters") or {})))
    rows.extend(
        [
            (
                "Software of the run",
                _software(run.get("software_version")),
            ),
            ("Fingerprint of the run's input (SHA-256)", run.get("input_sha256") or "not recorded"),
            ("Report written by", f"Repatria {__version__}"),
        ]
    )
    pdf.kv(rows, widths=(62, 114))


def _software(version: str | None) -> str:
    if not version:
        return "not recorded"
    if version.lower().startswith("repatria"):
        return "Repatria" + version[len("repatria") :]
    return f"Repatria {version}"


def _signatures(
    pdf: ReportPDF,
    m: MatchDetail,
    propose: dict[str, Any] | None,
    confirm: dict[str, Any] | None,
) -> None:
    pdf.h2("Review and signatures", keep=75)
    pdf.para(
        "An identification stands only when two different people agree: one proposes it, an "
        "independent reviewer confirms it. Each step is a record in a hash-chained log, so that a "
        "record changed afterwards no longer matches its digest.",
        size=9.5,
    )
    y = pdf.get_y()
    x0, col = pdf.l_margin, (pdf.w - pdf.l_margin - pdf.r_margin - 6) / 2
    for i, (title, d) in enumerate((("Proposed by", propose), ("Confirmed by", confirm))):
        pdf.set_xy(x0 + i * (col + 6), y)
        _signature_box(pdf, title, d, col)
    pdf.set_y(y + 52)
    if confirm is not None and confirm.get("digest"):
        pdf.para(
            f"Digest of the confirming decision (number {confirm['id']}) in the decision log: "
            f"{confirm['digest']}",
            size=8.5,
        )
    later = [d for d in m.decisions if d is not propose and d is not confirm]
    if later or any(len(d.get("reason") or "") > _REASON_IN_BOX for d in m.decisions):
        pdf.h3("Every step of the review")
        pdf.table_rows(
            ["Decision", "Step", "By", "When (UTC)", "Reason"],
            [
                [
                    str(d["id"]),
                    _STEP.get(d["kind"], d["kind"]),
                    d["by"],
                    d["at"][:16].replace("T", " "),
                    d.get("reason") or "",
                ]
                for d in m.decisions
            ],
            widths=(20, 24, 30, 34, 68),
        )


_REASON_IN_BOX = 110


def _short(text: str) -> str:
    if len(text) <= _REASON_IN_BOX:
        return text
    return text[: _REASON_IN_BOX - 20].rstrip() + "… (in full below)"


def _signature_box(pdf: ReportPDF, title: str, d: dict[str, Any] | None, width: float) -> None:
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_draw_color(120, 120, 120)
    pdf.rect(x, y, width, 48)
    pdf.set_draw_color(0, 0, 0)
    lines: Sequence[tuple[str, str]] = (
        [
            ("Name", str(d["by"])),
            ("Role", _ROLE.get(str(d.get("role") or ""), _words(d.get("role"), "not recorded"))),
            ("Date", d["at"][:16].replace("T", " ") + " UTC"),
            ("Reason", _short(d.get("reason") or "none given")),
        ]
        if d
        else [("Name", "not yet"), ("Role", ""), ("Date", ""), ("Reason", "")]
    )
    pdf.set_xy(x + 3, y + 2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(width - 6, 6, title)
    pdf.set_font("DejaVu", size=9)
    line_y = y + 9
    for label, value in lines:
        pdf.set_xy(x + 3, line_y)
        pdf.multi_cell(width - 6, 4.6, f"{label}: {value}", align="L", max_line_height=4.6)
        line_y = min(pdf.get_y(), y + 34)
    pdf.set_xy(x + 3, y + 38)
    pdf.cell(width - 6, 5, "Signature:")
    pdf.set_draw_color(60, 60, 60)
    pdf.line(x + 22, y + 42.5, x + width - 4, y + 42.5)
    pdf.set_draw_color(0, 0, 0)
