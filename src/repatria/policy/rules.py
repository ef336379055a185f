"""Evaluating a policy: each rule met, failed or not applicable, and the verdict it adds up to.

:func:`evaluate` applies every rule of :data:`repatria.policy.RULES` (described in
:mod:`repatria.policy`) to the :class:`~repatria.policy.evidence.PolicyEvidence` of one
candidate and returns a :class:`PolicyVerdict`: what review refuses and who may override it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from repatria.policy.evidence import Finding, PolicyEvidence
from repatria.policy.record import _LOG10_TOL, REL_TOL, IdentificationPolicy, relation_word

__all__ = ["RuleResult", "PolicyVerdict", "evaluate"]

Status = Literal["met", "failed", "not applicable"]
Step = Literal["propose", "confirm"]

# Relations for the lineage methods: who is female, a child, on the MP's maternal line.
_FEMALE = {"mother", "daughter", "sister", "full_sister"}
_CHILDREN = {"son", "daughter", "child"}
_MTDNA_LINE = {"mother", "brother", "sister", "full_brother", "full_sister", "full_sibling",
               "sibling", "identical_twin"}  # fmt: skip


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome for one candidate.

    ``value`` and ``limit`` are the numbers compared (``None`` where the rule counts words);
    ``text`` says it for a reviewer; ``hard``: no role may override a failure of this rule.
    """

    rule: str
    status: Status
    text: str
    value: float | int | str | None = None
    limit: float | int | str | None = None
    hard: bool = False

    def line(self) -> str:
        """``rule: status - text``."""
        return f"{self.rule}: {self.status} - {self.text}"


@dataclass(frozen=True)
class PolicyVerdict:
    """What a candidate meets and fails under one policy version: one result per rule."""

    policy_version: int
    results: tuple[RuleResult, ...]
    override_roles: Mapping[str, tuple[str, ...]]

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        """The rules failed, in :data:`RULES` order."""
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def meets(self) -> bool:
        """No rule failed."""
        return not self.failed

    @property
    def requires_override(self) -> bool:
        """Propose and confirm need an override with a reason (some rule failed)."""
        return bool(self.failed)

    @property
    def overridable(self) -> bool:
        """Every failed rule may be overridden (none is hard)."""
        return not any(r.hard for r in self.failed)

    def who_may_override(self, step: Step) -> tuple[str, ...]:
        """The roles that may override this verdict at ``step`` (empty if a hard rule failed)."""
        return tuple(self.override_roles.get(step, ())) if self.overridable else ()

    def may_override(self, step: Step, role: str) -> bool:
        """May a user of ``role`` propose or confirm this candidate anyway (with a reason)?"""
        return role in self.who_may_override(step)

    def result(self, rule: str) -> RuleResult:
        """The result of ``rule``."""
        for r in self.results:
            if r.rule == rule:
                return r
        raise KeyError(rule)

    def refusal(self, step: Step) -> str:
        """Why ``step`` is refused, in one line: the first failed rule, the others, what to do.

        Empty when the candidate meets the policy.
        """
        if self.meets:
            return ""
        first = self.failed[0]
        parts = [
            f"candidate fails identification policy v{self.policy_version}: "
            f"{first.rule} ({first.text})"
        ]
        if len(self.failed) > 1:
            parts.append(f"also fails {', '.join(r.rule for r in self.failed[1:])}")
        roles = self.who_may_override(step)
        if not roles:
            hard = ", ".join(r.rule for r in self.failed if r.hard) or "it"
            what = f"the {step[:-1]}al" if step == "propose" else "the confirmation"
            parts.append(f"no one may override {hard}, so {what} is refused")
        else:
            who = " or ".join(r.replace("_", " ") for r in roles)
            seen = (
                "the reviewer will see it" if step == "propose" else "it is kept with the decision"
            )
            parts.append(
                f"to {step} it anyway, a{'n' if who[0] in 'aeiou' else ''} {who} must give the "
                f"reason for overriding ({seen})"
            )
        return "; ".join(parts)

    def lines(self) -> list[str]:
        """One line per rule, for a reviewer."""
        return [r.line() for r in self.results]

    def to_json(self) -> dict[str, Any]:
        """The verdict as the API and ``--json`` give it."""
        return {
            "policy_version": self.policy_version,
            "meets": self.meets,
            "requires_override": self.requires_override,
            "override_roles": {k: list(v) for k, v in self.override_roles.items()}
            if self.overridable
            else {},
            "rules": [
                {
                    "rule": r.rule,
                    "status": r.status,
                    "text": r.text,
                    "value": _plain(r.value),
                    "limit": _plain(r.limit),
                    "hard": r.hard,
                }
                for r in self.results
            ],
        }


