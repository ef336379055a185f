"""Lineage markers: Y-STR and mtDNA haplotypes, their frequency, and the LR of a lineage match.

A Y-STR haplotype is shared by all men of a paternal line, an mtDNA sequence by everyone of a
maternal line. They reach relatives the autosomal pedigree cannot (a paternal cousin, a great-
uncle), but they cannot tell relatives of one line apart, and their weight rests on how rare the
haplotype is, which a database can only estimate. So every figure here comes with its estimate
method and an upper confidence bound, and the LR is reported both ways.

Frequency of a haplotype seen ``x`` times in a database of ``N`` comparable haplotypes:

- ``point``: ``x / N``;
- ``augmented``: ``(x + 1) / (N + 1)``, the database with the questioned haplotype added;
- ``upper``: the one-sided Clopper–Pearson upper bound at ``confidence`` (for ``x = 0``,
  ``1 − (1 − confidence)^(1/N)``), as SWGDAM's Y-STR guidance recommends;
- ``kappa`` (Brenner 2010, for a haplotype not in the database): ``(1 − κ) / N`` with ``κ`` the
  share of the database's haplotypes seen exactly once; for a seen haplotype it is ``x / N``.

Database haplotypes that are untyped at one of the questioned haplotype's loci are not comparable
and are left out of ``N`` (stated in the result).

LR of PM haplotype ``h_pm`` against a reference ``h_ref`` of the same line, ``m`` meioses apart:
``LR = P(h_pm | h_ref, same line) / f(h_pm)``. With a per-locus mutation rate ``μ`` (stepwise,
Y-STR), ``P`` is the product over compared loci of ``(1 − μ)^m`` for a match and
``m μ (1 − μ)^(m − 1) / 2`` for a one-step difference (one mutation in ``m`` meioses, in the right
direction of two). A difference of more than one step, or more differing loci than
``max_mismatches``, is an exclusion (LR 0). mtDNA positions use ``μ = 0`` unless given: a
difference is then an exclusion (heteroplasmy is not modelled). Multi-copy Y loci (DYS385a/b)
are compared as sorted allele lists; any difference there counts as one locus differing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from repatria import __version__
from repatria.kinship.errors import KinshipError

__all__ = [
    "Haplotype",
    "y_haplotype",
    "mt_haplotype",
    "HaplotypeComparison",
    "compare_haplotypes",
    "FrequencyEstimate",
    "haplotype_frequency",
    "LineageLR",
    "lineage_lr",
]


@dataclass(frozen=True)
class Haplotype:
    """Alleles per locus (a sorted tuple; several for multi-copy loci). ``kind`` is "Y" or "mt".

    For mtDNA, ``loci`` holds the variants (position -> base) and ``read`` the positions sequenced:
    a read position with no variant listed has the reference base ("ref"), an insertion not
    listed at a read position is absent ("-"); outside ``read`` nothing is known.
    """

    loci: Mapping[str, tuple[str, ...]]
    kind: str = "Y"
    read: frozenset[int] | None = None

    def value(self, locus: str) -> tuple[str, ...] | None:
        """The alleles at ``locus``, or None when it is untyped."""
        a = self.loci.get(locus)
        if a:
            return a
        if self.kind == "mt" and self.read is not None and _position(locus) in self.read:
            return ("-",) if "." in locus else ("ref",)
        return None

    def typed_loci(self) -> set[str]:
        """Loci with a known value: listed loci, and read positions for mtDNA."""
        out = set(self.loci)
        if self.read is not None:
            out |= {str(p) for p in self.read}
        return out

    def key(self, loci: Sequence[str]) -> tuple[tuple[str, ...], ...] | None:
        """The alleles at ``loci`` in order, or None when one of them is untyped."""
        out = []
        for name in loci:
            a = self.value(name)
            if a is None:
                return None
            out.append(a)
        return tuple(out)


def _position(locus: str) -> int:
    try:
        return int(locus.split(".")[0])
    except ValueError:
        return -1


def y_haplotype(values: Mapping[str, str | Sequence[str] | None]) -> Haplotype:
    """A Y-STR haplotype from ``{locus: "14"}``; multi-copy loci as ``"13,15"`` or a list."""
    loci: dict[str, tuple[str, ...]] = {}
    for name, v in values.items():
        if v is None or v == "" or (isinstance(v, str) and v.strip() in ("", "-", "NA")):
            continue
        parts = (
            [p.strip() for p in v.split(",")] if isinstance(v, str) else [str(p).strip() for p in v]
        )
        if any(not p for p in parts):
            raise KinshipError(f"Y-STR locus {name}: empty allele in {v!r}")
        loci[str(name)] = tuple(sorted(parts, key=_allele_sort_key))
    return Haplotype(loci, "Y")


def mt_haplotype(variants: Iterable[str], positions: Iterable[int] | None = None) -> Haplotype:
    """An mtDNA haplotype from its differences to the reference sequence (``"16519C"``,
    ``"263G"``, ``"315.1C"``). ``positions``, if given, are the positions read (the range
    sequenced); each read position is a locus, the reference base where no variant is listed."""
    by_pos: dict[str, str] = {}
    for v in variants:
        v = v.strip()
        i = 0
        while i < len(v) and (v[i].isdigit() or v[i] == "."):
            i += 1
        pos, base = v[:i], v[i:]
        if not pos or not base:
            raise KinshipError(f"mtDNA variant {v!r}: expected a position and a base, as in 16519C")
        if pos in by_pos and by_pos[pos] != base:
            raise KinshipError(f"mtDNA position {pos} is given twice ({by_pos[pos]}, {base})")
        by_pos[pos] = base
    return Haplotype(
        {p: (b,) for p, b in by_pos.items()},
        "mt",
        None if positions is None else frozenset(int(p) for p in positions),
    )


def _allele_sort_key(a: str) -> tuple[int, float, str]:
    try:
        return (0, float(a), a)
    except ValueError:
        return (1, 0.0, a)


# --------------------------------------------------------------------------------------------
# comparison


@dataclass(frozen=True)
class HaplotypeComparison:
    """Loci typed in both, and those that differ with their step size (``None``: not one count
    of repeats, e.g. a microvariant, a multi-copy difference or an mtDNA base)."""

    compared: tuple[str, ...]
    differences: tuple[tuple[str, tuple[str, ...], tuple[str, ...], float | None], ...]

    @property
    def match(self) -> bool:
        """True when no compared locus differs."""
        return not self.differences


def compare_haplotypes(a: Haplotype, b: Haplotype) -> HaplotypeComparison:
    """The loci typed in both haplotypes (of the same kind), and where they differ.

    For mtDNA, a position read in both is compared even where neither lists a variant (both
    have the reference base there).

    >>> c = compare_haplotypes(y_haplotype({"DYS19": "14", "DYS390": "22"}),
    ...                        y_haplotype({"DYS19": "15", "DYS390": "22"}))
    >>> c.compared, c.differences, c.match
    (('DYS19', 'DYS390'), (('DYS19', ('14',), ('15',), 1.0),), False)
    """
    if a.kind != b.kind:
        raise KinshipError(f"cannot compare a {a.kind} haplotype with a {b.kind} haplotype")
    names = a.typed_loci() & b.typed_loci() if a.kind == "mt" else set(a.loci) & set(b.loci)
    if a.kind == "mt":  # variants of either one, where both were read
        names |= {
            n
            for n in set(a.loci) | set(b.loci)
            if a.value(n) is not None and b.value(n) is not None
        }
    values = {n: (a.value(n), b.value(n)) for n in names}
    both = {n: (x, y) for n, (x, y) in values.items() if x is not None and y is not None}
    compared = tuple(sorted(both, key=lambda n: (_position(n), n)))
    diffs = []
    for name in compared:
        x, y = both[name]
        if x != y:
            diffs.append((name, x, y, _steps(x, y) if a.kind == "Y" else None))
    return HaplotypeComparison(compared, tuple(diffs))


def _steps(x: tuple[str, ...], y: tuple[str, ...]) -> float | None:
    if len(x) != 1 or len(y) != 1:
        return None
    try:
        return abs(float(x[0]) - float(y[0]))
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# frequency


@dataclass(frozen=True)
class FrequencyEstimate:
    """How often a haplotype is seen in a database, with the estimates of the module docstring."""

    count: int
    n: int
    left_out: int  # database haplotypes untyped at a questioned locus
    point: float
    augmented: float
    upper: float
    kappa: float
    confidence: float
    loci: tuple[str, ...]
    version: str = __version__


def haplotype_frequency(
    h: Haplotype,
    database: Sequence[Haplotype],
    loci: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> FrequencyEstimate:
    """Frequency of ``h`` (at ``loci``, default all of its loci) in ``database``."""
    if not 0 < confidence < 1:
        raise KinshipError(f"confidence must be between 0 and 1, not {confidence}")
    loci = tuple(sorted(h.typed_loci())) if loci is None else tuple(loci)
    if not loci:
        raise KinshipError("the haplotype has no typed locus")
    want = h.key(loci)
    if want is None:
        raise KinshipError("the haplotype is untyped at a locus it is to be counted on")
    keys = [d.key(loci) for d in database if d.kind == h.kind]
    comparable = [k for k in keys if k is not None]
    n = len(comparable)
    if n == 0:
        raise KinshipError("no database haplotype is typed at every locus of the questioned one")
    counts = Counter(comparable)
    x = counts.get(want, 0)
    singletons = sum(1 for c in counts.values() if c == 1)
    kappa = singletons / n
    # scipy.special, not scipy.stats: importing the latter costs a second at every start-up.
    from scipy.special import betaincinv

    upper = 1.0 if x >= n else float(betaincinv(x + 1, n - x, confidence))
    return FrequencyEstimate(
        count=x,
        n=n,
        left_out=len(database) - n,
        point=x / n,
        augmented=(x + 1) / (n + 1),
        upper=upper,
        kappa=(1 - kappa) / n if x == 0 else x / n,
        confidence=confidence,
        loci=loci,
    )


# --------------------------------------------------------------------------------------------
# LR


@dataclass(frozen=True)
class LineageLR:
    """A lineage LR: with the upper-bound frequency (conservative) and the augmented one."""

    comparison: HaplotypeComparison
    frequency: FrequencyEstimate
    p_same_line: float
    lr_conservative: float  # p_same_line / frequency.upper
    lr_augmented: float  # p_same_line / frequency.augmented
    excluded: bool
    meioses: int
    parameters: Mapping[str, object] = field(default_factory=dict)
    version: str = __version__


def lineage_lr(
    pm: Haplotype,
    reference: Haplotype,
    database: Sequence[Haplotype],
    *,
    meioses: int,
    mutation_rate: float | Mapping[str, float] = 0.0,
    max_mismatches: int = 2,
    confidence: float = 0.95,
) -> LineageLR:
    """LR that ``pm`` belongs to the line of ``reference`` (``meioses`` apart) vs an unrelated man
    or woman of the population the ``database`` stands for. See the module docstring."""
    if meioses < 1:
        raise KinshipError("a relative of the same line is at least one meiosis away")
    comp = compare_haplotypes(pm, reference)
    if not comp.compared:
        raise KinshipError("the PM and the reference share no typed locus")
    freq = haplotype_frequency(pm, database, loci=comp.compared, confidence=confidence)

    def mu(locus: str) -> float:
        r = mutation_rate.get(locus, 0.0) if isinstance(mutation_rate, Mapping) else mutation_rate
        if not 0 <= r < 1:
            raise KinshipError(f"mutation rate of {locus} must be in [0, 1), not {r}")
        return r

    diff_at = {d[0]: d for d in comp.differences}
    excluded = len(comp.differences) > max_mismatches
    log_p = 0.0
    for locus in comp.compared:
        r = mu(locus)
        d = diff_at.get(locus)
        if d is None:
            log_p += meioses * math.log1p(-r)
        elif d[3] == 1.0 and r > 0:
            log_p += math.log(meioses * r / 2) + (meioses - 1) * math.log1p(-r)
        else:
            excluded = True
    p = 0.0 if excluded else math.exp(log_p)
    return LineageLR(
        comp,
        freq,
        p,
        p / freq.upper,
        p / freq.augmented,
        excluded,
        meioses,
        {
            "mutation_rate": mutation_rate,
            "max_mismatches": max_mismatches,
            "confidence": confidence,
            "kind": pm.kind,
        },
    )
