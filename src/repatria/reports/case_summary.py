"""The case summary report: the registry's account beside the claims, and every identification."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from repatria.reports.pdf import ReportPDF
from repatria.reports.plots import accounting_chart, lr_distribution
from repatria.services.workflows.accounting import Account

__all__ = ["case_summary_pdf"]


def case_summary_pdf(
    acc: Account, identifications: Sequence[dict[str, Any]], log10_lrs: Sequence[float]
) -> bytes:
    pdf = ReportPDF("Case summary")
    pdf.h1("Case summary")
    pdf.h2("Registry counts")
    pdf.table_rows(
        ["Count", "Value"], [[k, str(v)] for k, v in acc.counts.items()], widths=(60, 30)
    )
    pdf.source("counted from the registry's records when this report was generated.")
    pdf.image(io.BytesIO(accounting_chart(acc, "png")), w=170)
    if acc.claims:
        pdf.h2("Published claims beside the registry")
        pdf.table_rows(
            ["Claim", "Measure", "Claimed", "Reported by", "Difference"],
            [
                [
                    c["claim_id"],
                    c["measure"],
                    _claimed(c["low"], c["high"]),
                    c.get("reported_by") or "",
                    c["difference"],
                ]
                for c in acc.claims
            ],
            widths=(22, 22, 22, 40, 74),
        )
        pdf.source("published_claims table, as imported.")
    pdf.h2(f"Identifications ({len(identifications)})")
    if identifications:
        pdf.table_rows(
            ["Person", "Remains", "log10 LR", "Posterior", "Confirmed by, on", "State"],
            [
                [
                    i["person_ref"],
                    i["remains_ref"],
                    "" if i["log10_lr"] is None else f"{i['log10_lr']:.2f}",
                    "" if i["posterior"] is None else f"{i['posterior']:.4g}",
                    f"{i['confirmed_by']}, {i['confirmed_at']}",
                    i["person_status"],
                ]
                for i in identifications
            ],
        )
    else:
        pdf.para("No identification has been confirmed yet.")
    pdf.h2("Likelihood ratios of all candidate matches")
    pdf.image(io.BytesIO(lr_distribution(log10_lrs, "png")), w=160)
    pdf.source(f"{len(log10_lrs)} stored candidate matches (candidate_matches.log10_lr).")
    return pdf.output_bytes()


def _claimed(low: int | None, high: int | None) -> str:
    """A claim's range as printed: ``low-high``, a side left blank when unknown; both: empty."""
    if low is None and high is None:
        return ""
    return f"{'' if low is None else low}-{'' if high is None else high}"
