"""The demo scenario: a simulated exchange of remains, worked through every step of the registry.

The data are bundled in ``repatria/data/demo`` (see its ``SOURCES.md``): 14 sets of remains
received in an exchange (burned, fragmentary, commingled, one cremated; tags, notebooks and
papers found with them), 14 missing soldiers who carried another army's papers under other
names (Hangul names, Cyrillic aliases with transliterations), 10 reference families with
their donors' consent, a DNA case of 12 PM samples against those families (simulated, 23 STR
markers, East Asian frequencies), and the published claims of the news reports with their
sources.

:func:`load_demo` loads it into a fresh database through the same service functions the
commands use (so roles, states and hash chains are exercised, not bypassed), runs the DVI
analysis, and walks the identifications through review, notification, repatriation and
disposition so that every state holds someone. It never reads anything outside the package.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from repatria.errors import ServiceError
from repatria.formats.registry_tsv import read_remains_tsv
from repatria.registry.db import display_url, session_scope
from repatria.registry.models import User
from repatria.services.access import users
from repatria.services.workflows import (
    accounting,
    case_import,
    custody,
    identify,
    imports,
    notification,
    persons,
    repatriation,
    review,
)
from repatria.services.workflows.setup import init_database

__all__ = ["DEMO_USERS", "IDENTIFY_LR", "DemoSummary", "load_demo", "demo_file"]

#: One user per role; two analysts and two reviewers so the two-person rule has someone to ask.
DEMO_USERS = (
    ("ada", "admin"),
    ("ana", "analyst"),
    ("alex", "analyst"),
    ("rev", "reviewer"),
    ("rita", "reviewer"),
    ("cas", "case_manager"),
    ("lia", "liaison_officer"),
    ("aud", "auditor"),
)

#: The demo's review policy: a candidate is proposed when its LR is at least this and its
#: posterior pairing probability at least 0.99 (a policy, not a law of nature).
IDENTIFY_LR = 1e4
_POSTERIOR = 0.99


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` did: the database, the run, the review steps, and the accounting."""

    database: str
    users: list[tuple[str, str]]
    imports: list[str]
    run: int
    n_pm: int
    n_missing: int
    n_families: int
    n_markers: int
    candidates: list[dict[str, Any]]
    proposed: list[int]
    confirmed: list[tuple[str, str]]  # (remains ref, person ref)
    rejected: list[tuple[str, str]]
    notified: list[str]
    repatriated: list[str]
    disposed: list[str]
    agree_with_truth: tuple[int, int]  # confirmed identifications that match the simulation
    account: accounting.Account = field(repr=False)
    states: dict[str, dict[str, int]] = field(default_factory=dict)
    #: The demo users' passwords (public by design: a demo served on localhost), name -> password.
    passwords: dict[str, str] = field(default_factory=dict)


#: Why the demo goes on where a family has fewer close relatives typed than the policy asks.
_OVERRIDE = (
    "demo: the LR and posterior are far above the policy and the effects agree; "
    "more relatives are being sought"
)


def demo_file(name: str) -> Any:
    """A bundled demo file or folder (a Traversable)."""
    return resources.files("repatria") / "data" / "demo" / name


