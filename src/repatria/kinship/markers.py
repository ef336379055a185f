"""Markers: alleles, frequencies and mutation models.

A mutation matrix ``M`` has shape ``(n_alleles, n_alleles)``; ``M[i, j]`` is the probability that a
parent carrying allele ``i`` transmits allele ``j`` (rows sum to 1), in the marker's allele order.
The model definitions follow pedmut's published ones (Egeland, Kling, Mostad et al.):

- ``equal``: off-diagonal ``rate / (n - 1)``, diagonal ``1 - rate``;
- ``proportional``: ``a = rate / sum(p * (1 - p))``, ``M = (1 - a) I + a 1 p^T``;
- ``stepwise`` (``rate``, ``rate2``, ``range``): numeric alleles grouped by their decimal part
  (``9.3`` is in group 3, integers in group 0); within a group weights ``range ** |a_i - a_j|``
  rescaled to ``rate``; ``rate2`` spread evenly over alleles of other groups;
- ``onestep``: ``rate`` split equally between the neighbours at distance 1;
- ``trivial``: identity; ``custom``: a given matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from repatria.kinship.errors import KinshipError

__all__ = [
    "MutationModel",
    "Marker",
    "mutation_matrix",
    "mutation_model",
    "is_lumpable",
    "always_lumpable",
    "pedmut_is_lumpable",
    "FREQUENCY_TOLERANCE",
]

#: How far the allele frequencies of a marker may sum away from 1.
FREQUENCY_TOLERANCE = 1e-3

MODELS = ("equal", "proportional", "stepwise", "onestep", "trivial", "custom", "random", "dawid")


def _numeric_alleles(alleles: Sequence[str], model: str) -> np.ndarray:
    try:
        return np.array([float(a) for a in alleles])
    except ValueError:
        bad = next(a for a in alleles if not _is_number(a))
        raise KinshipError(
            f"the {model} mutation model needs numeric alleles; '{bad}' is not a number"
        ) from None


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def mutation_matrix(
    model: str,
    alleles: Sequence[str],
    afreq: Sequence[float] | np.ndarray,
    rate: float = 0.0,
    rate2: float = 0.0,
    range_: float = 0.1,
    matrix: Any = None,
) -> np.ndarray:
    """Build a mutation matrix of one of the standard models.

    Parameters
    ----------
    model : one of ``equal``, ``proportional``, ``stepwise``, ``onestep``, ``trivial``, ``custom``.
    alleles : allele labels, shape ``(n,)``.
    afreq : allele frequencies, shape ``(n,)`` (used by ``proportional``).
    rate, rate2, range_ : model parameters as in pedmut.
    matrix : the matrix, for ``custom`` (and ``random``/``dawid``, which are stored, not rebuilt).

    Returns
    -------
    ndarray, shape ``(n, n)``, rows summing to 1.

    Examples
    --------
    >>> mutation_matrix("equal", ["1", "2", "3"], [0.2, 0.3, 0.5], rate=0.02)[0].tolist()
    [0.98, 0.01, 0.01]
    """
    n = len(alleles)
    p = np.asarray(afreq, dtype=float)
    if model == "trivial":
        return np.eye(n)
    if model in ("custom", "random", "dawid"):
        if matrix is None:
            raise KinshipError(f"the {model} mutation model needs its matrix")
        m = np.asarray(matrix, dtype=float)
        if m.shape != (n, n):
            raise KinshipError(f"mutation matrix has shape {m.shape}, expected ({n}, {n})")
        return m
    if model == "equal":
        if n == 1:
            return np.ones((1, 1))
        m = np.full((n, n), rate / (n - 1))
        np.fill_diagonal(m, 1 - rate)
        return m
    if model == "proportional":
        denom = float(np.sum(p * (1 - p)))
        a = rate / denom if denom > 0 else 0.0
        return (1 - a) * np.eye(n) + a * np.outer(np.ones(n), p)
    if model == "stepwise":
        return _stepwise(_numeric_alleles(alleles, model), rate, rate2, range_)
    if model == "onestep":
        return _onestep(_numeric_alleles(alleles, model), rate)
    raise KinshipError(f"unknown mutation model '{model}'; known: {', '.join(MODELS)}")


def _stepwise(x: np.ndarray, rate: float, rate2: float, range_: float) -> np.ndarray:
    """pedmut's stepwise model on numeric alleles ``x`` (microvariants apart), shape ``(n, n)``."""
    n = len(x)
    group = np.round(10 * (x - np.round(x)))
    m = np.zeros((n, n))
    for i in range(n):
        same = group == group[i]
        same[i] = False
        other = group != group[i]
        n_other = int(other.sum())
        if same.any():
            w = np.where(same, range_ ** np.abs(x[i] - x), 0.0)
            m[i] = rate * w / w.sum()
        if n_other:
            m[i, other] = rate2 / n_other
        if not same.any():
            m[i, i] = 1 - rate2
        elif n_other == 0:
            m[i, i] = 1 - rate
        else:
            m[i, i] = 1 - rate - rate2
    return m


