"""Frequency tables as a versioned resource (issue 17, Deliver 4, the pure half)."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest
from lab_helpers import LAB, assert_refused

from repatria.formats.frequencies import read_frequency_table
from repatria.formats.frequency_resource import parse_frequency_resource, read_frequency_resource
from repatria.formats.marker_names import canonical_marker
from shared_data import FREQUENCY_TABLES

BUNDLED = Path(__file__).resolve().parents[2] / "src" / "repatria" / "data" / "frequencies"
SHARED = FREQUENCY_TABLES  # ../shared/frequencies, or the bundled copy
EXPECTED = {"D8S1179": {"12": 0.15, "13": 0.35, "14": 0.5}, "Penta D": {"9": 0.2, "12": 0.8}}


@pytest.mark.parametrize(
    "name,layout",
    [
        ("freq_familias_list.txt", "list"),
        ("freq_famlinkx_long.csv", "long"),
        ("freq_ladder.txt", "ladder"),
        ("freq_merlin.txt", "merlin"),
    ],
)
def test_four_layouts_of_one_table(name, layout):
    r = read_frequency_resource(LAB / name)
    assert r.layout == layout
    assert {m: dict(f) for m, f in r.frequencies.items()} == EXPECTED
    assert r.sha256 == hashlib.sha256((LAB / name).read_bytes()).hexdigest()
    assert r.version == f"sha256:{r.sha256[:12]}" and r.name == Path(name).stem
    assert r.source == str(LAB / name)


def test_strider_export_one_population():
    r = read_frequency_resource(LAB / "freq_strider.csv", population="south region")
    assert (r.layout, r.population) == ("strider", "SOUTH REGION")
    assert {m: dict(f) for m, f in r.frequencies.items()} == EXPECTED
    assert dict(r.sample_sizes) == {"D8S1179": 200, "Penta D": 100}  # D2S1360: not typed there
    europe = read_frequency_resource(LAB / "freq_strider.csv", population="Europe")
    assert europe.markers == ["D8S1179", "D2S1360"] and europe.sample_sizes["D2S1360"] == 400


def test_strider_refusals(tmp_path):
    p = LAB / "freq_strider.csv"
    assert_refused(
        lambda: read_frequency_resource(p), file=p, line=2, field="population", says="name one"
    )
    assert_refused(
        lambda: read_frequency_resource(p, population="Mars"),
        file=p,
        line=2,
        field="population",
        says="not a column",
    )
    bad = tmp_path / "strider.csv"
    bad.write_text("vWA\nAllele,X\n,50\n16,0.5\n17,half\n")
    assert_refused(lambda: read_frequency_resource(bad), file=bad, line=5, field="X")


def test_name_version_source_given():
    r = read_frequency_resource(
        LAB / "freq_famlinkx_long.csv", name="famlinkx", version="2024-1", source="FamLinkX demo"
    )
    assert (r.id, r.source) == ("famlinkx@2024-1", "FamLinkX demo")
    t = r.table()
    assert t.id == "famlinkx@2024-1" and t.source == "FamLinkX demo"
    m = t.marker("Penta D")
    assert m.alleles == ("9", "12") and abs(float(m.afreq.sum()) - 1) < 1e-12


def _tables():
    files = sorted(BUNDLED.glob("*.tsv"))
    if SHARED.is_dir():
        files += sorted(SHARED.glob("*.tsv"))
    return files


@pytest.mark.parametrize("path", _tables(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_project_tables_read_as_the_existing_reader_reads_them(path):
    r = read_frequency_resource(path)
    old = read_frequency_table(path)
    assert r.layout == "long"
    assert {m: dict(f) for m, f in r.frequencies.items()} == {
        canonical_marker(m): f for m, f in old.frequencies.items()
    }


def test_shared_tables_join_on_canonical_names():
    nist = read_frequency_resource(SHARED / "nist1036_us_asian.tsv")
    strider = read_frequency_resource(SHARED / "strider_poland.tsv")
    assert "Penta D" in nist.markers and "Penta_D" in nist.marker_names
    assert "vWA" in strider.markers and strider.marker_names["VWA"] == "vWA"


def test_text_as_it_comes_and_decimal_commas():
    text = "Marker;Allele;Frequency\r\nD8S1179;12;0,25\r\nD8S1179;13;0,75\r\n"
    for data in (codecs.BOM_UTF8 + text.encode(), text.encode("utf-16"), text.encode("cp1252")):
        r = parse_frequency_resource(data, "lab.csv")
        assert dict(r.frequencies["D8S1179"]) == {"12": 0.25, "13": 0.75}


def test_layout_named():
    r = parse_frequency_resource(b"vWA\n16\t0.5\n17\t0.5\n", "x.txt", layout="list")
    assert r.layout == "list" and r.markers == ["vWA"]


REFUSALS = [
    # (text, line, field, says)
    ("marker\tallele\tfrequency\nvWA\t16\tabc\n", 2, "frequency", "not a number"),
    ("marker\tallele\tfrequency\nvWA\t16\t1.5\n", 2, "frequency", "outside (0, 1]"),
    ("marker\tallele\tfrequency\nvWA\t16\t0.5\nvWA\t16\t0.5\n", 3, "allele", "twice"),
    ("marker\tallele\tfrequency\nvWA\t16\t0.5\nvWA\t\t0.5\n", 3, "allele", "empty allele"),
    ("marker\tallele\tfrequency\nvWA\t16\t1\nVWA\t17\t1\n", 3, "marker", "spelled two ways"),
    ("marker\tallele\tfrequency\nTH01\t6\t1\nvWA\t16\t0.5\nvWA\t17\t0.3\n", 3, "frequency", "sum"),
    ("marker\tallele\tfrequency\nvWA\t16\n", 2, "columns", "expected 3 fields"),
    ("marker\tallele\tfrequency\n", 1, "rows", "no frequencies"),
    ("locus\tallele\tcount\nvWA\t16\t12\n", 1, "header", "no frequency column"),
    ("x\ty\tz\n1\t2\t3\n", 1, "header", "not a frequency table layout"),
    ("vWA\n16\t0.5\t0.1\n", 2, "columns", "expected allele and frequency"),
    ("Allele\tvWA\tTH01\n16\t0.5\t1\n17\t0.5\tnope\n", 3, "TH01", "not a number"),
    ("M vWA\nA 16 0.5\nB 17 0.5\n", 3, "line", "expected `M marker`"),
]


@pytest.mark.parametrize("text,line,field,says", REFUSALS)
def test_refusals_name_file_line_and_field(tmp_path, text, line, field, says):
    p = tmp_path / "freq.txt"
    p.write_text(text)
    assert_refused(lambda: read_frequency_resource(p), file=p, line=line, field=field, says=says)


def test_empty_and_binary_files(tmp_path):
    p = tmp_path / "empty.tsv"
    p.write_text("\n\n")
    assert_refused(lambda: read_frequency_resource(p), file=p, line=1, field="rows", says="empty")
    p = tmp_path / "freq.xlsx"
    p.write_bytes(b"PK\x03\x04\x00\x00\x00")
    assert_refused(lambda: read_frequency_resource(p), file=p, line=1, field="encoding")
