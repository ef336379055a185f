"""The shared numerical helpers against plain definitions."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from repatria.kinship._numeric import (
    BoundedCache,
    DisjointSet,
    logsumexp,
    safe_exp,
    safe_exp_array,
)

finite = st.floats(min_value=-700, max_value=700, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=20))
def test_logsumexp_is_log_of_sum(xs: list[float]) -> None:
    assert math.isclose(
        logsumexp(xs), math.log(sum(math.exp(x) for x in xs)), rel_tol=1e-12, abs_tol=1e-12
    )


def test_logsumexp_edges() -> None:
    assert logsumexp([-math.inf, -math.inf]) == -math.inf
    assert logsumexp([1e4, 1e4]) == 1e4 + math.log(2)


def test_safe_exp() -> None:
    assert safe_exp(709.0) == math.exp(709.0)
    assert safe_exp(710.0) == math.inf
    assert math.isnan(safe_exp(math.nan))


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=30))
def test_disjoint_set_matches_naive_components(edges: list[tuple[int, int]]) -> None:
    ds = DisjointSet[int](range(16))
    for a, b in edges:
        ds.union(a, b)
    # naive: repeated merging of sets
    comps = [{i} for i in range(16)]
    for a, b in edges:
        ca = next(c for c in comps if a in c)
        cb = next(c for c in comps if b in c)
        if ca is not cb:
            comps.remove(cb)
            ca |= cb
    assert sorted(sorted(g) for g in ds.groups()) == sorted(sorted(c) for c in comps)


def test_bounded_cache_evicts_least_recent_and_by_weight() -> None:
    c = BoundedCache[str, bytes](max_items=10, max_weight=5, weight=len)
    c.put("a", b"12")
    c.put("b", b"12")
    assert c.get("a") == b"12"
    c.put("c", b"12")  # weight 6 > 5: the least recently used ("b") goes
    assert c.get("b") is None and c.get("a") and c.get("c")


def test_safe_exp_array_is_elementwise_safe_exp() -> None:
    xs = [0.0, -1000.0, 709.0, 710.0, 1e4, math.nan, -math.inf, math.inf]
    got = safe_exp_array(xs).tolist()
    for g, x in zip(got, xs, strict=True):
        want = safe_exp(x)
        assert (math.isnan(g) and math.isnan(want)) or g == want