def _onestep(x: np.ndarray, rate: float) -> np.ndarray:
    """pedmut's one-step model on numeric alleles ``x``, shape ``(n, n)``."""
    n = len(x)
    m = np.zeros((n, n))
    for i in range(n):
        nb = np.flatnonzero(np.isclose(np.abs(x - x[i]), 1.0, rtol=0, atol=1e-9))
        if nb.size:
            m[i, nb] = rate / nb.size
            m[i, i] = 1 - rate
        else:
            m[i, i] = 1.0
    return m


@dataclass(frozen=True, eq=False)
class MutationModel:
    """A mutation matrix with the parameters it was built from.

    ``matrix`` has shape ``(n_alleles, n_alleles)``; ``params`` are kept verbatim (pedmut's
    attributes: ``model``, ``rate``, ``rate2``, ``range``, ``stationary`` ...).
    """

    matrix: np.ndarray
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=float)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise KinshipError(f"a mutation matrix must be square, got shape {m.shape}")
        if (m < -1e-12).any():
            raise KinshipError("a mutation matrix has a negative entry")
        rows = m.sum(axis=1)
        if not np.allclose(rows, 1.0, rtol=0, atol=1e-6):
            i = int(np.argmax(np.abs(rows - 1)))
            raise KinshipError(f"row {i + 1} of a mutation matrix sums to {rows[i]:.6g}, not 1")
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    @property
    def model(self) -> str:
        """The model's name (``equal``, ``stepwise``, ..., ``custom``)."""
        return str(self.params.get("model", "custom"))

    @property
    def is_trivial(self) -> bool:
        """True when the matrix is the identity (no mutation)."""
        return bool(np.array_equal(self.matrix, np.eye(len(self.matrix))))

    def is_stationary(self, afreq: np.ndarray, tol: float = 1e-12) -> bool:
        """Whether ``afreq @ M == afreq``: mutation leaves the frequencies unchanged."""
        return bool(np.allclose(afreq @ self.matrix, afreq, rtol=0, atol=tol))

    def is_reversible(self, afreq: np.ndarray, tol: float = 1e-12) -> bool:
        """Whether ``p_i M_ij == p_j M_ji`` for all alleles."""
        f = afreq[:, None] * self.matrix
        return bool(np.allclose(f, f.T, rtol=0, atol=tol))


def mutation_model(
    model: str,
    alleles: Sequence[str],
    afreq: Sequence[float] | np.ndarray,
    rate: float = 0.0,
    rate2: float = 0.0,
    range_: float = 0.1,
    matrix: Any = None,
) -> MutationModel:
    """A :class:`MutationModel` built by :func:`mutation_matrix`, recording its parameters."""
    m = mutation_matrix(model, alleles, afreq, rate=rate, rate2=rate2, range_=range_, matrix=matrix)
    params: dict[str, Any] = {"model": model, "rate": rate}
    if model == "stepwise":
        params.update(rate2=rate2, range=range_)
    return MutationModel(m, params)


