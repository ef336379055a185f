"""The non-DNA prior of ``repatria identify --non-dna-prior`` (issue 13).

Non-DNA evidence (sex, age, place, date, unit, papers, effects:
:mod:`repatria.services.workflows.non_dna_evidence`) counts in one of two places, never both:

- **beside the LR** (the default): each candidate stores its factors (``non_dna``) and their
  product (``non_dna_log10_lr``); the posterior rests on the DNA alone, and the match page's
  combined LR multiplies the factors in.
- **in the prior** (``--non-dna-prior``, with ``--match-prior P|accounting``): each pairing's
  non-DNA LR (the product of its enabled factors) multiplies that pairing's prior odds in the
  open-population prior (:func:`repatria.kinship.priors.open_population_prior`'s
  ``pairing_lr``; one PM's prior read as probabilities is
  :func:`repatria.kinship.priors.non_dna_pm_prior`), so the posterior, its proven interval and
  the prior sensitivity table hold them. The stored factors are then marked ``in_prior`` and the
  combined LR does not multiply them again; the page says where they went.

In both the autosomal ``log_lr`` is unchanged and is the LR the identification policy's ``lr``
rule reads; the policy's ``non_dna`` rule still reads each factor's consistency (a check that a
finding does not contradict the pairing, not a weight). The run records the choice in
``parameters["non_dna_prior"]``.

Only the pairings the analysis allows are weighed (a PM's MPs of compatible sex, less recorded
exclusions); a pairing whose records give no factor has LR 1. A non-DNA LR beyond 1e±300 is
held there (an exact 0 stays 0: a finding that rules the pairing out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.kinship.dvi import NOBODY
from repatria.kinship.priors import AssignmentPrior, open_population_prior
from repatria.registry.evidence import stored_number
from repatria.services.workflows.non_dna_evidence import NonDnaEvidence, non_dna_kinds

__all__ = ["IN_PRIOR", "NonDnaPrior", "non_dna_prior", "prior_words"]

#: The key a stored non-DNA factor carries when it entered the prior instead of the LR.
IN_PRIOR = "in_prior"

_LOG10_CAP = 300.0


def prior_words(p: float | None, non_dna_in_prior: bool = False) -> str | None:
    """The prior of a run's posteriors in words (``None``: dvir's flat prior)."""
    if p is None:
        return None
    text = (
        f"an open-population prior: each set of remains is one of the listed missing persons "
        f"it may be with probability {p:g}, evenly over them, else nobody listed"
    )
    if non_dna_in_prior:
        text += (
            ", each pairing's prior odds multiplied by its non-DNA evidence (sex, age, place, "
            "date, unit, documents, effects)"
        )
    return text


@dataclass(frozen=True, eq=False)
class NonDnaPrior:
    """The prior of a run with the non-DNA LRs in it (``prior`` is ``None`` when off)."""

    p: float | None = None
    prior: AssignmentPrior | None = None
    pairing_lr: dict[tuple[str, str], float] | None = None
    kinds: tuple[str, ...] = field(default_factory=tuple)

    @property
    def on(self) -> bool:
        return self.prior is not None

    def mark(self, evidence: dict[str, Any]) -> dict[str, Any]:
        """A candidate's evidence with the prior in words and, when on, each non-DNA factor
        marked :data:`IN_PRIOR` (so that no combined LR counts it again)."""
        words = prior_words(self.p, self.on)
        out = dict(evidence)
        if words is not None:
            out["prior"] = words
        if self.on and out.get("non_dna"):
            out["non_dna"] = [{**f, IN_PRIOR: True} for f in out["non_dna"]]
        return out

    def parameters(self) -> dict[str, Any]:
        """The run's ``parameters["non_dna_prior"]`` (``{}`` when off)."""
        if not self.on:
            return {}
        lrs = self.pairing_lr or {}
        return {
            "non_dna_prior": {
                "kinds": list(self.kinds),
                "where": "in the prior: each pairing's non-DNA LR multiplies its prior odds "
                "(open population); not multiplied into the combined LR",
                "pairings_weighed": len(lrs),
                "pairings_not_1": sum(1 for x in lrs.values() if x != 1.0),
            }
        }


def non_dna_prior(
    session: Session,
    rp: Any,
    p: float | None,
    kinds: str | Sequence[str] | None,
    wanted: bool,
) -> NonDnaPrior:
    """The run's prior: with ``wanted``, the open-population prior at ``p`` with each allowed
    pairing's non-DNA LR (``kinds`` as identify's ``non_dna``) in its odds.

    ``rp``: the :class:`~repatria.services.workflows.problem.RegistryProblem` analysed.
    """
    if not wanted:
        return NonDnaPrior(p)
    if p is None:
        raise ServiceError(
            "the non-DNA prior is the open-population prior with the non-DNA LRs in its odds; "
            "give --match-prior P or accounting with --non-dna-prior"
        )
    chosen = non_dna_kinds(kinds)
    if not chosen:
        raise ServiceError("--non-dna none leaves no non-DNA factor to put in the prior")
    problem = rp.problem
    nd = NonDnaEvidence(session, rp.pm_body, rp.mp_person, problem.pm_sex, chosen)
    lrs: dict[tuple[str, str], float] = {}
    for v in problem.pm:
        for m in problem.pairings[v]:
            if m == NOBODY:
                continue
            x = nd.of(v, m).get("non_dna_log10_lr")
            lrs[(v, m)] = _lr(x)
    prior = open_population_prior(problem, p, pairing_lr=lrs)
    return NonDnaPrior(p, prior, lrs, tuple(chosen))


def _lr(stored: Any) -> float:
    x = stored_number(stored)  # stored as JSON writes it: "-Inf" for a finding that excludes
    if x is None or math.isnan(x):
        return 1.0
    if x == -math.inf:
        return 0.0
    return float(10 ** max(-_LOG10_CAP, min(_LOG10_CAP, x)))
