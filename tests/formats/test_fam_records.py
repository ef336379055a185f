"""The .fam reader's records: what the file says, each with the line it came from."""

from __future__ import annotations

from pathlib import Path

from test_fam import SMALL

from repatria.formats.fam_records import read_fam_records
from repatria.kinship.pedigree import Sex


def _line(text: str, s: str, after: str | None = None) -> int:
    lines = text.splitlines()
    start = lines.index(after) if after else 0
    return lines.index(s, start) + 1


def test_small_records_know_their_lines(tmp_path: Path):
    p = tmp_path / "small.fam"
    p.write_text(SMALL)
    rec = read_fam_records(p)
    assert rec.persons == () and rec.pedigrees == () and rec.theta == 0
    assert [loc.name for loc in rec.loci] == ["DA", "DB"]
    da = rec.loci[0]
    assert da.alleles == ("12", "10", "11")  # file order; pedtools order comes later
    assert da.freqs == (0.5, 0.2, 0.3)
    assert da.line == _line(SMALL, '"DA"')
    assert da.allele_lines[1] == _line(SMALL, '"10"')
    assert da.code == (0, 0) and rec.loci[1].code == (4, 4)
    assert rec.loci[1].rate == (0.001, 0.002) and rec.loci[1].range_ == (0.5, 0.5)

    assert rec.dvi is not None
    v1, v2 = rec.dvi.unidentified
    assert (v1.name, v1.sex, v1.line) == ("V1", Sex.MALE, _line(SMALL, "Name= V1"))
    assert dict(v1.profile) == {"DA": ("10", "12"), "DB": ("9.3", "11")}
    assert v1.marker_order == ("DA", "DB")
    fam_a, fam_b = rec.dvi.families
    assert (fam_a.name, fam_a.line) == ("Fam A", _line(SMALL, "Name= Fam A"))
    assert [p.name for p in fam_b.pedigrees] == ["Reference pedigree", "PED-B"]
    rel = fam_b.pedigrees[1].relations[2]
    assert (rel.parent, rel.child) == ("Father B", "Missing person")
    assert rel.line == _line(SMALL, "Parent= Father B", "Name= PED-B") + 4
    missing_son = fam_a.persons[1]
    assert missing_son.profile == {} and missing_son.sex == Sex.MALE
