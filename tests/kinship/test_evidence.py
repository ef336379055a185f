"""Non-DNA evidence as stated factors (``kinship.evidence``).

Checked three ways: closed forms derived by hand (written out in each test), dvir's own
``LRDiscrete`` formulas (``R/LRdiscrete.R``: ``LR11 = (1 - mu) / alpha``, ``LR10 = mu / alpha``,
``LR01 = mu / (1 - alpha)``, ``LR00 = (1 - mu) / (1 - alpha)``, an assignment's LR the product),
and properties: every LR is >= 0, a product of factors is the product of their LRs, a factor
switched off is 1, and the LR's expectation under "someone else of the population" is 1 (the
denominator is the population's probability of the observation).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from repatria.kinship import (
    SEXING_METHODS,
    AgeDistribution,
    Individual,
    Marker,
    Pedigree,
    Sex,
    SexingMethod,
    age_at,
    age_lr,
    combine_evidence,
    date_lr,
    direct_match_lr,
    document_lr,
    effects_lr,
    haversine_km,
    likelihood,
    pairing_lrs,
    place_lr,
    property_lr,
    sex_lr,
    unit_lr,
)
from repatria.kinship.dropout import DropoutModel
from repatria.kinship.dvi import NOBODY, pm_loglik
from repatria.kinship.errors import KinshipError
from repatria.kinship.priors import open_population_prior
from repatria.services.pipelines.simulation import simulate_dvi_case

M, F = Sex.MALE, Sex.FEMALE
probs = st.floats(0.0, 1.0)
open_probs = st.floats(1e-6, 1 - 1e-6)


# --- sex ---------------------------------------------------------------------------------------


def test_sex_amelogenin_by_hand() -> None:
    # Amelogenin: P(read F | M) = P(read M | F) = 0.001; missing 90% men.
    # read F, recorded M: 0.001 / (0.9 * 0.001 + 0.1 * 0.999)
    # read M, recorded M: 0.999 / (0.9 * 0.999 + 0.1 * 0.001)
    # read M, recorded F: 0.001 / (0.9 * 0.999 + 0.1 * 0.001)
    assert sex_lr(F, M, p_male=0.9).lr == pytest.approx(0.001 / (0.9e-3 + 0.0999), rel=1e-12)
    assert sex_lr(M, M, p_male=0.9).lr == pytest.approx(0.999 / (0.8991 + 1e-4), rel=1e-12)
    assert sex_lr(M, F, p_male=0.9).lr == pytest.approx(0.001 / (0.8991 + 1e-4), rel=1e-12)
    assert sex_lr(Sex.UNKNOWN, M).lr == 1.0 and sex_lr(M, Sex.UNKNOWN).lr == 1.0


def test_sex_anthropology_by_hand() -> None:
    # Pelvis, 96.5% accurate (Ubelaker & Volk 2002), even sex ratio: 0.965 / 0.5 = 1.93.
    f = sex_lr(M, M, method="pelvis")
    assert f.lr == pytest.approx(1.93, rel=1e-12)
    assert f.parameters["sources"]["error rates"].startswith("Ubelaker")
    assert sex_lr(F, M, method="pelvis").lr == pytest.approx(0.035 / 0.5, rel=1e-12)
    assert set(SEXING_METHODS) >= {"amelogenin", "pelvis", "skull", "poor_condition"}


@given(st.sampled_from(list(SEXING_METHODS)), probs, st.sampled_from([M, F]))
def test_sex_expected_lr_under_h2_is_one(method: str, p_male: float, observed: Sex) -> None:
    # sum_s pi_s LR(o | s) = sum_s pi_s P(o | s) / P(o) = 1 whenever P(o) > 0
    lm = sex_lr(observed, M, method, p_male).lr
    lf = sex_lr(observed, F, method, p_male).lr
    assert lm >= 0 and lf >= 0
    assert p_male * lm + (1 - p_male) * lf == pytest.approx(1.0, rel=1e-12)


# --- dvir's discrete property ------------------------------------------------------------------


def test_property_lr_is_dvir_lrdiscrete() -> None:
    # dvir R/LRdiscrete.R, its example: x = (V1 = 1, V2 = 0, V3 = 0), y = (M1 = 1, M2 = 0, M3 = 0),
    # alpha = 0.1, mu = 0.01. Assignment V1 = M1, V2 = M2, V3 = M3: n11 = 1, n00 = 2, so
    # LR = (1 - mu) / alpha * ((1 - mu) / (1 - alpha))^2 = 9.9 * 1.1^2 = 11.979; the all-"*"
    # assignment (the example's first row) has LR 1 (empty product).
    x = {"V1": True, "V2": False, "V3": False}
    y = {"M1": True, "M2": False, "M3": False}
    a = {"V1": "M1", "V2": "M2", "V3": "M3"}
    factors = [property_lr(x[v], y[m], alpha=0.1, mu=0.01) for v, m in a.items()]
    assert combine_evidence(factors).lr == pytest.approx(11.979, rel=1e-12)
    assert combine_evidence([]).lr == 1.0
    # the four cells
    assert property_lr(True, True, 0.1, 0.01).lr == pytest.approx(0.99 / 0.1, rel=1e-12)
    assert property_lr(True, False, 0.1, 0.01).lr == pytest.approx(0.01 / 0.1, rel=1e-12)
    assert property_lr(False, True, 0.1, 0.01).lr == pytest.approx(0.01 / 0.9, rel=1e-12)
    assert property_lr(False, False, 0.1, 0.01).lr == pytest.approx(0.99 / 0.9, rel=1e-12)
    # exact denominator: P(X = 1) = alpha (1 - mu) + (1 - alpha) mu = 0.108
    assert property_lr(True, True, 0.1, 0.01, "exact").lr == pytest.approx(0.99 / 0.108)


# --- age ---------------------------------------------------------------------------------------


def test_age_uniform_by_hand() -> None:
    pop = AgeDistribution.uniform(18, 60)
    # range 25-35 holds the MP's age 30; G = 10 / 42: LR = 1 / G = 4.2; outside: 0
    assert age_lr((25, 35), 30, pop).lr == pytest.approx(4.2, rel=1e-12)
    assert age_lr((25, 35), 40, pop).lr == 0.0
    # with a 5% miss: 0.95 / (0.95 * 10/42 + 0.05 * 32/42), and 0.05 / (...) outside
    den = 0.95 * 10 / 42 + 0.05 * 32 / 42
    assert age_lr((25, 35), 30, pop, miss=0.05).lr == pytest.approx(0.95 / den, rel=1e-12)
    assert age_lr((25, 35), 40, pop, miss=0.05).lr == pytest.approx(0.05 / den, rel=1e-12)


def test_age_normal_by_hand() -> None:
    # estimate 30 +- 5 (sd), MP 32, missing uniform on 18-60:
    # LR = phi(0.4) / 5 / ((Phi(6) - Phi(-2.4)) / 42)
    phi = math.exp(-0.08) / math.sqrt(2 * math.pi)

    def cdf(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2))

    want = phi / 5 / ((cdf(6.0) - cdf(-2.4)) / 42)
    got = age_lr((30, 5), 32, AgeDistribution.uniform(18, 60), kind="normal").lr
    assert got == pytest.approx(want, rel=1e-12)


def test_age_histogram_by_hand() -> None:
    # missing: 60% aged 18-30, 40% aged 30-60; range 25-35 holds
    # G = 0.6 * 5/12 + 0.4 * 5/30 = 0.25 + 0.0667 = 0.31667
    pop = AgeDistribution((18, 30, 60), (3, 2), source="accounting")
    assert pop.weights == (0.6, 0.4)
    g = 0.6 * 5 / 12 + 0.4 * 5 / 30
    assert age_lr((25, 35), 28, pop).lr == pytest.approx(1 / g, rel=1e-12)


def test_age_at_from_dates() -> None:
    # 1990-01-01 to 2020-01-01 is 10957 days
    assert age_at(dt.date(1990, 1, 1), dt.date(2020, 1, 1)) == pytest.approx(10957 / 365.2425)
    with pytest.raises(KinshipError, match="before the date of birth"):
        age_at(dt.date(2000, 1, 1), dt.date(1999, 1, 1))


@settings(max_examples=30, deadline=None)
@given(mean=st.floats(10, 80), sd=st.floats(0.5, 20), lo=st.floats(0, 40), width=st.floats(5, 60))
def test_age_expected_lr_under_h2_is_one(mean: float, sd: float, lo: float, width: float) -> None:
    # integral LR(t) g(t) dt = 1: the denominator is the population's chance of the estimate
    pop = AgeDistribution.uniform(lo, lo + width)
    if pop.normal_integral(mean, sd) < 1e-12:
        return
    val, _ = integrate.quad(
        lambda t: age_lr((mean, sd), t, pop, kind="normal").lr * pop.density(t),
        lo,
        lo + width,
        points=[mean] if lo < mean < lo + width else None,
        limit=200,
    )
    assert val == pytest.approx(1.0, rel=1e-6)


# --- place, date -------------------------------------------------------------------------------


def test_haversine_by_hand() -> None:
    # one degree of latitude: R pi / 180 = 6371.0088 * pi / 180 = 111.19508 km;
    # a quarter of the equator: R pi / 2
    assert haversine_km((50, 30), (51, 30)) == pytest.approx(6371.0088 * math.pi / 180)
    assert haversine_km((0, 0), (0, 90)) == pytest.approx(6371.0088 * math.pi / 2)


def test_place_by_hand() -> None:
    # exponential kernel at r = 3 km, s = 2 km, area 1000 km2, moved 0.05:
    # ((0.95) e^{-1.5} / (2 pi 4) + 0.05 / 1000) * 1000
    k = math.exp(-1.5) / (8 * math.pi)
    got = place_lr(3.0, 2.0, 1000.0).lr
    assert got == pytest.approx((0.95 * k + 0.05 / 1000) * 1000, rel=1e-12)
    # half-normal at r = s: e^{-1/2} / (2 pi s^2) * A, nothing moved
    hn = place_lr(2.0, 2.0, 1000.0, kernel="half-normal", moved=0.0).lr
    assert hn == pytest.approx(math.exp(-0.5) / (8 * math.pi) * 1000, rel=1e-12)
    # far away, the moved share keeps it from 0: -> moved
    assert place_lr(500.0, 2.0, 1000.0).lr == pytest.approx(0.05, rel=1e-9)
    assert place_lr(0, 1, 10).parameters["sources"]["moved"] == "assumption"


@pytest.mark.parametrize("kernel", ["exponential", "half-normal"])
def test_place_kernel_is_a_density_on_the_plane(kernel: str) -> None:
    # integral over the plane of k(r) = integral_0^inf k(r) 2 pi r dr = 1, so LR / A is a density
    s, area = 3.0, 1.0

    def k(r: float) -> float:
        return place_lr(r, s, area, kernel=kernel, moved=0.0).lr / area

    val, _ = integrate.quad(lambda r: k(r) * 2 * math.pi * r, 0, np.inf)
    assert val == pytest.approx(1.0, rel=1e-9)


def test_date_by_hand() -> None:
    before, after = dt.date(2023, 3, 1), dt.date(2023, 6, 1)
    seen = dt.date(2023, 5, 1)
    assert date_lr(before, seen).lr == 0.0  # recovered before last seen: impossible
    assert date_lr(after, seen).lr == 1.0
    assert date_lr(after, seen, share_seen_by=0.25).lr == pytest.approx(4.0, rel=1e-12)
    # 61 days early, within a 90-day allowance: consistent
    assert date_lr(before, seen, allowance_days=90).observation["consistent"] is True
    # a 1% record error: 0.01 / (0.99 * 0.25 + 0.01) and 1 / (...)
    den = 0.99 * 0.25 + 0.01
    assert date_lr(before, seen, 0.25, error=0.01).lr == pytest.approx(0.01 / den, rel=1e-12)
    assert date_lr(after, seen, 0.25, error=0.01).lr == pytest.approx(1 / den, rel=1e-12)


@given(f=st.floats(1e-3, 1.0), e=st.floats(0.0, 0.5))
def test_date_expected_lr_under_h2_is_one(f: float, e: float) -> None:
    # someone else was last seen by the recovery date with probability F
    seen, rec = dt.date(2023, 5, 1), dt.date(2023, 6, 1)
    ok = date_lr(rec, seen, f, error=e).lr
    bad = date_lr(rec, dt.date(2023, 7, 1), f, error=e).lr
    assert f * ok + (1 - f) * bad == pytest.approx(1.0, rel=1e-12)


# --- documents, unit, effects ------------------------------------------------------------------


def test_documents_by_hand() -> None:
    # r = 0.5 (half the papers are the body's own), q = 0.01:
    # match (r + (1 - r) q) / q = 0.505 / 0.01 = 50.5; mismatch 1 - r = 0.5
    assert document_lr(True, 0.5, 0.01).lr == pytest.approx(50.5, rel=1e-12)
    assert document_lr(False, 0.5, 0.01).lr == pytest.approx(0.5, rel=1e-12)
    # a named ID (no one else's own): (r + (1 - r) q) / ((1 - r) q) = 0.505 / 0.005 = 101
    assert document_lr(True, 0.5, 0.01, own_share=0.0).lr == pytest.approx(101.0, rel=1e-12)
    # another army's papers on a soldier: a match weighs little when r is low
    assert document_lr(True, 0.1, 0.2).lr == pytest.approx((0.1 + 0.9 * 0.2) / 0.2)
    with pytest.raises(KinshipError, match="certain proof"):
        document_lr(True, 1.0, 0.01, own_share=0.0)


def test_unit_and_effects_by_hand() -> None:
    # unit: share 0.1 of the missing, r = 0.9: (0.9 + 0.01) / 0.1 = 9.1; another unit 0.1
    assert unit_lr(True, 0.9, 0.1).lr == pytest.approx(9.1, rel=1e-12)
    assert unit_lr(False, 0.9, 0.1).lr == pytest.approx(0.1, rel=1e-12)
    # effects, weak by default: (0.2 + 0.8 * 0.1) / 0.1 = 2.8, mismatch 0.8
    e = effects_lr(True, item="wedding ring")
    assert e.lr == pytest.approx(2.8, rel=1e-12)
    assert e.parameters["sources"] == {"reliability": "assumption", "q": "assumption"}
    assert effects_lr(False).lr == pytest.approx(0.8, rel=1e-12)


@given(r=probs, q=open_probs)
def test_document_expected_lr_under_h2_is_one(r: float, q: float) -> None:
    # someone else's record matches the item with probability q: q LR_match + (1 - q) LR_mis = 1
    assert q * document_lr(True, r, q).lr + (1 - q) * document_lr(False, r, q).lr == (
        pytest.approx(1.0, rel=1e-12)
    )


@given(r=st.floats(0.0, 0.99), q=open_probs, s=probs)
def test_document_lr_averages_one_under_h2(r: float, q: float, s: float) -> None:
    # under "someone else" the item shows the record with probability r s + (1 - r) q
    p = r * s + (1 - r) * q
    if not 0 < p < 1:
        return
    yes = document_lr(True, r, q, own_share=s).lr
    no = document_lr(False, r, q, own_share=s).lr
    assert p * yes + (1 - p) * no == pytest.approx(1.0, rel=1e-9)


def test_a_unique_document_that_does_not_match_weighs_by_hand() -> None:
    # r = 0.5, q = 0.01, s = 0: (1 - r)(1 - q) / (1 - (1 - r) q) = 0.495 / 0.995
    assert document_lr(False, 0.5, 0.01, own_share=0.0).lr == pytest.approx(0.495 / 0.995)


# --- combining, switching, the prior -----------------------------------------------------------


factor_st = st.one_of(
    st.builds(
        lambda o, r, p: sex_lr(o, r, "skull", p),
        st.sampled_from([M, F]),
        st.sampled_from([M, F]),
        probs,
    ),
    st.builds(lambda m, r, q: document_lr(m, r, q), st.booleans(), st.floats(0, 0.99), open_probs),
    st.builds(lambda m, r, s: unit_lr(m, r, s), st.booleans(), probs, open_probs),
    st.builds(
        lambda d, s, a: place_lr(d, s, a), st.floats(0, 100), st.floats(0.1, 50), st.floats(10, 1e5)
    ),
    st.builds(
        lambda t: age_lr((25, 40), t, AgeDistribution.uniform(16, 65), miss=0.02), st.floats(16, 65)
    ),
    st.builds(lambda m: effects_lr(m), st.booleans()),
)


@settings(max_examples=60)
@given(st.lists(factor_st, max_size=6), st.data())
def test_product_and_switches(factors: list, data: st.DataObject) -> None:
    assert all(f.lr >= 0 for f in factors)
    comb = combine_evidence(factors)
    want = math.prod(f.lr for f in factors)
    assert comb.lr == pytest.approx(want, rel=1e-9, abs=1e-300)
    assert "independent" in comb.assumption
    if not factors:
        return
    k = data.draw(st.integers(0, len(factors) - 1))
    off = factors[k].switched(False)
    assert off.value == 1.0 and off.lr == factors[k].lr
    rest = factors[:k] + factors[k + 1 :]
    swapped = combine_evidence(factors[:k] + [off] + factors[k + 1 :])
    assert swapped.lr == pytest.approx(combine_evidence(rest).lr, rel=1e-9, abs=1e-300)
    # switching a kind off in the combination
    kind = factors[k].kind
    none_of_kind = combine_evidence([f for f in factors if f.kind != kind])
    assert comb.switched(kind, False).lr == pytest.approx(none_of_kind.lr, rel=1e-9, abs=1e-300)


def test_pairing_lrs_enter_the_prior() -> None:
    problem = simulate_dvi_case(3, 2, 5).problem
    v, m = problem.pm[0], problem.missing[0]
    ev = {(v, m): [unit_lr(True, 0.9, 0.1), sex_lr(M, M, p_male=0.9)]}
    table = pairing_lrs(ev)
    want = 9.1 * 0.999 / (0.9 * 0.999 + 0.1 * 0.001)
    assert table[(v, m)] == pytest.approx(want, rel=1e-12)
    k = len([x for x in problem.pairings[v] if x != NOBODY])
    prior = open_population_prior(problem, 0.2, pairing_lr=table)
    base = math.log(0.2 / (k * 0.8))
    assert prior.log_odds[v][m] == pytest.approx(base + math.log(want), rel=1e-12)
    # a date that makes the pairing impossible closes it
    closed = pairing_lrs({(v, m): [date_lr(dt.date(2023, 1, 1), dt.date(2023, 2, 1))]})
    assert open_population_prior(problem, 0.2, pairing_lr=closed).log_odds[v][m] == -math.inf


def test_record_is_json_ready() -> None:
    f = date_lr(dt.date(2023, 6, 1), dt.date(2023, 5, 1))
    d = combine_evidence([f, sex_lr(M, M)]).as_dict()
    assert d["factors"][0]["observation"]["recovered"] == "2023-06-01"
    assert d["factors"][1]["observation"] == {"observed": "male", "recorded": "male"}
    assert d["factors"][0]["model"].startswith("((1 - e)")


@pytest.mark.parametrize(
    "call",
    [
        lambda: sex_lr(M, M, p_male=1.5),
        lambda: sex_lr(F, M, SexingMethod("perfect", 0.0, 0.0, "test"), p_male=1.0),
        lambda: age_lr((35, 25), 30, AgeDistribution.uniform(18, 60)),
        lambda: age_lr((25, 35), 30, AgeDistribution.uniform(40, 60)),
        lambda: place_lr(-1, 1, 10),
        lambda: date_lr(dt.date(2023, 1, 1), dt.date(2023, 1, 1), share_seen_by=0.0),
        lambda: document_lr(True, 0.5, 0.0),
        lambda: AgeDistribution((10, 5), (1,)),
    ],
)
def test_bad_parameters_are_named(call: object) -> None:
    with pytest.raises(KinshipError):
        call()  # type: ignore[operator]


# --- direct references -------------------------------------------------------------------------

MK = Marker("L", ("a", "b", "c"), [0.2, 0.3, 0.5])


def test_direct_match_without_dropout_by_hand() -> None:
    # the same heterozygote a/b: 1 / (2 p_a p_b) = 1 / 0.12; a mismatch: 0
    r = direct_match_lr({"L": ("a", "b")}, {"L": ("b", "a")}, [MK])
    assert r.lr == pytest.approx(1 / 0.12, rel=1e-12)
    assert direct_match_lr({"L": ("a", "b")}, {"L": ("a", "c")}, [MK]).lr == 0.0
    # an untyped marker on either side: 1
    assert direct_match_lr({}, {"L": ("a", "c")}, [MK]).lr == pytest.approx(1.0)


def test_direct_match_with_pm_dropout_by_hand() -> None:
    # toothbrush a/b (clean), burned PM shows one peak a, dropout d:
    # num = P(a/b) P(peak a | a/b) = 2 pa pb d (1 - d)
    # den = P(a/b) P(peak a) with P(peak a) = pa^2 (1 - d^2) + 2 pa (1 - pa) d (1 - d)
    d, pa = 0.3, 0.2
    want = d * (1 - d) / (pa * pa * (1 - d * d) + 2 * pa * (1 - pa) * d * (1 - d))
    r = direct_match_lr({"L": ("a", "b")}, {"L": ("a", "a")}, [MK], pm_dropout=DropoutModel(d))
    assert r.lr == pytest.approx(want, rel=1e-12)
    # without a dropout model a/a is a homozygote, and the match is excluded
    assert direct_match_lr({"L": ("a", "b")}, {"L": ("a", "a")}, [MK]).lr == 0.0
    # dropout on both samples, both one peak a: by the sum over genotypes
    # num = pa^2 (1-d^2)^2 + sum_x 2 pa px (d(1-d))^2 + sum_{no a} P(G) (d^2 c pa)^2 (c = 0 here)
    dm = DropoutModel(d)
    num = pa**2 * (1 - d * d) ** 2 + 2 * pa * (1 - pa) * (d * (1 - d)) ** 2
    single = pa * pa * (1 - d * d) + 2 * pa * (1 - pa) * d * (1 - d)
    r2 = direct_match_lr({"L": ("a", None)}, {"L": ("a", "a")}, [MK], M, dm, dm)
    assert r2.lr == pytest.approx(num / single**2, rel=1e-12)


def test_direct_match_denominators_are_the_engine_likelihoods() -> None:
    markers = simulate_dvi_case(2, 2, 3).problem.markers[:6]
    sim = simulate_dvi_case(2, 2, 3).problem
    prof = sim.pm_profiles[sim.pm[0]]
    r = direct_match_lr(prof, prof, markers)
    # one complete profile twice, no dropout: 1 / P(G) per marker (the PM's own likelihood)
    want = -pm_loglik(markers, prof, M)
    np.testing.assert_allclose(r.log_lr_per_marker, want, rtol=1e-12)
    single = likelihood(Pedigree([Individual("PM", sex=M)]), markers, {"PM": prof})
    np.testing.assert_allclose(r.denominator.loglik_per_marker, 2 * single.loglik_per_marker)


def test_direct_match_x_linked_male() -> None:
    # a male is hemizygous at X: the same allele a: 1 / p_a = 5
    mx = Marker("X1", ("a", "b"), [0.2, 0.8], is_x=True)
    assert direct_match_lr({"X1": ("a", "a")}, {"X1": ("a", "a")}, [mx]).lr == pytest.approx(5.0)
