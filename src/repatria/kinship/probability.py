"""The probability of observed genotypes on a pedigree, marker by marker.

Method
------
Each person carries one allele variable per inherited chromosome: a paternal and a maternal allele
(autosomal, and X for females), or a single maternal allele (X for males). The pedigree is then a
Bayesian network over allele variables:

- founders draw their alleles from the frequencies (or, with ``theta > 0``, jointly from the
  Balding–Nichols/Pólya urn, exactly as pedprobr's theta correction defines it); a founder with
  an inbreeding coefficient ``f`` (:attr:`~repatria.kinship.pedigree.Individual.inbreeding`,
  pedtools' ``founderInbreeding``) draws its two alleles jointly, ``P(a, b) = (1 - f) p_a p_b +
  f [a = b] p_a`` (not combined with ``theta > 0``);
- a child's paternal allele is the father's paternal or maternal allele (1/2 each) passed through
  the father's mutation matrix; likewise from the mother (for X, a father passes his one allele);
- a typed person's two allele variables must form the observed unordered genotype.

The likelihood is the sum of the product of these factors over all allele variables, computed by
exact variable elimination (tensor contraction with an optimised order, via ``opt_einsum``). This is
exact for any pedigree, with loops and inbreeding, with or without mutation: no loop breaking is
needed. Two reductions keep it fast, both exact:

- untyped people with no typed descendant are dropped (their factors sum to 1);
- alleles that no typed person carries are lumped into one when the mutation model is lumpable for
  them (always without mutation; for ``equal`` and ``proportional`` models), as pedprobr does.

Likelihoods are returned as natural logs per marker.

Size: one module on purpose. The factor network, its reductions (pruning, lumping, theta,
founder inbreeding, silent alleles, dropout observations) and the contraction that uses them are
one algorithm whose invariants (what is kept, what is lumped, which factors exist) must be read
together; splitting it would scatter them.

Lumping policy and the peer
---------------------------
pedprobr 1.1.0 lumps when pedmut 0.9.1's ``isLumpable(mutmod, lump)`` says so, and pedmut's
code (``R/model_properties.R``) answers for a model with sex-specific matrices "the female matrix
is lumpable **or** the male one is" (its documentation says "both"), unless the model's
``alwaysLumpable`` attribute is set. Both matrices are then lumped (``lumpedModel(check =
FALSE)``: the lump's row is the first lumped allele's), so a marker with, say, an ``equal`` female
and a ``stepwise`` male model (or the other way round) is lumped although one matrix is not
lumpable, and its likelihood is slightly off the exact value (about 1e-3 relative in the reference
vectors). ``lumping="pedsuite"`` (the default, so that results agree with the peer) reproduces
that decision (:func:`repatria.kinship.markers.pedmut_is_lumpable`, with pedmut's entry-by-entry
tolerance ``sqrt(eps)``), per pedigree component, skipped when every member of the component is
fully typed (both alleles known: a person typed ``a/-`` is not, as pedprobr's
``all(mInt != 0)``). ``lumping="exact"`` lumps only when both matrices allow it, and always gives
the exact likelihood. Both agree whenever the male and female models are equal or both lumpable.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import opt_einsum as oe

from repatria import __version__
from repatria.kinship._numeric import BoundedCache, safe_exp, safe_exp_array
from repatria.kinship.dropout import DropoutModel, observation_matrix
from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import Marker, is_lumpable, pedmut_is_lumpable
from repatria.kinship.pedigree import Genotype, Pedigree, Profiles, Sex

__all__ = [
    "LikelihoodResult",
    "likelihood",
    "marker_likelihood",
    "genotype_likelihoods",
    "genotype_table_and_loglik",
    "JointGenotypeTable",
    "joint_genotype_table",
    "genotype_labels",
    "MAX_JOINT_TABLE",
    "MarkerNetwork",
    "contract",
    "AlleleVar",
    "Factor",
    "MAX_THETA_TENSOR",
]

#: Lumping policies: see the module docstring.
LUMPING_POLICIES = ("pedsuite", "exact", "none")

#: Largest joint genotype table :func:`joint_genotype_table` builds (entries).
MAX_JOINT_TABLE = 20_000_000

#: Largest joint founder-allele table the theta correction may build (entries).
MAX_THETA_TENSOR = 4_000_000

METHOD = "exact variable elimination over allele variables (opt_einsum), exact allele lumping"


@dataclass(frozen=True, eq=False)
class LikelihoodResult:
    """Per-marker log-likelihoods of one pedigree, with how they were computed.

    Attributes
    ----------
    markers : marker names, in order.
    loglik_per_marker : natural-log likelihoods, shape ``(n_markers,)``.
    theta : the Balding–Nichols correction used.
    method, version : how, and by which Repatria.
    """

    markers: tuple[str, ...]
    loglik_per_marker: np.ndarray
    theta: float = 0.0
    method: str = METHOD
    version: str = __version__
    notes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def loglik(self) -> float:
        """Natural-log likelihood over all markers."""
        return float(np.sum(self.loglik_per_marker))

    @property
    def likelihood_per_marker(self) -> np.ndarray:
        """Likelihood per marker, shape ``(n_markers,)``."""
        return safe_exp_array(self.loglik_per_marker)

    @property
    def likelihood(self) -> float:
        """The likelihood over all markers (0.0 when it underflows)."""
        return safe_exp(self.loglik)


# --------------------------------------------------------------------------------------------
# public functions


def likelihood(
    pedigree: Pedigree,
    markers: Sequence[Marker],
    profiles: Profiles,
    theta: float = 0.0,
    lumping: str = "pedsuite",
    dropout: Mapping[str, DropoutModel] | None = None,
) -> LikelihoodResult:
    """Log-likelihood of the typed people in ``profiles`` on ``pedigree``, per marker.

    Parameters
    ----------
    pedigree : the pedigree (may have several components, which are independent unless
        ``theta > 0``, where all founders share one subpopulation).
    markers : markers to evaluate, in order.
    profiles : ``profiles[person][marker] -> (allele1, allele2)``; people or markers absent are
        untyped. Profiles of people not in the pedigree are an error.
    theta : Balding–Nichols ``F_ST`` correction of founder alleles (0 = none).
    lumping : ``"pedsuite"`` (default, agrees with pedprobr), ``"exact"`` or ``"none"``; see the
        module docstring.
    dropout : per person, the dropout model of their sample (:mod:`repatria.kinship.dropout`):
        their genotypes are then the peaks seen, ``a/a`` and ``a/-`` alike meaning "only ``a``".
        People not in it are typed exactly (``a/-``: one allele unknown).

    Examples
    --------
    >>> from repatria.kinship.pedigree import Individual
    >>> m = Marker("L1", ("a", "b"), [0.1, 0.9])
    >>> ped = Pedigree([Individual("A")])
    >>> round(float(np.exp(likelihood(ped, [m], {"A": {"L1": ("a", "b")}}).loglik)), 12)  # 2pq
    0.18
    """
    _check_profiles(pedigree, profiles)
    comps = [pedigree] if theta > 0 else [pedigree.subset(c) for c in pedigree.components()]
    ll = np.array(
        [
            sum(
                marker_likelihood(
                    c, m, _marker_genotypes(profiles, m.name, c), theta, lumping, dropout
                )
                for c in comps
            )
            for m in markers
        ],
        dtype=float,
    )
    notes: dict[str, Any] = {"lumping": lumping}
    if dropout:
        notes["dropout"] = {pid: dm.describe() for pid, dm in dropout.items()}
    return LikelihoodResult(tuple(m.name for m in markers), ll, theta, notes=notes)


def marker_likelihood(
    pedigree: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    theta: float = 0.0,
    lumping: str = "pedsuite",
    dropout: Mapping[str, DropoutModel] | None = None,
) -> float:
    """Natural-log likelihood of one marker; ``genotypes[person] -> (a, b)`` for the typed.

    ``pedigree`` is evaluated as one unit (lumping is decided on all of it); :func:`likelihood`
    splits a pedigree into its components first. ``dropout``: as in :func:`likelihood`.
    """
    problem = MarkerNetwork(
        pedigree, marker, genotypes, theta, targets=(), lumping=lumping, dropout=dropout
    )
    return problem.loglik()


def genotype_likelihoods(
    pedigree: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    target: str,
    theta: float = 0.0,
    alleles: Iterable[str] | None = None,
) -> np.ndarray:
    """Joint probability of the data and each genotype of the untyped person ``target``.

    Returns
    -------
    ndarray, shape ``(n, n)`` (``n`` = alleles of the marker), symmetric; entry ``[i, j]`` is
    ``P(data, target has unordered genotype {i, j})``. For an X-linked marker and a male target,
    the diagonal holds the hemizygous probabilities and the rest is 0.
    The LR of a sample with genotype ``{i, j}`` placed on ``target`` against an unrelated one is
    ``G[i, j] / (L(data) * P_unrelated({i, j}))``. Computed without lumping (the target may carry
    any allele), so it is exact whatever the mutation model.

    ``alleles``: when given, only genotypes made of these alleles are needed; the other alleles no
    typed person carries are then lumped where the mutation model allows it exactly, and their
    rows and columns are ``nan``.
    """
    return genotype_table_and_loglik(pedigree, marker, genotypes, target, theta, alleles)[0]


def genotype_table_and_loglik(
    pedigree: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    target: str,
    theta: float = 0.0,
    alleles: Iterable[str] | None = None,
    dropout: Mapping[str, DropoutModel] | None = None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """:func:`genotype_likelihoods` and, from the same computation, the log-likelihood of the data
    without the target (the sum of the table over every genotype) and the table's row sums: for
    each allele ``a``, the probability of the data with the target carrying ``a`` and any other
    allele (lumped ones included; ``nan`` for lumped rows). A target typed ``a/-`` is a row sum.
    ``dropout``: per typed person, their sample's dropout model (see :func:`likelihood`)."""
    if genotypes.get(target) is not None:
        raise KinshipError(f"'{target}' is typed at {marker.name}; a target must be untyped")
    if alleles is None:
        problem = MarkerNetwork(
            pedigree, marker, genotypes, theta, targets=(target,), lumping="none", dropout=dropout
        )
    else:
        extra = {marker.allele_index(a, who=target) for a in alleles}
        problem = MarkerNetwork(
            pedigree,
            marker,
            genotypes,
            theta,
            targets=(target,),
            lumping="exact",
            extra_seen=extra,
            dropout=dropout,
        )
    table = problem.target_table(target)
    total = float(np.sum(np.triu(table)))
    loglik = math.log(total) if total > 0 else -math.inf
    rows = table.sum(axis=1)
    if problem.keep is None:
        return table, loglik, rows
    n, k = marker.n_alleles, problem.keep
    full = np.full((n, n), np.nan)
    full[np.ix_(k, k)] = table[: len(k), : len(k)]
    full_rows = np.full(n, np.nan)
    full_rows[k] = rows[: len(k)]
    return full, loglik, full_rows


