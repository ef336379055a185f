"""What a lab export says about one sample: records and the rules for reading an allele call.

Shared by the GeneMapper-style tables (:mod:`repatria.formats.lab_exports`) and CODIS CMF files
(:mod:`repatria.formats.codis_cmf`).

The rules for one marker's allele cells (``Allele 1``, ``Allele 2``, ... of a row, the cell of a
wide column split at ``/``, ``,`` or spaces, or the ``ALLELEVALUE`` elements of a CMF locus):

- a designation is a repeat number, ``12`` or ``9.3`` (``X`` and ``Y`` at amelogenin);
- an empty cell says nothing: two alleles are two designations; **one designation alone is a
  homozygote** ``a/a`` (GeneMapper and CODIS list a homozygote once); no designation is
  untyped;
- ``-`` is a lost allele, marked by the lab: one peak is seen and the other may have dropped
  out. ``12`` beside ``-`` reads as ``12/-`` (one allele unknown), never as ``12/12``;
- ``?`` is an allele that is there but not called: ``12`` beside ``?`` reads as ``12/-``, and
  ``?`` alone (or ``?/?``) is untyped;
- ``OL`` (``off-ladder``, ``off ladder``) and ``<8`` / ``>20`` (outside the ladder, as CODIS
  writes them) are an allele with no designation: read like ``?`` and listed in
  :attr:`LabTyping.off_ladder` so that the lab can designate it;
- three or more alleles are refused: a mixture or a tri-allelic pattern is not one genotype.

Amelogenin gives the sex (X,X or X alone female; X,Y or Y alone male; X beside ``-`` or ``?``
unknown, as the Y peak may have dropped out). It is recorded, never used as an STR.

Every refusal is one :class:`~repatria.errors.FormatError` naming the file, the line and the
field; it never repeats an allele value (genotypes are personal data).

Examples
--------
>>> read_call(["12", ""], file="f", line=2, field="Allele")
Call(genotype=('12', '12'), off_ladder=False)
>>> read_call(["12", "-"], file="f", line=2, field="Allele").genotype
('12', None)
>>> read_call(["OL", "9.3"], file="f", line=2, field="Allele")
Call(genotype=('9.3', None), off_ladder=True)
>>> read_call(["?", ""], file="f", line=2, field="Allele").genotype is None
True
>>> read_amelogenin(["X", "Y"], file="f", line=2, field="AMEL")
<Sex.MALE: 1>
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.marker_names import AMELOGENIN, canonical_marker, is_y_marker
from repatria.formats.text import check_field
from repatria.kinship.pedigree import Genotype, Sex

__all__ = [
    "Call",
    "LabTyping",
    "LabExport",
    "read_call",
    "read_amelogenin",
    "sex_of_amelogenin",
    "split_cell",
    "TypingBuilder",
]

_DESIGNATION = re.compile(r"^\d{1,3}(\.\d{1,2})?$")
_OUT_OF_LADDER = re.compile(r"^[<>]\s*\d{1,3}(\.\d{1,2})?$")
_OFF_LADDER = {"OL", "OFFLADDER", "OFF-LADDER", "OFF LADDER"}
_UNCALLED = {"?", "??"}
_LOST = {"-", "--"}


@dataclass(frozen=True)
class Call:
    """One marker's call: its genotype (``None`` untyped) and whether an OL call was in it."""

    genotype: Genotype | None
    off_ladder: bool = False


@dataclass(frozen=True)
class LabTyping:
    """One sample typed with one kit in one run, as one lab export gives it.

    ``genotypes[marker] -> Genotype`` holds the autosomal STRs typed, under canonical marker
    names (:func:`repatria.formats.marker_names.canonical_marker`); an absent marker is untyped.
    ``other`` holds the calls of Y markers as written (not part of the autosomal profile).
    Genotype fields are left out of ``repr`` so that a log line never shows them.
    """

    sample: str
    kit: str
    source: str  # "file line N", the first line (or XML element) of the typing
    file: str
    line: int
    run: str = ""  # the sample file / injection, or the CMF batch
    sex: Sex = Sex.UNKNOWN
    genotypes: Mapping[str, Genotype] = field(default_factory=dict, repr=False)
    amelogenin: Genotype | None = field(default=None, repr=False)
    off_ladder: tuple[str, ...] = ()
    other: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    category: str = ""  # CMF specimen category, when the file gives one
    marker_lines: Mapping[str, int] = field(default_factory=dict, repr=False)

    def where(self, marker: str) -> str:
        """``file line N`` of one marker's call (the typing's first line if not given)."""
        return f"{self.file} line {self.marker_lines.get(marker, self.line)}"

    @property
    def markers(self) -> list[str]:
        return list(self.genotypes)


@dataclass(frozen=True)
class LabExport:
    """A lab export read completely: its typings, with how the file was read.

    ``marker_names`` maps each marker name as the file writes it to its canonical name;
    ``ignored_columns`` are columns read as neither sample, kit, run nor marker;
    ``skipped_rows`` counts ladder and control rows left out (``Sample Type`` column);
    ``meta`` holds a CMF file's header elements.
    """

    file: str
    layout: str  # "long", "wide" or "cmf"
    sha256: str
    encoding: str
    typings: tuple[LabTyping, ...]
    marker_names: Mapping[str, str] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    skipped_rows: int = 0
    meta: Mapping[str, str] = field(default_factory=dict)  # CMF header: HEADERVERSION, SOURCELAB

    @property
    def samples(self) -> list[str]:
        return list(dict.fromkeys(t.sample for t in self.typings))


