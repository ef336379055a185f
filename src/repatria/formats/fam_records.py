"""Familias ``.fam`` files read into plain records, each knowing the line it came from.

This module only reads: it checks that the file has the shape Familias writes (counts, numbers,
keys in their places) and returns frozen records. Turning them into markers, pedigrees and a DVI
problem is :mod:`repatria.formats.fam`'s job, with the builders of :mod:`repatria.kinship`; the
line numbers kept here let it name the file, the line and the field of any problem.

The file
--------
A header (the persons and pedigrees of a paternity or kinship case), a database, and optionally
the ``[DVI]`` section::

    "Output from Familias, version 3.3"       header
    "DO NOT EDIT!" / 3.3 (DVI)                two more lines (line 4 may be empty)
    2                                         number of persons, then for each person:
    "AF"                                      name, three lines of flags, then
    #TRUE#                                    male? (#TRUE# / #FALSE#)
    1                                         number of genotypes, then per genotype three lines:
    0 / 2 / 0                                 allele 1, allele 2 (0-based, in the file's order of
                                              the locus's alleles) and the locus (0-based)
    "Known relations"                         extra females, extra males (unnamed persons),
                                              relations (parent and child as 0-based indices)
    2                                         number of pedigrees, then for each: its index, name,
                                              extra females, extra males, relations
    #FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )
    15                                        number of loci, then for each locus:
    "D8S1179"                                 name
    0.001 / 0.001                             female / male mutation rate
    0 / 0                                     female / male model code
    11                                        number of alleles (with a silent allele)
    0.1 / 0.1                                 female / male range (stepwise)
    0.0 / 0.0                                 female / male rate2 (stepwise)
    #FALSE# / 0                               silent allele? / its frequency
    11<TAB>(DatabaseSize = ...)               number of alleles
    "8" / 0.00963 ...                         allele label / frequency, one line each
    [DVI]
    [[Unidentified persons]]                  the PM samples: Name=, Gender=, [[[[DNA data]]]]
    [[Reference Families]]                    per family: Name=, [[[[Persons]]]] (with DNA data)
                                              and [[[[Pedigrees]]]] of Parent= / Child= pairs

Not supported (a :class:`FormatError` says so): silent alleles, precomputed probabilities, twins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.fam_dvi import DVIRecords, read_dvi_section
from repatria.formats.text import check_field, read_text

__all__ = [
    "FamRecords",
    "LocusRecord",
    "HeaderPerson",
    "HeaderGenotype",
    "HeaderRelation",
    "HeaderPedigree",
    "read_fam_records",
]


@dataclass(frozen=True)
class LocusRecord:
    """One locus of the database, as written (alleles in file order)."""

    name: str
    line: int
    rate: tuple[float, float]  # (female, male)
    code: tuple[int, int]  # model codes (female, male)
    range_: tuple[float, float]
    rate2: tuple[float, float]
    alleles: tuple[str, ...]
    freqs: tuple[float, ...]
    allele_lines: tuple[int, ...]


@dataclass(frozen=True)
class HeaderGenotype:
    """A genotype of a header person: allele and locus indices (0-based, file order)."""

    allele1: int
    allele2: int
    locus: int
    line: int


@dataclass(frozen=True)
class HeaderPerson:
    """A person of the header (a paternity or kinship case)."""

    name: str
    line: int
    male: bool
    genotypes: tuple[HeaderGenotype, ...]


@dataclass(frozen=True)
class HeaderRelation:
    """``parent`` → ``child`` as 0-based indices into the persons (then the extras)."""

    parent: int
    child: int
    line: int


@dataclass(frozen=True)
class HeaderPedigree:
    """One pedigree (hypothesis) of the header: its extras and its own relations."""

    index: int
    name: str
    line: int
    extra_females: int
    extra_males: int
    relations: tuple[HeaderRelation, ...]


@dataclass(frozen=True)
class FamRecords:
    """Everything a ``.fam`` file holds, as records (see the module notes).

    ``extra_females``/``extra_males``/``relations`` are the "Known relations" shared by every
    pedigree of the header; ``dvi`` is ``None`` without a ``[DVI]`` section.
    """

    file: str
    encoding: str
    persons: tuple[HeaderPerson, ...]
    extra_females: int
    extra_males: int
    relations: tuple[HeaderRelation, ...]
    pedigrees: tuple[HeaderPedigree, ...]
    theta: float
    database_line: int
    loci: tuple[LocusRecord, ...]
    dvi: DVIRecords | None


class _Cursor:
    """Reads the header and database line by line (quotes removed, as pedFamilias does)."""

    def __init__(self, file: str, lines: Sequence[str], end: int, what_ends: str) -> None:
        self.file, self.lines, self.end, self.what_ends = file, lines, end, what_ends
        self.i = 0  # 0-based index of the next line

    @property
    def line(self) -> int:
        """1-based number of the line read last."""
        return self.i

    def error(self, message: str, field: str, line: int | None = None) -> FormatError:
        return FormatError(message, file=self.file, line=line or self.i, field=field)

    def text(self, what: str) -> str:
        if self.i >= self.end:
            raise self.error(f"unexpected {self.what_ends}: expected {what}", what, self.i + 1)
        s = self.lines[self.i].replace('"', "").strip()
        self.i += 1
        return s

    def name(self, what: str, limit: int, field: str) -> str:
        """A name the registry stores (an individual, a pedigree, a locus, an allele)."""
        s = self.text(what)
        check_field(s, limit, file=self.file, line=self.i, field=field)
        return s

    def integer(self, what: str, lo: int = 0, hi: int | None = None) -> int:
        s = self.text(what)
        try:
            v = int(s)
        except ValueError:
            raise self.error(f"expected {what} (a whole number), found '{s}'", what) from None
        if v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.error(f"{what} must be {rng}, found {v}", what)
        return v

    def number(self, what: str) -> float:
        s = self.text(what)
        try:
            v = float(s)
        except ValueError:
            raise self.error(f"expected {what} (a number), found '{s}'", what) from None
        if not np.isfinite(v) or v < 0:
            raise self.error(f"{what} must be a finite number >= 0, found '{s}'", what)
        return v

    def skip(self, n: int, what: str) -> None:
        for _ in range(n):
            self.text(what)


def read_fam_records(path: str | Path) -> FamRecords:
    """Read a ``.fam`` file into records (see the module notes).

    Raises
    ------
    FormatError naming the file, the line and the field of the first problem.
    """
    p = Path(path)
    file = str(p)
    text = read_text(p, ".fam file")
    lines = text.lines()
    dvi_start = next(
        (i for i, s in enumerate(lines) if s.replace('"', "").strip() == "[DVI]"), len(lines)
    )
    end = "start of the [DVI] section" if dvi_start < len(lines) else "end of file"
    cur = _Cursor(file, lines, dvi_start, end)
    persons, n_fem, n_mal, relations, pedigrees = _read_header(cur)
    theta, db_line = _read_database_line(cur)
    loci = _read_loci(cur)
    dvi = None
    if dvi_start < len(lines):
        alleles = {loc.name: (set(loc.alleles), loc.line) for loc in loci}
        dvi = read_dvi_section(file, lines, dvi_start, alleles)
    return FamRecords(
        file,
        text.encoding,
        persons,
        n_fem,
        n_mal,
        relations,
        pedigrees,
        theta,
        db_line,
        loci,
        dvi,
    )


def _read_header(
    cur: _Cursor,
) -> tuple[
    tuple[HeaderPerson, ...], int, int, tuple[HeaderRelation, ...], tuple[HeaderPedigree, ...]
]:
    first = cur.text("the Familias header")
    if "Familias" not in first:
        raise cur.error(
            'not a Familias file: the first line should read "Output from Familias, version ..."',
            "header",
            1,
        )
    cur.skip(2, "the Familias header")
    # pedFamilias: the number of individuals is on line 4, or on line 5 when line 4 is empty.
    if cur.i < cur.end and cur.lines[cur.i].replace('"', "").strip() == "":
        cur.skip(1, "the Familias header")
    n_ind = cur.integer("number of individuals")
    persons = tuple(_read_header_person(cur, k) for k in range(n_ind))
    if (s := cur.text("'Known relations'")) != "Known relations":
        raise cur.error(f"expected 'Known relations', found '{s}'", "Known relations")
    n_fem = cur.integer("number of extra females")
    n_mal = cur.integer("number of extra males")
    relations = _read_relations(cur, cur.integer("number of known relations"), "a known relation")
    n_ped = cur.integer("number of pedigrees")
    pedigrees = tuple(_read_header_pedigree(cur, k) for k in range(n_ped))
    return persons, n_fem, n_mal, relations, pedigrees


def _read_header_person(cur: _Cursor, k: int) -> HeaderPerson:
    name = cur.name(f"the name of individual {k + 1}", L.REF, "individual name")
    line = cur.line
    cur.skip(3, f"individual {k + 1} of the header")
    male = cur.text(f"the sex of individual {k + 1}") == "#TRUE#"
    n_geno = cur.integer(f"number of genotypes of individual {k + 1}")
    genos = []
    for _ in range(n_geno):
        a1 = cur.integer(f"a genotype index of individual {k + 1}")
        g_line = cur.line
        a2 = cur.integer(f"a genotype index of individual {k + 1}")
        locus = cur.integer(f"a genotype index of individual {k + 1}")
        genos.append(HeaderGenotype(a1, a2, locus, g_line))
    return HeaderPerson(name, line, male, tuple(genos))


def _read_relations(cur: _Cursor, n: int, what: str) -> tuple[HeaderRelation, ...]:
    out = []
    for _ in range(n):
        s = cur.text(what)
        if "Direct" in s:
            raise cur.error(
                "the file contains twins (a 'Direct' relation); twins are not supported",
                "relation",
            )
        try:
            parent = int(s)
        except ValueError:
            raise cur.error(f"expected {what} (a whole number), found '{s}'", what) from None
        line = cur.line
        out.append(HeaderRelation(parent, cur.integer(what), line))
    return tuple(out)


def _read_header_pedigree(cur: _Cursor, k: int) -> HeaderPedigree:
    index = cur.integer(f"the index of pedigree {k + 1}")
    name = cur.name(f"the name of pedigree {k + 1}", L.REF, "pedigree name")
    line = cur.line
    n_fem = cur.integer(f"number of extra females in pedigree {k + 1}")
    n_mal = cur.integer(f"number of extra males in pedigree {k + 1}")
    n_rel = cur.integer(f"number of relations in pedigree {k + 1}")
    rels = _read_relations(cur, n_rel, f"a relation of pedigree {k + 1}")
    return HeaderPedigree(index, name, line, n_fem, n_mal, rels)


def _read_database_line(cur: _Cursor) -> tuple[float, int]:
    probs = cur.text("the database line ('#FALSE# (#Databases: ...')")
    if probs.startswith("#TRUE#"):
        raise cur.error(
            "the file holds precomputed probabilities; these are not supported", "probabilities"
        )
    m = re.search(r"Theta/Kinship/Fst:\s*([0-9.eE+-]+)", probs)
    theta = 0.0
    if m:
        try:
            theta = float(m.group(1))
        except ValueError:
            theta = 0.0
    return theta, cur.line


def _read_loci(cur: _Cursor) -> tuple[LocusRecord, ...]:
    n_loci = cur.integer("number of loci")
    if cur.text("database information flag ('#TRUE#' or '#FALSE#')") == "#TRUE#":
        cur.text("database name")
    loci: dict[str, LocusRecord] = {}
    for _ in range(n_loci):
        loc = _read_locus(cur)
        if loc.name in loci:
            raise cur.error(
                f"locus {loc.name} is defined twice (first at line {loci[loc.name].line})",
                "locus name",
                loc.line,
            )
        loci[loc.name] = loc
    return tuple(loci.values())


def _read_locus(cur: _Cursor) -> LocusRecord:
    name = cur.name("locus name", L.MARKER, "locus name")
    line = cur.line
    if not name:
        raise cur.error("empty locus name", "locus name")
    rate = (
        cur.number(f"female mutation rate of {name}"),
        cur.number(f"male mutation rate of {name}"),
    )
    code = (
        cur.integer(f"female mutation model code of {name}", 0, 4),
        cur.integer(f"male mutation model code of {name}", 0, 4),
    )
    cur.integer(f"number of alleles of {name} (with the silent allele)")
    range_ = (
        cur.number(f"female mutation range of {name}"),
        cur.number(f"male mutation range of {name}"),
    )
    rate2 = (cur.number(f"female rate2 of {name}"), cur.number(f"male rate2 of {name}"))
    if cur.text(f"silent-allele flag of {name}") == "#TRUE#":
        raise cur.error(
            f"locus {name} has a silent allele; silent alleles are not supported", "silent allele"
        )
    cur.number(f"silent-allele frequency of {name}")
    first = cur.text(f"number of alleles of {name}").split("\t")[0].strip()
    try:
        n_alleles = int(first)
    except ValueError:
        raise cur.error(
            f"expected the number of alleles of {name}, found '{first}'", "number of alleles"
        ) from None
    if n_alleles < 1:
        raise cur.error(f"locus {name} has no alleles", "number of alleles")
    alleles: list[str] = []
    freqs: list[float] = []
    at: list[int] = []
    for _ in range(n_alleles):
        a = cur.name(f"an allele of {name}", L.ALLELE, "allele")
        if not a:
            raise cur.error(f"empty allele label in locus {name}", "allele")
        if a in alleles:
            first_at = at[alleles.index(a)]
            raise cur.error(
                f"allele '{a}' of {name} is listed twice (first at line {first_at})", "allele"
            )
        alleles.append(a)
        at.append(cur.line)
        freqs.append(cur.number(f"frequency of allele {a} of {name}"))
    return LocusRecord(
        name, line, rate, code, range_, rate2, tuple(alleles), tuple(freqs), tuple(at)
    )
