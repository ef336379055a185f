"""Text as it comes (issue 17): BOM, CRLF, UTF-16 and latin-1 read; binary files refused."""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

import pytest

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder, write_case_folder
from repatria.formats.fam import FamWarning, read_fam
from repatria.formats.frequencies import read_frequency_table
from repatria.formats.text import decode_text, read_text

TEXT = "id\tsex\r\nSøren\t1\r\n"


@pytest.mark.parametrize(
    "data,encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # Windows programs, no BOM
        (TEXT.encode("latin-1"), "cp1252"),
    ],
)
def test_encodings_are_read(data, encoding):
    t = decode_text(data, "x.tsv")
    assert t.encoding == encoding
    assert t.lines() == ["id\tsex", "Søren\t1"]


def test_latin1_bytes_undefined_in_cp1252():
    assert decode_text(b"a\x81b", "x.tsv").text == "a\x81b"


def test_binary_is_refused_in_one_line(tmp_path):
    p = tmp_path / "pm.tsv"
    p.write_bytes(b"id\tsex\nPK\x03\x04\x00\x00\x01")
    with pytest.raises(FormatError) as ei:
        read_text(p)
    e = ei.value
    assert (e.file, e.line, e.field) == (str(p), 2, "encoding")
    assert "\n" not in str(e) and "not a text file" in str(e)


def test_bad_utf8_after_a_bom_is_refused(tmp_path):
    with pytest.raises(FormatError, match="utf-8") as ei:
        decode_text(codecs.BOM_UTF8 + b"ok\n\xff\xfe\xfd", "x.tsv")
    assert ei.value.line == 2


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FormatError, match="not found"):
        read_text(tmp_path / "nope.tsv")
    with pytest.raises(FormatError, match="folder"):
        read_text(tmp_path)


def _case(tmp_path: Path) -> Path:
    from test_fam import SMALL

    fam = tmp_path / "small.fam"
    fam.write_text(SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        problem = read_fam(fam)
    return write_case_folder(problem, tmp_path / "case")


def test_case_folder_as_spreadsheets_write_it(tmp_path):
    folder = _case(tmp_path)
    want = read_case_folder(folder)
    pm = folder / "pm.tsv"
    pm.write_bytes(codecs.BOM_UTF8 + pm.read_text().replace("\n", "\r\n").encode("utf-8"))
    am = folder / "am.tsv"
    am.write_bytes(codecs.BOM_UTF16_LE + am.read_text().encode("utf-16-le"))
    got = read_case_folder(folder)
    assert got.pm == want.pm
    assert {v: dict(p) for v, p in got.pm_profiles.items()} == {
        v: dict(p) for v, p in want.pm_profiles.items()
    }
    assert got.missing == want.missing and list(got.families) == list(want.families)


def test_case_folder_binary_pm_is_one_clean_error(tmp_path):
    folder = _case(tmp_path)
    (folder / "pm.tsv").write_bytes(b"\x00\x01\x02\x03binary")
    with pytest.raises(FormatError, match="not a text file") as ei:
        read_case_folder(folder)
    assert ei.value.field == "encoding" and ei.value.line == 1


def test_frequency_table_with_bom_and_latin1(tmp_path):
    p = tmp_path / "freqs.tsv"
    body = "marker\tallele\tfrequency\r\nD1\t10\t0.4\r\nD1\t11\t0.6\r\n"
    p.write_bytes(codecs.BOM_UTF8 + body.encode("utf-8"))
    t = read_frequency_table(p, source="Sønderborg lab")
    assert t.frequencies == {"D1": {"10": 0.4, "11": 0.6}}
    p.write_bytes(body.replace("D1", "DÆ1").encode("latin-1"))
    assert list(read_frequency_table(p).frequencies) == ["DÆ1"]


def test_fam_file_in_utf16(tmp_path):
    from test_fam import SMALL

    p = tmp_path / "small16.fam"
    p.write_bytes(codecs.BOM_UTF16_LE + SMALL.replace("\n", "\r\n").encode("utf-16-le"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FamWarning)
        assert read_fam(p).pm == ("V1", "V2")
