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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from repatria import __version__
from repatria.kinship._numeric import safe_exp_array
from repatria.kinship.dropout import DropoutModel, peak_probability
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex

if TYPE_CHECKING:  # screening imports this module; it is loaded when pairwise_lr first runs
    from repatria.kinship.screening import EncodedPM, ScreeningTables, TableCache

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
    pm_dropout : per PM sample, its dropout model (:mod:`repatria.kinship.dropout`); a PM not in
        it is typed exactly (``a/-``: one allele unknown, any partner), as before the model.
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
    pm_dropout: Mapping[str, DropoutModel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        stray = set(self.pm_dropout) - set(self.pm)
        if stray:
            problems.append(f"dropout given for unknown PM(s) {', '.join(sorted(stray)[:5])}")
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
            {v: d for v, d in self.pm_dropout.items() if v in pm_keep},
        )

    def with_dropout(self, models: Mapping[str, DropoutModel]) -> DVIProblem:
        """The same problem with these PM samples typed under dropout models (the others
        exactly); default pairings stay default."""
        return DVIProblem(
            self.markers,
            self.pm,
            self.pm_sex,
            self.pm_profiles,
            self.families,
            self.am_profiles,
            self.missing,
            self.missing_family,
            {} if isinstance(self.pairings, DefaultPairings) else self.pairings,
            dict(models),
        )

    def with_am_profiles(
        self, am_profiles: Mapping[str, Mapping[str, Mapping[str, Genotype]]]
    ) -> DVIProblem:
        """The same problem with other reference profiles. What is known of its PM samples
        (their own likelihoods, their alleles) is kept, not computed again: leaving references
        out one by one (:mod:`.checks_misattributed`) asks for hundreds of such problems."""
        new = replace(self, am_profiles=dict(am_profiles))
        new.__dict__["pm_alleles"] = self.pm_alleles  # cached properties: computed once here
        new.__dict__["pm_logliks"] = self.pm_logliks
        return new

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
            v: pm_loglik(
                self.markers, self.pm_profiles.get(v, {}), self.pm_sex[v], self.pm_dropout.get(v)
            )
            for v in self.pm
        }

    def placed_dropout(self, placed: Iterable[tuple[str, str]]) -> dict[str, DropoutModel] | None:
        """The dropout models of PMs placed on MPs, by MP id (``(pm, mp)`` pairs), for
        :func:`repatria.kinship.probability.likelihood`; ``None`` when none has a model."""
        out = {m: self.pm_dropout[v] for v, m in placed if v in self.pm_dropout}
        return out or None


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
        self._by_sex: dict[Sex, tuple[str, ...]] = {}

    @property
    def problem(self) -> DVIProblem:
        """The problem whose pairings these are."""
        return self._problem

    def __getitem__(self, pm: str) -> tuple[str, ...]:
        hit = self._cache.get(pm)
        if hit is None:
            p = self._problem
            if pm not in p.pm_sex:
                raise KeyError(pm)
            sv = p.pm_sex[pm]
            # PMs of one sex share their pairings: one pass over the MPs per sex, not per PM.
            same = self._by_sex.get(sv)
            if same is None:
                same = self._by_sex[sv] = (
                    NOBODY,
                    *[m for m in p.missing if _sex_compatible(sv, _mp_sex(p, m))],
                )
            hit = self._cache[pm] = same
        return hit

    def __iter__(self) -> Iterator[str]:
        return iter(self._problem.pm)

    def __len__(self) -> int:
        return len(self._problem.pm)


def _mp_sex(problem: DVIProblem, mp: str) -> Sex:
    return problem.families[problem.missing_family[mp]][mp].sex


def _sex_compatible(a: Sex, b: Sex) -> bool:
    return a == Sex.UNKNOWN or b == Sex.UNKNOWN or a == b


