"""The identification policy record: its fields and defaults, validation, JSON, new versions.

:class:`IdentificationPolicy` is one version of the agency's policy (the rules are described in
:mod:`repatria.policy`); :func:`revise` makes the next version; the constants name the methods,
the close relations, the rules and where each default comes from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from repatria.errors import ServiceError
from repatria.vocabulary import ROLES

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
        "disclose_relationship_findings": "the agency's choice: findings about relatives "
        "(a misattributed relationship) are not told to families unless it says so",
    }
)


class PolicyError(ServiceError):
    """An identification policy that is not valid; names the field and what it accepts."""


def _default_overrides() -> Mapping[str, tuple[str, ...]]:
    return {"propose": ("analyst",), "confirm": ("reviewer",)}


@dataclass(frozen=True)
class IdentificationPolicy:
    """One version of the agency's identification policy (see :mod:`repatria.policy`).

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
    disclose_relationship_findings : findings about relatives (a misattributed relationship,
        found by the pedigree checks) may be told to families (letter, liaison pages).
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
    disclose_relationship_findings: bool = False
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
        if not isinstance(self.disclose_relationship_findings, bool):
            raise PolicyError("policy field `disclose_relationship_findings`: give true or false")
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
    repatria.policy.record.PolicyError: policy field `min_posterior`: 1.5 is not a probability ...
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
