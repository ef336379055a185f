"""The identification policy as data: versioned rules, and what one candidate meets and fails.

Pure (no database, no clock, no I/O): the registry stores each version's
:meth:`IdentificationPolicy.to_json` and calls :func:`evaluate` with the evidence of a
candidate; review refuses a candidate whose :class:`PolicyVerdict` fails unless a role the
policy names overrides it with a reason (:meth:`PolicyVerdict.may_override`);
:func:`reevaluate` says what a new version changes. ``docs/policy.md`` tells the registry how.

Conventions: an LR is ``P(data | the remains are this person) / P(data | they are of someone
unrelated to the family)``; the policy holds LRs as plain numbers (``min_lr = 10000``) and
compares them in log10, within :data:`REL_TOL` relative. A posterior is a posterior pairing
probability under the run's prior; where the joint certified a lower bound for the pairing
(``posterior_lower``, :mod:`repatria.kinship.posterior_bounds`) the bound is what is compared.

Rules (their names are stable: messages, ``hard_rules`` and the CLI use them)
------------------------------------------------------------------------------
``lr``
    The pairwise LR is at least ``min_lr``. No LR stored: failed.
``posterior``
    The certified lower bound of the posterior, or the posterior where no bound was given, is at
    least ``min_posterior``. Nothing stored: failed.
``references``
    Independent confirmation (the rule issue 15 quotes as Ukraine's: two close relatives, or one
    relative tested by two DNA methods): at least ``min_close_references`` distinct *close*
    relatives support the pairing, or one close relative supports it by at least
    ``min_methods_one_reference`` distinct *methods*.

    - A *close relative* is a first-degree relative of the missing person (a parent, a child, a
      full sibling; an identical twin), by the relation recorded for the donor
      (``close_relations``). Half-siblings, grandparents, uncles, aunts, nephews, nieces,
      cousins and spouses are not close: a match resting on one half-brother is not enough.
    - A *method* is one DNA marker system typed and compared on its own: ``autosomal_str``,
      ``y_str``, ``x_str``, ``mtdna``, ``snp`` (:data:`METHODS`). Two kits of one system are one
      method. A lineage method counts only on the lineage it follows: Y-STR never with a mother,
      daughter or sister; mtDNA never with the father, and with a son or daughter only when the
      missing person is female.
    - A reference *supports* the pairing when its consent is not withdrawn and, where its LR
      alone is known, that LR is above 1.

    ``min_close_references = 0`` turns the rule off (not applicable).
``exclusions``
    At most ``max_exclusions`` markers inconsistent without mutation. Not computed: not
    applicable.
``lr0``
    LR0 (the LR with the family's references left out: what other victims placed in the family
    contribute, :func:`repatria.kinship.checks.lr0_check`) is at most ``max_lr0``. Not computed:
    not applicable.
``conclusion``
    dvir's conclusion for the pairing is none of ``forbidden_conclusions`` ("Disputed",
    "Symmetric match"). None recorded: not applicable.
``checks``
    None of the checks that flagged the pairing is in ``blocking_checks`` (the ``check`` names of
    :mod:`repatria.kinship.checks`: "sex conflict", "misattributed relationship"). No check run:
    not applicable.
``lineage``
    No Y-STR or mtDNA comparison of the pairing is inconsistent. None made: not applicable.
``non_dna``
    No non-DNA finding (anthropology, dental, effects, documents, circumstances) contradicts the
    pairing. None recorded: not applicable.
``consent``
    No reference the match rests on has withdrawn consent. A *hard* rule by default: no override.

Defaults and their sources (:data:`SOURCES`): ``min_lr = 1e4`` is dvir's ``findUndisputed`` and
``dviSolve`` threshold (Repatria's ``SolveSettings.threshold``), the line the case-summary PDF
draws today; ``max_exclusions = 2`` is dvir's ``maxIncomp``; ``max_lr0 = 1`` is the flag of
:func:`repatria.kinship.checks.lr0_check`; ``min_posterior = 0.999``, the references rule
(2 close relatives, or 1 by 2 methods), the blocking checks and the override roles are the
agency's choice.

>>> p = IdentificationPolicy()
>>> half_brother = PolicyEvidence(log10_lr=1.82, posterior=0.984,
...     references=(ReferenceUse("FAM-09-HB", "half-brother", ("autosomal_str",)),))
>>> v = evaluate(p, half_brother)
>>> v.meets, [r.rule for r in v.failed]
(False, ['lr', 'posterior', 'references'])
>>> v.refusal("propose").split("; ")[0]
'candidate fails identification policy v1: lr (LR 66 is below the minimum 10,000)'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Literal

from repatria.errors import ServiceError
from repatria.vocabulary import CANDIDATE_STATUSES, ROLES

__all__ = [
    "SCHEMA",
    "REL_TOL",
    "METHODS",
    "CLOSE_RELATIONS",
    "RULES",
    "OVERRIDE_STEPS",
    "SOURCES",
    "PolicyError",
    "IdentificationPolicy",
    "ReferenceUse",
    "Finding",
    "PolicyEvidence",
    "RuleResult",
    "PolicyVerdict",
    "VerdictChange",
    "Reevaluation",
    "evaluate",
    "reevaluate",
    "revise",
    "relation_word",
]

#: Version of the JSON shape of a policy (not of the policy itself).
SCHEMA = 1
#: Relative tolerance of threshold comparisons (an LR computed as 9999.99999999 meets 10^4):
#: the engine's accuracy against its peer (DESIGN.md: 1e-9 relative), as ``kinship.checks``.
REL_TOL = 1e-9
_LOG10_TOL = REL_TOL / math.log(10)

#: DNA methods: marker systems typed and compared independently.
METHODS: tuple[str, ...] = ("autosomal_str", "y_str", "x_str", "mtdna", "snp")
#: First-degree relatives (and the identical twin), as :func:`relation_word` spells them.
CLOSE_RELATIONS: tuple[str, ...] = (
    "father",
    "mother",
    "parent",
    "son",
    "daughter",
    "child",
    "brother",
    "sister",
    "full_brother",
    "full_sister",
    "full_sibling",
    "sibling",
    "identical_twin",
)
_FEMALE = {"mother", "daughter", "sister", "full_sister"}
_CHILDREN = {"son", "daughter", "child"}
_MTDNA_LINE = {"mother", "brother", "sister", "full_brother", "full_sister", "full_sibling",
               "sibling", "identical_twin"}  # fmt: skip

Status = Literal["met", "failed", "not applicable"]
Step = Literal["propose", "confirm"]
#: Every rule, in the order a verdict lists them.
RULES: tuple[str, ...] = (
    "lr",
    "posterior",
    "references",
    "exclusions",
    "lr0",
    "conclusion",
    "checks",
    "lineage",
    "non_dna",
    "consent",
)
#: The review steps an override applies to.
OVERRIDE_STEPS: tuple[str, ...] = ("propose", "confirm")

#: Where each default comes from.
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "min_lr": "dvir's findUndisputed/dviSolve threshold 1e4 (SolveSettings.threshold); the "
        "line the case-summary PDF draws",
        "min_posterior": "the agency's choice",
        "min_close_references": "the agency's choice, after the rule issue 15 quotes as "
        "Ukraine's (two close relatives)",
        "min_methods_one_reference": "the agency's choice, after the rule issue 15 quotes as "
        "Ukraine's (one relative tested by two DNA methods)",
        "close_relations": "first-degree relatives (parent, child, full sibling) and the "
        "identical twin",
        "max_exclusions": "dvir's maxIncomp default 2 (findExcluded)",
        "max_lr0": "the flag of kinship.checks.lr0_check: LR0 above 1",
        "forbidden_conclusions": "dvir's conclusions that leave the pairing open",
        "blocking_checks": "the agency's choice",
        "override_roles": "the agency's choice (the roles that propose and confirm)",
        "hard_rules": "the agency's choice: a withdrawn consent is never overridden",
    }
)


class PolicyError(ServiceError):
    """An identification policy that is not valid; names the field and what it accepts."""


# ----------------------------------------------------------------------------- the policy


def _default_overrides() -> Mapping[str, tuple[str, ...]]:
    return {"propose": ("analyst",), "confirm": ("reviewer",)}


@dataclass(frozen=True)
class IdentificationPolicy:
    """One version of the agency's identification policy (see the module's docstring).

    Attributes
    ----------
    version : 1, 2, ...: each ``policy set`` stores a new version (:func:`revise`).
    min_lr : the smallest pairwise LR accepted (a plain number, e.g. ``10000``).
    min_posterior : the smallest posterior (its certified lower bound where there is one).
    min_close_references : close relatives needed (0: rule off).
    min_methods_one_reference : methods needed when one close relative carries the match
        (0: one relative is never enough on its own).
    close_relations : the relation words that count as close (:func:`relation_word`).
    max_exclusions : the most markers inconsistent without mutation.
    max_lr0 : the largest LR0 (``None``: rule off).
    forbidden_conclusions : dvir's conclusions that fail the pairing.
    blocking_checks : kinship check names whose flag fails the pairing.
    override_roles : review step -> the roles that may override a failed verdict at that step.
    hard_rules : rules that no role may override.
    note : what changed and why, in the admin's words.
    """

    version: int = 1
    min_lr: float = 1e4
    min_posterior: float = 0.999
    min_close_references: int = 2
    min_methods_one_reference: int = 2
    close_relations: tuple[str, ...] = CLOSE_RELATIONS
    max_exclusions: int = 2
    max_lr0: float | None = 1.0
    forbidden_conclusions: tuple[str, ...] = ("Disputed", "Symmetric match")
    blocking_checks: tuple[str, ...] = ("sex conflict", "misattributed relationship")
    override_roles: Mapping[str, tuple[str, ...]] = field(default_factory=_default_overrides)
    hard_rules: tuple[str, ...] = ("consent",)
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("close_relations", "forbidden_conclusions", "blocking_checks", "hard_rules"):
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise PolicyError(f"policy field `{name}`: give a list of words, not {value!r}")
            object.__setattr__(self, name, tuple(value))
        if not isinstance(self.override_roles, Mapping):
            raise PolicyError(
                "policy field `override_roles`: give a mapping of review step to roles, "
                f"not {self.override_roles!r}"
            )
        roles = {str(k): tuple(v) for k, v in self.override_roles.items()}
        object.__setattr__(self, "override_roles", MappingProxyType(roles))
        self.validate()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdentificationPolicy):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True))

    def validate(self) -> None:
        """Raise :class:`PolicyError` (one line naming the field) if a value is not valid."""
        _int_at_least("version", self.version, 1)
        _number("min_lr", self.min_lr, "an LR, a number >= 1 (e.g. 10000)", low=1.0)
        _number("min_posterior", self.min_posterior, "a probability in [0, 1]", 0.0, 1.0)
        _int_at_least("min_close_references", self.min_close_references, 0)
        _int_at_least("min_methods_one_reference", self.min_methods_one_reference, 0)
        if self.min_methods_one_reference == 1:
            raise PolicyError(
                "policy field `min_methods_one_reference`: 1 would let one relative by one "
                "method carry any match; give 0 (never alone) or 2 or more"
            )
        if self.min_methods_one_reference > len(METHODS):
            raise PolicyError(
                f"policy field `min_methods_one_reference`: at most {len(METHODS)} methods exist"
            )
        _int_at_least("max_exclusions", self.max_exclusions, 0)
        if self.max_lr0 is not None:
            _number("max_lr0", self.max_lr0, "an LR >= 1, or null for no LR0 rule", low=1.0)
        bad = [w for w in self.close_relations if relation_word(w) != w or not w]
        if bad:
            raise PolicyError(
                f"policy field `close_relations`: {bad[0]!r} is not a relation word; write it "
                f"as {relation_word(bad[0])!r} (lower case, underscores)"
            )
        for step, roles in self.override_roles.items():
            if step not in OVERRIDE_STEPS:
                raise PolicyError(
                    f"policy field `override_roles`: {step!r} is not a review step; use "
                    f"{' or '.join(OVERRIDE_STEPS)}"
                )
            unknown = [r for r in roles if r not in ROLES]
            if unknown:
                raise PolicyError(
                    f"policy field `override_roles`: {unknown[0]!r} is not a role; roles are "
                    f"{', '.join(ROLES)}"
                )
        unknown = [r for r in self.hard_rules if r not in RULES]
        if unknown:
            raise PolicyError(
                f"policy field `hard_rules`: {unknown[0]!r} is not a rule; rules are "
                f"{', '.join(RULES)}"
            )
        if not isinstance(self.note, str):
            raise PolicyError("policy field `note`: give a text")

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored for this version (every field, and ``schema``)."""
        doc: dict[str, Any] = {"schema": SCHEMA}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = {k: list(v) for k, v in value.items()}
            doc[f.name] = value
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | str) -> IdentificationPolicy:
        """The policy from :meth:`to_json`'s object (or its text); unknown fields are refused."""
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except json.JSONDecodeError as e:
                raise PolicyError(f"policy: not JSON ({e.msg} at character {e.pos})") from None
        if not isinstance(doc, Mapping):
            raise PolicyError("policy: give a JSON object")
        data = dict(doc)
        schema = data.pop("schema", SCHEMA)
        if schema != SCHEMA:
            raise PolicyError(f"policy field `schema`: {schema!r}; this version reads {SCHEMA}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise PolicyError(
                f"policy field `{unknown[0]}` is not known; fields are {', '.join(sorted(names))}"
            )
        return cls(**data)

    def lines(self) -> list[str]:
        """The policy as ``repatria policy show`` prints it: one line per field, with source."""
        out = [f"identification policy v{self.version}" + (f": {self.note}" if self.note else "")]
        for f in fields(self):
            if f.name in ("version", "note"):
                continue
            value = self.to_json()[f.name]
            text = json.dumps(value, ensure_ascii=False)
            src = SOURCES.get(f.name)
            out.append(f"  {f.name} = {text}" + (f"  ({src})" if src else ""))
        return out