def genotype_labels(marker: Marker) -> tuple[tuple[int, int], ...]:
    """The unordered genotypes of a marker as index pairs ``(i, j)``, ``i <= j``, in pedtools'
    ``allGenotypes`` order: ``1/1, 1/2, ..., 1/n, 2/2, 2/3, ..., n/n``.

    >>> genotype_labels(Marker("L", ("a", "b"), [0.5, 0.5]))
    ((0, 0), (0, 1), (1, 1))
    """
    n = marker.n_alleles
    return tuple((i, j) for i in range(n) for j in range(i, n))


@dataclass(frozen=True, eq=False)
class JointGenotypeTable:
    """The joint genotype distribution of untyped persons, with the data (pedprobr's
    ``oneMarkerDistribution`` with several ``ids``).

    Attributes
    ----------
    marker : the marker's name.
    targets : the persons, in order (one table axis each).
    labels : per target, the genotype labels of its axis: ``"a/b"`` in pedtools'
        ``allGenotypes`` order (:func:`genotype_labels`), or the allele labels for a male at an
        X-linked marker.
    joint : ``P(data, g_1, ..., g_k)``, shape ``(len(labels[0]), ..., len(labels[k-1]))``.
    loglik : natural-log likelihood of the data, the log of ``joint.sum()``.
    """

    marker: str
    targets: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    joint: np.ndarray
    loglik: float

    @property
    def conditional(self) -> np.ndarray:
        """``P(g_1, ..., g_k | data)``: pedprobr's ``oneMarkerDistribution`` (same shape)."""
        total = float(self.joint.sum())
        if total <= 0:
            raise KinshipError(f"the data at {self.marker} are impossible: no distribution")
        out: np.ndarray = self.joint / total
        return out

    def marginal(self, target: str) -> np.ndarray:
        """``P(data, g)`` of one target, the others summed out, shape ``(len(labels[i]),)``."""
        i = self.targets.index(target)
        axes = tuple(a for a in range(len(self.targets)) if a != i)
        out: np.ndarray = self.joint.sum(axis=axes)
        return out


