"""Who shares a missing person's Y chromosome or mtDNA: a pedigree's paternal and maternal lines.

A Y chromosome passes from father to son only, so a reference shares the MP's Y-STR haplotype
(up to mutation) when both are male and their chains of fathers meet: a father, a brother, a
son, a paternal uncle or a paternal cousin through men. mtDNA passes from a mother to all of
her children, so a reference shares the MP's mtDNA when their chains of mothers meet: the
mother, a maternal-line sibling, a maternal cousin through mothers, and the children of a
female MP.

:func:`line_meioses` gives the number of meioses between the two along that line (the sum of
both distances to the nearest shared ancestor of the line), or ``None`` when they are not on
one line as far as the pedigree shows. A person of unknown sex is not taken as male: a Y line
is claimed only where the pedigree says so.

>>> from repatria.kinship.pedigree import Individual, Pedigree, Sex
>>> ped = Pedigree([Individual("GF", sex=Sex.MALE), Individual("GM", sex=Sex.FEMALE),
...     Individual("F", "GF", "GM", Sex.MALE), Individual("U", "GF", "GM", Sex.MALE),
...     Individual("A", "GF", "GM", Sex.FEMALE), Individual("M", sex=Sex.FEMALE),
...     Individual("MP", "F", "M", Sex.MALE)])
>>> line_meioses(ped, "MP", "U", "y_str"), line_meioses(ped, "MP", "A", "y_str")
(3, None)
>>> line_meioses(ped, "MP", "M", "mtdna"), line_meioses(ped, "MP", "U", "mtdna")
(1, None)
"""

from __future__ import annotations

from repatria.kinship.errors import KinshipError
from repatria.kinship.pedigree import Pedigree, Sex

__all__ = ["LINE_KINDS", "line_chain", "line_meioses"]

#: The lineage kinds and the parent each follows (index in ``Pedigree.parents``).
LINE_KINDS = {"y_str": 0, "mtdna": 1}


def line_chain(ped: Pedigree, pid: str, kind: str) -> list[str]:
    """``pid``, then its father, his father, ... (Y) or its mother, hers, ... (mtDNA)."""
    if kind not in LINE_KINDS:
        raise KinshipError(f"lineage kind {kind!r} is not one of {', '.join(LINE_KINDS)}")
    which = LINE_KINDS[kind]
    out = [pid]
    parents = ped.parents(pid)
    while parents is not None and parents[which] is not None:
        out.append(parents[which])
        parents = ped.parents(parents[which])
    return out


def line_meioses(ped: Pedigree, mp: str, reference: str, kind: str) -> int | None:
    """Meioses between ``mp`` and ``reference`` along the Y (``"y_str"``) or mtDNA (``"mtdna"``)
    line, or ``None`` when the pedigree does not put them on one (see the module notes)."""
    if mp not in ped or reference not in ped or mp == reference:
        return None
    if kind == "y_str" and (ped[mp].sex != Sex.MALE or ped[reference].sex != Sex.MALE):
        return None
    mine = {pid: depth for depth, pid in enumerate(line_chain(ped, mp, kind))}
    for depth, pid in enumerate(line_chain(ped, reference, kind)):
        if pid in mine:
            return depth + mine[pid]
    return None
