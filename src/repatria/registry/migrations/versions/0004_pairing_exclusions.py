"""pairing exclusions: PM samples that may not be a missing person, for reasons outside the DNA

New table only, so the same operations run on SQLite and PostgreSQL without batch mode.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_batches.id"],
            name=op.f("fk_pairing_exclusions_import_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_pairing_exclusions_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_pairing_exclusions_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_exclusions")),
        sa.UniqueConstraint(
            "sample_id", "person_id", name=op.f("uq_pairing_exclusions_sample_id_person_id")
        ),
    )
    with op.batch_alter_table("pairing_exclusions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pairing_exclusions_sample_id"), ["sample_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pairing_exclusions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_exclusions_sample_id"))
    op.drop_table("pairing_exclusions")
