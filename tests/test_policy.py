"""The identification policy (:mod:`repatria.policy`): each rule met, failed and not applicable,
with known answers; validation; the JSON round trip; overrides; re-evaluation."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.errors import ServiceError
from repatria.policy import (
    RULES,
    Finding,
    IdentificationPolicy,
    PolicyError,
    PolicyEvidence,
    ReferenceUse,
    evaluate,
    reevaluate,
    revise,
)

P = IdentificationPolicy()
MOTHER = ReferenceUse("D-MO", "mother")
FATHER = ReferenceUse("D-FA", "father")
HALF_BROTHER = ReferenceUse("D-HB", "half-brother")


def strong(**kw: object) -> PolicyEvidence:
    """A clear identification: LR 10^12, posterior 0.99999, mother and father, nothing against."""
    base: dict[str, object] = dict(
        log10_lr=12.0,
        posterior=0.99999,
        exclusions=0,
        lr0=1.0,
        conclusion="Undisputed",
        references=(MOTHER, FATHER),
        checks=(),
    )
    base.update(kw)
    return PolicyEvidence(**base)  # type: ignore[arg-type]


def status(ev: PolicyEvidence, rule: str, policy: IdentificationPolicy = P) -> str:
    return evaluate(policy, ev).result(rule).status


# ----------------------------------------------------------------------------- known answers


def test_issue_15_half_brother_fails_lr_posterior_references() -> None:
    """The issue's case: one half-brother, LR 66, posterior 0.984, confirmed in one click."""
    ev = PolicyEvidence(log10_lr=math.log10(66), posterior=0.984, references=(HALF_BROTHER,))
    v = evaluate(P, ev)
    assert [r.rule for r in v.failed] == ["lr", "posterior", "references"]
    assert v.result("lr").text == "LR 66 is below the minimum 10,000"
    assert v.result("posterior").text == "the posterior 0.984 is below the minimum 0.999"
    assert "not counted: D-HB (half-brother)" in v.result("references").text
    assert v.requires_override and v.overridable
    assert v.may_override("propose", "analyst") and not v.may_override("propose", "reviewer")
    assert v.may_override("confirm", "reviewer") and not v.may_override("confirm", "admin")
    line = v.refusal("propose")
    assert "\n" not in line
    assert line.startswith("candidate fails identification policy v1: lr (LR 66 is below")
    assert "also fails posterior, references" in line
    assert "an analyst must give the reason for overriding" in line


def test_issue_15_two_brothers_posterior_half_fails() -> None:
    ev = strong(posterior=0.5, conclusion="Symmetric match")
    v = evaluate(P, ev)
    assert [r.rule for r in v.failed] == ["posterior", "conclusion"]
    assert "Symmetric match" in v.result("conclusion").text


def test_clear_identification_meets_every_rule() -> None:
    v = evaluate(P, strong())
    assert v.meets and not v.requires_override
    assert v.refusal("confirm") == ""
    assert [r.rule for r in v.results] == list(RULES)
    assert {r.rule: r.status for r in v.results} == {
        "lr": "met",
        "posterior": "met",
        "references": "met",
        "exclusions": "met",
        "lr0": "met",
        "conclusion": "met",
        "checks": "met",
        "lineage": "not applicable",
        "non_dna": "not applicable",
        "consent": "met",
    }


def test_lr_threshold_is_inclusive_within_rounding() -> None:
    assert status(strong(log10_lr=4.0), "lr") == "met"
    assert status(strong(log10_lr=math.log10(9999.99999999)), "lr") == "met"
    assert status(strong(log10_lr=math.log10(9999.9)), "lr") == "failed"
    assert status(strong(log10_lr=None), "lr") == "failed"
    assert status(strong(log10_lr=math.inf), "lr") == "met"
    assert evaluate(P, strong(log10_lr=-math.inf)).result("lr").text.startswith("LR 0 is below")


