"""Allelic dropout and drop-in: the probability of the peaks a lab saw, given the true genotype.

A burned or degraded sample loses alleles (dropout) and may show a spurious one (drop-in). A lab
that sees one peak ``a`` writes ``a/a`` or ``a/-``; under a dropout model both mean the same
thing, *only a was seen*, and the true genotype may be ``a/a`` or ``a/x`` for any ``x``.

The model (a semi-continuous one in the sense of Gill et al. and of LRmix; stated here so that it
can be checked):

- each allele copy of a heterozygote is lost independently with probability ``d``; a
  homozygote's peak is lost only when both copies are, with probability ``d**2``; a male's one
  X allele is lost with probability ``d``;
- at most one allele drops in, with probability ``c``, drawn from the allele frequencies; a
  drop-in of an allele the person carries cannot be seen and is not counted (so "no visible
  drop-in" has probability ``1 - c``).

For observed peaks ``S`` and a true unordered genotype ``G`` that gives ``P(S | G)``:

=================  ======================  ==========================================
``S``              ``G``                   ``P(S | G)``
=================  ======================  ==========================================
``{a}``            ``a/a``                 ``(1 - d²)(1 - c)``
``{a}``            ``a/x``, ``x ≠ a``      ``d (1 - d)(1 - c)``
``{a}``            without ``a``           ``d² c p_a``
``{a, b}``         ``a/b``                 ``(1 - d)² (1 - c)``
``{a, b}``         ``a/a``                 ``(1 - d²) c p_b``
``{a, b}``         ``a/x``, ``x ∉ {a,b}``  ``d (1 - d) c p_b``
``{a, b}``         anything else           ``0`` (it would take two drop-ins)
=================  ======================  ==========================================

(and the same with ``a`` and ``b`` swapped). With ``d = c = 0`` a single peak is a homozygote
and two peaks are the heterozygote, exactly the model without dropout. A profile typed without a
dropout model (``None``) keeps the older reading of ``a/-``: one allele unknown, any partner.

Because every unobserved allele enters the same way, lumping the alleles nobody carries stays
exact. The functions here are pure numpy; :mod:`repatria.kinship.probability` uses
:func:`observation_matrix` for the observation factor of a person typed under a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from repatria.kinship.errors import KinshipError

__all__ = [
    "DropoutModel",
    "observation_matrix",
    "peaks",
    "peak_probability",
    "single_peak_as_unknown",
]


@dataclass(frozen=True)
class DropoutModel:
    """Dropout probability ``dropout`` per allele copy and drop-in probability ``drop_in`` per
    marker, for one sample.

    >>> DropoutModel(0.2).describe()
    'allelic dropout 0.2 per allele copy (homozygote d^2), drop-in 0'
    """

    dropout: float
    drop_in: float = 0.0
    #: ``(marker name, dropout)`` where this sample's dropout differs from ``dropout``: a body
    #: whose fragments were combined (:mod:`repatria.kinship.fragment_merge`) sees a single peak
    #: confirmed by several fragments as one peak at a smaller dropout.
    marker_dropout: tuple[tuple[str, float], ...] = ()
    _at: dict[str, DropoutModel] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for d in (self.dropout, *(d for _, d in self.marker_dropout)):
            if not 0 <= d < 1 or math.isnan(d):
                raise KinshipError(f"dropout must be in [0, 1), got {d}")
        if not 0 <= self.drop_in < 1 or math.isnan(self.drop_in):
            raise KinshipError(f"drop-in must be in [0, 1), got {self.drop_in}")
        for name, d in self.marker_dropout:
            self._at[name] = DropoutModel(d, self.drop_in)

    def at(self, marker: str) -> DropoutModel:
        """The model of this sample at ``marker`` (one dropout, no per-marker values): what
        every likelihood of one marker takes.

        >>> m = DropoutModel(0.3, marker_dropout=(("TH01", 0.05),))
        >>> m.at("TH01").dropout, m.at("FGA").dropout
        (0.05, 0.3)
        """
        if not self.marker_dropout:
            return self
        hit = self._at.get(marker)
        if hit is None:
            hit = self._at[marker] = DropoutModel(self.dropout, self.drop_in)
        return hit

    @property
    def any_dropout(self) -> bool:
        """Whether some marker of this sample has dropout or drop-in above 0."""
        return self.dropout > 0 or self.drop_in > 0 or any(d > 0 for _, d in self.marker_dropout)

    def describe(self) -> str:
        own = (
            f", {len(self.marker_dropout)} marker(s) at their own dropout (fragments combined)"
            if self.marker_dropout
            else ""
        )
        return (
            f"allelic dropout {self.dropout:g} per allele copy (homozygote d^2), "
            f"drop-in {self.drop_in:g}{own}"
        )


def peaks(g: tuple[int | None, int | None]) -> tuple[int, ...]:
    """The distinct alleles seen: ``(a,)`` for ``a/a`` or ``a/-``, ``(a, b)`` for ``a/b``.

    >>> peaks((3, 3)), peaks((3, None)), peaks((1, 4))
    ((3,), (3,), (1, 4))
    """
    seen = tuple(dict.fromkeys(x for x in g if x is not None))
    if not seen:
        raise KinshipError("a genotype with no allele seen is untyped, not a peak pattern")
    return seen


def observation_matrix(
    g: tuple[int | None, int | None], n_vars: int, p: np.ndarray, model: DropoutModel
) -> np.ndarray:
    """``P(peaks | allele variables)`` as a factor over the person's allele variables.

    Parameters
    ----------
    g : the observed genotype as network allele indices (``None`` for a lost allele).
    n_vars : 2 (paternal and maternal allele) or 1 (a male at an X-linked marker).
    p : network allele frequencies, shape ``(n,)`` (a lumped allele included).
    model : the sample's dropout model.

    Returns
    -------
    ndarray of shape ``(n, n)`` (symmetric: ordered allele pairs) or ``(n,)``.

    Examples
    --------
    >>> m = DropoutModel(0.5)
    >>> w = observation_matrix((0, 0), 2, np.array([0.5, 0.5]), m)
    >>> w.tolist()  # a/a seen: 1 - d^2 for a/a, d(1 - d) for a/x
    [[0.75, 0.25], [0.25, 0.0]]
    """
    if model.marker_dropout:
        raise KinshipError("observation_matrix takes one marker's model: use model.at(marker)")
    d, c = model.dropout, model.drop_in
    seen = peaks(g)
    n = len(p)
    if n_vars == 1:
        if len(seen) != 1:
            raise KinshipError("two peaks on one allele variable (a male's X)")
        (a,) = seen
        w = np.full(n, d * c * p[a])
        w[a] = (1 - d) * (1 - c)
        return w
    if len(seen) == 1:
        (a,) = seen
        w = np.full((n, n), d * d * c * p[a])
        w[a, :] = w[:, a] = d * (1 - d) * (1 - c)
        w[a, a] = (1 - d * d) * (1 - c)
        return w
    a, b = seen
    w = np.zeros((n, n))
    w[a, :] = w[:, a] = d * (1 - d) * c * p[b]
    w[b, :] = w[:, b] = d * (1 - d) * c * p[a]
    w[a, a] = (1 - d * d) * c * p[b]
    w[b, b] = (1 - d * d) * c * p[a]
    w[a, b] = w[b, a] = (1 - d) ** 2 * (1 - c)
    return w


def peak_probability(
    g: tuple[int | None, int | None], p: np.ndarray, model: DropoutModel, hemizygous: bool = False
) -> float:
    """``P(peaks)`` of an unrelated person: the Hardy–Weinberg genotype probabilities weighted by
    :func:`observation_matrix` (the denominator of a PM's LR under the model).

    >>> p = np.array([0.1, 0.9])
    >>> peak_probability((0, 0), p, DropoutModel(0.0)) == 0.1**2
    True
    """
    if hemizygous:
        return float(p @ observation_matrix(g, 1, p, model))
    return float(p @ observation_matrix(g, 2, p, model) @ p)


def single_peak_as_unknown(g: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    """A single peak ``a/a`` as ``a/-``: how a modelled sample's profile is read where it must be
    typed exactly (as a reference, after a dviSolve step places it): one allele unknown, so a
    dropped allele never reads as a homozygote. A heterozygote is kept.

    >>> single_peak_as_unknown(("12", "12")), single_peak_as_unknown(("12", "14"))
    (('12', None), ('12', '14'))
    """
    if g[0] is not None and g[0] == g[1]:
        return (g[0], None)
    return g