def load_demo(db: str | None) -> DemoSummary:
    """Load the demo scenario into a fresh database (created or migrated as needed).

    Parameters
    ----------
    db : a database URL or SQLite path; ``None``: ``$REPATRIA_DATABASE_URL``, else
        ``./repatria.sqlite``.

    Raises
    ------
    ServiceError
        If the database already holds users: the demo never mixes with real records.
    """
    init_database(db)
    with session_scope(db) as session:
        if session.execute(select(func.count()).select_from(User)).scalar_one():
            raise ServiceError(
                f"{display_url(db)} already holds users; load the demo into a fresh database"
            )
    for name, role in DEMO_USERS:
        users.add_user(db, name, role, actor=None if name == "ada" else "ada")

    done: list[str] = []
    with ExitStack() as stack:

        def path(name: str) -> Path:
            return stack.enter_context(resources.as_file(demo_file(name)))

        for kind, fn, who in (
            ("persons", imports.import_persons, "cas"),
            ("remains", imports.import_remains, "cas"),
            ("claims", imports.import_claims, "cas"),
        ):
            done.append(fn(db, path(f"{kind}.tsv"), actor=who).message)
        remains_rows = read_remains_tsv(path("remains.tsv"))
        refs = [r.remains_ref for r in remains_rows]
        # The exchange itself: every set of remains changes hands at the border.
        for ref in refs:
            custody.record_custody(
                db,
                actor="cas",
                event="received",
                remains_ref=ref,
                from_party="the other party's exchange commission",
                to_party="identification centre",
                location="border crossing point",
                occurred_on="2025-02-20",
                notes="sealed body bag, seal intact",
            )
        done.append(case_import.import_case(db, path("exchange-2025-02"), actor="ana").message)
        truth = json.loads(path("truth.json").read_text(encoding="utf-8"))["truth"]

    run = identify.identify(db, actor="ana")
    proposed, confirmed, rejected = [], [], []
    used_pm, used_mp = set(), set()
    strong = [c for c in run.candidates if c.lr >= IDENTIFY_LR and c.posterior >= _POSTERIOR]
    analysts, reviewers = ("ana", "alex"), ("rev", "rita")
    for k, c in enumerate(strong):
        if c.pm in used_pm or c.missing in used_mp:
            continue
        used_pm.add(c.pm)
        used_mp.add(c.missing)
        # Where a family has one close relative typed, the policy's references rule fails; the
        # demo overrides it, with the reason the reviewer sees (an override is ignored when
        # the candidate meets every rule).
        review.propose(
            db,
            c.id,
            actor=analysts[k % 2],
            reason="LR and posterior above the agency's policy",
            override=_OVERRIDE,
        )
        proposed.append(c.id)
        review.confirm(
            db,
            c.id,
            actor=reviewers[k % 2],
            reason="checked marker by marker; effects consistent",
            override=_OVERRIDE,
        )
        confirmed.append((c.pm, c.missing))
    # A weak candidate is proposed for a second look and rejected, with the reason kept.
    weak = next(
        (c for c in run.candidates if c.pm not in used_pm and c.missing not in used_mp), None
    )
    if weak is not None:
        review.propose(
            db,
            weak.id,
            actor="alex",
            reason="weak, but the notebook mentions this name",
            override="below the policy; proposed for a second look because of the notebook",
        )
        proposed.append(weak.id)
        review.reject(
            db, weak.id, actor="rev", reason="LR too weak to identify; more references needed"
        )
        rejected.append((weak.pm, weak.missing))

    # Families told, remains handed over in one ceremony, one family's wish for a local burial;
    # the last confirmed identification waits for its notification.
    notified, repatriated, disposed = [], [], []
    for _remains_ref, person_ref in confirmed[:-1]:
        notification.notify_family(
            db,
            person_ref,
            actor="lia",
            recipient="the family (next of kin)",
            method="via_authority",
            notified_on="2025-03-05",
            relationship="next of kin",
            sensitive_notes="asked that the effects be returned with him",
        )
        notified.append(person_ref)
    handover = confirmed[: max(0, len(confirmed) - 2)]
    if handover:
        rec = repatriation.repatriate(
            db,
            [r for r, _ in handover],
            actor="cas",
            kind="exchange",
            counterpart="the other party's exchange commission",
            occurred_on="2025-04-02",
            place="border crossing point",
            ceremony="handover with honours, one coffin each",
            coffin_labels=[str(i + 1) for i in range(len(handover))],
        )
        repatriated = [person for _, person, _ in rec.items if person is not None]
    if len(confirmed) >= 2:
        remains_ref, person_ref = confirmed[-2]
        repatriation.dispose(
            db,
            remains_ref,
            actor="cas",
            kind="burial",
            occurred_on="2025-04-10",
            place="local military cemetery, plot 7",
            reason="the family asked for burial where he fell",
        )
        disposed.append(person_ref)
    # A cremated body with no DNA is held; a soldier with no reference family is presumed dead.
    destroyed = [r.remains_ref for r in remains_rows if r.condition == "cremated_or_destroyed"]
    for ref in destroyed:
        repatriation.dispose(
            db,
            ref,
            actor="cas",
            kind="held",
            occurred_on="2025-04-10",
            reason="no DNA recoverable; held pending other means of identification",
        )
    without_family = [f"P-{k:04d}" for k in range(run.n_missing + 1, 15)]
    for ref in without_family[:2]:
        persons.presume_dead(
            db, ref, actor="cas", reason="comrades' testimony of his death at the last known place"
        )

    acc = accounting.account(db, actor="aud")
    agree = sum(1 for r, p in confirmed if truth.get(r) == p)
    return DemoSummary(
        display_url(db),
        list(DEMO_USERS),
        done,
        run.run,
        run.n_pm,
        run.n_missing,
        run.n_families,
        run.n_markers,
        [
            {"id": c.id, "pm": c.pm, "missing": c.missing, "lr": c.lr, "posterior": c.posterior}
            for c in run.candidates
        ],
        proposed,
        confirmed,
        rejected,
        notified,
        repatriated,
        disposed,
        (agree, len(confirmed)),
        acc,
        _states(db),
    )


def _states(db: str | None) -> dict[str, dict[str, int]]:
    from repatria.registry.models import Person, Remains

    with session_scope(db) as session:
        return {
            name: dict(
                session.execute(
                    select(model.status, func.count()).group_by(model.status).order_by(model.status)
                ).all()
            )
            for name, model in (("persons", Person), ("remains", Remains))
        }
