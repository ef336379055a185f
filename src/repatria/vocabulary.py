"""The registry's vocabularies: states, roles and kinds, as plain tuples of strings.

One home for every word the registry accepts. The registry's CHECK constraints
(:mod:`repatria.registry.models`), the services' checks, the CLI's ``--help`` and the API's
schemas all take their lists from here. This module imports nothing (no SQLAlchemy), so a
surface may use it without loading any registry code.

>>> "reviewer" in ROLES
True
>>> CANDIDATE_STATUSES[0]
'open'
"""

from __future__ import annotations

__all__ = [
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
]

#: Who a user is; each role owns some workflow steps (see ``services.access.permissions``).
ROLES = ("analyst", "reviewer", "case_manager", "liaison_officer", "auditor", "admin")
PERSON_STATES = ("missing", "presumed_dead", "identified", "repatriated", "disposed")
REMAINS_STATES = ("recovered", "sampled", "identified", "repatriated", "disposed")
# "unknown": not recorded yet (remains known only from a DVI case file); never a guess.
CONDITIONS = ("intact", "burned", "fragmentary", "commingled", "cremated_or_destroyed", "unknown")
#: The steps of review, in the order they can happen.
DECISION_KINDS = ("propose", "confirm", "reject", "revoke")
#: Where a candidate match stands, derived from its decisions
#: (see :func:`repatria.registry.review_state.candidate_status`).
CANDIDATE_STATUSES = ("open", "proposed", "confirmed", "rejected", "revoked")
NAME_KINDS = ("official", "alias", "false", "transliteration", "nickname")
DOC_AUTHENTICITY = ("genuine", "false", "foreign", "unknown")
CONSENT_SCOPES = ("identification", "identification_and_research")
SEXES = ("male", "female", "unknown")
SAMPLE_KINDS = ("pm", "reference")
CUSTODY_EVENTS = (
    "recovered",
    "received",
    "transferred",
    "stored",
    "sampled",
    "examined",
    "released",
    "returned",
)
NOTIFY_METHODS = ("in_person", "phone", "letter", "video", "via_authority")
REPATRIATION_KINDS = ("handover", "exchange")
DISPOSITION_KINDS = ("burial", "cremation", "held", "transferred", "other")
#: What a login token is for.
TOKEN_KINDS = ("session", "api")
