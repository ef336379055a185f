"""Which relatives could still give a sample: the candidates of one reference family.

For a family with a missing person (MP), :func:`sampling_candidates` lists the typed pedigree's
untyped members who could be typed, and relatives not yet in the pedigree (a full sibling, a child,
an uncle or aunt) added to a copy of it; :func:`relationship` names how each is related to the MP.
The power of each candidate is computed in :mod:`repatria.kinship.power.study`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Genotype, Individual, Pedigree, Profiles, Sex

__all__ = ["SamplingCandidate", "sampling_candidates", "relationship"]

M, F = Sex.MALE, Sex.FEMALE


@dataclass(frozen=True, eq=False)
class SamplingCandidate:
    """A relative (or a set of relatives typed together) who could still give a sample.

    Attributes
    ----------
    relatives : ids of the people to type, in ``pedigree``; empty for "the current references".
    relationship : how they are related to the MP, e.g. ``"mother"``, ``"full sibling (added)"``.
    pedigree : the family's pedigree, with the relatives added where they were not in it.
    lines : ``"Y"`` when the (first) relative is a man of the MP's paternal line and the MP is male,
        ``"mt"`` when of the MP's maternal line: lineage markers would add to the figures.
    added : whether the relatives were added to the pedigree.
    """

    relatives: tuple[str, ...]
    relationship: str
    pedigree: Pedigree
    lines: tuple[str, ...] = ()
    added: bool = False


def _fresh(ped: Pedigree | list[Individual], base: str) -> str:
    ids = {i.id for i in ped}
    if base not in ids:
        return base
    k = 2
    while f"{base}-{k}" in ids:
        k += 1
    return f"{base}-{k}"


def _with_parents(
    inds: list[Individual], pid: str, prefix: str
) -> tuple[list[Individual], str, str]:
    """``inds`` where ``pid`` has parents (added as founders if it had none), and their ids."""
    ind = next(i for i in inds if i.id == pid)
    if ind.father is not None and ind.mother is not None:
        return inds, ind.father, ind.mother
    fa = _fresh(inds, f"{prefix}father")
    inds = inds + [Individual(fa, sex=M)]
    mo = _fresh(inds, f"{prefix}mother")
    inds = inds + [Individual(mo, sex=F)]
    inds = [Individual(i.id, fa, mo, i.sex) if i.id == pid else i for i in inds]
    return inds, fa, mo


def _added_candidates(ped: Pedigree, mp: str) -> list[SamplingCandidate]:
    """The relatives that can be added: parents, a full sibling, a child (with and without its
    other parent), a paternal uncle (Y line) and a maternal aunt (mt line)."""
    out: list[SamplingCandidate] = []
    base = list(ped)
    name = ped.name
    sex = ped[mp].sex
    if ped[mp].is_founder:
        inds, fa, mo = _with_parents(base, mp, "new-")
        p = Pedigree(inds, name=name)
        out.append(SamplingCandidate((fa,), "father (added)", p, added=True))
        out.append(SamplingCandidate((mo,), "mother (added)", p, added=True))
    inds, fa, mo = _with_parents(base, mp, "new-")
    sib = _fresh(inds, "new-sibling")
    p = Pedigree(inds + [Individual(sib, fa, mo, F)], name=name)
    out.append(SamplingCandidate((sib,), "full sibling (added)", p, added=True))
    if sex in (M, F):
        other = _fresh(base, "new-partner")
        child = _fresh(base + [Individual(other)], "new-child")
        fa_c, mo_c = (mp, other) if sex == M else (other, mp)
        inds = base + [
            Individual(other, sex=F if sex == M else M),
            Individual(child, fa_c, mo_c, F),
        ]
        p = Pedigree(inds, name=name)
        out.append(SamplingCandidate((child,), "child (added)", p, added=True))
        out.append(
            SamplingCandidate((child, other), "child and its other parent (added)", p, added=True)
        )
    for side, sex_rel, label in ((0, M, "paternal uncle (added)"), (1, F, "maternal aunt (added)")):
        inds, fa, mo = _with_parents(base, mp, "new-")
        parent = (fa, mo)[side]
        inds, gf, gm = _with_parents(inds, parent, f"new-{('paternal', 'maternal')[side]}-grand")
        rel = _fresh(inds, f"new-{label.split()[1]}")
        p = Pedigree(inds + [Individual(rel, gf, gm, sex_rel)], name=name)
        out.append(SamplingCandidate((rel,), label, p, added=True))
    return out


def _line_founder(ped: Pedigree, pid: str, side: int) -> str:
    """The founder at the top of ``pid``'s paternal (``side`` 0) or maternal (1) line."""
    while True:
        parents = ped.parents(pid)
        if parents is None:
            return pid
        pid = parents[side]


