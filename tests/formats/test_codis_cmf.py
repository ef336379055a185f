"""CODIS CMF 3.x import files (issue 17, Deliver 3): read all or nothing, no entity expanded."""

from __future__ import annotations

import pytest
from lab_helpers import LAB, assert_refused

from repatria.formats.codis_cmf import parse_cmf, read_cmf
from repatria.kinship.pedigree import Sex


def test_cmf_file():
    e = read_cmf(LAB / "batch_cmf.xml")
    assert e.layout == "cmf"
    assert e.meta["HEADERVERSION"] == "3.2" and e.meta["SOURCELAB"] == "LAB01"
    assert e.samples == ["PM-07", "REF-07-MO"]
    pm, mo_id, mo_pp = e.typings
    assert pm.kit == "Identifiler" and pm.run == "B-2026-11"
    assert pm.category == "Unidentified Person"
    assert dict(pm.genotypes) == {
        "D8S1179": ("12", "15"),
        "vWA": ("17", "17"),  # one ALLELE: a homozygote, as CODIS lists it
        "FGA": ("21", None),  # >30: outside the ladder
    }
    assert pm.off_ladder == ("FGA",)
    assert pm.sex is Sex.FEMALE and pm.amelogenin == ("X", "X")
    # one specimen typed with two kits: two typings
    assert (mo_id.kit, dict(mo_id.genotypes)) == ("Identifiler", {"D8S1179": ("12", "13")})
    assert (mo_pp.kit, dict(mo_pp.genotypes)) == ("PowerPlex 16", {"Penta E": ("7", "12")})
    assert mo_id.category == "Biological Mother"
    assert pm.source.endswith("batch_cmf.xml line 11")


def test_kit_argument_wins():
    assert {t.kit for t in read_cmf(LAB / "batch_cmf.xml", kit="X-kit").typings} == {"X-kit"}


def test_without_namespace_and_in_utf16():
    xml = (
        "<CODISImportFile><SPECIMEN><SPECIMENID>PM-Sø</SPECIMENID><LOCUS>"
        "<LOCUSNAME>TH-01</LOCUSNAME><ALLELE><ALLELEVALUE>9.3</ALLELEVALUE></ALLELE>"
        "<ALLELE><ALLELEVALUE>6</ALLELEVALUE></ALLELE></LOCUS></SPECIMEN></CODISImportFile>"
    )
    for data in (xml.encode(), ('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16")):
        t = parse_cmf(data, "x.xml", kit="K").typings[0]
        assert t.sample == "PM-Sø" and dict(t.genotypes) == {"TH01": ("9.3", "6")}


def _cmf(locus: str = "", specimen_extra: str = "", category: str = "Unidentified Person") -> str:
    return (
        '<?xml version="1.0"?>\n'
        '<CODISImportFile xmlns="urn:CODISImportFile-schema">\n'
        "<SPECIMEN>\n"
        "<SPECIMENID>PM-1</SPECIMENID>\n"
        f"<SPECIMENCATEGORY>{category}</SPECIMENCATEGORY>\n"
        f"{specimen_extra}"
        "<LOCUS>\n"
        "<LOCUSNAME>vWA</LOCUSNAME>\n"
        f"{locus}"
        "</LOCUS>\n"
        "</SPECIMEN>\n"
        "</CODISImportFile>\n"
    )


def _alleles(*values: str) -> str:
    return "".join(f"<ALLELE><ALLELEVALUE>{v}</ALLELEVALUE></ALLELE>\n" for v in values)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "27.3"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<CODISImportFile><SPECIMEN><SPECIMENID>&lol2;</SPECIMENID></SPECIMEN></CODISImportFile>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<CODISImportFile><SPECIMEN><SPECIMENID>&ext;</SPECIMENID></SPECIMEN></CODISImportFile>
"""

REFUSALS = [
    # (xml, line, field, what the message says)
    (BOMB, 2, "DOCTYPE", "not allowed"),
    (EXTERNAL, 2, "DOCTYPE", "not allowed"),
    ("<CODISImportFile><SPECIMEN>27.3</SPECIMEN>\n<LOCUS>", 2, "xml", "not well-formed"),
    ('<?xml version="1.0"?>\n<Profiles><P>27.3</P></Profiles>', 2, "Profiles", "root"),
    (_cmf(_alleles("27.3", "31.2", "17.3")), 8, "SPECIMEN/LOCUS/ALLELEVALUE", "mixture"),
    (_cmf(_alleles("27.3x")), 8, "SPECIMEN/LOCUS/ALLELEVALUE", "not an allele designation"),
    (
        _cmf(_alleles("27.3", "31.2"), category="Forensic Mixture"),
        3,
        "SPECIMEN/SPECIMENCATEGORY",
        "mixture",
    ),
    (
        _cmf(_alleles("27.3"), "<LOCUS><LOCUSNAME>VWA</LOCUSNAME>" + _alleles("31.2") + "</LOCUS>"),
        9,
        "SPECIMEN/LOCUS/ALLELEVALUE",
        "twice",
    ),
    (
        _cmf(_alleles("27.3"), "<LOCUS>" + _alleles("31.2") + "</LOCUS>\n"),
        6,
        "SPECIMEN/LOCUS/LOCUSNAME",
        "LOCUSNAME",
    ),
    (
        _cmf(_alleles("27.3")).replace("<SPECIMENID>PM-1</SPECIMENID>", "<SPECIMENID/>"),
        4,
        "SPECIMEN/SPECIMENID",
        "SPECIMENID",
    ),
    (
        "<CODISImportFile>\n<HEADERVERSION>3.2</HEADERVERSION>\n</CODISImportFile>",
        1,
        "SPECIMEN",
        "",
    ),
]


@pytest.mark.parametrize("xml,line,field,says", REFUSALS)
def test_refusals_name_file_line_element_and_no_allele(tmp_path, xml, line, field, says):
    p = tmp_path / "bad.xml"
    p.write_text(xml, encoding="utf-8")
    assert_refused(
        lambda: read_cmf(p),
        file=p,
        line=line,
        field=field,
        secrets=("27.3", "31.2", "17.3", "root:"),
        says=says,
    )
