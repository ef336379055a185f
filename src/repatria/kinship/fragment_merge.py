"""Fragments of one body as one PM: every sample of the body weighed on one genotype.

Samples of one person all show the same genotype ``G``, each through its own observation model,
so the likelihood of all their peaks is ``∏_i P(S_i | G)``. In every LR of the analysis (pairwise,
joint, dviSolve) the body enters as ``Σ_G P(G | ...) ∏_i P(S_i | G)``, so one observation with
the same weights over ``G`` up to a constant factor gives exactly the same LRs. Per marker, for
samples typed exactly (``a/a`` a homozygote, ``a/-`` one allele unknown) or under the dropout
model of :mod:`repatria.kinship.dropout` without drop-in:

- more than two alleles seen across the samples: no ``G`` explains them (a conflict);
- two alleles ``a``, ``b`` (a heterozygote, or single peaks ``a`` and ``b`` in two samples):
  only ``G = ab`` has weight, each factor a constant, so the body is the heterozygote ``a/b``.
  A single peak that cannot be a lost copy (typed exactly ``a/a``, or at dropout 0) conflicts;
- one allele ``a`` in every sample that typed the marker: only ``aa`` and ``ax`` have weight,
  in the ratio ``R = ∏_i r_i`` with ``r_i = (1 + d_i) / d_i`` for a single peak at dropout
  ``d_i`` (``(1 - d²) / (d (1 - d))``), ``r = 1`` for ``a/-`` typed exactly (any partner) and
  ``r = ∞`` for a homozygote typed exactly or at dropout 0. One single peak at dropout
  ``d* = 1 / (R - 1)`` has that ratio; ``R = ∞`` is the homozygote, and ``R = 1`` (every sample
  ``a/-`` typed exactly) stays ``a/-`` typed exactly;
- a male's X-linked marker shows one allele: the weight is 1 on it and 0 elsewhere, whatever
  the dropout; two alleles there conflict.

A marker a sample did not type (or lost whole: ``d²`` whatever ``G``) adds a constant. Drop-in
breaks the pinning above (a heterozygote may be a homozygote with an allele dropped in), so a
group with drop-in is kept apart, as is a group whose samples' sexes differ or whose peaks
conflict: the reasons are reported, never resolved silently. The body takes the row of its first
sample (in the problem's order) and the pairings all its samples allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DefaultPairings, DVIProblem
from repatria.kinship.fragments import find_fragments
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype, Sex

__all__ = ["MergedFragments", "merge_fragments", "combine_marker", "body_groups", "RULE"]

RULE = (
    "the samples of one body weighed on one genotype: per marker the genotype every sample "
    "allows, a single peak seen in several samples as one peak at dropout 1 / (prod (1 + 1/d) - 1)"
)


class Conflict(Exception):
    """Peaks of one group that no genotype explains (the reason is the message)."""


@dataclass(frozen=True, eq=False)
class MergedFragments:
    """The problem with each merged group as one PM, and what became of every group."""

    problem: DVIProblem
    #: Body row id -> the samples merged into it (two or more), in the problem's order.
    bodies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: First sample of a group kept apart -> (its samples, why).
    kept_apart: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def row_of(self, sample: str) -> str:
        """The row (PM id) of the merged problem that holds ``sample``."""
        for body, members in self.bodies.items():
            if sample in members:
                return body
        return sample

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": RULE,
            "merged": {b: list(m) for b, m in self.bodies.items()},
            "kept_apart": [{"samples": list(s), "why": why} for s, why in self.kept_apart.values()],
        }


def combine_marker(
    marker: Marker,
    observations: Sequence[tuple[Genotype, DropoutModel | None]],
    hemizygous: bool,
) -> tuple[Genotype, float | None] | None:
    """One marker of one body from its samples' ``(genotype, model)`` (untyped ones left out;
    every model ``None``, or none of them): ``(genotype, dropout)``, ``dropout`` ``None`` where
    the body's own applies, or ``None`` when no sample typed the marker. Raises
    :class:`Conflict` (see the module notes).

    >>> from repatria.kinship.markers import Marker
    >>> m = Marker("TH01", ("6", "7", "9"), (0.3, 0.3, 0.4))
    >>> half = DropoutModel(0.5)  # each single peak: ratio (1 + d) / d = 3; both: 9 = 1 + 1/d*
    >>> combine_marker(m, [(("6", None), half), (("6", "6"), half)], False)
    (('6', '6'), 0.125)
    >>> combine_marker(m, [(("6", None), None), (("7", None), None)], False)
    (('6', '7'), None)
    """
    seen: list[str] = []
    for g, _ in observations:
        for a in g:
            if a is not None and a not in seen:
                seen.append(a)
    if not seen:
        return None
    if len(seen) > 2 or (hemizygous and len(seen) > 1):
        raise Conflict(f"{marker.name}: more alleles than one genotype carries")
    if len(seen) == 2:
        for g, model in observations:
            if _pins_homozygote(marker, g, model):
                raise Conflict(f"{marker.name}: a homozygote beside another allele")
        a, b = sorted(seen, key=marker.allele_index)
        return (a, b), None
    (a,) = seen
    if any(_pins_homozygote(marker, g, model) for g, model in observations):
        return (a, a), (None if observations[0][1] is None else 0.0)
    if observations[0][1] is None:
        return (a, None), None
    ratio = 1.0
    for _, model in observations:
        assert model is not None
        d = model.at(marker.name).dropout
        ratio *= (1 + d) / d
    return (a, a), 1.0 / (ratio - 1.0)


def _pins_homozygote(marker: Marker, g: Genotype, model: DropoutModel | None) -> bool:
    """A single peak that is surely a homozygote: typed exactly ``a/a``, or at dropout 0."""
    if g[0] is not None and g[1] is not None and g[0] != g[1]:
        return False
    if model is None:
        return g[0] is not None and g[0] == g[1]
    return model.at(marker.name).dropout == 0


def merge_fragments(problem: DVIProblem, groups: Sequence[Sequence[str]]) -> MergedFragments:
    """``problem`` with each group of samples (two or more, of one body) as one PM."""
    order = {v: i for i, v in enumerate(problem.pm)}
    bodies: dict[str, tuple[str, ...]] = {}
    apart: dict[str, tuple[tuple[str, ...], str]] = {}
    profiles: dict[str, dict[str, Genotype]] = {}
    models: dict[str, DropoutModel] = {}
    sexes: dict[str, Sex] = {}
    for group in groups:
        members = tuple(sorted(set(group), key=order.__getitem__))
        if len(members) < 2:
            continue
        try:
            prof, model, sex = _merge_group(problem, members)
        except Conflict as why:
            apart[members[0]] = (members, str(why))
            continue
        bodies[members[0]] = members
        profiles[members[0]] = prof
        sexes[members[0]] = sex
        if model is not None:
            models[members[0]] = model
    if not bodies:
        return MergedFragments(problem, {}, apart)
    gone = {v for m in bodies.values() for v in m[1:]}
    pm = tuple(v for v in problem.pm if v not in gone)
    pairings: Mapping[str, tuple[str, ...]] = {}
    if not isinstance(problem.pairings, DefaultPairings):
        pairings = {v: _common_pairings(problem, bodies.get(v, (v,))) for v in pm}
    dropout = {v: d for v, d in problem.pm_dropout.items() if v in pm and v not in bodies}
    merged = DVIProblem(
        problem.markers,
        pm,
        {v: sexes.get(v, problem.pm_sex[v]) for v in pm},
        {v: profiles.get(v, problem.pm_profiles.get(v, {})) for v in pm},
        problem.families,
        problem.am_profiles,
        problem.missing,
        problem.missing_family,
        pairings,
        {**dropout, **models},
    )
    return MergedFragments(merged, bodies, apart)


def _merge_group(
    problem: DVIProblem, members: tuple[str, ...]
) -> tuple[dict[str, Genotype], DropoutModel | None, Sex]:
    known = {problem.pm_sex[v] for v in members} - {Sex.UNKNOWN}
    if len(known) > 1:
        raise Conflict("the samples' sexes differ")
    sex = known.pop() if known else Sex.UNKNOWN
    own = [problem.pm_dropout.get(v) for v in members]
    if any(m is not None and m.drop_in > 0 for m in own):
        raise Conflict("drop-in: a sample's peaks do not pin one genotype")
    if len({m is None for m in own}) > 1:
        # "a/-" typed exactly (any partner) has no dropout that reads the same.
        raise Conflict("some samples typed exactly, others under a dropout model")
    profile: dict[str, Genotype] = {}
    per_marker: list[tuple[str, float]] = []
    for m in problem.markers:
        obs = [
            (g, model)
            for v, model in zip(members, own, strict=True)
            if (g := problem.pm_profiles.get(v, {}).get(m.name)) is not None
            and (g[0] is not None or g[1] is not None)
        ]
        got = combine_marker(m, obs, m.is_x and sex == Sex.MALE)
        if got is None:
            continue
        profile[m.name], d = got
        if d is not None:
            per_marker.append((m.name, d))
    if all(model is None for model in own):
        return profile, None, sex
    # The body's own dropout is the largest of its samples': it only reaches markers where the
    # body is a heterozygote, whose LRs do not depend on it (only G = ab has weight).
    base = max(model.dropout for model in own if model is not None)
    return profile, DropoutModel(base, 0.0, tuple(x for x in per_marker if x[1] != base)), sex


def _common_pairings(problem: DVIProblem, members: Sequence[str]) -> tuple[str, ...]:
    allowed = set.intersection(*(set(problem.pairings[v]) for v in members))
    return tuple(x for x in problem.pairings[members[0]] if x in allowed)


def body_groups(problem: DVIProblem, min_lr: float = 1e6) -> list[tuple[str, ...]]:
    """Groups of the problem's PM samples linked as one body by direct-match LRs of at least
    ``min_lr`` (:func:`repatria.kinship.fragments.find_fragments`, each sample at its own
    dropout, the others at the search's default)."""
    found = find_fragments(
        problem.markers,
        problem.pm,
        problem.pm_profiles,
        min_lr=min_lr,
        sample_dropout={v: m.dropout for v, m in problem.pm_dropout.items()},
    )
    return [tuple(found.ids[i] for i in g) for g in found.groups]
