"""Which relative to sample next: simulated LR power and exclusion power of a reference family.

For a reference family (a pedigree with one missing person, MP, and the profiles of its typed
relatives) and a relative who could still give a sample, two questions:

1. **LR power.** If the relative were typed and the true MP were found, how large would the
   missing-person LR be? The genotypes of the relative and of the MP are drawn *conditionally on
   the typed references* (as forrel's ``profileSim``/``MPPsims`` do), marker by marker, from the
   joint table ``P(refs, R = r, MP = g)`` of the core's exact variable elimination (one
   contraction; when that table would be too large, by sequential conditioning: the relatives
   first, then the MP from one batched table per drawn genotype of theirs). The same table is the
   numerator of the LR, so each simulation's LR is a lookup:

   ``LR_m = P(refs, R = r, MP = g) / (P(refs, R = r) * P_unrelated(g))`` per marker ``m``,

   H1 "the sample is the MP", H2 "the sample is an unrelated person of the MP's sex", with the
   markers' mutation models as stored and no theta correction (this is
   :func:`repatria.kinship.lr.missing_person_lr` for every simulated profile). The total LR is the
   product over markers. Reported: ``P(LR >= threshold)``, the mean log10 LR, quantiles.

2. **Exclusion power** (forrel's ``exclusionPower`` with ``truePed`` the family beside an
   unrelated person of interest, ``claimPed`` the family with that person as the MP, Egeland,
   Pinto and Vigeland 2014): the probability that an *unrelated* person, placed as the MP, is
   inconsistent with the references and the new relative without mutation, where the relative's
   genotype is random given the references. Per marker it is computed exactly by enumerating the
   relatives' genotypes (up to ``exact_limit`` joint genotypes per marker; beyond, it is estimated
   from ``nsims`` draws and says so); the total is ``1 - prod(1 - EP_m)``. As forrel's
   default ``disableMutations = NA``, mutations are disabled at a marker when the references are
   consistent without them; where they are not, the mutation model is kept (and then an exclusion
   is rarely possible). A marker where the references are impossible even with mutation has
   ``nan`` (forrel's ``NA``) and is left out of the total.

Lineage markers: a relative on the MP's paternal line (a man, for a male MP) or maternal line would
also give a Y-STR or mtDNA comparison; :attr:`SamplingCandidate.lines` says which, but the figures
here are of the autosomal (and X) markers only.

Everything is driven by a seed: each candidate draws from ``numpy.random.default_rng(seed)``, so
adding or removing a candidate does not change the others' numbers.

The study is split by step (each module a short read):

- :mod:`.candidates`: which relatives could still give a sample (:func:`sampling_candidates`);
- :mod:`.draws`: genotype tables and simulated LRs (:func:`simulate_mp_log_lr`);
- :mod:`.exclusion`: exclusion power (:func:`exclusion_power`);
- :mod:`.study`: the power of each candidate and the result records (:func:`sampling_power`).
"""

from __future__ import annotations

from repatria.kinship.power.candidates import SamplingCandidate, relationship, sampling_candidates
from repatria.kinship.power.draws import BATCH_LIMIT as BATCH_LIMIT
from repatria.kinship.power.draws import SEARCH_ABOVE as SEARCH_ABOVE
from repatria.kinship.power.draws import simulate_mp_log_lr
from repatria.kinship.power.exclusion import (
    EXACT_LIMIT as EXACT_LIMIT,
)
from repatria.kinship.power.exclusion import (
    ExclusionPower,
    exclusion_power,
    missing_person_exclusion_power,
)
from repatria.kinship.power.study import (
    METHOD as METHOD,
)
from repatria.kinship.power.study import (
    QUANTILES,
    CandidatePower,
    SamplingPower,
    candidate_power,
    sampling_power,
)

__all__ = [
    "QUANTILES",
    "SamplingCandidate",
    "sampling_candidates",
    "relationship",
    "ExclusionPower",
    "exclusion_power",
    "missing_person_exclusion_power",
    "simulate_mp_log_lr",
    "CandidatePower",
    "SamplingPower",
    "candidate_power",
    "sampling_power",
]

# The two limits that choose between one joint table and sequential conditioning live here, in
# the package, and :mod:`.draws` and :mod:`.exclusion` read them at call time: setting
# ``repatria.kinship.power.JOINT_LIMIT`` (as the tests do) changes the path taken.

#: Largest joint table of ordered allele variables built in one contraction (entries).
JOINT_LIMIT = 200_000

#: Largest joint table of the new relatives alone (entries), drawn or enumerated in one piece.
RELATIVES_LIMIT = 4_000_000
