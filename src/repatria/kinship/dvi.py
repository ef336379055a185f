"""A DVI problem and its pairwise analyses: LRs of every PM × MP pairing, and exclusions.

Vocabulary follows dvir: PM samples (victims), AM reference families (pedigrees with typed
relatives and untyped missing persons), ``missing`` (MPs, in a fixed order that is the column order
of every matrix), ``pairings`` (for each PM, the MPs it may be, plus ``"*"`` for nobody).

Conventions
-----------
- The pairwise LR of PM ``v`` and MP ``m`` is ``L(family with v's genotypes on m) /
  (L(family) L(v))``: H1 "v is m", H2 "v is unrelated to the family", mutation models as stored.
- Exclusion count: the number of markers whose likelihood is 0 when ``v`` is placed on ``m`` and
  mutation models are removed (forrel's ``findExclusions``). A pairing with more than
  ``max_incomp`` (default 2) is excluded.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from repatria import __version__
from repatria.kinship._numeric import BoundedCache, safe_exp_array
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex
from repatria.kinship.probability import (
    genotype_likelihoods,
    genotype_table_and_loglik,
)

__all__ = [
    "NOBODY",
    "DVIProblem",
    "DefaultPairings",
    "PairwiseResult",
    "pairwise_lr",
    "exclusion_matrix",
    "find_excluded",
    "generate_pairings",
    "pm_loglik",
]

#: The pairing "not identified".
NOBODY = "*"


@dataclass(frozen=True, eq=False)
class DVIProblem:
    """Everything a DVI analysis needs, validated.

    Attributes
    ----------
    markers : the markers, in order.
    pm : PM sample ids, in order (rows of every matrix).
    pm_sex : sex of each PM sample.
    pm_profiles : ``pm_profiles[pm][marker] -> Genotype``.
    families : ``families[famid] -> Pedigree`` (reference pedigrees with their MPs).
    am_profiles : ``am_profiles[famid][person][marker] -> Genotype`` (typed references).
    missing : MP ids in order (columns of every matrix); unique across the case.
    missing_family : the family of each MP.
    pairings : for each PM, the MPs it may be, with ``"*"``.
    """

    markers: tuple[Marker, ...]
    pm: tuple[str, ...]
    pm_sex: Mapping[str, Sex]
    pm_profiles: Mapping[str, Mapping[str, Genotype]]
    families: Mapping[str, Pedigree]
    am_profiles: Mapping[str, Mapping[str, Mapping[str, Genotype]]]
    missing: tuple[str, ...]
    missing_family: Mapping[str, str]
    pairings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if len(set(self.pm)) != len(self.pm):
            problems.append("a PM id is used twice")
        if len(set(self.missing)) != len(self.missing):
            problems.append("a missing person is listed twice")
        names = {m.name for m in self.markers}
        problems += self._missing_person_problems()
        clash = set(self.pm) & set(self.missing)
        if clash:
            problems.append(f"ids used both as PM and MP: {', '.join(sorted(clash))}")
        for who, prof in list(self.pm_profiles.items()) + [
            (f"{f}/{p}", pr) for f, d in self.am_profiles.items() for p, pr in d.items()
        ]:
            bad = set(prof) - names
            if bad:
                problems.append(f"'{who}' is typed at unknown marker(s) {', '.join(sorted(bad))}")
        if not self.pairings:
            object.__setattr__(self, "pairings", DefaultPairings(self))
        else:
            problems += self._pairing_problems()
        if problems:
            raise KinshipError("invalid DVI problem: " + "; ".join(problems))

    def _missing_person_problems(self) -> list[str]:
        problems = []
        for m in self.missing:
            fam = self.missing_family.get(m)
            if fam is None or fam not in self.families:
                problems.append(f"missing person '{m}' has no family ('{fam}')")
            elif m not in self.families[fam]:
                problems.append(f"missing person '{m}' is not in family '{fam}'")
            elif any(g is not None for g in self.am_profiles.get(fam, {}).get(m, {}).values()):
                problems.append(f"missing person '{m}' is typed; a missing person has no profile")
        return problems

    def _pairing_problems(self) -> list[str]:
        problems = []
        for v in self.pm:
            for m in self.pairings.get(v, ()):
                if m != NOBODY and m not in self.missing_family:
                    problems.append(f"pairing {v} → '{m}': no such missing person")
        missing_pm = [v for v in self.pm if v not in self.pairings]
        if missing_pm:
            problems.append(f"no pairings for PM {', '.join(missing_pm[:5])}")
        return problems

    # --- derived ------------------------------------------------------------------------------
    @cached_property
    def family_missing(self) -> dict[str, tuple[str, ...]]:
        """The MPs of each family, in ``missing`` order."""
        out: dict[str, list[str]] = {f: [] for f in self.families}
        for m in self.missing:
            out[self.missing_family[m]].append(m)
        return {f: tuple(v) for f, v in out.items()}

    def allowed(self, pm: str, mp: str) -> bool:
        """Is ``mp`` among the pairings of PM ``pm``?"""
        return mp in self.pairings[pm]

    def subset(
        self,
        pm: Sequence[str] | None = None,
        missing: Sequence[str] | None = None,
        pairings: Mapping[str, Sequence[str]] | None = None,
    ) -> DVIProblem:
        """A smaller problem: the given PMs and MPs (families without MPs left out)."""
        pm_keep = tuple(v for v in self.pm if pm is None or v in set(pm))
        mp_keep = tuple(m for m in self.missing if missing is None or m in set(missing))
        fams = {self.missing_family[m] for m in mp_keep}
        src = pairings if pairings is not None else self.pairings
        pair = {v: tuple(x for x in src[v] if x == NOBODY or x in mp_keep) for v in pm_keep}
        return DVIProblem(
            self.markers,
            pm_keep,
            {v: self.pm_sex[v] for v in pm_keep},
            {v: self.pm_profiles.get(v, {}) for v in pm_keep},
            {f: p for f, p in self.families.items() if f in fams},
            {f: p for f, p in self.am_profiles.items() if f in fams},
            mp_keep,
            {m: self.missing_family[m] for m in mp_keep},
            pair,
        )

    @cached_property
    def pm_alleles(self) -> dict[str, set[str]]:
        """Alleles carried by any PM sample, per marker."""
        out: dict[str, set[str]] = {m.name: set() for m in self.markers}
        for prof in self.pm_profiles.values():
            for name, g in prof.items():
                out[name].update(a for a in g if a is not None)
        return out

    @cached_property
    def pm_logliks(self) -> dict[str, np.ndarray]:
        """Per-marker log-likelihood of each PM sample alone (Hardy–Weinberg)."""
        return {
            v: pm_loglik(self.markers, self.pm_profiles.get(v, {}), self.pm_sex[v]) for v in self.pm
        }


def generate_pairings(problem: DVIProblem, ignore_sex: bool = False) -> dict[str, tuple[str, ...]]:
    """dvir's default pairings: ``"*"`` and every MP of compatible sex (unknown fits all)."""
    out = {}
    for v in problem.pm:
        sv = problem.pm_sex[v]
        mps = []
        for m in problem.missing:
            sm = problem.families[problem.missing_family[m]][m].sex
            if ignore_sex or sv == Sex.UNKNOWN or sm == Sex.UNKNOWN or sv == sm:
                mps.append(m)
        out[v] = (NOBODY, *mps)
    return out


