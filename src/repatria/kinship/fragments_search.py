"""The candidate search of :mod:`repatria.kinship.fragments`: banded buckets, and the pairs
no band can vouch for, checked exactly.

Samples are bucketed by their exact observations on each band of markers; two samples sharing a
bucket are a candidate pair. Two fragments of one body may differ at a marker only where one of
them lost an allele (a single peak with dropout above 0) or failed (untyped), so on a band where
both are *reliable* (every marker typed, each a heterozygote or a single peak at dropout 0) they
share the bucket. A pair of fragments the bands miss therefore has disjoint reliable-band masks:
those pairs, and only those, are checked exactly (:func:`_disjoint_pairs`), after a second search
on more bands for the samples reliable on at most half of them (:func:`_second_search`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # fragments imports this module
    from repatria.kinship.fragments import EncodedSamples, _Model

UNTYPED, SINGLE = -2, -1

#: Markers per band of the second search: triples collide by chance about as rarely as the
#: first search's bands, so its candidates stay few; more rounds make up for their reliability.
EXTRA_BAND_SIZE = 3


def _more_bands(
    bands: list[list[int]], n_markers: int, band_size: int, rounds: int
) -> list[list[int]]:
    """``rounds - 1`` more deals of the banded markers into bands, each a fixed shuffle: a
    marker then sits in several bands, so that two samples' reliable bands rarely miss each
    other (fewer pairs for the exact check) at the price of more chance collisions."""
    used = [k for b in bands for k in b] or list(range(n_markers))
    rng = np.random.default_rng(20240513)  # fixed: the same case gives the same bands
    out = []
    for _ in range(max(0, rounds - 1)):
        order = rng.permutation(used)
        out += [
            [int(x) for x in order[s : s + band_size]]
            for s in range(0, len(order) - band_size + 1, band_size)
        ]
    return out


def _candidate_pairs(
    enc: EncodedSamples,
    bands: list[list[int]],
    max_bucket: int,
    only: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` (as ``i * n + j``) that share an exact observation on some band, and
    which samples' buckets were skipped as too common (bool ``(n_samples, n_bands)``).
    ``only``: keep the pairs with at least one of these samples (bool ``(n_samples,)``)."""
    n = len(enc.ids)
    skipped = np.zeros((n, len(bands)), dtype=bool)
    radix = int(max(enc.a.max(initial=0), enc.b.max(initial=0))) + 3
    found = []
    for q, band in enumerate(bands):
        cols = np.array(band)
        a = enc.a[:, cols].astype(np.int64) + 2
        b = enc.b[:, cols].astype(np.int64) + 2
        ok = (enc.a[:, cols] != UNTYPED).all(axis=1)
        key = np.zeros(n, dtype=np.int64)
        for c in range(len(band)):
            key = key * (radix * radix) + a[:, c] * radix + b[:, c]
        idx = np.flatnonzero(ok)
        order = idx[np.argsort(key[idx], kind="stable")]
        ks = key[order]
        if len(ks) < 2:
            continue
        # Skip runs larger than max_bucket: a band value so common it does not discriminate.
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        run = np.diff(np.r_[starts, len(ks)])
        big = np.repeat(run > max_bucket, run)
        skipped[order[big], q] = True
        longest = int(run[run <= max_bucket].max(initial=1))
        for r in range(1, longest):
            same = (ks[r:] == ks[:-r]) & ~big[r:]
            i, j = order[:-r][same], order[r:][same]
            if only is not None:
                touch = only[i] | only[j]
                i, j = i[touch], j[touch]
            lo, hi = np.minimum(i, j), np.maximum(i, j)
            found.append(lo.astype(np.int64) * n + hi)
    if not found:
        return np.empty(0, dtype=np.int64), skipped
    return np.unique(np.concatenate(found)), skipped


def _second_search(
    model: _Model,
    enc: EncodedSamples,
    bands: list[list[int]],
    skipped: np.ndarray,
    cand: np.ndarray,
    max_bucket: int,
    rounds: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[int]]]:
    """The reliable-band masks after a second search for the samples the first cannot vouch
    for; returns ``(masks, weak, candidates, all bands)``.

    Two samples whose first-search masks are disjoint hold between them at most as many
    reliable bands as there are bands, so one of them holds at most half: those samples
    (``weak``) are searched again, their pairs only, on :func:`_more_bands`.
    A pair left with disjoint masks after both is checked exactly (:func:`_disjoint_pairs`).
    """
    first = _reliable_bands(model, enc, bands, skipped)
    count = sum((first >> q) & 1 for q in range(min(63, len(bands))))
    weak = np.asarray(count * 2 <= len(bands))
    if not weak.any() or len(bands) >= 63:
        return first, weak, cand, bands
    extra = _more_bands(bands, enc.a.shape[1], EXTRA_BAND_SIZE, rounds)[: 63 - len(bands)]
    if not extra:
        return first, weak, cand, bands
    more, skipped2 = _candidate_pairs(enc, extra, max_bucket, only=weak)
    masks = first | (_reliable_bands(model, enc, extra, skipped2) << len(bands))
    return masks, weak, np.union1d(cand, more), bands + extra


def _reliable_bands(
    model: _Model,
    enc: EncodedSamples,
    bands: list[list[int]],
    skipped: np.ndarray,
) -> np.ndarray:
    """Per sample, a bit mask of the bands on which any fragment of its body must show exactly
    its observations (so that the pair shares that band's bucket).

    A band is reliable for a sample when every marker of it is typed, each a heterozygote or a
    single peak at dropout 0, and the sample's bucket there was not skipped (``skipped``:
    ``(n_samples, n_bands)``). Two observations of one genotype that differ at a marker differ
    only by a lost allele: one of them is a single peak with dropout above 0, or untyped. So two
    fragments share a bucket on every band reliable for both: a pair the banded search misses
    has disjoint masks (:func:`_disjoint_pairs`).
    """
    n = len(enc.ids)
    rates = model.ds if model.ds is not None else np.broadcast_to(model.d, enc.a.shape)
    firm = (enc.a != UNTYPED) & ((enc.b >= 0) | (rates == 0))
    mask = np.zeros(n, dtype=np.int64)
    for q, band in enumerate(bands[:63]):  # later bands count as never reliable: still exact
        ok = firm[:, band].all(axis=1) & ~skipped[:, q]
        mask |= ok.astype(np.int64) << q
    return mask


def _disjoint_pairs(mask: np.ndarray, weak: np.ndarray, chunk: int) -> Iterator[np.ndarray]:
    """Pairs ``i < j`` (as ``i * n + j``) with at least one ``weak`` sample whose masks share no
    band, in chunks of about ``chunk``: the pairs the banded search cannot vouch for, checked
    exactly. (A bit test per pair, cheap beside a likelihood.)"""
    n = len(mask)
    rows_of = np.flatnonzero(weak)
    step = max(1, chunk // max(1, n))
    col = np.arange(n)
    buffer: list[np.ndarray] = []
    size = 0
    for s in range(0, len(rows_of), step):
        r = rows_of[s : s + step]
        later = (col[None, :] > r[:, None]) | ~weak[None, :]  # weak pairs once, others always
        hit = ((mask[r][:, None] & mask[None, :]) == 0) & later & (col[None, :] != r[:, None])
        i, j = np.nonzero(hit)
        if len(i):
            a, b = r[i], j
            buffer.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
            size += len(i)
        if size >= chunk:
            yield np.concatenate(buffer)
            buffer, size = [], 0
    if buffer:
        yield np.concatenate(buffer)