def test_posterior_uses_the_certified_lower_bound() -> None:
    ev = strong(posterior=0.9999, posterior_lower=0.99)
    r = evaluate(P, ev).result("posterior")
    assert r.status == "failed" and r.value == 0.99
    assert r.text == (
        "the certified lower bound of the posterior 0.99 (posterior 0.9999) is below the "
        "minimum 0.999"
    )
    assert status(strong(posterior=0.5, posterior_lower=0.9995), "posterior") == "met"
    assert status(strong(posterior=None, posterior_lower=None), "posterior") == "failed"


# ----------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        ((MOTHER, FATHER), "met"),  # two close relatives
        ((ReferenceUse("D1", "Brother"), ReferenceUse("D2", "daughter")), "met"),
        ((MOTHER,), "failed"),  # one, by one method
        ((ReferenceUse("D1", "mother", ("autosomal_str", "mtdna")),), "met"),  # one by two
        ((ReferenceUse("D1", "father", ("autosomal_str", "y_str")),), "met"),
        ((ReferenceUse("D1", "father", ("autosomal_str", "mtdna")),), "failed"),  # no mtDNA line
        ((ReferenceUse("D1", "mother", ("autosomal_str", "y_str")),), "failed"),  # no Y line
        ((ReferenceUse("D1", "son", ("autosomal_str", "mtdna")),), "failed"),  # MP sex unknown
        ((HALF_BROTHER, ReferenceUse("D2", "cousin")), "failed"),  # not close
        ((HALF_BROTHER, ReferenceUse("D2", "half-sister"), MOTHER), "failed"),
        ((MOTHER, ReferenceUse("D-MO", "mother")), "failed"),  # one donor listed twice
        ((MOTHER, ReferenceUse("D2", "father", log10_lr=0.0)), "failed"),  # LR alone 1
        ((MOTHER, ReferenceUse("D2", "father", log10_lr=3.1)), "met"),
        ((), "failed"),
    ],
)
def test_references_rule(refs: tuple[ReferenceUse, ...], expected: str) -> None:
    assert status(strong(references=refs), "references") == expected


def test_mtdna_through_a_child_counts_for_a_female_missing_person() -> None:
    ref = ReferenceUse("D1", "daughter", ("autosomal_str", "mtdna"))
    assert status(strong(references=(ref,), mp_sex="female"), "references") == "met"
    assert status(strong(references=(ref,), mp_sex="male"), "references") == "failed"


def test_references_rule_text_and_switches() -> None:
    r = evaluate(P, strong(references=(ReferenceUse("D1", "mother", ("autosomal_str", "mtdna")),)))
    assert r.result("references").text == (
        "1 close relative supports the match (D1); D1 by 2 methods (autosomal_str, mtdna); the "
        "policy needs 2 close relatives, or one tested by 2 DNA methods"
    )
    off = revise(P, min_close_references=0)
    assert status(strong(references=()), "references", off) == "not applicable"
    never_alone = revise(P, min_methods_one_reference=0)
    one = strong(references=(ReferenceUse("D1", "mother", ("autosomal_str", "mtdna")),))
    assert status(one, "references", never_alone) == "failed"
    wider = revise(P, close_relations=(*P.close_relations, "half_brother"))
    assert status(strong(references=(HALF_BROTHER, MOTHER)), "references", wider) == "met"


def test_withdrawn_consent_is_a_hard_failure() -> None:
    gone = ReferenceUse("D-FA", "father", consent_withdrawn=True)
    v = evaluate(P, strong(references=(MOTHER, gone)))
    assert [r.rule for r in v.failed] == ["references", "consent"]
    assert v.result("consent").hard and not v.overridable
    assert v.who_may_override("confirm") == ()
    assert not v.may_override("confirm", "reviewer")
    assert v.refusal("confirm").endswith(
        "no one may override consent, so the confirmation is refused"
    )
    soft = revise(P, hard_rules=())
    assert evaluate(soft, strong(references=(MOTHER, gone))).may_override("confirm", "reviewer")


# ----------------------------------------------------------------------------- other rules


