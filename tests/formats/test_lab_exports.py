"""GeneMapper-style lab exports (issue 17, Deliver 3): long and wide tables, read all or nothing."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from lab_helpers import LAB, assert_refused

from repatria.formats.lab_exports import parse_lab_export, read_lab_export
from repatria.formats.lab_typing import read_call
from repatria.formats.marker_names import canonical_marker, is_amelogenin, is_y_marker
from repatria.kinship.pedigree import Sex


def _by_sample(export):
    return {t.sample: t for t in export.typings}


# -- long ---------------------------------------------------------------------------------------


def test_long_genemapper_table():
    e = read_lab_export(LAB / "genemapper_long.txt")
    assert e.layout == "long" and e.encoding == "utf-8"
    assert e.samples == ["PM-01", "PM-02"]
    assert e.skipped_rows == 2  # the allelic ladder and the negative control
    assert "Height 1" in e.ignored_columns and "Dye" in e.ignored_columns
    pm1 = _by_sample(e)["PM-01"]
    assert pm1.kit == "Identifiler_v1" and pm1.run == "B01_PM-01.hid"
    assert dict(pm1.genotypes) == {
        "D8S1179": ("12", "14"),
        "D21S11": ("29", "30.2"),
        "vWA": ("16", "16"),  # one allele alone: a homozygote
        "TH01": ("6", None),  # 6 beside '-': a lost allele
        "FGA": ("22", None),  # OL beside 22: an allele with no designation
        "D2S1338": ("17", "23"),  # 'D2', Identifiler's short name
    }
    assert "D18S51" not in pm1.genotypes  # '?' alone: untyped
    assert pm1.off_ladder == ("FGA",)
    assert pm1.sex is Sex.MALE and pm1.amelogenin == ("X", "Y")
    assert "AMEL" not in pm1.genotypes  # the sex, never an STR
    pm2 = _by_sample(e)["PM-02"]
    assert pm2.sex is Sex.FEMALE and "TH01" not in pm2.genotypes
    assert e.marker_names["D2"] == "D2S1338"
    assert len(e.sha256) == 64


def test_bom_and_crlf_read_as_the_same_table():
    plain = read_lab_export(LAB / "genemapper_long.txt")
    excel = read_lab_export(LAB / "genemapper_long_bom_crlf.txt")
    assert (LAB / "genemapper_long_bom_crlf.txt").read_bytes().startswith(codecs.BOM_UTF8)
    assert b"\r\n" in (LAB / "genemapper_long_bom_crlf.txt").read_bytes()
    assert [dict(t.genotypes) for t in plain.typings] == [dict(t.genotypes) for t in excel.typings]
    assert [t.sex for t in plain.typings] == [t.sex for t in excel.typings]
    assert plain.sha256 != excel.sha256


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252"])
def test_other_encodings(tmp_path, encoding):
    text = (LAB / "genemapper_long.txt").read_text(encoding="utf-8").replace("PM-02", "PM-Sø")
    p = tmp_path / "export.txt"
    p.write_bytes(text.encode(encoding))
    e = read_lab_export(p)
    assert e.samples == ["PM-01", "PM-Sø"]


def test_kit_argument_wins_over_panel_and_file_name_is_the_last_resort(tmp_path):
    assert {t.kit for t in read_lab_export(LAB / "genemapper_long.txt", kit="ID").typings} == {"ID"}
    p = tmp_path / "run7.csv"
    p.write_text("Sample Name,Marker,Allele 1,Allele 2\nPM-1,vWA,16,17\n")
    assert read_lab_export(p).typings[0].kit == "run7"


def test_long_typings_are_per_sample_kit_and_run(tmp_path):
    p = tmp_path / "two_runs.txt"
    p.write_text(
        "Sample File\tSample Name\tMarker\tAllele 1\tAllele 2\n"
        "a.hid\tPM-1\tvWA\t16\t17\n"
        "b.hid\tPM-1\tvWA\t16\t17\n"
    )
    e = read_lab_export(p)
    assert [(t.sample, t.run, t.line) for t in e.typings] == [
        ("PM-1", "a.hid", 2),
        ("PM-1", "b.hid", 3),
    ]


def test_ladder_rows_without_a_sample_type_column_are_left_out(tmp_path):
    p = tmp_path / "ladder.txt"
    p.write_text(
        "Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3\n"
        "Ladder_01\tvWA\t11\t12\t13\nPM-1\tvWA\t16\t17\t\n"
    )
    e = read_lab_export(p)
    assert e.samples == ["PM-1"] and e.skipped_rows == 1


def test_y_markers_are_kept_apart(tmp_path):
    p = tmp_path / "gf.txt"
    p.write_text(
        "Sample Name\tMarker\tAllele 1\tAllele 2\n"
        "PM-1\tDYS391\t10\t\nPM-1\tYindel\t2\t\nPM-1\tD3S1358\t15\t16\n"
    )
    t = read_lab_export(p).typings[0]
    assert dict(t.genotypes) == {"D3S1358": ("15", "16")}
    assert dict(t.other) == {"DYS391": ("10",), "Yindel": ("2",)}


# -- wide ---------------------------------------------------------------------------------------


def test_wide_allele_pairs():
    e = read_lab_export(LAB / "wide_pairs.csv")
    assert e.layout == "wide" and e.ignored_columns == ("Comment",)
    s = _by_sample(e)
    assert s["PM-01"].kit == "PowerPlex Fusion"
    assert dict(s["PM-01"].genotypes) == {
        "D8S1179": ("12", "14"),
        "vWA": ("16", "16"),
        "TH01": ("6", "9.3"),
        "Penta D": ("9", "12"),
    }
    assert s["PM-01"].sex is Sex.MALE
    assert dict(s["PM-03"].genotypes) == {"D8S1179": ("10", "11"), "vWA": ("17", None)}
    assert s["PM-03"].off_ladder == ("vWA",) and s["PM-03"].sex is Sex.FEMALE
    assert s["PM-04"].genotypes["D8S1179"] == ("13", None)
    assert s["PM-04"].sex is Sex.UNKNOWN  # X beside '-': the Y may have dropped out
    assert e.marker_names == {
        "D8S1179": "D8S1179",
        "VWA": "vWA",
        "TH-01": "TH01",
        "Penta D": "Penta D",
        "AMEL": "AMEL",
    }


def test_wide_one_column_per_marker():
    e = read_lab_export(LAB / "wide_columns.tsv")
    s = _by_sample(e)
    assert dict(s["PM-05"].genotypes) == {
        "D3S1358": ("15", "16"),
        "vWA": ("17", "17"),
        "FGA": ("21", "22"),
    }
    assert s["PM-05"].sex is Sex.MALE
    assert dict(s["PM-06"].genotypes) == {"D3S1358": ("14", None), "FGA": ("23", None)}
    assert s["PM-06"].off_ladder == ("FGA",) and s["PM-06"].sex is Sex.FEMALE
    assert e.ignored_columns == ("Notes",)


def test_genotype_fields_stay_out_of_repr():
    e = read_lab_export(LAB / "wide_columns.tsv")
    assert "15" not in repr(e.typings[0]) and "21" not in repr(e)


# -- the call rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells,genotype,ol",
    [
        (["12", "14"], ("12", "14"), False),
        (["12", ""], ("12", "12"), False),
        (["12", "12"], ("12", "12"), False),
        (["12", "-"], ("12", None), False),
        (["-", "12"], ("12", None), False),
        (["12", "?"], ("12", None), False),
        (["OL", "12"], ("12", None), True),
        (["off-ladder", "12"], ("12", None), True),
        ([">30", "21"], ("21", None), True),
        (["OL", ""], None, True),
        (["?", "?"], None, False),
        (["", ""], None, False),
        (["-", "-"], None, False),
        (["9.3", "10", "", ""], ("9.3", "10"), False),
    ],
)
def test_call_rules(cells, genotype, ol):
    c = read_call(cells, file="f", line=2, field="x")
    assert c.genotype == genotype and c.off_ladder is ol


def test_marker_aliases():
    assert {canonical_marker(n) for n in ("vWA", "VWA", "HUMVWA", "v-WA")} == {"vWA"}
    assert {canonical_marker(n) for n in ("TH01", "TH-01", "THO1", "th_01")} == {"TH01"}
    assert {canonical_marker(n) for n in ("Penta D", "PentaD", "Penta_D", "PENTA-D")} == {"Penta D"}
    assert canonical_marker("D2") == "D2S1338" and canonical_marker("D2S441") == "D2S441"
    assert canonical_marker(" D22GATA198B05 ") == "D22GATA198B05"  # unknown: as written
    assert is_amelogenin("Amelogenin") and is_amelogenin("AMEL") and not is_amelogenin("AM1")
    assert is_y_marker("DYS385") and is_y_marker("Y indel") and not is_y_marker("D8S1179")


# -- refusals: one line naming file, line and field; never an allele -----------------------------

HEADER = "Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3"


def _write(tmp_path: Path, text: str, name: str = "bad.txt") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


REFUSALS = [
    # (file text, line, field, what the message says)
    ("Name\tMarker\tAllele 1\nPM-1\tvWA\t16\n", 1, "header", "Sample Name"),
    ("Sample Name\tMarker\tHeight\nPM-1\tvWA\t16\n", 1, "header", "Allele 1"),
    (f"{HEADER}\nPM-1\tvWA\t27.3x\t16\t\n", 2, "vWA alleles", "not an allele designation"),
    (f"{HEADER}\nPM-1\tvWA\t27.3\t31.2\t17.3\n", 2, "vWA alleles", "mixture"),
    (f"{HEADER}\nPM-1\tvWA\t27.3\t31.2\t\nPM-1\tVWA\t27.3\t\t\n", 3, "VWA alleles", "twice"),
    (f"{HEADER}\n\tvWA\t27.3\t31.2\t\n", 2, "Sample Name", "empty sample"),
    (f"{HEADER}\nPM-1\t\t27.3\t31.2\t\n", 2, "Marker", "empty marker"),
    (f"{HEADER}\nPM-1\tAMEL\tX\tZ\t\n", 2, "AMEL alleles", "X or Y"),
    (f"{HEADER}\n", 1, "rows", "no samples"),
    (
        "Sample Name\tSample\tMarker\tAllele 1\nPM-1\tPM-1\tvWA\t27.3\n",
        1,
        "Sample",
        "two sample",
    ),
    ("Sample Name,vWA,VWA\nPM-1,27.3/31.2,27.3/31.2\n", 1, "VWA", "two columns"),
    ("Sample Name,Comment\nPM-1,27.3/31.2\n", 1, "header", "no marker columns"),
    ("Sample Name,D8S1179 Allele 1,D8S1179 Allele 2\nPM-1,27.3,X\n", 2, "D8S1179 alleles", ""),
    ("Sample Name,vWA\nPM-1,27.3/31.2/17.3\n", 2, "vWA", "mixture"),
]


@pytest.mark.parametrize("text,line,field,says", REFUSALS)
def test_refusals_name_file_line_field_and_no_allele(tmp_path, text, line, field, says):
    p = _write(tmp_path, text)
    assert_refused(
        lambda: read_lab_export(p),
        file=p,
        line=line,
        field=field,
        secrets=("27.3", "31.2", "17.3"),
        says=says,
    )


def test_a_cut_line_and_a_long_line_are_refused(tmp_path):
    p = _write(tmp_path, f"{HEADER}\nPM-1\tvWA\t27.3\t31.2\t\nPM-1\tTH01\t27.3\n")
    assert_refused(
        lambda: read_lab_export(p), file=p, line=3, field="columns", secrets=["27.3"], says="cut"
    )
    p = _write(tmp_path, f"{HEADER}\nPM-1\tvWA\t27.3\t31.2\t\t31.2\n")
    assert_refused(lambda: read_lab_export(p), file=p, line=2, field="columns", secrets=["31.2"])


def test_a_trailing_tab_more_or_less_is_read(tmp_path):
    p = _write(tmp_path, "Sample Name\tMarker\tAllele 1\tAllele 2\t\nPM-1\tvWA\t16\t17\n")
    assert dict(read_lab_export(p).typings[0].genotypes) == {"vWA": ("16", "17")}
    p = _write(tmp_path, "Sample Name\tMarker\tAllele 1\tAllele 2\nPM-1\tvWA\t16\t17\t\n")
    assert dict(read_lab_export(p).typings[0].genotypes) == {"vWA": ("16", "17")}


def test_an_unclosed_quote_is_refused(tmp_path):
    p = _write(tmp_path, 'Sample Name,Marker,Allele 1\nPM-1,vWA,"27.3\n', "q.csv")
    assert_refused(lambda: read_lab_export(p), file=p, line=2, field="quotes", secrets=["27.3"])


def test_a_binary_file_is_refused_in_one_line(tmp_path):
    p = tmp_path / "export.xlsx"
    p.write_bytes(b"PK\x03\x04\x00\x00binary\x00")
    assert_refused(lambda: read_lab_export(p), file=p, line=1, field="encoding", says="text")


def test_all_or_nothing_a_late_error_returns_nothing(tmp_path):
    good = (LAB / "genemapper_long.txt").read_text()
    p = _write(tmp_path, good + "B09_X.hid\tPM-09\tSample\tId\tvWA\tG\t27.3q\t\t\t\t\t\t\t\t\n")
    n = len(good.splitlines()) + 1
    assert_refused(lambda: read_lab_export(p), file=p, line=n, field="vWA alleles", secrets=["27"])


def test_parse_from_bytes_names_the_file():
    e = parse_lab_export(b"Sample Name,vWA\nPM-1,16/17\n", "upload.csv")
    assert e.file == "upload.csv" and e.typings[0].source == "upload.csv line 2"
