"""The kinship checks of an identification run, routed to review with each candidate.

A run asks the kinship core's checks (:mod:`repatria.kinship.checks`) what the numbers alone
should not settle, and keeps the answers with the candidates, where the policy's rules and the
reviewer read them (``checks``: the names of the checks that flagged the pairing; ``warnings``:
what they found, in words). Nothing here changes an LR or decides a pairing:

- a misattributed relationship (exclusions that concentrate on one typed reference, the
  stepfather recorded as the father): flagged on the pairing, with the LR without him;
- a sex conflict between the PM and the MP's record;
- a family with no typed reference: its LRs are 1, so its candidates are never raised (the
  family is named in the run instead: sample a relative);
- an LR of 1 within rounding is 1, and is not raised as a candidate either.

The misattributed-relationship check reruns the pairwise LRs of a family once per typed
reference left out, over the PMs it excludes; on a very large case (more than
:data:`MISATTRIBUTED_PAIR_BUDGET` PM x MP pairs) it is not run, and the run says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from repatria.kinship.checks import (
    find_misattributed,
    is_one,
    sex_conflicts_where,
    uninformative_families,
)
from repatria.kinship.dvi import DVIProblem, PairwiseResult

__all__ = ["MISATTRIBUTED_PAIR_BUDGET", "RunChecks", "run_checks"]

#: Largest PM x MP case on which every run looks for misattributed relationships.
MISATTRIBUTED_PAIR_BUDGET = 250_000


@dataclass(frozen=True)
class RunChecks:
    """What the checks found in one run."""

    flags: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    uninformative: dict[str, str] = field(default_factory=dict)  # MP -> the sentence
    notes: list[str] = field(default_factory=list)

    def raisable(self, pm: str, mp: str, log_lr: float) -> bool:
        """Whether the pairing's LR may raise it: an LR of 1 (or of an uninformative family)
        never does, whatever rounding left in it."""
        return mp not in self.uninformative and log_lr > 0 and not is_one(log_lr)

    def of(self, pm: str, mp: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(check names, sentences) flagged for the pairing."""
        found = self.flags.get((pm, mp), [])
        return tuple(dict.fromkeys(c for c, _ in found)), tuple(m for _, m in found)


def run_checks(problem: DVIProblem, pairwise: PairwiseResult) -> RunChecks:
    """Every check of the run over ``problem`` with its pairwise LRs."""
    flags: dict[tuple[str, str], list[tuple[str, str]]] = {}
    notes: list[str] = []
    n_pairs = len(problem.pm) * len(problem.missing)
    if n_pairs <= MISATTRIBUTED_PAIR_BUDGET:
        for r in find_misattributed(problem, pairwise):
            without = [x for x in r.references if x.reference in r.suspects]
            lr_without = (
                f"; LR without {without[0].reference}: "
                f"10^{without[0].log_lr_without / math.log(10):.1f}"
                if without and math.isfinite(without[0].log_lr_without)
                else ""
            )
            flags.setdefault((r.pm, r.mp), []).append((r.check, r.message + lr_without))
    else:
        notes.append(
            f"misattributed-relationship check not run: {n_pairs} PM x MP pairs is more than "
            f"{MISATTRIBUTED_PAIR_BUDGET}; run it on the families in question"
        )
    allowed = ~np.isnan(np.asarray(pairwise.log_lr, dtype=float))
    for c in sex_conflicts_where(problem, allowed):
        flags.setdefault((c.pm, c.mp), []).append((c.check, c.message))
    silent = {m: f.message for f in uninformative_families(problem) for m in f.missing}
    if silent:
        notes.append(
            f"{len(silent)} missing person(s) of families with no typed reference: no candidate "
            "raised for them (sample a relative)"
        )
    return RunChecks(flags, silent, notes)
