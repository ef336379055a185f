"""Familias ``.fam`` files without a DVI section: paternity and kinship cases, and databases.

:func:`read_fam_database` reads the database of any ``.fam`` file (a Familias frequency database
saved on its own is a ``.fam`` file with no persons) as markers, for use as a frequency table.

Such a file holds persons (with genotypes), the relations every hypothesis shares ("Known
relations") and one pedigree per hypothesis with its own relations, then the database. It is read
as pedFamilias's ``readFam()`` reads it:

- each pedigree has every person of the file, the shared extras (unnamed persons, females first)
  and its own extras; here extras are named ``_extra1``, ``_extra2``, ... in that order;
- a parent is the father when the person is male, the mother otherwise; a child with one parent
  gets the other as a new founder ``added_1``, ... (:func:`repatria.kinship.building.build_family`);
- genotypes are allele indices into the locus's alleles as the database lists them;
- the markers are the loci anybody is typed at, in database order, with their mutation models
  (:func:`repatria.formats.fam.marker_from_locus`).

A theta (kinship correction) in the file is kept in :attr:`FamKinshipCase.theta` but, as in the
pedsuite, not applied (with a :class:`~repatria.formats.fam.FamWarning`). The likelihood of each
pedigree, and LRs between them, are computed by the kinship core (the service
:func:`repatria.services.pipelines.kinship_eval.evaluate_fam`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from repatria.errors import FormatError, KinshipError
from repatria.formats.fam import FamWarning, marker_from_locus
from repatria.formats.fam_records import FamRecords, HeaderPedigree, read_fam_records
from repatria.kinship.building import BuildError, build_family
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Pedigree, Sex

__all__ = ["FamKinshipCase", "read_fam_kinship", "read_fam_database"]

EXTRA_PREFIX = "_extra"


@dataclass(frozen=True, eq=False)
class FamKinshipCase:
    """A kinship case read from a ``.fam`` file.

    Attributes
    ----------
    file : the file read.
    pedigrees : each hypothesis's pedigree, in the file's pedigree order (name → pedigree).
    markers : the loci anybody is typed at, in database order.
    profiles : ``profiles[person][marker] -> Genotype``.
    theta : the file's theta (kinship correction).
    """

    file: str
    pedigrees: Mapping[str, Pedigree]
    markers: tuple[Marker, ...]
    profiles: Mapping[str, Mapping[str, Genotype]]
    theta: float


def read_fam_kinship(path: str | Path) -> FamKinshipCase:
    """Read a paternity or kinship ``.fam`` file (one without a ``[DVI]`` section).

    Raises
    ------
    FormatError naming the file, the line and the field of the first problem.
    """
    rec = read_fam_records(path)
    file = rec.file
    if rec.dvi is not None:
        raise FormatError(
            "this file has a [DVI] section: analyse it with 'repatria dvi analyse'",
            file=file,
            line=rec.dvi.line,
            field="[DVI]",
        )
    if not rec.persons:
        raise FormatError(
            "the file holds no persons (a database only?): nothing to compute",
            file=file,
            line=4,
            field="number of individuals",
        )
    if rec.theta > 0:
        warnings.warn(
            f"{file} line {rec.database_line}: theta (kinship correction) = {rec.theta:g} is not "
            f"applied, as the pedsuite reads the file",
            FamWarning,
            stacklevel=2,
        )
    markers, profiles = _profiles(rec)
    if not profiles:
        raise FormatError(
            "nobody in the file has a genotype", file=file, line=4, field="number of genotypes"
        )
    peds = rec.pedigrees or (HeaderPedigree(0, "pedigree", rec.database_line, 0, 0, ()),)
    pedigrees: dict[str, Pedigree] = {}
    for ped in sorted(peds, key=lambda x: x.index):
        if ped.name in pedigrees:
            raise FormatError(
                f"two pedigrees are named '{ped.name}'", file=file, line=ped.line, field="name"
            )
        pedigrees[ped.name] = _pedigree(rec, ped, set(profiles))
    return FamKinshipCase(file, pedigrees, markers, profiles, rec.theta)


def _profiles(rec: FamRecords) -> tuple[tuple[Marker, ...], dict[str, dict[str, Genotype]]]:
    loci = rec.loci
    markers = [marker_from_locus(loc, rec.file) for loc in loci]
    profiles: dict[str, dict[str, Genotype]] = {}
    used: set[int] = set()
    for p in rec.persons:
        for g in p.genotypes:
            if g.locus >= len(loci):
                raise FormatError(
                    f"genotype of '{p.name}': locus number {g.locus + 1}, but the database has "
                    f"{len(loci)} loci",
                    file=rec.file,
                    line=g.line + 2,
                    field="locus",
                )
            loc = loci[g.locus]
            alleles: list[str] = []
            for k, a in ((0, g.allele1), (1, g.allele2)):
                if a >= len(loc.alleles):
                    raise FormatError(
                        f"genotype of '{p.name}' at {loc.name}: allele number {a + 1}, but the "
                        f"locus has {len(loc.alleles)} alleles",
                        file=rec.file,
                        line=g.line + k,
                        field=f"allele{k + 1}",
                    )
                alleles.append("z" if loc.alleles[a] == "0" else loc.alleles[a])  # as read
            profiles.setdefault(p.name, {})[loc.name] = (alleles[0], alleles[1])
            used.add(g.locus)
    return tuple(m for i, m in enumerate(markers) if i in used), profiles


def _pedigree(rec: FamRecords, ped: HeaderPedigree, typed: set[str]) -> Pedigree:
    names = [p.name for p in rec.persons]
    sex: list[Sex | None] = [Sex.MALE if p.male else Sex.FEMALE for p in rec.persons]
    n_extra = rec.extra_females + rec.extra_males + ped.extra_females + ped.extra_males
    names += [f"{EXTRA_PREFIX}{k}" for k in range(1, n_extra + 1)]
    sex += [Sex.FEMALE] * rec.extra_females + [Sex.MALE] * rec.extra_males
    sex += [Sex.FEMALE] * ped.extra_females + [Sex.MALE] * ped.extra_males
    if len(set(names)) != len(names):
        dup = next(x for x in names if names.count(x) > 1)
        raise FormatError(
            f"the name '{dup}' is used twice", file=rec.file, line=rec.persons[0].line, field="name"
        )
    relations = rec.relations + ped.relations
    pairs = []
    for r in relations:
        for k, who in ((0, r.parent), (1, r.child)):
            if who >= len(names):
                raise FormatError(
                    f"pedigree '{ped.name}': person number {who + 1}, but the pedigree has "
                    f"{len(names)} persons",
                    file=rec.file,
                    line=r.line + k,
                    field="relation",
                )
        pairs.append((names[r.parent], names[r.child]))
    try:
        return build_family(
            list(zip(names, sex, strict=True)), pairs, typed, name=ped.name, keep_all=True
        ).pedigree
    except BuildError as e:
        line = ped.line if e.relation is None else relations[e.relation].line
        raise FormatError(
            f"pedigree '{ped.name}': {e}", file=rec.file, line=line, field="relation"
        ) from None
    except KinshipError as e:
        raise FormatError(str(e), file=rec.file, line=ped.line, field="relation") from None


def read_fam_database(path: str | Path) -> tuple[Marker, ...]:
    """The markers of a ``.fam`` file's database, in file order, with their mutation models.

    Any ``.fam`` file has one (persons, pedigrees and the DVI section are not read beyond checking
    their shape). Alleles are in pedtools order (:func:`repatria.formats.fam.marker_from_locus`).

    Raises
    ------
    FormatError naming the file, the line and the field of the first problem.
    """
    rec = read_fam_records(path)
    if not rec.loci:
        raise FormatError(
            "the database has no loci", file=rec.file, line=rec.database_line + 1, field="loci"
        )
    return tuple(marker_from_locus(loc, rec.file) for loc in rec.loci)
