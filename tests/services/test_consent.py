"""Consent withdrawal removes a donor's profiles from future runs and names past results."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import setup_case
from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    AuditEvent,
    Donor,
    Genotype,
    PedigreeMember,
    Person,
    Profile,
    ReferenceFamily,
    Remains,
    Sample,
)
from repatria.services.workflows.consent import profiles_for_run, withdraw_consent
from repatria.services.workflows.runs import CandidateInput, record_candidates, record_run


def _family_with_donor(db: str) -> dict[str, int]:
    """A DVI-shaped case: pedigree F1 (father, mother, MP son), the mother donated; a PM profile."""
    with session_scope(db) as s:
        person = s.execute(select(Person).where(Person.ref == "P-0001")).scalar_one()
        remains = s.execute(select(Remains).where(Remains.ref == "R-0001")).scalar_one()
        fam = ReferenceFamily(ref="F1", case_ref="kursk-2025")
        s.add(fam)
        s.flush()
        donor = Donor(
            ref="D1",
            family_id=fam.id,
            name="Kim Young-hee",
            relationship_to_mp="mother",
            mp_person_id=person.id,
            consent_scope="identification",
            consent_given_on="2025-01-10",
        )
        s.add(donor)
        s.flush()
        s.add_all(
            [
                PedigreeMember(family_id=fam.id, individual="FA", sex="male"),
                PedigreeMember(family_id=fam.id, individual="MO", sex="female", donor_id=donor.id),
                PedigreeMember(
                    family_id=fam.id,
                    individual="MP",
                    father="FA",
                    mother="MO",
                    sex="male",
                    person_id=person.id,
                ),
            ]
        )
        ref = Sample(ref="S-REF-1", kind="reference", donor_id=donor.id, material="buccal swab")
        pm = Sample(ref="S-PM-1", kind="pm", remains_id=remains.id, material="femur")
        s.add_all([ref, pm])
        s.flush()
        ids = {}
        for sample in (ref, pm):
            prof = Profile(sample_id=sample.id, kit="GlobalFiler", quality=1.0)
            s.add(prof)
            s.flush()
            s.add_all(
                [
                    Genotype(profile_id=prof.id, marker="D8S1179", allele1="13", allele2="14"),
                    Genotype(profile_id=prof.id, marker="TH01", allele1="9.3", allele2="9.3"),
                ]
            )
            ids[sample.ref] = prof.id
        return ids


def test_withdrawal_excludes_profile_and_names_past_results(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    ids = _family_with_donor(db)
    assert [p.profile_id for p in profiles_for_run(db)] == [ids["S-REF-1"], ids["S-PM-1"]]
    run = record_run(db, actor="ana", profile_ids=ids.values(), parameters={"theta": 0.0})
    cand = record_candidates(
        db, run, [CandidateInput("P-0001", "R-0001", "S-PM-1", 7.2)], actor="ana"
    )

    with pytest.raises(
        ServiceError, match="ana is an analyst and may not record a consent withdrawal"
    ):
        withdraw_consent(db, "D1", actor="ana", reason="phone call")
    w = withdraw_consent(db, "D1", actor="lia", reason="the mother called on 2025-06-01")
    assert (w.profile_ids, w.past_runs, w.past_candidates) == ([ids["S-REF-1"]], [run], cand)
    assert f"past runs that used them: {run}" in w.message
    assert [p.profile_id for p in profiles_for_run(db)] == [ids["S-PM-1"]]
    assert withdraw_consent(db, "D1", actor="lia", reason="again").already_withdrawn


def test_audit_never_holds_genotypes(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    ids = _family_with_donor(db)
    record_run(db, actor="ana", profile_ids=ids.values())
    withdraw_consent(db, "D1", actor="cas", reason="letter")
    with session_scope(db) as s:
        details = [str(d) for d in s.execute(select(AuditEvent.detail)).scalars()]
    assert not any("9.3" in d or "D8S1179" in d for d in details)
