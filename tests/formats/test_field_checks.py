"""Issue 16: every reader refuses a value longer than its registry column, and NUL characters,
in one line naming the file, the line and the field, without the value.

The limits are :mod:`repatria.field_limits`, the very numbers of the registry's columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.codis_cmf import read_cmf
from repatria.formats.lab_exports import read_lab_export
from repatria.formats.text import check_field, decode_text
from repatria.registry import models

LAB = Path(__file__).resolve().parent / "data" / "lab"


def _refused(call, field: str, *secrets: str) -> FormatError:  # noqa: ANN001
    with pytest.raises(FormatError) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg and "\x00" not in msg, msg
    assert e.value.field == field, msg
    assert e.value.line is not None, msg
    for s in secrets:
        assert s not in msg, msg
    return e.value


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (models.Person.ref, L.REF),
        (models.Remains.ref, L.REF),
        (models.Sample.ref, L.REF),
        (models.Donor.ref, L.REF),
        (models.PedigreeMember.individual, L.REF),
        (models.PersonName.name, L.PERSON_NAME),
        (models.Genotype.marker, L.MARKER),
        (models.Genotype.allele1, L.ALLELE),
        (models.Genotype.allele2, L.ALLELE),
        (models.MarkerDefinition.name, L.MARKER),
        (models.CustodyEvent.location, L.PLACE),
        (models.User.name, L.USER_NAME),
    ],
)
def test_the_limits_are_the_registry_columns(column, limit) -> None:  # noqa: ANN001
    assert column.property.columns[0].type.length == limit


def test_check_field_never_shows_the_value() -> None:
    secret = "17.3/" * 20
    with pytest.raises(FormatError) as e:
        check_field(secret, L.ALLELE, file="pm.tsv", line=3, field="D8S1179")
    assert str(e.value).startswith("pm.tsv line 3 field `D8S1179`: is 100 characters")
    assert secret not in str(e.value)
    with pytest.raises(FormatError, match="NUL"):
        check_field("a\x00b", L.REF, file="pm.tsv", line=3, field="id")
    assert check_field("x" * L.REF, L.REF, file="f", line=1, field="id") == "x" * L.REF


def test_a_nul_in_utf16_text_is_refused_with_its_line() -> None:
    data = "\ufeffid\tname\nP-1\tKim\x00\n".encode("utf-16-le")
    e = _refused(lambda: decode_text(data, "p.tsv"), "encoding")
    assert e.line == 2


def test_a_stray_nul_in_utf8_text_says_so() -> None:
    e = _refused(lambda: decode_text(b"id\tname\nP-1\tKim\x00Young\n", "p.tsv"), "encoding")
    assert e.line == 2 and "NUL byte" in str(e) and "Young" not in str(e)


# ----------------------------------------------------------------------------- lab exports


def _wide(tmp_path: Path, sample: str, allele: str) -> Path:
    p = tmp_path / "wide.tsv"
    p.write_text(
        f"Sample Name\tD3S1358\tvWA\nPM-05\t15/16\t17\n{sample}\t14/{allele}\t18/19\n",
        encoding="utf-8",
    )
    return p


def test_lab_export_an_overlong_sample_name(tmp_path: Path) -> None:
    p = _wide(tmp_path, "S" * (L.REF + 1), "15")
    e = _refused(lambda: read_lab_export(p), "sample", "S" * 40, "18/19")
    assert e.line == 3


def test_lab_export_an_overlong_allele_label(tmp_path: Path) -> None:
    long_allele = "1" * (L.ALLELE + 1)
    p = _wide(tmp_path, "PM-06", long_allele)
    e = _refused(lambda: read_lab_export(p), "D3S1358", long_allele, "14/")
    assert e.line == 3


def test_lab_export_a_nul_in_a_sample_name(tmp_path: Path) -> None:
    p = _wide(tmp_path, "PM\x0006", "15")
    e = _refused(lambda: read_lab_export(p), "encoding", "18/19")
    assert e.line == 3


def test_cmf_an_overlong_specimen_id(tmp_path: Path) -> None:
    text = (LAB / "batch_cmf.xml").read_text(encoding="utf-8")
    p = tmp_path / "batch.xml"
    p.write_text(text.replace(">PM-07<", f">{'S' * (L.REF + 1)}<", 1), encoding="utf-8")
    _refused(lambda: read_cmf(p), "SPECIMEN/SPECIMENID", "S" * 40)


def test_cmf_a_nul_character_reference_is_refused(tmp_path: Path) -> None:
    text = (LAB / "batch_cmf.xml").read_text(encoding="utf-8")
    p = tmp_path / "batch.xml"
    p.write_text(text.replace(">PM-07<", ">PM&#0;07<", 1), encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_cmf(p)
    assert "\n" not in str(e.value) and e.value.line is not None


def test_a_frequency_table_with_an_overlong_allele_label(tmp_path: Path) -> None:
    from repatria.formats.frequency_resource import read_frequency_resource

    text = (LAB / "freq_famlinkx_long.csv").read_text(encoding="utf-8").splitlines()
    long_allele = "1" * (L.ALLELE + 1)
    cells = text[1].split(",")
    cells[1] = long_allele
    text[1] = ",".join(cells)
    p = tmp_path / "freq.csv"
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    e = _refused(lambda: read_frequency_resource(p), "allele", long_allele)
    assert e.line == 2
