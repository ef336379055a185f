"""``write_case_folder`` never writes what ``read_case_folder`` would read otherwise.

The reader takes a line starting with ``#`` for a comment, so a PM id (the first cell of a
``pm.tsv`` row) or a famid (the first cell of an ``am.tsv`` row) starting with ``#`` would be
dropped silently on reading back. The writer refuses such an id, in one line naming the id and the
field, before it writes anything.
"""

from __future__ import annotations

import numpy as np
import pytest

from repatria.errors import FormatError
from repatria.formats.casefolder import read_case_folder, write_case_folder
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Individual, Pedigree, Sex


def _case(pm: str = "V1", famid: str = "F1", ref: str = "R1") -> DVIProblem:
    m = Marker("L1", ("1", "2"), np.array([0.4, 0.6]))
    fam = Pedigree(
        [
            Individual(ref, None, None, Sex.MALE),
            Individual("MO", None, None, Sex.FEMALE),
            Individual("M1", ref, "MO", Sex.MALE),
        ]
    )
    return DVIProblem(
        markers=(m,),
        pm=(pm,),
        pm_sex={pm: Sex.MALE},
        pm_profiles={pm: {"L1": ("1", "2")}},
        families={famid: fam},
        am_profiles={famid: {ref: {"L1": ("1", "1")}}},
        missing=("M1",),
        missing_family={"M1": famid},
    )


@pytest.mark.parametrize(
    "kwargs,field", [({"pm": "#V1"}, "pm.tsv id"), ({"famid": "#F1"}, "am.tsv famid")]
)
def test_an_id_read_as_a_comment_is_refused(tmp_path, kwargs, field):
    out = tmp_path / "case"
    with pytest.raises(FormatError) as ei:
        write_case_folder(_case(**kwargs), out)
    msg = str(ei.value)
    assert "\n" not in msg and repr(next(iter(kwargs.values()))) in msg
    assert ei.value.field == field and "comment" in msg
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize("kwargs", [{"pm": "V\t1"}, {"ref": "R\n1"}])
def test_an_id_that_would_split_its_row_is_refused(tmp_path, kwargs):
    with pytest.raises(FormatError, match="tab or a line break"):
        write_case_folder(_case(**kwargs), tmp_path / "case")


def test_a_hash_inside_a_row_reads_back(tmp_path):
    """A reference id starting with '#' is not the first cell of its row: it is read back."""
    case = _case(ref="#R1")
    back = read_case_folder(write_case_folder(case, tmp_path / "case"))
    assert set(back.families["F1"].ids) == {"#R1", "MO", "M1"}
    assert dict(back.am_profiles["F1"]["#R1"]) == {"L1": ("1", "1")}
