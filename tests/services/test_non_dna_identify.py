"""identify stores the non-DNA factors the registry holds with each candidate, switchable, and the
policy's non-DNA rule reads them (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.formats.casefolder import write_case_folder
from repatria.kinship.evidence import haversine_km
from repatria.kinship.simulate import simulate_dvi
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import (
    CandidateMatch,
    Effect,
    IdentificationRun,
    Person,
    PersonDocument,
    Remains,
)
from repatria.services.access.users import add_user
from repatria.services.pipelines.simulation import standard_markers
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify
from repatria.services.workflows.policy import verdict_of

REL = 1e-9


def _case(db: str, tmp_path: Path, m2_sex: str = "male") -> None:
    """Three male bodies, two missing men (M1, M2) and two other missing women, with records."""
    add_user(db, "ana", "analyst")
    p = simulate_dvi(standard_markers(15), 3, 2, np.random.default_rng(4)).problem
    write_case_folder(p, tmp_path / "case")
    import_case(db, tmp_path / "case", actor="ana")
    with session_scope(db) as s:
        people = {x.ref: x for x in s.execute(select(Person)).scalars()}
        for ref, sex in (("M1", "male"), ("M2", m2_sex)):
            x = people[ref]
            x.sex, x.birth_date, x.date_missing, x.unit = sex, "1990-01-01", "2023-05-01", "3rd"
            x.last_known_lat, x.last_known_lon, x.last_known_place = 50.0, 30.0, "Hill 203"
            s.add(PersonDocument(person_id=x.id, doc_type="passport", number=f"AB {ref[-1]}"))
        for ref, lat in (("X1", 48.0), ("X2", 52.0)):
            s.add(
                Person(
                    ref=ref,
                    sex="female",
                    date_missing="2023-09-01",
                    unit="5th",
                    last_known_lat=lat,
                    last_known_lon=lat - 20,
                )
            )
        for r in s.execute(select(Remains)).scalars():
            r.site, r.site_lat, r.site_lon, r.recovered_on = "crater", 50.0, 30.0, "2023-06-01"
            r.sex_estimate, r.sex_method, r.age_min, r.age_max, r.unit = (
                "male",
                "pelvis",
                25,
                35,
                "3rd",
            )
            s.add(Effect(remains_id=r.id, kind="passport", number="AB-1"))


def _stored(db: str) -> dict[tuple[str, str], CandidateEvidence]:
    with session_scope(db, read=True) as s:
        return {
            (c.body_ref, c.person_ref): CandidateEvidence.from_json(c.evidence)
            for c in _candidates(s)
        }


def _candidates(s):  # type: ignore[no-untyped-def]
    from repatria.registry.models import Body

    rows = s.execute(
        select(CandidateMatch, Body.ref, Person.ref)
        .join(Body, Body.id == CandidateMatch.body_id)
        .join(Person, Person.id == CandidateMatch.person_id)
    ).all()
    for c, b, p in rows:
        c.body_ref, c.person_ref = b, p
        yield c


def _hand(person: str) -> dict[str, float]:
    """The factors of a male body x ``person`` by hand (4 persons: 2 men, 2 women)."""
    # the box around (48, 28), (50, 30), (52, 32): 4 degrees of latitude x 4 of longitude at 50
    ns = haversine_km((48.0, 0.0), (52.0, 0.0))
    ew = haversine_km((0.0, 28.0), (0.0, 32.0)) * math.cos(math.radians(50.0))
    area = ns * ew
    return {
        "sex": 0.999 / 0.5,  # amelogenin male, recorded male, half the missing men
        "sex_pelvis": 0.965 / 0.5,
        "age": 0.95 * 49 / 11.45,  # 25-35 holds 33.3; the missing uniform on 16-65
        "place": (0.95 / (2 * math.pi * 100) + 0.05 / area) * area,
        "date": 1 / (0.99 * 0.5 + 0.01),  # half the missing seen by 2023-06-01
        "unit": (0.8 + 0.2 * 0.5) / 0.5,
        # passport AB-1: M1's (q = 1/4, s = 0, r = 0.5), none of M2's
        "document": 0.625 / 0.125 if person == "M1" else 0.5 * 0.75 / (1 - 0.125),
    }


def test_identify_stores_the_factors_of_the_registry(registry_db: str, tmp_path: Path) -> None:
    _case(registry_db, tmp_path)
    result = identify(registry_db, actor="ana")
    stored = _stored(registry_db)
    assert stored and {p for _, p in stored} <= {"M1", "M2"}
    for (body, person), ev in stored.items():
        hand = _hand(person)
        got: dict[str, float] = {}
        for d in ev.non_dna:
            key = (
                "sex_pelvis"
                if d["kind"] == "sex" and "pelvis" in d["model"] + str(d["parameters"])
                else d["kind"]
            )
            got[key] = float(d["lr"])
            assert d["consistent"] is (d["lr"] > 1 if d["lr"] != 1 else None)
            assert d["note"] and d["model"] and "sources" in d["parameters"]
        assert got == pytest.approx(hand, rel=REL), (body, person)
        total = sum(math.log10(x) for x in hand.values())
        assert ev.non_dna_log10_lr == pytest.approx(total, rel=REL)
    # the autosomal LR is untouched, and the JSON carries the factors
    cand = result.as_dict()["candidates"]
    assert all(len(c["non_dna"]) == 7 and "non_dna_log10_lr" in c for c in cand)
    with session_scope(registry_db, read=True) as s:
        run = s.get_one(IdentificationRun, result.run)
        assert run.parameters["non_dna"]["kinds"][0] == "sex"
        for c in _candidates(s):
            assert c.log10_lr == pytest.approx(c.evidence["log_lr"] / math.log(10), rel=1e-12)


def test_none_stores_none_and_a_subset_stores_that(registry_db: str, tmp_path: Path) -> None:
    _case(registry_db, tmp_path)
    identify(registry_db, actor="ana", non_dna="none")
    stored = _stored(registry_db).values()
    assert stored and all(not ev.non_dna and ev.non_dna_log10_lr is None for ev in stored)
    with session_scope(registry_db, read=True) as s:
        runs = list(s.execute(select(IdentificationRun)).scalars())
        assert runs[-1].parameters["non_dna"]["kinds"] == []
    identify(registry_db, actor="ana", non_dna="unit,date")
    for ev in _stored(registry_db).values():
        assert [d["kind"] for d in ev.non_dna] == ["date", "unit"]


def test_a_contradicting_sex_fails_the_policy(registry_db: str, tmp_path: Path) -> None:
    # M2 is recorded female (the pedigree says male): amelogenin and the pelvis say male
    _case(registry_db, tmp_path, m2_sex="female")
    identify(registry_db, actor="ana", non_dna="sex")
    with session_scope(registry_db, read=True) as s:
        seen = 0
        for c in _candidates(s):
            sexes = [d for d in c.evidence["non_dna"] if d["kind"] == "sex"]
            rule = {r.rule: r for r in verdict_of(s, c).results}["non_dna"]
            if c.person_ref == "M2":
                seen += 1
                # p_male = 1/4 (M1 the one man of four): 0.001 / (0.25 * 0.999 + 0.75 * 0.001)
                # (amelogenin) and 0.035 / (0.25 * 0.965 + 0.75 * 0.035) (pelvis)
                assert [d["lr"] for d in sexes] == pytest.approx(
                    [0.001 / (0.25 * 0.999 + 0.75 * 0.001), 0.035 / (0.25 * 0.965 + 0.75 * 0.035)],
                    rel=REL,
                )
                assert [d["consistent"] for d in sexes] == [False, False]
                assert rule.status == "failed" and "sex" in rule.text
            else:
                assert rule.status == "met"
        assert seen == 1


def test_the_command_switches_the_factors(registry_db: str, tmp_path: Path) -> None:
    _case(registry_db, tmp_path)
    runner = CliRunner()
    args = ["identify", "--as", "ana", "--json", "--db", registry_db]
    r = runner.invoke(app, [*args, "--non-dna", "none"])
    assert r.exit_code == 0, r.stderr
    assert all(c["non_dna"] == [] for c in json.loads(r.stdout)["candidates"])
    r = runner.invoke(app, [*args, "--non-dna", "sex,unit"])
    kinds = {d["kind"] for c in json.loads(r.stdout)["candidates"] for d in c["non_dna"]}
    assert kinds == {"sex", "unit"}
    r = runner.invoke(app, [*args, "--non-dna", "blood"])
    assert r.exit_code == 1 and "'blood' is not a kind of evidence" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_match_view_and_the_report_show_the_factors(registry_db: str, tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader

    from repatria.reports.identification import identification_pdf
    from repatria.services.views.matches import match_detail

    _case(registry_db, tmp_path)
    result = identify(registry_db, actor="ana")
    c = next(c for c in result.candidates if c.person == "M1")
    m = match_detail(registry_db, c.id, actor="ana")
    assert [f["kind"] for f in m.non_dna] == [
        "sex",
        "sex",
        "age",
        "place",
        "date",
        "unit",
        "document",
    ]
    assert m.non_dna_log10_lr == pytest.approx(
        sum(math.log10(x) for x in _hand("M1").values()), rel=REL
    )
    pdf = identification_pdf(m)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "Other evidence",
        "Papers found with the body",
        "passport AB-1 found with the body is M1's passport",
        "5 (supports the identification)",  # the passport: 0.625 / 0.125
        "Age at death",
        "estimated age 25-35; M1 was 33.3 when last seen (within the range)",
        "amelogenin read male; M1 is recorded male",
        "Unit",
        "1.8 (supports the identification)",
        "recovered 2023-06-01, after M1 was last seen (2023-05-01)",
        "Together, assuming the observations are independent",
    ):
        assert expected in text, expected


def test_the_report_says_when_no_other_evidence_was_weighed(
    registry_db: str, tmp_path: Path
) -> None:
    from repatria.reports.identification import identification_pdf
    from repatria.services.views.matches import match_detail

    _case(registry_db, tmp_path)
    result = identify(registry_db, actor="ana", non_dna="none")
    m = match_detail(registry_db, result.candidates[0].id, actor="ana")
    assert m.non_dna == [] and m.non_dna_log10_lr is None
    import io

    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(identification_pdf(m))).pages)
    assert "weighed no evidence other than DNA" in " ".join(text.split())
