"""DVI analyses against dvir's results on every shared reference case."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from repatria.formats.casefolder import read_case_folder
from repatria.kinship.dvi import NOBODY, find_excluded, pairwise_lr
from repatria.kinship.joint import count_assignments, joint_dvi
from shared_data import CASE_NAMES

pytestmark = pytest.mark.reference


def _num(x):
    if isinstance(x, str):
        return {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}[x]
    return x


def _cells(m, key="values"):
    return {
        (r, c): _num(v)
        for r, row in zip(m["rows"], m[key], strict=False)
        for c, v in zip(m["cols"], row, strict=False)
    }


@pytest.fixture(scope="module", params=CASE_NAMES)
def case(request, reference_cases):
    d = reference_cases / request.param
    problem = read_case_folder(d)
    pw = pairwise_lr(problem)
    return d, problem, pw


def test_pairwise_lr_matrix(case):
    d, p, pw = case
    want = _cells(json.loads((d / "expected/pairwiseLR.json").read_text())["LRmatrix"])
    for (v, m), e in want.items():
        got = pw.lr[p.pm.index(v), p.missing.index(m)]
        if e is None:
            assert math.isnan(got), (v, m)
        else:
            assert got == pytest.approx(e, rel=1e-9, abs=1e-300), (v, m)


def test_per_marker_lrs(case):
    d, p, pw = case
    per = json.loads((d / "expected/pairwiseLR.json").read_text())["perMarkerLR"]
    names = per["markers"]
    idx = [pw.markers.index(n) for n in names]
    for v, row in per["values"].items():
        for m, vals in row.items():
            got = pw.lr_per_marker[p.pm.index(v), p.missing.index(m), idx]
            assert got == pytest.approx([_num(x) for x in vals], rel=1e-9, abs=1e-300), (v, m)


def test_exclusion_counts(case):
    d, p, pw = case
    want = _cells(json.loads((d / "expected/findExcluded.json").read_text())["exclusionMatrix"])
    for (v, m), e in want.items():
        got = pw.exclusions[p.pm.index(v), p.missing.index(m)]
        assert (got == -1) if e is None else (got == e), (v, m)
    reduced = json.loads((d / "expected/findExcluded.json").read_text())["reduced"]["pairings"]
    ex = find_excluded(p, pairwise=pw)
    for v, lst in reduced.items():
        assert set(ex.pairings[v]) == set(lst)


def test_joint_matches_dvijoint(case):
    d, p, pw = case
    exp = json.loads((d / "expected/dviJoint.json").read_text())
    j = joint_dvi(p, pw, top=200)
    if "error" in exp:
        # dvir stopped at its grid size; the count is what it can be checked on (the assignments
        # themselves are checked by brute force on a reduced case, test_joint_pruning.py).
        assert j.n_assignments == exp["gridSize"]["size"]
        return
    assert j.n_assignments == exp["nAssignments"]
    assert j.loglik0 == pytest.approx(exp["loglik0"], rel=1e-9)
    rows = exp["all"] if isinstance(exp["all"], list) else exp["top"]
    ref = {json.dumps(a["assignment"], sort_keys=True): a for a in rows}
    assert j.top[0].assignment == rows[0]["assignment"]
    matched = 0
    for a in j.top:
        e = ref.get(json.dumps(a.assignment, sort_keys=True))
        if e:
            matched += 1
            assert a.loglik == pytest.approx(e["loglik"], rel=1e-9)
            assert a.posterior == pytest.approx(e["posterior"], rel=1e-6, abs=1e-12)
            assert a.lr == pytest.approx(_num(e["LRnull"]), rel=1e-8)
    possible = [
        r for r in rows if _num(r["loglik"]) > -math.inf
    ]  # Repatria lists possible ones only
    assert matched >= min(len(possible), 20)
    for (v, m), e in _cells(exp["Bmarginal"]["matrix"]).items():
        k = len(p.missing) if m == NOBODY else p.missing.index(m)
        assert j.marginals[p.pm.index(v), k] == pytest.approx(e, rel=1e-6, abs=1e-12), (v, m)
    assert j.neglected_mass_bound == 0.0


def test_exclusion_example_where_dvir_fails(reference_cases):
    """dvir stops (4e13 assignments); Repatria's answer is checked by brute force on a reduced case:
    the 5 PMs and 5 MPs with the largest LRs, where every assignment can be listed."""
    p = read_case_folder(reference_cases / "exclusionExample")
    pw = pairwise_lr(p)
    j = joint_dvi(p, pw)
    assert j.neglected_mass_bound == 0.0
    assert j.marginals.sum(axis=1) == pytest.approx(np.ones(len(p.pm)))
    best = np.argsort(-np.nanmax(pw.log_lr, axis=1))[:5]
    pms = [p.pm[i] for i in best]
    mps = list(dict.fromkeys(p.missing[int(np.nanargmax(pw.log_lr[i]))] for i in best))[:5]
    small = p.subset(pm=pms, missing=mps)
    jr = joint_dvi(small, top=10_000)
    brute = _brute_force(small)
    assert jr.n_assignments == len(brute) == count_assignments(small.pm, small.pairings)
    z = np.logaddexp.reduce([ll for _, ll in brute])
    assert jr.loglik0 + jr.log_z == pytest.approx(z, rel=1e-12)
    for a in jr.top[:20]:
        ll = dict((json.dumps(x, sort_keys=True), y) for x, y in brute)[
            json.dumps(a.assignment, sort_keys=True)
        ]
        assert a.loglik == pytest.approx(ll, rel=1e-12)


def _brute_force(p):
    """Every assignment with its log-likelihood, by direct pedigree likelihoods."""
    from repatria.kinship.probability import likelihood

    out = []
    for combo in itertools.product(*(p.pairings[v] for v in p.pm)):
        used = [m for m in combo if m != NOBODY]
        if len(used) != len(set(used)):
            continue
        a = dict(zip(p.pm, combo, strict=False))
        ll = 0.0
        for f, ped in p.families.items():
            prof = dict(p.am_profiles.get(f, {}))
            for v, m in a.items():
                if m != NOBODY and p.missing_family[m] == f:
                    prof[m] = p.pm_profiles[v]
            ll += likelihood(ped, p.markers, prof).loglik
        ll += sum(float(np.sum(p.pm_logliks[v])) for v, m in a.items() if m == NOBODY)
        out.append((a, ll))
    return out


def test_count_assignments_against_enumeration():
    pairings = {
        "A": ["*", "M1", "M2"],
        "B": ["*", "M1"],
        "C": ["M2", "M3"],
        "D": ["*", "M1", "M2", "M3"],
    }
    brute = sum(
        1
        for combo in itertools.product(*pairings.values())
        if len([m for m in combo if m != "*"]) == len({m for m in combo if m != "*"})
    )
    assert count_assignments(list(pairings), pairings) == brute
