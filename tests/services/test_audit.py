"""`audit verify` finds a tampered, removed or reordered row in the hash-chained logs."""

from __future__ import annotations

from pathlib import Path

from registry_samples import insider_sql, setup_case

from repatria.services.access.audit import verify_chains
from repatria.services.workflows import review
from repatria.services.workflows.custody import record_custody


def _custody(db: str, tmp_path: Path, n: int = 3) -> None:
    setup_case(db, tmp_path, n=1)
    for k in range(n):
        record_custody(
            db,
            actor="cas",
            event="transferred",
            remains_ref="R-0001",
            from_party=f"holder {k}",
            to_party=f"holder {k + 1}",
            occurred_on=f"2025-02-0{k + 1}",
        )


def _sql(db: str, statement: str) -> None:
    insider_sql(db, statement)


def test_intact_chains_verify(db: str, tmp_path: Path) -> None:
    _custody(db, tmp_path)
    report = verify_chains(db)
    assert report.ok and report.first_break() is None


def test_tampered_custody_row_is_named(db: str, tmp_path: Path) -> None:
    _custody(db, tmp_path)
    _sql(db, "UPDATE custody_events SET to_party = 'somebody else' WHERE seq = 2")
    report = verify_chains(db)
    assert not report.ok
    custody = report.chains[0]
    assert (custody.table, custody.broken_seq) == ("custody_events", 2)
    assert "custody chain broken at custody_events row id" in report.first_break()
    assert "(seq 2): its content no longer matches its keyed seal" in report.first_break()


def test_removed_custody_row_is_named(db: str, tmp_path: Path) -> None:
    _custody(db, tmp_path)
    _sql(db, "DELETE FROM custody_events WHERE seq = 2")
    assert "expected seq 2: a row was removed" in verify_chains(db).first_break()


def test_removed_last_row_is_found_through_the_head(db: str, tmp_path: Path) -> None:
    _custody(db, tmp_path)
    _sql(db, "DELETE FROM custody_events WHERE seq = (SELECT max(seq) FROM custody_events)")
    assert "rows at the end were removed" in verify_chains(db).first_break()


def test_rehashed_row_breaks_the_next_link(db: str, tmp_path: Path) -> None:
    """A forger who recomputes one row's hash still breaks the link of the row after it."""
    _custody(db, tmp_path)
    _sql(db, "UPDATE custody_events SET row_hash = '" + "f" * 64 + "' WHERE seq = 1")
    assert "(seq 1): its content no longer matches" in verify_chains(db).first_break()


def test_tampered_decision_is_named(db: str, tmp_path: Path) -> None:
    cid = setup_case(db, tmp_path, n=1)[0]
    review.propose(db, cid, actor="ana", override="test: accepted below the policy")
    review.reject(db, cid, actor="rev", reason="exclusion at 3 markers")
    _sql(db, "UPDATE decisions SET reason = 'looked fine' WHERE kind = 'reject'")
    report = verify_chains(db)
    assert report.chains[0].ok and not report.chains[1].ok
    assert "decisions chain broken at decisions row id" in report.first_break()
