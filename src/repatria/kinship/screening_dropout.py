"""Screening tables for PM samples under a dropout model: extra rows in the flat table.

A PM typed under a dropout model (:mod:`repatria.kinship.dropout`) shows *peaks* ``S``, not a
genotype; its numerator at a marker is ``sum_G T[G] P(S | G)`` over the MP's genotype table
``T[G] = P(refs, MP = G) / P(refs)``. ``P(S | G)`` takes few distinct values, so the sum is a
handful of entries the table already holds: the genotype codes ``aa``, ``bb``, ``ab`` and the row
sums ``R_a`` (every genotype containing ``a``, lumped alleles included). With dropout ``d`` and
drop-in ``c``:

- one peak ``a`` (diploid MP): ``(1 - c)(1 - d)(T_aa + d R_a) + d² c p_a (1 - R_a)``;
- one peak ``a`` (a male MP at an X marker): ``(1 - d)(1 - c) T_a + d c p_a (1 - T_a)``;
- two peaks ``a, b``: ``(1 - d)² (1 - c) T_ab + (1 - d²) c (p_b T_aa + p_a T_bb)
  + d (1 - d) c (p_b (R_a - T_aa - T_ab) + p_a (R_b - T_bb - T_ab))``; two peaks on a male's one
  X allele are impossible (as without the model).

(``T`` sums to 1 over all genotypes, so ``1 - R_a`` is the mass of the genotypes without ``a``.)
Each distinct ``(marker, peaks, d, c)`` among the PMs gets one row per marker, appended after the
marker's genotype rows, so that a modelled PM is still one code per marker and every product of
:mod:`repatria.kinship.screening` (scores, per-marker LRs, exclusions) is unchanged. A PM with
``d = c = 0`` needs no row: its single peak is the homozygote's code.

Exclusions under the model: a marker counts where no genotype the MP can have without mutation
gives the peaks a probability above 0 (``P(S | G) > 0``): for one peak ``a`` with ``c = 0`` some
genotype with ``a``; with ``d, c > 0`` any genotype at all; for two peaks with ``c = 0`` only
``ab``; with ``c > 0`` also ``aa`` or ``bb`` (and with ``d > 0`` any genotype with ``a`` or ``b``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype

__all__ = ["ModelledPeaks", "modelled_peaks", "model_rows"]

#: One modelled observation at a marker: allele labels ``(a, b)`` (``b`` ``None`` for one peak,
#: ``a <= b`` by allele index otherwise), dropout, drop-in.
ModelledPeaks = tuple[str, str | None, float, float]


def needs_rows(model: DropoutModel | None) -> bool:
    """Whether a PM under ``model`` is scored through extra rows (dropout or drop-in above 0)."""
    return model is not None and model.any_dropout


def peaks_key(m: Marker, g: Genotype, model: DropoutModel) -> ModelledPeaks:
    """The :data:`ModelledPeaks` of genotype ``g`` at ``m`` under ``model``."""
    seen = sorted({x for x in g if x is not None}, key=m.allele_index)
    if not seen:
        raise KinshipError("an untyped marker has no peaks")
    here = model.at(m.name)
    return (seen[0], seen[1] if len(seen) > 1 else None, here.dropout, here.drop_in)


def modelled_peaks(
    markers: Sequence[Marker],
    pm_profiles: Mapping[str, Mapping[str, Genotype]],
    pm_dropout: Mapping[str, DropoutModel],
) -> dict[str, list[ModelledPeaks]]:
    """Per marker name, the distinct modelled observations of the PMs (first-seen order)."""
    out: dict[str, dict[ModelledPeaks, None]] = {m.name: {} for m in markers}
    for v, model in pm_dropout.items():
        if not needs_rows(model):
            continue
        prof = pm_profiles.get(v, {})
        for m in markers:
            g = prof.get(m.name)
            if g is None or (g[0] is None and g[1] is None):
                continue
            if m.silent_index is not None:
                raise KinshipError(
                    f"{m.name} has a silent allele and PM sample '{v}' a dropout model; the two "
                    f"are not combined"
                )
            out[m.name][peaks_key(m, g, model)] = None
    return {k: list(v) for k, v in out.items()}


def _pair(x: int, y: int) -> int:
    """Genotype code of alleles coded ``x`` and ``y`` (see :mod:`.screening`)."""
    lo, hi = min(x, y), max(x, y)
    return hi * (hi + 1) // 2 + lo


def model_rows(
    m: Marker,
    labels: tuple[int, ...],
    block: np.ndarray,
    impossible: np.ndarray | None,
    refs_impossible: np.ndarray | None,
    hemizygous: np.ndarray,
    peaks: Sequence[ModelledPeaks],
) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows of ``peaks`` at marker ``m`` from its genotype rows ``block``.

    Parameters
    ----------
    labels : the coded allele indices (code order), as in the tables.
    block : ``(n_codes, n_missing)`` log genotype rows of the marker (pairs, then row sums).
    impossible, refs_impossible : the marker's exclusion rows and per-column flags, or ``None``.
    hemizygous : ``(n_missing,)`` bool, the MP has one allele here (a male at an X marker).

    Returns
    -------
    ``(values (len(peaks), n_missing), impossible (len(peaks), n_missing) float32 or None)``.
    """
    nk = len(labels)
    code = {a: c for c, a in enumerate(labels)}
    n_pairs = nk * (nk + 1) // 2
    n_mp = block.shape[1]
    vals = np.empty((len(peaks), n_mp))
    bad = None if impossible is None else np.empty((len(peaks), n_mp), dtype=np.float32)
    p = m.afreq

    t = np.exp(block)
    possible_any = None if refs_impossible is None else ~refs_impossible
    ok_rows = None if impossible is None else impossible < 0.5
    with np.errstate(divide="ignore"):
        for r, (la, lb, d, c) in enumerate(peaks):
            ia = m.allele_index(la)
            a = code.get(ia)
            b = None if lb is None else code.get(m.allele_index(lb))
            if a is None or (lb is not None and b is None):  # not reached: PM alleles are coded
                raise KinshipError(f"screening tables at {m.name}: a PM allele has no code")
            pa = float(p[ia])
            t_aa, r_a = t[_pair(a, a)], t[n_pairs + a]
            if lb is None or b is None:
                dip = (1 - c) * (1 - d) * (t_aa + d * r_a) + d * d * c * pa * np.maximum(
                    1 - r_a, 0.0
                )
                hem = (1 - d) * (1 - c) * t_aa + d * c * pa * np.maximum(1 - t_aa, 0.0)
                v = np.where(hemizygous, hem, dip)
            else:
                pb = float(p[m.allele_index(lb)])
                t_bb, r_b, t_ab = t[_pair(b, b)], t[n_pairs + b], t[_pair(a, b)]
                v = (
                    (1 - d) ** 2 * (1 - c) * t_ab
                    + (1 - d * d) * c * (pb * t_aa + pa * t_bb)
                    + d
                    * (1 - d)
                    * c
                    * (
                        pb * np.maximum(r_a - t_aa - t_ab, 0.0)
                        + pa * np.maximum(r_b - t_bb - t_ab, 0.0)
                    )
                )
                v = np.where(hemizygous, 0.0, v)
            vals[r] = np.log(v)
            if bad is None or ok_rows is None or possible_any is None:
                continue
            ok = _possible(ok_rows, possible_any, a, b, n_pairs, d, c, hemizygous)
            bad[r] = ~ok
    return vals, bad


def _possible(
    ok_rows: np.ndarray,
    possible_any: np.ndarray,
    a: int,
    b: int | None,
    n_pairs: int,
    d: float,
    c: float,
    hemizygous: np.ndarray,
) -> np.ndarray:
    """Columns where the peaks have a probability above 0 without mutation (module docstring)."""
    ok_aa = ok_rows[_pair(a, a)]
    if b is None:
        if c > 0 and d > 0:
            dip = possible_any
        elif c > 0:
            dip = ok_aa
        else:
            dip = ok_rows[n_pairs + a]
        hem = ok_aa | (possible_any if c > 0 and d > 0 else False)
        out: np.ndarray = np.where(hemizygous, hem, dip)
        return out
    ok_ab = ok_rows[_pair(a, b)]
    if c > 0 and d > 0:
        dip = ok_rows[n_pairs + a] | ok_rows[n_pairs + b]
    elif c > 0:
        dip = ok_ab | ok_aa | ok_rows[_pair(b, b)]
    else:
        dip = ok_ab
    out = np.where(hemizygous, False, dip)
    return out
