"""Non-DNA evidence as stated factors: sex, age, place, date, unit, documents, effects.

Every factor is a likelihood ratio

    LR = P(observation | the PM is the MP) / P(observation | the PM is someone else of the
    population of the missing)

with its model, parameters and observation recorded in an :class:`EvidenceFactor`, so that a
review page, a report or the JSON can show where the number came from. A factor can be switched
off (its value is then exactly 1); factors are combined by product (:func:`combine_evidence`),
which **assumes the observations are independent** given identity and given non-identity (stated
in every :class:`CombinedEvidence`). :func:`pairing_lrs` turns a table of combined factors into
the ``pairing_lr`` argument of :func:`repatria.kinship.priors.open_population_prior`, where each
pairing's prior odds are multiplied by its non-DNA LR.

The models (each with its formula; ``[x]`` is 1 when ``x`` holds, else 0):

- **sex** (:func:`sex_lr`): the observed sex ``o`` of the remains against the MP's recorded sex
  ``s``; ``LR = P(o | s) / sum_t pi_t P(o | t)`` with the method's error rates
  (:class:`SexingMethod`) and ``pi`` the sex ratio of the missing.
- **discrete property** (:func:`property_lr`): dvir's ``LRDiscrete`` (a property seen or not,
  symmetric error ``mu``, population share ``alpha``), per pairing.
- **age at death** (:func:`age_lr`): an anthropological estimate, uniform on a range with coverage
  ``1 - e`` or normal (mean, sd), against the MP's age at death from his dates;
  ``LR = f(t_MP) / integral f(t) g(t) dt`` with ``g`` the age distribution of the missing
  (:class:`AgeDistribution`).
- **place** (:func:`place_lr`): a distance-decay kernel in km around the last-seen place
  against a uniform background over the area of operations;
  ``LR = ((1 - w) k(r) + w / A) / (1 / A)``.
- **date** (:func:`date_lr`): recovery before last seen is impossible (LR 0) unless within a
  stated allowance or a stated record-error probability;
  ``LR = ((1 - e) [consistent] + e) / ((1 - e) F + e)`` with ``F`` the share of the missing last
  seen by the recovery date.
- **documents, unit and personal effects** (:func:`document_lr`, :func:`unit_lr`,
  :func:`effects_lr`): an item found with the body is the body's own with probability ``r``
  (reliability) and a foreign one (false papers, another army's papers, a swapped or looted
  item) otherwise; ``LR = (r [x = y] + (1 - r) q) / (r s + (1 - r) q)``.
- **direct reference** (:func:`direct_match_lr`): a sample of the MP himself (a toothbrush, a
  razor) against the PM, each with its own dropout model: a kinship LR in which the reference is
  the MP's own profile.

Defaults are stated with their source where one exists, or marked as assumptions; change them
per case. Nothing here reads a file, a database or a clock: dates are given.

The models live one kind to a module, and every name is importable from here:
:mod:`.evidence_factors` (the factor record and combining), :mod:`.evidence_sex_age`,
:mod:`.evidence_place_date`, :mod:`.evidence_documents` (documents, unit and effects) and
:mod:`.evidence_direct` (direct reference).
"""

from __future__ import annotations

from repatria.kinship.evidence_direct import direct_match_lr
from repatria.kinship.evidence_documents import document_lr, effects_lr, unit_lr
from repatria.kinship.evidence_factors import (
    INDEPENDENCE,
    CombinedEvidence,
    EvidenceFactor,
    combine_evidence,
    pairing_lrs,
)
from repatria.kinship.evidence_place_date import EARTH_RADIUS_KM, date_lr, haversine_km, place_lr
from repatria.kinship.evidence_sex_age import DAYS_PER_YEAR as DAYS_PER_YEAR
from repatria.kinship.evidence_sex_age import (
    SEXING_METHODS,
    AgeDistribution,
    SexingMethod,
    age_at,
    age_lr,
    property_lr,
    sex_lr,
)

__all__ = [
    "EvidenceFactor",
    "CombinedEvidence",
    "combine_evidence",
    "pairing_lrs",
    "SexingMethod",
    "SEXING_METHODS",
    "sex_lr",
    "property_lr",
    "AgeDistribution",
    "age_at",
    "age_lr",
    "EARTH_RADIUS_KM",
    "haversine_km",
    "place_lr",
    "date_lr",
    "document_lr",
    "unit_lr",
    "effects_lr",
    "direct_match_lr",
    "INDEPENDENCE",
]
