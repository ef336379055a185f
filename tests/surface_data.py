"""A small case for the API, page and report tests, loaded through the services.

Three missing persons (one known by a false Russian name, one with a Cyrillic official name),
three sets of remains, two reference families, an identification run with candidate matches
(per-marker LRs as ``services.identify`` stores them, one with an LR of 0 at a marker), and a
published claim. Users of every role, each with a password; candidate 1 is left unproposed
so a test can walk the whole review.
"""

from __future__ import annotations

import math
from pathlib import Path

USERS = {
    "ada": "admin",
    "ana": "analyst",
    "alex": "analyst",
    "rev": "reviewer",
    "rita": "reviewer",
    "cas": "case_manager",
    "lia": "liaison_officer",
    "aud": "auditor",
}


def password(name: str) -> str:
    return f"{name}-secret-pw"


def _tsv(*rows: tuple[str, ...]) -> str:
    """Tab-separated lines, one per row, each ending in a newline."""
    return "".join("\t".join(row) + "\n" for row in rows)


PERSONS = _tsv(
    (
        "person_ref", "name", "name_script", "name_transliteration", "aliases", "sex",
        "service_number", "unit", "documents", "status", "last_known_place", "last_known_lat",
        "last_known_lon",
    ),
    (
        "P-0001", "김철수", "Hang", "Kim Chol-su",
        "Иван Петров|false|Cyrl|Ivan Petrov;Kim Cholsu|transliteration|Latn|",
        "male", "SN-000001", "11th Corps", "military id|RU-1|Russia|Ivan Petrov|foreign",
        "missing", "Plekhovo, Kursk", "51.24", "35.11",
    ),
    (
        "P-0002", "박영호", "Hang", "Pak Yong-ho", "Pavel Orlov|false|Latn|", "male", "SN-000002",
        "11th Corps", "", "missing", "Plekhovo, Kursk", "51.24", "35.11",
    ),
    (
        "P-0003", "Сергей Волков", "Cyrl", "Sergei Volkov", "", "male", "SN-000003",
        "810th Brigade", "", "missing", "Sudzha", "51.19", "35.27",
    ),
)  # fmt: skip

REMAINS = _tsv(
    (
        "remains_ref", "site", "site_lat", "site_lon", "recovered_on", "recovered_by",
        "condition", "effects",
    ),
    (
        "R-0001", "Plekhovo field 3", "51.25", "35.12", "2025-02-01", "recovery team 2", "burned",
        "tag|partly melted dog tag",
    ),
    (
        "R-0002", "Plekhovo field 3", "51.25", "35.12", "2025-02-01", "recovery team 2",
        "fragmentary", "",
    ),
    (
        "R-0003", "Sudzha road", "51.19", "35.27", "2025-02-10", "recovery team 1", "intact",
        "notebook|Cyrillic script",
    ),
)  # fmt: skip

CLAIMS = _tsv(
    (
        "claim_id", "reported_on", "reported_by", "attributed_to", "subject", "measure", "low",
        "high", "as_of", "basis", "verification",
    ),
    (
        "C-001", "2025-01-15", "Ministry statement", "spokesman", "corps losses", "identified",
        "3", "3", "2025-01-15", "press briefing", "not verified",
    ),
    (
        "C-002", "2025-01-20", "News agency", "", "corps losses", "missing", "10", "40",
        "2025-01-20", "estimate", "unverified",
    ),
)  # fmt: skip

MARKERS = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51")


def _per_marker(total_log10: float, zero_at: str | None = None) -> dict[str, float | str]:
    each = total_log10 / len(MARKERS)
    out: dict[str, float | str] = {m: round(each, 6) for m in MARKERS}
    if zero_at:
        out[zero_at] = "-Inf"
    return out


