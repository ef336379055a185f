"""The case summary report: the registry's account beside the published claims, and every
identification.

Each published figure is printed with who said it (and to whom it is attributed), when, as of
which day, on what basis and how it was verified, and the registry's count set beside it.
Ranges are printed by :func:`repatria.services.views.wording.count_range` ("11,000",
"9,000–11,000"). The LR chart draws the identification policy's threshold when the caller passes
one (:class:`PolicyLine`); the registry holds no policy yet, so without one the chart draws only
the candidate rule of every run (LR 1) and says so in its caption.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from repatria.reports.pdf import ReportPDF
from repatria.reports.plots import accounting_chart, lr_distribution
from repatria.services.views.wording import count_range, lr_number, percent, strength
from repatria.services.workflows.accounting import CLAIM_TO_COUNT, Account

__all__ = ["PolicyLine", "case_summary_pdf", "COUNT_WORDS"]


@dataclass(frozen=True)
class PolicyLine:
    """The identification policy's threshold as the chart draws it, and where it comes from."""

    min_log10_lr: float
    source: str  # e.g. "identification policy version 3, set by ada on 2026-11-30"


#: What each registry count is, in words (the keys of :class:`Account`'s counts).
COUNT_WORDS = {
    "persons": "missing persons in the registry",
    "recovered": "remains recovered",
    "sampled": "remains with a DNA sample",
    "identified": "persons identified",
    "notified": "identified persons whose family was told",
    "repatriated": "persons repatriated",
    "disposed": "persons buried or otherwise laid to rest",
    "unaccounted": "persons still unaccounted for",
    "individuals.recovered": "bodies recovered",
    "individuals.identified": "bodies identified",
    "individuals.returned": "bodies returned",
    "individuals.buried": "bodies buried",
    "individuals.held": "bodies still held",
}


def _count_words(key: str) -> str:
    if key in COUNT_WORDS:
        return COUNT_WORDS[key]
    by_measure = {k: label for k, label in CLAIM_TO_COUNT.values()}
    return by_measure.get(key, key.split(".")[-1].replace("_", " "))


def _beside(c: dict[str, Any]) -> str:
    """The registry's figure beside a claim, and the difference, numbers with separators."""
    key, value = c.get("registry_count"), c.get("registry_value")
    if key is None or value is None:
        return str(c.get("difference") or "the registry does not count this")
    low, high = c.get("low"), c.get("high")
    text = f"{value:,} {_count_words(str(key))}"
    if low is None and high is None:
        return text + "; the claim gives no number"
    if low is not None and value < low:
        return text + f": {low - value:,} fewer than claimed"
    if high is not None and value > high:
        return text + f": {value - high:,} more than claimed"
    return text + (": the same" if low == high else ": within the claimed range")


def _who(c: dict[str, Any]) -> str:
    who = c.get("reported_by") or "not recorded"
    if c.get("attributed_to"):
        who += f" (attributed to {c['attributed_to']})"
    when = c.get("reported_on")
    return who + (f", {when}" if when else "")


def _what(c: dict[str, Any]) -> str:
    figure = count_range(c.get("low"), c.get("high")) or "no number given"
    subject = f" ({c['subject']})" if c.get("subject") else ""
    as_of = f", as of {c['as_of']}" if c.get("as_of") else ""
    return f"{figure} {c.get('measure') or ''}{subject}{as_of}".strip()


def _how(c: dict[str, Any]) -> str:
    basis = c.get("basis") or "basis not stated"
    verification = c.get("verification") or "verification not recorded"
    return f"{basis}; {verification}"


def case_summary_pdf(
    acc: Account,
    identifications: Sequence[dict[str, Any]],
    log10_lrs: Sequence[float],
    *,
    policy: PolicyLine | None = None,
) -> bytes:
    pdf = ReportPDF("Case summary", footer_title="Case summary")
    pdf.h1("Case summary", "The registry's account, the published claims, every identification")

    pdf.h2("What the registry holds", keep=60)
    pdf.table_rows(
        ["What is counted", "Number"],
        [[_count_words(k), f"{v:,}"] for k, v in acc.counts.items()],
        widths=(120, 30),
    )
    individuals = getattr(acc, "individuals", None) or {}
    if individuals:
        pdf.table_rows(
            ["Bodies (one individual's remains, however many fragments)", "Number"],
            [[_count_words(f"individuals.{k}"), f"{v:,}"] for k, v in individuals.items()],
            widths=(120, 30),
        )
    pdf.source("counted from the registry's records when this report was generated.")
    pdf.keep(95)
    pdf.image(io.BytesIO(accounting_chart(acc, "png")), w=165)

    if acc.claims:
        pdf.h2("Published claims beside the registry", keep=40)
        pdf.para(
            "Each figure as it was published: who said it and when, what they counted, on what "
            "basis and how it was verified; then the registry's own count of the same thing.",
            size=9,
        )
        pdf.table_rows(
            ["Claim", "Who said it, when", "What they said", "Basis; verification", "Registry"],
            [[c["claim_id"], _who(c), _what(c), _how(c), _beside(c)] for c in acc.claims],
            widths=(17, 38, 41, 38, 42),
            size=8.5,
        )
        pdf.source("published claims as imported, each with the record of who made it.")

    pdf.h2(f"Identifications ({len(identifications):,})", keep=30)
    if identifications:
        pdf.table_rows(
            [
                "Person",
                "Remains",
                "DNA evidence (likelihood ratio)",
                "Probability",
                "Confirmed by, on",
                "State",
            ],
            [
                [
                    _person(i),
                    i["remains_ref"],
                    _evidence(i.get("log10_lr")),
                    percent(i.get("posterior")),
                    f"{i['confirmed_by']}, {i['confirmed_at']}",
                    str(i["person_status"]).replace("_", " "),
                ]
                for i in identifications
            ],
            widths=(40, 20, 42, 24, 30, 20),
            size=8.5,
        )
    else:
        pdf.para("No identification has been confirmed yet.")

    pdf.h2("Likelihood ratios of all candidate matches", keep=85)
    if policy is not None:
        line, caption = (
            policy.min_log10_lr,
            "dashed line: the identification policy's threshold, LR "
            f"{lr_number(policy.min_log10_lr)} ({policy.source})",
        )
    else:
        line, caption = (
            None,
            "no identification policy is recorded in the registry, so no threshold is drawn; "
            "the dotted line is LR 1, above which a run lists a pairing for review",
        )
    pdf.image(io.BytesIO(lr_distribution(log10_lrs, "png", threshold=line)), w=155)
    pdf.source(
        f"{len(log10_lrs):,} stored candidate matches of every identification run; {caption}."
    )
    return pdf.output_bytes()


def _person(i: dict[str, Any]) -> str:
    name = i.get("person_name")
    return f"{i['person_ref']}" + (f" {name}" if name and name != i["person_ref"] else "")


def _evidence(log10_lr: float | None) -> str:
    if log10_lr is None or (isinstance(log10_lr, float) and math.isnan(log10_lr)):
        return "not stored"
    return f"{strength(log10_lr)}: {lr_number(log10_lr)}"
