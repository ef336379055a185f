"""Fragments the registry holds: samples of different bodies that are one person, as proposals.

:func:`propose_fragments` compares every PM sample with every sample of another body (exact
all pairs, in blocks, so no pair above the threshold is missed because of failed markers, as a
banded search can on burned profiles), with the direct-match LR with dropout
(:func:`repatria.kinship.fragments.direct_match_log_lr`). Bodies linked by an LR of at least
``min_lr`` form groups (connected components); each group becomes one re-association proposal
(``merge``, all the samples of its bodies), which a second person confirms as any other
(:mod:`repatria.services.workflows.bodies`). A group already proposed and awaiting review is not
proposed again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Genotype
from repatria.registry.db import session_scope
from repatria.registry.models import Association, AssociationDecision, BodyPart, Sample
from repatria.registry.review_state import candidate_status
from repatria.services.access.permissions import require
from repatria.services.workflows import bodies
from repatria.services.workflows.problem import sample_profiles

__all__ = ["FragmentProposals", "propose_fragments", "linked_pairs", "MAX_EXACT"]

#: Above this many PM samples the exact all-pairs search is refused (the banded search of
#: ``repatria fragments`` is the tool at that size).
MAX_EXACT = 20000
_BLOCK = 1 << 16


@dataclass(frozen=True)
class FragmentProposals:
    """What the search compared and the proposals it made."""

    samples: int
    pairs: int
    links: list[tuple[str, str, float]]  # (sample, sample, log10 LR)
    proposals: list[int]
    already_proposed: int

    @property
    def message(self) -> str:
        return (
            f"compared {self.pairs} pairs of {self.samples} PM samples: {len(self.links)} "
            f"links, {len(self.proposals)} re-associations proposed"
            + (
                f" ({self.already_proposed} already awaiting review)"
                if self.already_proposed
                else ""
            )
        )


def propose_fragments(
    db: str | None, *, actor: str, min_lr: float = 1e6, dropout: float = bodies.FRAGMENT_DROPOUT
) -> FragmentProposals:
    """Search every pair of PM samples of different bodies; propose each linked group."""
    if not min_lr > 1:
        raise ServiceError(f"--min-lr must be above 1, got {min_lr:g}")
    if not 0 <= dropout < 1:
        raise ServiceError(f"--dropout must be at least 0 and below 1, got {dropout:g}")
    with session_scope(db) as session:
        require(session, actor, "bodies.propose")
        rows = session.execute(
            select(Sample, BodyPart.body_id)
            .join(BodyPart, BodyPart.sample_id == Sample.id)
            .where(BodyPart.ended_by.is_(None), Sample.kind == "pm")
            .order_by(Sample.id)
        ).all()
        recorded: dict[str, float] = {}
        markers, profiles = sample_profiles(session, [s for s, _ in rows], dropout=recorded)
        samples = [(s.ref, b) for s, b in rows if s.ref in profiles]
        pending = _pending(session)
    if len(samples) > MAX_EXACT:
        raise ServiceError(
            f"{len(samples)} PM samples are too many for the exact search (at most {MAX_EXACT}); "
            "use `repatria fragments` on the case"
        )
    ids = [r for r, _ in samples]
    n = len(ids)
    links, n_pairs = linked_pairs(
        markers,
        ids,
        [b for _, b in samples],
        profiles,
        dropout=dropout,
        min_lr=min_lr,
        sample_dropout=recorded,
    )
    groups = _groups(links, dict(samples))
    by_body: dict[int, list[str]] = {}
    for ref, b in samples:
        by_body.setdefault(b, []).append(ref)
    proposals, already = [], 0
    for group in groups:
        refs = sorted({r for b in group for r in by_body[b]}, key=ids.index)
        if frozenset(refs) in pending:
            already += 1
            continue
        inside = set(refs)
        record = bodies.propose(
            db,
            refs,
            actor=actor,
            reason=f"fragment search: direct-match LR >= {min_lr:g} (dropout {dropout:g}"
            + (", or the sample's own where recorded)" if recorded else ")"),
            search={
                "min_lr": min_lr,
                "dropout": dropout,
                "sample_dropout": {r: recorded[r] for r in refs if r in recorded},
                "links": [{"a": a, "b": b, "log10_lr": v} for a, b, v in links if a in inside],
            },
        )
        proposals.append(record.id)
    return FragmentProposals(n, n_pairs, links, proposals, already)


def linked_pairs(
    markers: Sequence[Marker],
    ids: Sequence[str],
    body_of: Sequence[int],
    profiles: Mapping[str, Mapping[str, Genotype]],
    *,
    dropout: float,
    min_lr: float,
    sample_dropout: Mapping[str, float] | None = None,
) -> tuple[list[tuple[str, str, float]], int]:
    """Every pair of samples of different bodies with a direct-match LR of at least ``min_lr``.

    Exact: every pair is scored, in blocks (no banding, so a failed marker in every band of a
    burned profile cannot hide a pair). Each sample is weighed with its own dropout where
    ``sample_dropout`` has one (the lab's value for a burned sample), else ``dropout``. Returns
    the links ``(a, b, log10 LR)`` in row order of ``ids`` and the number of pairs scored.
    """
    from repatria.kinship.fragments import direct_match_log_lr, encode_samples

    enc = encode_samples(markers, list(ids), profiles)
    body = np.asarray(body_of, dtype=np.int64)
    ii, jj = np.triu_indices(len(ids), k=1)
    keep = body[ii] != body[jj]
    ii, jj = ii[keep], jj[keep]
    own = sample_dropout or {}
    per_sample = np.array([own.get(r, dropout) for r in ids], dtype=float)[:, None]
    links: list[tuple[str, str, float]] = []
    for start in range(0, len(ii), _BLOCK):
        i, j = ii[start : start + _BLOCK], jj[start : start + _BLOCK]
        d1, d2 = (per_sample[i], per_sample[j]) if own else (None, None)
        ln = direct_match_log_lr(
            markers, dropout, enc.a[i], enc.b[i], enc.a[j], enc.b[j], d1=d1, d2=d2
        )
        for k in np.nonzero(ln >= math.log(min_lr))[0]:
            links.append((ids[i[k]], ids[j[k]], float(ln[k]) / math.log(10)))
    return links, len(ii)


def _groups(links: list[tuple[str, str, float]], body_of: dict[str, int]) -> list[list[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in links:
        parent[find(body_of[a])] = find(body_of[b])
    out: dict[int, list[int]] = {}
    for x in list(parent):
        out.setdefault(find(x), []).append(x)
    return [sorted(g) for g in out.values() if len(g) > 1]


def _pending(session: Session) -> set[frozenset[str]]:
    """Sample ref sets of re-associations proposed and awaiting a verdict."""
    kinds: dict[int, set[str]] = {}
    for aid, kind in session.execute(
        select(AssociationDecision.association_id, AssociationDecision.kind)
    ):
        kinds.setdefault(aid, set()).add(kind)
    ref = dict(session.execute(select(Sample.id, Sample.ref)).all())
    out = set()
    for a in session.execute(select(Association)).scalars():
        if candidate_status(kinds.get(a.id, set())) == "proposed":
            out.add(frozenset(ref[i] for i in a.sample_ids))
    return out
