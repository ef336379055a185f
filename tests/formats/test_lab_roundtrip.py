"""A long lab table written from random profiles reads back equal (issue 17, Deliver 3)."""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.formats.kit_merge import merge_samples
from repatria.formats.lab_exports import parse_lab_export
from repatria.kinship.pedigree import Sex

# canonical name -> spellings a lab might write
SPELLINGS = {
    "D8S1179": ["D8S1179", "D8", "d8s1179"],
    "vWA": ["vWA", "VWA", "HUMVWA"],
    "TH01": ["TH01", "TH-01", "THO1"],
    "Penta D": ["Penta D", "PentaD", "Penta_D"],
    "D2S441": ["D2S441"],
    "SE33": ["SE33"],
}
DESIGNATION = st.one_of(
    st.integers(5, 40).map(str),
    st.tuples(st.integers(5, 40), st.integers(1, 3)).map(lambda t: f"{t[0]}.{t[1]}"),
)
GENOTYPE = st.one_of(
    st.tuples(DESIGNATION, DESIGNATION),
    st.tuples(DESIGNATION, st.none()),  # a/-: written with the lab's '-'
)
PROFILE = st.fixed_dictionaries(
    {
        "genotypes": st.dictionaries(st.sampled_from(sorted(SPELLINGS)), GENOTYPE),
        "amel": st.sampled_from([None, ("X", "X"), ("X", "Y")]),
    }
)
SAMPLES = st.dictionaries(
    st.from_regex(r"[A-Z]{2}-[0-9]{1,4}", fullmatch=True), PROFILE, min_size=1, max_size=5
)


def _write(samples, *, delim, bom, crlf, homozygote_once, spelling, sample_file):
    header = ["Sample Name", "Marker", "Allele 1", "Allele 2", "Allele 3", "Height 1"]
    if sample_file:
        header.insert(0, "Sample File")
    rows = [header]
    for name, p in samples.items():
        cells = [(spelling(m), g) for m, g in p["genotypes"].items()]
        if p["amel"] is not None:
            cells.append(("AMEL", p["amel"]))
        for marker, (a, b) in cells:
            if b is None:
                alleles = [a, "-"]
            elif a == b and homozygote_once:
                alleles = [a, ""]
            else:
                alleles = [a, b]
            row = [name, marker, *alleles, "", "1500"]
            if sample_file:
                row.insert(0, f"{name}.hid")
            rows.append(row)
    text = ("\r\n" if crlf else "\n").join(delim.join(r) for r in rows) + "\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


@settings(max_examples=120, deadline=None)
@given(
    SAMPLES,
    st.sampled_from(["\t", ",", ";"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_long_table_round_trip(samples, delim, bom, crlf, once, sample_file, rnd):
    typed = {s: p for s, p in samples.items() if p["genotypes"] or p["amel"]}
    if not typed:
        return
    data = _write(
        typed,
        delim=delim,
        bom=bom,
        crlf=crlf,
        homozygote_once=once,
        spelling=lambda m: rnd.choice(SPELLINGS[m]),
        sample_file=sample_file,
    )
    export = parse_lab_export(data, "roundtrip.txt", kit="Kit")
    assert export.layout == "long" and export.samples == list(typed)
    for t in export.typings:
        p = typed[t.sample]
        assert dict(t.genotypes) == p["genotypes"]
        assert t.amelogenin == p["amel"]
        assert t.sex is {None: Sex.UNKNOWN, ("X", "X"): Sex.FEMALE, ("X", "Y"): Sex.MALE}[p["amel"]]
    # one kit per sample: the merged profile is the profile
    merged = merge_samples(export.typings)
    assert {s: dict(m.genotypes) for s, m in merged.items()} == {
        s: p["genotypes"] for s, p in typed.items()
    }
    assert not any(m.conflicts or m.notes for m in merged.values())


def _write_wide(samples, markers, *, pairs, delim):
    header = ["Sample Name"]
    for m in markers:
        header += [f"{m} Allele 1", f"{m} Allele 2"] if pairs else [m]
    rows = [header]
    for name, p in samples.items():
        row = [name]
        for m in markers:
            g = p["genotypes"].get(m)
            cells = ["", ""] if g is None else [g[0], "-" if g[1] is None else g[1]]
            row += cells if pairs else ["/".join(c for c in cells if c)]
        rows.append(row)
    return ("\n".join(delim.join(r) for r in rows) + "\n").encode("utf-8")


@settings(max_examples=80, deadline=None)
@given(SAMPLES, st.booleans(), st.sampled_from(["\t", ";"]))
def test_wide_table_round_trip(samples, pairs, delim):
    markers = sorted({m for p in samples.values() for m in p["genotypes"]}) or ["vWA"]
    export = parse_lab_export(_write_wide(samples, markers, pairs=pairs, delim=delim), "w.txt")
    assert export.layout == "wide" and export.samples == list(samples)
    assert {t.sample: dict(t.genotypes) for t in export.typings} == {
        s: p["genotypes"] for s, p in samples.items()
    }