def _lines(ped: Pedigree, mp: str, rel: str) -> tuple[str, ...]:
    out = []
    if (
        ped[mp].sex == M
        and ped[rel].sex == M
        and _line_founder(ped, mp, 0) == _line_founder(ped, rel, 0)
    ):
        out.append("Y")
    if _line_founder(ped, mp, 1) == _line_founder(ped, rel, 1):
        out.append("mt")
    return tuple(out)


_WORDS = {
    "parent": ("father", "mother"),
    "child": ("son", "daughter"),
    "full sibling": ("brother", "sister"),
    "half sibling": ("half brother", "half sister"),
    "grandparent": ("grandfather", "grandmother"),
    "grandchild": ("grandson", "granddaughter"),
    "avuncular": ("uncle", "aunt"),
    "nephew/niece": ("nephew", "niece"),
}


def relationship(ped: Pedigree, mp: str, rel: str) -> str:
    """A word for how ``rel`` is related to ``mp`` in ``ped`` (``"relative"`` when none fits).

    Examples
    --------
    >>> ped = Pedigree([Individual("FA", sex=M), Individual("MO", sex=F),
    ...                 Individual("MP", "FA", "MO", M), Individual("S", "FA", "MO", F)])
    >>> relationship(ped, "MP", "S"), relationship(ped, "MP", "MO")
    ('sister', 'mother')
    """
    kind = _relationship_kind(ped, mp, rel)
    words = _WORDS.get(kind)
    sex = ped[rel].sex
    if words is None or sex not in (M, F):
        return kind
    return words[0 if sex == M else 1]


def _full_sibs(ped: Pedigree, pid: str) -> set[str]:
    par = ped.parents(pid)
    if par is None:
        return set()
    return {c for c in ped.children(par[0]) if ped.parents(c) == par and c != pid}


def _relationship_kind(ped: Pedigree, mp: str, rel: str) -> str:
    parents = set(ped.parents(mp) or ())
    children = set(ped.children(mp))
    grandparents = {g for p in parents for g in (ped.parents(p) or ())}
    sibs = _full_sibs(ped, mp)
    avuncular = {s for p in parents for s in _full_sibs(ped, p)}
    kinds: list[tuple[str, set[str]]] = [
        ("parent", parents),
        ("child", children),
        ("full sibling", sibs),
        ("half sibling", {c for p in parents for c in ped.children(p)} - sibs - {mp}),
        ("grandparent", grandparents),
        ("grandchild", {g for c in children for g in ped.children(c)}),
        ("avuncular", avuncular),
        ("nephew/niece", {c for s in sibs for c in ped.children(s)}),
        ("first cousin", {c for a in avuncular for c in ped.children(a)}),
        ("partner", {p for c in children for p in (ped.parents(c) or ())} - {mp}),
    ]
    return next((k for k, group in kinds if rel in group), "relative")


def sampling_candidates(
    pedigree: Pedigree, missing: str, profiles: Profiles, exclude: Iterable[str] = ()
) -> tuple[SamplingCandidate, ...]:
    """The relatives of ``missing`` who could still be sampled.

    First "the current references" (no new relative), then every untyped member of ``pedigree``
    other than the MP, then relatives added to the pedigree: the MP's parents (if it has none in the
    pedigree), a full sibling, a child (with and without its other parent; an MP of known sex
    only), a paternal uncle (a man of the MP's paternal line, for Y-STRs) and a maternal aunt (of
    its maternal line, for mtDNA). ``exclude``: members not to offer (e.g. the family's other
    missing persons).
    """
    if missing not in pedigree:
        raise KinshipError(f"missing person '{missing}' is not in the pedigree")
    typed = {pid for pid, prof in profiles.items() if pid in pedigree and _has_genotype(prof)}
    typed |= set(exclude)
    out = [SamplingCandidate((), "current references", pedigree)]
    for pid in pedigree.ids:
        if pid == missing or pid in typed:
            continue
        out.append(
            SamplingCandidate(
                (pid,),
                relationship(pedigree, missing, pid),
                pedigree,
                _lines(pedigree, missing, pid),
            )
        )
    for c in _added_candidates(pedigree, missing):
        lines = _lines(c.pedigree, missing, c.relatives[0])
        out.append(SamplingCandidate(c.relatives, c.relationship, c.pedigree, lines, True))
    return tuple(out)


def _has_genotype(prof: Mapping[str, Genotype]) -> bool:
    return any(g is not None and (g[0] is not None or g[1] is not None) for g in prof.values())
