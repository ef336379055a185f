"""LRs and posteriors in words, for families and courts.

Numerator of every LR: the remains are this person; denominator: they are of someone unrelated
to the family. A posterior is the probability of the pairing over every assignment of the case,
under the prior it names (a flat prior unless stated).

>>> describe_lr(2.0)
'The DNA results are 100 times more probable if these remains are this person than if they \
are of someone unrelated to the family.'
"""

from __future__ import annotations

import math

__all__ = ["describe_lr", "describe_posterior"]


def describe_lr(log10_lr: float | None) -> str:
    """The LR in words, for families and courts (numerator: identity; denominator: unrelated)."""
    if log10_lr is None:
        return "No likelihood ratio was stored for this pairing."
    if math.isinf(log10_lr) and log10_lr < 0:
        return (
            "The likelihood ratio is 0: the DNA results are impossible if these remains are this "
            "person, unless there was a mutation or a typing error."
        )
    lr = _fmt_lr(log10_lr)
    if log10_lr >= 0:
        return (
            f"The DNA results are {lr} times more probable if these remains are this person than "
            "if they are of someone unrelated to the family."
        )
    return (
        f"The DNA results are {_fmt_lr(-log10_lr)} times more probable if these remains are of "
        "someone unrelated to the family than if they are this person."
    )


def _fmt_lr(log10_lr: float) -> str:
    if math.isinf(log10_lr):
        return "infinitely many"
    if log10_lr < 6:
        return f"{10**log10_lr:,.0f}" if log10_lr >= 1 else f"{10**log10_lr:.3g}"
    return f"about 10^{log10_lr:.1f}"


def describe_posterior(p: float | None, prior: str | None) -> str:
    """The posterior pairing probability in words, with the prior it assumes."""
    if p is None:
        return "No posterior probability was stored for this pairing."
    prior_text = prior or "a flat prior over all possible assignments of remains to missing persons"
    return (
        f"Taking every other missing person and set of remains in the case into account, and "
        f"assuming {prior_text}, the probability that these remains are this person is "
        f"{p:.6g} ({100 * p:.4g} %)."
    )
