"""Pedigrees: individuals, parents and sex, validated.

A :class:`Pedigree` may hold several unconnected components (a hypothesis of "unrelated" people is
one pedigree of singletons). Loops and inbreeding are allowed; the likelihood stays exact.
Genotypes are kept apart from the structure (:data:`Profiles`), so the same pedigree can be
evaluated with different people placed on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum

from repatria.kinship._numeric import DisjointSet
from repatria.kinship.errors import KinshipError

__all__ = ["Sex", "Individual", "Pedigree", "Genotype", "Profiles", "singleton"]

#: One genotype: two allele labels, either of which may be ``None`` (a partly typed genotype
#: ``a/-``). Order carries no phase meaning.
Genotype = tuple[str | None, str | None]

#: Genotypes of typed individuals: ``profiles[person_id][marker_name] -> Genotype``.
#: A person or marker that is absent is untyped.
Profiles = Mapping[str, Mapping[str, Genotype]]


class Sex(IntEnum):
    """Sex as pedtools codes it: 0 unknown, 1 male, 2 female."""

    UNKNOWN = 0
    MALE = 1
    FEMALE = 2


@dataclass(frozen=True)
class Individual:
    """One person of a pedigree; ``father``/``mother`` are ids or ``None`` for founders.

    ``inbreeding`` is a founder's inbreeding coefficient ``f`` (pedtools' ``founderInbreeding``):
    the chance that the founder's two alleles are identical by descent through ancestors the
    pedigree does not show. Its genotype then has probability ``p_a (f + (1 - f) p_a)`` for
    ``a/a`` and ``2 (1 - f) p_a p_b`` for ``a/b``. Only founders may have one (the inbreeding of
    others follows from the pedigree); it is ignored for a male at an X-linked marker (one
    allele), as in pedtools. Default 0.
    """

    id: str
    father: str | None = None
    mother: str | None = None
    sex: Sex = Sex.UNKNOWN
    inbreeding: float = field(default=0.0, repr=False)

    @property
    def is_founder(self) -> bool:
        """True for a person with no parents in the pedigree."""
        return self.father is None and self.mother is None


class Pedigree:
    """A validated set of individuals.

    Raises :class:`KinshipError` listing every problem at once: duplicate ids, a parent that is not
    in the pedigree, only one parent given, a father who is not male or a mother who is not female,
    and cycles (someone their own ancestor).

    Examples
    --------
    >>> trio = Pedigree([Individual("FA", sex=Sex.MALE), Individual("MO", sex=Sex.FEMALE),
    ...                  Individual("CH", "FA", "MO", Sex.MALE)])
    >>> trio.founders
    ('FA', 'MO')
    """

    __slots__ = ("_by_id", "_order", "_children", "name")

    def __init__(self, individuals: Iterable[Individual], name: str | None = None) -> None:
        inds = list(individuals)
        self.name = name
        problems: list[str] = []
        by_id: dict[str, Individual] = {}
        for ind in inds:
            if not ind.id:
                problems.append("an individual has an empty id")
            elif ind.id in by_id:
                problems.append(f"id '{ind.id}' is used twice")
            by_id[ind.id] = ind
        for ind in inds:
            problems += _inbreeding_problems(ind)
            if (ind.father is None) != (ind.mother is None):
                problems.append(f"'{ind.id}' has only one parent; give both or neither")
            for role, pid, want in (
                ("father", ind.father, Sex.MALE),
                ("mother", ind.mother, Sex.FEMALE),
            ):
                if pid is None:
                    continue
                if pid not in by_id:
                    problems.append(f"the {role} '{pid}' of '{ind.id}' is not in the pedigree")
                elif by_id[pid].sex != want:
                    problems.append(
                        f"'{pid}', {role} of '{ind.id}', has sex {Sex(by_id[pid].sex).name.lower()}"
                    )
                if pid == ind.id:
                    problems.append(f"'{ind.id}' is their own {role}")
        if not problems:
            order = _topological_order(by_id, problems)
        else:
            order = []
        if problems:
            where = f" in pedigree '{name}'" if name else ""
            raise KinshipError(f"invalid pedigree{where}: " + "; ".join(problems))
        self._by_id = by_id
        self._order = tuple(order)
        children: dict[str, list[str]] = {i: [] for i in order}
        for i in order:
            ind = by_id[i]
            if ind.father is not None and ind.mother is not None:  # validated: both or neither
                children[ind.father].append(i)
                children[ind.mother].append(i)
        self._children = {k: tuple(v) for k, v in children.items()}

    # --- access -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Individual]:
        """The individuals, every parent before its children."""
        return (self._by_id[i] for i in self._order)

    def __contains__(self, pid: object) -> bool:
        return pid in self._by_id

    def __getitem__(self, pid: str) -> Individual:
        try:
            return self._by_id[pid]
        except KeyError:
            raise KinshipError(f"'{pid}' is not in the pedigree") from None

    def __repr__(self) -> str:
        return f"Pedigree({len(self)} individuals{', ' + repr(self.name) if self.name else ''})"

    @property
    def ids(self) -> tuple[str, ...]:
        """Ids with every parent before its children."""
        return self._order

    @property
    def founders(self) -> tuple[str, ...]:
        """Ids of the founders, in pedigree order."""
        return tuple(i for i in self._order if self._by_id[i].is_founder)

    @property
    def founder_inbreeding(self) -> dict[str, float]:
        """``founder id -> f`` for the founders with a nonzero inbreeding coefficient."""
        return {i.id: i.inbreeding for i in self if i.inbreeding > 0}

    def children(self, pid: str) -> tuple[str, ...]:
        """Ids of ``pid``'s children, in pedigree order."""
        return self._children[pid]

    def parents(self, pid: str) -> tuple[str, str] | None:
        """``(father, mother)`` of ``pid``, or ``None`` for a founder."""
        ind = self[pid]
        if ind.father is None or ind.mother is None:  # validated: both or neither
            return None
        return (ind.father, ind.mother)

    def ancestors(self, pid: str) -> set[str]:
        """Every ancestor of ``pid`` (not ``pid`` itself)."""
        out: set[str] = set()
        stack = [pid]
        while stack:
            ind = self._by_id[stack.pop()]
            for p in (ind.father, ind.mother):
                if p is not None and p not in out:
                    out.add(p)
                    stack.append(p)
        return out

    def components(self) -> list[tuple[str, ...]]:
        """Connected components (as id tuples in pedigree order)."""
        groups = DisjointSet(self._order)
        for ind in self:
            for p in (ind.father, ind.mother):
                if p is not None:
                    groups.union(p, ind.id)
        return [tuple(g) for g in groups.groups()]

    # --- derived pedigrees --------------------------------------------------------------------
    def subset(self, ids: Iterable[str]) -> Pedigree:
        """The pedigree restricted to ``ids`` (which must be closed under parents)."""
        keep = set(ids)
        return Pedigree([self._by_id[i] for i in self._order if i in keep], name=self.name)

    def union(self, other: Pedigree) -> Pedigree:
        """Both pedigrees side by side (ids must not clash)."""
        return Pedigree(list(self) + list(other))

    def with_sex(self, pid: str, sex: Sex) -> Pedigree:
        """The same pedigree with ``pid``'s sex set to ``sex``."""
        return Pedigree([replace(i, sex=sex) if i.id == pid else i for i in self], name=self.name)

    def with_founder_inbreeding(self, inbreeding: Mapping[str, float]) -> Pedigree:
        """The same pedigree with founder inbreeding coefficients set (pedtools'
        ``founderInbreeding(x, ids) <- f``); founders not named keep theirs.

        >>> ped = Pedigree([Individual("A")]).with_founder_inbreeding({"A": 0.25})
        >>> ped.founder_inbreeding
        {'A': 0.25}
        """
        unknown = [i for i in inbreeding if i not in self._by_id]
        if unknown:
            raise KinshipError(f"not in the pedigree: {', '.join(map(str, unknown[:5]))}")
        return Pedigree(
            [
                replace(i, inbreeding=float(inbreeding[i.id])) if i.id in inbreeding else i
                for i in self
            ],
            name=self.name,
        )

    def relabel(self, mapping: Mapping[str, str]) -> Pedigree:
        """The same pedigree with ids renamed by ``mapping`` (ids it does not name are kept)."""

        def r(x: str | None) -> str | None:
            return None if x is None else mapping.get(x, x)

        return Pedigree(
            [
                Individual(mapping.get(i.id, i.id), r(i.father), r(i.mother), i.sex, i.inbreeding)
                for i in self
            ],
            name=self.name,
        )


