"""Migrations keep the records: 0002 upgrades a populated 0001 database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from repatria.registry.db import downgrade, get_engine, head_revision, migrate, schema_revision


def test_0002_upgrades_a_populated_database_and_keeps_every_row(registry_db: str) -> None:
    assert downgrade(registry_db, "0001") == "0001"
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'u', 'admin', :t)"),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at) "
                "VALUES (1, 'R1', 'burned', 'sampled', :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO samples (id, ref, kind, remains_id, created_at) "
                "VALUES (1, 'S1', 'pm', 1, :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text("INSERT INTO profiles (id, sample_id, created_at) VALUES (1, 1, :t)"),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO genotypes (id, profile_id, marker, allele1, allele2) "
                "VALUES (1, 1, 'TH01', '9', '9.3')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO custody_events (id, seq, remains_id, sample_id, event, "
                "recorded_by_id, recorded_at, prev_hash, row_hash) "
                "VALUES (1, 1, 1, 1, 'sampled', 1, :t, 'a', 'b')"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
    before, after = migrate(registry_db)
    assert (before, after) == ("0001", head_revision()) and schema_revision(registry_db) == after
    with engine.begin() as conn:
        assert conn.execute(text("SELECT condition, status FROM remains")).one() == (
            "burned",
            "sampled",
        )
        assert conn.execute(text("SELECT allele1, allele2 FROM genotypes")).one() == ("9", "9.3")
        assert conn.execute(text("SELECT sample_id FROM custody_events")).scalar_one() == 1
        # the new schema: unknown condition, sample sex, an unknown allele
        conn.execute(
            text(
                "INSERT INTO remains (id, ref, condition, status, created_at) "
                "VALUES (2, 'R2', 'unknown', 'recovered', :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        conn.execute(text("UPDATE samples SET sex = 'male' WHERE id = 1"))
        conn.execute(
            text(
                "INSERT INTO genotypes (id, profile_id, marker, allele1, allele2) "
                "VALUES (2, 1, 'FGA', '22', NULL)"
            )
        )
    for bad in (
        "INSERT INTO remains (id, ref, condition, status, created_at) "
        "VALUES (3, 'R3', 'soggy', 'recovered', '2025-01-01 00:00:00')",
        "UPDATE samples SET sex = 'x' WHERE id = 1",
        "INSERT INTO samples (id, ref, kind, remains_id, created_at) "
        "VALUES (9, 'S9', 'pm', 99, '2025-01-01 00:00:00')",
    ):
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text(bad))


_T = {"t": "2025-01-01 00:00:00"}


def _populate_0004(conn) -> None:  # type: ignore[no-untyped-def]
    rows = (
        "INSERT INTO users (id, name, role, created_at) VALUES (1, 'u', 'admin', :t)",
        "INSERT INTO users (id, name, role, created_at) VALUES (2, 'v', 'reviewer', :t)",
        "INSERT INTO persons (id, ref, sex, status, created_at) "
        "VALUES (1, 'P1', 'male', 'repatriated', :t)",
        "INSERT INTO remains (id, ref, condition, status, created_at) "
        "VALUES (1, 'R1', 'burned', 'repatriated', :t)",
        "INSERT INTO remains (id, ref, condition, status, created_at) "
        "VALUES (2, 'R2', 'fragmentary', 'sampled', :t)",
        "INSERT INTO remains (id, ref, condition, status, created_at) "
        "VALUES (3, 'R3', 'intact', 'recovered', :t)",
        "INSERT INTO samples (id, ref, kind, remains_id, created_at) VALUES (1, 'S1', 'pm', 1, :t)",
        "INSERT INTO samples (id, ref, kind, remains_id, created_at) VALUES (2, 'S2', 'pm', 2, :t)",
        "INSERT INTO samples (id, ref, kind, remains_id, created_at) VALUES (3, 'S3', 'pm', 2, :t)",
        "INSERT INTO reference_families (id, ref, created_at) VALUES (1, 'F1', :t)",
        "INSERT INTO candidate_matches (id, person_id, remains_id, sample_id, log10_lr, "
        "created_at) VALUES (1, 1, 1, 1, 9.5, :t)",
        "INSERT INTO state_changes (entity, entity_id, from_state, to_state, cause, "
        "actor_id, changed_at) VALUES ('remains', 1, 'sampled', 'identified', "
        "'decision:2', 2, :t)",
        "INSERT INTO repatriations (id, kind, counterpart, occurred_on, recorded_by_id, "
        "recorded_at) VALUES (1, 'handover', 'family', '2025-02-01', 1, :t)",
        "INSERT INTO repatriation_items (id, repatriation_id, remains_id, person_id) "
        "VALUES (1, 1, 1, 1)",
    )
    for sql in rows:
        conn.execute(text(sql), _T)


def test_0005_makes_one_body_of_each_remains_and_keeps_every_row(registry_db: str) -> None:
    assert downgrade(registry_db, "0004") == "0004"
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        _populate_0004(conn)
        before = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("remains", "samples", "candidate_matches", "repatriation_items")
        }
    assert migrate(registry_db) == ("0004", head_revision())
    with engine.begin() as conn:
        for table, n in before.items():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == n
        bodies = conn.execute(text("SELECT ref, status FROM bodies ORDER BY ref")).all()
        assert [tuple(b) for b in bodies] == [
            ("R1", "repatriated"),
            ("R2", "sampled"),
            ("R3", "recovered"),
        ]
        parts = conn.execute(
            text(
                "SELECT b.ref, p.remains_id, p.sample_id, p.added_by FROM body_parts p "
                "JOIN bodies b ON b.id = p.body_id ORDER BY p.remains_id, p.sample_id"
            )
        ).all()
        assert [tuple(p) for p in parts] == [
            ("R1", 1, 1, "migration"),
            ("R2", 2, 2, "migration"),
            ("R2", 2, 3, "migration"),
            ("R3", 3, None, "migration"),
        ]
        body_of = dict(conn.execute(text("SELECT ref, id FROM bodies")).all())
        assert (
            conn.execute(text("SELECT body_id FROM candidate_matches")).scalar_one()
            == (body_of["R1"])
        )
        assert (
            conn.execute(text("SELECT body_id FROM repatriation_items")).scalar_one()
            == (body_of["R1"])
        )
        assert conn.execute(
            text("SELECT entity_id, to_state, cause FROM state_changes WHERE entity = 'body'")
        ).one() == (body_of["R1"], "identified", "decision:2")
        assert conn.execute(text("SELECT ref, version FROM reference_families")).one() == (
            "F1",
            1,
        )
        # the new schema: a second version of a family, a body in a handover, a grave
        conn.execute(
            text(
                "INSERT INTO reference_families (id, ref, version, supersedes_id, created_at) "
                "VALUES (2, 'F1', 2, 1, :t)"
            ),
            _T,
        )
        conn.execute(
            text(
                "INSERT INTO graves (cemetery, plot, number, created_at) "
                "VALUES ('C', 'A', '12', :t)"
            ),
            _T,
        )
    for bad in (
        "INSERT INTO reference_families (id, ref, version, created_at) "
        "VALUES (3, 'F1', 2, '2025-01-01 00:00:00')",
        "INSERT INTO graves (cemetery, plot, number, created_at) "
        "VALUES ('C', 'A', '12', '2025-01-01 00:00:00')",
        "INSERT INTO bodies (ref, status, created_at) VALUES ('R1', 'recovered', "
        "'2025-01-01 00:00:00')",
        "INSERT INTO state_changes (entity, entity_id, from_state, to_state, actor_id, "
        "changed_at) VALUES ('bag', 1, 'a', 'b', 1, '2025-01-01 00:00:00')",
    ):
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text(bad))


def test_0005_downgrades_when_nothing_needs_it(registry_db: str) -> None:
    assert downgrade(registry_db, "0004") == "0004"
    with get_engine(registry_db).begin() as conn:
        _populate_0004(conn)
    migrate(registry_db)
    assert downgrade(registry_db, "0004") == "0004"
    with get_engine(registry_db).begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM repatriation_items")).scalar_one() == 1
    assert migrate(registry_db)[1] == head_revision()


def _legacy_chain(rows: list[dict], fields: tuple[str, ...]) -> list[dict]:  # type: ignore[type-arg]
    """Seal ``rows`` as 0004/0005 did: plain SHA-256 of the previous hash and the content."""
    from repatria.registry.chain import GENESIS, _canonical, content_hash

    prev = GENESIS
    for row in rows:
        content = {f: _canonical(row[f]) for f in fields if f != "context_digest"}
        row["prev_hash"], row["row_hash"] = prev, content_hash(prev, content)
        prev = row["row_hash"]
    return rows


def test_0004_upgrades_through_0005_and_0006_keeping_and_resealing_every_chain(
    registry_db: str,
) -> None:
    """A populated 0004 database with unkeyed chains: 0005 (bodies) then re-associations
    reviewed under it, then 0006 (integrity) re-seals the decisions, re-associations and audit
    chains under the key; nothing is lost, every chain verifies, and the new trigger holds."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import bindparam
    from sqlalchemy.orm import Session
    from sqlalchemy.types import JSON

    from repatria.registry.chain import verify_chains
    from repatria.registry.db import _run_alembic
    from repatria.registry.models import AssociationDecision, Decision, UTCDateTime

    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    stamp = bindparam("decided_at", type_=UTCDateTime())
    assert downgrade(registry_db, "0004") == "0004"
    engine = get_engine(registry_db)
    with engine.begin() as conn:
        _populate_0004(conn)
        conn.execute(
            text("INSERT INTO users (id, name, role, created_at) VALUES (3, 'a', 'analyst', :t)"),
            _T,
        )
        base = {"candidate_id": 1, "reason": None, "decided_at": at}
        decisions = _legacy_chain(
            [
                base
                | {"id": 1, "seq": 1, "kind": "propose", "actor_id": 3, "proposer_id": 3}
                | {"refers_to": None},
                base
                | {"id": 2, "seq": 2, "kind": "confirm", "actor_id": 2, "proposer_id": 3}
                | {"refers_to": 1},
            ],
            Decision.CHAIN_FIELDS,
        )
        for d in decisions:
            conn.execute(
                text(
                    "INSERT INTO decisions (id, seq, candidate_id, kind, actor_id, proposer_id, "
                    "refers_to, reason, decided_at, prev_hash, row_hash) VALUES (:id, :seq, "
                    ":candidate_id, :kind, :actor_id, :proposer_id, :refers_to, :reason, "
                    ":decided_at, :prev_hash, :row_hash)"
                ).bindparams(stamp),
                d,
            )
        conn.execute(text("DELETE FROM chain_heads WHERE chain = 'decisions'"))
        conn.execute(
            text(
                "INSERT INTO chain_heads (chain, last_seq, last_hash) VALUES ('decisions', 2, :h)"
            ),
            {"h": decisions[-1]["row_hash"]},
        )
        for i, action in ((1, "review.propose"), (2, "review.confirm")):
            conn.execute(
                text(
                    "INSERT INTO audit_events (id, at, user_name, action, entity, entity_id) "
                    "VALUES (:i, :t, 'a', :a, 'candidate', '1')"
                ),
                {"i": i, "t": "2025-01-01 00:00:00", "a": action},
            )
        before = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("remains", "samples", "candidate_matches", "decisions", "audit_events")
        }

    _run_alembic(engine, lambda cfg: command.upgrade(cfg, "0005"))
    assert schema_revision(registry_db) == "0005"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO associations (id, kind, sample_ids, reason, created_by_id, "
                "created_at) VALUES (1, 'merge', :ids, 'one bag', 3, :t)"
            ).bindparams(bindparam("ids", type_=JSON())),
            {"ids": [2, 3], "t": "2025-01-01 00:00:00"},
        )
        base = {"association_id": 1, "decided_at": at, "proposer_id": 3}
        steps = _legacy_chain(
            [
                base
                | {"id": 1, "seq": 1, "kind": "propose", "actor_id": 3}
                | {"refers_to": None, "reason": "one bag"},
                base
                | {"id": 2, "seq": 2, "kind": "reject", "actor_id": 2}
                | {"refers_to": 1, "reason": "two people"},
            ],
            AssociationDecision.CHAIN_FIELDS,
        )
        for d in steps:
            conn.execute(
                text(
                    "INSERT INTO association_decisions (id, seq, association_id, kind, actor_id, "
                    "proposer_id, refers_to, reason, decided_at, prev_hash, row_hash) VALUES "
                    "(:id, :seq, :association_id, :kind, :actor_id, :proposer_id, :refers_to, "
                    ":reason, :decided_at, :prev_hash, :row_hash)"
                ).bindparams(stamp),
                d,
            )
        conn.execute(text("DELETE FROM chain_heads WHERE chain = 'associations'"))
        conn.execute(
            text(
                "INSERT INTO chain_heads (chain, last_seq, last_hash) "
                "VALUES ('associations', 2, :h)"
            ),
            {"h": steps[-1]["row_hash"]},
        )

    assert migrate(registry_db) == ("0005", head_revision())
    with engine.begin() as conn:
        for table, n in before.items():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == n, table
        assert conn.execute(text("SELECT count(*) FROM association_decisions")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM bodies")).scalar_one() == 3
        assert (
            conn.execute(
                text("SELECT count(*) FROM association_decisions WHERE context_digest IS NULL")
            ).scalar_one()
            == 0
        )
    with Session(engine) as session:
        chains = {name: (n, breaks) for name, _, n, breaks in verify_chains(session)}
    assert chains == {
        "custody": (0, []),
        "decisions": (2, []),
        "associations": (2, []),
        "audit": (2, []),
    }
    # the rule of 0006 on re-associations: a second proposal's confirmation by an admin is
    # refused (role), and the log is append-only
    for bad in (
        "INSERT INTO association_decisions (id, seq, association_id, kind, actor_id, "
        "proposer_id, refers_to, reason, decided_at, prev_hash, row_hash) VALUES "
        "(3, 3, 1, 'revoke', 1, NULL, 1, 'r', '2025-01-02 00:00:00', 'x', 'y')",
        "UPDATE association_decisions SET reason = 'edited' WHERE id = 2",
        "DELETE FROM association_decisions WHERE id = 2",
    ):
        with pytest.raises(Exception, match="two-person rule|append-only"):
            with engine.begin() as conn:
                conn.execute(text(bad))