def pm_loglik(
    markers: Sequence[Marker],
    profile: Mapping[str, Genotype],
    sex: Sex,
    dropout: DropoutModel | None = None,
) -> np.ndarray:
    """Per-marker log-probability of one unrelated person's genotypes (Hardy–Weinberg).

    Under a dropout model it is the probability of the peaks seen
    (:func:`repatria.kinship.dropout.peak_probability`); with dropout and drop-in both 0 a single
    peak is then a homozygote, exactly.
    """
    out = np.zeros(len(markers))
    for k, m in enumerate(markers):
        g = profile.get(m.name)
        if g is None or (g[0] is None and g[1] is None):
            continue
        here = None if dropout is None else dropout.at(m.name)
        if here is not None:
            g = single_peak_as_homozygote(g)
            if here.dropout > 0 or here.drop_in > 0:
                idx = (
                    None if g[0] is None else m.allele_index(g[0]),
                    None if g[1] is None else m.allele_index(g[1]),
                )
                hemi = m.is_x and sex == Sex.MALE
                if hemi and idx[0] != idx[1]:
                    raise KinshipError(f"PM sample: male heterozygous at X-linked marker {m.name}")
                out[k] = math.log(peak_probability(idx, m.afreq, here, hemizygous=hemi))
                continue
        out[k] = math.log(_genotype_probability(m, g, sex, who="PM sample"))
    return out


def single_peak_as_homozygote(g: Genotype) -> Genotype:
    """``a/-`` as ``a/a``: under a dropout model both mean "only ``a`` was seen"."""
    if g[0] is None:
        return (g[1], g[1])
    if g[1] is None:
        return (g[0], g[0])
    return g


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
    markers : marker names, in order.
    log_lr : natural-log LR, shape ``(n_pm, n_missing)``; ``nan`` where the pairing is not allowed.
    per_marker : a dense ``(n_pm, n_missing, n_markers)`` array of per-marker log LRs when the
        result was made by hand (small cases); ``None`` when the values come from ``tables``.
    exclusions : number of markers inconsistent without mutation, shape ``(n_pm, n_missing)``;
        ``-1`` where the pairing is not allowed.
    family_loglik : per-marker log-likelihood of each reference family alone (families with MPs).
    allowed : bool, shape ``(n_pm, n_missing)``: the pairing is among the problem's pairings
        (default: where ``exclusions >= 0``).
    tables, encoded_pm : the screening tables and the PMs' rows in them that the values come from
        (:mod:`repatria.kinship.screening`); per-marker LRs are read from them on demand.

    Per-marker values are not held as a dense ``(n_pm, n_missing, n_markers)`` array (2,000 ×
    1,500 × 24 floats would be 576 MB): :meth:`marker_log_lr` gives one pairing's, and
    :attr:`log_lr_per_marker` builds the whole array on first use, for small cases.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    markers: tuple[str, ...]
    log_lr: np.ndarray
    per_marker: np.ndarray | None
    exclusions: np.ndarray
    family_loglik: Mapping[str, np.ndarray]
    allowed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    tables: ScreeningTables | None = field(default=None, repr=False)
    encoded_pm: EncodedPM | None = field(default=None, repr=False)
    version: str = __version__

    def __post_init__(self) -> None:
        if self.allowed.shape != self.log_lr.shape:
            object.__setattr__(self, "allowed", np.asarray(self.exclusions) >= 0)
        if self.per_marker is None and (self.tables is None or self.encoded_pm is None):
            raise KinshipError("a pairwise result needs per-marker values or the tables")

    @cached_property
    def row_of(self) -> dict[str, int]:
        """PM id -> its row (dviSolve's steps look pairings up by id, tens of thousands of
        times: a tuple's ``index`` each time was a scan)."""
        return {v: i for i, v in enumerate(self.pm)}

    @cached_property
    def column_of(self) -> dict[str, int]:
        """MP id -> its column."""
        return {m: j for j, m in enumerate(self.missing)}

    @cached_property
    def lr(self) -> np.ndarray:
        """LR, shape ``(n_pm, n_missing)``; ``inf`` beyond the float range.

        Made once and read-only: dviSolve's steps read it an element at a time."""
        out = safe_exp_array(self.log_lr)
        out.setflags(write=False)
        return out

    def marker_log_lr(self, i: int, j: int) -> np.ndarray:
        """Natural-log LR per marker of PM row ``i`` on MP column ``j``, shape ``(n_markers,)``.

        0 at markers where the PM is untyped; all ``nan`` when the pairing is not allowed.
        """
        if self.per_marker is not None:
            return np.array(self.per_marker[i, j], dtype=float)
        out = np.zeros(len(self.markers))
        if not self.allowed[i, j]:
            out[:] = np.nan
            return out
        tables, enc = self.tables, self.encoded_pm
        if tables is None or enc is None:  # not reached: checked when made
            raise KinshipError("a pairwise result needs per-marker values or the tables")
        c = enc.codes[i]
        typed = c >= 0
        out[typed] = tables.logt[c[typed], j] - enc.marker_loglik[i, typed]
        return out

    @cached_property
    def log_lr_per_marker(self) -> np.ndarray:
        """Natural-log LR per marker, shape ``(n_pm, n_missing, n_markers)``; ``nan`` where the
        pairing is not allowed. Built on first use: for small cases (see :meth:`marker_log_lr`)."""
        if self.per_marker is not None:
            return self.per_marker
        tables, enc = self.tables, self.encoded_pm
        if tables is None or enc is None:  # not reached: checked when made
            raise KinshipError("a pairwise result needs per-marker values or the tables")
        codes = enc.codes
        typed = codes >= 0
        vals = tables.logt[np.where(typed, codes, 0)]  # (n_pm, n_markers, n_missing)
        vals -= enc.marker_loglik[:, :, None]
        vals[~typed] = 0.0
        out = np.ascontiguousarray(np.swapaxes(vals, 1, 2))
        out[~self.allowed] = np.nan
        return out

    @property
    def lr_per_marker(self) -> np.ndarray:
        """LR per marker, shape ``(n_pm, n_missing, n_markers)``."""
        return safe_exp_array(self.log_lr_per_marker)


