"""The ``[DVI]`` section of a Familias ``.fam`` file, read into records with their line numbers.

The section is a tree of bracketed headings (``[[Unidentified persons]]``, ``[[[Family 1 ]]]``,
... the depth is the number of brackets) holding ``Key= value`` lines::

    [DVI]
    [[Unidentified persons]]                  nPersons=, then per person: Name=, Gender=,
                                              [[[[DNA data]]]] with nSystems= and
                                              SystemName= / Allele1= / Allele2= triples
    [[Reference Families]]                    nFamilies=, then per family: Name=,
                                              [[[[Persons]]]] (as above) and [[[[Pedigrees]]]]:
                                              nPedigrees=, per pedigree Name=, nRelations= and
                                              Parent= / Child= pairs

Counts are checked against what follows (a truncated or edited file is an error), markers and
alleles against the database. Building pedigrees from the records is not done here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.text import check_field
from repatria.kinship.pedigree import Genotype, Sex

__all__ = [
    "DVIRecords",
    "PersonRecord",
    "PedigreeRecord",
    "RelationRecord",
    "FamilyRecord",
    "read_dvi_section",
]

#: Each locus's allele labels and the line the locus starts at.
LocusAlleles = Mapping[str, tuple[set[str], int]]

# --------------------------------------------------------------------------------------------
# The [DVI] section: a tree of bracketed sections holding `Key= value` lines
# --------------------------------------------------------------------------------------------


@dataclass
class _KV:
    key: str
    value: str
    line: int


@dataclass
class _Node:
    name: str
    depth: int
    line: int
    items: list[_KV | _Node] = field(default_factory=list)

    def kvs(self) -> list[_KV]:
        return [x for x in self.items if isinstance(x, _KV)]

    def children(self) -> list[_Node]:
        return [x for x in self.items if isinstance(x, _Node)]

    def child(self, name: str) -> _Node | None:
        return next((c for c in self.children() if c.name.casefold() == name.casefold()), None)

    def get(self, key: str) -> _KV | None:
        return next((kv for kv in self.kvs() if kv.key == key), None)


def _parse_sections(file: str, lines: list[str], start: int) -> list[_Node]:
    roots: list[_Node] = []
    stack: list[_Node] = []
    for i in range(start, len(lines)):
        raw = "[DVI]" if i == start else lines[i].strip()
        if not raw:
            continue
        k = i + 1
        if raw.startswith("["):
            depth = len(raw) - len(raw.lstrip("["))
            name = raw.replace("[", "").replace("]", "").strip()
            if depth > len(stack) + 1:
                raise FormatError(
                    f"section '{raw}' (depth {depth}) has no enclosing section of depth "
                    f"{depth - 1}",
                    file=file,
                    line=k,
                    field="section",
                )
            node = _Node(name, depth, k)
            del stack[depth - 1 :]
            (stack[-1].items if stack else roots).append(node)
            stack.append(node)
        else:
            key, eq, value = raw.partition("=")
            stack[-1].items.append(_KV(key.strip(), value.strip() if eq else "", k))
    return roots


def _count(file: str, node: _Node, key: str) -> tuple[int, int]:
    kv = node.get(key)
    if kv is None:
        raise FormatError(
            f"section '{node.name}' has no '{key}=' line", file=file, line=node.line, field=key
        )
    try:
        n = int(kv.value)
    except ValueError:
        raise FormatError(
            f"{key} must be a whole number, found '{kv.value}'", file=file, line=kv.line, field=key
        ) from None
    if n < 0:
        raise FormatError(f"{key} must be >= 0, found {n}", file=file, line=kv.line, field=key)
    return n, kv.line


def _check_count(
    file: str, what: str, declared: int, line: int, found: int, end_line: int, total: int
) -> None:
    if declared != found:
        end = "the end of the file" if end_line > total else f"line {end_line}"
        raise FormatError(
            f"{what}: {declared} declared at line {line}, but {found} found before {end} "
            f"(a truncated or edited file?)",
            file=file,
            line=line,
            field=what,
        )


def _end_line(node: _Node, total: int) -> int:
    """The line after a section's last line (for messages)."""
    last = node.line
    for x in node.items:
        last = max(last, _end_line(x, total) - 1 if isinstance(x, _Node) else x.line)
    return min(last + 1, total + 1)


@dataclass(frozen=True)
class PersonRecord:
    """A person with DNA data: ``profile[marker] -> Genotype``, markers in file order."""

    name: str
    sex: Sex | None  # None: not recorded
    line: int
    profile: Mapping[str, Genotype]
    marker_order: tuple[str, ...]


