"""Several kits (or runs) on one sample merged into one profile; conflicts listed, never resolved.

A pure function of the typings read from lab exports
(:class:`~repatria.formats.lab_typing.LabTyping`). Per marker, over every typing that typed it:

- **concordant** calls (the same two alleles, in any order) give that genotype;
- a partial call ``a/-`` beside a full call that holds ``a`` gives the full call, with a
  :class:`MergeNote` (the other kit saw the allele this one lost). When the partial call comes
  from an off-ladder peak (``a/OL``) the second allele is a real peak that is not ``a``: beside
  ``a/a`` it is a conflict, beside ``a/b`` it merges (the other kit designated it), with a note;
- partial calls ``a/-`` and ``b/-`` (``a != b``) give ``a/b``, with a note;
- anything else (``a/b`` against ``a/c``, ``a/-`` against ``b/c``, three alleles seen) is a
  :class:`MarkerConflict`: the marker is **left untyped** in the merged profile and listed.

Amelogenin is merged the same way; its conflict (X,X against X,Y) leaves the sex unknown.
Y markers (:attr:`~repatria.formats.lab_typing.LabTyping.other`) are not merged: the merged
profile holds autosomal STRs and the sex.

Conflicts and notes name the sample, the marker, the kits and where each call was read; their
``message`` never holds an allele (the calls are in :attr:`MarkerConflict.calls`, out of
``repr``).

Examples
--------
>>> from repatria.formats.lab_typing import LabTyping
>>> a = LabTyping("PM-1", "Identifiler", "a.txt line 2", "a.txt", 2,
...               genotypes={"vWA": ("16", "17"), "TH01": ("6", None), "FGA": ("20", "21")})
>>> b = LabTyping("PM-1", "GlobalFiler", "b.txt line 2", "b.txt", 2,
...               genotypes={"vWA": ("17", "16"), "TH01": ("6", "9.3"), "FGA": ("20", "22")})
>>> merged = merge_kits([a, b])
>>> dict(merged.genotypes)
{'vWA': ('16', '17'), 'TH01': ('6', '9.3')}
>>> [c.marker for c in merged.conflicts], [n.marker for n in merged.notes]
(['FGA'], ['TH01'])
>>> print(merged.conflicts[0].message)
PM-1, FGA: the calls of Identifiler (a.txt line 2) and GlobalFiler (b.txt ...) disagree; ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from repatria.formats.lab_typing import LabTyping, sex_of_amelogenin
from repatria.formats.marker_names import AMELOGENIN
from repatria.kinship.pedigree import Genotype, Sex

__all__ = ["MarkerConflict", "MergeNote", "MergedProfile", "merge_kits", "merge_samples"]


def _who(kits: Sequence[str], sources: Sequence[str]) -> str:
    parts = [f"{k} ({s})" for k, s in zip(kits, sources, strict=True)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class MarkerConflict:
    """Typings of one sample that disagree at one marker; the marker is left untyped.

    ``kits``, ``sources`` and ``calls`` are aligned: one entry per typing that typed the
    marker. ``calls`` is left out of ``repr`` and :attr:`message`.
    """

    sample: str
    marker: str
    kits: tuple[str, ...]
    sources: tuple[str, ...]
    calls: tuple[Genotype, ...] = field(repr=False)

    @property
    def message(self) -> str:
        return (
            f"{self.sample}, {self.marker}: the calls of {_who(self.kits, self.sources)} "
            f"disagree; {self.marker} is left untyped"
        )


@dataclass(frozen=True)
class MergeNote:
    """A marker merged from calls that were not all complete (``a/-`` completed, or combined)."""

    sample: str
    marker: str
    kits: tuple[str, ...]
    sources: tuple[str, ...]
    text: str

    @property
    def message(self) -> str:
        return f"{self.sample}, {self.marker}: {self.text} ({_who(self.kits, self.sources)})"


@dataclass(frozen=True)
class MergedProfile:
    """One sample's profile merged over its typings, with the conflicts and notes.

    ``genotypes[marker] -> Genotype`` (canonical names) holds the markers typed and not in
    conflict; ``typed_by[marker]`` the kits that typed each marker (conflicts included);
    ``off_ladder`` the markers where a typing had an off-ladder call.
    """

    sample: str
    sex: Sex
    kits: tuple[str, ...]
    sources: tuple[str, ...]
    genotypes: Mapping[str, Genotype] = field(repr=False)
    conflicts: tuple[MarkerConflict, ...] = ()
    notes: tuple[MergeNote, ...] = ()
    off_ladder: tuple[str, ...] = ()
    typed_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    amelogenin: Genotype | None = field(default=None, repr=False)

    @property
    def markers(self) -> list[str]:
        return list(self.genotypes)


@dataclass(frozen=True)
class _Call:
    kit: str
    source: str
    genotype: Genotype
    off_ladder: bool


def _merge_marker(
    sample: str, marker: str, calls: Sequence[_Call]
) -> tuple[Genotype | None, MarkerConflict | None, MergeNote | None]:
    kits = tuple(c.kit for c in calls)
    sources = tuple(c.source for c in calls)
    conflict = MarkerConflict(sample, marker, kits, sources, tuple(c.genotype for c in calls))
    full = [c.genotype for c in calls if None not in c.genotype]
    partial = [c for c in calls if None in c.genotype]
    if len({tuple(sorted(str(a) for a in g)) for g in full}) > 1:
        return None, conflict, None
    if full:
        g = full[0]
        for c in partial:
            seen = c.genotype[0] if c.genotype[0] is not None else c.genotype[1]
            if seen not in g or (c.off_ladder and g[0] == g[1]):
                return None, conflict, None
        if not partial:
            return g, None, None
        text = "a partial call (one allele unknown) completed by another kit's call"
        return g, None, MergeNote(sample, marker, kits, sources, text)
    seen_alleles = list(dict.fromkeys(a for c in partial for a in c.genotype if a is not None))
    if len(seen_alleles) > 2:
        return None, conflict, None
    if len(seen_alleles) == 1:
        return (seen_alleles[0], None), None, None
    text = "two partial calls (one allele unknown each) combined"
    return (seen_alleles[0], seen_alleles[1]), None, MergeNote(sample, marker, kits, sources, text)


def merge_kits(typings: Sequence[LabTyping]) -> MergedProfile:
    """Merge the typings of one sample (see the module notes).

    Parameters
    ----------
    typings : the typings of one sample, any kits and runs, in the order read (the first call
        of a marker gives the allele order of the merged genotype).

    Returns
    -------
    MergedProfile : the merged genotypes, and ``conflicts`` (each marker left untyped) and
        ``notes`` (each marker merged from partial calls).
    """
    if not typings:
        raise ValueError("merge_kits needs at least one typing")
    sample = typings[0].sample
    if any(t.sample != sample for t in typings):
        raise ValueError("merge_kits merges the typings of one sample; use merge_samples")
    by_marker: dict[str, list[_Call]] = {}
    for t in typings:
        for m, g in t.genotypes.items():
            if g == (None, None):
                continue  # untyped, however it was built
            by_marker.setdefault(m, []).append(_Call(t.kit, t.where(m), g, m in t.off_ladder))
        if t.amelogenin is not None:
            by_marker.setdefault(AMELOGENIN, []).append(_Call(t.kit, t.source, t.amelogenin, False))
    genotypes: dict[str, Genotype] = {}
    conflicts: list[MarkerConflict] = []
    notes: list[MergeNote] = []
    amel: Genotype | None = None
    for m, calls in by_marker.items():
        merged, conflict, note = _merge_marker(sample, m, calls)
        if conflict is not None:
            conflicts.append(conflict)
        if note is not None:
            notes.append(note)
        if merged is not None:
            if m == AMELOGENIN:
                amel = merged
            else:
                genotypes[m] = merged
    return MergedProfile(
        sample=sample,
        sex=sex_of_amelogenin(amel),
        kits=tuple(dict.fromkeys(t.kit for t in typings)),
        sources=tuple(t.source for t in typings),
        genotypes=genotypes,
        conflicts=tuple(conflicts),
        notes=tuple(notes),
        off_ladder=tuple(dict.fromkeys(m for t in typings for m in t.off_ladder)),
        typed_by={
            m: tuple(dict.fromkeys(c.kit for c in calls))
            for m, calls in by_marker.items()
            if m != AMELOGENIN
        },
        amelogenin=amel,
    )


def merge_samples(typings: Iterable[LabTyping]) -> dict[str, MergedProfile]:
    """``{sample: merged profile}`` over typings of any samples, in the order first seen."""
    groups: dict[str, list[LabTyping]] = {}
    for t in typings:
        groups.setdefault(t.sample, []).append(t)
    return {s: merge_kits(ts) for s, ts in groups.items()}
