"""Who is on the MP's paternal (Y) and maternal (mtDNA) line, from the pedigree (issue 13, 3);
and the combined LR factorises: autosomal log10 LR plus the lineage factors in the product."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repatria.errors import KinshipError
from repatria.kinship.lineage import mt_haplotype, y_haplotype
from repatria.kinship.lineage_lines import line_chain, line_meioses
from repatria.kinship.pedigree import Individual, Pedigree, Sex
from repatria.services.workflows.lineage_evidence import combined_log10, lineage_finding

M, F, U = Sex.MALE, Sex.FEMALE, Sex.UNKNOWN

#   GF x GM              MGF x MGM
#   F  PU  PA  (PA x PAH -> PAS)   M  MA  MU ; MA x CF -> MC (m), MCD (f) ; MCD x Z -> MCC
#   F x M -> MP (male), SIS (female);  F x OW -> HB (paternal half-brother)
#   M x OM -> MHB (maternal half-brother);  MP x W -> SON, DAU ;  PU x UW -> PC (paternal cousin)
PED = Pedigree(
    [
        Individual("GF", sex=M), Individual("GM", sex=F), Individual("MGF", sex=M),
        Individual("MGM", sex=F), Individual("PAH", sex=M), Individual("CF", sex=M),
        Individual("OW", sex=F), Individual("OM", sex=M), Individual("W", sex=F),
        Individual("UW", sex=F), Individual("Z", sex=M),
        Individual("F", "GF", "GM", M), Individual("PU", "GF", "GM", M),
        Individual("PA", "GF", "GM", F), Individual("PAS", "PAH", "PA", M),
        Individual("M", "MGF", "MGM", F), Individual("MA", "MGF", "MGM", F),
        Individual("MU", "MGF", "MGM", M), Individual("MC", "CF", "MA", M),
        Individual("MCD", "CF", "MA", F), Individual("MCC", "Z", "MCD", U),
        Individual("MP", "F", "M", M), Individual("SIS", "F", "M", F),
        Individual("HB", "F", "OW", M), Individual("MHB", "OM", "M", M),
        Individual("SON", "MP", "W", M), Individual("DAU", "MP", "W", F),
        Individual("PC", "PU", "UW", M), Individual("UNK", "GF", "GM", U),
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    ("ref", "y", "mt"),
    [
        ("F", 1, None),  # father: Y, never mtDNA
        ("M", None, 1),  # mother: mtDNA, never Y
        ("PU", 3, None),  # paternal uncle: Y through the grandfather
        ("PC", 4, None),  # paternal cousin through men
        ("PA", None, None),  # paternal aunt: a woman has no Y, her mtDNA is her mother's
        ("PAS", None, None),  # her son: his Y is his father's
        ("SIS", None, 2),  # a sister: mtDNA only
        ("HB", 2, None),  # paternal half-brother: Y, not mtDNA
        ("MHB", None, 2),  # maternal half-brother: mtDNA, not Y
        ("MA", None, 3),  # maternal aunt
        ("MU", None, 3),  # maternal uncle: mtDNA (his mother's), not the MP's Y
        ("MC", None, 4),  # maternal cousin through mothers
        ("MCC", None, 5),  # and her child
        ("SON", 1, None),  # a male MP's son: Y; his mtDNA is his mother's
        ("DAU", None, None),
        ("UNK", None, None),  # unknown sex is not taken for male
        ("GF", 2, None),
        ("MGM", None, 2),
    ],
)
def test_the_line_rule(ref: str, y: int | None, mt: int | None) -> None:
    assert line_meioses(PED, "MP", ref, "y_str") == y
    assert line_meioses(PED, "MP", ref, "mtdna") == mt


def test_a_female_mp_passes_mtdna_to_her_children_and_has_no_y() -> None:
    ped = Pedigree([Individual("H", sex=M), Individual("MP", sex=F),
                    Individual("K", "H", "MP", M)])  # fmt: skip
    assert line_meioses(ped, "MP", "K", "mtdna") == 1
    assert line_meioses(ped, "MP", "K", "y_str") is None
    assert line_meioses(PED, "MP", "MP", "y_str") is None  # oneself is no reference
    assert line_meioses(PED, "MP", "nobody", "mtdna") is None
    assert line_chain(PED, "PC", "y_str") == ["PC", "PU", "GF"]
    with pytest.raises(KinshipError, match="lineage kind"):
        line_chain(PED, "MP", "x_str")


def test_a_lineage_finding_by_hand() -> None:
    """Seen 0 times in 20 mtDNA sequences, no mutation: the LR is 1 / the 95% upper bound of the
    frequency, which for x = 0 in N = 20 is 1 - 0.05^(1/20) (kinship/lineage.py); a different
    sequence excludes (LR 0)."""
    read = range(16024, 16100)
    body = mt_haplotype(["16050T"], read)
    db = [mt_haplotype([f"{16030 + i}C"], read) for i in range(20)]
    f = lineage_finding("mtdna", body, body, db, meioses=2, donor_ref="D", relation="mother",
                        db_label="mt@1")  # fmt: skip
    upper = 1 - 0.05 ** (1 / 20)
    assert f["lr"] == pytest.approx(1 / upper, rel=1e-12)
    assert f["log10_lr"] == pytest.approx(-math.log10(upper), rel=1e-12)
    assert f["consistent"] is True and f["database"] == "mt@1"
    other = lineage_finding("mtdna", body, db[0], db, meioses=2, donor_ref="D",
                            relation="mother", db_label="mt@1")  # fmt: skip
    assert other["lr"] == 0 and other["consistent"] is False and other["log10_lr"] == -math.inf
    y = y_haplotype({"DYS19": "14"})
    none = lineage_finding("y_str", y, y, [], meioses=1, donor_ref="D", relation="father",
                           db_label=None)  # fmt: skip
    assert none["lr"] is None and none["consistent"] is None


_factor = st.fixed_dictionaries(
    {
        "log10_lr": st.floats(-8, 8, allow_nan=False),
        "combined": st.booleans(),
    }
)


@given(st.floats(-30, 30, allow_nan=False), st.lists(_factor, max_size=6))
def test_the_combined_lr_factorises(autosomal: float, factors: list[dict[str, object]]) -> None:
    """log10 of autosomal LR x the product of the lineage LRs in the product is the sum of the
    factors' log10s; factors kept out of the product (a second relative of one line) change
    nothing; the product's LR is the product of the LRs."""
    got = combined_log10(autosomal, factors)
    kept = [float(f["log10_lr"]) for f in factors if f["combined"]]  # type: ignore[arg-type]
    assert got == pytest.approx(autosomal + sum(kept), abs=1e-9)
    lr = 10**autosomal * math.prod(10**x for x in kept)
    assert math.log10(lr) == pytest.approx(got, abs=1e-6)
    assert combined_log10(autosomal, [f for f in factors if not f["combined"]]) == autosomal