def load_case(db: str, tmp: Path) -> dict[str, int]:
    """Load the case into a migrated, empty registry; returns candidate ids by name."""
    from repatria.registry.db import session_scope
    from repatria.registry.models import Donor, PedigreeMember, Person, ReferenceFamily
    from repatria.services.access.auth import set_password
    from repatria.services.access.users import add_user
    from repatria.services.workflows.imports import import_claims, import_persons, import_remains
    from repatria.services.workflows.runs import CandidateInput, record_candidates, record_run

    add_user(db, "ada", "admin")
    for name, role in USERS.items():
        if name != "ada":
            add_user(db, name, role, actor="ada")
    for name in USERS:
        set_password(db, name, password(name))
    (tmp / "persons.tsv").write_text(PERSONS, encoding="utf-8")
    (tmp / "remains.tsv").write_text(REMAINS, encoding="utf-8")
    (tmp / "claims.tsv").write_text(CLAIMS, encoding="utf-8")
    import_persons(db, tmp / "persons.tsv", actor="cas")
    import_remains(db, tmp / "remains.tsv", actor="cas")
    import_claims(db, tmp / "claims.tsv", actor="cas")

    # Reference families: the registry's pedigree rows, written directly (as a case import would).
    with session_scope(db) as s:
        persons = {p.ref: p for p in s.query(Person).all()}
        f1 = ReferenceFamily(ref="F-01", case_ref="demo")
        f2 = ReferenceFamily(ref="F-02", case_ref="demo")
        s.add_all([f1, f2])
        s.flush()
        d_father = Donor(
            ref="D-01",
            family_id=f1.id,
            name="Kim Dae-ho",
            relationship_to_mp="father",
            mp_person_id=persons["P-0001"].id,
            consent_given_on="2024-11-02",
        )
        d_mother = Donor(
            ref="D-02",
            family_id=f1.id,
            name="Kim Young-hee",
            relationship_to_mp="mother",
            mp_person_id=persons["P-0001"].id,
        )
        d_sib = Donor(
            ref="D-03",
            family_id=f2.id,
            name="Pak Min-jun",
            relationship_to_mp="brother",
            mp_person_id=persons["P-0002"].id,
        )
        s.add_all([d_father, d_mother, d_sib])
        s.flush()
        s.add_all(
            [
                PedigreeMember(family_id=f1.id, individual="FA", sex="male", donor_id=d_father.id),
                PedigreeMember(
                    family_id=f1.id, individual="MO", sex="female", donor_id=d_mother.id
                ),
                PedigreeMember(
                    family_id=f1.id,
                    individual="MP1",
                    father="FA",
                    mother="MO",
                    sex="male",
                    person_id=persons["P-0001"].id,
                ),
                PedigreeMember(family_id=f2.id, individual="F", sex="male"),
                PedigreeMember(family_id=f2.id, individual="M", sex="female"),
                PedigreeMember(
                    family_id=f2.id,
                    individual="MP2",
                    father="F",
                    mother="M",
                    sex="male",
                    person_id=persons["P-0002"].id,
                ),
                PedigreeMember(
                    family_id=f2.id,
                    individual="B",
                    father="F",
                    mother="M",
                    sex="male",
                    donor_id=d_sib.id,
                ),
            ]
        )

    run = record_run(
        db,
        actor="alex",
        parameters={"theta": 0, "threshold": 10000},
        frequency_table="NorSTR East Asia 2023",
        input_sha256="ab" * 32,
    )
    ids = record_candidates(
        db,
        run,
        [
            CandidateInput(
                "P-0001",
                "R-0001",
                log10_lr=8.2,
                posterior=0.9999,
                evidence={
                    "per_marker_log10_lr": _per_marker(8.2),
                    "exclusions": 0,
                    "family": "F-01",
                },
            ),
            CandidateInput(
                "P-0002",
                "R-0001",
                log10_lr=1.1,
                posterior=0.0001,
                evidence={
                    "per_marker_log10_lr": _per_marker(1.1),
                    "exclusions": 1,
                    "family": "F-02",
                },
            ),
            CandidateInput(
                "P-0002",
                "R-0002",
                log10_lr=6.4,
                posterior=0.998,
                evidence={
                    "per_marker_log10_lr": _per_marker(6.4),
                    "exclusions": 0,
                    "family": "F-02",
                },
            ),
            CandidateInput(
                "P-0003",
                "R-0003",
                log10_lr=-math.inf,
                posterior=0.0,
                evidence={"per_marker_log10_lr": _per_marker(3.0, zero_at="vWA"), "exclusions": 1},
            ),
        ],
        actor="alex",
    )
    return {"p1_r1": ids[0], "p2_r1": ids[1], "p2_r2": ids[2], "p3_r3": ids[3]}
