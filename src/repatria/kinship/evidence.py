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
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from repatria import __version__
from repatria.kinship.dropout import DropoutModel, observation_matrix
from repatria.kinship.errors import KinshipError
from repatria.kinship.lr import LRResult
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex, singleton
from repatria.kinship.probability import LikelihoodResult, likelihood

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

#: The assumption under which factors are multiplied (recorded in every combination).
INDEPENDENCE = (
    "the observations are independent given that the PM is the MP and given that he is someone "
    "else of the population (the product of the factors is then the joint LR)"
)

#: Mean Earth radius in km (IUGG mean radius R1), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088

#: Days per year, for ages from dates (the mean Gregorian year).
DAYS_PER_YEAR = 365.2425


def _check_prob(name: str, x: float, lo_open: bool = False, hi_open: bool = False) -> None:
    bad = math.isnan(x) or x < 0 or x > 1 or (lo_open and x == 0) or (hi_open and x == 1)
    if bad:
        lo, hi = "(" if lo_open else "[", ")" if hi_open else "]"
        raise KinshipError(f"{name} must be in {lo}0, 1{hi}, got {x}")


@dataclass(frozen=True)
class EvidenceFactor:
    """One non-DNA likelihood ratio and how it was made.

    Attributes
    ----------
    kind : what it weighs: ``"sex"``, ``"property"``, ``"age"``, ``"place"``, ``"date"``,
        ``"document"``, ``"unit"``, ``"effects"`` or ``"direct"``.
    lr : the LR ``P(obs | PM is MP) / P(obs | PM is someone else)``, ``>= 0`` (``inf`` only for
        a direct match beyond the float range).
    model : the formula, in one line.
    parameters : the model's parameters (with the source or "assumption" where a default was
        used, under ``"sources"``).
    observation : what was observed and what the record says.
    enabled : ``False``: the factor is switched off and counts as 1.
    version : the Repatria version that computed it.

    Examples
    --------
    >>> f = unit_lr(True, reliability=0.9, share=0.1)
    >>> round(f.lr, 12), f.value, f.switched(False).value
    (9.1, 9.1, 1.0)
    """

    kind: str
    lr: float
    model: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    observation: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    version: str = __version__

    def __post_init__(self) -> None:
        if math.isnan(self.lr) or self.lr < 0:
            raise KinshipError(f"{self.kind} evidence: an LR must be >= 0, got {self.lr}")

    @property
    def value(self) -> float:
        """The LR if enabled, else exactly 1."""
        return self.lr if self.enabled else 1.0

    @property
    def log10_lr(self) -> float:
        """log10 of :attr:`value` (``-inf`` for an impossible observation)."""
        v = self.value
        return math.log10(v) if v > 0 else -math.inf

    def switched(self, enabled: bool) -> EvidenceFactor:
        """The same factor, switched on or off."""
        return replace(self, enabled=enabled)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the registry, the match page and the report)."""
        return {
            "kind": self.kind,
            "lr": self.lr,
            "enabled": self.enabled,
            "value": self.value,
            "model": self.model,
            "parameters": dict(self.parameters),
            "observation": {k: _jsonable(v) for k, v in self.observation.items()},
            "version": self.version,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Sex):
        return v.name.lower()
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


@dataclass(frozen=True)
class CombinedEvidence:
    """Several factors for one pairing, combined by product.

    Attributes
    ----------
    factors : the factors, in order (switched-off ones included, counting 1).
    assumption : why a product is the joint LR (:data:`INDEPENDENCE`).
    """

    factors: tuple[EvidenceFactor, ...]
    assumption: str = INDEPENDENCE

    @property
    def lr(self) -> float:
        """The product of the enabled factors (1 when none is enabled); 0 if any is 0."""
        vals = [f.value for f in self.factors]
        if any(v == 0 for v in vals):
            return 0.0
        return math.exp(sum(math.log(v) for v in vals)) if vals else 1.0

    @property
    def log10_lr(self) -> float:
        """log10 of :attr:`lr`."""
        x = self.lr
        return math.log10(x) if x > 0 else -math.inf

    def switched(self, kind: str, enabled: bool) -> CombinedEvidence:
        """The same combination with every factor of ``kind`` switched on or off."""
        return replace(
            self,
            factors=tuple(f.switched(enabled) if f.kind == kind else f for f in self.factors),
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the product, the assumption and each factor."""
        return {
            "lr": self.lr,
            "assumption": self.assumption,
            "factors": [f.as_dict() for f in self.factors],
        }