@pytest.mark.parametrize(
    ("kw", "rule", "expected"),
    [
        ({"exclusions": 2}, "exclusions", "met"),
        ({"exclusions": 3}, "exclusions", "failed"),
        ({"exclusions": None}, "exclusions", "not applicable"),
        ({"lr0": 1.0 + 1e-12}, "lr0", "met"),
        ({"lr0": 35.0}, "lr0", "failed"),
        ({"lr0": None}, "lr0", "not applicable"),
        ({"conclusion": "Disputed"}, "conclusion", "failed"),
        ({"conclusion": "Probable"}, "conclusion", "met"),
        ({"conclusion": None}, "conclusion", "not applicable"),
        ({"checks": ("sex conflict",)}, "checks", "failed"),
        ({"checks": ("misattributed relationship",)}, "checks", "failed"),
        ({"checks": ("LR0",)}, "checks", "met"),
        ({"checks": None}, "checks", "not applicable"),
        ({"lineage": (Finding("y_str", True),)}, "lineage", "met"),
        ({"lineage": (Finding("mtdna", False, "3 differences"),)}, "lineage", "failed"),
        ({"non_dna": (Finding("anthropology", None, "age unclear"),)}, "non_dna", "met"),
        ({"non_dna": (Finding("dental", False, "no gold crown"),)}, "non_dna", "failed"),
    ],
)
def test_rules(kw: dict[str, object], rule: str, expected: str) -> None:
    assert status(strong(**kw), rule) == expected  # type: ignore[arg-type]


def test_rule_texts() -> None:
    v = evaluate(
        P,
        strong(
            exclusions=3,
            lr0=35.0,
            checks=("sex conflict", "LR0"),
            non_dna=(Finding("dental", False, "no gold crown"),),
        ),
    )
    assert v.result("exclusions").text == (
        "3 markers inconsistent without mutation; the policy allows at most 2"
    )
    assert v.result("lr0").text.startswith("LR0 35 is above the ceiling 1: the match rests partly")
    assert v.result("checks").text == "flagged by: sex conflict"
    assert v.result("non_dna").text == "contradicts the pairing: dental: no gold crown"
    assert revise(P, max_lr0=None) and status(strong(lr0=35.0), "lr0", revise(P, max_lr0=None)) == (
        "not applicable"
    )


# ----------------------------------------------------------------------------- evidence


def test_evidence_from_a_stored_candidate() -> None:
    stored = {
        "log_lr": 27.6,
        "family": "F-01",
        "exclusions": -1,
        "lr0": "Inf",
        "posterior_lower": 0.9991,
        "conclusion": "Undisputed",
        "references": [
            {"donor": "D1", "relation": "Mother", "methods": ["autosomal_str", "mtdna"]},
            {"donor": "D2", "relation": "father", "consent_withdrawn": True, "log10_lr": "NaN"},
        ],
        "checks": ["LR0"],
        "lineage": [{"kind": "mtdna", "consistent": True}],
    }
    e = PolicyEvidence.from_candidate(12.0, 0.9999, stored)
    assert e.exclusions is None and e.lr0 == math.inf and e.posterior_lower == 0.9991
    assert e.references[1] == ReferenceUse("D2", "father", ("autosomal_str",), True, None)
    assert e.lineage == (Finding("mtdna", True, ""),)
    v = evaluate(P, e)
    assert [r.rule for r in v.failed] == ["lr0", "consent"]
    fresh = PolicyEvidence.from_candidate(12.0, 0.9999, stored, references=[MOTHER, FATHER])
    assert [r.rule for r in evaluate(P, fresh).failed] == ["lr0"]
    assert PolicyEvidence.from_candidate(None, None, None) == PolicyEvidence()


def test_unknown_method_is_refused() -> None:
    with pytest.raises(PolicyError, match="'str' is not a method"):
        ReferenceUse("D1", "mother", ("str",))


# ----------------------------------------------------------------------------- the policy as data


def test_defaults() -> None:
    assert P.version == 1 and P.min_lr == 1e4 and P.min_posterior == 0.999
    assert (P.min_close_references, P.min_methods_one_reference) == (2, 2)
    assert P.max_exclusions == 2 and P.max_lr0 == 1.0
    assert dict(P.override_roles) == {"propose": ("analyst",), "confirm": ("reviewer",)}
    assert P.hard_rules == ("consent",)
    assert "half_brother" not in P.close_relations
    assert any("min_lr = 10000.0" in line and "dvir" in line for line in P.lines())


