"""How much an identification's posterior owes to the prior: its posterior against ``p``.

The open-population prior (:func:`repatria.kinship.priors.open_population_prior`) needs ``p``,
the probability that a PM is one of the case's missing persons at all, and ``p`` is rarely known
well. :func:`prior_sensitivity` reruns the joint analysis under each ``p`` of a list (and under
dvir's flat prior) and reports each identified pairing's posterior under each: a posterior that
stays high from ``p = 0.1`` to ``1`` rests on the DNA; one that falls with ``p`` rests on the
prior.

Two facts fix what to expect (both tested):

- the flat prior is *not* ``p = 1``. Under the open prior an assignment's weight is its LR times
  the product over its placed PMs ``v`` of ``p / (k_v (1 - p))`` (``k_v`` the MPs ``v`` may be);
  the flat prior gives every assignment weight LR. The two agree exactly when every placement's
  odds are 1, i.e. when every PM may be the same number ``k`` of MPs and ``p = k / (k + 1)``
  (:func:`flat_equivalent_p`). ``p = 1`` instead puts (almost) all the mass on assignments that
  place as many PMs as possible.
- for each ``p`` the posteriors of a PM's row (its MPs and nobody) sum to 1.

The pairings reported are those the analysis identifies (:func:`identified_pairings`): the
pairings of the best assignment, and every pairing with a posterior above 0.5 (under the prior
the analysis used).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from repatria.kinship.dvi import NOBODY, DVIProblem, PairwiseResult
from repatria.kinship.joint import JointResult, joint_dvi
from repatria.kinship.priors import open_population_prior

__all__ = [
    "DEFAULT_P",
    "FLAT",
    "PriorSensitivity",
    "flat_equivalent_p",
    "identified_pairings",
    "posterior_by_p",
    "prior_sensitivity",
    "sensitivity_runs",
]

#: The values of ``p`` reported by default.
DEFAULT_P = (0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
#: The key of the flat prior's posterior in :attr:`PriorSensitivity.posterior_by_p`.
FLAT = "flat"


@dataclass(frozen=True)
class PriorSensitivity:
    """One pairing's posterior under each prior: ``posterior_by_p["0.5"]``, ``["flat"]``."""

    pm: str
    mp: str
    posterior_by_p: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"pm": self.pm, "mp": self.mp, "posterior_by_p": dict(self.posterior_by_p)}


def flat_equivalent_p(problem: DVIProblem) -> float | None:
    """The ``p`` whose open-population prior is the flat prior, when there is one: every PM with
    the same number ``k >= 1`` of allowed MPs gives ``k / (k + 1)``; otherwise ``None``.

    >>> from repatria.kinship import Individual, Marker, Pedigree, Sex
    >>> ped = Pedigree([Individual("M1", sex=Sex.MALE), Individual("M2", sex=Sex.MALE)])
    >>> prob = DVIProblem(
    ...     pm=("V1",), missing=("M1", "M2"), families={"F1": ped},
    ...     missing_family={"M1": "F1", "M2": "F1"}, pm_profiles={"V1": {}}, am_profiles={},
    ...     markers=(Marker("L", ("a",), [1.0]),), pm_sex={"V1": Sex.MALE})
    >>> flat_equivalent_p(prob)  # two MPs allowed: p / (2 (1 - p)) = 1 at p = 2/3
    0.6666666666666666
    """
    ks = {len([m for m in problem.pairings[v] if m != NOBODY]) for v in problem.pm}
    if len(ks) != 1:
        return None
    (k,) = ks
    return None if k == 0 else k / (k + 1)


def identified_pairings(problem: DVIProblem, joint: JointResult) -> list[tuple[str, str]]:
    """The best assignment's pairings and every pairing with posterior above 0.5, PM order."""
    found: set[tuple[str, str]] = set()
    if joint.top:
        found |= {(v, m) for v, m in joint.top[0].assignment.items() if m != NOBODY}
    for i, v in enumerate(problem.pm):
        for k, m in enumerate(problem.missing):
            if joint.marginals[i, k] > 0.5:
                found.add((v, m))
    pm_at = {v: i for i, v in enumerate(problem.pm)}
    mp_at = {m: k for k, m in enumerate(problem.missing)}
    return sorted(found, key=lambda x: (pm_at[x[0]], mp_at[x[1]]))


def sensitivity_runs(
    problem: DVIProblem,
    pairwise: PairwiseResult,
    ps: Sequence[float] = DEFAULT_P,
    flat: bool = True,
    known: Mapping[str, JointResult] | None = None,
    pairing_lr: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, JointResult]:
    """The joint result under the open-population prior at each ``p`` (keys ``f"{p:g}"``) and,
    with ``flat``, under the flat prior (key :data:`FLAT`).

    ``known``: joint results already computed, by the same keys, reused instead of rerun.
    ``pairing_lr``: non-DNA LRs multiplying each pairing's prior odds at every ``p``
    (:func:`repatria.kinship.priors.open_population_prior`); the flat prior stays dvir's.
    """
    known = dict(known or {})
    runs: dict[str, JointResult] = {}
    for p in ps:
        key = f"{p:g}"
        runs[key] = known.get(key) or joint_dvi(
            problem,
            pairwise,
            top=1,
            prior=open_population_prior(problem, p, pairing_lr=pairing_lr),
        )
    if flat:
        runs[FLAT] = known.get(FLAT) or joint_dvi(problem, pairwise, top=1)
    return runs


def posterior_by_p(
    problem: DVIProblem, runs: Mapping[str, JointResult], pm: str, mp: str
) -> dict[str, float]:
    """The pairing ``pm = mp``'s posterior in each run of :func:`sensitivity_runs`."""
    i, k = problem.pm.index(pm), problem.missing.index(mp)
    return {key: float(j.marginals[i, k]) for key, j in runs.items()}


def prior_sensitivity(
    problem: DVIProblem,
    pairwise: PairwiseResult,
    pairs: Iterable[tuple[str, str]],
    ps: Sequence[float] = DEFAULT_P,
    flat: bool = True,
    known: dict[str, JointResult] | None = None,
) -> list[PriorSensitivity]:
    """Each pairing's posterior under the open-population prior at each ``p`` (keys ``f"{p:g}"``)
    and, with ``flat``, under the flat prior (key :data:`FLAT`).

    ``known``: joint results already computed, by the same keys, reused instead of rerun.
    """
    pairs = list(pairs)
    if not pairs:
        return []
    runs = sensitivity_runs(problem, pairwise, ps, flat, known)
    return [PriorSensitivity(v, m, posterior_by_p(problem, runs, v, m)) for v, m in pairs]
