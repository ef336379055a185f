"""Small registry TSVs and the users of the workflow tests."""

from __future__ import annotations

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

PERSON_HEADER = (
    "person_ref\tname\tname_script\tname_transliteration\taliases\tsex\tservice_number"
    "\tunit\tdocuments\tstatus\tlast_known_place\tlast_known_lat\tlast_known_lon"
)
REMAINS_HEADER = (
    "remains_ref\tsite\tsite_lat\tsite_lon\trecovered_on\trecovered_by\tcondition\teffects"
)


def person_line(i: int) -> str:
    return "\t".join(
        [
            f"P-{i:04d}",
            f"김철수{i}",
            "Hang",
            f"Kim Chol-su {i}",
            f"Ivan Petrov {i}|false|Latn|;Kim Cholsu|transliteration|Latn|",
            "male",
            f"SN-{i:06d}",
            "11th Corps",
            f"military id|RU-{i}|Russia|Ivan Petrov {i}|foreign",
            "missing",
            "Plekhovo, Kursk",
            "51.24",
            "35.11",
        ]
    )


def remains_line(i: int) -> str:
    return "\t".join(
        [
            f"R-{i:04d}",
            "Plekhovo field 3",
            "51.25",
            "35.12",
            "2025-02-01",
            "recovery team 2",
            "burned" if i % 2 else "fragmentary",
            "tag|partly melted dog tag;notebook|Korean script, water damaged",
        ]
    )


def write_persons(path: Path, n: int) -> Path:
    path.write_text(
        "# test persons\n"
        + PERSON_HEADER
        + "\n"
        + "\n".join(person_line(i) for i in range(1, n + 1))
        + "\n",
        encoding="utf-8",
    )
    return path


def write_remains(path: Path, n: int) -> Path:
    path.write_text(
        REMAINS_HEADER + "\n" + "\n".join(remains_line(i) for i in range(1, n + 1)) + "\n",
        encoding="utf-8",
    )
    return path


def raw_connect(url: str):  # noqa: ANN201
    """A plain DB-API connection (no Repatria, no SQLAlchemy): how a direct SQL writer gets in.

    On SQLite the connection does NOT turn foreign keys on, like most ad-hoc tools.
    """
    if url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(url[len("sqlite:///") :], isolation_level=None, timeout=30)
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


APPEND_ONLY = ("decisions", "association_decisions", "custody_events", "audit_events")


def insider_sql(url: str, *statements: str) -> None:
    """Direct SQL by an insider who can write the database: the append-only triggers are
    dropped (SQLite) or disabled (PostgreSQL) first, as such an insider would."""
    conn = raw_connect(url)
    try:
        for table in APPEND_ONLY:
            if url.startswith("sqlite:///"):
                for event in ("UPDATE", "DELETE"):
                    conn.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only_{event}")
            else:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER trg_{table}_append_only")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def setup_case(db: str, tmp_path: Path, n: int = 3) -> list[int]:
    """Import n persons and n remains, and record one candidate P-i = R-i for each (analyst ana)."""
    from repatria.services.workflows.imports import import_persons, import_remains
    from repatria.services.workflows.runs import CandidateInput, record_candidates, record_run

    import_persons(db, write_persons(tmp_path / "persons.tsv", n), actor="cas")
    import_remains(db, write_remains(tmp_path / "remains.tsv", n), actor="cas")
    run = record_run(
        db,
        actor="ana",
        parameters={"threshold": 10000},
        frequency_table="test-freqs",
        input_sha256="0" * 64,
    )
    return record_candidates(
        db,
        run,
        [CandidateInput(f"P-{i:04d}", f"R-{i:04d}", log10_lr=6.5 + i) for i in range(1, n + 1)],
        actor="ana",
    )