def split_cell(cell: str) -> list[str]:
    """A wide-table cell ``12/14``, ``12,14``, ``12 14`` or ``12`` as allele cells."""
    return [p for p in re.split(r"[\s,/;]+", cell.strip()) if p]


def _kind(token: str, amel: bool) -> str:
    t = token.strip()
    if not t:
        return "empty"
    u = t.upper()
    if u in _UNCALLED:
        return "uncalled"
    if u in _LOST:
        return "lost"
    if u in _OFF_LADDER or _OUT_OF_LADDER.match(t):
        return "off_ladder"
    if amel:
        return "value" if u in ("X", "Y") else "bad"
    return "value" if _DESIGNATION.match(t) else "bad"


def _refuse_bad(amel: bool, file: str, line: int | None, fld: str) -> FormatError:
    what = (
        "X or Y"
        if amel
        else "a repeat number such as 12 or 9.3, OL for an off-ladder allele, ? for an uncalled "
        "one, - for a lost one"
    )
    return FormatError(
        f"not an allele designation (expected {what}, or an empty cell)",
        file=file,
        line=line,
        field=fld,
    )


def read_call(
    cells: Sequence[str], *, file: str, line: int | None, field: str, amel: bool = False
) -> Call:
    """One marker's allele cells read by the rules of the module notes."""
    kinds = [_kind(c, amel) for c in cells]
    if "bad" in kinds:
        raise _refuse_bad(amel, file, line, field)
    values = [
        c.strip().upper() if amel else c.strip()
        for c, k in zip(cells, kinds, strict=True)
        if k == "value"
    ]
    for v in values:
        check_field(v, L.ALLELE, file=file, line=line, field=field)
    unknown = sum(k in ("uncalled", "lost", "off_ladder") for k in kinds)
    ol = "off_ladder" in kinds
    if len(values) + unknown > 2:
        raise FormatError(
            f"{len(values) + unknown} alleles: a mixture or a tri-allelic pattern is not one "
            f"person's genotype; resolve it in the analysis software, or write the two alleles "
            f"to use",
            file=file,
            line=line,
            field=field,
        )
    if not values:
        return Call(None, ol)
    if len(values) == 2:
        return Call((values[0], values[1]), ol)
    return Call((values[0], values[0]) if unknown == 0 else (values[0], None), ol)


def read_amelogenin(cells: Sequence[str], *, file: str, line: int | None, field: str) -> Sex:
    """The sex an amelogenin call gives (see the module notes)."""
    g = read_call(cells, file=file, line=line, field=field, amel=True).genotype
    return sex_of_amelogenin(g)


def sex_of_amelogenin(g: Genotype | None) -> Sex:
    """X,X female; X,Y (or Y,Y) male; anything with an unknown allele or untyped: unknown."""
    if g is None:
        return Sex.UNKNOWN
    if "Y" in g:
        return Sex.MALE
    if g == ("X", "X"):
        return Sex.FEMALE
    return Sex.UNKNOWN


@dataclass
class TypingBuilder:
    """A typing being read, marker by marker (used by the readers of lab exports)."""

    sample: str
    kit: str
    run: str
    line: int
    genotypes: dict[str, Genotype] = field(default_factory=dict)
    amelogenin: Genotype | None = None
    off_ladder: list[str] = field(default_factory=list)
    other: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    seen: dict[str, int] = field(default_factory=dict)  # marker -> line

    def put(self, written: str, cells: Sequence[str], file: str, line: int, fld: str) -> None:
        """One marker's cells: AMEL as the sex, Y markers apart, STRs as genotypes."""
        if not self.seen:  # the first marker: the sample's own names, checked once
            check_field(self.sample, L.REF, file=file, line=self.line, field="sample")
            check_field(self.kit, L.KIT, file=file, line=self.line, field="kit")
        check_field(written, L.MARKER, file=file, line=line, field=fld)
        name = canonical_marker(written)
        if name in self.seen:
            raise FormatError(
                f"marker {name} of sample '{self.sample}' ({self.kit}) is given twice (lines "
                f"{self.seen[name]} and {line})",
                file=file,
                line=line,
                field=fld,
            )
        self.seen[name] = line
        if name == AMELOGENIN:
            self.amelogenin = read_call(cells, file=file, line=line, field=fld, amel=True).genotype
            return
        if is_y_marker(name):
            for c in cells:  # validates each designation; the calls are kept as written
                read_call([c], file=file, line=line, field=fld)
            self.other[name] = tuple(c.strip() for c in cells if c.strip())
            return
        call = read_call(cells, file=file, line=line, field=fld)
        if call.off_ladder:
            self.off_ladder.append(name)
        if call.genotype is not None:
            self.genotypes[name] = call.genotype

    def done(self, file: str, category: str = "") -> LabTyping:
        return LabTyping(
            sample=self.sample,
            kit=self.kit,
            source=f"{file} line {self.line}",
            file=file,
            line=self.line,
            run=self.run,
            sex=sex_of_amelogenin(self.amelogenin),
            genotypes=dict(self.genotypes),
            amelogenin=self.amelogenin,
            off_ladder=tuple(self.off_ladder),
            other=dict(self.other),
            category=category,
            marker_lines=dict(self.seen),
        )