def combine_evidence(factors: Iterable[EvidenceFactor]) -> CombinedEvidence:
    """Combine factors by product, assuming independence (:data:`INDEPENDENCE`).

    >>> c = combine_evidence([unit_lr(True, 0.9, 0.1), effects_lr(False)])
    >>> round(c.lr, 12)  # 9.1 * (1 - 0.2)
    7.28
    """
    return CombinedEvidence(tuple(factors))


def pairing_lrs(
    evidence: Mapping[tuple[str, str], CombinedEvidence | Sequence[EvidenceFactor]],
) -> dict[tuple[str, str], float]:
    """The ``pairing_lr`` of :func:`~repatria.kinship.priors.open_population_prior`.

    Parameters
    ----------
    evidence : per ``(pm, mp)``, its combined evidence or its factors.

    Returns
    -------
    dict
        ``(pm, mp) -> LR``, the product of the enabled factors of each pairing.
    """
    out = {}
    for key, ev in evidence.items():
        comb = ev if isinstance(ev, CombinedEvidence) else combine_evidence(ev)
        out[key] = comb.lr
    return out


# --------------------------------------------------------------------------------------------
# sex


@dataclass(frozen=True)
class SexingMethod:
    """How the sex of remains was read, and its error rates.

    Attributes
    ----------
    name : the method and condition.
    male_read_female : ``P(read female | male)`` (amelogenin: AMELY deletion).
    female_read_male : ``P(read male | female)`` (amelogenin: contamination or drop-in of Y).
    source : where the rates come from, or "assumption".
    """

    name: str
    male_read_female: float
    female_read_male: float
    source: str

    def __post_init__(self) -> None:
        _check_prob("male_read_female", self.male_read_female, hi_open=True)
        _check_prob("female_read_male", self.female_read_male, hi_open=True)

    def p_read(self, read: Sex, true: Sex) -> float:
        """``P(read | true)`` for ``read``, ``true`` male or female."""
        if true == Sex.MALE:
            return self.male_read_female if read == Sex.FEMALE else 1 - self.male_read_female
        return self.female_read_male if read == Sex.MALE else 1 - self.female_read_male


#: Default sexing methods. Amelogenin: AMELY-deletion rates published per population are 0.019%
#: (Chinese, Xie et al. 2014, Leg Med 16:290), 0.027% (Chinese Han, Clin Lab 2024), 0.081%
#: (Mexico, Leg Med 2011;13:262), 1.85% (India, Thangaraj et al. 2002) and 3.6% (Indians of
#: Malaysia, Chang et al. 2003, JFS 48:1309): 0.1% is the order of magnitude outside South Asia;
#: set it per population. A female read male (Y contamination) at 0.1% is an assumption.
#: Anthropology: 96.5% accuracy from all pelvic indicators (Ubelaker & Volk 2002, JFS 47:19; also
#: the Phenice method on the Lisbon collection); skulls 80–90% (reviewed in Krishan et al. 2016,
#: FSI 261:165), 85% taken; burned or fragmentary remains 70% is an assumption. Anthropological
#: errors are taken as symmetric.
SEXING_METHODS: dict[str, SexingMethod] = {
    "amelogenin": SexingMethod(
        "amelogenin",
        1e-3,
        1e-3,
        "AMELY deletion ~0.02–0.08% outside South Asia (see above); "
        "0.1% taken; female read male: assumption",
    ),
    "pelvis": SexingMethod(
        "anthropology, pelvis", 0.035, 0.035, "Ubelaker & Volk 2002 (all pelvic indicators 96.5%)"
    ),
    "skull": SexingMethod(
        "anthropology, skull", 0.15, 0.15, "skull 80–90% (Krishan et al. 2016 review); 85% taken"
    ),
    "poor_condition": SexingMethod("anthropology, burned or fragmentary", 0.3, 0.3, "assumption"),
}


