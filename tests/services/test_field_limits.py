"""Issue 16: values too long for their column, and NUL characters, refused where they come in.

Each import is refused in one line naming the file, the line and the field, before the database
is touched (nothing is stored), and the line never shows the value: on SQLite (which would
store anything) and on PostgreSQL (which would fail half-way with the row in its error).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exchange_case import write_case
from registry_samples import raw_connect, write_persons

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.imports import import_persons
from shared_data import REFERENCE_CASES, require_shared

LONG_ALLELE = "1" + "0" * L.ALLELE  # a label one longer than the column
LONG_REF = "P-" + "9" * L.REF


def _count(db: str, table: str) -> int:
    conn = raw_connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def _refused(call, file: Path, field: str, *secrets: str) -> FormatError:  # noqa: ANN001
    with pytest.raises(FormatError) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg, msg
    assert e.value.file == str(file), msg
    assert e.value.line is not None, msg
    assert e.value.field == field, msg
    for s in secrets:
        assert s not in msg, msg
    assert "\x00" not in msg
    return e.value


# ----------------------------------------------------------------------------- registry TSV


def test_persons_tsv_an_overlong_ref_names_line_and_field(db: str, tmp_path: Path) -> None:
    path = write_persons(tmp_path / "persons.tsv", 3)
    lines = path.read_text().splitlines()
    lines[2] = LONG_REF + lines[2][lines[2].index("\t") :]
    path.write_text("\n".join(lines) + "\n")
    e = _refused(lambda: import_persons(db, path, actor="cas"), path, "person_ref", LONG_REF)
    assert e.line == 3 and f"over the {L.REF}" in str(e)
    assert _count(db, "persons") == 0


def test_persons_tsv_an_overlong_name_or_alias(db: str, tmp_path: Path) -> None:
    path = write_persons(tmp_path / "persons.tsv", 2)
    comment, head, first, second = path.read_text().splitlines()
    cols = head.split("\t")
    cells = second.split("\t")
    cells[cols.index("name")] = "N" * (L.PERSON_NAME + 1)
    path.write_text("\n".join([comment, head, first, "\t".join(cells)]) + "\n")
    e = _refused(lambda: import_persons(db, path, actor="cas"), path, "name", "N" * 50)
    assert e.line == 4
    assert _count(db, "persons") == 0


def test_persons_tsv_a_nul_in_a_name(db: str, tmp_path: Path) -> None:
    path = write_persons(tmp_path / "persons.tsv", 2)
    comment, head, first, second = path.read_text().splitlines()
    cells = second.split("\t")
    cells[head.split("\t").index("name")] = "Kim\x00Young"
    path.write_text("\n".join([comment, head, first, "\t".join(cells)]) + "\n")
    e = _refused(lambda: import_persons(db, path, actor="cas"), path, "encoding", "Young")
    assert e.line == 4 and "NUL" in str(e)
    assert _count(db, "persons") == 0


# ----------------------------------------------------------------------------- case folder


def _replace_cell(path: Path, row: int, col: int, value: str) -> None:
    lines = path.read_text().splitlines()
    cells = lines[row].split("\t")
    cells[col] = value
    lines[row] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")


def test_case_folder_an_overlong_allele_is_refused_without_the_genotype(
    db: str, tmp_path: Path
) -> None:
    case = write_case(tmp_path / "case")
    _replace_cell(case / "pm.tsv", 2, 3, f"{LONG_ALLELE}/12")  # V1B, first marker
    marker = (case / "pm.tsv").read_text().splitlines()[0].split("\t")[3]
    e = _refused(lambda: import_case(db, case, actor="ana"), case / "pm.tsv", marker, LONG_ALLELE)
    assert e.line == 3 and "/12" not in str(e)
    assert _count(db, "genotypes") == 0 and _count(db, "samples") == 0


def test_case_folder_an_overlong_reference_id(db: str, tmp_path: Path) -> None:
    case = write_case(tmp_path / "case")
    _replace_cell(case / "am.tsv", 1, 0, "F" * (L.REF + 1))  # famid
    _refused(lambda: import_case(db, case, actor="ana"), case / "am.tsv", "famid", "F" * 40)
    assert _count(db, "reference_families") == 0


def test_case_folder_a_nul_in_a_marker_name_of_markers_json(db: str, tmp_path: Path) -> None:
    case = write_case(tmp_path / "case")
    data = json.loads((case / "markers.json").read_text())
    data["markers"][0]["name"] = "L\x0001"
    (case / "markers.json").write_text(json.dumps(data))  # json spells it \u0000
    with pytest.raises(FormatError) as e:
        import_case(db, case, actor="ana")
    assert e.value.file == str(case / "markers.json") and "NUL" in str(e.value)
    assert e.value.field == "markers[0].name"
    assert _count(db, "marker_definitions") == 0


def test_case_folder_a_nul_in_a_pm_id(db: str, tmp_path: Path) -> None:
    case = write_case(tmp_path / "case")
    _replace_cell(case / "pm.tsv", 1, 0, "V\x001A")
    e = _refused(lambda: import_case(db, case, actor="ana"), case / "pm.tsv", "encoding")
    assert e.line == 2
    assert _count(db, "samples") == 0


# ----------------------------------------------------------------------------- .fam


def _fam(tmp_path: Path, old: str, new: str) -> Path:
    src = require_shared(REFERENCE_CASES) / "dvi-example" / "dvi-example.fam"
    text = src.read_text(encoding="latin-1")
    assert old in text
    dst = tmp_path / "case.fam"
    dst.write_text(text.replace(old, new, 1), encoding="latin-1")
    return dst


def test_fam_an_overlong_allele_label(db: str, tmp_path: Path) -> None:
    fam = _fam(tmp_path, '\n"1"\n', f'\n"{LONG_ALLELE}"\n')
    e = _refused(lambda: import_case(db, fam, actor="ana"), fam, "allele", LONG_ALLELE)
    assert f"over the {L.ALLELE}" in str(e)
    assert _count(db, "samples") == 0


def test_fam_an_overlong_person_name(db: str, tmp_path: Path) -> None:
    fam = _fam(tmp_path, "Name= V1\n", f"Name= {'V' * (L.REF + 1)}\n")
    _refused(lambda: import_case(db, fam, actor="ana"), fam, "Name", "V" * 40)
    assert _count(db, "samples") == 0


def test_fam_a_nul_in_a_name(db: str, tmp_path: Path) -> None:
    fam = _fam(tmp_path, "Name= V1\n", "Name= V\x001\n")
    e = _refused(lambda: import_case(db, fam, actor="ana"), fam, "encoding")
    assert "NUL" in str(e)
    assert _count(db, "samples") == 0
