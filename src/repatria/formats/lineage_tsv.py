"""``lineage.tsv``: Y-STR and mtDNA haplotypes of PM samples and donors; their canonical text.

A TSV with the header ``sample``, ``donor``, ``kind``, ``haplotype`` (in that order; lines
starting with ``#`` are notes). Each line names exactly one of ``sample`` (a PM sample ref) or
``donor`` (a donor ref, whose reference sample the haplotype was typed from); ``kind`` is
``y_str`` or ``mtdna``; ``haplotype`` is written as on the command line
(:mod:`repatria.formats.haplotypes`): ``DYS19=14;DYS385=13,15;...`` or
``16519C 263G@16024-16569,1-576``. One sample or donor has at most one line of each kind.

The file is read whole or not at all; an error names the file, the line and the field, and
never repeats a haplotype.

:func:`haplotype_text` writes a haplotype in one canonical form (loci sorted, positions read
as ranges), so the registry stores one string for one haplotype.

>>> from repatria.formats.haplotypes import parse_haplotype
>>> haplotype_text(parse_haplotype("DYS390=22; DYS19=14;DYS385=15,13", "Y"))
'DYS19=14;DYS385=13,15;DYS390=22'
>>> haplotype_text(parse_haplotype("263G 16519C@16024-16569,1-576", "mt"))
'263G 16519C@1-576,16024-16569'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.haplotypes import parse_haplotype
from repatria.formats.text import check_field, read_text
from repatria.kinship.lineage import Haplotype

__all__ = [
    "LINEAGE_FILE",
    "LINEAGE_KINDS",
    "LineageRow",
    "read_lineage_file",
    "haplotype_text",
    "haplotype_from_text",
]

#: The case folder's lineage file.
LINEAGE_FILE = "lineage.tsv"
#: The registry's lineage kinds -> the kinship core's haplotype kinds.
LINEAGE_KINDS = {"y_str": "Y", "mtdna": "mt"}
_HEADER = ["sample", "donor", "kind", "haplotype"]
_FORMS = {
    "y_str": "LOCUS=ALLELE;LOCUS=ALLELE,ALLELE;... with the alleles as numbers",
    "mtdna": "POSITION+BASE variants, space-separated, then @FROM-TO,FROM-TO: the positions read",
}
_MAX_TEXT = 20_000  # a full mitogenome's variants and ranges fit many times over


@dataclass(frozen=True)
class LineageRow:
    """One line of ``lineage.tsv``: whose haplotype (``sample`` or ``donor``), which kind, and
    the haplotype in canonical text."""

    line: int
    sample: str | None
    donor: str | None
    kind: str
    haplotype: Haplotype
    text: str

    @property
    def loci(self) -> int:
        return len(self.haplotype.typed_loci())


def _sort_key(locus: str) -> tuple[int, float, str]:
    head = locus.split(".")[0]
    return (0, float(head), locus) if head.isdigit() else (1, 0.0, locus)


def _ranges(positions: frozenset[int]) -> str:
    out: list[str] = []
    run: list[int] = []
    for p in sorted(positions):
        if run and p == run[-1] + 1:
            run.append(p)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [p]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def haplotype_text(h: Haplotype) -> str:
    """The canonical text of ``h`` (see the module notes)."""
    if h.kind == "Y":
        return ";".join(f"{k}={','.join(h.loci[k])}" for k in sorted(h.loci, key=_sort_key))
    variants = " ".join(f"{k}{h.loci[k][0]}" for k in sorted(h.loci, key=_sort_key))
    return variants + (f"@{_ranges(h.read)}" if h.read else "")


def haplotype_from_text(text: str, kind: str, *, where: str = "stored haplotype") -> Haplotype:
    """A haplotype from its stored text; ``kind`` is ``y_str`` or ``mtdna``."""
    try:
        return parse_haplotype(text, LINEAGE_KINDS[kind])
    except (FormatError, KeyError):
        raise FormatError(f"is not a {kind} haplotype", file=where, field="haplotype") from None


def read_lineage_file(path: str | Path) -> list[LineageRow]:
    """Every line of a ``lineage.tsv`` (see the module notes), or one FormatError."""
    p = Path(path)
    file = str(p)
    rows = read_text(p, "lineage file").data_rows()
    if not rows:
        raise FormatError(
            "empty file: expected the header sample, donor, kind, haplotype", file=file
        )
    header_line, header = rows[0]
    if [h.strip().lower() for h in header] != _HEADER:
        raise FormatError(
            "the header must be sample, donor, kind, haplotype (tab-separated)",
            file=file,
            line=header_line,
            field="header",
        )
    out: list[LineageRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for k, r in rows[1:]:
        if len(r) != len(_HEADER):
            raise FormatError(f"{len(r)} fields, but the header has 4", file=file, line=k)
        sample, donor, kind, text = (c.strip() for c in r)
        for name, value, limit in (
            ("sample", sample, L.REF),
            ("donor", donor, L.REF),
            ("kind", kind, L.CODE),
            ("haplotype", text, _MAX_TEXT),
        ):
            check_field(value, limit, file=file, line=k, field=name)
        if bool(sample) == bool(donor):
            raise FormatError(
                "give exactly one of sample (a PM sample) or donor (a reference)",
                file=file,
                line=k,
                field="sample" if sample else "donor",
            )
        if kind not in LINEAGE_KINDS:
            raise FormatError("is not y_str or mtdna", file=file, line=k, field="kind")
        if not text:
            raise FormatError("is empty", file=file, line=k, field="haplotype")
        try:
            h = parse_haplotype(text, LINEAGE_KINDS[kind])
        except FormatError:
            # parse_haplotype's own message repeats the haplotype: give the form instead.
            raise FormatError(
                f"is not a {kind} haplotype ({_FORMS[kind]})",
                file=file,
                line=k,
                field="haplotype",
            ) from None
        if not h.typed_loci():
            raise FormatError("has no typed locus", file=file, line=k, field="haplotype")
        key = ("sample" if sample else "donor", sample or donor, kind)
        if key in seen:
            raise FormatError(
                f"{key[0]} '{key[1]}' has a {kind} haplotype on line {seen[key]} already",
                file=file,
                line=k,
                field=key[0],
            )
        seen[key] = k
        out.append(LineageRow(k, sample or None, donor or None, kind, h, haplotype_text(h)))
    return out
