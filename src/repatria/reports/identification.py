"""The identification report: one confirmed identification, for a family, a pathologist, a court.

Everything in it comes from :class:`repatria.services.views.MatchDetail`; the report explains
the numbers in words and never computes a likelihood itself.
"""

from __future__ import annotations

import io
import math
import re

from repatria import __version__
from repatria.reports.pdf import ReportPDF
from repatria.reports.pedigree import pedigree_svg
from repatria.services.views import MatchDetail

__all__ = ["identification_pdf"]


def _lr_text(log10_lr: float | None) -> str:
    if log10_lr is None:
        return "not stored"
    if math.isinf(log10_lr):
        return "infinite" if log10_lr > 0 else "0"
    return (
        f"{10**log10_lr:,.0f} (log10 LR = {log10_lr:.3f})"
        if log10_lr < 6
        else f"10^{log10_lr:.2f} (log10 LR = {log10_lr:.3f})"
    )


def identification_pdf(m: MatchDetail) -> bytes:
    """The report as PDF bytes."""
    pdf = ReportPDF(f"Identification report: {m.person_ref} = {m.remains_ref}")
    name = pdf.text_or_transliteration(
        m.person_name,
        next(
            (n.get("transliteration") for n in m.person_names if n.get("name") == m.person_name),
            None,
        ),
    )
    pdf.h1(f"Identification report\n{name} ({m.person_ref})")
    confirm = next((d for d in reversed(m.decisions) if d["kind"] == "confirm"), None)
    propose = next((d for d in m.decisions if d["kind"] == "propose"), None)
    pdf.para(
        f"The remains {m.remains_ref} have been identified as {m.person_ref}. The identification "
        f"was proposed by {propose['by'] if propose else 'an analyst'} and confirmed by "
        f"{confirm['by'] if confirm else '(not confirmed)'}"
        f"{' on ' + confirm['at'][:10] if confirm else ''}, two different people, as the "
        "registry requires."
    )

    pdf.h2("The person")
    rows = [("Reference", m.person_ref), ("State", m.person_status.replace("_", " "))]
    for n in m.person_names:
        script = n.get("script")
        label = f"Name ({n.get('kind')}{', ' + script if script else ''})"
        shown = pdf.text_or_transliteration(n["name"] or "", n.get("transliteration"))
        if n.get("transliteration") and shown != f"{n['transliteration']} *":
            shown += f" — {n['transliteration']}"
        rows.append((label, shown))
    pdf.kv(rows)

    pdf.h2("The remains")
    pdf.kv(
        [
            ("Reference", m.remains_ref),
            ("Recovery site", m.remains_site or "not recorded"),
            ("Recovered on", m.recovered_on or "not recorded"),
            ("Condition", m.remains_condition.replace("_", " ")),
            ("PM sample", m.sample_ref or "not recorded"),
            ("State", m.remains_status.replace("_", " ")),
        ]
    )

    pdf.h2("References used")
    if m.references:
        pdf.table_rows(
            ["Donor", "Position in pedigree", "Relationship", "Consent", "Withdrawn"],
            [
                [
                    r["donor"] or "",
                    r["individual"] or "",
                    r.get("relationship") or "",
                    r["consent"] or "",
                    r["consent_withdrawn"] or "",
                ]
                for r in m.references
            ],
        )
    else:
        pdf.para("No typed reference donors are linked to this person in the registry.")

    pdf.h2("What the DNA shows")
    pdf.kv(
        [
            ("Likelihood ratio", _lr_text(m.log10_lr)),
            (
                "Posterior probability",
                "not stored" if m.posterior is None else f"{m.posterior:.6g}",
            ),
        ]
    )
    pdf.para(m.lr_in_words)
    pdf.para(m.posterior_in_words)
    pdf.para(
        "The likelihood ratio compares two explanations of the same DNA results: that the remains "
        "are this missing person (numerator), and that they are of someone unrelated to his or her "
        "family (denominator). It does not by itself give the probability of identity; the "
        "posterior probability does, under the stated prior.",
        size=9,
    )
    for w in m.warnings:
        pdf.para("Warning: " + w)

    pdf.h2("Pedigree")
    svg = pedigree_svg(
        m.pedigree,
        pm_label=m.sample_ref or m.remains_ref,
        title=f"Pedigree of family {m.family_ref}",
    )
    try:
        # fpdf2 draws shapes and text but not the accessibility <title>/<desc> of the web version.
        svg = re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg, flags=re.S)
        pdf.image(io.BytesIO(svg.encode("utf-8")), w=min(180, 40 * max(1, len(m.pedigree))))
    except Exception:  # noqa: BLE001  (a drawing fpdf2 cannot place must not lose the report)
        pdf.para("(the pedigree drawing could not be placed in this PDF; see the match page)")
    pdf.source(
        f"reference family {m.family_ref or 'none'}; filled symbols are typed references, the "
        f"red outline is the MP, with PM {m.sample_ref or m.remains_ref} placed on it."
    )

    pdf.h2("LR marker by marker")
    if m.markers:
        pdf.table_rows(
            ["Marker", "LR", "Note"],
            [
                [
                    r.marker,
                    "not computed" if r.lr is None else f"{r.lr:.4g}",
                    r.note or ("exclusion unless mutation" if r.lr == 0 else ""),
                ]
                for r in m.markers
            ],
            widths=(50, 40, 90),
        )
    else:
        pdf.para("The identification run did not store per-marker values.")
    if m.alternatives:
        pdf.h2("Alternatives considered")
        pdf.table_rows(
            ["Person", "Remains", "Relation", "log10 LR", "Posterior", "Review"],
            [
                [
                    a.person_ref,
                    a.remains_ref,
                    a.relation,
                    "" if a.log10_lr is None else f"{a.log10_lr:.2f}",
                    "" if a.posterior is None else f"{a.posterior:.4g}",
                    a.status,
                ]
                for a in m.alternatives
            ],
        )

    pdf.h2("Method and versions")
    run = m.run or {}
    params = (
        ", ".join(f"{k}={v}" for k, v in sorted((run.get("parameters") or {}).items()))
        or "none stored"
    )
    pdf.kv(
        [
            ("Identification run", str(run.get("id", "entered by hand"))),
            ("Software of the run", f"Repatria {run.get('software_version', 'unknown')}"),
            ("Run by, on", f"{run.get('run_by', '')} {str(run.get('started_at', ''))[:10]}"),
            ("Allele frequencies", run.get("frequency_table") or "not recorded"),
            ("Parameters", params),
            ("Input hash (SHA-256)", run.get("input_sha256") or "not recorded"),
            ("Report written by", f"Repatria {__version__}"),
        ]
    )
    pdf.para(
        "Method: likelihoods of the observed genotypes on the family pedigree, marker by marker, "
        "with the mutation models of the frequency table; the PM sample placed on the MP versus "
        "the PM sample unrelated. The posterior pairing probability sums over every joint "
        "assignment of remains to missing persons in the case.",
        size=9,
    )

    pdf.h2("Review")
    pdf.table_rows(
        ["Decision", "Step", "By", "When (UTC)", "Reason"],
        [
            [
                str(d["id"]),
                d["kind"],
                d["by"],
                d["at"][:16].replace("T", " "),
                d.get("reason") or "",
            ]
            for d in m.decisions
        ],
    )
    return pdf.output_bytes()
