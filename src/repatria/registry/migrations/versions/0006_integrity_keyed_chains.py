"""integrity: keyed chains, the audit log chained, a complete two-person rule, append-only logs

- ``decisions.context_digest``, ``association_decisions.context_digest``,
  ``custody_events.context_digest``: what a row rests on outside itself (the candidate's
  evidence, the re-association's samples and evidence, references, people's names), sealed
  with the row;
- ``audit_events.seq/prev_hash/row_hash``: the audit log is a chain like the others;
- every existing chain (custody, decisions, re-associations) is checked under its old plain
  SHA-256 seal and re-sealed with the chain key (HMAC-SHA256), which ``repatria db init``
  passes in; a chain already broken is refused, not laundered;
- ``users.disabled_at``, ``login_attempts``: disabled accounts and login throttling;
- the two-person triggers of 0001 (``decisions``) and 0005 (``association_decisions``) are
  replaced by one rule, written once and created for both logs, that also requires the
  proposal of the *same* subject (candidate or re-association) and the role allowed to act
  (analyst proposes, reviewer confirms or rejects, reviewer or case manager revokes); and
  ``decisions``, ``association_decisions``, ``custody_events`` and ``audit_events`` refuse
  UPDATE and DELETE.

Revision ID: 0006_integrity
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from repatria.registry.models import UTCDateTime

revision = "0006_integrity"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = ("decisions", "association_decisions", "custody_events", "audit_events")
#: The review logs (table, subject column, what the subject is called): one rule for all.
REVIEW_LOGS = (
    ("decisions", "candidate_id", "candidate"),
    ("association_decisions", "association_id", "re-association"),
)

_ROLE = "two-person rule: only an analyst proposes, a reviewer confirms or rejects, and a reviewer or case manager revokes"  # noqa: E501
_SAME = "two-person rule: a confirmation or rejection must refer to the proposal of the same {what} by another user"  # noqa: E501
_REVOKE = "two-person rule: a revocation must refer to the confirmation of the same {what}"
_FROZEN = "append-only: rows of {table} are never changed or removed"

_SQLITE_RULES = """
CREATE TRIGGER trg_{table}_rules_{event} BEFORE {event} ON {table}
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, '{role}')
    WHERE (SELECT role FROM users WHERE id = NEW.actor_id) IS NOT (CASE NEW.kind
        WHEN 'propose' THEN 'analyst' WHEN 'confirm' THEN 'reviewer'
        WHEN 'reject' THEN 'reviewer' ELSE NULL END)
      AND NOT (NEW.kind = 'revoke'
        AND (SELECT role FROM users WHERE id = NEW.actor_id) IN ('reviewer', 'case_manager'));
    SELECT RAISE(ABORT, '{same}')
    WHERE NEW.kind IN ('confirm', 'reject') AND NOT EXISTS (
        SELECT 1 FROM {table} p WHERE p.id = NEW.refers_to AND p.kind = 'propose'
        AND p.{subject} = NEW.{subject} AND p.actor_id <> NEW.actor_id
        AND p.actor_id = NEW.proposer_id);
    SELECT RAISE(ABORT, '{revoke}')
    WHERE NEW.kind = 'revoke' AND NOT EXISTS (
        SELECT 1 FROM {table} c WHERE c.id = NEW.refers_to AND c.kind = 'confirm'
        AND c.{subject} = NEW.{subject});
END
"""

_SQLITE_FROZEN = """
CREATE TRIGGER trg_{table}_append_only_{event} BEFORE {event} ON {table}
BEGIN
    SELECT RAISE(ABORT, '{message}');
END
"""

_PG_RULES = """
CREATE FUNCTION repatria_{table}_rules() RETURNS trigger AS $$
DECLARE
    actor_role text;
BEGIN
    SELECT role INTO actor_role FROM users WHERE id = NEW.actor_id;
    IF NOT ((NEW.kind = 'propose' AND actor_role = 'analyst')
            OR (NEW.kind IN ('confirm', 'reject') AND actor_role = 'reviewer')
            OR (NEW.kind = 'revoke' AND actor_role IN ('reviewer', 'case_manager'))) THEN
        RAISE EXCEPTION '{role}' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind IN ('confirm', 'reject') AND NOT EXISTS (
        SELECT 1 FROM {table} p WHERE p.id = NEW.refers_to AND p.kind = 'propose'
        AND p.{subject} = NEW.{subject} AND p.actor_id <> NEW.actor_id
        AND p.actor_id = NEW.proposer_id) THEN
        RAISE EXCEPTION '{same}' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'revoke' AND NOT EXISTS (
        SELECT 1 FROM {table} c WHERE c.id = NEW.refers_to AND c.kind = 'confirm'
        AND c.{subject} = NEW.{subject}) THEN
        RAISE EXCEPTION '{revoke}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

