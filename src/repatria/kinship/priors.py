"""Priors over assignments, stated as what they assume.

The joint analysis weighs each assignment by its likelihood ratio against "nobody identified"
times its prior. dvir's ``dviJoint`` uses a flat prior over all assignments; with many weak links
that prior makes chance LRs of 1–3 look likely (a PM with LR 2.9 to one family gets posterior
0.5 just because "somebody" is as likely as "nobody").

:func:`open_population_prior` says instead how likely a PM is to be one of the case's missing at
all: each PM is one of the MPs it may be paired with with probability ``p``, evenly over them, and
nobody of the case with probability ``1 - p``, independently for every PM, conditioned on no MP
being used twice. For a PM ``v`` with ``k_v`` allowed MPs, an assignment's prior is then, up to a
constant, the product over the assigned PMs of ``p / (k_v (1 - p))``: the prior odds of ``v = m``
against ``v = *``. ``p`` may come from the accounting (bodies expected among the listed missing);
a PM's own ``p_v`` may come from non-DNA evidence (sex, place, date, papers), and a pairing's odds
may be multiplied by a non-DNA LR.

Every prior here is a table of log prior odds ``log(P(v = m) / P(v = *))`` per pairing, which the
joint multiplies into each option's factor; the flat prior is the empty table (odds 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from repatria.kinship.dvi import NOBODY, DVIProblem
from repatria.kinship.errors import KinshipError

__all__ = ["AssignmentPrior", "open_population_prior", "non_dna_pm_prior", "FLAT_PRIOR_NAME"]

FLAT_PRIOR_NAME = "flat over all assignments"

#: ``p = 1`` (every PM surely one of the MPs) is taken as ``1 - P_ONE_EPS``: the joint's "nobody"
#: option has weight 1 by construction, so certainty is approached, not reached.
P_ONE_EPS = 1e-12


@dataclass(frozen=True)
class AssignmentPrior:
    """Log prior odds of each pairing against the PM being nobody of the case.

    Attributes
    ----------
    name : what the prior assumes, in words (shown in results and reports).
    log_odds : ``log_odds[pm][mp]``, natural log; pairings absent have odds 1 (log 0).
    parameters : the numbers it was built from.
    """

    name: str
    log_odds: Mapping[str, Mapping[str, float]]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def pairing_log_odds(self, pairs: Iterable[tuple[str, str]]) -> float:
        """Sum of the log prior odds of these ``(pm, mp)`` placements."""
        total = 0.0
        for v, m in pairs:
            total += self.log_odds.get(v, {}).get(m, 0.0)
        return total


def open_population_prior(
    problem: DVIProblem,
    p: float,
    per_pm: Mapping[str, float] | None = None,
    pairing_lr: Mapping[tuple[str, str], float] | None = None,
) -> AssignmentPrior:
    """The open-population prior (see the module docstring).

    Parameters
    ----------
    problem : the case (its pairings say which MPs each PM may be).
    p : probability that a PM is one of the case's MPs, ``0 < p <= 1``.
    per_pm : a PM's own probability, overriding ``p`` (from non-DNA evidence).
    pairing_lr : a non-DNA LR per ``(pm, mp)``, multiplying that pairing's odds.

    Examples
    --------
    >>> from repatria.kinship import Individual, Marker, Pedigree, Sex
    >>> ped = Pedigree([Individual("M1", sex=Sex.MALE)])
    >>> prob = DVIProblem(
    ...     pm=("V1",), missing=("M1",), families={"F1": ped}, missing_family={"M1": "F1"},
    ...     pm_profiles={"V1": {}}, am_profiles={}, markers=(Marker("L", ("a",), [1.0]),),
    ...     pm_sex={"V1": Sex.MALE})
    >>> prior = open_population_prior(prob, 0.2)
    >>> round(math.exp(prior.log_odds["V1"]["M1"]), 12)  # 0.2 / (1 * 0.8)
    0.25
    """
    if not 0 < p <= 1 or math.isnan(p):
        raise KinshipError(f"the match prior must be in (0, 1], got {p}")
    per_pm = per_pm or {}
    pairing_lr = pairing_lr or {}
    log_odds: dict[str, dict[str, float]] = {}
    for v in problem.pm:
        pv = per_pm.get(v, p)
        if not 0 < pv <= 1 or math.isnan(pv):
            raise KinshipError(f"the match prior of {v} must be in (0, 1], got {pv}")
        pv = min(pv, 1 - P_ONE_EPS)
        mps = [m for m in problem.pairings[v] if m != NOBODY]
        if not mps:
            continue
        base = math.log(pv) - math.log(len(mps)) - math.log1p(-pv)
        row = {}
        for m in mps:
            lr = pairing_lr.get((v, m), 1.0)
            if lr < 0 or math.isnan(lr):
                raise KinshipError(f"the non-DNA LR of {v} = {m} must be >= 0, got {lr}")
            row[m] = base + (math.log(lr) if lr > 0 else -math.inf)
        log_odds[v] = row
    name = f"open population: each PM one of its allowed MPs with probability {p:g}, else nobody"
    params: dict[str, Any] = {"p": p}
    if per_pm:
        params["per_pm"] = dict(per_pm)
    if pairing_lr:
        params["pairing_lr"] = {f"{v}={m}": x for (v, m), x in pairing_lr.items()}
    return AssignmentPrior(name, log_odds, params)


def non_dna_pm_prior(
    mps: Sequence[str], p: float, non_dna_lr: Mapping[str, float] | None = None
) -> dict[str, float]:
    """One PM's prior over its allowed MPs and nobody (``NOBODY``), weighted by non-DNA LRs.

    The open-population prior of one PM (probability ``p`` that it is one of its ``k`` allowed
    MPs, evenly) updated by each pairing's non-DNA LR (sex, age, place, papers: 1 where
    absent): ``P(v = m) = (p / k) LR_m / Z`` and ``P(v = *) = (1 - p) / Z``, with ``Z`` the sum,
    so the prior sums to 1. "Nobody" keeps weight 1 because an LR's denominator is "someone
    else of the population". Its odds ``P(v = m) / P(v = *)`` are those of
    :func:`open_population_prior` with the same ``pairing_lr``; this is the same prior read as
    probabilities, per PM, for a report or a sensitivity table.

    >>> pr = non_dna_pm_prior(["M1", "M2"], 0.5, {"M1": 4.0})
    >>> {k: round(v, 12) for k, v in pr.items()}  # weights 0.25 * 4, 0.25, 0.5; sum 1.75
    {'M1': 0.571428571429, 'M2': 0.142857142857, '*': 0.285714285714}
    """
    if not 0 < p <= 1 or math.isnan(p):
        raise KinshipError(f"the match prior must be in (0, 1], got {p}")
    if len(set(mps)) != len(mps) or NOBODY in mps:
        raise KinshipError("the allowed MPs must be distinct and must not include nobody")
    lrs = non_dna_lr or {}
    unknown = sorted(set(lrs) - set(mps))
    if unknown:
        raise KinshipError(f"non-DNA LR given for {unknown[0]}, not an allowed MP of this PM")
    pv = min(p, 1 - P_ONE_EPS)
    weights: dict[str, float] = {}
    for m in mps:
        lr = lrs.get(m, 1.0)
        if lr < 0 or math.isnan(lr) or math.isinf(lr):
            raise KinshipError(f"the non-DNA LR of {m} must be finite and >= 0, got {lr}")
        weights[m] = pv / len(mps) * lr
    weights[NOBODY] = 1 - pv
    z = math.fsum(weights.values())
    return {k: w / z for k, w in weights.items()}