class DefaultPairings(Mapping[str, tuple[str, ...]]):
    """:func:`generate_pairings` built per PM on first use.

    A screen of 10^4 PMs × 10^4 MPs would otherwise hold 10^8 pairings before anything is computed;
    the values are those of :func:`generate_pairings`. Screening code recognises this class and
    applies the sex rule to whole arrays instead.
    """

    def __init__(self, problem: DVIProblem) -> None:
        self._problem = problem
        self._cache: dict[str, tuple[str, ...]] = {}

    def __getitem__(self, pm: str) -> tuple[str, ...]:
        hit = self._cache.get(pm)
        if hit is None:
            p = self._problem
            if pm not in p.pm_sex:
                raise KeyError(pm)
            sv = p.pm_sex[pm]
            hit = self._cache[pm] = (
                NOBODY,
                *[m for m in p.missing if _sex_compatible(sv, _mp_sex(p, m))],
            )
        return hit

    def __iter__(self) -> Iterator[str]:
        return iter(self._problem.pm)

    def __len__(self) -> int:
        return len(self._problem.pm)


def _mp_sex(problem: DVIProblem, mp: str) -> Sex:
    return problem.families[problem.missing_family[mp]][mp].sex


def _sex_compatible(a: Sex, b: Sex) -> bool:
    return a == Sex.UNKNOWN or b == Sex.UNKNOWN or a == b


