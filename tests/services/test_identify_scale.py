"""The fast paths of identify at scale (issue 12) against the plain ones they replace.

- the input hash, streamed PM by PM, equals the hash of the whole JSON document built at once;
- the registry read in a few batched queries gives the problem the case itself gives;
- the candidates picked from whole arrays are those of the pairing-by-pairing rule.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repatria.formats.markers_json import marker_to_dict
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import DefaultPairings, DVIProblem, generate_pairings
from repatria.kinship.pedigree import Genotype
from repatria.registry.db import session_scope
from repatria.registry.models import IdentificationRun
from repatria.services.pipelines.dvi_analysis import read_case
from repatria.services.pipelines.simulation import (
    simulate_dvi_case,
    write_population_case,
    write_simulated_case,
)
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import POSTERIOR_THRESHOLD, identify
from repatria.services.workflows.problem import problem_from_registry, problem_sha256
from repatria.services.workflows.run_checks import run_checks


def _plain_sha256(problem: DVIProblem) -> str:
    """The input hash as first written: the whole document, then its JSON, then the hash."""

    def geno(prof: Mapping[str, Genotype]) -> dict[str, list[str | None]]:
        return {m: list(g) for m, g in sorted(prof.items())}

    doc = {
        "markers": [marker_to_dict(m) for m in problem.markers],
        "pm": [
            [v, int(problem.pm_sex[v]), geno(problem.pm_profiles.get(v, {}))] for v in problem.pm
        ],
        "families": {
            f: [[i.id, i.father, i.mother, int(i.sex)] for i in ped]
            for f, ped in problem.families.items()
        },
        "am": {
            f: {p: geno(g) for p, g in sorted(d.items())} for f, d in problem.am_profiles.items()
        },
        "missing": [[m, problem.missing_family[m]] for m in problem.missing],
        "pairings": {v: list(problem.pairings[v]) for v in problem.pm},
    }
    if problem.pm_dropout:
        doc["dropout"] = {v: [d.dropout, d.drop_in] for v, d in sorted(problem.pm_dropout.items())}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("case", ["planecrash", "exclusionExample", "example2", "symmetricSibs"])
def test_streamed_hash_equals_the_whole_document_hash(reference_cases: Path, case: str) -> None:
    problem = read_case(reference_cases / case)
    assert problem_sha256(problem) == _plain_sha256(problem)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    victims=st.integers(1, 12),
    families=st.integers(1, 10),
    seed=st.integers(0, 10_000),
    default=st.booleans(),
    dropout=st.booleans(),
)
def test_streamed_hash_equals_the_whole_document_hash_on_any_case(
    victims: int, families: int, seed: int, default: bool, dropout: bool
) -> None:
    problem = simulate_dvi_case(victims, families, seed, 5).problem
    if default:  # dvir's default pairings, lazy
        problem = replace(problem, pairings={})
        assert isinstance(problem.pairings, DefaultPairings)
    else:  # explicit pairings, some PMs ruled out of some MPs
        problem = replace(
            problem,
            pairings={
                v: tuple(m for n, m in enumerate(ms) if (n + seed) % 3) or ("*",)
                for v, ms in problem.pairings.items()
            },
        )
    if dropout:
        problem = problem.with_dropout(
            {v: DropoutModel(0.1 * (n % 4)) for n, v in enumerate(problem.pm)}
        )
    assert problem_sha256(problem) == _plain_sha256(problem)


def test_default_pairings_stay_lazy_while_hashing() -> None:
    problem = replace(simulate_dvi_case(40, 30, 4, 5).problem, pairings={})
    problem_sha256(problem)
    assert len(problem.pairings._cache) <= 3  # one PM per sex, not every PM


@pytest.fixture
def population(tmp_path: Path) -> Path:
    return write_population_case(60, 45, 7, tmp_path / "pop", 24)


def test_registry_problem_is_the_case_problem(db: str, population: Path) -> None:
    import_case(db, population, actor="ana")
    source = read_case(population)
    built = problem_from_registry(db)
    assert built.pm == source.pm
    assert set(built.missing) == set(source.missing)
    assert built.families.keys() == source.families.keys()
    for f, ped in source.families.items():
        assert [(i.id, i.father, i.mother, i.sex) for i in built.families[f]] == [
            (i.id, i.father, i.mother, i.sex) for i in ped
        ]
    assert {f: d for f, d in built.am_profiles.items() if d} == {
        f: {p: dict(g) for p, g in d.items()} for f, d in source.am_profiles.items() if d
    }
    assert built.pm_profiles == source.pm_profiles
    assert problem_sha256(built) == _plain_sha256(built)


def test_candidates_are_those_of_the_pairing_by_pairing_rule(db: str, population: Path) -> None:
    import_case(db, population, actor="ana")
    result = identify(db, actor="ana")
    a = result.analysis
    problem = problem_from_registry(db)
    checked = run_checks(problem, a.pairwise)
    expected = set()
    for i, v in enumerate(problem.pm):
        for k, m in enumerate(problem.missing):
            log_lr = float(a.pairwise.log_lr[i, k])
            if math.isnan(log_lr):
                continue
            lower = float(a.bounds.lower[i, k]) if a.bounds is not None else 0.0
            misattributed = "misattributed relationship" in checked.of(v, m)[0]
            if checked.raisable(v, m, log_lr) or misattributed or lower >= POSTERIOR_THRESHOLD:
                expected.add((v, m))
    assert {(c.body, c.person) for c in result.candidates} == expected
    for c in result.candidates:
        i, k = problem.pm.index(c.body), problem.missing.index(c.person)
        assert c.lr == pytest.approx(math.exp(float(a.pairwise.log_lr[i, k])), rel=1e-12)
        assert c.posterior == float(np.asarray(a.joint.marginals)[i, k])


def test_pairing_exclusions_are_counted_as_listing_them_would(db: str, tmp_path: Path) -> None:
    case = write_simulated_case(12, 10, 5, tmp_path / "sim", 8)
    default = generate_pairings(read_case(case))
    # Every second PM may only be its first MP, or nobody: recorded as pairing exclusions.
    restricted = {
        v: ([[m for m in g if m != "*"][0], "*"] if i % 2 == 0 and len(g) > 2 else list(g))
        for i, (v, g) in enumerate(default.items())
    }
    (case / "pairings.json").write_text(json.dumps({"pairings": restricted}))
    import_case(db, case, actor="ana")
    run = identify(db, actor="ana").run
    problem = problem_from_registry(db)
    assert not isinstance(problem.pairings, DefaultPairings)
    listed = sum(len(d) for d in generate_pairings(problem).values()) - sum(
        len(x) for x in problem.pairings.values()
    )
    with session_scope(db) as s:
        stored = s.get(IdentificationRun, run)
        assert stored is not None
        assert stored.parameters["pairing_exclusions"] == listed > 0


def _plain_json_safe(x: object) -> object:
    """json_safe one item at a time, as first written (the oracle of its fast path)."""
    if isinstance(x, dict):
        return {str(k): _plain_json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain_json_safe(v) for v in x]
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
    return x


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([1e308, -1e308, math.inf, -math.inf]),
            st.integers(),
            st.none(),
            st.booleans(),
            st.text(max_size=3),
        ),
        max_size=30,
    )
)
def test_json_safe_rows_are_those_item_by_item(row: list[object]) -> None:
    from repatria.formats.jsonsafe import json_safe

    got = json_safe([row, tuple(row)])
    want = _plain_json_safe([row, tuple(row)])
    assert json.dumps(got, allow_nan=False) == json.dumps(want, allow_nan=False)


def test_a_count_too_long_for_decimal_is_written_in_scientific_notation() -> None:
    """2,000 bodies x 1,500 persons have about 10^4602 joint assignments: more digits than
    Python writes (4,300), which stopped the run from being stored."""
    from repatria.formats.jsonsafe import json_safe

    n = 3**9700  # 4,628 digits
    text = json_safe({"n_assignments": n, "small": 10**4299})
    assert text["small"] == 10**4299  # written exactly as before
    mantissa, exponent = text["n_assignments"].split("e+")
    assert int(exponent) == 4628
    assert math.isclose(math.log10(float(mantissa)) + int(exponent), 9700 * math.log10(3))
    assert json_safe(-n).startswith("-")
    json.dumps(text, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**40), 10**40) | st.integers(1, 9000).map(lambda k: 7**k))
def test_counts_for_people_keep_their_size(n: int) -> None:
    """``count_text`` (the assignment count of ``dvi analyse``): exact with commas up to 15
    digits, else two significant digits and the exact power of ten, never a Python error."""
    from repatria.formats.jsonsafe import count_text

    text = count_text(n)
    if abs(n) < 10**15:
        assert int(text.replace(",", "")) == n
        return
    mantissa, exponent = text.split("e+")
    if abs(n).bit_length() < 10_000:  # Python writes it: its digits are the true count
        assert int(exponent) == len(str(abs(n))) - 1
    assert 1.0 <= abs(float(mantissa)) < 10.0 and (float(mantissa) < 0) == (n < 0)