def sex_lr(
    observed: Sex,
    recorded: Sex,
    method: str | SexingMethod = "amelogenin",
    p_male: float = 0.5,
    p_male_source: str = "assumption: even sex ratio among the missing",
) -> EvidenceFactor:
    """The sex read from the remains against the MP's recorded sex.

    ``LR = P(o | s) / (pi_M P(o | M) + pi_F P(o | F))``, ``o`` the sex read, ``s`` the MP's
    recorded sex, ``pi_M = p_male`` the share of men among the missing (in a war nearly 1: give
    it). An unknown sex on either side is no evidence (LR 1).

    Parameters
    ----------
    observed, recorded : the sex read from the remains and the MP's recorded sex.
    method : a key of :data:`SEXING_METHODS` or a :class:`SexingMethod`.
    p_male : share of men among the missing, in ``[0, 1]``.
    p_male_source : where ``p_male`` comes from.

    Examples
    --------
    Amelogenin reads female for a man recorded male, among missing 90% men:

    >>> f = sex_lr(Sex.FEMALE, Sex.MALE, p_male=0.9)
    >>> round(f.lr, 6)  # 0.001 / (0.9 * 0.001 + 0.1 * 0.999)
    0.009921
    """
    m = SEXING_METHODS[method] if isinstance(method, str) else method
    _check_prob("p_male", p_male)
    params = {
        "method": m.name,
        "male_read_female": m.male_read_female,
        "female_read_male": m.female_read_male,
        "p_male": p_male,
        "sources": {"error rates": m.source, "p_male": p_male_source},
    }
    obs = {"observed": observed, "recorded": recorded}
    model = "P(read | recorded sex) / sum over sex t of pi_t P(read | t)"
    if observed == Sex.UNKNOWN or recorded == Sex.UNKNOWN:
        return EvidenceFactor("sex", 1.0, model + " (a sex unknown: LR 1)", params, obs)
    num = m.p_read(observed, recorded)
    den = p_male * m.p_read(observed, Sex.MALE) + (1 - p_male) * m.p_read(observed, Sex.FEMALE)
    if den == 0:
        raise KinshipError(
            f"sex read {observed.name.lower()} is impossible among the missing (p_male {p_male}, "
            f"{m.name} error rates 0): give a nonzero error rate or another p_male"
        )
    return EvidenceFactor("sex", num / den, model, params, obs)


def property_lr(
    observed: bool, recorded: bool, alpha: float, mu: float, denominator: str = "dvir"
) -> EvidenceFactor:
    """dvir's ``LRDiscrete`` for one pairing: a property seen on the remains or not.

    ``alpha = P(Y = 1)``, the share of the missing with the property; ``mu`` the symmetric error
    ``P(X = 1 | Y = 0) = P(X = 0 | Y = 1)``. With ``denominator="dvir"`` (as dvir's
    ``R/LRdiscrete.R``) the PM's chance to show the property is ``alpha`` itself:
    ``LR11 = (1 - mu) / alpha``, ``LR10 = mu / alpha``, ``LR01 = mu / (1 - alpha)``,
    ``LR00 = (1 - mu) / (1 - alpha)`` (``LRxy``: seen ``x``, recorded ``y``). With
    ``denominator="exact"`` it is ``alpha (1 - mu) + (1 - alpha) mu``. An assignment's LR is the
    product over its pairings, as in dvir.

    >>> round(property_lr(True, True, alpha=0.05, mu=0.01).lr, 12)
    19.8
    """
    _check_prob("alpha", alpha, lo_open=True, hi_open=True)
    _check_prob("mu", mu)
    if observed == recorded:
        num = 1 - mu
    else:
        num = mu
    if denominator == "dvir":
        den = alpha if observed else 1 - alpha
    elif denominator == "exact":
        p1 = alpha * (1 - mu) + (1 - alpha) * mu
        den = p1 if observed else 1 - p1
    else:
        raise KinshipError(f"denominator must be 'dvir' or 'exact', got {denominator!r}")
    return EvidenceFactor(
        "property",
        num / den,
        "P(X = x | Y = y) / P(X = x), symmetric error mu (dvir LRDiscrete)",
        {"alpha": alpha, "mu": mu, "denominator": denominator},
        {"observed": observed, "recorded": recorded},
    )


