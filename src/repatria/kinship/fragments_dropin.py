"""PM–PM matching with drop-in: every pair checked under the full dropout and drop-in model.

:mod:`repatria.kinship.fragments` has no drop-in, and its candidate search rests on that: two
observations no dropout explains (``a/b`` against ``a/c``) cannot come from one person, so most
pairs are never looked at. With a drop-in probability ``c > 0`` any two observations can come
from one person (``a/c`` seen as ``a/b``: ``c`` lost, ``b`` dropped in), so no pair may be skipped;
:func:`find_fragments_drop_in` checks every pair, exactly, and is for cases of at most
:data:`MAX_SAMPLES` samples.

The model is :mod:`repatria.kinship.dropout`'s (the one of every likelihood of Repatria): for
observed peaks ``S`` and true genotype ``G``, ``P(S | G)`` with dropout ``d`` per allele copy of
the sample and drop-in ``c`` per marker (:func:`repatria.kinship.dropout.observation_matrix`).
H1: both samples from one person of unknown genotype ``G``; H2: from two unrelated people. At a
marker typed in both,

    LR = sum_G P(G) P(S1 | G) P(S2 | G) / (P(S1) P(S2)),   P(S) = sum_G P(G) P(S | G),

with Hardy–Weinberg ``P(G)``; the sum over ordered allele pairs ``x, y`` of ``p_x p_y w1 w2``
is, for all pairs at once, the matrix product ``U U^T`` with ``U[i] = w_i sqrt(p_x p_y)``.
Markers untyped in either sample contribute 1; the LR is the product over markers. With
``c = 0`` this is the LR of :func:`repatria.kinship.fragments.direct_match_log_lr` (tested).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from repatria.kinship.dropout import DropoutModel, observation_matrix
from repatria.kinship.errors import KinshipError
from repatria.kinship.fragments import FragmentResult, _groups, encode_samples
from repatria.kinship.fragments_search import SINGLE, UNTYPED
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype

__all__ = ["MAX_SAMPLES", "pairwise_log_lr_drop_in", "find_fragments_drop_in"]

#: Every pair is checked (an ``n x n`` matrix of LRs), so the samples are limited.
MAX_SAMPLES = 4000

Progress = Callable[[str, int, int], None]


def pairwise_log_lr_drop_in(
    markers: Sequence[Marker],
    ids: Sequence[str],
    profiles: Mapping[str, Mapping[str, Genotype]],
    dropout: Mapping[str, float] | float,
    drop_in: float,
    progress: Progress | None = None,
) -> np.ndarray:
    """The natural-log direct-match LR of every pair of samples, ``(n, n)`` (diagonal 0).

    ``dropout``: one for every sample, or each sample's (every sample named).
    """
    n = len(ids)
    if n > MAX_SAMPLES:
        raise KinshipError(
            f"with drop-in every pair of samples is checked, so at most {MAX_SAMPLES} samples; "
            f"this case has {n}"
        )
    if isinstance(dropout, Mapping):
        missing = [v for v in ids if v not in dropout]
        if missing:
            raise KinshipError(f"no dropout given for sample {missing[0]}")
        models = [DropoutModel(float(dropout[v]), drop_in) for v in ids]
    else:
        models = [DropoutModel(float(dropout), drop_in)] * n
    enc = encode_samples(markers, ids, profiles)
    total = np.zeros((n, n))
    for k, m in enumerate(markers):
        p = np.asarray(m.afreq, dtype=float)
        root = np.sqrt(np.outer(p, p)).ravel()
        typed = np.flatnonzero(enc.a[:, k] != UNTYPED)
        if len(typed) < 2:
            continue
        u = np.empty((len(typed), len(p) ** 2))
        log_p = np.empty(len(typed))
        for r, i in enumerate(typed):
            a, b = int(enc.a[i, k]), int(enc.b[i, k])
            w = observation_matrix((a, None if b == SINGLE else b), 2, p, models[i].at(m.name))
            u[r] = w.ravel() * root
            log_p[r] = math.log(float(p @ w @ p))
        with np.errstate(divide="ignore"):
            llr = np.log(u @ u.T) - log_p[:, None] - log_p[None, :]
        total[np.ix_(typed, typed)] += llr
        if progress is not None:
            progress("fragments", k + 1, len(markers))
    np.fill_diagonal(total, 0.0)
    return total


def find_fragments_drop_in(
    markers: Sequence[Marker],
    ids: Sequence[str],
    profiles: Mapping[str, Mapping[str, Genotype]],
    min_lr: float,
    dropout: float,
    drop_in: float,
    sample_dropout: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> FragmentResult:
    """Groups of samples linked by a direct-match LR of at least ``min_lr`` under dropout and
    drop-in (every pair checked); ``sample_dropout`` overrides ``dropout`` per sample."""
    t0 = time.perf_counter()
    if not min_lr > 0:
        raise KinshipError(f"min_lr must be > 0, got {min_lr}")
    own = dict(sample_dropout or {})
    unknown = set(own) - set(ids)
    if unknown:
        raise KinshipError(f"dropout given for unknown sample(s) {', '.join(sorted(unknown)[:5])}")
    per = {v: own.get(v, dropout) for v in ids}
    llr = pairwise_log_lr_drop_in(markers, ids, profiles, per, drop_in, progress)
    n = len(ids)
    ii, jj = np.triu_indices(n, 1)
    keep = llr[ii, jj] >= math.log(min_lr)
    ei, ej, ev = ii[keep], jj[keep], llr[ii, jj][keep]
    notes = {"drop_in": drop_in, "pairs_checked_exactly": int(len(ii))}
    if own:
        notes["sample_dropout"] = len(own)
    return FragmentResult(
        tuple(ids),
        _groups(n, ei, ej),
        ei,
        ej,
        ev,
        int(len(ii)),
        min_lr,
        tuple(float(dropout) for _ in markers),
        (),
        time.perf_counter() - t0,
        notes=notes,
    )
