"""The ``dropout`` column of ``pm.tsv``: per-sample allelic dropout, read or refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder, write_case_folder
from repatria.kinship.simulate import simulate_dvi
from repatria.services.pipelines.simulation import standard_markers


def _case(tmp_path: Path, cells: list[str]) -> Path:
    import numpy as np

    p = simulate_dvi(standard_markers(3), len(cells), 2, np.random.default_rng(1)).problem
    out = tmp_path / "c"
    write_case_folder(p, out)
    rows = [r.split("\t") for r in (out / "pm.tsv").read_text().splitlines()]
    rows = [[r[0], r[1], "dropout" if i == 0 else cells[i - 1], *r[2:]] for i, r in enumerate(rows)]
    (out / "pm.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    return out


def test_values_are_read_per_sample_and_blanks_are_not_given(tmp_path: Path) -> None:
    folder = _case(tmp_path, ["0.25", "", "NA", "0"])
    got: dict[str, float] = {}
    problem = read_case_folder(folder, dropout=got)
    assert got == {"V1": 0.25, "V4": 0.0}
    assert problem.pm_dropout == {}  # the pipeline decides the models
    plain = read_case_folder(folder)  # without the dict the column is read and checked only
    assert plain.pm == problem.pm and plain.pm_profiles == problem.pm_profiles


@pytest.mark.parametrize("bad", ["1", "1.0", "-0.01", "0,2", "x", "nan", "inf"])
def test_a_bad_value_is_one_line_naming_file_line_and_field(tmp_path: Path, bad: str) -> None:
    folder = _case(tmp_path, ["0.1", bad])
    with pytest.raises(FormatError) as e:
        read_case_folder(folder)
    assert e.value.line == 3 and e.value.field == "dropout"
    assert str(e.value).startswith(str(folder / "pm.tsv"))
    assert "\n" not in str(e.value)
