"""Familias files without a DVI section (paternity / kinship cases), against the pedsuite."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from repatria.errors import FormatError
from repatria.formats.fam_kinship import read_fam_kinship
from repatria.kinship.pedigree import Sex
from repatria.services.pipelines.kinship_eval import evaluate_fam

DATA = Path(__file__).parent / "data"
PATERNITY = DATA / "paternity.fam"  # pedFamilias inst/extdata (see data/SOURCES.md)


def test_paternity_pedigrees_and_genotypes():
    case = read_fam_kinship(PATERNITY)
    assert list(case.pedigrees) == ["H1", "H2"]
    h1, h2 = case.pedigrees["H1"], case.pedigrees["H2"]
    assert (h1["CH"].father, h1["CH"].mother) == ("AF", "MO")
    assert h1["AF"].sex == Sex.MALE and h1["MO"].sex == Sex.FEMALE
    assert all(ind.is_founder for ind in h2)  # the "unrelated" hypothesis
    assert [m.name for m in case.markers][:3] == ["D3S1358", "TH01", "D21S11"]
    assert len(case.markers) == 10
    # AF's first genotype is "7 / 7 / 0": alleles 8 and 8 (0-based 7) of D3S1358 -> 17/17
    assert case.profiles["AF"]["D3S1358"] == ("17", "17")
    assert case.profiles["CH"]["D3S1358"] == ("16", "17")
    assert "MO" not in case.profiles
    d3 = case.markers[0]
    assert d3.male is not None and d3.male.params["rate"] == 0.002  # step-ext, male 0.002
    assert d3.female is not None and d3.female.params["rate"] == 0.001


def test_paternity_lr_is_the_pedsuites():
    """pedFamilias README: ``forrel::kinshipLR(readFam("paternity.fam"))`` = 760.3445 (H1:H2)."""
    r = evaluate_fam(PATERNITY)
    assert r.names == ("H1", "H2")
    lr = math.exp(r.logliks[0] - r.logliks[1])
    assert lr == pytest.approx(760.3445, abs=5e-5)
    assert r.lr["H1"] == pytest.approx(lr, rel=1e-12) and r.lr["H2"] == 1.0
    d = r.to_dict()
    assert [p["name"] for p in d["pedigrees"]] == ["H1", "H2"]
    assert d["markers"][0] == "D3S1358" and len(d["markers"]) == 10


def test_dvi_file_is_not_a_kinship_case(tmp_path):
    from test_fam import SMALL

    p = tmp_path / "dvi.fam"
    p.write_text(SMALL)
    with pytest.raises(FormatError, match="dvi analyse") as ei:
        read_fam_kinship(p)
    assert ei.value.line is not None


def test_genotype_index_out_of_range(tmp_path):
    lines = PATERNITY.read_text().splitlines()
    # AF's first genotype: lines 12-14 are allele1, allele2, locus
    assert lines[11:14] == ["7", "7", "0"]
    lines[12] = "40"
    p = tmp_path / "bad.fam"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="allele number 41") as ei:
        read_fam_kinship(p)
    assert ei.value.line == 13 and str(p) in str(ei.value)


def test_relation_to_unknown_person(tmp_path):
    text = PATERNITY.read_text().replace(
        '"H1"\n0\n0\n2\n0\n2\n1\n2\n', '"H1"\n0\n0\n2\n0\n2\n1\n9\n'
    )
    p = tmp_path / "bad.fam"
    p.write_text(text)
    with pytest.raises(FormatError, match="person number 10") as ei:
        read_fam_kinship(p)
    assert ei.value.line is not None


def test_database_of_any_fam_file(tmp_path):
    from test_fam import SMALL

    from repatria.formats.fam_kinship import read_fam_database

    markers = read_fam_database(PATERNITY)
    assert len(markers) == 10 and markers[1].name == "TH01"
    assert markers[1].alleles[:5] == ("5", "6", "7", "8", "8.3")
    assert markers[1].afreq[0] == pytest.approx(0.0030252481, rel=1e-12)
    # a database saved on its own: the header without persons, then the loci
    db_only = SMALL.split("\n\n[DVI]")[0] + "\n"
    p = tmp_path / "db.fam"
    p.write_text(db_only)
    da, db = read_fam_database(p)
    assert (da.name, da.alleles) == ("DA", ("10", "11", "12"))
    assert db.male is not None and db.male.params["familias_model"] == "step-ext"