def _inbreeding_problems(ind: Individual) -> list[str]:
    """Problems with ``ind``'s founder inbreeding coefficient (none, or one line)."""
    f = ind.inbreeding
    if not (isinstance(f, (int, float)) and 0.0 <= f <= 1.0):
        return [f"'{ind.id}' has inbreeding coefficient {f!r}; it must be in [0, 1]"]
    if f > 0 and not ind.is_founder:
        return [
            f"'{ind.id}' is not a founder but has inbreeding coefficient {f}; only founders "
            "take one (a non-founder's follows from the pedigree)"
        ]
    return []


def _topological_order(by_id: Mapping[str, Individual], problems: list[str]) -> list[str]:
    state: dict[str, int] = {}
    order: list[str] = []
    for start in by_id:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, k = stack.pop()
            if k == 0:
                if state.get(node) == 2:
                    continue
                state[node] = 1
            ind = by_id[node]
            parents = [p for p in (ind.father, ind.mother) if p is not None]
            if k < len(parents):
                stack.append((node, k + 1))
                p = parents[k]
                if state.get(p) == 1:
                    problems.append(f"'{p}' is their own ancestor (cycle through '{node}')")
                    return []
                if not state.get(p):
                    stack.append((p, 0))
            else:
                state[node] = 2
                order.append(node)
    return order


def singleton(pid: str, sex: Sex = Sex.UNKNOWN) -> Pedigree:
    """A pedigree of one person: an unrelated individual, as pedtools' ``singleton``.

    >>> singleton("V1", Sex.MALE)["V1"]
    Individual(id='V1', father=None, mother=None, sex=<Sex.MALE: 1>)
    """
    return Pedigree([Individual(pid, sex=sex)])


def pedigree_from_rows(
    rows: Sequence[tuple[str, str | None, str | None, int]], name: str | None = None
) -> Pedigree:
    """A pedigree from ``(id, father, mother, sex)`` rows; ``"0"`` or ``None`` for no parent."""

    def par(x: str | None) -> str | None:
        return None if x in (None, "", "0", "NA") else x

    return Pedigree(
        [Individual(str(i), par(f), par(m), Sex(int(s))) for i, f, m, s in rows], name=name
    )
