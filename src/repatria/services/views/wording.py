"""LRs, posteriors and counts in words, for families, courts and every page: one rule, one place.

Numerator of every LR: the remains are this person; denominator: they are of someone unrelated
to the family. A posterior is the probability of the pairing over every assignment of the case,
under the prior it names (a flat prior unless stated).

The strength of an LR in words follows the verbal scale of the ENFSI guideline for evaluative
reporting (2015): 1 no support, up to 10 weak, 100 moderate, 1,000 moderately strong,
10,000 strong, 1,000,000 very strong, above that extremely strong.

>>> describe_lr(2.0)
'The DNA results are 100 times more probable if these remains are this person than if they \
are of someone unrelated to the family.'
>>> lr_number(8.2)
'1.6 × 10⁸'
>>> lr_number(1.82)
'66'
>>> strength(8.2)
'extremely strong'
>>> percent(0.9999)
'99.99\xa0%'
>>> [percent(p).replace("\xa0", " ") for p in (0.9847, 0.5, 0.0153, 2.459e-10)]
['98.5 %', '50 %', '1.5 %', 'less than 0.0001 %']
>>> count_range(11000, 11000), count_range(9000, 11000), count_range(None, 40)
('11,000', '9,000–11,000', 'at most 40')
"""

from __future__ import annotations

import math

__all__ = [
    "describe_lr",
    "describe_posterior",
    "describe_conclusion",
    "strength",
    "lr_number",
    "lr_in_plain_numbers",
    "percent",
    "count_range",
    "log10_text",
    "lr_words",
    "percent_bound",
    "interval_words",
    "CERTIFIED_WIDTH",
    "LR_ONE_TOLERANCE",
]

#: (lowest log10 LR, words) of the ENFSI verbal scale, strongest first.
_SCALE = (
    (6.0, "extremely strong"),
    (4.0, "very strong"),
    (3.0, "strong"),
    (2.0, "moderately strong"),
    (1.0, "moderate"),
    (0.0, "weak"),
)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def strength(log10_lr: float | None) -> str:
    """The support an LR gives to identity, in the ENFSI scale's words (see the module)."""
    if log10_lr is None or math.isnan(log10_lr):
        return "unknown"
    if log10_lr <= 0:
        return "none" if log10_lr == 0 else "against"
    return next(words for low, words in _SCALE if log10_lr > low or low == 0.0)


def lr_number(log10_lr: float | None) -> str:
    """The LR as a reader sees it: two significant figures, ``1.6 × 10⁸`` from 10^6 on."""
    if log10_lr is None or math.isnan(log10_lr):
        return "not stored"
    if math.isinf(log10_lr):
        return "infinite" if log10_lr > 0 else "0"
    if log10_lr >= 6 or log10_lr < -3:
        exponent = math.floor(log10_lr)
        mantissa = 10 ** (log10_lr - exponent)
        if round(mantissa, 1) >= 10:
            mantissa, exponent = 1.0, exponent + 1
        return f"{mantissa:.1f} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    lr = 10**log10_lr
    if lr >= 100:
        digits = math.floor(math.log10(lr)) - 1
        return f"{round(lr, -digits):,.0f}"
    return f"{lr:.2g}"


def lr_in_plain_numbers(log10_lr: float | None) -> str:
    """The LR's size in words (``about 160 million``); empty below 10^6 or beyond 10^15."""
    if log10_lr is None or not math.isfinite(log10_lr) or not 6 <= log10_lr < 15:
        return ""
    for power, word in ((12, "trillion"), (9, "billion"), (6, "million")):
        if log10_lr >= power:
            value = 10 ** (log10_lr - power)
            digits = 1 - math.floor(math.log10(value))
            return f"about {round(value, digits):,.{max(0, digits)}f} {word}".replace(".0 ", " ")
    return ""


def percent(p: float | None) -> str:
    """A probability as a percentage, precise enough to tell it from 0 and 100 (to 0.0001 %)."""
    if p is None or math.isnan(p):
        return "not stored"
    if p >= 1 - 5e-7:
        return "100\u00a0%" if p >= 1 else "more than 99.9999\u00a0%"
    if p < 5e-7:
        return "0\u00a0%" if p <= 0 else "less than 0.0001\u00a0%"
    distance = min(p, 1 - p) * 100  # percentage points to the nearer end
    decimals = max(0, min(4, 1 - math.floor(math.log10(distance * (1 + 1e-9)))))
    shown = f"{100 * p:.{decimals}f}"
    # At the edges (p = 5e-7 is 0.00005 %) rounding may reach 0 or 100: never say either.
    if float(shown) <= 0:
        return "less than 0.0001\u00a0%"
    if float(shown) >= 100:
        return "more than 99.9999\u00a0%"
    # a no-break space, so that a line never ends between the number and its sign
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + "\u00a0%"


def count_range(low: int | None, high: int | None) -> str:
    """A claimed count as printed: ``11,000``, ``9,000–11,000``, ``at least 9,000``; none: ''."""
    if low is None and high is None:
        return ""
    if high is None:
        return f"at least {low:,}"
    if low is None:
        return f"at most {high:,}"
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def describe_lr(log10_lr: float | None) -> str:
    """The LR in words, for families and courts (numerator: identity; denominator: unrelated)."""
    if log10_lr is None or math.isnan(log10_lr):
        return "No likelihood ratio was stored for this pairing."
    if math.isinf(log10_lr) and log10_lr < 0:
        return (
            "The likelihood ratio is 0: the DNA results are impossible if these remains are this "
            "person, unless there was a mutation or a typing error."
        )
    if lr_number(log10_lr) == "1":
        return (
            "The DNA results are as probable if these remains are this person as if they are of "
            "someone unrelated to the family: they do not help to decide."
        )
    if log10_lr > 0:
        return (
            f"The DNA results are {_times(log10_lr)} times more probable if these remains are "
            "this person than if they are of someone unrelated to the family."
        )
    return (
        f"The DNA results are {_times(-log10_lr)} times more probable if these remains are of "
        "someone unrelated to the family than if they are this person."
    )


