"""bodies: bodies made of recovered items, re-associations, family versions, graves

- ``bodies`` and ``body_parts``: a body is one individual's remains, made of recovered items
  (``remains``) and their samples; one item can hold parts of several bodies. Every current
  remains record becomes one body with the same ref and state, made of that item and its
  samples (samples of a corrected-away remains row go with the correction's body).
- ``associations`` and ``association_decisions``: re-associations ("these samples are one
  body"), reviewed under the same two-person rules as identifications, in their own chain,
  with the same trigger.
- ``candidate_matches.body_id`` (filled from the remains), ``candidate_scores`` (a
  candidate's numbers in each run), ``candidate_closures`` (candidates superseded).
- ``state_changes.entity`` may be ``body``; the remains' state changes are copied for their
  bodies, so revoking an identification made before the migration knows the body's old state.
- ``repatriation_items`` and ``dispositions`` name a body (filled from the remains);
  ``graves`` (cemetery, plot, number) and ``dispositions.grave_id``.
- ``reference_families``: ``version``, ``supersedes_id``, ``change_reason``,
  ``changed_by_id``; the ref is unique per version. A donor holds a position in each version
  of his family, so ``pedigree_members.donor_id`` is unique per family row, not overall.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_STATES = ("recovered", "sampled", "identified", "repatriated", "disposed")
_DECISION_KINDS = ("propose", "confirm", "reject", "revoke")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{table}_{col}_{target}"))


def upgrade() -> None:
    _create_body_tables()
    _create_association_tables()
    _create_candidate_tables()
    _alter_existing()
    _create_two_person_trigger()
    _fill_bodies()


def _create_body_tables() -> None:
    op.create_table(
        "bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint(_in("status", _STATES), name=op.f("ck_bodies_status")),
        _fk("bodies", "import_id", "import_batches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bodies")),
        sa.UniqueConstraint("ref", name=op.f("uq_bodies_ref")),
    )
    op.create_table(
        "body_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        _ts("created_at"),
        _fk("body_parts", "body_id", "bodies"),
        _fk("body_parts", "remains_id", "remains"),
        _fk("body_parts", "sample_id", "samples"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_parts")),
    )
    for col in ("body_id", "remains_id", "sample_id"):
        op.create_index(op.f(f"ix_body_parts_{col}"), "body_parts", [col], unique=False)
    op.create_table(
        "graves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cemetery", sa.String(length=300), nullable=False),
        sa.Column("plot", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graves")),
        sa.UniqueConstraint(
            "cemetery", "plot", "number", name=op.f("uq_graves_cemetery_plot_number")
        ),
    )


def _create_association_tables() -> None:
    op.create_table(
        "associations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sample_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint(_in("kind", ("merge", "split")), name=op.f("ck_associations_kind")),
        _fk("associations", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_associations")),
    )
    t = "association_decisions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=True),
        sa.Column("refers_to", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _ts("decided_at"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind <> 'propose' OR (refers_to IS NULL AND proposer_id = actor_id)",
            name=op.f(f"ck_{t}_propose_shape"),
        ),
        sa.CheckConstraint(
            "kind = 'propose' OR refers_to IS NOT NULL", name=op.f(f"ck_{t}_refers")
        ),
        sa.CheckConstraint(_in("kind", _DECISION_KINDS), name=op.f(f"ck_{t}_kind")),
        sa.CheckConstraint(
            "kind NOT IN ('confirm', 'reject') OR "
            "(proposer_id IS NOT NULL AND actor_id <> proposer_id)",
            name=op.f(f"ck_{t}_two_person"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('reject', 'revoke') OR (reason IS NOT NULL AND reason <> '')",
            name=op.f(f"ck_{t}_reason"),
        ),
        _fk(t, "actor_id", "users"),
        _fk(t, "association_id", "associations"),
        _fk(t, "proposer_id", "users"),
        sa.ForeignKeyConstraint(
            ["refers_to", "proposer_id"],
            [f"{t}.id", f"{t}.actor_id"],
            name=f"fk_{t}_refers_to_proposer",
        ),
        sa.ForeignKeyConstraint(["refers_to"], [f"{t}.id"], name=op.f(f"fk_{t}_refers_to_{t}")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("id", "actor_id", name=op.f(f"uq_{t}_id_actor_id")),
        sa.UniqueConstraint("refers_to", name=op.f(f"uq_{t}_refers_to")),
        sa.UniqueConstraint("row_hash", name=op.f(f"uq_{t}_row_hash")),
        sa.UniqueConstraint("seq", name=op.f(f"uq_{t}_seq")),
    )
    op.create_index(op.f(f"ix_{t}_association_id"), t, ["association_id"], unique=False)
    op.create_index(
        f"uq_{t}_one_proposal",
        t,
        ["association_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'propose'"),
        postgresql_where=sa.text("kind = 'propose'"),
    )
    heads = sa.table(
        "chain_heads",
        sa.column("chain", sa.String),
        sa.column("last_seq", sa.Integer),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(heads, [{"chain": "associations", "last_seq": 0, "last_hash": "0" * 64}])


def _create_candidate_tables() -> None:
    op.create_table(
        "candidate_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("log10_lr", sa.Float(), nullable=True),
        sa.Column("posterior", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        _fk("candidate_scores", "run_id", "identification_runs"),
        _fk("candidate_scores", "candidate_id", "candidate_matches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_scores")),
        sa.UniqueConstraint(
            "run_id", "candidate_id", name=op.f("uq_candidate_scores_run_id_candidate_id")
        ),
    )
    op.create_index(op.f("ix_candidate_scores_candidate_id"), "candidate_scores", ["candidate_id"])
    op.create_table(
        "candidate_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("pointer", sa.String(length=64), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint(
            _in("reason", ("superseded",)), name=op.f("ck_candidate_closures_reason")
        ),
        _fk("candidate_closures", "candidate_id", "candidate_matches"),
        _fk("candidate_closures", "run_id", "identification_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_closures")),
        sa.UniqueConstraint("candidate_id", name=op.f("uq_candidate_closures_candidate_id")),
    )


def _alter_existing() -> None:
    with op.batch_alter_table("candidate_matches", schema=None) as b:
        b.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
        b.create_foreign_key(
            b.f("fk_candidate_matches_body_id_bodies"), "bodies", ["body_id"], ["id"]
        )
        b.create_index(b.f("ix_candidate_matches_body_id"), ["body_id"], unique=False)
    with op.batch_alter_table("state_changes", schema=None) as b:
        b.drop_constraint(op.f("ck_state_changes_entity"), type_="check")
        b.create_check_constraint(
            op.f("ck_state_changes_entity"), _in("entity", ("person", "remains", "body"))
        )
    for table in ("repatriation_items", "dispositions"):
        with op.batch_alter_table(table, schema=None) as b:
            b.alter_column("remains_id", existing_type=sa.Integer(), nullable=True)
            b.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
            b.create_foreign_key(b.f(f"fk_{table}_body_id_bodies"), "bodies", ["body_id"], ["id"])
            b.create_unique_constraint(b.f(f"uq_{table}_body_id"), ["body_id"])
            if table == "dispositions":
                b.add_column(sa.Column("grave_id", sa.Integer(), nullable=True))
                b.create_foreign_key(
                    b.f("fk_dispositions_grave_id_graves"), "graves", ["grave_id"], ["id"]
                )
    with op.batch_alter_table("pedigree_members", schema=None) as b:
        b.drop_constraint(op.f("uq_pedigree_members_donor_id"), type_="unique")
        b.create_unique_constraint(
            b.f("uq_pedigree_members_family_id_donor_id"), ["family_id", "donor_id"]
        )
        b.create_index(b.f("ix_pedigree_members_donor_id"), ["donor_id"], unique=False)
    with op.batch_alter_table("reference_families", schema=None) as b:
        b.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        b.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("change_reason", sa.Text(), nullable=True))
        b.add_column(sa.Column("changed_by_id", sa.Integer(), nullable=True))
        b.drop_constraint(op.f("uq_reference_families_ref"), type_="unique")
        b.create_unique_constraint(b.f("uq_reference_families_ref_version"), ["ref", "version"])
        b.create_unique_constraint(b.f("uq_reference_families_supersedes_id"), ["supersedes_id"])
        b.create_foreign_key(
            b.f("fk_reference_families_supersedes_id_reference_families"),
            "reference_families",
            ["supersedes_id"],
            ["id"],
        )
        b.create_foreign_key(
            b.f("fk_reference_families_changed_by_id_users"), "users", ["changed_by_id"], ["id"]
        )


def _fill_bodies() -> None:
    """Every current remains record becomes one body of the same ref, state and import."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, ref, status, import_id, created_at, supersedes_id FROM remains")
    ).all()
    replaced_by = {r.supersedes_id: r.id for r in rows if r.supersedes_id is not None}

    def head(rid: int) -> int:
        seen = set()
        while rid in replaced_by and rid not in seen:
            seen.add(rid)
            rid = replaced_by[rid]
        return rid

    body_of: dict[int, int] = {}
    for r in sorted(rows, key=lambda r: r.id):
        if r.id in replaced_by:
            continue
        bind.execute(
            sa.text(
                "INSERT INTO bodies (ref, status, import_id, created_at) "
                "VALUES (:ref, :status, :imp, :at)"
            ),
            {"ref": r.ref, "status": r.status, "imp": r.import_id, "at": r.created_at},
        )
        body_of[r.id] = bind.execute(
            sa.text("SELECT id FROM bodies WHERE ref = :ref"), {"ref": r.ref}
        ).scalar_one()
    body_of.update({r.id: body_of[head(r.id)] for r in rows if r.id in replaced_by})
    _fill_parts(bind, body_of)
    for table in ("candidate_matches", "repatriation_items", "dispositions"):
        for rid, bid in body_of.items():
            bind.execute(
                sa.text(f"UPDATE {table} SET body_id = :b WHERE remains_id = :r"),
                {"b": bid, "r": rid},
            )
    for rid, bid in body_of.items():
        bind.execute(
            sa.text(
                "INSERT INTO state_changes (entity, entity_id, from_state, to_state, reason, "
                "cause, actor_id, changed_at) SELECT 'body', :b, from_state, to_state, reason, "
                "cause, actor_id, changed_at FROM state_changes "
                "WHERE entity = 'remains' AND entity_id = :r ORDER BY id"
            ),
            {"b": bid, "r": rid},
        )


