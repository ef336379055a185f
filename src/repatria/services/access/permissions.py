"""Who may do what: every action (a workflow step or a read) and the roles it belongs to.

``PERMISSIONS`` are the workflow steps, ``READ_PERMISSIONS`` the reads of the views;
:func:`roles_for` answers for both, so the surfaces declare a route's roles by naming the
action it performs. :func:`require` and :func:`require_reader` check a named user in the
caller's transaction.

Identity on the command line is asserted with ``--as USER``, not authenticated: the role
check makes every action accountable to a named person and keeps each workflow step with
the role that owns it. (An authenticated identity is the API's job.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import PermissionDeniedError
from repatria.registry.models import User
from repatria.registry.person_lookup import Source, user_standing
from repatria.vocabulary import ROLES

__all__ = [
    "ROLES",
    "PERMISSIONS",
    "READ_PERMISSIONS",
    "roles_for",
    "require",
    "check_reader",
    "require_reader",
]

_ALL = frozenset(ROLES)

# action -> the roles allowed to do it. Reviewers review, analysts propose, and so on; admin
# manages users but does not review, so the two-person rule cannot be bypassed by a superuser.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.add": frozenset({"admin"}),
    "import.persons": frozenset({"case_manager", "admin"}),
    "import.remains": frozenset({"case_manager", "admin"}),
    "import.claims": frozenset({"case_manager", "analyst", "admin"}),
    "import.case": frozenset({"analyst", "case_manager", "admin"}),
    "import.lab": frozenset({"analyst", "case_manager", "admin"}),
    "frequencies.import": frozenset({"analyst", "case_manager", "admin"}),
    "runs.record": frozenset({"analyst"}),
    "review.propose": frozenset({"analyst"}),
    "review.confirm": frozenset({"reviewer"}),
    "review.reject": frozenset({"reviewer"}),
    "review.revoke": frozenset({"reviewer", "case_manager"}),
    "families.correct": frozenset({"analyst", "case_manager"}),
    "bodies.propose": frozenset({"analyst"}),
    "bodies.confirm": frozenset({"reviewer"}),
    "bodies.reject": frozenset({"reviewer"}),
    "bodies.revoke": frozenset({"reviewer", "case_manager"}),
    "person.presume_dead": frozenset({"case_manager"}),
    "custody.record": frozenset({"case_manager"}),
    "samples.record": frozenset({"case_manager", "analyst"}),
    "notify.record": frozenset({"liaison_officer"}),
    "notify.read_sensitive": frozenset({"liaison_officer", "case_manager"}),
    "notify.exception": frozenset({"liaison_officer", "case_manager"}),
    "repatriation.record": frozenset({"case_manager"}),
    "disposition.record": frozenset({"case_manager"}),
    "consent.withdraw": frozenset({"case_manager", "liaison_officer"}),
    "consent.record": frozenset({"case_manager", "liaison_officer"}),
    "account.view": _ALL,
    "audit.verify": frozenset({"auditor", "admin"}),
    "audit.read": frozenset({"auditor", "admin"}),
    # exchange packages (issue 17): the case manager sends and receives, an admin keeps the keys
    "exchange.export": frozenset({"case_manager"}),
    "exchange.import": frozenset({"case_manager"}),
    "exchange.trust": frozenset({"admin"}),
    "exchange.consent": frozenset({"case_manager", "liaison_officer"}),
    "policy.set": frozenset({"admin"}),
}

_VERBS = {
    "users.add": "add users",
    "import.persons": "import persons",
    "import.remains": "import remains",
    "import.claims": "import claims",
    "import.case": "import DVI cases",
    "import.lab": "import lab exports",
    "frequencies.import": "import frequency tables",
    "runs.record": "record identification runs",
    "review.propose": "propose a candidate",
    "review.confirm": "confirm a candidate",
    "review.reject": "reject a candidate",
    "review.revoke": "revoke an identification",
    "families.correct": "correct a reference family",
    "bodies.propose": "propose a re-association",
    "bodies.confirm": "confirm a re-association",
    "bodies.reject": "reject a re-association",
    "bodies.revoke": "revoke a re-association",
    "person.presume_dead": "declare a person presumed dead",
    "custody.record": "record custody events",
    "samples.record": "record samples",
    "notify.record": "record family notifications",
    "notify.read_sensitive": "read sensitive notes",
    "notify.exception": "record why a family is not told",
    "repatriation.record": "record repatriations",
    "disposition.record": "record dispositions",
    "consent.withdraw": "record a consent withdrawal",
    "consent.record": "record a donor's consent",
    "account.view": "view the accounting",
    "audit.verify": "verify the audit chains",
    "audit.read": "read the audit log",
    "exchange.export": "export an exchange package",
    "exchange.import": "import an exchange package",
    "exchange.trust": "trust an exchange party",
    "exchange.consent": "record a donor's consent to sharing",
    "policy.set": "set the identification policy",
}


def require(session: Session, actor: str | None, action: str) -> User:
    """The user named ``actor``, if their role allows ``action``; else one sentence why not."""
    allowed = PERMISSIONS[action]
    needs = " or ".join(sorted(allowed))
    if not actor:
        first = sorted(allowed)[0]
        raise PermissionDeniedError(
            f"to {_VERBS[action]}, say who you are with --as USER ({_article(first)} {needs})"
        )
    user = session.execute(select(User).where(User.name == actor)).scalar_one_or_none()
    if user is None:
        raise PermissionDeniedError(
            f"there is no user named {actor!r}; add one with "
            f"`repatria users add {actor} --role ROLE`"
        )
    if user.disabled_at is not None:
        raise PermissionDeniedError(f"the account of {user.name} is disabled; ask an admin")
    if user.role not in allowed:
        raise PermissionDeniedError(
            f"{user.name} is {_article(user.role)} {user.role} and may not "
            f"{_VERBS[action]}; that needs the {needs} role"
        )
    return user


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# Who may read what. Genetic evidence goes to those who weigh it (and to the auditor who checks
# them); family contacts to those who speak with families.
READ_PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": _ALL,
    "persons.read": _ALL,
    "remains.read": _ALL,
    "match.read": frozenset({"analyst", "reviewer", "case_manager", "auditor"}),
    "review.queue": frozenset({"analyst", "reviewer", "case_manager"}),
    "flagged.read": frozenset({"analyst", "reviewer", "case_manager", "auditor"}),
    "notifications.view": frozenset({"liaison_officer", "case_manager"}),
    "repatriations.view": frozenset({"case_manager", "liaison_officer", "auditor"}),
    "report.identification": frozenset(
        {"analyst", "reviewer", "case_manager", "liaison_officer", "auditor"}
    ),
    "report.case": frozenset({"case_manager", "auditor", "admin", "analyst"}),
    "session.self": _ALL,
    # the progress of a background run: those who start runs and those who review what they give
    "jobs.view": frozenset({"analyst", "reviewer", "case_manager"}),
    "policy.read": _ALL,
    # donors' consent and contact wishes: those who weigh references and those who speak to them
    "donors.read": frozenset({"analyst", "reviewer", "case_manager", "liaison_officer", "auditor"}),
    # a match's genotypes, PM and references: only to those who weigh the DNA (issue 18)
    "genotypes.read": frozenset({"analyst", "reviewer"}),
}


def roles_for(action: str) -> frozenset[str]:
    """The roles allowed to perform ``action`` (a workflow step or a read)."""
    if action in READ_PERMISSIONS:
        return READ_PERMISSIONS[action]
    return PERMISSIONS[action]


def check_reader(session: Source, actor: str, action: str) -> int:
    """The id of the user named ``actor``, if their role may perform the read ``action``
    (three columns read through the driver, no user object: for the reads that run most, such
    as a search box)."""
    row = user_standing(session, actor)
    allowed = roles_for(action)
    if row is None or row[1] not in allowed or row[2] is not None:
        raise PermissionDeniedError(
            f"{actor} may not {action.replace('.', ' ')}; that needs the "
            f"{' or '.join(sorted(allowed))} role"
        )
    return row[0]


def require_reader(session: Session, actor: str, action: str) -> User:
    """The user named ``actor``, if their role may perform the read ``action``."""
    user = session.get(User, check_reader(session, actor, action))
    assert user is not None
    return user