# --------------------------------------------------------------------------------------------
# age


@dataclass(frozen=True)
class AgeDistribution:
    """A piecewise-uniform age distribution of the missing (years).

    Attributes
    ----------
    edges : bin edges, increasing, shape ``(k + 1,)``.
    weights : the share of the missing in each bin, shape ``(k,)`` (normalised here).
    source : where it comes from (the accounting, a roll), or "assumption".

    >>> AgeDistribution.uniform(18, 60).density(30.0) == 1 / 42
    True
    """

    edges: tuple[float, ...]
    weights: tuple[float, ...]
    source: str = "assumption"

    def __post_init__(self) -> None:
        e, w = self.edges, self.weights
        if len(e) != len(w) + 1 or not w:
            raise KinshipError("an age distribution needs k + 1 edges for k weights (k >= 1)")
        if any(b <= a for a, b in zip(e, e[1:], strict=False)):
            raise KinshipError("age bin edges must increase")
        if any(x < 0 or math.isnan(x) for x in w) or sum(w) <= 0:
            raise KinshipError("age bin weights must be >= 0 and not all 0")
        total = sum(w)
        object.__setattr__(self, "weights", tuple(x / total for x in w))

    @classmethod
    def uniform(cls, lo: float, hi: float, source: str = "assumption") -> AgeDistribution:
        """Uniform on ``[lo, hi]``."""
        return cls((float(lo), float(hi)), (1.0,), source)

    def density(self, t: float) -> float:
        """The density at age ``t`` (0 outside the edges)."""
        for a, b, w in zip(self.edges, self.edges[1:], self.weights, strict=False):
            if a <= t < b or (t == b == self.edges[-1]):
                return w / (b - a)
        return 0.0

    def mass(self, lo: float, hi: float) -> float:
        """The share of the missing aged in ``[lo, hi]``."""
        out = 0.0
        for a, b, w in zip(self.edges, self.edges[1:], self.weights, strict=False):
            out += w * max(0.0, min(b, hi) - max(a, lo)) / (b - a)
        return out

    def normal_integral(self, mean: float, sd: float) -> float:
        """``integral phi((mean - t) / sd) / sd * g(t) dt``: the normal estimate's denominator."""
        out = 0.0
        for a, b, w in zip(self.edges, self.edges[1:], self.weights, strict=False):
            out += w / (b - a) * (_norm_cdf((b - mean) / sd) - _norm_cdf((a - mean) / sd))
        return out


def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _norm_pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def age_at(birth: dt.date, death: dt.date) -> float:
    """Age in years at ``death`` of a person born ``birth`` (days / 365.2425).

    >>> round(age_at(dt.date(1990, 1, 1), dt.date(2020, 1, 1)), 4)
    29.9992
    """
    if death < birth:
        raise KinshipError(f"date of death {death} is before the date of birth {birth}")
    return (death - birth).days / DAYS_PER_YEAR


