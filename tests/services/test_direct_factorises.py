"""The direct-reference factor factorises over markers (issue 13, 4): with the item surely his
(reliability 1), the LR of a profile is the product of the one-marker LRs, with or without
dropout on either side; with reliability r < 1 it is r * (that product) + 1 - r, not a product."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.kinship.dropout import DropoutModel
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Sex
from repatria.services.workflows.direct_evidence import direct_finding
from repatria.services.workflows.direct_store import DirectItem

MARKERS = [
    Marker("A", ("1", "2", "3"), [0.2, 0.3, 0.5]),
    Marker("B", ("1", "2"), [0.6, 0.4]),
    Marker("C", ("1", "2", "3", "4"), [0.1, 0.2, 0.3, 0.4]),
]


def _genotype(m: Marker) -> st.SearchStrategy[tuple[str | None, str | None] | None]:
    allele = st.sampled_from(m.alleles)
    return st.one_of(
        st.none(),
        st.tuples(allele, allele),
        st.tuples(allele, st.none()),
    )


def _profile() -> st.SearchStrategy[dict[str, tuple[str | None, str | None]]]:
    return st.fixed_dictionaries({m.name: _genotype(m) for m in MARKERS}).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def _item(r: float) -> DirectItem:
    return DirectItem(1, "TB", 1, "toothbrush", r, 1)


@settings(max_examples=150, deadline=None)
@given(
    ref=_profile(),
    pm=_profile(),
    ref_d=st.one_of(st.none(), st.floats(0.0, 0.6)),
    pm_d=st.one_of(st.none(), st.floats(0.0, 0.6)),
    r=st.floats(0.05, 1.0),
)
def test_the_direct_lr_factorises_over_markers(
    ref: dict, pm: dict, ref_d: float | None, pm_d: float | None, r: float
) -> None:
    pm_model = None if pm_d is None else DropoutModel(pm_d)

    def finding(markers: list[Marker], rel: float) -> dict:
        return direct_finding(_item(rel), ref, pm, markers, sex=Sex.MALE,
                              reference_dropout=ref_d, pm_dropout=pm_model)  # fmt: skip

    whole = finding(MARKERS, 1.0)
    if whole["log10_lr"] is None:  # nothing typed on both sides
        return
    compared = [m for m in MARKERS if m.name in ref and m.name in pm]
    parts = [finding([m], 1.0)["log10_lr"] for m in compared]
    total = sum(parts)
    if math.isinf(total):
        assert whole["log10_lr"] == total
    else:
        assert math.isclose(whole["log10_lr"], total, rel_tol=1e-9, abs_tol=1e-9)
        per = whole["per_marker_log10_lr"]
        assert math.isclose(sum(per.values()), total, rel_tol=1e-9, abs_tol=1e-9)
    # the reliability weighs the whole profile once, not each marker
    weighed = finding(MARKERS, r)
    want = r * 10**total + (1 - r) if not math.isinf(total) else 1 - r
    if want > 0 and math.isfinite(want) and want < 1e300:
        assert math.isclose(weighed["lr"], want, rel_tol=1e-9)
        assert math.isclose(weighed["log10_lr"], math.log10(want), rel_tol=1e-9, abs_tol=1e-12)
