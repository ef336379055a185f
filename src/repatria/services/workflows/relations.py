"""A reference's relation to the missing person, in the policy's words, read from the pedigree.

One rule for every place that names a relation the family did not write down: the candidates'
evidence of ``identify`` and the lineage (Y-STR, mtDNA) evidence beside it.
"""

from __future__ import annotations

from repatria.kinship.pedigree import Pedigree, Sex

__all__ = ["relation_to_mp"]


def relation_to_mp(ped: Pedigree, ref: str, mp: str) -> str:
    """``ref``'s relation to ``mp`` ("father", "half-sister", ...), or "relative" where the
    pedigree does not say a closer one."""
    if ref not in ped or mp not in ped:
        return "relative"
    male = ped[ref].sex == Sex.MALE
    female = ped[ref].sex == Sex.FEMALE
    mine, theirs = ped.parents(mp), ped.parents(ref)
    if mine is not None and ref in mine:
        return "father" if ref == mine[0] else "mother"
    if theirs is not None and mp in theirs:
        return "son" if male else "daughter" if female else "child"
    if mine is not None and theirs is not None:
        shared = sum(a == b for a, b in zip(mine, theirs, strict=True))
        if shared == 2:
            return "brother" if male else "sister" if female else "full_sibling"
        if shared == 1:
            return "half-brother" if male else "half-sister" if female else "half_sibling"
    return "relative"
