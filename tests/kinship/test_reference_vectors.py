"""Every likelihood / kinship LR / missing-person LR of the shared vectors agrees with pedsuite
to 1e-9."""

from __future__ import annotations

import pytest

from repatria.formats.vectors import read_vectors
from repatria.services.pipelines.kinship_eval import evaluate_case

pytestmark = pytest.mark.reference


def test_every_vector_agrees_to_1e9(vectors_file):
    cases = read_vectors(vectors_file)
    assert len(cases) >= 24
    failures = []
    for case in cases:
        r = evaluate_case(case)
        if r.max_rel_error is None or r.max_rel_error > 1e-9:
            failures.append(
                f"{case.index} {case.id}: {r.value} vs {r.expected} (err {r.max_rel_error})"
            )
        assert len(r.per_marker) == len(case.markers)
    assert not failures, "\n".join(failures)


def test_lumping_policy_exact_differs_only_for_sex_specific_models(vectors_file):
    """pedprobr lumps when pedmut says female OR male is lumpable; the exact policy asks both."""
    from repatria.kinship.probability import likelihood

    for case in read_vectors(vectors_file):
        if case.kind != "likelihood":
            continue
        ped = case.pedigrees["pedigree"]
        a = likelihood(ped, case.markers, case.profiles, case.theta, lumping="pedsuite").loglik
        b = likelihood(ped, case.markers, case.profiles, case.theta, lumping="exact").loglik
        c = likelihood(ped, case.markers, case.profiles, case.theta, lumping="none").loglik
        assert b == pytest.approx(c, rel=1e-12)
        sex_specific = any(
            m.female is not m.male
            and m.female is not None
            and not (m.female.matrix == m.male.matrix).all()
            for m in case.markers
        )
        if not sex_specific:
            assert a == pytest.approx(b, rel=1e-12)