def pm_loglik(markers: Sequence[Marker], profile: Mapping[str, Genotype], sex: Sex) -> np.ndarray:
    """Per-marker log-probability of one unrelated person's genotypes (Hardy–Weinberg)."""
    out = np.zeros(len(markers))
    for k, m in enumerate(markers):
        g = profile.get(m.name)
        if g is None:
            continue
        out[k] = math.log(_genotype_probability(m, g, sex, who="PM sample"))
    return out


def _genotype_probability(m: Marker, g: Genotype, sex: Sex, who: str) -> float:
    p = m.afreq
    a = None if g[0] is None else m.allele_index(g[0])
    b = None if g[1] is None else m.allele_index(g[1])
    if m.is_x and sex == Sex.MALE:
        if a is not None and b is not None and a != b:
            raise KinshipError(f"{who}: male heterozygous at X-linked marker {m.name}")
        return float(p[a if a is not None else b])
    if a is None or b is None:
        x = a if a is not None else b
        return float(2 * p[x] - p[x] ** 2)
    return float(p[a] ** 2 if a == b else 2 * p[a] * p[b])


@dataclass(frozen=True, eq=False)
class PairwiseResult:
    """Pairwise LRs of every PM × MP pairing.

    Attributes
    ----------
    pm, missing : row and column ids.
    log_lr : natural-log LR, shape ``(n_pm, n_missing)``; ``nan`` where the pairing is not allowed.
    log_lr_per_marker : shape ``(n_pm, n_missing, n_markers)``.
    exclusions : number of markers inconsistent without mutation, shape ``(n_pm, n_missing)``;
        ``-1`` where the pairing is not allowed.
    family_loglik : per-marker log-likelihood of each reference family alone.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    markers: tuple[str, ...]
    log_lr: np.ndarray
    log_lr_per_marker: np.ndarray
    exclusions: np.ndarray
    family_loglik: Mapping[str, np.ndarray]
    version: str = __version__

    @property
    def lr(self) -> np.ndarray:
        """LR, shape ``(n_pm, n_missing)``; ``inf`` beyond the float range."""
        return safe_exp_array(self.log_lr)

    @property
    def lr_per_marker(self) -> np.ndarray:
        """LR per marker, shape ``(n_pm, n_missing, n_markers)``."""
        return safe_exp_array(self.log_lr_per_marker)


@dataclass(frozen=True, eq=False)
class _FamilyTables:
    """For one family and marker: the family's likelihood and its MPs' genotype tables."""

    loglik: np.ndarray  # (n_markers,)
    tables: dict[str, list[np.ndarray]]  # mp -> per marker (n, n) joint P(data, MP genotype)
    row_sums: dict[str, list[np.ndarray]]  # mp -> per marker (n,) P(data, MP carries a and any)
    patterns: dict[str, list[_NoMutationPattern]]


def _family_tables(problem: DVIProblem, famid: str) -> _FamilyTables:
    """A family's likelihood per marker, and for each of its MPs the table of every genotype."""
    ped = problem.families[famid]
    prof = problem.am_profiles.get(famid, {})
    pm_alleles = problem.pm_alleles
    tables: dict[str, list[np.ndarray]] = {}
    row_sums: dict[str, list[np.ndarray]] = {}
    patterns: dict[str, list[_NoMutationPattern]] = {}
    ll = np.zeros(len(problem.markers))
    for mp in problem.family_missing[famid]:
        tables[mp], row_sums[mp], patterns[mp] = [], [], []
        for k, m in enumerate(problem.markers):
            geno = {pid: pr[m.name] for pid, pr in prof.items() if pr.get(m.name) is not None}
            # Only genotypes the PM samples carry are looked up: the rest may be lumped. The
            # table sums to the family's own likelihood.
            table, ll[k], rows, pattern = _marker_table(ped, m, geno, mp, pm_alleles[m.name])
            tables[mp].append(table)
            row_sums[mp].append(rows)
            patterns[mp].append(pattern)
    return _FamilyTables(ll, tables, row_sums, patterns)