def _int_at_least(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PolicyError(f"policy field `{name}`: {value!r} is not a whole number >= {low}")


def _number(name: str, value: Any, what: str, low: float, high: float = math.inf) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        raise PolicyError(f"policy field `{name}`: {value!r} is not {what}")


def revise(policy: IdentificationPolicy, **changes: Any) -> IdentificationPolicy:
    """The next version: ``policy`` with ``changes``, ``version`` + 1, validated.

    >>> revise(IdentificationPolicy(), min_lr=1e6, note="stricter after audit").version
    2
    >>> revise(IdentificationPolicy(), min_posterior=1.5)
    Traceback (most recent call last):
    ...
    repatria.policy.PolicyError: policy field `min_posterior`: 1.5 is not a probability in [0, 1]
    """
    if "version" in changes:
        raise PolicyError("policy field `version`: a new version is numbered by revise")
    unknown = sorted(set(changes) - {f.name for f in fields(IdentificationPolicy)})
    if unknown:
        raise PolicyError(f"policy field `{unknown[0]}` is not known")
    return replace(policy, version=policy.version + 1, **changes)


def relation_word(text: str) -> str:
    """A donor's relation as the policy spells it: lower case, spaces and hyphens as ``_``.

    >>> relation_word("Half-brother"), relation_word(" full sister ")
    ('half_brother', 'full_sister')
    """
    return "_".join(text.strip().lower().replace("-", " ").split())


# ----------------------------------------------------------------------------- the evidence


@dataclass(frozen=True)
class ReferenceUse:
    """One reference (a donor) a pairing rests on.

    Attributes
    ----------
    donor : the donor's ref.
    relation : the donor's relation to the missing person ("mother", "half-brother", ...).
    methods : the methods (:data:`METHODS`) by which this donor was compared with the remains
        and was consistent with the pairing.
    consent_withdrawn : the donor withdrew consent.
    log10_lr : the pairing's log10 LR with this reference alone, where computed
        (:attr:`repatria.kinship.checks.ReferenceLeftOut.log_lr_alone` / ln 10).
    """

    donor: str
    relation: str
    methods: tuple[str, ...] = ("autosomal_str",)
    consent_withdrawn: bool = False
    log10_lr: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise PolicyError(
                f"reference {self.donor}: {unknown[0]!r} is not a method; methods are "
                f"{', '.join(METHODS)}"
            )


@dataclass(frozen=True)
class Finding:
    """A lineage comparison or a non-DNA finding about a pairing.

    ``kind``: "y_str", "mtdna" (lineage) or "anthropology", "dental", "effects", "documents",
    "circumstances" (non-DNA); ``consistent``: ``True``, ``False`` (contradicts the pairing) or
    ``None`` (inconclusive); ``note``: what was seen.
    """

    kind: str
    consistent: bool | None
    note: str = ""


@dataclass(frozen=True)
class PolicyEvidence:
    """What the policy reads about one candidate pairing (every field optional).

    Attributes
    ----------
    log10_lr : pairwise log10 LR (``CandidateMatch.log10_lr``).
    posterior : posterior pairing probability (``CandidateMatch.posterior``).
    posterior_lower : its certified lower bound, where the joint gives one.
    exclusions : markers inconsistent without mutation (``None`` or -1: not computed).
    lr0 : LR0 (``CandidateEvidence.lr0``).
    conclusion : dvir's conclusion for the pairing ("Undisputed", "Disputed", ...).
    references : the references the pairing rests on.
    mp_sex : "male", "female" or "unknown" (for mtDNA through children).
    checks : names of the kinship checks that flagged the pairing; ``None``: none was run.
    lineage, non_dna : findings.
    """

    log10_lr: float | None = None
    posterior: float | None = None
    posterior_lower: float | None = None
    exclusions: int | None = None
    lr0: float | None = None
    conclusion: str | None = None
    references: tuple[ReferenceUse, ...] = ()
    mp_sex: str = "unknown"
    checks: tuple[str, ...] | None = None
    lineage: tuple[Finding, ...] = ()
    non_dna: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        for name in ("references", "lineage", "non_dna"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.checks is not None:
            object.__setattr__(self, "checks", tuple(self.checks))

    @classmethod
    def from_candidate(
        cls,
        log10_lr: float | None,
        posterior: float | None,
        evidence: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> PolicyEvidence:
        """The policy's evidence from a stored candidate: its ``log10_lr`` and ``posterior``
        columns and its ``evidence`` JSON (``CandidateEvidence.to_json``).

        Read from the JSON when present: ``exclusions``, ``lr0``, and the keys the registry is
        to add: ``posterior_lower``, ``conclusion``, ``references`` (objects with ``donor``,
        ``relation``, ``methods``, ``consent_withdrawn``, ``log10_lr``), ``mp_sex``, ``checks``,
        ``lineage`` and ``non_dna`` (objects with ``kind``, ``consistent``, ``note``). ``more``
        (the same names) wins over the JSON, e.g. consent read fresh from the donors table.

        >>> e = PolicyEvidence.from_candidate(4.5, 0.9999, {"log_lr": 10.36, "lr0": 1.0,
        ...     "exclusions": 0, "references": [{"donor": "D1", "relation": "mother"}]})
        >>> e.references[0].methods, e.lr0
        (('autosomal_str',), 1.0)
        """
        doc = dict(evidence or {})
        doc.update(more)
        refs = tuple(
            r
            if isinstance(r, ReferenceUse)
            else ReferenceUse(
                str(r["donor"]),
                str(r.get("relation") or ""),
                tuple(r.get("methods") or ("autosomal_str",)),
                bool(r.get("consent_withdrawn", False)),
                _num(r.get("log10_lr")),
            )
            for r in doc.get("references") or ()
        )
        excl = _num(doc.get("exclusions"))
        checks = doc.get("checks")
        return cls(
            log10_lr=_num(log10_lr),
            posterior=_num(posterior),
            posterior_lower=_num(doc.get("posterior_lower")),
            exclusions=None if excl is None or excl < 0 else int(excl),
            lr0=_num(doc.get("lr0")),
            conclusion=None if doc.get("conclusion") is None else str(doc["conclusion"]),
            references=refs,
            mp_sex=str(doc.get("mp_sex") or "unknown"),
            checks=None if checks is None else tuple(str(c) for c in checks),
            lineage=_findings(doc.get("lineage")),
            non_dna=_findings(doc.get("non_dna")),
        )


def _num(v: Any) -> float | None:
    """A stored number ("Inf", "-Inf", "NaN" as JSON writes them); ``None`` and NaN: none."""
    if v is None:
        return None
    if isinstance(v, str):
        x = {"inf": math.inf, "-inf": -math.inf}.get(v.strip().lower(), math.nan)
    else:
        x = float(v)
    return None if math.isnan(x) else x


def _findings(items: Any) -> tuple[Finding, ...]:
    out = []
    for f in items or ():
        if isinstance(f, Finding):
            out.append(f)
        else:
            c = f.get("consistent")
            out.append(
                Finding(str(f["kind"]), None if c is None else bool(c), str(f.get("note", "")))
            )
    return tuple(out)


# ----------------------------------------------------------------------------- the verdict


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


# ----------------------------------------------------------------------------- a new policy


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