def age_lr(
    estimate: tuple[float, float],
    mp_age: float,
    population: AgeDistribution,
    kind: str = "uniform",
    miss: float = 0.0,
) -> EvidenceFactor:
    """The anthropological age estimate against the MP's age at death.

    ``LR = f(t_MP) / integral f(t) g(t) dt``, ``g`` the age distribution of the missing and
    ``f(t)`` the likelihood of the estimate given a true age ``t``:

    - ``kind="uniform"``, ``estimate = (lo, hi)``: the range holds the true age with probability
      ``1 - miss``: ``f = 1 - miss`` inside, ``miss`` outside; so
      ``LR = (1 - miss) / ((1 - miss) G + miss (1 - G))`` inside (``G`` the population's share
      in the range) and ``miss / (...)`` outside (0 when ``miss = 0``);
    - ``kind="normal"``, ``estimate = (mean, sd)``: ``f(t) = phi((mean - t) / sd)``.

    ``mp_age``: from :func:`age_at` (date of birth to date of death or disappearance).

    Examples
    --------
    Range 25–35 for a man who died at 30, the missing uniform on 18–60: ``G = 10/42``:

    >>> round(age_lr((25, 35), 30, AgeDistribution.uniform(18, 60)).lr, 12)
    4.2
    """
    _check_prob("miss", miss, hi_open=True)
    params: dict[str, Any] = {
        "kind": kind,
        "population": {"edges": list(population.edges), "weights": list(population.weights)},
        "sources": {"population": population.source},
    }
    obs = {"estimate": estimate, "mp_age": mp_age}
    if kind == "uniform":
        lo, hi = estimate
        if not hi > lo:
            raise KinshipError(f"an age range needs lo < hi, got {estimate}")
        params["miss"] = miss
        g = population.mass(lo, hi)
        inside = lo <= mp_age <= hi
        num = (1 - miss) if inside else miss
        den = (1 - miss) * g + miss * (1 - g)
        model = "f(t_MP) / integral f g, f = 1 - miss on the range, miss outside"
    elif kind == "normal":
        mean, sd = estimate
        if not sd > 0:
            raise KinshipError(f"an age estimate's sd must be > 0, got {sd}")
        num = _norm_pdf((mean - mp_age) / sd) / sd
        den = population.normal_integral(mean, sd)
        model = "phi((mean - t_MP) / sd) / integral phi((mean - t) / sd) g(t) dt"
    else:
        raise KinshipError(f"age estimate kind must be 'uniform' or 'normal', got {kind!r}")
    if den <= 0:
        raise KinshipError(
            f"the age estimate {estimate} has probability 0 under the age distribution of the "
            "missing: widen the distribution or allow a miss"
        )
    return EvidenceFactor("age", num / den, model, params, obs)


