"""policy: the identification policy as data, decisions under it, revocation by two people

- ``policy_versions``: one row per version of the identification policy (append-only);
- ``decisions.policy_version``, ``decisions.verdict``, ``decisions.override_reason``: the policy
  a review step was taken under, what the candidate met and failed, and why a failure was
  overridden (sealed through ``context_digest`` for new rows; older rows keep their seals);
- ``revocation_requests``: the first of the two people who revoke an identification;
  a ``revoke`` decision is refused by the database unless another user requested the
  revocation of that confirmation (and the request needs a reviewer or case manager and a
  confirmation of the same candidate). Both new tables refuse UPDATE and DELETE.

Revision ID: 0007_policy
Revises: 0011_exchange
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from repatria.registry.models import UTCDateTime

revision = "0007_policy"
down_revision = "0011_exchange"
branch_labels = None
depends_on = None

APPEND_ONLY = ("policy_versions", "revocation_requests")
_FROZEN = "append-only: rows of {table} are never changed or removed"
_REVOKE = (
    "two-person rule: an identification is revoked by a second reviewer or case manager, after "
    "another user requested its revocation"
)
_REQUEST = (
    "two-person rule: a revocation is requested by a reviewer or case manager, for the "
    "confirmation of the same candidate"
)

_SQLITE = """
CREATE TRIGGER trg_decisions_revoke_two_person BEFORE INSERT ON decisions
FOR EACH ROW WHEN NEW.kind = 'revoke'
BEGIN
    SELECT RAISE(ABORT, '{revoke}')
    WHERE NOT EXISTS (
        SELECT 1 FROM revocation_requests r WHERE r.confirmation_id = NEW.refers_to
        AND r.candidate_id = NEW.candidate_id AND r.requested_by_id <> NEW.actor_id);
END
"""
_SQLITE_REQUEST = """
CREATE TRIGGER trg_revocation_requests_rules BEFORE INSERT ON revocation_requests
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, '{request}')
    WHERE (SELECT role FROM users WHERE id = NEW.requested_by_id)
          NOT IN ('reviewer', 'case_manager')
       OR NOT EXISTS (SELECT 1 FROM decisions c WHERE c.id = NEW.confirmation_id
                      AND c.kind = 'confirm' AND c.candidate_id = NEW.candidate_id);
END
"""
_SQLITE_FROZEN = """
CREATE TRIGGER trg_{table}_append_only_{event} BEFORE {event} ON {table}
BEGIN
    SELECT RAISE(ABORT, '{message}');
END
"""
_PG = """
CREATE FUNCTION repatria_decisions_revoke_two_person() RETURNS trigger AS $$
BEGIN
    IF NEW.kind = 'revoke' AND NOT EXISTS (
        SELECT 1 FROM revocation_requests r WHERE r.confirmation_id = NEW.refers_to
        AND r.candidate_id = NEW.candidate_id AND r.requested_by_id <> NEW.actor_id) THEN
        RAISE EXCEPTION '{revoke}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_PG_REQUEST = """
CREATE FUNCTION repatria_revocation_requests_rules() RETURNS trigger AS $$
BEGIN
    IF COALESCE((SELECT role FROM users WHERE id = NEW.requested_by_id), '')
           NOT IN ('reviewer', 'case_manager')
       OR NOT EXISTS (SELECT 1 FROM decisions c WHERE c.id = NEW.confirmation_id
                      AND c.kind = 'confirm' AND c.candidate_id = NEW.candidate_id) THEN
        RAISE EXCEPTION '{request}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_policy_versions_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_policy_versions_version")),
    )
    op.create_table(
        "revocation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("confirmation_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_revocation_requests_reason")),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate_matches.id"],
            name=op.f("fk_revocation_requests_candidate_id_candidate_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmation_id"],
            ["decisions.id"],
            name=op.f("fk_revocation_requests_confirmation_id_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_revocation_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_requests")),
        sa.UniqueConstraint("confirmation_id", name=op.f("uq_revocation_requests_confirmation_id")),
    )
    with op.batch_alter_table("revocation_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revocation_requests_candidate_id"), ["candidate_id"], unique=False
        )
    # Plain ALTER TABLE ADD COLUMN (no table copy): the decisions rows and seals stay as they are.
    for name, type_ in (
        ("policy_version", sa.Integer()),
        ("verdict", sa.JSON()),
        ("override_reason", sa.Text()),
    ):
        op.add_column("decisions", sa.Column(name, type_, nullable=True))
    params = {"revoke": _REVOKE, "request": _REQUEST}
    if dialect == "sqlite":
        op.execute(_SQLITE.format(**params))
        op.execute(_SQLITE_REQUEST.format(**params))
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    _SQLITE_FROZEN.format(
                        table=table, event=event, message=_FROZEN.format(table=table)
                    )
                )
        return
    op.execute(_PG.format(**params))
    op.execute(
        "CREATE TRIGGER trg_decisions_revoke_two_person BEFORE INSERT ON decisions "
        "FOR EACH ROW EXECUTE FUNCTION repatria_decisions_revoke_two_person()"
    )
    op.execute(_PG_REQUEST.format(**params))
    op.execute(
        "CREATE TRIGGER trg_revocation_requests_rules BEFORE INSERT ON revocation_requests "
        "FOR EACH ROW EXECUTE FUNCTION repatria_revocation_requests_rules()"
    )
    for table in APPEND_ONLY:  # repatria_append_only() is 0006's
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION repatria_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_decisions_revoke_two_person")
        op.execute("DROP TRIGGER IF EXISTS trg_revocation_requests_rules")
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_decisions_revoke_two_person ON decisions")
        op.execute("DROP FUNCTION IF EXISTS repatria_decisions_revoke_two_person()")
        op.execute("DROP TRIGGER IF EXISTS trg_revocation_requests_rules ON revocation_requests")
        op.execute("DROP FUNCTION IF EXISTS repatria_revocation_requests_rules()")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
    # Plain ALTER TABLE DROP COLUMN (SQLite >= 3.35 too): a table copy would trip 0006's
    # append-only triggers.
    for name in ("override_reason", "verdict", "policy_version"):
        op.execute(f"ALTER TABLE decisions DROP COLUMN {name}")
    op.drop_table("revocation_requests")
    op.drop_table("policy_versions")