def _sex(file: str, kv: _KV | None) -> Sex | None:
    if kv is None:
        return None
    v = kv.value.casefold()
    if v == "male":
        return Sex.MALE
    if v == "female":
        return Sex.FEMALE
    raise FormatError(
        f"Gender '{kv.value}' must be Male or Female", file=file, line=kv.line, field="Gender"
    )


def _dna(
    file: str,
    node: _Node | None,
    who: str,
    loci: LocusAlleles,
    total: int,
) -> tuple[dict[str, Genotype], list[str]]:
    if node is None:
        return {}, []
    n, nline = _count(file, node, "nSystems")
    kvs = [kv for kv in node.kvs() if kv.key != "nSystems"]
    profile: dict[str, Genotype] = {}
    order: list[str] = []
    j = 0
    while j < len(kvs):
        kv = kvs[j]
        if kv.key != "SystemName":
            raise FormatError(
                f"DNA data of '{who}': expected 'SystemName=', found '{kv.key}='",
                file=file,
                line=kv.line,
                field=kv.key,
            )
        name = kv.value
        if name not in loci:
            raise FormatError(
                f"DNA data of '{who}': marker '{name}' is not in the database",
                file=file,
                line=kv.line,
                field="SystemName",
            )
        if name in profile:
            raise FormatError(
                f"DNA data of '{who}': marker '{name}' is given twice",
                file=file,
                line=kv.line,
                field="SystemName",
            )
        known, locus_line = loci[name]
        alleles: list[str] = []
        for a_key in ("Allele1", "Allele2"):
            j += 1
            if j >= len(kvs) or kvs[j].key != a_key:
                at = kvs[j].line if j < len(kvs) else _end_line(node, total)
                raise FormatError(
                    f"DNA data of '{who}', marker {name}: '{a_key}=' is missing",
                    file=file,
                    line=at,
                    field=a_key,
                )
            a = kvs[j].value
            if not a:
                raise FormatError(
                    f"DNA data of '{who}', marker {name}: {a_key} is empty",
                    file=file,
                    line=kvs[j].line,
                    field=a_key,
                )
            if a not in known:
                raise FormatError(
                    f"DNA data of '{who}': allele '{a}' is not in the database for marker {name} "
                    f"(line {locus_line})",
                    file=file,
                    line=kvs[j].line,
                    field=a_key,
                )
            alleles.append(a)
        profile[name] = (alleles[0], alleles[1])
        order.append(name)
        j += 1
    _check_count(
        file, f"nSystems of '{who}'", n, nline, len(profile), _end_line(node, total), total
    )
    return profile, order


def _persons(
    file: str, node: _Node, what: str, loci: LocusAlleles, total: int
) -> list[PersonRecord]:
    n, nline = _count(file, node, "nPersons")
    out: list[PersonRecord] = []
    seen: dict[str, int] = {}
    for pnode in node.children():
        name_kv = pnode.get("Name")
        if name_kv is None or not name_kv.value:
            raise FormatError(
                f"{what}: person '{pnode.name}' has no Name",
                file=file,
                line=pnode.line,
                field="Name",
            )
        name = name_kv.value
        check_field(name, L.REF, file=file, line=name_kv.line, field="Name")
        if name in seen:
            raise FormatError(
                f"{what}: the name '{name}' is used twice (first at line {seen[name]})",
                file=file,
                line=name_kv.line,
                field="Name",
            )
        seen[name] = name_kv.line
        sex = _sex(file, pnode.get("Gender"))
        profile, order = _dna(file, pnode.child("DNA data"), name, loci, total)
        out.append(PersonRecord(name, sex, name_kv.line, profile, tuple(order)))
    _check_count(file, f"nPersons of {what}", n, nline, len(out), _end_line(node, total), total)
    return out


@dataclass(frozen=True)
class RelationRecord:
    """``Parent= parent`` on line ``line``, ``Child= child`` on the line after."""

    parent: str
    child: str
    line: int


@dataclass(frozen=True)
class PedigreeRecord:
    """One pedigree of a reference family: its name and Parent/Child pairs."""

    name: str
    line: int
    relations: tuple[RelationRecord, ...]


@dataclass(frozen=True)
class FamilyRecord:
    """A reference family: its persons (with DNA data) and its pedigrees."""

    name: str
    line: int
    persons: tuple[PersonRecord, ...]
    pedigrees: tuple[PedigreeRecord, ...]