def is_lumpable(matrix: np.ndarray, lump: np.ndarray, tolerance: float = 1.5e-8) -> bool:
    """Whether alleles ``lump`` (indices) can be merged into one (Kemeny–Snell strong lumpability).

    For the partition into the singletons outside ``lump`` and ``lump`` itself: every column
    outside the lump must be constant on the lump's rows, so the chance of mutating from a lumped
    allele to an observed one does not depend on which lumped allele it is. Compared as R's
    ``all.equal`` does (mean relative difference below ``tolerance``), as pedmut does.
    """
    lump = np.asarray(lump, dtype=int)
    if len(lump) < 2 or len(lump) == matrix.shape[0]:
        return True
    keep = np.setdiff1d(np.arange(matrix.shape[0]), lump)
    block = matrix[np.ix_(lump, keep)]
    return _all_equal(block, np.broadcast_to(block[0], block.shape), tolerance)


def _all_equal(current: np.ndarray, target: np.ndarray, tolerance: float) -> bool:
    """R's ``all.equal.numeric``: mean absolute difference, relative to the mean of ``target``."""
    target = np.asarray(target, dtype=float).ravel()
    current = np.asarray(current, dtype=float).ravel()
    diff = np.abs(target - current)
    if not diff.any():
        return True
    xn = float(np.mean(np.abs(target)))
    xy = float(np.mean(diff))
    if np.isfinite(xn) and xn > tolerance:
        xy /= xn
    return xy < tolerance


#: pedmut's tolerance in its lumpability checks (``sqrt(.Machine$double.eps)``), entry by entry.
PEDMUT_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def _pedmut_single_lump(matrix: np.ndarray, lump: np.ndarray) -> bool:
    """pedmut 0.9.1 ``isLumpable`` on one matrix and one lump: every entry of ``M[lump, rest]``
    within ``sqrt(eps)`` of the first lumped row's entry in its column (absolute difference)."""
    if len(lump) < 2 or len(lump) == matrix.shape[0]:
        return True  # pedmut's prepLump drops lumps of size < 2; an exhaustive lump is trivial
    rest = np.setdiff1d(np.arange(matrix.shape[0]), lump)
    block = matrix[np.ix_(lump, rest)]
    return bool(np.all(np.abs(block - block[0]) < PEDMUT_TOLERANCE))


def always_lumpable(matrix: np.ndarray | None) -> bool:
    """pedmut's ``alwaysLumpable`` on one matrix: lumpable for every allele subset.

    True for ``None`` (no mutation) and matrices of size 2 or less; otherwise each column's
    off-diagonal entries are equal (within ``sqrt(eps)``), as for ``equal`` and ``proportional``.

    >>> always_lumpable(mutation_matrix("equal", ["1", "2", "3"], [0.2, 0.3, 0.5], rate=0.1))
    True
    >>> always_lumpable(mutation_matrix("onestep", ["1", "2", "3"], [0.2, 0.3, 0.5], rate=0.1))
    False
    """
    if matrix is None or matrix.shape[0] <= 2:
        return True
    n = matrix.shape[0]
    # ``off`` is R's ``offdiag`` with ``dim = c(N - 1, N)``: column j holds M[i, j], i != j.
    off = matrix.T[~np.eye(n, dtype=bool)].reshape(n, n - 1).T
    return bool(np.all(np.abs(off - off[0]) < PEDMUT_TOLERANCE))


def pedmut_is_lumpable(
    female: np.ndarray | None, male: np.ndarray | None, lump: np.ndarray
) -> bool:
    """pedmut 0.9.1's ``isLumpable`` on a ``mutationModel`` (female and male matrices).

    As pedmut's source (``R/model_properties.R``): ``TRUE`` if the model's ``alwaysLumpable``
    attribute is set (both matrices always lumpable, :func:`always_lumpable`); otherwise the
    female matrix is lumpable for ``lump`` **or**, when the two matrices differ, the male matrix
    is. (pedmut's documentation says "both"; its code says "or", and pedprobr 1.1.0 lumps on that
    answer, lumping both matrices.) ``None`` is no mutation (identity).

    Parameters
    ----------
    female, male : mutation matrices, shape ``(n, n)``, or ``None``.
    lump : allele indices to merge.

    Examples
    --------
    A stepwise female matrix is not lumpable for ``{1, 2, 3}``; with an ``equal`` male matrix
    pedmut still says the model is:

    >>> al, p = ["1", "2", "3", "4"], [0.1, 0.2, 0.3, 0.4]
    >>> st = mutation_matrix("stepwise", al, p, rate=0.01, rate2=0.0, range_=0.1)
    >>> eq = mutation_matrix("equal", al, p, rate=0.01)
    >>> lump = np.array([1, 2, 3])
    >>> pedmut_is_lumpable(st, st, lump), pedmut_is_lumpable(st, eq, lump)
    (False, True)
    >>> is_lumpable(st, lump) and is_lumpable(eq, lump)  # the exact rule asks for both
    False
    """
    if female is None and male is None:
        return True
    size = (female if female is not None else male).shape[0]  # type: ignore[union-attr]
    f = np.eye(size) if female is None else np.asarray(female, dtype=float)
    m = np.eye(size) if male is None else np.asarray(male, dtype=float)
    sex_equal = bool(np.array_equal(f, m))
    if always_lumpable(f) and (sex_equal or always_lumpable(m)):
        return True
    lump = np.asarray(lump, dtype=int)
    test = _pedmut_single_lump(f, lump)
    if not sex_equal:
        test = test or _pedmut_single_lump(m, lump)
    return test


