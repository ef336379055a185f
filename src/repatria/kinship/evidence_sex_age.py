"""Sex and age as evidence: the observed sex, a discrete property, the age at death.

:func:`sex_lr` (with the error rates of a :class:`SexingMethod`), :func:`property_lr` (dvir's
``LRDiscrete``) and :func:`age_lr` (an anthropological estimate against the MP's age at death,
over the :class:`AgeDistribution` of the missing); the formulas are in
:mod:`repatria.kinship.evidence`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from repatria.kinship.errors import KinshipError
from repatria.kinship.evidence_factors import EvidenceFactor, _check_prob
from repatria.kinship.pedigree import Sex

__all__ = [
    "SexingMethod",
    "SEXING_METHODS",
    "sex_lr",
    "property_lr",
    "AgeDistribution",
    "age_at",
    "age_lr",
]

#: Days per year, for ages from dates (the mean Gregorian year).
DAYS_PER_YEAR = 365.2425


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