def _fill_parts(bind: sa.Connection, body_of: dict[int, int]) -> None:
    samples = bind.execute(
        sa.text("SELECT id, remains_id FROM samples WHERE remains_id IS NOT NULL ORDER BY id")
    ).all()
    with_samples = {s.remains_id for s in samples}
    insert = sa.text(
        "INSERT INTO body_parts (body_id, remains_id, sample_id, added_by, created_at) "
        "VALUES (:b, :r, :s, 'migration', CURRENT_TIMESTAMP)"
    )
    for s in samples:
        bind.execute(insert, {"b": body_of[s.remains_id], "r": s.remains_id, "s": s.id})
    for rid, bid in sorted(body_of.items()):
        if rid not in with_samples:
            bind.execute(insert, {"b": bid, "r": rid, "s": None})


_MESSAGE = "two-person rule: the proposer of a re-association cannot confirm or reject it"

_SQLITE_TRIGGER = """
CREATE TRIGGER trg_association_decisions_two_person_{event}
BEFORE {event} ON association_decisions
FOR EACH ROW WHEN NEW.kind IN ('confirm', 'reject')
BEGIN
    SELECT RAISE(ABORT, '{message}')
    WHERE NOT EXISTS (SELECT 1 FROM association_decisions p WHERE p.id = NEW.refers_to
                      AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id);
END
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION association_decisions_two_person() RETURNS trigger AS $$
BEGIN
    IF NEW.kind IN ('confirm', 'reject') AND NOT EXISTS (
        SELECT 1 FROM association_decisions p WHERE p.id = NEW.refers_to
        AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id) THEN
        RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def _create_two_person_trigger() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(_SQLITE_TRIGGER.format(event=event, message=_MESSAGE))
    else:
        op.execute(_POSTGRES_FUNCTION.format(message=_MESSAGE))
        op.execute(
            "CREATE TRIGGER trg_association_decisions_two_person BEFORE INSERT OR UPDATE "
            "ON association_decisions FOR EACH ROW "
            "EXECUTE FUNCTION association_decisions_two_person()"
        )


def downgrade() -> None:
    # Refused rather than lossy: what only this schema can hold is never dropped silently.
    bind = op.get_bind()
    checks = {
        "re-associations": "SELECT count(*) FROM associations",
        "family versions": "SELECT count(*) FROM reference_families WHERE version > 1",
        "graves": "SELECT count(*) FROM graves",
        "handovers of bodies": "SELECT count(*) FROM repatriation_items WHERE remains_id IS NULL",
        "dispositions of bodies": "SELECT count(*) FROM dispositions WHERE remains_id IS NULL",
        "body state changes": "SELECT count(*) FROM state_changes WHERE entity = 'body' "
        "AND cause NOT IN (SELECT cause FROM state_changes WHERE entity = 'remains' "
        "AND cause IS NOT NULL)",
    }
    held = {k: bind.execute(sa.text(q)).scalar() for k, q in checks.items()}
    if any(held.values()):
        said = ", ".join(f"{n} {k}" for k, n in held.items() if n)
        raise RuntimeError(f"cannot downgrade to 0004: {said} need this schema")
    if bind.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_association_decisions_two_person_{event}")
    else:
        op.execute(
            "DROP TRIGGER IF EXISTS trg_association_decisions_two_person ON association_decisions"
        )
        op.execute("DROP FUNCTION IF EXISTS association_decisions_two_person()")
    op.execute("DELETE FROM state_changes WHERE entity = 'body'")
    op.execute("DELETE FROM chain_heads WHERE chain = 'associations'")
    with op.batch_alter_table("reference_families", schema=None) as b:
        b.drop_constraint(b.f("fk_reference_families_changed_by_id_users"), type_="foreignkey")
        b.drop_constraint(
            b.f("fk_reference_families_supersedes_id_reference_families"), type_="foreignkey"
        )
        b.drop_constraint(b.f("uq_reference_families_supersedes_id"), type_="unique")
        b.drop_constraint(b.f("uq_reference_families_ref_version"), type_="unique")
        b.create_unique_constraint(b.f("uq_reference_families_ref"), ["ref"])
        for col in ("changed_by_id", "change_reason", "supersedes_id", "version"):
            b.drop_column(col)
    with op.batch_alter_table("pedigree_members", schema=None) as b:
        b.drop_index(b.f("ix_pedigree_members_donor_id"))
        b.drop_constraint(b.f("uq_pedigree_members_family_id_donor_id"), type_="unique")
        b.create_unique_constraint(b.f("uq_pedigree_members_donor_id"), ["donor_id"])
    for table in ("dispositions", "repatriation_items"):
        with op.batch_alter_table(table, schema=None) as b:
            if table == "dispositions":
                b.drop_constraint(b.f("fk_dispositions_grave_id_graves"), type_="foreignkey")
                b.drop_column("grave_id")
            b.drop_constraint(b.f(f"uq_{table}_body_id"), type_="unique")
            b.drop_constraint(b.f(f"fk_{table}_body_id_bodies"), type_="foreignkey")
            b.drop_column("body_id")
            b.alter_column("remains_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("state_changes", schema=None) as b:
        b.drop_constraint(op.f("ck_state_changes_entity"), type_="check")
        b.create_check_constraint(
            op.f("ck_state_changes_entity"), _in("entity", ("person", "remains"))
        )
    with op.batch_alter_table("candidate_matches", schema=None) as b:
        b.drop_index(b.f("ix_candidate_matches_body_id"))
        b.drop_constraint(b.f("fk_candidate_matches_body_id_bodies"), type_="foreignkey")
        b.drop_column("body_id")
    for table in (
        "candidate_closures",
        "candidate_scores",
        "association_decisions",
        "associations",
        "body_parts",
        "graves",
        "bodies",
    ):
        op.drop_table(table)
