"""A direct reference as evidence: a sample of the MP himself (a toothbrush, a razor).

:func:`direct_match_lr` is a kinship LR in which the reference is the MP's own profile, the
reference and the PM each with its own dropout model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from repatria.kinship.dropout import DropoutModel, observation_matrix
from repatria.kinship.errors import KinshipError
from repatria.kinship.lr import LRResult
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex, singleton
from repatria.kinship.probability import LikelihoodResult, likelihood

__all__ = ["direct_match_lr"]


def _obs(m: Marker, g: Genotype, n_vars: int, model: DropoutModel | None, who: str) -> np.ndarray:
    """``P(observed | allele variables)`` over the marker's alleles (see :mod:`.dropout`)."""
    idx = tuple(None if a is None else m.allele_index(a) for a in g)
    ia, ib = idx[0], idx[1]
    n = m.n_alleles
    if ia is None and ib is None:
        return np.ones((n, n)) if n_vars == 2 else np.ones(n)
    if model is not None:
        return observation_matrix((ia, ib), n_vars, m.afreq, model.at(m.name))
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
