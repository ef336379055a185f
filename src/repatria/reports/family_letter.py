"""The family letter: the identification in plain words, for a family liaison officer to hand over.

It says who was found, where and when, how the identification was made (in words: the
relatives whose DNA was compared, how strong the evidence is, that two people checked it),
what happens next and whom to contact. It carries no likelihood ratio, no probability and no
laboratory term: the full identification report is there for whoever asks for it.

The strength words come from :mod:`repatria.services.views.wording`, the same rule as the
report and the match page. The contact is the liaison officer's (name, telephone, e-mail);
where the registry holds none, the letter leaves lines for her to write them in by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from repatria.reports.identification import person_display_name, review_steps
from repatria.reports.pdf import ReportPDF
from repatria.services.views import MatchDetail
from repatria.services.views.wording import strength

__all__ = ["FamilyContact", "family_letter_pdf"]


@dataclass(frozen=True)
class FamilyContact:
    """Whom the family can call: the liaison officer (or office) and how to reach her."""

    name: str | None = None
    role: str = "Family liaison officer"
    telephone: str | None = None
    email: str | None = None
    office: str | None = None


def _long_date(iso: str | None) -> str | None:
    """``2025-02-01`` as ``1 February 2025``; other text as it is."""
    if not iso:
        return None
    try:
        d = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


#: (subject, possessive, object, possessive pronoun) by the person's recorded sex.
_PRONOUN = {"male": ("he", "his", "him", "his"), "female": ("she", "her", "her", "hers")}


def _relatives(m: MatchDetail, his: str) -> str:
    rels = [str(r.get("relationship") or "relative") for r in m.references]
    if not rels:
        return "members of the family"
    named = [f"{his} {r.replace('_', ' ')}" for r in rels]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def family_letter_pdf(
    m: MatchDetail,
    *,
    contact: FamilyContact | None = None,
    recipient: str | None = None,
    agency: str | None = None,
    relationship_findings: Sequence[str] = (),
) -> bytes:
    """The letter as PDF bytes (one page).

    ``relationship_findings``: what the family may be told of findings about its relatives
    (a misattributed relationship). Give it only from
    :func:`repatria.services.views.letters.family_letter_view`, which leaves it empty unless
    the identification policy allows telling families; nothing else in the letter speaks of it.
    """
    _he, his, him, theirs = _PRONOUN.get(m.person_sex or "", ("they", "their", "them", "theirs"))
    pdf = ReportPDF(
        f"Letter to the family of {m.person_ref}",
        footer_title=f"Letter to the family · reference {m.person_ref} / {m.remains_ref}",
    )
    name = person_display_name(pdf, m)
    short = name.split(" (")[0]
    _propose, confirm = review_steps(m)
    today = _long_date(dt.date.today().isoformat())

    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, agency or "The identification team", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.cell(0, 6, str(today), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.para(f"To {recipient}" if recipient else f"To the family of {name}", size=11)
    pdf.ln(2)
    born = _long_date(m.person_born)
    pdf.h1(f"About {name}", f"born {born}" if born else None)

    where = f" at {m.remains_site}" if m.remains_site else ""
    when = f" on {_long_date(m.recovered_on)}" if m.recovered_on else ""
    pdf.para(
        f"We are deeply sorry to tell you that {short} has been found. Remains recovered{where}"
        f"{when} have been identified as {theirs}.",
        size=11,
        gap=3,
    )

    pdf.h3("How we know", keep=20)
    words = strength(m.log10_lr)
    if words in ("unknown", "none", "against"):
        evidence = (
            "The DNA alone does not settle it; the identification also rests on other evidence, "
            "which your liaison officer can explain."
        )
    else:
        evidence = f"The DNA evidence is {words}."
    checked = f" on {_long_date(confirm['at'])}" if confirm else ""
    pdf.para(
        f"We compared the DNA of the remains with the DNA that {_relatives(m, his)} gave us. "
        f"{evidence} Two specialists checked the result separately: one proposed the "
        f"identification, and a second, independent reviewer confirmed it{checked}.",
        size=11,
        gap=3,
    )
    for finding in relationship_findings:
        pdf.para(finding, size=11, gap=3)

    pdf.h3("What happens next", keep=20)
    pdf.para(
        f"Your family liaison officer will talk with you about what happens next: bringing "
        f"{him} home, and a funeral or burial as your family wishes. You may ask for the full "
        f"identification report, which sets out the evidence in detail, and you may ask "
        f"questions at any time. If anything in this letter seems wrong to you, a name or a "
        f"date, please tell us.",
        size=11,
        gap=3,
    )

    pdf.h3("Who to contact", keep=40)
    c = contact or FamilyContact()
    blank = "_" * 38
    rows = [
        (c.role, c.name or blank),
        ("Telephone", c.telephone or blank),
        ("E-mail", c.email or blank),
    ]
    if c.office:
        rows.append(("Office", c.office))
    rows.append(("Please give this reference", f"{m.person_ref} / {m.remains_ref}"))
    pdf.kv(rows, widths=(60, 116))
    pdf.ln(6)
    pdf.para("With our deepest sympathy,", size=11, gap=14)
    pdf.set_draw_color(60, 60, 60)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 80, pdf.get_y())
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(1)
    pdf.para(f"{c.name or ''}{', ' if c.name else ''}{c.role.lower()}", size=10)
    return pdf.output_bytes()