def _plain(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    return x


def _fmt_lr(log10_lr: float) -> str:
    if math.isinf(log10_lr):
        return "infinite" if log10_lr > 0 else "0"
    if -3 <= log10_lr < 6:
        x = 10**log10_lr
        return f"{x:,.0f}" if x >= 10 else f"{x:.3g}"
    return f"10^{log10_lr:.1f}"


def _at_least(value: float, limit: float) -> bool:
    return value >= limit - _LOG10_TOL


def evaluate(policy: IdentificationPolicy, evidence: PolicyEvidence) -> PolicyVerdict:
    """Every rule of ``policy`` applied to one candidate's ``evidence``.

    Returns
    -------
    PolicyVerdict
        One :class:`RuleResult` per rule of :data:`RULES`, in that order, each met, failed or
        not applicable, with the numbers compared and a sentence for the reviewer.
    """
    rules = (
        _rule_lr,
        _rule_posterior,
        _rule_references,
        _rule_exclusions,
        _rule_lr0,
        _rule_conclusion,
        _rule_checks,
        _rule_lineage,
        _rule_non_dna,
        _rule_consent,
    )
    results = []
    for rule in rules:
        r = rule(policy, evidence)
        results.append(replace(r, hard=r.rule in policy.hard_rules))
    return PolicyVerdict(policy.version, tuple(results), policy.override_roles)


def _rule_lr(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    need = math.log10(p.min_lr)
    limit = _fmt_lr(need)
    if e.log10_lr is None:
        return RuleResult("lr", "failed", "no likelihood ratio was stored", None, p.min_lr)
    ok = _at_least(e.log10_lr, need)
    word = "is at least" if ok else "is below"
    return RuleResult(
        "lr",
        "met" if ok else "failed",
        f"LR {_fmt_lr(e.log10_lr)} {word} the minimum {limit}",
        e.log10_lr,
        need,
    )


def _rule_posterior(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if e.posterior_lower is not None:
        x, what = e.posterior_lower, "the certified lower bound of the posterior"
    elif e.posterior is not None:
        x, what = e.posterior, "the posterior"
    else:
        return RuleResult("posterior", "failed", "no posterior was stored", None, p.min_posterior)
    ok = x >= p.min_posterior - REL_TOL
    word = "is at least" if ok else "is below"
    extra = ""
    if e.posterior_lower is not None and e.posterior is not None:
        extra = f" (posterior {e.posterior:.6g})"
    return RuleResult(
        "posterior",
        "met" if ok else "failed",
        f"{what} {x:.6g}{extra} {word} the minimum {p.min_posterior:g}",
        x,
        p.min_posterior,
    )


def _method_applies(method: str, relation: str, mp_sex: str) -> bool:
    if method == "y_str":
        return relation not in _FEMALE and mp_sex != "female"
    if method == "mtdna":
        return relation in _MTDNA_LINE or (relation in _CHILDREN and mp_sex == "female")
    return True


def _supporting(p: IdentificationPolicy, e: PolicyEvidence) -> dict[str, set[str]]:
    """Close, consenting, supportive references -> the methods that count for each."""
    out: dict[str, set[str]] = {}
    for r in e.references:
        rel = relation_word(r.relation)
        if rel not in p.close_relations or r.consent_withdrawn:
            continue
        if r.log10_lr is not None and not r.log10_lr > _LOG10_TOL:
            continue
        out.setdefault(r.donor, set()).update(
            m for m in r.methods if _method_applies(m, rel, e.mp_sex)
        )
    return out


def _rule_references(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if p.min_close_references == 0:
        return RuleResult("references", "not applicable", "the policy asks for no references")
    need = f"{p.min_close_references} close relative{'s' if p.min_close_references > 1 else ''}" + (
        f", or one tested by {p.min_methods_one_reference} DNA methods"
        if p.min_methods_one_reference
        else ""
    )
    if not e.references:
        return RuleResult(
            "references",
            "failed",
            f"no reference is recorded for this match; the policy needs {need}",
            0,
            p.min_close_references,
        )
    close = _supporting(p, e)
    n = len(close)
    best = max((len(m) for m in close.values()), default=0)
    by_methods = p.min_methods_one_reference > 0 and best >= p.min_methods_one_reference
    ok = n >= p.min_close_references or by_methods
    rest = [
        f"{r.donor} ({r.relation or 'relation not recorded'})"
        for r in e.references
        if r.donor not in close
    ]
    have = (
        f"{n} close {'relative supports' if n == 1 else 'relatives support'} the match"
        + (f" ({', '.join(sorted(close))})" if close else "")
        + (f"; not counted: {', '.join(rest)}" if rest else "")
    )
    if by_methods and n < p.min_close_references:
        donor = max(close, key=lambda d: len(close[d]))
        have += f"; {donor} by {best} methods ({', '.join(sorted(close[donor]))})"
    return RuleResult(
        "references",
        "met" if ok else "failed",
        f"{have}; the policy needs {need}",
        n,
        p.min_close_references,
    )


def _rule_exclusions(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if e.exclusions is None:
        return RuleResult("exclusions", "not applicable", "exclusions were not computed")
    ok = e.exclusions <= p.max_exclusions
    return RuleResult(
        "exclusions",
        "met" if ok else "failed",
        f"{e.exclusions} marker{'s' if e.exclusions != 1 else ''} inconsistent without mutation; "
        f"the policy allows at most {p.max_exclusions}",
        e.exclusions,
        p.max_exclusions,
    )


def _rule_lr0(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if p.max_lr0 is None:
        return RuleResult("lr0", "not applicable", "the policy has no LR0 ceiling")
    if e.lr0 is None:
        return RuleResult("lr0", "not applicable", "LR0 was not computed", None, p.max_lr0)
    ok = e.lr0 <= p.max_lr0 * (1 + REL_TOL)
    text = (
        f"LR0 {e.lr0:.3g}: the match rests on the references, not on other victims placed in "
        f"the family (ceiling {p.max_lr0:g})"
        if ok
        else f"LR0 {e.lr0:.3g} is above the ceiling {p.max_lr0:g}: the match rests partly on "
        "other victims placed in the family rather than on the references"
    )
    return RuleResult("lr0", "met" if ok else "failed", text, e.lr0, p.max_lr0)


def _rule_conclusion(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if e.conclusion is None:
        return RuleResult("conclusion", "not applicable", "no conclusion of the case was recorded")
    bad = e.conclusion in p.forbidden_conclusions
    text = (
        f"the case's conclusion for this pairing is '{e.conclusion}': another pairing is as "
        "well supported, so the DNA alone does not say which"
        if bad
        else f"the case's conclusion for this pairing is '{e.conclusion}'"
    )
    return RuleResult("conclusion", "failed" if bad else "met", text, e.conclusion)


def _rule_checks(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if e.checks is None:
        return RuleResult("checks", "not applicable", "no kinship check was run on this pairing")
    blocking = [c for c in e.checks if c in p.blocking_checks]
    if blocking:
        return RuleResult("checks", "failed", f"flagged by: {', '.join(blocking)}", len(blocking))
    others = f" (flagged for review only: {', '.join(e.checks)})" if e.checks else ""
    return RuleResult("checks", "met", "no blocking check flagged the pairing" + others, 0)


def _rule_findings(rule: str, what: str, items: Sequence[Finding]) -> RuleResult:
    if not items:
        return RuleResult(rule, "not applicable", f"no {what} was recorded")
    against = [f for f in items if f.consistent is False]
    if against:
        said = "; ".join(f"{f.kind}: {f.note}" if f.note else f.kind for f in against)
        return RuleResult(rule, "failed", f"contradicts the pairing: {said}", len(against))
    kinds = ", ".join(f.kind + (" (inconclusive)" if f.consistent is None else "") for f in items)
    return RuleResult(rule, "met", f"nothing contradicts the pairing ({kinds})", 0)


def _rule_lineage(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    return _rule_findings("lineage", "Y-STR or mtDNA comparison", e.lineage)


def _rule_non_dna(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    return _rule_findings("non_dna", "non-DNA finding", e.non_dna)


def _rule_consent(p: IdentificationPolicy, e: PolicyEvidence) -> RuleResult:
    if not e.references:
        return RuleResult("consent", "not applicable", "no reference is recorded for this match")
    gone = [r.donor for r in e.references if r.consent_withdrawn]
    if gone:
        return RuleResult(
            "consent",
            "failed",
            f"the match rests on {', '.join(gone)}, who withdrew consent; re-run identification "
            "without them",
            len(gone),
        )
    return RuleResult("consent", "met", "every reference's consent stands", 0)
