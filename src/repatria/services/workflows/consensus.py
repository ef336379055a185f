"""One body's samples as one profile: samples of one body are the same person.

The likelihood of all of a body's samples given one genotype G, under the engine's model (a
sample shows G, or G with allele copies lost), is non-zero only for the G every sample is
consistent with; :func:`combine_profiles` gives that G per marker:

- the alleles seen across the samples, in order of first appearance;
- two alleles: the heterozygote (``a/a`` in one sample and ``a/b`` in another is dropout);
- one allele: ``a/a`` if any sample typed it so, else ``a/-`` (one allele unknown);
- three or more: a conflict dropout cannot explain. The marker is left untyped for the body
  and named in the conflicts, for a reviewer to look at; it is never resolved silently.

>>> combine_profiles([{"L1": ("10", "12"), "L2": ("9", None)}, {"L1": ("10", None)}])
({'L1': ('10', '12'), 'L2': ('9', None)}, [])
>>> combine_profiles([{"L1": ("10", "10")}, {"L1": ("11", "12")}])
({}, ['L1'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["combine_profiles"]

Genotype = tuple[str | None, str | None]


def combine_profiles(
    profiles: Sequence[Mapping[str, Genotype]],
) -> tuple[dict[str, Genotype], list[str]]:
    """(the body's genotype per marker, markers in conflict); see the module notes."""
    seen: dict[str, list[str]] = {}
    homozygous: set[str] = set()
    order: list[str] = []
    for prof in profiles:
        for marker, g in prof.items():
            if marker not in seen:
                seen[marker] = []
                order.append(marker)
            for a in g:
                if a is not None and a not in seen[marker]:
                    seen[marker].append(a)
            if g[0] is not None and g[0] == g[1]:
                homozygous.add(marker)
    out: dict[str, Genotype] = {}
    conflicts: list[str] = []
    for marker in order:
        alleles = seen[marker]
        if len(alleles) > 2:
            conflicts.append(marker)
        elif len(alleles) == 2:
            out[marker] = (alleles[0], alleles[1])
        elif len(alleles) == 1:
            a = alleles[0]
            out[marker] = (a, a) if marker in homozygous else (a, None)
    return out, conflicts