def joint_genotype_table(
    pedigree: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    targets: Sequence[str],
    theta: float = 0.0,
    dropout: Mapping[str, DropoutModel] | None = None,
) -> JointGenotypeTable:
    """Joint probability of the data and the genotypes of several untyped persons.

    One contraction of the factor network (:class:`MarkerNetwork`) with, for each target, an
    extra factor that maps its two ordered allele variables onto one unordered genotype variable;
    the table is ``P(data, g_1, ..., g_k)`` (divide by its sum for pedprobr's
    ``oneMarkerDistribution``). Exact with loops, inbreeding, mutation, theta, silent alleles;
    no allele is lumped (the targets may carry any).

    Parameters
    ----------
    pedigree : the pedigree (persons in different components are allowed).
    marker : the marker.
    genotypes : ``genotypes[person] -> (a, b)`` for the typed.
    targets : untyped persons, all different; the table has one axis per target, of
        ``n (n + 1) / 2`` genotypes (``n`` alleles; ``n`` for a male at an X-linked marker).
    theta, dropout : as in :func:`likelihood`.

    Returns
    -------
    JointGenotypeTable

    Raises
    ------
    KinshipError
        A target typed, unknown or given twice, or a table above :data:`MAX_JOINT_TABLE` entries.

    Examples
    --------
    pedprobr's test-oneMarkerDist.R, father and child of an empty trio, ``p = 0.2``:
    ``P(F = 1/1, C = 1/1) = p^2 * p``.

    >>> from repatria.kinship.pedigree import Individual
    >>> trio = Pedigree([Individual("1", sex=Sex.MALE), Individual("2", sex=Sex.FEMALE),
    ...                  Individual("3", "1", "2", Sex.MALE)])
    >>> t = joint_genotype_table(trio, Marker("L", ("1", "2"), [0.2, 0.8]), {}, ["1", "3"])
    >>> t.labels[0], round(float(t.joint[0, 0]), 12)
    (('1/1', '1/2', '2/2'), 0.008)
    """
    targets = tuple(targets)
    if not targets:
        raise KinshipError("joint_genotype_table needs at least one target")
    if len(set(targets)) != len(targets):
        raise KinshipError(f"a target is given twice: {', '.join(targets)}")
    typed = [t for t in targets if genotypes.get(t) not in (None, (None, None))]
    if typed:
        raise KinshipError(
            f"'{typed[0]}' is typed at {marker.name}; the targets of a joint table must be untyped"
        )
    net = MarkerNetwork(
        pedigree, marker, genotypes, theta, targets=targets, lumping="none", dropout=dropout
    )
    n = net.n
    pairs = genotype_labels(marker)
    factors = net.factors()
    out_vars: list[Hashable] = []
    labels: list[tuple[str, ...]] = []
    size = 1
    al = marker.alleles
    for t in targets:
        own = net.allele_vars(t)
        if len(own) == 1:  # a male at an X-linked marker: his one allele is his genotype
            out_vars.append(own[0])
            labels.append(al)
            size *= n
            continue
        u = np.zeros((n, n, len(pairs)))
        for k, (i, j) in enumerate(pairs):
            u[i, j, k] = u[j, i, k] = 1.0
        factors.append(((*own, ("genotype", t)), u))
        out_vars.append(("genotype", t))
        labels.append(tuple(f"{al[i]}/{al[j]}" for i, j in pairs))
        size *= len(pairs)
    if size > MAX_JOINT_TABLE:
        raise KinshipError(
            f"the joint genotype table of {', '.join(targets)} at {marker.name} would have "
            f"{size} entries (limit {MAX_JOINT_TABLE}); ask for fewer persons at a time"
        )
    table = net.contract(factors, out_vars)
    table = np.clip(table, 0.0, None)  # rounding below zero on impossible combinations
    total = float(table.sum())
    return JointGenotypeTable(
        marker.name,
        targets,
        tuple(labels),
        table,
        math.log(total) if total > 0 else -math.inf,
    )


