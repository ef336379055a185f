"""The registry's vocabularies: states, roles and kinds, each a ``Literal`` and its words.

One home for every word the registry accepts. The registry's CHECK constraints
(:mod:`repatria.registry.models`), the services' checks, the CLI's ``--help`` and the API's
schemas all take their lists from here: each vocabulary is a ``Literal`` type (for pydantic
and mypy) and the tuple of its words. This module imports only :mod:`typing` (no SQLAlchemy),
so a surface may use it without loading any registry code.

>>> "reviewer" in ROLES
True
>>> CANDIDATE_STATUSES[0]
'open'
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "Role",
    "PersonState",
    "RemainsState",
    "Condition",
    "DecisionKind",
    "CandidateStatus",
    "NameKind",
    "DocAuthenticity",
    "ConsentScope",
    "SexName",
    "SampleKind",
    "CustodyEventName",
    "NotifyMethod",
    "RepatriationKind",
    "DispositionKind",
    "TokenKind",
    "AssociationKind",
    "ROLES",
    "PERSON_STATES",
    "REMAINS_STATES",
    "CONDITIONS",
    "DECISION_KINDS",
    "CANDIDATE_STATUSES",
    "NAME_KINDS",
    "DOC_AUTHENTICITY",
    "CONSENT_SCOPES",
    "SEXES",
    "SAMPLE_KINDS",
    "CUSTODY_EVENTS",
    "NOTIFY_METHODS",
    "REPATRIATION_KINDS",
    "DISPOSITION_KINDS",
    "TOKEN_KINDS",
    "ASSOCIATION_KINDS",
    "STATE_ENTITIES",
    "CANDIDATE_CLOSURES",
    "spelled",
]

#: Who a user is; each role owns some workflow steps (see ``services.access.permissions``).
Role = Literal["analyst", "reviewer", "case_manager", "liaison_officer", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
PersonState = Literal["missing", "presumed_dead", "identified", "repatriated", "disposed"]
PERSON_STATES: tuple[str, ...] = get_args(PersonState)
RemainsState = Literal["recovered", "sampled", "identified", "repatriated", "disposed"]
REMAINS_STATES: tuple[str, ...] = get_args(RemainsState)
# "unknown": not recorded yet (remains known only from a DVI case file); never a guess.
Condition = Literal[
    "intact", "burned", "fragmentary", "commingled", "cremated_or_destroyed", "unknown"
]
CONDITIONS: tuple[str, ...] = get_args(Condition)
#: The steps of review, in the order they can happen.
DecisionKind = Literal["propose", "confirm", "reject", "revoke"]
DECISION_KINDS: tuple[str, ...] = get_args(DecisionKind)
#: Where a candidate match stands, derived from its decisions
#: (see :func:`repatria.registry.review_state.candidate_status`).
CandidateStatus = Literal["open", "proposed", "confirmed", "rejected", "revoked", "superseded"]
CANDIDATE_STATUSES: tuple[str, ...] = get_args(CandidateStatus)
NameKind = Literal["official", "alias", "false", "transliteration", "nickname"]
NAME_KINDS: tuple[str, ...] = get_args(NameKind)
DocAuthenticity = Literal["genuine", "false", "foreign", "unknown"]
DOC_AUTHENTICITY: tuple[str, ...] = get_args(DocAuthenticity)
ConsentScope = Literal["identification", "identification_and_research"]
CONSENT_SCOPES: tuple[str, ...] = get_args(ConsentScope)
SexName = Literal["male", "female", "unknown"]
SEXES: tuple[str, ...] = get_args(SexName)
SampleKind = Literal["pm", "reference"]
SAMPLE_KINDS: tuple[str, ...] = get_args(SampleKind)
CustodyEventName = Literal[
    "recovered",
    "received",
    "transferred",
    "stored",
    "sampled",
    "examined",
    "released",
    "returned",
]
CUSTODY_EVENTS: tuple[str, ...] = get_args(CustodyEventName)
NotifyMethod = Literal["in_person", "phone", "letter", "video", "via_authority"]
NOTIFY_METHODS: tuple[str, ...] = get_args(NotifyMethod)
RepatriationKind = Literal["handover", "exchange"]
REPATRIATION_KINDS: tuple[str, ...] = get_args(RepatriationKind)
DispositionKind = Literal["burial", "cremation", "held", "transferred", "other"]
DISPOSITION_KINDS: tuple[str, ...] = get_args(DispositionKind)
#: What a login token is for.
TokenKind = Literal["session", "api"]
TOKEN_KINDS: tuple[str, ...] = get_args(TokenKind)
#: A re-association: "these samples are one body" (merge) or "these samples of a shared
#: recovered item are another body" (split). Both end as one body made of exactly the samples.
AssociationKind = Literal["merge", "split"]
ASSOCIATION_KINDS: tuple[str, ...] = get_args(AssociationKind)
#: What a row of ``state_changes`` moved.
STATE_ENTITIES: tuple[str, ...] = ("person", "remains", "body")
#: Why a run closed a candidate: its body or person was identified elsewhere.
CANDIDATE_CLOSURES: tuple[str, ...] = ("superseded",)


def spelled(words: tuple[str, ...]) -> str:
    """A vocabulary as a help text says it.

    >>> spelled(REPATRIATION_KINDS)
    'handover or exchange'
    >>> spelled(("a", "b", "c"))
    'a, b or c'
    """
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


#: What a direct reference is: an item of the missing person's own (issue 13), typed as his
#: profile. A medical sample is a stored blood card, a biopsy block, a newborn screening card.
DIRECT_ITEMS: tuple[str, ...] = (
    "toothbrush",
    "razor",
    "hairbrush",
    "clothing",
    "medical_sample",
    "other",
)