@dataclass(frozen=True, eq=False)
class _TableEntry:
    """One cached MP genotype table, and what it was computed for."""

    # The pedigree and marker are held, so their ids cannot be reused while the entry lives.
    ped: Pedigree
    marker: Marker
    alleles: frozenset[str]  # the PM alleles the table answers for
    table: np.ndarray  # (n, n)
    loglik: float
    rows: np.ndarray  # (n,)
    pattern: _NoMutationPattern


_TableKey = tuple[int, int, str, tuple[tuple[str, Genotype], ...]]

#: Bytes of tables the cache below may hold.
_TABLE_CACHE_LIMIT = 128 * 2**20

# dviSolve-style workflows ask for the pairwise LRs again and again on problems that differ in a
# few families and have fewer PMs each time. A table computed for a larger set of PM alleles is
# still exact for a smaller one (fewer alleles lumped), so unchanged families are not recomputed.
# Bounded by the bytes of its tables only, least recently used first out.
_TABLE_CACHE: BoundedCache[_TableKey, _TableEntry] = BoundedCache(
    max_items=sys.maxsize, max_weight=_TABLE_CACHE_LIMIT, weight=lambda e: e.table.nbytes
)


def _marker_table(
    ped: Pedigree, m: Marker, geno: Mapping[str, Genotype], mp: str, alleles: set[str]
) -> tuple[np.ndarray, float, np.ndarray, _NoMutationPattern]:
    """An MP's genotype table at one marker, the family's log-likelihood, row sums and pattern.

    A cached table is reused when it was computed for the same pedigree, marker, MP and
    reference genotypes, and for a superset of ``alleles``.
    """
    key = (id(ped), id(m), mp, tuple(sorted(geno.items(), key=lambda kv: kv[0])))
    hit = _TABLE_CACHE.get(key)
    if hit is not None and hit.ped is ped and hit.marker is m and alleles <= hit.alleles:
        return hit.table, hit.loglik, hit.rows, hit.pattern
    table, ll, rows = genotype_table_and_loglik(ped, m, geno, mp, alleles=alleles)
    pattern = _NoMutationPattern(ped, m, geno, mp)
    _TABLE_CACHE.put(key, _TableEntry(ped, m, frozenset(alleles), table, ll, rows, pattern))
    return table, ll, rows, pattern