_PG_FROZEN = """
CREATE FUNCTION repatria_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only: rows of % are never changed or removed', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql
"""


def _rule_params(table: str, subject: str, what: str) -> dict[str, str]:
    return {
        "table": table,
        "subject": subject,
        "role": _ROLE,
        "same": _SAME.format(what=what),
        "revoke": _REVOKE.format(what=what),
    }


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_0001_trigger(dialect)
    _drop_0005_trigger(dialect)
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_attempts_user_name"), ["user_name"], unique=False
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_row_hash"), ["row_hash"])
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
    for table in ("custody_events", "decisions", "association_decisions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("context_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True))
    _reseal()
    _create_triggers(dialect)


def _reseal() -> None:
    from sqlalchemy.orm import Session

    from repatria.registry.chain import reseal_all

    key = context.config.attributes.get("chain_key")
    if key is None:
        raise RuntimeError("run this migration through `repatria db init` (it needs the chain key)")
    session = Session(bind=op.get_bind())
    reseal_all(session, key)
    session.flush()


def _unseal() -> None:
    from sqlalchemy.orm import Session

    from repatria.registry.chain import unseal_all

    key = context.config.attributes.get("chain_key")
    if key is None:
        return
    session = Session(bind=op.get_bind())
    unseal_all(session, key)
    session.flush()


def _create_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for log in REVIEW_LOGS:
            for event in ("INSERT", "UPDATE"):
                op.execute(_SQLITE_RULES.format(event=event, **_rule_params(*log)))
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    _SQLITE_FROZEN.format(
                        table=table, event=event, message=_FROZEN.format(table=table)
                    )
                )
        return
    for table, subject, what in REVIEW_LOGS:
        op.execute(_PG_RULES.format(**_rule_params(table, subject, what)))
        op.execute(
            f"CREATE TRIGGER trg_{table}_rules BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION repatria_{table}_rules()"
        )
    op.execute(_PG_FROZEN)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION repatria_append_only()"
        )


def _drop_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for table, _, _ in REVIEW_LOGS:
            for event in ("INSERT", "UPDATE"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_rules_{event}")
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only_{event}")
        return
    for table, _, _ in REVIEW_LOGS:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_rules ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS repatria_{table}_rules()")
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS repatria_append_only()")


_0001_MESSAGE = "two-person rule: the proposer of a candidate cannot confirm or reject it"
_0001_SQLITE = """
CREATE TRIGGER trg_decisions_two_person_{event} BEFORE {event} ON decisions
FOR EACH ROW WHEN NEW.kind IN ('confirm', 'reject')
BEGIN
    SELECT RAISE(ABORT, '{message}')
    WHERE NOT EXISTS (SELECT 1 FROM decisions p WHERE p.id = NEW.refers_to
                      AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id);
END
"""


def _drop_0001_trigger(dialect: str) -> None:
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_decisions_two_person_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_decisions_two_person ON decisions")


_0005_MESSAGE = "two-person rule: the proposer of a re-association cannot confirm or reject it"
_0005_SQLITE = """
CREATE TRIGGER trg_association_decisions_two_person_{event}
BEFORE {event} ON association_decisions
FOR EACH ROW WHEN NEW.kind IN ('confirm', 'reject')
BEGIN
    SELECT RAISE(ABORT, '{message}')
    WHERE NOT EXISTS (SELECT 1 FROM association_decisions p WHERE p.id = NEW.refers_to
                      AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id);
END
"""


def _drop_0005_trigger(dialect: str) -> None:
    """The re-association trigger of 0005 (bodies); the one rule below replaces it."""
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_association_decisions_two_person_{event}")
    else:
        op.execute(
            "DROP TRIGGER IF EXISTS trg_association_decisions_two_person ON association_decisions"
        )


def downgrade() -> None:
    """Back to 0005 (operators and tests only): intact chains are sealed again with plain SHA-256
    (given the chain key, as ``registry.db.downgrade`` passes it), so 0005 reads them intact and
    an upgrade re-keys them; without the key the seals stay keyed, which 0005 reads as broken."""
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    _unseal()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    for table in ("association_decisions", "decisions", "custody_events"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("context_digest")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_audit_events_row_hash"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_user_name"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_at"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_address"))
    op.drop_table("login_attempts")
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(_0001_SQLITE.format(event=event, message=_0001_MESSAGE))
            op.execute(_0005_SQLITE.format(event=event, message=_0005_MESSAGE))
    else:
        op.execute(
            "CREATE TRIGGER trg_decisions_two_person BEFORE INSERT OR UPDATE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION decisions_two_person()"
        )
        op.execute(
            "CREATE TRIGGER trg_association_decisions_two_person BEFORE INSERT OR UPDATE "
            "ON association_decisions FOR EACH ROW "
            "EXECUTE FUNCTION association_decisions_two_person()"
        )
