"""Plots with matplotlib: the accounting chart and the distribution of LRs.

Each figure says where its numbers come from in its caption, because a chart copied into a
briefing loses the page around it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from repatria.services.workflows.accounting import Account  # noqa: E402

__all__ = ["accounting_chart", "lr_distribution"]

_ORDER = (
    "persons",
    "recovered",
    "sampled",
    "identified",
    "notified",
    "repatriated",
    "disposed",
    "unaccounted",
)


def _save(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format=fmt,
        bbox_inches="tight",
        dpi=150 if fmt == "png" else 72,
        metadata={"Date": None} if fmt == "svg" else None,
    )
    plt.close(fig)
    return buf.getvalue()


# The chart is a pure function of the counts and claims, and drawing it is most of a page's time:
# the same figures are drawn once.
_CHARTS: dict[str, bytes] = {}


def accounting_chart(acc: Account, fmt: str = "svg") -> bytes:
    """Registry counts by state (bars), with each claim's range on the count it is set beside."""
    key = json.dumps([fmt, acc.counts, acc.claims], sort_keys=True, default=str)
    if key not in _CHARTS:
        if len(_CHARTS) >= 64:
            _CHARTS.clear()
        _CHARTS[key] = _draw_accounting_chart(acc, fmt)
    return _CHARTS[key]


def _draw_accounting_chart(acc: Account, fmt: str) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 4.2))
    keys = [k for k in _ORDER if k in acc.counts]
    values = [acc.counts[k] for k in keys]
    bars = ax.barh(keys, values, color="#2f5d8a")
    ax.bar_label(bars, padding=3, fmt="{:,.0f}")
    ax.invert_yaxis()
    shown = False
    for c in acc.claims:
        key = c.get("registry_count")
        if key not in keys or (c.get("low") is None and c.get("high") is None):
            continue
        y = keys.index(key)
        lo = c["low"] if c["low"] is not None else c["high"]
        hi = c["high"] if c["high"] is not None else c["low"]
        ax.plot(
            [lo, hi],
            [y, y],
            color="#b00020",
            linewidth=3,
            alpha=0.6,
            marker="|",
            markersize=14,
            label=None if shown else "published claims (range)",
        )
        shown = True
    ax.set_xlabel("count")
    ax.set_xscale("symlog", linthresh=10)
    if shown:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Registry counts by state, with published claims")
    fig.text(
        0.01,
        -0.04,
        "Source: Repatria registry records (counted at request time); claims: "
        "published claims, as imported.",
        fontsize=7,
    )
    return _save(fig, fmt)


def lr_distribution(
    log10_lrs: Sequence[float], fmt: str = "png", *, threshold: float | None = None
) -> bytes:
    """Histogram of the LR (on a log scale) over every stored candidate match.

    ``threshold`` (log10 LR): the identification policy's line, dashed; without one only LR 1
    (the candidate rule's "LR above 1") is drawn, dotted, and the caption says so.
    """
    fig, ax = plt.subplots(figsize=(7, 3.2))
    if log10_lrs:
        ax.hist(list(log10_lrs), bins=min(30, max(5, len(log10_lrs) // 2)), color="#2f5d8a")
    else:
        ax.text(0.5, 0.5, "no candidate matches stored", ha="center", transform=ax.transAxes)
    ax.axvline(0, color="#555555", linestyle=":", linewidth=1)
    if threshold is not None:
        ax.axvline(threshold, color="#b00020", linestyle="--", linewidth=1.2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"$10^{{{x:g}}}$"))
    ax.set_xlabel("likelihood ratio (identity against unrelated), log scale")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("candidate matches")
    ax.set_title("Distribution of likelihood ratios")
    fig.text(
        0.01,
        -0.06,
        "Source: every stored candidate match of every identification run; dotted: LR 1"
        + ("; dashed: the identification policy's threshold." if threshold is not None else "."),
        fontsize=7,
    )
    return _save(fig, fmt)