def _table_cache() -> TableCache:
    global _TABLE_CACHE
    if _TABLE_CACHE is None:
        from repatria.kinship.screening import TableCache

        _TABLE_CACHE = TableCache(_TABLE_CACHE_LIMIT)
    return _TABLE_CACHE


#: Bytes of (marker, MP) tables that :func:`pairwise_lr` keeps for later problems.
_TABLE_CACHE_LIMIT = 256 * 2**20

# dviSolve-style workflows ask for the pairwise LRs again and again on problems that differ in a
# few families and have fewer PMs each time: a family whose pedigree, references and MPs are
# unchanged is taken from here, not recomputed (see screening.TableCache).
_TABLE_CACHE: TableCache | None = None


def pairwise_lr(problem: DVIProblem, like: PairwiseResult | None = None) -> PairwiseResult:
    """LR of every allowed pairing, with per-marker values and exclusion counts.

    ``like``: an earlier result on the same PM samples (same ids, profiles and models); its
    encoding of them is reused where the new tables code alleles the same way (the variants of
    one family, references left out one at a time, do).

    The values come from the screening engine (:mod:`repatria.kinship.screening`): each MP's table
    of every genotype at every marker, built in batches per pedigree shape, and a second table in
    the same layout saying which genotypes are impossible without mutation; every PM × MP log LR
    is then one sparse product, ``codes @ logt - pm_loglik``, so the cost grows with families ×
    markers, not PM × MP. Tables of families already seen (same pedigree shape, references and
    MP, e.g. in the reduced problems of dviSolve) are reused.
    """
    from repatria.kinship.screening import (
        allowed_pairs,
        build_tables,
        count_exclusions,
        encode_pm,
        score_block,
    )

    # Many small contractions: BLAS threads only add overhead and steal the other core.
    with threadpool_limits(limits=1, user_api="blas"):
        tables = build_tables(problem, exclusions=True, cache=_table_cache())
    old = like.tables if like is not None else None
    if (
        like is not None
        and old is not None
        and like.encoded_pm is not None
        and like.encoded_pm.ids == problem.pm
        and old.codes == tables.codes
        and old.model_codes == tables.model_codes
        and np.array_equal(old.offsets, tables.offsets)
    ):
        enc = like.encoded_pm
    else:
        enc = encode_pm(problem, tables)
    allowed = allowed_pairs(problem, tables)
    log_lr = score_block(tables.logt, enc.codes, enc.loglik)
    log_lr[~allowed] = np.nan
    excl = count_exclusions(tables, enc.codes)
    excl[~allowed] = -1
    first: dict[str, int] = {}
    for j, f in enumerate(tables.family):
        first.setdefault(f, j)
    fam_ll = {f: tables.family_loglik[j].copy() for f, j in first.items()}
    return PairwiseResult(
        problem.pm,
        problem.missing,
        tables.markers,
        log_lr,
        None,
        excl,
        fam_ll,
        allowed,
        tables,
        enc,
    )


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