# --------------------------------------------------------------------------------------------
# internals


def _check_profiles(pedigree: Pedigree, profiles: Profiles) -> None:
    unknown = [pid for pid, prof in profiles.items() if prof and pid not in pedigree]
    if unknown:
        raise KinshipError(
            f"genotypes given for people not in the pedigree: {', '.join(map(str, unknown[:5]))}"
        )


def _marker_genotypes(
    profiles: Profiles, marker_name: str, pedigree: Pedigree | None = None
) -> dict[str, Genotype]:
    out = {}
    for pid, prof in profiles.items():
        if pedigree is not None and pid not in pedigree:
            continue
        g = prof.get(marker_name)
        if g is not None and not (g[0] is None and g[1] is None):
            out[pid] = g
    return out


#: One allele variable of the network: ``(person id, "p")`` (paternal) or ``(person id, "m")``
#: (maternal; the only one of a male at an X-linked marker).
AlleleVar = tuple[str, str]

#: One factor: the variables it spans (allele variables, or any other hashable label a caller
#: adds, such as a batch axis) and its table, one axis per variable.
Factor = tuple[tuple[Hashable, ...], np.ndarray]

#: Cached optimised contraction paths: (equation, shapes) -> opt_einsum expression.
_EXPR_CACHE: BoundedCache[tuple[str, tuple[tuple[int, ...], ...]], Any] = BoundedCache(512)