def test_json_round_trip() -> None:
    p = revise(P, min_lr=1e6, min_close_references=3, note="after the audit")
    doc = p.to_json()
    assert doc["schema"] == 1 and doc["version"] == 2 and doc["min_lr"] == 1e6
    text = json.dumps(doc)
    assert IdentificationPolicy.from_json(text) == p
    assert IdentificationPolicy.from_json(json.loads(text)) == p
    assert hash(IdentificationPolicy.from_json(text)) == hash(p)


@settings(max_examples=60, deadline=None)
@given(
    min_lr=st.floats(1.0, 1e300),
    min_posterior=st.floats(0.0, 1.0),
    refs=st.integers(0, 5),
    methods=st.sampled_from([0, 2, 3]),
    excl=st.integers(0, 10),
    lr0=st.one_of(st.none(), st.floats(1.0, 1e6)),
)
def test_json_round_trip_property(
    min_lr: float, min_posterior: float, refs: int, methods: int, excl: int, lr0: float | None
) -> None:
    p = IdentificationPolicy(
        min_lr=min_lr,
        min_posterior=min_posterior,
        min_close_references=refs,
        min_methods_one_reference=methods,
        max_exclusions=excl,
        max_lr0=lr0,
    )
    assert IdentificationPolicy.from_json(json.dumps(p.to_json())) == p


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_lr": 0.5}, "policy field `min_lr`: 0.5 is not an LR, a number >= 1"),
        ({"min_lr": "big"}, "policy field `min_lr`: 'big' is not an LR"),
        ({"min_lr": math.nan}, "policy field `min_lr`: nan is not an LR"),
        ({"min_posterior": 1.5}, "policy field `min_posterior`: 1.5 is not a probability"),
        ({"min_close_references": -1}, "policy field `min_close_references`: -1 is not a whole"),
        ({"min_close_references": 1.5}, "policy field `min_close_references`: 1.5 is not a whole"),
        ({"min_close_references": True}, "policy field `min_close_references`: True is not"),
        ({"min_methods_one_reference": 1}, "policy field `min_methods_one_reference`: 1 would"),
        ({"min_methods_one_reference": 9}, "policy field `min_methods_one_reference`: at most 5"),
        ({"max_exclusions": -2}, "policy field `max_exclusions`"),
        ({"max_lr0": 0.5}, "policy field `max_lr0`: 0.5 is not an LR >= 1"),
        ({"close_relations": "mother"}, "policy field `close_relations`: give a list"),
        ({"close_relations": ["Half-Brother"]}, "write it as 'half_brother'"),
        (
            {"override_roles": {"confirm": ["boss"]}},
            "policy field `override_roles`: 'boss' is not a role",
        ),
        ({"override_roles": {"burial": ["admin"]}}, "'burial' is not a review step"),
        ({"override_roles": ["admin"]}, "policy field `override_roles`: give a mapping"),
        ({"hard_rules": ["dna"]}, "policy field `hard_rules`: 'dna' is not a rule"),
        ({"note": 3}, "policy field `note`: give a text"),
    ],
)
def test_validation_names_the_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError) as err:
        IdentificationPolicy(**changes)  # type: ignore[arg-type]
    text = str(err.value)
    assert message in text and "\n" not in text
    assert isinstance(err.value, ServiceError)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ('{"min_lr": 10', "policy: not JSON"),
        ("[1, 2]", "policy: give a JSON object"),
        ('{"min_llr": 10}', "policy field `min_llr` is not known"),
        ('{"schema": 9}', "policy field `schema`: 9; this version reads 1"),
    ],
)
def test_from_json_refuses(doc: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        IdentificationPolicy.from_json(doc)


def test_revise_numbers_the_version() -> None:
    p2 = revise(P, min_posterior=0.9999)
    assert p2.version == 2 and P.version == 1 and revise(p2, note="x").version == 3
    with pytest.raises(PolicyError, match="`version`"):
        revise(P, version=7)
    with pytest.raises(PolicyError, match="`min_llr` is not known"):
        revise(P, min_llr=1)


def test_verdict_json() -> None:
    doc = evaluate(P, PolicyEvidence(log10_lr=math.inf)).to_json()
    assert doc["policy_version"] == 1 and doc["meets"] is False
    assert doc["rules"][0] == {
        "rule": "lr",
        "status": "met",
        "text": "LR infinite is at least the minimum 10,000",
        "value": "Inf",
        "limit": 4.0,
        "hard": False,
    }
    json.dumps(doc)


# ----------------------------------------------------------------------------- re-evaluation


def test_a_new_policy_reevaluates() -> None:
    new = revise(P, min_lr=1e6, note="stricter")
    lr5 = strong(log10_lr=5.0)  # meets v1, fails v2 on lr
    lr5_refs = strong(log10_lr=5.0, references=(MOTHER,))  # fails references in both
    lr8 = strong(log10_lr=8.0)  # meets both
    lr2 = strong(log10_lr=2.0)  # fails lr in both: an old override is not listed again
    rows = [
        (1, lr5, "open"),
        (2, lr8, "open"),
        (3, lr5, "proposed"),
        (4, lr5, "confirmed"),
        (5, lr8, "confirmed"),
        (6, lr2, "confirmed"),
        (7, lr5, "rejected"),
        (8, lr5, "revoked"),
        (9, lr5_refs, "open"),
    ]
    out = reevaluate(P, new, rows)
    assert [c.candidate_id for c in out.changed_open] == [1, 3, 9]
    assert [c.candidate_id for c in out.identifications_now_failing] == [4]
    assert out.identifications_now_failing[0].newly_failed == ("lr",)
    assert out.lines()[0] == (
        "policy v1 -> v2: 3 open candidate(s) changed, 1 identification(s) to re-review"
    )
    assert out.lines()[-1] == "candidate 4 (confirmed): now fails lr under policy v2 (was v1)"
    back = reevaluate(new, P, rows)
    assert [c.candidate_id for c in back.changed_open] == [1, 3, 9]
    assert back.changed_open[0].no_longer_failed == ("lr",)
    assert back.identifications_now_failing == ()


def test_reevaluate_refuses_an_unknown_status() -> None:
    with pytest.raises(PolicyError, match="status 'done' is not one of open"):
        reevaluate(P, P, [(1, strong(), "done")])


def test_policy_is_pure() -> None:
    import subprocess
    import sys

    code = "import sys, repatria.policy, repatria.search_keys; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


_refs = st.lists(
    st.builds(
        ReferenceUse,
        donor=st.sampled_from(["D1", "D2", "D3"]),
        relation=st.sampled_from(["mother", "father", "half-brother", "son", "cousin"]),
        methods=st.lists(st.sampled_from(["autosomal_str", "y_str", "mtdna"]), min_size=1),
        consent_withdrawn=st.booleans(),
        log10_lr=st.one_of(st.none(), st.floats(-3, 10)),
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    log10_lr=st.one_of(st.none(), st.floats(-5, 20)),
    posterior=st.one_of(st.none(), st.floats(0, 1)),
    exclusions=st.one_of(st.none(), st.integers(0, 6)),
    refs=_refs,
    raise_lr=st.floats(0, 5),
    raise_post=st.floats(0, 1),
    more_refs=st.integers(0, 2),
    fewer_excl=st.integers(0, 2),
)
def test_a_stricter_policy_never_lets_more_through(
    log10_lr: float | None,
    posterior: float | None,
    exclusions: int | None,
    refs: list[ReferenceUse],
    raise_lr: float,
    raise_post: float,
    more_refs: int,
    fewer_excl: int,
) -> None:
    ev = PolicyEvidence(
        log10_lr=log10_lr, posterior=posterior, exclusions=exclusions, references=tuple(refs)
    )
    lax = IdentificationPolicy(min_close_references=1, max_exclusions=2)
    strict = revise(
        lax,
        min_lr=lax.min_lr * 10**raise_lr,
        min_posterior=lax.min_posterior + (1 - lax.min_posterior) * raise_post,
        min_close_references=lax.min_close_references + more_refs,
        max_exclusions=lax.max_exclusions - fewer_excl,
    )
    assert {r.rule for r in evaluate(lax, ev).failed} <= {
        r.rule for r in evaluate(strict, ev).failed
    }
