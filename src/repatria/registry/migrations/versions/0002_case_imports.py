"""case imports: remains of unrecorded condition, PM sample sex, partly typed genotypes

A DVI case (case folder or Familias file) brings PM samples with a sex but no recovery
record, and genotypes with one unknown allele (``a/-``). So:

- ``remains.condition`` may be ``unknown`` (not recorded yet), instead of inventing one;
- ``samples.sex`` holds the sex of a PM sample as the lab typed it (amelogenin), which the
  DVI analysis needs for sex-compatible pairings and X-linked markers;
- ``genotypes.allele1/allele2`` may be NULL (one allele unknown) and hold labels up to 64
  characters (Familias labels such as "Rest allele").

SQLite cannot alter a CHECK or a column in place, so these run in batch mode (the table is
copied); ``repatria.registry.db.migrate`` turns SQLite's foreign keys off around migrations
and checks them afterwards, as Alembic's batch mode needs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OLD_CONDITIONS = ("intact", "burned", "fragmentary", "commingled", "cremated_or_destroyed")
_NEW_CONDITIONS = (*_OLD_CONDITIONS, "unknown")
_SEXES = ("male", "female", "unknown")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("remains", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_remains_condition"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_remains_condition"), _in("condition", _NEW_CONDITIONS)
        )

    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(op.f("ck_samples_sex"), _in("sex", _SEXES))

    with op.batch_alter_table("genotypes", schema=None) as batch_op:
        batch_op.alter_column(
            "allele1", existing_type=sa.String(length=16), type_=sa.String(length=64), nullable=True
        )
        batch_op.alter_column(
            "allele2", existing_type=sa.String(length=16), type_=sa.String(length=64), nullable=True
        )


def downgrade() -> None:
    # Refused rather than lossy: remains of unknown condition and half-typed genotypes have no
    # place in the 0001 schema, and history is never thrown away silently.
    bind = op.get_bind()
    unknown = bind.execute(
        sa.text("SELECT count(*) FROM remains WHERE condition = 'unknown'")
    ).scalar()
    partial = bind.execute(
        sa.text(
            "SELECT count(*) FROM genotypes WHERE allele1 IS NULL "
            "OR allele2 IS NULL OR length(allele1) > 16 "
            "OR length(allele2) > 16"
        )
    ).scalar()
    if unknown or partial:
        raise RuntimeError(
            f"cannot downgrade to 0001: {unknown} remains of unknown condition and "
            f"{partial} genotypes need this schema"
        )
    with op.batch_alter_table("genotypes", schema=None) as batch_op:
        batch_op.alter_column(
            "allele2",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            nullable=False,
        )
        batch_op.alter_column(
            "allele1",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            nullable=False,
        )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_samples_sex"), type_="check")
        batch_op.drop_column("sex")
    with op.batch_alter_table("remains", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_remains_condition"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_remains_condition"), _in("condition", _OLD_CONDITIONS)
        )
