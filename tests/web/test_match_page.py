"""The match page a geneticist checks, on SQLite and PostgreSQL (issue 18, deliverable 2).

Genotypes of the PM and of every typed reference per marker, to analysts and reviewers only and
audited; why each LR of 1 is 1; every evidence factor with its model and the combined LR; the
certified interval and the policy's verdict in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from repatria.api.app import create_app
from repatria.registry.db import dispose_engines, session_scope
from repatria.registry.models import (
    AuditEvent,
    CandidateMatch,
    Donor,
    Genotype,
    PedigreeMember,
    Profile,
    ReferenceFamily,
    Remains,
    Sample,
)
from repatria.services.views import match_evidence as me
from surface_data import load_case, password

# marker: (PM, father D-01, mother D-02, wife D-09, log10 LR); None: not typed
TYPED = {
    "D3S1358": ("15/16", "15/17", "16/16", None, 0.9),
    "vWA": ("14/17", "14/18", "17/17", None, 1.1),
    "D16S539": ("12/-", "12/13", "11/12", None, 0.0),  # partial PM call: dropout
    "CSF1PO": (None, "10/12", "11/12", None, 0.0),  # no PM result
    "TPOX": ("8/11", None, None, None, 0.0),  # no reference typed
    "D8S1179": ("13/13", None, None, "12/13", 0.0),  # only the wife typed
    "D21S11": ("29/30", "29/31", "30/30", None, 0.7),
    "D18S51": ("14/15", "16/17", "16/18", None, "-Inf"),  # exclusion
}
LINEAGE = [
    {
        "kind": "Y-STR",
        "donor": "D-01",
        "relation": "father",
        "lr": 250.0,
        "log10_lr": 2.39794,
        "model": "haplotype counting",
        "database": "YHRD 2024",
        "consistent": True,
        "note": "same haplotype at 23 loci",
    }
]
NON_DNA = [
    {
        "kind": "age_at_death",
        "lr": 3.0,
        "enabled": True,
        "value": "24",
        "model": "normal",
        "parameters": {"mean": 25, "sd": 4},
        "observation": "20-30 years",
        "consistent": True,
        "note": "anthropologist's estimate",
    },
    {"kind": "dog_tag", "lr": 100.0, "enabled": False, "model": "tag read", "note": "melted"},
]


def _alleles(text: str) -> tuple[str | None, str | None]:
    a, b = text.split("/")
    return (None if a == "-" else a, None if b == "-" else b)


def _profile(s, sample: Sample, column: int) -> Profile:  # noqa: ANN001
    prof = Profile(sample_id=sample.id, kit="test kit")
    s.add(prof)
    s.flush()
    for marker, row in TYPED.items():
        if row[column] is not None:
            a1, a2 = _alleles(row[column])
            s.add(Genotype(profile_id=prof.id, marker=marker, allele1=a1, allele2=a2))
    return prof


@pytest.fixture
def case(registry_db: str, tmp_path: Path) -> Iterator[tuple[TestClient, str, int]]:
    db = registry_db
    ids = load_case(db, tmp_path)
    cid = ids["p1_r1"]
    with session_scope(db) as s:
        fam = s.execute(select(ReferenceFamily).where(ReferenceFamily.ref == "F-01")).scalar_one()
        wife = Donor(ref="D-09", family_id=fam.id, name="Lee Mi-ok", relationship_to_mp="wife")
        s.add(wife)
        s.flush()
        s.add(PedigreeMember(family_id=fam.id, individual="WI", sex="female", donor_id=wife.id))
        remains = s.execute(select(Remains).where(Remains.ref == "R-0001")).scalar_one()
        pm = Sample(ref="S-PM-1", kind="pm", remains_id=remains.id)
        s.add(pm)
        s.flush()
        pm_profile = _profile(s, pm, 0)
        for column, ref in ((1, "D-01"), (2, "D-02"), (3, "D-09")):
            donor = s.execute(select(Donor).where(Donor.ref == ref)).scalar_one()
            ref_sample = Sample(ref=f"S-{ref}", kind="reference", donor_id=donor.id)
            s.add(ref_sample)
            s.flush()
            _profile(s, ref_sample, column)
        c = s.get(CandidateMatch, cid)
        evidence = dict(c.evidence or {})
        evidence.update(
            profile_id=pm_profile.id,
            per_marker_log10_lr={m: row[4] for m, row in TYPED.items()},
            lineage=LINEAGE,
            non_dna=NON_DNA,
            posterior_lower=0.9925,
            posterior_upper=0.9991,
        )
        c.evidence = evidence
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        yield client, db, cid
    dispose_engines()


def _login(client: TestClient, name: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"name": name, "password": password(name), "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _rows(html: str, table_class: str) -> list[list[str]]:
    body = html.split(f'<table class="{table_class}">', 1)[1].split("</table>", 1)[0]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1])
    ]


def _genotype_events(db: str, cid: int) -> list[AuditEvent]:
    with session_scope(db, read=True) as s:
        rows = s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "match.genotypes", AuditEvent.entity_id == str(cid)
            )
        ).scalars()
        return [AuditEvent(user_name=e.user_name, detail=e.detail) for e in rows]


def test_a_geneticist_sees_the_genotypes_and_why_each_lr_is_1(case) -> None:  # noqa: ANN001
    client, db, cid = case
    _login(client, "ana")
    page = client.get(f"/matches/{cid}")
    assert page.status_code == 200, page.text
    rows = {r[0]: r for r in _rows(page.text, "genotypes")}
    header = page.text.split('<table class="genotypes">', 1)[1].split("</thead>", 1)[0]
    assert "D-01 (father)" in header and "D-02 (mother)" in header and "D-09 (wife)" in header
    assert rows["D3S1358"][:5] == ["D3S1358", "15/16", "15/17", "16/16", "not typed"]
    assert rows["D16S539"][1] == "12/-"  # a partial call as written
    assert rows["D16S539"][-1] == me.DROPOUT
    assert rows["CSF1PO"][-1] == me.NO_PM
    assert rows["TPOX"][-1] == me.NO_REFERENCE
    assert rows["D8S1179"][-1] == me.UNINFORMATIVE
    assert rows["D18S51"][-1] == me.EXCLUSION
    assert rows["vWA"][-2] == "about 13 (log10 1.1)"
    for r in rows.values():
        assert r[-1], f"{r[0]} has an empty note"
    assert "LR = 1" not in page.text
    events = _genotype_events(db, cid)
    assert [e.user_name for e in events] == ["ana"]
    detail = events[0].detail or {}
    assert detail["person"] == "P-0001" and detail["remains"] == "R-0001"
    assert not any(g in str(detail) for row in TYPED.values() for g in row[:4] if g)


def test_a_case_manager_and_a_liaison_officer_see_no_genotypes(case) -> None:  # noqa: ANN001
    client, db, cid = case
    _login(client, "cas")
    page = client.get(f"/matches/{cid}")
    assert page.status_code == 200
    assert 'class="genotypes"' not in page.text and "15/16" not in page.text
    assert "12/-" not in page.text
    assert me.NO_PM in page.text and me.UNINFORMATIVE in unescape(page.text)
    assert "Genotypes are shown to analysts and reviewers only" in page.text
    _login(client, "lia")
    refused = client.get(f"/matches/{cid}")
    assert refused.status_code == 403 and "15/16" not in refused.text
    assert _genotype_events(db, cid) == []
    _login(client, "rev")
    assert 'class="genotypes"' in client.get(f"/matches/{cid}").text
    assert [e.user_name for e in _genotype_events(db, cid)] == ["rev"]


def test_every_factor_the_combined_lr_the_interval_and_the_verdict(case) -> None:  # noqa: ANN001
    client, _db, cid = case
    _login(client, "rev")
    page = client.get(f"/matches/{cid}")
    text = unescape(page.text).replace("\xa0", " ")
    factors = {r[0]: r for r in _rows(page.text, "factors")}
    combined = factors.pop("Combined LR")
    assert set(factors) == {
        "autosomal STR (autosomal)",
        "Y-STR (lineage)",
        "age at death (non-DNA)",
        "dog tag (non-DNA)",
    }
    assert factors["autosomal STR (autosomal)"][2].startswith("pedigree likelihood (theta = 0")
    assert "NorSTR East Asia 2023" in factors["autosomal STR (autosomal)"][2]
    assert factors["Y-STR (lineage)"][1] == "about 250 (log10 2.4)"
    assert factors["Y-STR (lineage)"][2] == "haplotype counting, database YHRD 2024"
    assert factors["Y-STR (lineage)"][3] == "reference D-01 (father)"
    assert factors["age at death (non-DNA)"][2] == "normal, mean = 25, sd = 4"
    assert factors["age at death (non-DNA)"][3] == "value 24; observed 20-30 years"
    assert "not counted (switched off)" in factors["dog tag (non-DNA)"][1]
    # combined: the autosomal 8.2 (the stored LR) + 2.39794 + log10 3, the dog tag left out
    assert combined[1] == "about 120 billion (log10 11.1)", combined
    assert "between 99.25 % and 99.91 %, proven bounds" in text
    assert "99.99 %" in text  # the estimate beside it
    verdict = _rows(page.text, "verdict")
    assert verdict and all(r[1].split(" ")[0] in ("met", "failed", "not") for r in verdict)
    assert all(r[2] for r in verdict)
    assert "e-0" not in text and "e+0" not in text


def test_the_page_is_in_order_and_its_tables_scroll_in_a_focusable_box(case) -> None:  # noqa: ANN001
    client, _db, cid = case
    _login(client, "ana")
    html = client.get(f"/matches/{cid}").text
    levels = [int(h) for h in re.findall(r"<h([1-6])", html.split("<main", 1)[-1])]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    for table in re.findall(r"(.{0,120})<table", html, flags=re.S):
        assert 'tabindex="0"' in table, table


def test_a_pairing_without_registry_genotypes_says_so(case) -> None:  # noqa: ANN001
    client, _db, _cid = case
    _login(client, "ana")
    with session_scope(_db, read=True) as s:
        other = (
            s.execute(
                select(CandidateMatch.id)
                .where(CandidateMatch.id != _cid)
                .order_by(CandidateMatch.id)
            )
            .scalars()
            .first()
        )
    text = unescape(client.get(f"/matches/{other}").text)
    assert "The registry holds no genotypes for the profiles of this pairing" in text
    assert "no certified interval was computed for this pairing" in text


def test_why_an_lr_is_1_from_which_side_has_data() -> None:
    full = me.TypedData(
        pm={"A": ("1", "2"), "B": ("1", None)},
        pm_dropout=None,
        references=(
            ("D-1", "D-1 (mother)", True, {"A": ("1", "3"), "B": ("1", "1"), "C": ("4", "5")}),
            ("D-2", "D-2 (husband)", False, {"E": ("1", "1")}),
        ),
    )
    assert me.marker_note("A", 0.0, full) == me.EQUAL
    assert me.marker_note("A", 1e-13, full) == me.EQUAL  # within rounding of LR 1
    assert me.marker_note("B", 0.0, full) == me.DROPOUT  # a partial PM call
    assert me.marker_note("C", 0.0, full) == me.NO_PM
    assert me.marker_note("D", 0.0, me.TypedData({"D": ("1", "2")}, None, full.references)) == (
        me.NO_REFERENCE
    )
    assert me.marker_note("E", 0.0, me.TypedData({"E": ("1", "2")}, None, full.references)) == (
        me.UNINFORMATIVE
    )
    dropout = me.TypedData(full.pm, 0.3, full.references)
    assert me.marker_note("A", 0.0, dropout) == me.DROPOUT
    assert me.marker_note("A", 0.0, me.TypedData(None, None, ())) == me.UNKNOWN_SIDES
    assert me.marker_note("A", float("-inf"), full) == me.EXCLUSION
    assert me.marker_note("A", 2.5, full) == "moderately strong support for identity"
    assert me.genotype_text(("12", None)) == "12/-"


def test_the_prior_sensitivity_table_and_a_factor_in_the_prior(case) -> None:  # noqa: ANN001
    client, db, cid = case
    by_p = {
        "0.1": 0.41,
        "0.25": 0.68,
        "0.5": 0.86,
        "0.75": 0.95,
        "0.9": 0.98,
        "1": 0.99,
        "flat": 0.9,
    }
    with session_scope(db) as s:
        c = s.get(CandidateMatch, cid)
        evidence = dict(c.evidence or {})
        non_dna = [dict(NON_DNA[0], in_prior=True), NON_DNA[1]]
        evidence.update(prior_sensitivity=by_p, non_dna=non_dna)
        c.evidence = evidence
    _login(client, "rev")
    page = client.get(f"/matches/{cid}")
    rows = _rows(page.text, "sensitivity")
    assert [r[1].replace("\xa0", " ") for r in rows] == [
        "41 %", "68 %", "86 %", "95 %", "98 %", "99 %", "90 %"
    ]  # fmt: skip
    assert rows[0][0].startswith("open population, p = 0.1: each set of remains one of")
    assert rows[-1][0].startswith("flat over all assignments")
    text = unescape(page.text).replace("\xa0", " ")
    assert "The posterior is below 50 % at p = 0.1: the identification depends" in text
    factors = {r[0]: r for r in _rows(page.text, "factors")}
    assert (
        "in the prior (in the posterior, not in the combined LR)"
        in (factors["age at death (non-DNA)"][1])
    )
    # combined: the autosomal 8.2 + the Y-STR 2.39794; the age factor is in the prior now
    assert factors["Combined LR"][1] == "about 40 billion (log10 10.6)", factors["Combined LR"]


def test_the_sensitivity_summary_in_words() -> None:
    assert me.sensitivity_summary(None) == ""
    assert "rests on the DNA" in me.sensitivity_summary({"0.1": 0.995, "1": 0.9999, "flat": 0.2})
    assert "below 50 % whatever p" in me.sensitivity_summary({"0.1": 0.1, "1": 0.4})
    assert "ranges from 60 % to 90 %" in me.sensitivity_summary({"0.1": 0.6, "1": 0.9}).replace(
        "\xa0", " "
    )
    assert [r.posterior_in_words for r in me.sensitivity_rows({"0.5": "NaN"})] == ["not stored"]
