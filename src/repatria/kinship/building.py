"""Building a reference pedigree from a list of persons and parent → child pairs.

Pedigree programs such as Familias store a family as persons (with a sex, or none) and relations
("Parent= A / Child= B") rather than as father/mother columns. :func:`build_family` turns that into
a :class:`~repatria.kinship.pedigree.Pedigree` the way pedFamilias and dvir do:

1. every parent and child must be a listed person or a *placeholder* (Familias's ``Missing
   person``, named in relations but never listed);
2. a parent without a recorded sex takes the sex opposite to its co-parents (female when it has
   none); a person who is never a parent and has no sex gets ``unknown_sex``;
3. a child with one parent gets the other as a new founder ``added_1``, ``added_2``, ...
   (missing fathers numbered first, then missing mothers);
4. only the connected part holding the typed persons is kept (unless ``keep_all``); when they
   fall in two parts, one holding ``join_through`` and the other a single person, the two are
   joined through dummy individuals (dvir's repair: a common child ``dummy``, or
   ``_dummy1``-``_dummy3`` when both have the same sex).

The order of :attr:`BuiltFamily.order` is the pedsuite's: listed persons, then placeholders, then
added parents (then dummies). It is the order in which missing persons and untyped members are
numbered when a case is relabelled.

Errors are :class:`BuildError`, which names the relation (its index in ``relations``) so that a
file reader can point at the line it came from.

Examples
--------
>>> fam = build_family(
...     [("Mother", Sex.FEMALE), ("Son", Sex.MALE)], [("Mother", "Son")], typed={"Mother"}
... )
>>> fam.order
('Mother', 'Son', 'added_1')
>>> fam.pedigree["Son"].father, fam.pedigree["added_1"].sex
('added_1', <Sex.MALE: 1>)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Individual, Pedigree, Sex

__all__ = ["BuildError", "BuiltFamily", "build_family", "infer_parent_sex", "join_parts"]

#: A relation: ``(parent, child)``.
Relation = tuple[str, str]


class BuildError(KinshipError):
    """A family that cannot be built; ``relation`` is the index of the pair at fault, if any."""

    def __init__(self, message: str, *, relation: int | None = None, role: str = "Parent") -> None:
        super().__init__(message)
        self.relation = relation
        self.role = role


@dataclass(frozen=True, eq=False)
class BuiltFamily:
    """A reference pedigree built from persons and relations.

    Attributes
    ----------
    pedigree : the kept part of the family (validated).
    order : its ids in the pedsuite's order (see the module notes).
    undetermined : ids whose sex was not recorded and were given ``unknown_sex``.
    joined : ids of the dummies added to join two parts (empty when nothing was joined).
    """

    pedigree: Pedigree
    order: tuple[str, ...]
    undetermined: tuple[str, ...]
    joined: tuple[str, ...] = ()

    def relabel(self, mapping: Mapping[str, str]) -> BuiltFamily:
        """The same family with ids renamed (ids absent from ``mapping`` keep their label)."""
        if not mapping:
            return self
        return BuiltFamily(
            self.pedigree.relabel(mapping),
            tuple(mapping.get(i, i) for i in self.order),
            tuple(mapping.get(i, i) for i in self.undetermined),
            tuple(mapping.get(i, i) for i in self.joined),
        )


def build_family(
    persons: Sequence[tuple[str, Sex | None]],
    relations: Sequence[Relation],
    typed: Collection[str],
    *,
    name: str | None = None,
    placeholders: Collection[str] = (),
    unknown_sex: Sex = Sex.FEMALE,
    prefix_added: str = "added_",
    join_through: str | None = None,
    keep_all: bool = False,
) -> BuiltFamily:
    """Build the pedigree of one family (see the module notes for the rules).

    Parameters
    ----------
    persons : ``(id, sex)`` of the listed persons, in order; ``sex`` ``None`` when not recorded.
    relations : ``(parent, child)`` pairs, in order.
    typed : ids of the persons with DNA data; the part of the family holding them is kept.
    name : the pedigree's name.
    placeholders : ids that may appear in relations without being listed.
    unknown_sex : the sex given to persons with no recorded sex who are not parents.
    prefix_added : label prefix of the parents added for children with one parent.
    join_through : the id through which two typed parts may be joined (``None``: never join).
    keep_all : keep every part of the family (a kinship hypothesis of unrelated people is a
        family in several parts); ``typed`` and ``join_through`` are then not used.

    Raises
    ------
    BuildError : an unknown person, a person their own parent, a child with two fathers or two
        mothers, a parent whose sex cannot be decided, a taken name, or typed persons in parts
        that cannot be joined.
    """
    ids = [p for p, _ in persons]
    _check_relations(ids, placeholders, relations)
    rel_parents = [r[0] for r in relations]
    extras = [x for x in dict.fromkeys(rel_parents + [r[1] for r in relations]) if x not in ids]
    sex: dict[str, Sex | None] = {p: s for p, s in persons}
    sex.update({x: None for x in extras})
    sex.update(infer_parent_sex(sex, relations))
    fathers, mothers = _parents(sex, relations)
    order = ids + extras
    added = _add_missing_parents(order, fathers, mothers, sex, prefix_added)
    order += added
    undetermined = tuple(i for i in order if sex[i] is None)
    inds = [Individual(i, fathers.get(i), mothers.get(i), sex[i] or unknown_sex) for i in order]
    full = Pedigree(inds, name=name)
    if keep_all:
        return BuiltFamily(full, tuple(order), undetermined)
    typed_set = set(typed)
    parts = [c for c in full.components() if typed_set & set(c)]
    if not parts:
        raise BuildError("no person of the pedigree has DNA data")
    if len(parts) > 2 or (len(parts) == 2 and join_through is None):
        raise BuildError(f"the typed persons fall in {len(parts)} unconnected parts")
    keep = set(parts[0])
    joined: tuple[str, ...] = ()
    ped = full.subset(keep)
    if len(parts) == 2:
        assert join_through is not None
        ped, joined = join_parts(full, parts[0], parts[1], join_through, name=name)
        keep |= set(parts[1])
    kept = tuple(i for i in order if i in keep) + joined
    return BuiltFamily(ped, kept, tuple(i for i in undetermined if i in keep), joined)


def _check_relations(
    ids: Sequence[str], placeholders: Collection[str], relations: Sequence[Relation]
) -> None:
    known = set(ids) | set(placeholders)
    for k, (parent, child) in enumerate(relations):
        for role, who in (("Parent", parent), ("Child", child)):
            if who not in known:
                raise BuildError(
                    f"{role} '{who}' is not a person of the family", relation=k, role=role
                )
        if parent == child:
            raise BuildError(f"'{parent}' is their own parent", relation=k)


def infer_parent_sex(
    sex: Mapping[str, Sex | None], relations: Sequence[Relation]
) -> dict[str, Sex]:
    """Sexes of the parents that have none: opposite to their co-parents (female without any).

    Examples
    --------
    >>> infer_parent_sex({"F": Sex.MALE, "X": None, "C": None}, [("F", "C"), ("X", "C")])
    {'X': <Sex.FEMALE: 2>}
    """
    out: dict[str, Sex] = {}
    for p in dict.fromkeys(r[0] for r in relations):
        if sex[p] is not None:
            continue
        kids = {c for q, c in relations if q == p}
        spouses = {q for q, c in relations if c in kids and q != p}
        spouse_sex = {sex[s] for s in spouses}
        if spouse_sex <= {Sex.MALE}:
            out[p] = Sex.FEMALE
        elif spouse_sex == {Sex.FEMALE}:
            out[p] = Sex.MALE
        else:
            k = next(k for k, r in enumerate(relations) if r[0] == p)
            raise BuildError(
                f"cannot decide the sex of parent '{p}' (its co-parents "
                f"{', '.join(sorted(spouses))} do not share one sex)",
                relation=k,
            )
    return out


def _parents(
    sex: Mapping[str, Sex | None], relations: Sequence[Relation]
) -> tuple[dict[str, str], dict[str, str]]:
    fathers: dict[str, str] = {}
    mothers: dict[str, str] = {}
    for k, (parent, child) in enumerate(relations):
        slot = fathers if sex[parent] == Sex.MALE else mothers
        if slot.get(child, parent) != parent:
            role = "father" if slot is fathers else "mother"
            raise BuildError(
                f"'{child}' has two {role}s, '{slot[child]}' and '{parent}'", relation=k
            )
        slot[child] = parent
    return fathers, mothers


def _add_missing_parents(
    order: Sequence[str],
    fathers: dict[str, str],
    mothers: dict[str, str],
    sex: dict[str, Sex | None],
    prefix: str,
) -> list[str]:
    """Founders for children with one parent (fathers first); ``fathers``/``mothers`` updated."""
    need_father = [c for c in order if c in mothers and c not in fathers]
    need_mother = [c for c in order if c in fathers and c not in mothers]
    added: list[str] = []
    for k, c in enumerate(need_father + need_mother, start=1):
        new = f"{prefix}{k}"
        if new in sex:
            raise BuildError(f"cannot add a parent '{new}' for '{c}': the name is taken")
        is_father = k <= len(need_father)
        (fathers if is_father else mothers)[c] = new
        sex[new] = Sex.MALE if is_father else Sex.FEMALE
        added.append(new)
    return added


def join_parts(
    full: Pedigree,
    part1: Sequence[str],
    part2: Sequence[str],
    through: str,
    *,
    name: str | None = None,
) -> tuple[Pedigree, tuple[str, ...]]:
    """dvir's repair of a family in two parts: ``through`` and a lone person get a common child.

    One part must hold ``through`` and the other be a single person. When the two have opposite
    sexes their common child is ``dummy``; when they have the same sex, ``_dummy1`` (of the other
    sex) has a child with each (``_dummy2``, ``_dummy3``).

    Returns
    -------
    (the joined pedigree, the ids of the dummies).
    """
    x1, x2 = (part2, part1) if len(part1) == 1 else (part1, part2)
    if through not in x1 or len(x2) != 1:
        raise BuildError(
            f"the typed persons fall in two unconnected parts; dvir joins them only when one "
            f"part holds '{through}' and the other is one person"
        )
    a, b = through, x2[0]
    sa, sb = full[a].sex, full[b].sex
    if Sex.UNKNOWN in (sa, sb):
        raise BuildError(
            f"cannot join the two parts of the pedigree: the sex of '{a}' or '{b}' is unknown"
        )
    new: list[Individual] = []
    if sa != sb:
        fa, mo = (a, b) if sa == Sex.MALE else (b, a)
        new.append(Individual("dummy", fa, mo, Sex.UNKNOWN))
    else:
        other = Sex.FEMALE if sa == Sex.MALE else Sex.MALE
        new.append(Individual("_dummy1", None, None, other))
        for kid, p in (("_dummy2", a), ("_dummy3", b)):
            fa, mo = (p, "_dummy1") if sa == Sex.MALE else ("_dummy1", p)
            new.append(Individual(kid, fa, mo, Sex.UNKNOWN))
    taken = next((ind.id for ind in new if ind.id in full), None)
    if taken is not None:
        raise BuildError(f"cannot join the two parts of the pedigree: the name '{taken}' is taken")
    keep = set(x1) | set(x2)
    inds = [ind for ind in full if ind.id in keep] + new
    return Pedigree(inds, name=name), tuple(ind.id for ind in new)