@dataclass(frozen=True)
class DVIRecords:
    """The ``[DVI]`` section: the PM samples and the reference families."""

    line: int
    unidentified: tuple[PersonRecord, ...]
    families: tuple[FamilyRecord, ...]


def _family(file: str, node: _Node, loci: LocusAlleles, total: int) -> FamilyRecord:
    name_kv = node.get("Name")
    if name_kv is None or not name_kv.value:
        raise FormatError(
            f"reference family '{node.name}' has no Name", file=file, line=node.line, field="Name"
        )
    fname = name_kv.value
    check_field(fname, L.REF, file=file, line=name_kv.line, field="Name")
    pnode = node.child("Persons")
    if pnode is None:
        raise FormatError(
            f"reference family '{fname}' has no [[[[Persons]]]] section",
            file=file,
            line=node.line,
            field="Persons",
        )
    persons = _persons(file, pnode, f"family '{fname}'", loci, total)
    gnode = node.child("Pedigrees")
    if gnode is None:
        raise FormatError(
            f"reference family '{fname}' has no [[[[Pedigrees]]]] section",
            file=file,
            line=node.line,
            field="Pedigrees",
        )
    n_ped, ped_line = _count(file, gnode, "nPedigrees")
    peds: list[PedigreeRecord] = []
    for pd in gnode.children():
        pn = pd.get("Name")
        if pn is None:
            raise FormatError(
                f"family '{fname}': pedigree '{pd.name}' has no Name",
                file=file,
                line=pd.line,
                field="Name",
            )
        n_rel, rel_line = _count(file, pd, "nRelations")
        kvs = [kv for kv in pd.kvs() if kv.key not in ("Name", "nRelations")]
        rels: list[RelationRecord] = []
        j = 0
        while j < len(kvs):
            kv = kvs[j]
            if kv.key != "Parent":
                raise FormatError(
                    f"family '{fname}', pedigree '{pn.value}': expected 'Parent=', found "
                    f"'{kv.key}='",
                    file=file,
                    line=kv.line,
                    field=kv.key,
                )
            if j + 1 >= len(kvs) or kvs[j + 1].key != "Child":
                at = kvs[j + 1].line if j + 1 < len(kvs) else _end_line(pd, total)
                raise FormatError(
                    f"family '{fname}', pedigree '{pn.value}': 'Parent= {kv.value}' is not "
                    f"followed by 'Child='",
                    file=file,
                    line=at,
                    field="Child",
                )
            rels.append(RelationRecord(kv.value, kvs[j + 1].value, kv.line))
            j += 2
        _check_count(
            file,
            f"nRelations of pedigree '{pn.value}' in family '{fname}'",
            n_rel,
            rel_line,
            len(rels),
            _end_line(pd, total),
            total,
        )
        peds.append(PedigreeRecord(pn.value, pn.line, tuple(rels)))
    _check_count(
        file,
        f"nPedigrees of family '{fname}'",
        n_ped,
        ped_line,
        len(peds),
        _end_line(gnode, total),
        total,
    )
    return FamilyRecord(fname, name_kv.line, tuple(persons), tuple(peds))


def read_dvi_section(file: str, lines: list[str], start: int, loci: LocusAlleles) -> DVIRecords:
    """Read the ``[DVI]`` section that starts at ``lines[start]`` (0-based)."""
    total = len(lines)
    dvi = _parse_sections(file, lines, start)[0]
    un = dvi.child("Unidentified persons")
    if un is None:
        raise FormatError(
            "the [DVI] section has no [[Unidentified persons]]",
            file=file,
            line=dvi.line,
            field="Unidentified persons",
        )
    pm = _persons(file, un, "the unidentified persons", loci, total)
    rf = dvi.child("Reference Families")
    if rf is None:
        raise FormatError(
            "the [DVI] section has no [[Reference Families]]",
            file=file,
            line=dvi.line,
            field="Reference Families",
        )
    n_fam, fam_line = _count(file, rf, "nFamilies")
    fams = [_family(file, c, loci, total) for c in rf.children()]
    _check_count(file, "nFamilies", n_fam, fam_line, len(fams), _end_line(rf, total), total)
    seen: dict[str, int] = {}
    for f in fams:
        if f.name in seen:
            raise FormatError(
                f"family name '{f.name}' is used twice (first at line {seen[f.name]})",
                file=file,
                line=f.line,
                field="Name",
            )
        seen[f.name] = f.line
    return DVIRecords(dvi.line, tuple(pm), tuple(fams))
