"""The prior sensitivity table of ``repatria identify --prior-sensitivity`` (issue 13).

How much a candidate's posterior owes to the prior. The open-population prior needs ``p``, the
probability that a body is one of the listed missing at all, and ``p`` is rarely known well (the
accounting gives an upper end). With ``prior_sensitivity`` identify reruns the joint analysis
under the open-population prior at each ``p`` of
:data:`repatria.kinship.prior_sensitivity.DEFAULT_P` and under dvir's flat prior
(:func:`repatria.kinship.prior_sensitivity.sensitivity_runs`), outside the writing transaction
like the analysis itself; the run's own joint result is reused for its own prior (flat, or
``--match-prior P`` when P is one of the table's).

What is stored:

- each candidate's evidence ``prior_sensitivity``: its posterior under each prior, keys
  ``"0.1"`` ... ``"1"`` and ``"flat"``;
- the run's ``results["joint"]["sensitivity"]``: the same for every candidate and every pairing
  the analysis identifies (the best assignment's, and posteriors above 0.5), as
  ``dvi analyse --prior-sensitivity`` writes it;
- the run's ``parameters["prior_sensitivity"]``: the values of ``p``, and whether the non-DNA
  LRs were in the prior's odds.

With the non-DNA prior (:mod:`repatria.services.workflows.non_dna_prior`) the non-DNA LRs stay
in the odds at every ``p``, so a column differs from another only by ``p``; the flat column is
dvir's flat prior on the DNA alone (for agreement with dvir), which the parameters say.

A posterior that stays high from ``p = 0.1`` to ``1`` rests on the DNA; one that falls with ``p``
rests on the prior. The flat prior is not ``p = 1`` (see :mod:`repatria.kinship.prior_sensitivity`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from repatria.kinship.dvi import DVIProblem
from repatria.kinship.joint import JointResult
from repatria.kinship.prior_sensitivity import (
    DEFAULT_P,
    FLAT,
    PriorSensitivity,
    identified_pairings,
    posterior_by_p,
    sensitivity_runs,
)
from repatria.services.progress import Progress, step

__all__ = ["EVIDENCE_KEY", "SensitivityRuns", "run_sensitivity", "no_sensitivity"]

#: The key of the table in a candidate's evidence.
EVIDENCE_KEY = "prior_sensitivity"

FLAT_MEANING = "dvir's flat prior over all assignments, on the DNA alone"


@dataclass(frozen=True, eq=False)
class SensitivityRuns:
    """The joint results of the table (``None`` when the run was not asked for it)."""

    problem: DVIProblem | None = None
    runs: Mapping[str, JointResult] | None = None
    non_dna_in_prior: bool = False

    def evidence(self, pm: str, mp: str) -> dict[str, Any]:
        """What a candidate's evidence adds: ``{"prior_sensitivity": {...}}``, or ``{}``."""
        if self.problem is None or self.runs is None:
            return {}
        return {EVIDENCE_KEY: posterior_by_p(self.problem, self.runs, pm, mp)}

    def parameters(self) -> dict[str, Any]:
        """The run's ``parameters["prior_sensitivity"]`` (``{}`` when not asked for)."""
        if self.runs is None:
            return {}
        return {
            EVIDENCE_KEY: {
                "p": [float(k) for k in self.runs if k != FLAT],
                "flat": FLAT_MEANING,
                "non_dna_in_prior": self.non_dna_in_prior,
                "prior": (
                    "open population at each p, the non-DNA LRs multiplying each pairing's "
                    "prior odds"
                    if self.non_dna_in_prior
                    else "open population at each p"
                ),
            }
        }

    def with_table(self, analysis: Any, pairs: Iterable[tuple[str, str]]) -> Any:
        """``analysis`` (a :class:`~repatria.services.pipelines.dvi_analysis.DVIAnalysis`)
        with the table of ``pairs`` and of the identified pairings, for the run's results."""
        if self.problem is None or self.runs is None:
            return analysis
        pm_at = {v: i for i, v in enumerate(self.problem.pm)}
        mp_at = {m: k for k, m in enumerate(self.problem.missing)}
        found = set(pairs) | set(identified_pairings(self.problem, analysis.joint))
        ordered = sorted(found, key=lambda x: (pm_at[x[0]], mp_at[x[1]]))
        table = [
            PriorSensitivity(v, m, posterior_by_p(self.problem, self.runs, v, m))
            for v, m in ordered
        ]
        return replace(analysis, sensitivity=table)


def no_sensitivity() -> SensitivityRuns:
    return SensitivityRuns()


def run_sensitivity(
    wanted: bool,
    problem: DVIProblem,
    analysis: Any,
    match_prior: float | None,
    pairing_lr: Mapping[tuple[str, str], float] | None = None,
    progress: Progress | None = None,
) -> SensitivityRuns:
    """The table's joint runs when ``wanted`` (step ``sensitivity``), reusing the analysis's own.

    ``match_prior``: the ``p`` the analysis used (``None``: flat); ``pairing_lr``: the non-DNA
    LRs the analysis put in the prior's odds (``None``: the non-DNA prior is off; ``{}``: on,
    with no factor other than 1).
    """
    if not wanted:
        return no_sensitivity()
    # the non-DNA prior is built on the open-population prior, so a flat run is DNA alone
    known = {FLAT if match_prior is None else f"{match_prior:g}": analysis.joint}
    with step(progress, "sensitivity"):
        runs = sensitivity_runs(
            problem, analysis.pairwise, DEFAULT_P, True, known, pairing_lr=pairing_lr or None
        )
    return SensitivityRuns(problem, runs, pairing_lr is not None)