def contract(eq: str, arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``np.einsum(eq, *arrays)`` with an optimised contraction order, planned once per shape.

    Parameters
    ----------
    eq : an einsum equation with an explicit output, e.g. ``"ab,bc->ac"``.
    arrays : one array per input term, each of the shape its term implies.

    Returns
    -------
    ndarray, of the shape of the output term.

    The planned expression is kept (least recently used, 512 of them), so the many small
    contractions of a screen with the same shapes are planned once.

    >>> a, b = np.ones((2, 3)), np.ones((3, 4))
    >>> contract("ab,bc->ac", [a, b]).tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
    """
    key = (eq, tuple(a.shape for a in arrays))
    expr = _EXPR_CACHE.get(key)
    if expr is None:
        expr = oe.contract_expression(eq, *key[1], optimize="auto")
        _EXPR_CACHE.put(key, expr)
    return np.asarray(expr(*arrays))


class MarkerNetwork:
    """One marker on one pedigree, reduced and turned into factors over allele variables.

    The factor network of the module docstring: founder factors (the frequencies, or the Pólya
    urn when ``theta > 0``), one transmission factor per inherited allele and one observation
    factor per typed person. Untyped people with no typed descendant and no target among their
    descendants are left out (their factors sum to 1), and unseen alleles are lumped as
    ``lumping`` allows.

    Parameters
    ----------
    pedigree : the pedigree, evaluated as one unit.
    marker : the marker.
    genotypes : ``genotypes[person] -> (a, b)`` for the typed (labels; ``None`` for an unknown
        allele).
    theta : Balding–Nichols correction of founder alleles.
    targets : untyped people whose genotype tables will be asked for (they and their ancestors
        are kept in the network).
    lumping : ``"pedsuite"``, ``"exact"`` or ``"none"``; see the module docstring.
    extra_seen : marker allele indices that must stay apart from the lump although nobody in
        ``genotypes`` carries them (for example the alleles of PM samples to be looked up).
    dropout : per person, the dropout model of their sample; their observation factor is then
        ``P(peaks | alleles)`` (:func:`repatria.kinship.dropout.observation_matrix`).

    Attributes
    ----------
    keep : the marker allele indices kept apart, in order, when alleles were lumped (the lump is
        then the last allele of the network); ``None`` when nothing was lumped.
    n : alleles of the network: ``len(keep) + 1`` when lumped, else the marker's.

    Examples
    --------
    >>> from repatria.kinship.pedigree import Individual
    >>> m = Marker("L1", ("a", "b", "c"), [0.2, 0.3, 0.5])
    >>> ped = Pedigree([Individual("A"), Individual("B")])  # B untyped: "b" and "c" are lumped
    >>> net = MarkerNetwork(ped, m, {"A": ("a", "a")}, lumping="exact")
    >>> net.keep.tolist(), net.n, net.allele_vars("A"), net.allele_codes().tolist()
    ([0], 2, (('A', 'p'), ('A', 'm')), [0, -1, -1])
    >>> round(float(np.exp(net.loglik())), 12)  # p_a^2
    0.04
    """

    def __init__(
        self,
        pedigree: Pedigree,
        marker: Marker,
        genotypes: Mapping[str, Genotype],
        theta: float = 0.0,
        targets: Iterable[str] = (),
        lumping: str = "pedsuite",
        extra_seen: Iterable[int] = (),
        dropout: Mapping[str, DropoutModel] | None = None,
    ) -> None:
        if lumping not in LUMPING_POLICIES:
            raise KinshipError(
                f"lumping must be one of {', '.join(LUMPING_POLICIES)}, not '{lumping}'"
            )
        if not 0 <= theta < 1:
            raise KinshipError(f"theta must be in [0, 1), got {theta}")
        if theta > 0 and pedigree.founder_inbreeding:
            raise KinshipError(
                f"founder inbreeding ({', '.join(pedigree.founder_inbreeding)}) together with "
                f"theta = {theta} is not supported at {marker.name}; use one or the other"
            )
        self.marker = marker
        self.theta = theta
        self.pedigree = pedigree
        self.dropout: Mapping[str, DropoutModel] = dropout or {}
        targets = tuple(targets)
        for t in targets:
            if t not in pedigree:
                raise KinshipError(f"'{t}' is not in the pedigree")
        obs = _observed_indices(pedigree, marker, genotypes)
        silent = marker.silent_index
        if silent is not None:
            _check_silent(marker, obs, self.dropout)
            extra_seen = (*extra_seen, silent)  # the silent allele is never lumped away
        # Keep only the typed, the targets and their ancestors: anyone else sums out to 1.
        relevant: set[str] = set()
        for pid in list(obs) + list(targets):
            if pid not in relevant:
                relevant.add(pid)
                relevant |= pedigree.ancestors(pid)
        self.ids = [i for i in pedigree.ids if i in relevant]
        if marker.is_x:
            bad = [i for i in self.ids if pedigree[i].sex == Sex.UNKNOWN]
            if bad:
                raise KinshipError(
                    f"X-linked marker {marker.name} needs the sex of {', '.join(bad[:5])}"
                )
        # A sample under a dropout model may carry any allele: nobody is "typed" for lumping's
        # all-typed shortcut then.
        all_typed = (
            len(obs) == len(pedigree)
            and all(None not in g for g in obs.values())
            and not any(p in self.dropout for p in obs)
        )
        seen = tuple(
            sorted({i for g in obs.values() for i in g if i is not None} | set(extra_seen))
        )
        setup = _setup(marker, lumping if not all_typed else "none", seen)
        self.keep: np.ndarray | None = setup.keep
        self.p, self.t_female, self.t_male, self.m_male = (
            setup.p,
            setup.t_female,
            setup.t_male,
            setup.m_male,
        )
        if self.keep is not None:
            remap = {old: new for new, old in enumerate(seen)}
            obs = {
                pid: (None if a is None else remap[a], None if b is None else remap[b])
                for pid, (a, b) in obs.items()
            }
        self.obs = obs
        self.n = len(self.p)
        #: network index of the silent allele (``None``: the marker has none).
        self.silent: int | None = None
        if silent is not None:
            self.silent = (
                silent if self.keep is None else int(np.flatnonzero(self.keep == silent)[0])
            )

    # -- the network ---------------------------------------------------------------------------
    def allele_vars(self, pid: str) -> tuple[AlleleVar, ...]:
        """The allele variables of ``pid``: paternal and maternal, or maternal only (an X male)."""
        if self.marker.is_x and self.pedigree[pid].sex == Sex.MALE:
            return ((pid, "m"),)
        return ((pid, "p"), (pid, "m"))

    def allele_codes(self) -> np.ndarray:
        """Network allele of each marker allele: int64, shape ``(n_alleles,)``; ``-1`` if lumped.

        Without lumping this is ``arange(n_alleles)``; with it, ``keep[i]`` maps to ``i``.
        """
        n = self.marker.n_alleles
        if self.keep is None:
            return np.arange(n, dtype=np.int64)
        codes = np.full(n, -1, dtype=np.int64)
        codes[self.keep] = np.arange(len(self.keep))
        return codes

    def factors(self, observations: bool = True) -> list[Factor]:
        """The network's factors ``(variables, table)``, each table of shape ``(n,) * k``.

        ``observations=False`` leaves out the observation factors of the typed people (the rest
        of the network is the same: who is kept and what is lumped do not change), for a caller
        that supplies the observations itself, for example stacked along a batch axis.
        """
        ped, n = self.pedigree, self.n
        factors: list[Factor] = []
        founder_vars: list[AlleleVar] = []
        is_x = self.marker.is_x
        for pid in self.ids:
            ind = ped[pid]
            own = self.allele_vars(pid)
            if ind.father is None or ind.mother is None:
                founder_vars.extend(own)
                if self.theta == 0:
                    f = ind.inbreeding if len(own) == 2 else 0.0  # an X male: one allele
                    if f > 0:
                        # pedtools' founderInbreeding: the alleles are IBD with probability f.
                        joint = (1 - f) * np.outer(self.p, self.p) + f * np.diag(self.p)
                        factors.append((own, joint))
                    else:
                        factors.extend(((v,), self.p) for v in own)
            else:
                fa, mo = ind.father, ind.mother
                if is_x:
                    if ind.sex == Sex.FEMALE:
                        factors.append((((fa, "m"), (pid, "p")), self.m_male))
                    factors.append(((*self.allele_vars(mo), (pid, "m")), self.t_female))
                else:
                    factors.append(((*self.allele_vars(fa), (pid, "p")), self.t_male))
                    factors.append(((*self.allele_vars(mo), (pid, "m")), self.t_female))
            g = self.obs.get(pid) if observations else None
            if g is not None:
                model = self.dropout.get(pid)
                table = (
                    _observation(g, len(own), n, self.silent)
                    if model is None
                    else observation_matrix(g, len(own), self.p, model.at(self.marker.name))
                )
                factors.append((own, table))
        if self.theta > 0 and founder_vars:
            # Founders share one subpopulation: their alleles are drawn jointly.
            factors.append(
                (
                    tuple(founder_vars),
                    _polya_tensor(self.p, len(founder_vars), self.theta, self.marker.name),
                )
            )
        return factors

    def contract(self, factors: Sequence[Factor], out_vars: Sequence[Hashable]) -> np.ndarray:
        """Sum the product of ``factors`` over every variable not in ``out_vars``.

        Returns an array with one axis per output variable, in order (all ones, of shape
        ``(n,) * len(out_vars)``, when there are no factors).
        """
        symbols: dict[Hashable, str] = {}
        terms = []
        for vars_, _ in factors:
            terms.append("".join(symbols.setdefault(v, oe.get_symbol(len(symbols))) for v in vars_))
        out = "".join(symbols.setdefault(v, oe.get_symbol(len(symbols))) for v in out_vars)
        if not factors:
            return np.ones((self.n,) * len(out_vars))
        return contract(",".join(terms) + "->" + out, [a for _, a in factors])

    # -- results -------------------------------------------------------------------------------
    def loglik(self) -> float:
        """Natural-log probability of the observations (0 when nobody is typed)."""
        if not self.obs:
            return 0.0
        value = float(self.contract(self.factors(), ()))
        if value < 0:  # rounding below zero on an impossible configuration
            value = 0.0
        return math.log(value) if value > 0 else -math.inf

    def target_table(self, target: str) -> np.ndarray:
        """``P(data, target has unordered genotype {i, j})``, shape ``(n, n)``, symmetric.

        For a male target at an X-linked marker the diagonal holds the hemizygous values.
        """
        own = self.allele_vars(target)
        table = self.contract(self.factors(), own)
        if len(own) == 1:
            return np.diag(table)
        sym: np.ndarray = table + table.T
        np.fill_diagonal(sym, np.diag(table))
        return sym


def _observed_indices(
    pedigree: Pedigree, marker: Marker, genotypes: Mapping[str, Genotype]
) -> dict[str, tuple[int | None, int | None]]:
    """Allele indices of the typed, validated (people, alleles, X-linked males)."""
    obs: dict[str, tuple[int | None, int | None]] = {}
    for pid, g in genotypes.items():
        if pid not in pedigree:
            raise KinshipError(f"genotype given for '{pid}', who is not in the pedigree")
        a, b = g
        ia = None if a is None else marker.allele_index(a, who=pid)
        ib = None if b is None else marker.allele_index(b, who=pid)
        if ia is None and ib is None:
            continue
        if marker.is_x and pedigree[pid].sex == Sex.MALE and ia != ib and None not in (ia, ib):
            raise KinshipError(
                f"'{pid}' is male but heterozygous ({a}/{b}) at X-linked marker "
                f"{marker.name}; males carry one X allele"
            )
        obs[pid] = (ia, ib)
    return obs


@dataclass(frozen=True, eq=False)
class _Setup:
    """A marker's frequencies and transmission tensors, lumped for a set of seen alleles."""

    marker: Marker  # held, so that its id is not reused while the entry is cached
    keep: np.ndarray | None
    p: np.ndarray  # (k,)
    t_female: np.ndarray  # (k, k, k)
    t_male: np.ndarray  # (k, k, k)
    m_male: np.ndarray  # (k, k)


#: (id(marker), lumping, seen alleles) -> setup, least recently used.
_SETUP_CACHE: BoundedCache[tuple[int, str, tuple[int, ...]], _Setup] = BoundedCache(4096)


def _setup(m: Marker, lumping: str, seen: tuple[int, ...]) -> _Setup:
    key = (id(m), lumping, seen)
    hit = _SETUP_CACHE.get(key)
    if hit is None or hit.marker is not m:
        hit = _Setup(m, *_lumped_setup(m, lumping, seen, m.n_alleles))
        _SETUP_CACHE.put(key, hit)
    return hit


def _lumped_setup(
    m: Marker, lumping: str, seen: tuple[int, ...], n: int
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies and transmission tensors of a marker, lumped for the ``seen`` alleles if allowed.

    Returns ``(keep, p, t_female, t_male, m_male)``: the kept allele indices (``None`` when not
    lumped), frequencies ``(k,)``, transmission tensors ``(k, k, k)`` (see :func:`_transmission`)
    and the male mutation matrix ``(k, k)`` (for an X-linked father), ``k`` alleles after lumping.
    """
    p = np.asarray(m.afreq, dtype=float)
    mf = None if m.female is None else m.female.matrix
    mm = None if m.male is None else m.male.matrix
    seen_set = set(seen)
    unseen = np.array([i for i in range(n) if i not in seen_set], dtype=int)
    keep = None
    if lumping != "none" and len(unseen) >= 2:
        if lumping == "pedsuite":
            # pedmut's isLumpable: female OR male (see the module docstring).
            lumpable = pedmut_is_lumpable(mf, mm, unseen)
        else:
            lumpable = all(x is None or is_lumpable(x, unseen) for x in (mf, mm))
        if lumpable:
            keep = np.array(seen, dtype=int)
            # As pedprobr: the lump takes what the kept alleles leave of 1.
            p = np.concatenate([p[keep], [1.0 - p[keep].sum()]])
            mf = None if mf is None else _lumped(mf, keep, unseen)
            mm = None if mm is None else _lumped(mm, keep, unseen)
    k = len(p)
    return keep, p, _transmission(mf, k), _transmission(mm, k), (np.eye(k) if mm is None else mm)


def _lumped(m: np.ndarray, keep: np.ndarray, unseen: np.ndarray) -> np.ndarray:
    k = len(keep)
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = m[np.ix_(keep, keep)]
    u0 = unseen[0]
    out[k, :k] = m[u0, keep]
    # The lump column takes what the kept columns leave of each row (rows sum to 1).
    out[:, k] = 1.0 - out[:, :k].sum(axis=1)
    return out


def _transmission(m: np.ndarray | None, n: int) -> np.ndarray:
    """``T[a, b, c]``: a parent with alleles ``a, b`` passes ``c``."""
    src = np.eye(n) if m is None else m
    t: np.ndarray = 0.5 * (src[:, None, :] + src[None, :, :])
    return t


def _check_silent(
    marker: Marker,
    obs: Mapping[str, tuple[int | None, int | None]],
    dropout: Mapping[str, DropoutModel],
) -> None:
    """A silent allele gives no peak: nobody can be typed with it; no dropout model with it."""
    s = marker.silent_index
    typed = [pid for pid, g in obs.items() if s in g]
    if typed:
        raise KinshipError(
            f"'{typed[0]}' is typed with the silent allele '{marker.silent}' at {marker.name}; "
            "a silent allele gives no peak: type the peaks seen (one peak a is 'a/a')"
        )
    with_model = [pid for pid in obs if pid in dropout]
    if with_model:
        raise KinshipError(
            f"{marker.name} has a silent allele and '{with_model[0]}' a dropout model; the two "
            "together are not supported"
        )


def _observation(
    g: tuple[int | None, int | None], n_vars: int, n: int, silent: int | None = None
) -> np.ndarray:
    """The observation factor of one typed person, shape ``(n,) * n_vars``.

    With a silent allele ``s``, a single peak ``a`` (``a/a``) is the genotype ``a/a`` or ``a/s``.
    A male at an X-linked marker (``n_vars == 1``) shows his one allele.
    """
    a, b = g
    if n_vars == 1:
        obs = np.zeros(n)
        obs[a if a is not None else b] = 1.0
        return obs
    obs = np.zeros((n, n))
    if a is not None and b is not None:
        obs[a, b] = obs[b, a] = 1.0
        if a == b and silent is not None:
            obs[a, silent] = obs[silent, a] = 1.0
    else:
        x = a if a is not None else b
        obs[x, :] = 1.0
        obs[:, x] = 1.0
    return obs


def _polya_tensor(p: np.ndarray, n_vars: int, theta: float, marker_name: str) -> np.ndarray:
    """Joint probability of ``n_vars`` founder alleles under the Balding–Nichols model.

    Allele ``j`` (1-based) is ``a`` with probability ``(b θ + (1 - θ) p_a) / (1 + (j - 2) θ)``
    where ``b`` is how often ``a`` was drawn before: the Pólya urn of a Dirichlet with
    ``α = p (1 - θ) / θ``. The table has shape ``(n,) * n_vars``.
    """
    n = len(p)
    if n_vars == 0:
        return np.ones(())
    if n**n_vars > MAX_THETA_TENSOR:
        raise KinshipError(
            f"theta correction at {marker_name} would need a table of {n}^{n_vars} founder "
            f"allele combinations; reduce the pedigree's untyped founders or use theta = 0"
        )
    weights = np.ones(())
    counts = np.zeros((n,))
    for j in range(1, n_vars + 1):
        # counts has shape weights.shape + (n,): how often each allele occurred so far.
        step = (counts * theta + (1 - theta) * p) / (1 + (j - 2) * theta)
        weights = weights[..., None] * step
        counts = counts[..., None, :] + np.eye(n)
    return weights
