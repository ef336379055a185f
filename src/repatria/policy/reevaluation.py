"""A new policy version: which open candidates and confirmed identifications it changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from repatria.policy.evidence import PolicyEvidence
from repatria.policy.record import IdentificationPolicy, PolicyError
from repatria.policy.rules import PolicyVerdict, evaluate
from repatria.vocabulary import CANDIDATE_STATUSES

__all__ = ["VerdictChange", "Reevaluation", "reevaluate"]


@dataclass(frozen=True)
class VerdictChange:
    """One candidate whose verdict differs between two policy versions."""

    candidate_id: int
    status: str
    old: PolicyVerdict
    new: PolicyVerdict

    @property
    def newly_failed(self) -> tuple[str, ...]:
        """Rules failed under the new policy and not under the old."""
        before = {r.rule for r in self.old.failed}
        return tuple(r.rule for r in self.new.failed if r.rule not in before)

    @property
    def no_longer_failed(self) -> tuple[str, ...]:
        """Rules failed under the old policy and not under the new."""
        after = {r.rule for r in self.new.failed}
        return tuple(r.rule for r in self.old.failed if r.rule not in after)

    def line(self) -> str:
        """The change in one line."""
        parts = []
        if self.newly_failed:
            parts.append(f"now fails {', '.join(self.newly_failed)}")
        if self.no_longer_failed:
            parts.append(f"now meets {', '.join(self.no_longer_failed)}")
        return (
            f"candidate {self.candidate_id} ({self.status}): "
            f"{'; '.join(parts) or 'same rules failed, other numbers'} under policy "
            f"v{self.new.policy_version} (was v{self.old.policy_version})"
        )


@dataclass(frozen=True)
class Reevaluation:
    """What a new policy changes.

    Attributes
    ----------
    changed_open : open and proposed candidates whose set of failed rules changed (their
        warnings and what review refuses change).
    identifications_now_failing : confirmed identifications that fail a rule under the new
        policy that they did not fail under the old (for re-review; a failure already overridden
        under the old policy is not listed again).
    """

    old_version: int
    new_version: int
    changed_open: tuple[VerdictChange, ...]
    identifications_now_failing: tuple[VerdictChange, ...]

    def lines(self) -> list[str]:
        """A summary, then one line per candidate."""
        head = (
            f"policy v{self.old_version} -> v{self.new_version}: "
            f"{len(self.changed_open)} open candidate(s) changed, "
            f"{len(self.identifications_now_failing)} identification(s) to re-review"
        )
        return [head, *(c.line() for c in self.changed_open),
                *(c.line() for c in self.identifications_now_failing)]  # fmt: skip


_OPEN = ("open", "proposed")


def reevaluate(
    old: IdentificationPolicy,
    new: IdentificationPolicy,
    candidates: Iterable[tuple[int, PolicyEvidence, str]],
) -> Reevaluation:
    """Candidates ``(id, evidence, status)`` evaluated under ``old`` and ``new``.

    ``status`` is a :data:`repatria.vocabulary.CANDIDATE_STATUSES` word; rejected and revoked
    candidates are left alone.
    """
    changed, failing = [], []
    for cid, evidence, status in candidates:
        if status not in CANDIDATE_STATUSES:
            raise PolicyError(
                f"candidate {cid}: status {status!r} is not one of {', '.join(CANDIDATE_STATUSES)}"
            )
        if status not in (*_OPEN, "confirmed"):
            continue
        a, b = evaluate(old, evidence), evaluate(new, evidence)
        change = VerdictChange(cid, status, a, b)
        if status in _OPEN:
            if {r.rule for r in a.failed} != {r.rule for r in b.failed}:
                changed.append(change)
        elif change.newly_failed:
            failing.append(change)
    return Reevaluation(old.version, new.version, tuple(changed), tuple(failing))
