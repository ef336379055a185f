"""PM–PM matching: fragments of one body, or one person sampled twice, found without all pairs.

Direct-match LR with allelic dropout
------------------------------------
H1: samples 1 and 2 come from the same person, of unknown genotype ``G``; H2: from two unrelated
people. Each observed profile arises from ``G`` independently: each allele copy drops out with
probability ``d`` (per marker; degraded samples lose long STRs first, so ``d`` may differ by
marker). An observation at a marker is either a heterozygote ``H(a, b)`` or a single allele
``S(a)`` (written ``a/a`` or ``a/-``: a true homozygote, or a heterozygote that lost one allele).
With Hardy–Weinberg frequencies ``p``:

- ``P(H(a, b) | G) = (1 - d)^2`` if ``G = {a, b}``, else 0;
- ``P(S(a) | G = aa) = 1 - d^2``; ``P(S(a) | G = ax) = d (1 - d)`` for ``x != a``;
- ``P(o) = sum_G P(G) P(o | G)``: ``P(H(a, b)) = 2 p_a p_b (1 - d)^2``,
  ``P(S(a)) = p_a^2 (1 - d^2) + 2 p_a (1 - p_a) d (1 - d)``;
- ``P(o1, o2 | H1) = sum_G P(G) P(o1 | G) P(o2 | G)``, which is
  ``2 p_a p_b (1 - d)^4`` for ``H(a, b), H(a, b)``; ``2 p_a p_b (1 - d)^3 d`` for ``H(a, b), S(a)``;
  ``p_a^2 (1 - d^2)^2 + 2 p_a (1 - p_a) d^2 (1 - d)^2`` for ``S(a), S(a)``;
  ``2 p_a p_b d^2 (1 - d)^2`` for ``S(a), S(b)``; 0 otherwise (a mismatch no dropout explains).

The per-marker LR is ``P(o1, o2 | H1) / (P(o1) P(o2))``; markers untyped in either sample
contribute 1 (losing both copies is treated as not typed); the LR is the product over markers.
With ``d = 0`` it is the classical ``1 / P(genotype)``.

Finding candidate pairs
-----------------------
Comparing 10^5 samples pairwise is 5 10^9 pairs. Instead the markers are ranked by how rarely two
unrelated people show the same observation, dealt into ``bands`` disjoint bands of
``band_size`` markers (so each band is about as informative as the others), and samples are
bucketed by their exact observations on each band. Two samples are a candidate pair when they
share a bucket in at least one band; each candidate is then verified with the full LR above. The
bands alone miss a pair of fragments when every band has a dropout or an untyped marker in one of
them (with 8 bands of 3 markers and 5 % dropout per allele, about 1 pair in 10^3; far more on
burned remains), so by default every pair the bands cannot vouch for is also checked exactly
(:mod:`repatria.kinship.fragments_search`): no pair with LR >= ``min_lr`` is missed. Samples
linked by LRs of at least ``min_lr`` are grouped as one body (connected components). Each sample
may have its own dropout (``sample_dropout``): the joint probabilities above then take each
observation's ``d`` from its own sample.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from repatria import __version__
from repatria.kinship.errors import KinshipError
from repatria.kinship.fragments_search import (
    SINGLE,
    UNTYPED,
    _candidate_pairs,
    _disjoint_pairs,
    _second_search,
)
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype

__all__ = [
    "FragmentResult",
    "EncodedSamples",
    "encode_samples",
    "direct_match_log_lr",
    "find_fragments",
    "DEFAULT_DROPOUT",
]

#: Default per-allele dropout probability of every marker.
DEFAULT_DROPOUT = 0.05

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class EncodedSamples:
    """Observations as allele indices: ``a[i, k] < b[i, k]`` for a heterozygote, ``b = -1`` for a
    single allele, ``a = b = -2`` where untyped."""

    ids: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray


def encode_samples(
    markers: Sequence[Marker], ids: Sequence[str], profiles: Mapping[str, Mapping[str, Genotype]]
) -> EncodedSamples:
    """Encode the samples ``ids`` for :func:`direct_match_log_lr` and :func:`find_fragments`.

    Parameters
    ----------
    markers : the markers, in column order.
    ids : sample ids, in row order.
    profiles : ``profiles[sample][marker] -> Genotype``; absent means untyped.

    Returns
    -------
    EncodedSamples, with ``a`` and ``b`` int16 of shape ``(len(ids), len(markers))``.

    Raises :class:`KinshipError` naming the sample for an allele outside a frequency table.
    """
    n, nk = len(ids), len(markers)
    a = np.full((n, nk), UNTYPED, dtype=np.int16)
    b = np.full((n, nk), UNTYPED, dtype=np.int16)
    index = [m.allele_indices for m in markers]
    for i, v in enumerate(ids):
        prof = profiles.get(v, {})
        for k, m in enumerate(markers):
            g = prof.get(m.name)
            if g is None or (g[0] is None and g[1] is None):
                continue
            try:
                x = [index[k][y] for y in g if y is not None]
            except KeyError:
                bad = next(y for y in g if y is not None and y not in index[k])
                raise KinshipError(
                    f"sample '{v}' carries allele '{bad}' at {m.name}, which is not in its "
                    f"frequency table"
                ) from None
            if len(x) == 1 or x[0] == x[1]:
                a[i, k], b[i, k] = x[0], SINGLE
            else:
                a[i, k], b[i, k] = min(x), max(x)
    return EncodedSamples(tuple(ids), a, b)


class _Model:
    def __init__(
        self,
        markers: Sequence[Marker],
        dropout: float | Mapping[str, float],
        sample_dropout: np.ndarray | None = None,
    ):
        nk = len(markers)
        width = max(m.n_alleles for m in markers) if markers else 1
        self.p = np.zeros((nk, width))
        for k, m in enumerate(markers):
            self.p[k, : m.n_alleles] = m.afreq
        if isinstance(dropout, Mapping):
            unknown = set(dropout) - {m.name for m in markers}
            if unknown:
                raise KinshipError(
                    f"dropout given for unknown marker(s) {', '.join(sorted(unknown))}"
                )
            d = np.array([dropout.get(m.name, DEFAULT_DROPOUT) for m in markers], dtype=float)
        else:
            d = np.full(nk, float(dropout))
        if ((d < 0) | (d >= 1)).any():
            raise KinshipError("dropout probabilities must be in [0, 1)")
        self.d = d
        self.k = np.arange(nk)
        #: ``(n_samples, n_markers)``: each sample's dropout (its own where given, else the
        #: marker's), or ``None`` when every sample takes the marker's.
        self.ds: np.ndarray | None = None
        if sample_dropout is not None:
            sd = np.asarray(sample_dropout, dtype=float)
            if ((sd[~np.isnan(sd)] < 0) | (sd[~np.isnan(sd)] >= 1)).any():
                raise KinshipError("dropout probabilities must be in [0, 1)")
            self.ds = np.where(np.isnan(sd)[:, None], d[None, :], sd[:, None])

    def log_p_obs(self, a: np.ndarray, b: np.ndarray, d: np.ndarray | None = None) -> np.ndarray:
        """log P(observation) per sample and marker (0 where untyped); ``d``: their dropout
        (default the markers')."""
        if d is None:
            d = self.d[None, :]
        pa = self.p[self.k[None, :], np.maximum(a, 0)]
        pb = self.p[self.k[None, :], np.maximum(b, 0)]
        het = 2 * pa * pb * (1 - d) ** 2
        single = pa**2 * (1 - d**2) + 2 * pa * (1 - pa) * d * (1 - d)
        val = np.where(b >= 0, het, single)
        with np.errstate(divide="ignore"):
            out: np.ndarray = np.where(a == UNTYPED, 0.0, np.log(val))
        return out


def direct_match_log_lr(
    model_or_markers: _Model | Sequence[Marker],
    dropout: float | Mapping[str, float] | None,
    a1: np.ndarray,
    b1: np.ndarray,
    a2: np.ndarray,
    b2: np.ndarray,
    lp1: np.ndarray | None = None,
    lp2: np.ndarray | None = None,
    d1: np.ndarray | None = None,
    d2: np.ndarray | None = None,
) -> np.ndarray:
    """Natural-log direct-match LR of sample pairs (rows), summed over markers (see the module doc).

    Parameters
    ----------
    model_or_markers : the markers (in the column order of the arrays), or the dropout model
        built by an earlier call.
    dropout : per-allele dropout, one for all markers or per marker name (default
        :data:`DEFAULT_DROPOUT`); ignored when a model is given.
    a1, b1, a2, b2 : int, shape ``(n_pairs, n_markers)``: the two samples of each pair, encoded
        as :func:`encode_samples` does.
    lp1, lp2 : float, shape ``(n_pairs, n_markers)``: each sample's own log-probability per
        marker, when already computed.
    d1, d2 : float, broadcastable to ``(n_pairs, n_markers)``: each sample's own dropout, when
        the samples of a pair differ (a burned fragment and a well-kept one); default the
        markers' dropout for both.

    Returns
    -------
    ndarray of float64, shape ``(n_pairs,)``: H1 "one person" against H2 "two unrelated people";
    ``-inf`` for a mismatch that dropout cannot explain.
    """
    if isinstance(model_or_markers, _Model):
        model = model_or_markers
    else:
        model = _Model(model_or_markers, DEFAULT_DROPOUT if dropout is None else dropout)
    if d1 is not None or d2 is not None:
        return _per_sample_log_lr(model, a1, b1, a2, b2, lp1, lp2, d1, d2)
    d = model.d[None, :]
    kk = model.k[None, :]
    p = model.p
    both = (a1 != UNTYPED) & (a2 != UNTYPED)
    h1, h2 = b1 >= 0, b2 >= 0
    pa1 = p[kk, np.maximum(a1, 0)]
    pb1 = p[kk, np.maximum(b1, 0)]
    pa2 = p[kk, np.maximum(a2, 0)]
    same_het = h1 & h2 & (a1 == a2) & (b1 == b2)
    # het in one, its a or b as the single allele of the other
    het_single = (h1 & ~h2 & ((a2 == a1) | (a2 == b1))) | (~h1 & h2 & ((a1 == a2) | (a1 == b2)))
    pair_p = np.where(h1, pa1 * pb1, pa2 * p[kk, np.maximum(b2, 0)])
    same_single = ~h1 & ~h2 & (a1 == a2)
    diff_single = ~h1 & ~h2 & (a1 != a2)
    joint = np.select(
        [same_het, het_single, same_single, diff_single],
        [
            2 * pa1 * pb1 * (1 - d) ** 4,
            2 * pair_p * (1 - d) ** 3 * d,
            pa1**2 * (1 - d**2) ** 2 + 2 * pa1 * (1 - pa1) * d**2 * (1 - d) ** 2,
            2 * pa1 * pa2 * d**2 * (1 - d) ** 2,
        ],
        0.0,
    )
    if lp1 is None:
        lp1 = model.log_p_obs(a1, b1)
    if lp2 is None:
        lp2 = model.log_p_obs(a2, b2)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.log(joint) - lp1 - lp2
    out: np.ndarray = np.where(both, per, 0.0).sum(axis=1)
    return out


def _per_sample_log_lr(
    model: _Model,
    a1: np.ndarray,
    b1: np.ndarray,
    a2: np.ndarray,
    b2: np.ndarray,
    lp1: np.ndarray | None,
    lp2: np.ndarray | None,
    d1: np.ndarray | None,
    d2: np.ndarray | None,
) -> np.ndarray:
    """:func:`direct_match_log_lr` with each sample of a pair at its own dropout: the module
    docstring's joint probabilities with ``d`` of each observation its own sample's."""
    base = model.d[None, :]
    e1 = base if d1 is None else np.asarray(d1, dtype=float)
    e2 = base if d2 is None else np.asarray(d2, dtype=float)
    kk = model.k[None, :]
    p = model.p
    both = (a1 != UNTYPED) & (a2 != UNTYPED)
    h1, h2 = b1 >= 0, b2 >= 0
    pa1, pb1 = p[kk, np.maximum(a1, 0)], p[kk, np.maximum(b1, 0)]
    pa2, pb2 = p[kk, np.maximum(a2, 0)], p[kk, np.maximum(b2, 0)]
    lose1, lose2 = e1 * (1 - e1), e2 * (1 - e2)  # one copy lost, the other kept
    joint = np.select(
        [
            h1 & h2 & (a1 == a2) & (b1 == b2),
            h1 & ~h2 & ((a2 == a1) | (a2 == b1)),
            ~h1 & h2 & ((a1 == a2) | (a1 == b2)),
            ~h1 & ~h2 & (a1 == a2),
            ~h1 & ~h2 & (a1 != a2),
        ],
        [
            2 * pa1 * pb1 * (1 - e1) ** 2 * (1 - e2) ** 2,
            2 * pa1 * pb1 * (1 - e1) ** 2 * lose2,
            2 * pa2 * pb2 * (1 - e2) ** 2 * lose1,
            pa1**2 * (1 - e1**2) * (1 - e2**2) + 2 * pa1 * (1 - pa1) * lose1 * lose2,
            2 * pa1 * pa2 * lose1 * lose2,
        ],
        0.0,
    )
    if lp1 is None:
        lp1 = model.log_p_obs(a1, b1, np.broadcast_to(e1, a1.shape))
    if lp2 is None:
        lp2 = model.log_p_obs(a2, b2, np.broadcast_to(e2, a2.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.log(joint) - lp1 - lp2
    out: np.ndarray = np.where(both, per, 0.0).sum(axis=1)
    return out


def _compatible(
    model: _Model,
    a1: np.ndarray,
    b1: np.ndarray,
    a2: np.ndarray,
    b2: np.ndarray,
    cols: np.ndarray | list[int],
    d1: np.ndarray | None = None,
    d2: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs whose observations at ``cols`` can all come from one genotype (joint probability > 0).

    ``d1``, ``d2``: each sample's dropout at ``cols`` when samples have their own.
    Returns bool, shape ``(n_pairs,)``.
    """
    d = model.d[cols][None, :] > 0
    z1 = d if d1 is None else d1 > 0
    z2 = d if d2 is None else d2 > 0
    h1, h2 = b1 >= 0, b2 >= 0
    ok = (
        (a1 == UNTYPED)
        | (a2 == UNTYPED)
        | (h1 & h2 & (a1 == a2) & (b1 == b2))
        | (h1 & ~h2 & z2 & ((a2 == a1) | (a2 == b1)))
        | (~h1 & h2 & z1 & ((a1 == a2) | (a1 == b2)))
        | (~h1 & ~h2 & ((z1 & z2) | (a1 == a2)))
    )
    out: np.ndarray = ok.all(axis=1)
    return out


@dataclass(frozen=True, eq=False)
class FragmentResult:
    """Groups of samples believed to be one body, and the verified links between them.

    ``groups``: tuples of sample indices (into ``ids``), each of two or more, largest first.
    ``edges``: ``(i, j, log_lr)`` arrays of verified pairs with LR >= ``min_lr``.
    """

    ids: tuple[str, ...]
    groups: list[tuple[int, ...]]
    edge_i: np.ndarray
    edge_j: np.ndarray
    edge_log_lr: np.ndarray
    candidates_checked: int
    min_lr: float
    dropout: tuple[float, ...]
    bands: tuple[tuple[str, ...], ...]
    seconds: float
    version: str = __version__
    notes: dict[str, Any] = field(default_factory=dict)

    def group_edges(self, g: int) -> list[tuple[str, str, float]]:
        """The verified links ``(id, id, log LR)`` inside group ``g``."""
        members = set(self.groups[g])
        return [
            (self.ids[i], self.ids[j], float(v))
            for i, j, v in zip(self.edge_i, self.edge_j, self.edge_log_lr, strict=False)
            if i in members
        ]


def _bands(model: _Model, enc: EncodedSamples, n_bands: int, band_size: int) -> list[list[int]]:
    """Markers dealt into bands by information (lowest chance that two random samples agree)."""
    nk = enc.a.shape[1]
    lp = model.log_p_obs(enc.a, enc.b)
    typed = enc.a != UNTYPED
    # Mean probability of a random match of the observed genotype, typed samples only.
    match = np.array(
        [np.exp(lp[typed[:, k], k]).mean() if typed[:, k].any() else 1.0 for k in range(nk)]
    )
    cover = typed.mean(axis=0) if len(typed) else np.zeros(nk)
    rank = np.lexsort((match, -np.round(cover, 2)))
    bands = [[int(x) for x in rank[j::n_bands][:band_size]] for j in range(n_bands)]
    return [b for b in bands if len(b) == band_size]


def _groups(n: int, ei: np.ndarray, ej: np.ndarray) -> list[tuple[int, ...]]:
    """Connected components of two or more samples, largest first."""
    groups: list[tuple[int, ...]] = []
    if not len(ei):
        return groups
    graph = coo_matrix((np.ones(len(ei)), (ei, ej)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    order = np.argsort(label, kind="stable")
    lab = label[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    for s, e in zip(starts, np.r_[starts[1:], len(lab)], strict=False):
        if e - s >= 2:
            groups.append(tuple(int(x) for x in order[s:e]))
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def _own_dropout(
    ids: Sequence[str], sample_dropout: Mapping[str, float] | None
) -> np.ndarray | None:
    """Each sample's own dropout (``nan``: the markers'), or ``None`` when none has one."""
    if not sample_dropout:
        return None
    unknown = set(sample_dropout) - set(ids)
    if unknown:
        raise KinshipError(f"dropout given for unknown sample(s) {', '.join(sorted(unknown)[:5])}")
    return np.array([sample_dropout.get(v, np.nan) for v in ids], dtype=float)


def find_fragments(
    markers: Sequence[Marker],
    ids: Sequence[str],
    profiles: Mapping[str, Mapping[str, Genotype]],
    min_lr: float = 1e6,
    dropout: float | Mapping[str, float] = DEFAULT_DROPOUT,
    n_bands: int = 8,
    band_size: int = 3,
    max_bucket: int = 2000,
    chunk: int = 1 << 19,
    progress: Progress | None = None,
    sample_dropout: Mapping[str, float] | None = None,
    exhaustive: bool = True,
    rounds: int = 5,
) -> FragmentResult:
    """Groups of PM samples believed to come from one body (see the module docstring).

    Parameters
    ----------
    min_lr : a pair is linked when its direct-match LR is at least this.
    dropout : per-allele dropout probability, one for all markers or per marker name.
    n_bands, band_size : the candidate search (more bands: fewer pairs checked exactly).
    max_bucket : band values shared by more samples than this are not used to propose pairs.
    sample_dropout : per sample id, its own dropout at every marker (a burned fragment beside a
        well-kept sample); the others take ``dropout``.
    exhaustive : also check exactly every pair the bands cannot vouch for (their reliable bands
        are disjoint, see :func:`_reliable_bands`), so that no pair with LR >= ``min_lr`` is
        missed; ``False`` is the banded search alone (fast, may miss burned pairs).
    rounds : with ``exhaustive``, the markers are dealt into bands this many times
        (:func:`_more_bands`).
    """
    t0 = time.perf_counter()
    if not min_lr > 0:
        raise KinshipError(f"min_lr must be > 0, got {min_lr}")
    if n_bands < 1 or band_size < 1:
        raise KinshipError("n_bands and band_size must be at least 1")
    model = _Model(markers, dropout, _own_dropout(ids, sample_dropout))
    enc = encode_samples(markers, ids, profiles)
    n = len(ids)
    bands = _bands(model, enc, n_bands, band_size) if n else []
    if not bands and len(markers):
        bands = [list(range(len(markers)))]
    if n > 1:
        cand, skipped = _candidate_pairs(enc, bands, max_bucket)
    else:
        cand, skipped = np.empty(0, np.int64), np.zeros((n, len(bands)), dtype=bool)
    masks = weak = None
    if exhaustive and n > 1:
        masks, weak, cand, bands = _second_search(
            model, enc, bands, skipped, cand, max_bucket, rounds
        )
    ds = model.ds
    lp = model.log_p_obs(enc.a, enc.b, ds)
    thr = math.log(min_lr)
    in_band = {k for b in bands for k in b}
    screen_cols = np.array(
        [k for k in range(len(markers)) if k not in in_band] + [k for b in bands for k in b],
        dtype=np.int64,
    )[:8]
    ei, ej, ev = [], [], []

    def verify(part: np.ndarray) -> None:
        i, j = part // max(n, 1), part % max(n, 1)
        # Most candidates are chance collisions on one band that some other marker contradicts
        # outright: drop them on a few markers before computing any probability.
        ok = _compatible(
            model,
            enc.a[i][:, screen_cols],
            enc.b[i][:, screen_cols],
            enc.a[j][:, screen_cols],
            enc.b[j][:, screen_cols],
            screen_cols,
            None if ds is None else ds[i][:, screen_cols],
            None if ds is None else ds[j][:, screen_cols],
        )
        i, j = i[ok], j[ok]
        llr = direct_match_log_lr(
            model,
            None,
            enc.a[i],
            enc.b[i],
            enc.a[j],
            enc.b[j],
            lp[i],
            lp[j],
            None if ds is None else ds[i],
            None if ds is None else ds[j],
        )
        keep = llr >= thr
        ei.append(i[keep])
        ej.append(j[keep])
        ev.append(llr[keep])

    n_chunks = max(1, -(-len(cand) // chunk))
    for c in range(n_chunks):
        verify(cand[c * chunk : (c + 1) * chunk])
        if progress is not None:
            progress("fragments", c + 1, n_chunks)
    exact_pairs = 0
    if masks is not None and weak is not None:
        for part in _disjoint_pairs(masks, weak, chunk):
            exact_pairs += len(part)
            verify(part)
    ei_a = np.concatenate(ei) if ei else np.empty(0, np.int64)
    ej_a = np.concatenate(ej) if ej else np.empty(0, np.int64)
    ev_a = np.concatenate(ev) if ev else np.empty(0)
    if exact_pairs and len(ei_a):  # a pair both proposed by a band and checked exactly
        _, first = np.unique(ei_a.astype(np.int64) * n + ej_a, return_index=True)
        first.sort()
        ei_a, ej_a, ev_a = ei_a[first], ej_a[first], ev_a[first]
    groups = _groups(n, ei_a, ej_a)
    names = tuple(tuple(markers[k].name for k in b) for b in bands)
    notes: dict[str, Any] = {}
    if masks is not None and weak is not None:
        notes["exhaustive"] = {
            "pairs_checked_exactly": exact_pairs,
            "samples_without_reliable_band": int((masks == 0).sum()),
            "samples_searched_again": int(0 if weak is None else weak.sum()),
        }
    if sample_dropout:
        notes["sample_dropout"] = len(sample_dropout)
    return FragmentResult(
        tuple(ids),
        groups,
        ei_a,
        ej_a,
        ev_a,
        int(len(cand)) + exact_pairs,
        min_lr,
        tuple(model.d.tolist()),
        names,
        time.perf_counter() - t0,
        notes=notes,
    )
