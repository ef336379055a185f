"""Non-DNA factors built from registry records: known values per factor, derived by hand from
the formulas of repatria.kinship.evidence with the defaults the service states (issue 13)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from repatria.errors import ServiceError
from repatria.services.workflows.non_dna_evidence import (
    DEFAULTS,
    KINDS,
    BodyRecord,
    Item,
    PersonRecord,
    Population,
    loose_date,
    non_dna_kinds,
    pairing_factors,
    stored_factors,
)

REL = 1e-12
POP = Population(
    n_persons=10,
    p_male=0.9,
    p_male_source="test",
    last_seen=(dt.date(2023, 5, 1), dt.date(2023, 7, 1), dt.date(2023, 8, 1), dt.date(2023, 9, 1)),
    units={"3rdrifle": 2, "5thtank": 8},
    area_km2=1000.0,
    area_source="test",
)
MAN = PersonRecord(
    "M1",
    sex="male",
    birth_date="1990-01-01",
    date_missing="2020-01-01",
    unit="3rd Rifle",
    place="Hill 203",
    lat=50.0,
    lon=30.0,
    service_number="SN-77",
    documents=(("passport", "AB 123", "genuine"), ("military id", "F 9", "false")),
)


def _one(body: BodyRecord, kind: str, person: PersonRecord = MAN, pop: Population = POP):
    got = [(f, n) for f, n in pairing_factors(body, person, pop, [kind])]
    assert len(got) == 1, got
    return got[0]


def test_the_settings() -> None:
    assert non_dna_kinds("all") == KINDS == non_dna_kinds(None)
    assert non_dna_kinds("none") == () == non_dna_kinds("")
    assert non_dna_kinds("age,sex") == ("sex", "age")  # in the order of KINDS
    with pytest.raises(ServiceError, match="'blood' is not a kind"):
        non_dna_kinds("sex,blood")


def test_loose_dates() -> None:
    assert loose_date("2025-02-16") == (dt.date(2025, 2, 16), True)
    assert loose_date("2025 (mid)") == (dt.date(2025, 7, 1), False)
    assert loose_date(None) == (None, False)


def test_amelogenin_against_the_record() -> None:
    # read female, recorded male, 90% men: 0.001 / (0.9 * 0.001 + 0.1 * 0.999) = 0.001 / 0.1008
    f, note = _one(BodyRecord("V1", amelogenin="female"), "sex")
    assert f.lr == pytest.approx(0.001 / 0.1008, rel=REL)
    assert note == "amelogenin read female; M1 is recorded male"
    assert f.parameters["sources"]["p_male"] == "test"


def test_anthropological_sex() -> None:
    # pelvis, read male, recorded male: 0.965 / (0.9 * 0.965 + 0.1 * 0.035) = 0.965 / 0.872
    f, _ = _one(BodyRecord("V1", sex_estimate="male", sex_method="pelvis"), "sex")
    assert f.lr == pytest.approx(0.965 / 0.872, rel=REL)
    # no method recorded, burned: the least reliable method (70%): 0.7 / (0.5 * 0.7 + 0.5 * 0.3)
    even = Population(p_male=0.5)
    f, note = _one(BodyRecord("V1", sex_estimate="male", condition="burned"), "sex", pop=even)
    assert f.lr == pytest.approx(1.4, rel=REL)
    assert "not recorded" in f.parameters["sources"]["method"]
    assert "burned or fragmentary" in note
    # a person with no recorded sex: no factor
    assert pairing_factors(BodyRecord("V1", amelogenin="male"), PersonRecord("M9"), POP) == []


def test_age_at_death() -> None:
    # 25-35 for a man last seen at 29.999; missing uniform on 16-65 (G = 10/49), miss 0.05:
    # 0.95 / (0.95 * 10/49 + 0.05 * 39/49) = 0.95 * 49 / 11.45
    f, note = _one(BodyRecord("V1", age_min=25, age_max=35), "age")
    assert f.lr == pytest.approx(0.95 * 49 / 11.45, rel=REL)
    assert note == "estimated age 25-35; M1 was 30.0 when last seen (within the range)"
    assert f.parameters["sources"]["miss"] == DEFAULTS["age_miss"][1]
    # 40-50: outside, 0.05 * 49 / 11.45
    f, _ = _one(BodyRecord("V1", age_min=40, age_max=50), "age")
    assert f.lr == pytest.approx(0.05 * 49 / 11.45, rel=REL)


def test_place() -> None:
    # on the spot, scale 10 km, A = 1000 km², moved 0.05:
    # (0.95 / (2 pi 100) + 0.05 / 1000) * 1000 = 0.95 * 1000 / (200 pi) + 0.05
    f, note = _one(BodyRecord("V1", site="Hill 203 crater", lat=50.0, lon=30.0), "place")
    assert f.lr == pytest.approx(0.95 * 1000 / (200 * math.pi) + 0.05, rel=REL)
    assert note == "Hill 203 crater is 0.0 km from Hill 203, where M1 was last known"
    # one degree of latitude away (111.195 km): exp(-11.1195) is nothing; the moved share stays
    f, _ = _one(BodyRecord("V1", lat=51.0, lon=30.0), "place")
    k = math.exp(-111.19508372419141 / 10) / (2 * math.pi * 100)
    assert f.lr == pytest.approx((0.95 * k + 0.05 / 1000) * 1000, rel=1e-9)


def test_date() -> None:
    person = PersonRecord("M1", date_missing="2023-05-01")
    # recovered after: F = 1/4 of the missing seen by then, error 0.01: 1 / (0.99 / 4 + 0.01)
    f, note = _one(BodyRecord("V1", recovered_on="2023-06-01"), "date", person)
    assert f.lr == pytest.approx(1 / 0.2575, rel=REL)
    assert note == "recovered 2023-06-01, after M1 was last seen (2023-05-01)"
    # recovered before he was last seen: only a wrong record explains it: 0.01 / 0.2575
    f, _ = _one(BodyRecord("V1", recovered_on="2023-03-01"), "date", person)
    assert f.lr == pytest.approx(0.01 / 0.2575, rel=REL)


def test_unit() -> None:
    # his unit is 2 of 10 persons with a unit, r = 0.8: (0.8 + 0.2 * 0.2) / 0.2 = 4.2
    f, note = _one(BodyRecord("V1", unit="3rd rifle"), "unit")
    assert f.lr == pytest.approx(4.2, rel=REL)
    assert note == "the remains are tied to unit 3rd rifle, the same as M1's unit 3rd Rifle"
    # another unit: 1 - r = 0.2
    f, _ = _one(BodyRecord("V1", unit="5th Tank"), "unit")
    assert f.lr == pytest.approx(0.2, rel=REL)


def test_documents_false_papers_included() -> None:
    # q = 1/10 (a foreign paper is one of the 10 missing's), s = 0 (a number is unique), r = 0.5:
    # match (0.5 + 0.5 * 0.1) / (0.5 * 0.1) = 11
    f, note = _one(BodyRecord("V1", items=(Item("passport", number="ab-123"),)), "document")
    assert f.lr == pytest.approx(11.0, rel=REL)
    assert note == "passport ab-123 found with the body is M1's passport"
    # his false papers are his too, and a recorded reliability is used: (0.9 + 0.01) / 0.01
    f, note = _one(
        BodyRecord("V1", items=(Item("papers", number="F9", reliability=0.9),)), "document"
    )
    assert f.lr == pytest.approx(91.0, rel=REL)
    assert note.endswith("(false papers recorded as his)")
    assert f.parameters["sources"]["reliability"] == "recorded with the item"
    # his tag: the service number
    f, _ = _one(BodyRecord("V1", items=(Item("tag", number="SN 77"),)), "document")
    assert f.lr == pytest.approx(11.0, rel=REL)
    # somebody else's papers: (1 - r)(1 - q) / (1 - (1 - r) q) = 0.45 / 0.95
    f, note = _one(BodyRecord("V1", items=(Item("passport", number="XY 9"),)), "document")
    assert f.lr == pytest.approx(0.45 / 0.95, rel=REL)
    assert note == "passport XY 9 found with the body is none of M1's papers"
    # a person with no recorded papers: nothing to compare
    none = pairing_factors(
        BodyRecord("V1", items=(Item("passport", number="XY 9"),)), PersonRecord("M2"), POP
    )
    assert none == []


def test_effects_recognised_by_a_family() -> None:
    ring = Item("ring", "a silver ring", recognised_as="M1")
    f, note = _one(BodyRecord("V1", items=(ring,)), "effects")
    assert f.lr == pytest.approx(2.8, rel=REL)  # (0.2 + 0.8 * 0.1) / 0.1
    assert note == "a silver ring found with the body was recognised by a family as his"
    f, note = _one(BodyRecord("V1", items=(ring,)), "effects", PersonRecord("M2"))
    assert f.lr == pytest.approx(0.8, rel=REL)
    assert note.endswith("as M1's, not M2's")


def test_stored_form_consistency_and_sum() -> None:
    body = BodyRecord("V1", amelogenin="male", unit="5th Tank", age_min=25, age_max=35)
    even = Population(p_male=1.0, units=POP.units)
    pairs = pairing_factors(body, MAN, even)
    doc = stored_factors(pairs)
    by_kind = {d["kind"]: d for d in doc["non_dna"]}
    assert by_kind["sex"]["consistent"] is None  # all men: amelogenin male weighs exactly 1
    assert by_kind["unit"]["consistent"] is False
    assert by_kind["age"]["consistent"] is True
    assert doc["non_dna_log10_lr"] == pytest.approx(
        math.log10(0.2) + math.log10(0.95 * 49 / 11.45), rel=1e-12
    )
    assert {"lr", "model", "parameters", "observation", "enabled", "note"} <= set(by_kind["age"])
    # only the kinds asked for
    assert [f.kind for f, _ in pairing_factors(body, MAN, even, ["unit"])] == ["unit"]
