"""The remains TSV carries anthropology, the unit and numbered, recognised effects as non-DNA
evidence (issue 13): stored on SQLite and PostgreSQL, bad values refused naming line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from repatria.errors import FormatError
from repatria.formats.registry_tsv import read_remains_tsv
from repatria.registry.db import session_scope
from repatria.registry.models import Remains
from repatria.services.workflows.imports import import_remains

HEADER = "remains_ref\tcondition\teffects\tsex_estimate\tsex_method\tage_min\tage_max\tunit\n"
LINE = (
    "R-1\tburned\tpassport|grey booklet|AB 1|0.4|;ring|silver ring|||P-0002\t"
    "male\tpelvis\t25\t35\t3rd Rifle\n"
)


def _write(tmp_path: Path, line: str = LINE) -> Path:
    p = tmp_path / "remains.tsv"
    p.write_text(HEADER + line, encoding="utf-8")
    return p


def test_the_columns_are_read_and_stored(db: str, tmp_path: Path) -> None:
    import_remains(db, _write(tmp_path), actor="cas")
    with session_scope(db, read=True) as s:
        r = s.execute(select(Remains).where(Remains.ref == "R-1")).scalar_one()
        assert (r.sex_estimate, r.sex_method, r.age_min, r.age_max, r.unit) == (
            "male",
            "pelvis",
            25.0,
            35.0,
            "3rd Rifle",
        )
        assert [(e.kind, e.number, e.reliability, e.recognised_as) for e in r.effects] == [
            ("passport", "AB 1", 0.4, None),
            ("ring", None, None, "P-0002"),
        ]


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        (LINE.replace("\tmale\t", "\ttall\t"), "sex_estimate", "'tall' is not one of"),
        (LINE.replace("\tpelvis\t", "\tfemur\t"), "sex_method", "'femur' is not one of"),
        (LINE.replace("\t25\t35\t", "\t35\t25\t"), "age_max", "below age_min"),
        (LINE.replace("|0.4|", "|1.4|"), "effects entry 1 part 4", "outside 0..1"),
    ],
)
def test_bad_values_name_the_line_and_field(
    tmp_path: Path, line: str, field: str, says: str
) -> None:
    with pytest.raises(FormatError) as e:
        read_remains_tsv(_write(tmp_path, line))
    text = str(e.value)
    assert "line 2" in text and field in text and says in text, text