@dataclass(frozen=True, eq=False)
class Marker:
    """A genetic marker: allele labels, their frequencies and (optionally) a mutation model.

    Attributes
    ----------
    name : marker name, e.g. ``"D3S1358"``.
    alleles : allele labels, shape ``(n,)``, in the order of ``afreq`` and of the matrices.
    afreq : frequencies, shape ``(n,)``, summing to 1 within :data:`FREQUENCY_TOLERANCE`.
    female, male : mutation models for transmission from mothers and fathers; ``None`` means no
        mutation (identity).
    is_x : X-linked (males hemizygous).
    chrom, pos_mb : location, informative only.
    silent : the label of a silent (null) allele among ``alleles``, or ``None``: an allele that
        is inherited and mutates like any other but gives no peak (Familias' silent allele:
        ``FamiliasLocus`` "the vector may include a possible silent allele; that it is silent is
        indicated in the allelenames"). A single peak ``a`` (typed ``a/a``) is then ``a/a`` or
        ``a/silent``; two peaks ``a/b`` are ``a/b``; the silent label itself can never be typed.
        pedtools/pedprobr have no silent alleles.
    """

    name: str
    alleles: tuple[str, ...]
    afreq: np.ndarray
    female: MutationModel | None = None
    male: MutationModel | None = None
    is_x: bool = False
    chrom: str | None = None
    pos_mb: float | None = None
    silent: str | None = None

    def __post_init__(self) -> None:
        alleles = tuple(str(a) for a in self.alleles)
        object.__setattr__(self, "alleles", alleles)
        p = np.asarray(self.afreq, dtype=float).copy()
        if p.shape != (len(alleles),):
            raise KinshipError(
                f"marker {self.name}: {len(alleles)} alleles but {p.size} frequencies"
            )
        if len(set(alleles)) != len(alleles):
            dup = next(a for a in alleles if alleles.count(a) > 1)
            raise KinshipError(f"marker {self.name}: allele '{dup}' is listed twice")
        if not len(alleles):
            raise KinshipError(f"marker {self.name}: no alleles")
        if (p < 0).any() or not np.all(np.isfinite(p)):
            raise KinshipError(f"marker {self.name}: a frequency is negative or not a number")
        if abs(p.sum() - 1) > FREQUENCY_TOLERANCE:
            raise KinshipError(
                f"marker {self.name}: frequencies sum to {p.sum():.6g}, not 1 "
                f"(tolerance {FREQUENCY_TOLERANCE})"
            )
        p.setflags(write=False)
        object.__setattr__(self, "afreq", p)
        for side in ("female", "male"):
            mm = getattr(self, side)
            if mm is not None and mm.matrix.shape[0] != len(alleles):
                raise KinshipError(
                    f"marker {self.name}: {side} mutation matrix is "
                    f"{mm.matrix.shape[0]}x{mm.matrix.shape[0]} for {len(alleles)} alleles"
                )
        if self.silent is not None and str(self.silent) not in alleles:
            raise KinshipError(
                f"marker {self.name}: the silent allele '{self.silent}' is not among its alleles; "
                "add it to the frequency table with its frequency"
            )
        if self.male is None and self.female is not None:
            object.__setattr__(self, "male", self.female)
        if self.female is None and self.male is not None:
            object.__setattr__(self, "female", self.male)

    @property
    def n_alleles(self) -> int:
        """Number of alleles."""
        return len(self.alleles)

    @property
    def has_mutation(self) -> bool:
        """True when either sex has a non-trivial mutation model."""
        return any(m is not None and not m.is_trivial for m in (self.female, self.male))

    def allele_index(self, label: str, who: str | None = None) -> int:
        """The index of allele ``label`` in :attr:`alleles`.

        Raises :class:`KinshipError` for a label outside the frequency table; ``who`` (the person
        or sample carrying it) is then named in the message.
        """
        try:
            return self._index[label]
        except KeyError:
            if who is not None:
                raise KinshipError(
                    f"'{who}' carries allele '{label}' at {self.name}, which is not in its "
                    f"frequency table; add it to the table or allow unseen alleles with a minimum "
                    f"frequency"
                ) from None
            raise KinshipError(
                f"allele '{label}' is not in the frequency table of marker {self.name}; "
                f"add it to the table or map it to a known allele"
            ) from None

    @property
    def allele_indices(self) -> Mapping[str, int]:
        """Allele label -> index in :attr:`alleles` (built once; do not modify)."""
        return self._index

    @property
    def _index(self) -> dict[str, int]:
        # Kept under this name too: the formats and services layers read it.
        cache: dict[str, int] | None = self.__dict__.get("_index_cache")
        if cache is None:
            cache = {a: i for i, a in enumerate(self.alleles)}
            object.__setattr__(self, "_index_cache", cache)
        return cache

    def without_mutation(self) -> Marker:
        """The same marker with no mutation model (for exclusion counts)."""
        return Marker(
            self.name,
            self.alleles,
            self.afreq,
            None,
            None,
            self.is_x,
            self.chrom,
            self.pos_mb,
            self.silent,
        )

    def with_silent(self, label: str | None) -> Marker:
        """The same marker with ``label`` (one of its alleles) declared silent (``None``: none).

        >>> m = Marker("L", ("a", "b", "s"), [0.5, 0.4, 0.1]).with_silent("s")
        >>> m.silent, m.silent_index
        ('s', 2)
        """
        return replace(self, silent=label)

    @property
    def silent_index(self) -> int | None:
        """The index of the silent allele in :attr:`alleles`, or ``None``."""
        return None if self.silent is None else self._index[self.silent]

    def with_unseen_alleles(self, labels: Sequence[str], min_freq: float) -> Marker:
        """A copy with ``labels`` added at frequency ``min_freq`` each, the others scaled down.

        The documented alternative to an error when a profile carries an allele that the frequency
        table has not seen. Mutation models built by name (equal, proportional, stepwise, onestep,
        trivial) are rebuilt on the new alleles with the same parameters; a custom matrix cannot
        be extended and is an error.
        """
        new = [a for a in dict.fromkeys(labels) if a not in self._index]
        if not new:
            return self
        if not 0 < min_freq * len(new) < 1:
            raise KinshipError(f"minimum frequency {min_freq} is out of range")
        alleles = self.alleles + tuple(new)
        p = np.concatenate([self.afreq * (1 - min_freq * len(new)), np.full(len(new), min_freq)])

        def rebuild(mm: MutationModel | None) -> MutationModel | None:
            if mm is None:
                return None
            kind = mm.params.get("model")
            if kind is None or kind == "custom":
                raise KinshipError(
                    f"marker {self.name}: cannot add unseen alleles {new} to a custom mutation "
                    f"matrix; give the matrix with the new alleles"
                )
            return mutation_model(
                kind,
                alleles,
                p,
                rate=mm.params.get("rate", 0.0),
                rate2=mm.params.get("rate2", 0.0),
                range_=mm.params.get("range", 0.1),
            )

        female, male = rebuild(self.female), rebuild(self.male)
        return Marker(
            self.name, alleles, p, female, male, self.is_x, self.chrom, self.pos_mb, self.silent
        )


def total_rate(model: MutationModel | None, afreq: np.ndarray) -> float:
    """The overall mutation rate ``sum_i p_i (1 - M_ii)``; 0 without a model."""
    if model is None:
        return 0.0
    return float(np.sum(afreq * (1 - np.diag(model.matrix))))
