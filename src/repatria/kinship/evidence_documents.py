"""Documents, unit and personal effects as evidence: an item found with the body.

The item is the body's own with probability ``r`` (its reliability) and a foreign one otherwise
(false papers, another army's papers, a swapped or looted item): :func:`document_lr`,
:func:`unit_lr` and :func:`effects_lr` share one model (see :mod:`repatria.kinship.evidence`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repatria.kinship.errors import KinshipError
from repatria.kinship.evidence_factors import EvidenceFactor, _check_prob

__all__ = ["document_lr", "unit_lr", "effects_lr"]


def _attribute_lr(
    kind: str,
    matches: bool,
    reliability: float,
    q: float,
    own_share: float | None,
    sources: Mapping[str, str],
    observation: Mapping[str, Any],
) -> EvidenceFactor:
    """``(r [x = y] + (1 - r) q) / (r s + (1 - r) q)``: see :func:`document_lr`."""
    _check_prob("reliability", reliability)
    _check_prob("q", q, lo_open=True)
    s = q if own_share is None else own_share
    _check_prob("own_share", s)
    r = reliability
    p_else = r * s + (1 - r) * q  # P(item shows the record | someone else)
    if matches:
        num, den = r + (1 - r) * q, p_else
    else:
        # P(item does not show the record): (1 - r)(1 - q) for the MP, 1 - p_else for another
        # (the same as 1 - r when s = q; not when the record is unique to the MP, s = 0).
        num, den = (1 - r) * (1 - q), 1 - p_else
    if den == 0:
        raise KinshipError(
            f"{kind}: reliability 1 with an own share of 0 (or 1) makes the item certain proof; "
            "give a reliability below 1"
        )
    return EvidenceFactor(
        kind,
        num / den,
        "(r + (1 - r) q) / (r s + (1 - r) q) if the item shows the record, else "
        "(1 - r)(1 - q) / (1 - r s - (1 - r) q)",
        {"reliability": r, "q": q, "own_share": s, "sources": dict(sources)},
        {**observation, "matches": matches},
    )


def document_lr(
    matches: bool,
    reliability: float,
    q: float,
    own_share: float | None = None,
    document: str = "",
) -> EvidenceFactor:
    """A document found on the body against the MP's recorded documents.

    Model: the document is the body's own with probability ``r`` (its reliability) and a foreign
    one otherwise (false papers, another army's papers, papers taken from the dead); a foreign
    document shows the recorded item ``x`` with probability ``q``, and a body's own document is
    ``x`` with probability ``s`` among people other than the MP (``own_share``; ``s = q`` by
    default, ``s = 0`` for a document unique to one person such as a named ID or a service
    number). Then ``P(x | MP) = r [x = y] + (1 - r) q`` and ``P(x | someone else) = r s +
    (1 - r) q``, so ``LR = (r [x = y] + (1 - r) q) / (r s + (1 - r) q)``; with ``s = q``,
    ``(r + (1 - r) q) / q`` for a match and ``1 - r`` for a mismatch.

    ``reliability`` and ``q`` have no default: they are the case's (the share of false papers
    seen in this war, how common the document is).

    >>> round(document_lr(True, reliability=0.5, q=0.01).lr, 12)  # (0.5 + 0.5 * 0.01) / 0.01
    50.5
    >>> round(document_lr(True, reliability=0.5, q=0.01, own_share=0.0).lr, 12)
    101.0
    """
    return _attribute_lr(
        "document",
        matches,
        reliability,
        q,
        own_share,
        {"reliability": "given", "q": "given"},
        {"document": document},
    )


def unit_lr(matches: bool, reliability: float, share: float, unit: str = "") -> EvidenceFactor:
    """The unit the remains are associated with (insignia, the grave's unit) against the MP's.

    The model of :func:`document_lr` with ``q = s = share``, the share of the missing from that
    unit: ``LR = (r + (1 - r) share) / share`` for the same unit, ``1 - r`` for another.

    >>> round(unit_lr(False, reliability=0.9, share=0.1).lr, 12)
    0.1
    """
    return _attribute_lr(
        "unit", matches, reliability, share, None, {"reliability": "given"}, {"unit": unit}
    )


def effects_lr(
    matches: bool, reliability: float = 0.2, q: float = 0.1, item: str = ""
) -> EvidenceFactor:
    """A personal effect (a ring, a watch, a photograph) against what the family described.

    Weak by design: the model of :func:`document_lr` with ``q = s``; the defaults ``r = 0.2``
    (effects are shared, swapped and looted) and ``q = 0.1`` (how common such an item is) are
    assumptions, so a match weighs at most ``(0.2 + 0.8 * 0.1) / 0.1 = 2.8``.

    >>> round(effects_lr(True).lr, 12)
    2.8
    """
    src = {"reliability": "assumption" if reliability == 0.2 else "given"}
    src["q"] = "assumption" if q == 0.1 else "given"
    return _attribute_lr("effects", matches, reliability, q, None, src, {"item": item})