def _times(log10_lr: float) -> str:
    if math.isinf(log10_lr):
        return "infinitely many"
    plain = lr_in_plain_numbers(log10_lr)
    return f"{plain} ({lr_number(log10_lr)})" if plain else lr_number(log10_lr)


def describe_posterior(p: float | None, prior: str | None) -> str:
    """The posterior pairing probability in words, with the prior it assumes."""
    if p is None or math.isnan(p):
        return "No posterior probability was stored for this pairing."
    prior_text = prior or "a flat prior over all possible assignments of remains to missing persons"
    return (
        f"Taking every other missing person and set of remains in the case into account, and "
        f"assuming {prior_text}, the probability that these remains are this person is "
        f"{percent(p)}."
    )


def describe_conclusion(
    remains_ref: str, name: str, log10_lr: float | None, *, born: str | None = None
) -> str:
    """The conclusion of a confirmed identification in one sentence, strength in the scale's words.

    >>> describe_conclusion("R-0042", "Kim Chol-su", 8.2, born="1998-03-02")
    'The remains R-0042 are, with extremely strong DNA evidence, those of Kim Chol-su, born \
1998-03-02.'
    """
    words = strength(log10_lr)
    how = (
        f"with {words} DNA evidence"
        if words not in ("unknown", "none", "against")
        else "by the reviewers' decision, though the DNA evidence does not support it on its own"
    )
    return f"The remains {remains_ref} are, {how}, those of {name}" + (
        f", born {born}." if born else "."
    )


# ------------------------------------------------------------------ the match page's numbers

#: An interval wider than this (in probability) does not pin the posterior down enough to decide
#: on: it is shown as "not certified", with its ends, rather than as a result.
CERTIFIED_WIDTH = 0.1
#: The marker LRs within this of log10 LR 0 are "LR = 1" (the run's sums carry rounding).
LR_ONE_TOLERANCE = 1e-12


def log10_text(log10_lr: float) -> str:
    """A log10 LR to one decimal, with a true minus sign (``6.4``, ``−2.4``)."""
    shown = f"{log10_lr:.1f}"
    if shown in ("-0.0", "0.0"):
        return "0"
    return shown.replace("-", "\u2212")


def lr_words(log10_lr: float | None) -> str:
    """An LR as the match page prints it: its size in words with its log10.

    >>> [lr_words(x) for x in (6.4, 1.82, 0.0, -2.4, 17.3, float("-inf"))]
    ['about 2.5 million (log10 6.4)', 'about 66 (log10 1.8)', '1 (log10 0)', \
'about 1 in 250 (log10 −2.4)', 'about 2.0 × 10¹⁷ (log10 17.3)', '0 (impossible without mutation)']
    """
    if log10_lr is None or math.isnan(log10_lr):
        return "not stored"
    if math.isinf(log10_lr):
        return "infinite" if log10_lr > 0 else "0 (impossible without mutation)"
    if abs(log10_lr) <= LR_ONE_TOLERANCE:
        return "1 (log10 0)"
    if log10_lr < 0:
        return f"about 1 in {_size(-log10_lr)} (log10 {log10_text(log10_lr)})"
    return f"about {_size(log10_lr)} (log10 {log10_text(log10_lr)})"


def _size(log10_lr: float) -> str:
    plain = lr_in_plain_numbers(log10_lr)
    return plain.removeprefix("about ") if plain else lr_number(log10_lr)


def percent_bound(p: float, direction: str) -> str:
    """An end of a proven interval as a percentage, rounded outwards (``down`` or ``up``), so
    the interval in words still holds the true value.

    >>> percent_bound(0.99249, "down"), percent_bound(0.99249, "up")
    ('99.24\xa0%', '99.25\xa0%')
    """
    if not 0 <= p <= 1 or math.isnan(p):
        raise ValueError(f"a probability is between 0 and 1, not {p}")
    if p in (0.0, 1.0):
        return percent(p)
    distance = min(p, 1 - p) * 100
    decimals = max(0, min(4, 1 - math.floor(math.log10(distance))))
    scale = 10**decimals
    value = 100 * p * scale
    shown = (math.floor(value) if direction == "down" else math.ceil(value)) / scale
    text = f"{shown:.{decimals}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "\u00a0%"


def interval_words(low: float | None, high: float | None) -> str:
    """The certified posterior interval in words: proven bounds, or why it certifies nothing.

    >>> interval_words(0.9925, 0.9991).replace("\xa0", " ")
    'between 99.25 % and 99.91 %, proven bounds'
    >>> interval_words(0.0, 1.0).replace("\xa0", " ")
    'not certified: the bound is wide (0 % to 100 %)'
    >>> interval_words(None, None)
    'no certified interval was computed for this pairing'
    """
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "no certified interval was computed for this pairing"
    lo, hi = percent_bound(low, "down"), percent_bound(high, "up")
    if high - low > CERTIFIED_WIDTH:
        return f"not certified: the bound is wide ({lo} to {hi})"
    return f"between {lo} and {hi}, proven bounds"