class _NoMutationPattern:
    """Which MP genotypes are possible without mutation (for exclusion counts).

    Without mutation, possibility is a matter of allele identity alone, not of frequencies or
    labels: alleles no reference carries are exchangeable (a genotype made of them is decided by
    whether its two alleles are equal), and the references' alleles can be renamed in order of
    first appearance. So the question is asked once on a tiny marker (the references' alleles
    plus two stand-ins) and shared by every family and marker with the same pedigree shape and
    the same pattern of alleles.
    """

    #: Possibility tables by (pedigree shape, MP position, canonical genotypes, alleles, X).
    _cache: ClassVar[BoundedCache[Hashable, np.ndarray]] = BoundedCache(50_000)

    def __init__(self, ped: Pedigree, m: Marker, geno: Mapping[str, Genotype], mp: str) -> None:
        order = [ind.id for ind in ped]
        pos = {pid: i for i, pid in enumerate(order)}
        code: dict[str, int] = {}
        canon: list[tuple[int, tuple[int, int]]] = []

        def canonical(a: str | None) -> int:
            return -1 if a is None else code.setdefault(a, len(code))

        for pid in order:
            g = geno.get(pid)
            if g is None:
                continue
            cg = (canonical(g[0]), canonical(g[1]))  # in this order: codes by first appearance
            canon.append((pos[pid], cg))
        k = len(code)
        self.code = np.full(m.n_alleles, -1, dtype=np.intp)
        for a, c in code.items():
            self.code[m.allele_index(a)] = c
        self.x, self.y = k, k + 1
        shape = tuple(
            (pos[i.father] if i.father else -1, pos[i.mother] if i.mother else -1, int(i.sex))
            for i in ped
        )
        key = (shape, pos[mp], tuple(canon), k, m.is_x)
        table = self._cache.get(key)
        if table is None:
            labels = tuple(str(i) for i in range(k + 2))
            tiny = Marker(m.name, labels, np.full(k + 2, 1.0 / (k + 2)), None, None, m.is_x)
            cgeno: dict[str, Genotype] = {
                order[i]: (
                    None if cg[0] < 0 else labels[cg[0]],
                    None if cg[1] < 0 else labels[cg[1]],
                )
                for i, cg in canon
            }
            table = genotype_likelihoods(ped, tiny, cgeno, mp) > 0
            self._cache.put(key, table)
        self.table = table

    def possible_partial(self, a: int) -> bool:
        """Is some genotype carrying allele ``a`` (the other allele lost) possible?

        Every allele maps to one of the table's codes (its own, or a stand-in for the alleles no
        reference carries, the second stand-in being "another such allele"), so the row of ``a``'s
        code covers every partner allele.
        """
        c = self.code[a]
        return bool(self.table[self.x if c < 0 else c].any())

    def possible(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ca, cb = self.code[a], self.code[b]
        ua, ub = ca < 0, cb < 0
        a2 = np.where(ua, self.x, ca)
        b2 = np.where(ub, np.where(ua & (a != b), self.y, self.x), cb)
        return self.table[a2, b2]


def _lookup(m: Marker, table: np.ndarray, g: Genotype, row_sums: np.ndarray | None = None) -> float:
    """The table's value for ``g``; a genotype with one allele unknown is that allele's row sum
    (``row_sums`` when the table has lumped alleles, whose columns it does not show)."""
    a = None if g[0] is None else m.allele_index(g[0])
    b = None if g[1] is None else m.allele_index(g[1])
    if a is None or b is None:
        x = a if a is not None else b
        return float(row_sums[x]) if row_sums is not None else float(np.nansum(table[x]))
    return float(table[a, b])


@dataclass(frozen=True, eq=False)
class _PMArrays:
    """PM genotypes as allele indices, shape ``(n_pm, n_markers)``; -1 where untyped."""

    a: np.ndarray
    b: np.ndarray
    typed: np.ndarray  # bool
    partial: np.ndarray  # bool: one allele unknown (looked up one by one)
    loglik: np.ndarray  # log P(genotype) of each PM alone, 0 where untyped


def _pm_arrays(problem: DVIProblem) -> _PMArrays:
    n_pm, n_mk = len(problem.pm), len(problem.markers)
    a = np.full((n_pm, n_mk), -1, dtype=np.intp)
    b = np.full((n_pm, n_mk), -1, dtype=np.intp)
    partial = np.zeros((n_pm, n_mk), dtype=bool)
    for i, v in enumerate(problem.pm):
        prof = problem.pm_profiles.get(v, {})
        for k, m in enumerate(problem.markers):
            g = prof.get(m.name)
            if g is None:
                continue
            if g[0] is None or g[1] is None:
                partial[i, k] = True
                continue
            a[i, k], b[i, k] = m.allele_index(g[0]), m.allele_index(g[1])
    loglik = np.stack([problem.pm_logliks[v] for v in problem.pm]) if n_pm else np.zeros((0, n_mk))
    return _PMArrays(a, b, (a >= 0) | partial, partial, loglik)


def pairwise_lr(problem: DVIProblem) -> PairwiseResult:
    """LR of every allowed pairing, with per-marker values and exclusion counts.

    Each family is evaluated once per marker for every genotype its MP could have; each PM is then
    a lookup (vectorised over PMs), so the cost grows with families × markers, not PM × MP.
    """
    # Thousands of small contractions: BLAS threads only add overhead and steal the other core.
    with threadpool_limits(limits=1, user_api="blas"):
        return _pairwise_lr(problem)


def _pairwise_lr(problem: DVIProblem) -> PairwiseResult:
    markers = problem.markers
    n_pm, n_mp, n_mk = len(problem.pm), len(problem.missing), len(markers)
    log_lr = np.full((n_pm, n_mp), np.nan)
    per_marker = np.full((n_pm, n_mp, n_mk), np.nan)
    excl = np.full((n_pm, n_mp), -1, dtype=int)
    fam_ll: dict[str, np.ndarray] = {}
    col = {m: j for j, m in enumerate(problem.missing)}
    arr = _pm_arrays(problem)
    full = arr.typed & ~arr.partial
    ia, ib = np.where(full, arr.a, 0), np.where(full, arr.b, 0)
    for famid in problem.families:
        if not problem.family_missing[famid]:
            continue
        ft = _family_tables(problem, famid)
        fam_ll[famid] = ft.loglik
        refs_impossible_nomut = _refs_impossible_without_mutation(problem, famid, ft, arr)
        for mp in problem.family_missing[famid]:
            j = col[mp]
            allowed = np.array([problem.allowed(v, mp) for v in problem.pm], dtype=bool)
            if not allowed.any():
                continue
            lrs = np.zeros((n_pm, n_mk))
            count = np.zeros(n_pm, dtype=int)
            for k, m in enumerate(markers):
                t = ft.tables[mp][k]
                joint = t[ia[:, k], ib[:, k]]
                possible = ft.patterns[mp][k].possible(ia[:, k], ib[:, k])
                for i in np.flatnonzero(arr.partial[:, k]):
                    g = problem.pm_profiles[problem.pm[i]][m.name]
                    known = g[0] if g[0] is not None else g[1]
                    if known is None:
                        raise KinshipError(
                            f"PM sample '{problem.pm[i]}' is typed at {m.name} with no allele"
                        )
                    joint[i] = _lookup(m, t, g, ft.row_sums[mp][k])
                    possible[i] = ft.patterns[mp][k].possible_partial(m.allele_index(known))
                with np.errstate(divide="ignore", invalid="ignore"):
                    val = np.log(joint) - ft.loglik[k] - arr.loglik[:, k]
                lrs[:, k] = np.where(arr.typed[:, k], val, 0.0)
                count += np.where(arr.typed[:, k], ~possible, refs_impossible_nomut[k])
            per_marker[allowed, j] = lrs[allowed]
            with np.errstate(invalid="ignore"):
                log_lr[allowed, j] = lrs[allowed].sum(axis=1)
            excl[allowed, j] = count[allowed]
    return PairwiseResult(
        problem.pm,
        problem.missing,
        tuple(m.name for m in markers),
        log_lr,
        per_marker,
        excl,
        fam_ll,
    )


def _refs_impossible_without_mutation(
    problem: DVIProblem, famid: str, ft: _FamilyTables, arr: _PMArrays
) -> np.ndarray:
    """Per marker: are the references alone inconsistent without mutation? (Only asked where some
    PM is untyped: there the exclusion count depends on it.)

    The references' likelihood is the sum of the MP's genotype table, so it is zero exactly when
    no MP genotype is possible: the no-mutation pattern table already says so.
    """
    out = np.zeros(len(problem.markers), dtype=bool)
    mp = problem.family_missing[famid][0]
    for k in range(len(problem.markers)):
        if not arr.typed[:, k].all():
            out[k] = not ft.patterns[mp][k].table.any()
    return out


def exclusion_matrix(problem: DVIProblem, pairwise: PairwiseResult | None = None) -> np.ndarray:
    """Number of inconsistent markers per pairing (``-1`` where not allowed)."""
    return (pairwise or pairwise_lr(problem)).exclusions


@dataclass(frozen=True)
class Excluded:
    """What :func:`find_excluded` rules out, and the pairings that remain.

    Attributes
    ----------
    pm, missing : the PMs and MPs with no pairing left (each has more than ``max_incomp``
        inconsistent markers with every allowed partner, or has no allowed partner), in order.
    families : the families left with no MP.
    pairings : for every PM still in, ``"*"`` and the MPs it may still be.
    n_pairings_excluded : the pairings with more than ``max_incomp`` inconsistent markers, over
        the whole matrix.
    pm_fewest, missing_fewest : for each excluded PM and MP, the smallest number of inconsistent
        markers over its allowed pairings (``None``: no pairing was allowed).
    n_individual_excluded : the excluded pairings between a PM and an MP that both stay in
        (dvir's "Excluded N individual pairings").
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    families: tuple[str, ...]
    pairings: dict[str, tuple[str, ...]]
    n_pairings_excluded: int
    pm_fewest: dict[str, int | None] = field(default_factory=dict)
    missing_fewest: dict[str, int | None] = field(default_factory=dict)
    n_individual_excluded: int = 0


def _fewest(counts: np.ndarray) -> int | None:
    """The smallest count among allowed pairings (``>= 0``); ``None`` if none is allowed."""
    allowed = counts[counts >= 0]
    return int(allowed.min()) if allowed.size else None


def find_excluded(
    problem: DVIProblem, max_incomp: int = 2, pairwise: PairwiseResult | None = None
) -> Excluded:
    """PMs and MPs excluded against everyone, and the pairings left (dvir's ``findExcluded``).

    Parameters
    ----------
    problem : the case.
    max_incomp : a pairing with more markers inconsistent without mutation than this is excluded.
    pairwise : the pairwise analysis of ``problem``, if already computed (its ``exclusions``,
        shape ``(n_pm, n_missing)``, ``-1`` where a pairing is not allowed, are used).

    Returns
    -------
    Excluded
        The excluded PMs and MPs (with their smallest counts), and the pairings left.
    """
    ex = exclusion_matrix(problem, pairwise)
    ok = (ex >= 0) & (ex <= max_incomp)
    pm_in = np.asarray(ok.any(axis=1), dtype=bool)  # shape (n_pm,): some pairing is left
    mp_in = np.asarray(ok.any(axis=0), dtype=bool)  # shape (n_missing,)
    pm_out = tuple(v for i, v in enumerate(problem.pm) if not pm_in[i])
    mp_out = tuple(m for j, m in enumerate(problem.missing) if not mp_in[j])
    keep_mp = [m for m in problem.missing if m not in mp_out]
    fam_out = tuple(
        f for f in problem.families if not any(problem.missing_family[m] == f for m in keep_mp)
    )
    pairings = {
        v: (NOBODY, *[m for j, m in enumerate(problem.missing) if ok[i, j]])
        for i, v in enumerate(problem.pm)
        if v not in pm_out
    }
    too_many = ex > max_incomp
    return Excluded(
        pm_out,
        mp_out,
        fam_out,
        pairings,
        int(too_many.sum()),
        pm_fewest={v: _fewest(ex[i]) for i, v in enumerate(problem.pm) if not pm_in[i]},
        missing_fewest={
            m: _fewest(ex[:, j]) for j, m in enumerate(problem.missing) if not mp_in[j]
        },
        n_individual_excluded=int(too_many[np.ix_(pm_in, mp_in)].sum()),
    )
