"""Several kits on one sample merged into one profile (issue 17, Deliver 3): conflicts listed,
left untyped, never resolved."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lab_helpers import LAB

from repatria.formats.kit_merge import merge_kits, merge_samples
from repatria.formats.lab_exports import read_lab_export
from repatria.formats.lab_typing import LabTyping
from repatria.kinship.pedigree import Sex


def _t(kit, genotypes, *, amel=None, ol=(), sample="PM-1", line=2):
    return LabTyping(
        sample,
        kit,
        f"{kit}.txt line {line}",
        f"{kit}.txt",
        line,
        genotypes=genotypes,
        amelogenin=amel,
        off_ladder=tuple(ol),
    )


def test_two_kit_files():
    a = read_lab_export(LAB / "kit_identifiler.txt", kit="Identifiler")
    b = read_lab_export(LAB / "kit_globalfiler.txt", kit="GlobalFiler")
    merged = merge_samples([*a.typings, *b.typings])
    assert list(merged) == ["PM-01", "PM-02"]
    pm1 = merged["PM-01"]
    assert dict(pm1.genotypes) == {
        "D8S1179": ("12", "14"),  # concordant, allele order ignored
        "vWA": ("16", "17"),  # vWA / VWA: one marker
        "TH01": ("6", "9.3"),  # 6/- completed by 6/9.3, with a note
        "SE33": ("19", "27.2"),  # one kit only
    }
    assert "FGA" not in pm1.genotypes  # 20/21 against 20/22: left untyped
    (c,) = pm1.conflicts
    assert (c.marker, c.kits) == ("FGA", ("Identifiler", "GlobalFiler"))
    assert c.sources == (f"{a.file} line 5", f"{b.file} line 5")
    assert c.calls == (("20", "21"), ("20", "22"))  # in the record ...
    text = c.message
    for src in c.sources:
        text = text.replace(src, "")
    for allele in ("20", "21", "22"):
        assert allele not in text  # ... never in the message
    assert "calls" not in repr(c) and "21" not in repr(c)
    (n,) = pm1.notes
    assert n.marker == "TH01" and "partial" in n.message and "9.3" not in n.message
    assert pm1.sex is Sex.MALE and pm1.kits == ("Identifiler", "GlobalFiler")
    assert pm1.typed_by["SE33"] == ("GlobalFiler",)
    pm2 = merged["PM-02"]
    assert dict(pm2.genotypes) == {"D8S1179": ("13", "13"), "vWA": ("15", "18")}
    assert not pm2.conflicts and not pm2.notes and pm2.sex is Sex.UNKNOWN


@pytest.mark.parametrize(
    "calls,expected,conflict,note",
    [
        # concordant repeats agree
        ([("16", "17"), ("17", "16"), ("16", "17")], ("16", "17"), False, False),
        # a/- and a/b: a/b with a note; a/- and a/a: a/a
        ([("16", None), ("16", "17")], ("16", "17"), False, True),
        ([("16", "17"), (None, "17")], ("16", "17"), False, True),
        ([("16", None), ("16", "16")], ("16", "16"), False, True),
        # a/- and b/-: a/b; a/- and a/-: a/-
        ([("16", None), ("17", None)], ("16", "17"), False, True),
        ([("16", None), ("16", None)], ("16", None), False, False),
        # conflicts
        ([("16", "17"), ("16", "18")], None, True, False),
        ([("16", "16"), ("16", "17")], None, True, False),
        ([("15", None), ("16", "17")], None, True, False),
        ([("15", None), ("16", None), ("17", None)], None, True, False),
    ],
)
def test_merge_rules(calls, expected, conflict, note):
    m = merge_kits([_t(f"K{i}", {"vWA": g}, line=i + 2) for i, g in enumerate(calls)])
    assert m.genotypes.get("vWA") == expected
    assert bool(m.conflicts) is conflict and bool(m.notes) is note
    if conflict:
        assert m.conflicts[0].calls == tuple(calls)
        assert m.conflicts[0].kits == tuple(f"K{i}" for i in range(len(calls)))


def test_an_off_ladder_partial_call_is_a_second_allele():
    ol = _t("A", {"FGA": ("22", None)}, ol=["FGA"])
    assert merge_kits([ol, _t("B", {"FGA": ("22", "22")})]).conflicts  # OL is not 22
    m = merge_kits([ol, _t("B", {"FGA": ("22", "26.2")})])  # B designates it
    assert m.genotypes["FGA"] == ("22", "26.2") and m.notes and m.off_ladder == ("FGA",)


def test_amelogenin_merged_as_the_sex():
    x_y, x_x, x_ = ("X", "Y"), ("X", "X"), ("X", None)
    assert merge_kits([_t("A", {}, amel=x_), _t("B", {}, amel=x_y)]).sex is Sex.MALE
    assert merge_kits([_t("A", {}, amel=x_x), _t("B", {}, amel=x_x)]).sex is Sex.FEMALE
    m = merge_kits([_t("A", {}, amel=x_x), _t("B", {}, amel=x_y)])
    assert m.sex is Sex.UNKNOWN and [c.marker for c in m.conflicts] == ["AMEL"]
    assert "AMEL" not in m.genotypes and "AMEL" not in m.typed_by


def test_merge_kits_is_for_one_sample():
    with pytest.raises(ValueError):
        merge_kits([_t("A", {}), _t("B", {}, sample="PM-2")])
    with pytest.raises(ValueError):
        merge_kits([])


ALLELES = st.sampled_from(["6", "9.3", "12", "13", "14", "15.2"])
CALL = st.one_of(
    st.tuples(ALLELES, ALLELES), st.tuples(ALLELES, st.none()), st.tuples(st.none(), ALLELES)
)
TYPING = st.dictionaries(st.sampled_from(["vWA", "TH01", "FGA", "D8S1179"]), CALL, max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(TYPING, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_merge_does_not_depend_on_the_order_of_the_kits(typings, rnd):
    ts = [_t(f"K{i}", g, line=i + 2) for i, g in enumerate(typings)]
    shuffled = list(ts)
    rnd.shuffle(shuffled)
    a, b = merge_kits(ts), merge_kits(shuffled)
    assert {m: sorted(g, key=str) for m, g in a.genotypes.items()} == {
        m: sorted(g, key=str) for m, g in b.genotypes.items()
    }
    assert {c.marker for c in a.conflicts} == {c.marker for c in b.conflicts}
    # a merged marker holds every allele any kit saw; a conflict marker is untyped
    for m, g in a.genotypes.items():
        seen = {x for t in ts for x in t.genotypes.get(m, ()) if x is not None}
        assert seen <= set(g)
    assert not {c.marker for c in a.conflicts} & set(a.genotypes)
