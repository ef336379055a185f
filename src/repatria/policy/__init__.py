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

Modules: :mod:`.record` (the policy record, its validation and JSON, :func:`revise`),
:mod:`.evidence` (what the policy reads about a candidate), :mod:`.rules` (:func:`evaluate`: each
rule and the verdict) and :mod:`.reevaluation` (what a new version changes); every name is
importable from ``repatria.policy``.
"""

from __future__ import annotations

from repatria.policy.evidence import Finding, PolicyEvidence, ReferenceUse
from repatria.policy.record import (
    CLOSE_RELATIONS,
    METHODS,
    OVERRIDE_STEPS,
    REL_TOL,
    RULES,
    SCHEMA,
    SOURCES,
    IdentificationPolicy,
    PolicyError,
    relation_word,
    revise,
)
from repatria.policy.reevaluation import Reevaluation, VerdictChange, reevaluate
from repatria.policy.rules import PolicyVerdict, RuleResult, evaluate
from repatria.policy.rules import Status as Status
from repatria.policy.rules import Step as Step

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