# --------------------------------------------------------------------------------------------
# place, date, unit


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between ``(lat, lon)`` points in degrees.

    >>> round(haversine_km((50.0, 30.0), (51.0, 30.0)), 4)  # 1 degree of latitude
    111.1951
    """
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def place_lr(
    distance_km: float,
    scale_km: float,
    area_km2: float,
    kernel: str = "exponential",
    moved: float = 0.05,
) -> EvidenceFactor:
    """Where the remains were recovered against where the MP was last seen.

    Under "the PM is the MP" the recovery point is spread around the last-seen place by an
    isotropic kernel in the plane (a density per km²): ``"exponential"``:
    ``k(r) = exp(-r / s) / (2 pi s²)``; ``"half-normal"`` (a bivariate normal, Rayleigh distance):
    ``k(r) = exp(-r² / (2 s²)) / (2 pi s²)``; with probability ``moved`` the body was moved or the
    record is wrong, and the point is anywhere in the area. Under "someone else" the point is
    uniform over the area of operations, ``A`` km². So
    ``LR = ((1 - moved) k(r) + moved / A) * A``.

    ``moved = 0.05`` is an assumption (bodies are moved, exchanged, misrecorded); ``scale_km``
    and ``area_km2`` are the case's to give.

    >>> f = place_lr(0.0, 2.0, 1000.0, moved=0.0)
    >>> round(f.lr, 9)  # 1000 / (2 pi 4)
    39.788735773
    """
    if distance_km < 0 or math.isnan(distance_km):
        raise KinshipError(f"a distance must be >= 0, got {distance_km}")
    if not scale_km > 0 or not area_km2 > 0:
        raise KinshipError("the kernel scale and the area must be > 0")
    _check_prob("moved", moved)
    s = scale_km
    if kernel == "exponential":
        k = math.exp(-distance_km / s) / (2 * math.pi * s * s)
        form = "exp(-r/s) / (2 pi s^2)"
    elif kernel == "half-normal":
        k = math.exp(-(distance_km**2) / (2 * s * s)) / (2 * math.pi * s * s)
        form = "exp(-r^2 / (2 s^2)) / (2 pi s^2)"
    else:
        raise KinshipError(f"kernel must be 'exponential' or 'half-normal', got {kernel!r}")
    lr = ((1 - moved) * k + moved / area_km2) * area_km2
    return EvidenceFactor(
        "place",
        lr,
        f"((1 - moved) k(r) + moved / A) * A, k(r) = {form}",
        {
            "kernel": kernel,
            "scale_km": s,
            "area_km2": area_km2,
            "moved": moved,
            "sources": {"moved": "assumption" if moved == 0.05 else "given"},
        },
        {"distance_km": distance_km},
    )


def date_lr(
    recovered: dt.date,
    last_seen: dt.date,
    share_seen_by: float = 1.0,
    allowance_days: int = 0,
    error: float = 0.0,
) -> EvidenceFactor:
    """The recovery date against the MP's last-seen date: a time-consistency factor.

    Remains recovered before the MP was last seen cannot be his, unless the last-seen date may be
    ``allowance_days`` late, or wrong with probability ``error``. With ``F = share_seen_by``, the
    share of the missing last seen on or before the recovery date (plus the allowance; the
    accounting gives it, 1 if unknown):
    ``LR = ((1 - error) [consistent] + error) / ((1 - error) F + error)``. With the defaults an
    inconsistent date gives LR 0 and a consistent one LR 1.

    >>> date_lr(dt.date(2023, 3, 1), dt.date(2023, 5, 1)).lr
    0.0
    >>> round(date_lr(dt.date(2023, 6, 1), dt.date(2023, 5, 1), share_seen_by=0.25).lr, 12)
    4.0
    """
    _check_prob("share_seen_by", share_seen_by, lo_open=True)
    _check_prob("error", error, hi_open=True)
    if allowance_days < 0:
        raise KinshipError(f"allowance_days must be >= 0, got {allowance_days}")
    consistent = recovered + dt.timedelta(days=allowance_days) >= last_seen
    num = (1 - error) * (1.0 if consistent else 0.0) + error
    den = (1 - error) * share_seen_by + error
    return EvidenceFactor(
        "date",
        num / den,
        "((1 - e) [recovered + allowance >= last seen] + e) / ((1 - e) F + e)",
        {"share_seen_by": share_seen_by, "allowance_days": allowance_days, "error": error},
        {"recovered": recovered, "last_seen": last_seen, "consistent": consistent},
    )


def _attribute_lr(
    kind: str,
    matches: bool,
    reliability: float,
    q: float,
    own_share: float | None,
    sources: Mapping[str, str],
    observation: Mapping[str, Any],
) -> EvidenceFactor:
    """``(r [x = y] + (1 - r) q) / (r s + (1 - r) q)``: see :func:`document_lr`."""
    _check_prob("reliability", reliability)
    _check_prob("q", q, lo_open=True)
    s = q if own_share is None else own_share
    _check_prob("own_share", s)
    r = reliability
    den = r * s + (1 - r) * q
    if den == 0:
        raise KinshipError(
            f"{kind}: reliability 1 with an own share of 0 makes the item certain proof; "
            "give a reliability below 1"
        )
    num = r * (1.0 if matches else 0.0) + (1 - r) * q
    return EvidenceFactor(
        kind,
        num / den,
        "(r [item = record] + (1 - r) q) / (r s + (1 - r) q)",
        {"reliability": r, "q": q, "own_share": s, "sources": dict(sources)},
        {**observation, "matches": matches},
    )


def document_lr(
    matches: bool,
    reliability: float,
    q: float,
    own_share: float | None = None,
    document: str = "",
) -> EvidenceFactor:
    """A document found on the body against the MP's recorded documents.

    Model: the document is the body's own with probability ``r`` (its reliability) and a foreign
    one otherwise (false papers, another army's papers, papers taken from the dead); a foreign
    document shows the recorded item ``x`` with probability ``q``, and a body's own document is
    ``x`` with probability ``s`` among people other than the MP (``own_share``; ``s = q`` by
    default, ``s = 0`` for a document unique to one person such as a named ID or a service
    number). Then ``P(x | MP) = r [x = y] + (1 - r) q`` and ``P(x | someone else) = r s +
    (1 - r) q``, so ``LR = (r [x = y] + (1 - r) q) / (r s + (1 - r) q)``; with ``s = q``,
    ``(r + (1 - r) q) / q`` for a match and ``1 - r`` for a mismatch.

    ``reliability`` and ``q`` have no default: they are the case's (the share of false papers
    seen in this war, how common the document is).

    >>> round(document_lr(True, reliability=0.5, q=0.01).lr, 12)  # (0.5 + 0.5 * 0.01) / 0.01
    50.5
    >>> round(document_lr(True, reliability=0.5, q=0.01, own_share=0.0).lr, 12)
    101.0
    """
    return _attribute_lr(
        "document",
        matches,
        reliability,
        q,
        own_share,
        {"reliability": "given", "q": "given"},
        {"document": document},
    )


def unit_lr(matches: bool, reliability: float, share: float, unit: str = "") -> EvidenceFactor:
    """The unit the remains are associated with (insignia, the grave's unit) against the MP's.

    The model of :func:`document_lr` with ``q = s = share``, the share of the missing from that
    unit: ``LR = (r + (1 - r) share) / share`` for the same unit, ``1 - r`` for another.

    >>> round(unit_lr(False, reliability=0.9, share=0.1).lr, 12)
    0.1
    """
    return _attribute_lr(
        "unit", matches, reliability, share, None, {"reliability": "given"}, {"unit": unit}
    )


def effects_lr(
    matches: bool, reliability: float = 0.2, q: float = 0.1, item: str = ""
) -> EvidenceFactor:
    """A personal effect (a ring, a watch, a photograph) against what the family described.

    Weak by design: the model of :func:`document_lr` with ``q = s``; the defaults ``r = 0.2``
    (effects are shared, swapped and looted) and ``q = 0.1`` (how common such an item is) are
    assumptions, so a match weighs at most ``(0.2 + 0.8 * 0.1) / 0.1 = 2.8``.

    >>> round(effects_lr(True).lr, 12)
    2.8
    """
    src = {"reliability": "assumption" if reliability == 0.2 else "given"}
    src["q"] = "assumption" if q == 0.1 else "given"
    return _attribute_lr("effects", matches, reliability, q, None, src, {"item": item})


# --------------------------------------------------------------------------------------------
# direct references


def _obs(m: Marker, g: Genotype, n_vars: int, model: DropoutModel | None, who: str) -> np.ndarray:
    """``P(observed | allele variables)`` over the marker's alleles (see :mod:`.dropout`)."""
    idx = tuple(None if a is None else m.allele_index(a) for a in g)
    ia, ib = idx[0], idx[1]
    n = m.n_alleles
    if ia is None and ib is None:
        return np.ones((n, n)) if n_vars == 2 else np.ones(n)
    if model is not None:
        return observation_matrix((ia, ib), n_vars, m.afreq, model)
    if n_vars == 1:
        if ia is not None and ib is not None and ia != ib:
            raise KinshipError(f"{who}: male heterozygous at X-linked marker {m.name}")
        w1 = np.zeros(n)
        w1[ia if ia is not None else ib] = 1.0
        return w1
    w = np.zeros((n, n))
    if ia is None or ib is None:  # one allele unknown, any partner
        x = ia if ia is not None else ib
        w[x, :] = w[:, x] = 1.0
        return w
    w[ia, ib] = w[ib, ia] = 1.0
    return w


def direct_match_lr(
    reference: Mapping[str, Genotype],
    pm: Mapping[str, Genotype],
    markers: Sequence[Marker],
    sex: Sex = Sex.MALE,
    reference_dropout: DropoutModel | None = None,
    pm_dropout: DropoutModel | None = None,
    names: tuple[str, str] = ("REF", "PM"),
) -> LRResult:
    """Direct-match LR of a PM sample against a direct reference of the MP himself.

    H1: the reference sample (a toothbrush, a razor) and the PM sample come from one person, the
    MP; H2: from two unrelated people. It is a kinship LR in which the reference is the MP's own
    profile: per marker ``sum_G P(G) P(ref | G) P(pm | G) / (P(ref) P(pm))``, each sample seen
    through its own dropout model (:func:`~repatria.kinship.dropout.observation_matrix`; ``None``:
    typed exactly). The denominators are :func:`~repatria.kinship.likelihood` of each sample on a
    singleton; Hardy–Weinberg, no theta. Without dropout and with full genotypes it is ``1/P(G)``
    per matching marker and 0 at a mismatch.

    Returns
    -------
    LRResult
        numerator: the one-person likelihood per marker; denominator: the product of the two
        singletons'; ``details`` has the dropout models.

    Examples
    --------
    >>> m = Marker("L", ("a", "b"), [0.2, 0.8])
    >>> r = direct_match_lr({"L": ("a", "b")}, {"L": ("a", "b")}, [m])
    >>> round(r.lr, 12)  # 1 / (2 * 0.2 * 0.8)
    3.125
    """
    ref_id, pm_id = names
    d_ref = None if reference_dropout is None else {ref_id: reference_dropout}
    d_pm = None if pm_dropout is None else {pm_id: pm_dropout}
    l_ref = likelihood(singleton(ref_id, sex), markers, {ref_id: reference}, dropout=d_ref)
    l_pm = likelihood(singleton(pm_id, sex), markers, {pm_id: pm}, dropout=d_pm)
    num = np.zeros(len(markers))
    for k, m in enumerate(markers):
        g1, g2 = reference.get(m.name), pm.get(m.name)
        if g1 is None or g2 is None:  # a side untyped: the other's own probability
            num[k] = l_ref.loglik_per_marker[k] + l_pm.loglik_per_marker[k]
            continue
        n_vars = 1 if (m.is_x and sex == Sex.MALE) else 2
        w = _obs(m, g1, n_vars, reference_dropout, ref_id) * _obs(m, g2, n_vars, pm_dropout, pm_id)
        p = m.afreq
        val = float(p @ w) if n_vars == 1 else float(p @ w @ p)
        num[k] = math.log(val) if val > 0 else -math.inf
    names_t = tuple(m.name for m in markers)
    numerator = LikelihoodResult(names_t, num, notes={"model": "one person, two samples"})
    denominator = LikelihoodResult(
        names_t, l_ref.loglik_per_marker + l_pm.loglik_per_marker, notes={"model": "unrelated"}
    )
    return LRResult(
        numerator,
        denominator,
        (f"{pm_id} and {ref_id} are one person (the MP)", f"{pm_id} and {ref_id} are unrelated"),
        details={
            "reference_dropout": None
            if reference_dropout is None
            else reference_dropout.describe(),
            "pm_dropout": None if pm_dropout is None else pm_dropout.describe(),
        },
    )
